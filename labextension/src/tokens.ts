/**
 * The interfaces the features depend on (as JupyterLab's own `tokens.ts` modules): the
 * inline provider, the fix controller and the diagnostics ask the server through these, not
 * through the concrete `SparkConnection`, so a test gives them a fake typed by the same
 * interface and a second transport (a REST fallback, a worker) needs no change to them.
 */
import type { CompleteParams, DiagnoseParams, FixParams, ICompletionHandle } from './connection';
import type { ICell, IDiagnosticItem, IFix, IModelStatus, ISyncRequest } from './protocol';

/** Completions over the connection: streamed (`complete`) or prefilled ahead (`warm`). */
export interface ICompletionSource {
  complete(params: CompleteParams): ICompletionHandle;
  warm(params: CompleteParams): void;
}

/** Ranked fixes of a failed cell. */
export interface IFixSource {
  fix(params: FixParams): Promise<IFix[]>;
}

/** ruff's and the kernel's findings on a cell as it is typed. */
export interface IDiagnoseSource {
  diagnose(params: DiagnoseParams): Promise<IDiagnosticItem[]>;
}

/** The whole connection to `spark/ws` (SparkConnection is the implementation). */
export interface ISparkConnection extends ICompletionSource, IFixSource, IDiagnoseSource {
  readonly isOpen: boolean;
  readonly isDisposed: boolean;
  sync(message: ISyncRequest): void;
  dispose(): void;
}

/** Keeps the server's copy of each open notebook current (NotebookSync). */
export interface INotebookSync {
  /** Send what changed in `cells` for `path` since the last call (nothing if unchanged). */
  update(path: string, cells: ICell[]): void;
  /** Forget what was sent: the next update of each notebook is a full sync. */
  reset(): void;
  forget(path: string): void;
}

/** One suggestion's latency as the browser saw it. */
export interface ILatencyReport {
  /** Keystroke-to-first-text time measured in the browser. */
  firstChunkMs: number;
  /** The server's own time to first token, when it ran the model. */
  serverTtftMs?: number;
}

/** The model's status as the status bar shows it (SparkStatus). */
export interface ISparkStatus {
  readonly status: IModelStatus | null;
  readonly latency: ILatencyReport | null;
  reportLatency(report: ILatencyReport): void;
  refresh(): Promise<IModelStatus | null>;
}
