/**
 * The inline completion provider JupyterLab's inline completer asks on every keystroke.
 *
 * `fetch` answers at once with an empty, incomplete item whose token names a server request;
 * the completer then calls `stream(token)`, which yields the server's chunks (the whole text so
 * far) so ghost text grows token by token. Tab / Alt-] / Alt-[ and typing through the
 * suggestion are JupyterLab's own inline-completer behaviour.
 */
import {
  CompletionHandler,
  IInlineCompletionContext,
  IInlineCompletionItem,
  IInlineCompletionList,
  IInlineCompletionProvider,
  InlineCompletionTriggerKind
} from '@jupyterlab/completer';
import type { NotebookPanel } from '@jupyterlab/notebook';
import { CompleteParams, ICompletionHandle, SparkConnection, SparkError } from './connection';
import type { Mode } from './protocol';
import type { ISparkSettings } from './settings';
import type { NotebookSync } from './sync';
import { describeTarget, ITarget } from './target';

export const PROVIDER_ID = 'jupyter-spark';

/**
 * Quiet time after the active cell changes before warming its prompt: Run All moves through
 * every cell, and only the cell the user stays in is worth a prefill.
 */
export const WARM_DELAY_MS = 150;

/** Errors that are part of normal typing and must not be shown as ghost-text errors. */
const QUIET_ERRORS = new Set(['disconnected', 'model_not_ready']);

export interface ILatencyReport {
  /** Keystroke-to-first-text time measured in the browser. */
  firstChunkMs: number;
  /** The server's own time to first token, when it ran the model. */
  serverTtftMs?: number;
}

export class SparkInlineProvider implements IInlineCompletionProvider {
  readonly identifier = PROVIDER_ID;
  readonly name = 'Spark (local model)';
  /** The trigger delay is ours (settings.triggerDelay), so JupyterLab's debouncer is off. */
  readonly schema = { default: { debouncerDelay: 0, timeout: 15000 } };

  constructor(
    private readonly _connection: () => SparkConnection,
    private readonly _sync: NotebookSync,
    private readonly _settings: () => ISparkSettings,
    private readonly _onLatency: (report: ILatencyReport) => void = () => undefined
  ) {}

  /**
   * The user moved to another cell (after running one, typically): prefill its prompt on
   * the server before the first keystroke, which would otherwise pay for the whole changed
   * context (a new cell, the kernel's new variables) before its first suggestion. The server
   * warms it again by itself when the kernel's variables change.
   */
  warmActiveCell(panel: NotebookPanel): void {
    clearTimeout(this._warmTimer);
    this._warmTimer = setTimeout(() => {
      const settings = this._settings();
      const cell = panel.content.activeCell;
      if (!settings.enabled || panel.isDisposed || !cell || cell.model.type !== 'code') {
        return;
      }
      const target = describeTarget(panel, panel.sessionContext.session);
      const source = cell.model.sharedModel.getSource();
      const editor = cell.editor;
      const offset = editor ? editor.getOffsetAt(editor.getCursorPosition()) : source.length;
      this._sync.update(target.path!, target.cells!);
      this._connection().warm({
        ...this._requestBase(settings, target, 'line'),
        prefix: source.slice(0, offset),
        suffix: source.slice(offset)
      });
    }, WARM_DELAY_MS);
  }

  async fetch(
    request: CompletionHandler.IRequest,
    context: IInlineCompletionContext
  ): Promise<IInlineCompletionList<IInlineCompletionItem>> {
    const settings = this._settings();
    const generation = ++this._generation;
    // A keystroke came first: a warm sent now would supersede this request on the server.
    clearTimeout(this._warmTimer);
    this._active?.cancel(); // the user typed on: stop the stale request on the server
    this._active = null;
    const explicit = context.triggerKind === InlineCompletionTriggerKind.Invoke;
    if (!settings.enabled && !explicit) {
      return { items: [] };
    }
    if (!explicit && settings.triggerDelay > 0) {
      await new Promise(resolve => setTimeout(resolve, settings.triggerDelay));
      if (generation !== this._generation) {
        return { items: [] }; // superseded by a newer keystroke during the delay
      }
    }
    const target = describeTarget(context.widget, context.session);
    if (target.cellType !== undefined && target.cellType !== 'code') {
      return { items: [] };
    }
    const connection = this._connection();
    const notebook = target.cells !== undefined && target.path !== undefined;
    if (notebook) {
      this._sync.update(target.path!, target.cells!);
    }
    const started = performance.now();
    const handle = connection.complete({
      ...this._requestBase(settings, target, explicit ? 'block' : settings.mode),
      prefix: request.text.slice(0, request.offset),
      suffix: request.text.slice(request.offset)
    });
    this._active = handle;
    this._streams.set(handle.id, { handle, started });
    // Drop the bookkeeping even if the completer never streams this item.
    void handle.done.catch(() => undefined).finally(() => {
      setTimeout(() => this._streams.delete(handle.id), 1000);
    });
    return { items: [{ insertText: '', isIncomplete: true, token: handle.id }] };
  }

  async *stream(token: string): AsyncGenerator<{ response: IInlineCompletionItem }> {
    const entry = this._streams.get(token);
    if (!entry) {
      return;
    }
    const { handle, started } = entry;
    let firstChunkMs: number | null = null;
    try {
      for await (const text of handle.chunks) {
        if (firstChunkMs === null && text) {
          firstChunkMs = performance.now() - started;
          const measured = firstChunkMs;
          void handle.done.then(
            done => this._onLatency({ firstChunkMs: measured, serverTtftMs: done.stats.ttft_ms }),
            () => undefined
          );
        }
        if (this._active !== handle) {
          // Superseded by a newer keystroke: its text is relative to an older cursor, and
          // JupyterLab would show it after the newly typed characters.
          return;
        }
        yield { response: { insertText: text, isIncomplete: !handle.chunks.ended } };
      }
    } catch (err) {
      const code = err instanceof SparkError ? err.code : 'internal';
      if (!QUIET_ERRORS.has(code)) {
        const message = err instanceof Error ? err.message : String(err);
        yield { response: { insertText: '', isIncomplete: false, error: { message } } };
      }
    } finally {
      this._streams.delete(token);
    }
  }

  /** The fields of a complete (or warm) request besides the text around the cursor. */
  private _requestBase(
    settings: ISparkSettings,
    target: ITarget,
    mode: Mode
  ): Omit<CompleteParams, 'prefix' | 'suffix'> {
    const notebook = target.cells !== undefined && target.path !== undefined;
    return {
      path: notebook ? target.path : undefined,
      cell_id: notebook ? target.cellId : undefined,
      kernel_id: target.kernelId,
      mode,
      max_tokens: settings.maxTokens,
      context_budget: settings.contextBudget ?? undefined,
      grounding: settings.grounding ? undefined : false,
      project: settings.projectContext ? undefined : false
    };
  }

  private _warmTimer: ReturnType<typeof setTimeout> | undefined = undefined;
  private _generation = 0;
  private _active: ICompletionHandle | null = null;
  private readonly _streams = new Map<string, { handle: ICompletionHandle; started: number }>();
}
