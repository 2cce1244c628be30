/**
 * Protocol v1 (docs/protocol.md): the messages exchanged with the server extension over
 * `spark/ws`, a validating parser for what the server sends, and the notebook diff that keeps
 * the server's copy current with `sync` messages carrying only what changed.
 *
 * Pure functions and types only, so the logic is unit-tested without a browser.
 */
import { RECONNECT_BASE_MS, RECONNECT_MAX_MS } from './timing';

export type CellType = 'code' | 'markdown' | 'raw';
export type Mode = 'line' | 'block';

export interface ICell {
  id: string;
  cell_type: CellType;
  source: string;
}

export interface ICompleteRequest {
  /** `warm`: prefill this prompt ahead of the next keystroke; nothing is generated. */
  type: 'complete' | 'warm';
  id: string;
  prefix: string;
  suffix: string;
  path?: string;
  cell_id?: string;
  kernel_id?: string;
  mode?: Mode;
  max_tokens?: number;
  context_budget?: number;
  /** false: no grounded start for this request (the server's SparkExtension.grounding else). */
  grounding?: boolean;
  /** false: leave the project index out of this request (the server's SparkExtension.project_index else). */
  project?: boolean;
  /** With `warm`: a suggestion was just accepted here; also generate what follows it. */
  ahead?: boolean;
  /** Show the suggestion only if the model is sure of it; it then comes whole, or not at all. */
  confident?: boolean;
}

export interface ICellChange {
  id: string;
  source?: string;
  cell_type?: CellType;
  deleted?: boolean;
}

export interface ISyncRequest {
  type: 'sync';
  path: string;
  cells?: ICell[];
  changes?: ICellChange[];
  order?: string[];
}

export interface IErrorInfo {
  ename: string;
  evalue: string;
  traceback: string[];
}

/**
 * Which cell a `fix` or `diagnose` request is about: the server reads the other cells from its
 * synced copy of `path` (all but `cell_id`) and the names `kernel_id` holds.
 */
export interface ICellContext {
  path?: string;
  cell_id?: string;
  kernel_id?: string;
}

export interface IFixRequest extends ICellContext {
  type: 'fix';
  id: string;
  source: string;
  error?: IErrorInfo;
  kinds?: FixKind[];
}

export interface IDiagnoseRequest extends ICellContext {
  type: 'diagnose';
  id: string;
  source: string;
}

export type ClientMessage =
  | ICompleteRequest
  | ISyncRequest
  | IFixRequest
  | IDiagnoseRequest
  | { type: 'cancel'; id: string };

export interface IStats {
  ttft_ms?: number;
  total_ms?: number;
  tokens?: number;
  stop_reason?: string;
  [key: string]: unknown;
}

export interface IChunk {
  type: 'chunk';
  id: string;
  text: string;
}

export interface IDone {
  type: 'done';
  id: string;
  text: string;
  cancelled: boolean;
  stats: IStats;
}

export interface IServerError {
  type: 'error';
  id?: string;
  code: string;
  message: string;
}

export type FixKind = 'error' | 'diagnostic' | 'modernize';

export interface IEdit {
  start: [number, number];
  end: [number, number];
  text: string;
}

export interface IFix {
  title: string;
  explanation: string;
  kind: FixKind;
  new_source: string;
  edits: IEdit[];
  confidence: number;
}

export interface IFixes {
  type: 'fixes';
  id: string;
  fixes: IFix[];
}

/**
 * `[line, column]`, both 0-based, the column counted in Unicode code points (Python `str`
 * indices, which is how ruff and the fixes service count); an end position is exclusive.
 */
export type Position = [number, number];

/** A finding on a cell (ruff's, or the kernel-aware checks'), with its quick fixes. */
export interface IDiagnosticItem {
  message: string;
  /**
   * ruff's rule code (`F821`, `E711`, ...), `invalid-syntax` / `syntax-error`, or a kernel
   * check's (`missing-key`, `missing-attribute`, `bad-call`, `shape-mismatch`, `removed-api`).
   */
  code: string;
  /** Who found it: `ruff` or `kernel` (the kernel's real values); absent from older servers. */
  source?: string;
  start: Position;
  end: Position;
  fixes: IFix[];
}

export interface IDiagnostics {
  type: 'diagnostics';
  id: string;
  items: IDiagnosticItem[];
}

export type ServerMessage = IChunk | IDone | IServerError | IFixes | IDiagnostics;

/** The state of the server's model, from `GET spark/status`. */
export interface IModelStatus {
  state: 'starting' | 'pulling' | 'converting' | 'loading' | 'ready' | 'error';
  percent: number;
  model: string | null;
  error: string | null;
  latency?: { requests: number; ttft_ms: { p50: number | null; p95: number | null } };
}

const isString = (v: unknown): v is string => typeof v === 'string';

/**
 * Parse one frame from the server; `null` for anything that is not a well-formed v1 message,
 * so a newer or broken server cannot throw inside the completer.
 */
export function parseServerMessage(data: unknown): ServerMessage | null {
  if (!isString(data)) {
    return null;
  }
  let msg: any;
  try {
    msg = JSON.parse(data);
  } catch {
    return null;
  }
  if (msg === null || typeof msg !== 'object') {
    return null;
  }
  switch (msg.type) {
    case 'chunk':
      return isString(msg.id) && isString(msg.text) ? (msg as IChunk) : null;
    case 'done':
      if (!isString(msg.id) || !isString(msg.text)) {
        return null;
      }
      return {
        type: 'done',
        id: msg.id,
        text: msg.text,
        cancelled: msg.cancelled === true,
        stats: msg.stats && typeof msg.stats === 'object' ? msg.stats : {}
      };
    case 'error':
      if (!isString(msg.code) || !isString(msg.message)) {
        return null;
      }
      return msg.id === undefined || isString(msg.id) ? (msg as IServerError) : null;
    case 'fixes':
      return isString(msg.id) && Array.isArray(msg.fixes) && msg.fixes.every(isFix)
        ? (msg as IFixes)
        : null;
    case 'diagnostics':
      return isString(msg.id) && Array.isArray(msg.items) && msg.items.every(isDiagnosticItem)
        ? {
            type: 'diagnostics',
            id: msg.id,
            items: (msg.items as IDiagnosticItem[]).map(item => ({
              message: item.message,
              code: item.code,
              start: item.start,
              end: item.end,
              fixes: item.fixes ?? [],
              ...(isString(item.source) ? { source: item.source } : {})
            }))
          }
        : null;
    default:
      return null;
  }
}

function isFix(f: any): f is IFix {
  return (
    f !== null &&
    typeof f === 'object' &&
    isString(f.title) &&
    isString(f.new_source) &&
    isString(f.kind) &&
    (f.explanation === undefined || isString(f.explanation))
  );
}

const isPosition = (v: unknown): v is Position =>
  Array.isArray(v) && v.length === 2 && v.every(n => Number.isInteger(n) && n >= 0);

function isDiagnosticItem(v: unknown): v is IDiagnosticItem {
  if (v === null || typeof v !== 'object') {
    return false;
  }
  const item = v as Record<string, unknown>;
  return (
    isString(item.message) &&
    isString(item.code) &&
    isPosition(item.start) &&
    isPosition(item.end) &&
    (item.fixes === undefined || (Array.isArray(item.fixes) && item.fixes.every(isFix)))
  );
}

/** What the server was last sent for one notebook: cell order and each cell's text. */
export interface ISyncState {
  order: string[];
  cells: Map<string, { source: string; cell_type: CellType }>;
}

/**
 * The `sync` message that brings the server from `prev` to `cells`, and the new state; the
 * message is `null` when nothing changed. Without `prev` it is a full sync.
 */
export function diffCells(
  path: string,
  prev: ISyncState | undefined,
  cells: ICell[]
): { message: ISyncRequest | null; state: ISyncState } {
  const state: ISyncState = {
    order: cells.map(c => c.id),
    cells: new Map(cells.map(c => [c.id, { source: c.source, cell_type: c.cell_type }]))
  };
  if (!prev) {
    return { message: { type: 'sync', path, cells }, state };
  }
  const changes: ICellChange[] = [];
  for (const c of cells) {
    const old = prev.cells.get(c.id);
    if (!old || old.source !== c.source || old.cell_type !== c.cell_type) {
      changes.push({ id: c.id, source: c.source, cell_type: c.cell_type });
    }
  }
  for (const id of prev.order) {
    if (!state.cells.has(id)) {
      changes.push({ id, deleted: true });
    }
  }
  const sameOrder =
    prev.order.length === state.order.length && prev.order.every((id, i) => id === state.order[i]);
  if (changes.length === 0 && sameOrder) {
    return { message: null, state };
  }
  const message: ISyncRequest = { type: 'sync', path, changes };
  if (!sameOrder) {
    message.order = state.order;
  }
  return { message, state };
}

/** Reconnect delay for the n-th consecutive failure (0-based): exponential, capped, jittered. */
export function backoffDelay(
  attempt: number,
  baseMs = RECONNECT_BASE_MS,
  maxMs = RECONNECT_MAX_MS,
  random: () => number = Math.random
): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 16));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
