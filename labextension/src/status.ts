/**
 * The model's state for the status bar (or, in an app without one such as Notebook 7, a
 * document's toolbar): polls `GET spark/status` (fast while the model is pulling or loading,
 * slowly once ready) and shows the last time to first suggestion. A problem the user must act
 * on (the model failed to load, the server extension does not answer) goes to `onProblem`.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';
import { Widget } from '@lumino/widgets';
import type { IModelStatus } from './protocol';
import type { ILatencyReport, ISparkStatus } from './tokens';
import { statusText, statusTooltip } from './status-text';
import { POLL_BUSY_MS, POLL_READY_MS } from './timing';

/** Failed polls in a row before the server extension counts as not answering (a restart). */
const FAILURES_BEFORE_PROBLEM = 3;

/** `notify`, called once per distinct message: a problem polled every second is told once. */
export function onceEach(notify: (message: string) => void): (message: string) => void {
  const told = new Set<string>();
  return message => {
    if (!told.has(message)) {
      told.add(message);
      notify(message);
    }
  };
}

export async function fetchStatus(
  settings: ServerConnection.ISettings = ServerConnection.makeSettings()
): Promise<IModelStatus> {
  const url = URLExt.join(settings.baseUrl, 'spark', 'status');
  const response = await ServerConnection.makeRequest(url, {}, settings);
  if (!response.ok) {
    throw new ServerConnection.ResponseError(response);
  }
  return (await response.json()) as IModelStatus;
}

export class SparkStatus extends Widget implements ISparkStatus {
  constructor(
    private readonly _onClick: () => void,
    private readonly _onProblem: (message: string) => void = () => undefined
  ) {
    super();
    this.addClass('jp-spark-status');
    this.node.title = statusTooltip(null, null);
    this.node.textContent = statusText(null, null);
    this.node.addEventListener('click', () => this._onClick());
    void this._poll();
  }

  get status(): IModelStatus | null {
    return this._status;
  }

  get latency(): ILatencyReport | null {
    return this._latency;
  }

  reportLatency(report: ILatencyReport): void {
    this._latency = report;
    this._render();
  }

  dispose(): void {
    clearTimeout(this._timer);
    super.dispose();
  }

  /** Fetch the status now (and keep polling). */
  async refresh(): Promise<IModelStatus | null> {
    clearTimeout(this._timer);
    await this._poll();
    return this._status;
  }

  private async _poll(): Promise<void> {
    try {
      this._status = await fetchStatus();
      this._failures = 0;
    } catch (reason) {
      this._status = null; // server restarting or extension missing: say "waiting"
      if (++this._failures === FAILURES_BEFORE_PROBLEM) {
        const detail = reason instanceof Error ? ` (${reason.message})` : '';
        this._onProblem(
          `Spark: the server extension does not answer${detail}. Check that jupyter-spark-assist ` +
            'is installed in the environment running Jupyter (jupyter server extension list) and restart the server.'
        );
      }
    }
    if (this._status?.state === 'error') {
      this._onProblem(`Spark: the model is not available: ${this._status.error ?? 'unknown error'}`);
    }
    this._render();
    if (!this.isDisposed) {
      const ready = this._status?.state === 'ready' || this._status?.state === 'error';
      this._timer = setTimeout(() => void this._poll(), ready ? POLL_READY_MS : POLL_BUSY_MS);
    }
  }

  private _render(): void {
    this.node.textContent = statusText(this._status, this._latency);
    this.node.title = statusTooltip(this._status, this._latency);
    this.node.dataset.state = this._status?.state ?? 'unknown';
  }

  private _status: IModelStatus | null = null;
  private _latency: ILatencyReport | null = null;
  private _timer: ReturnType<typeof setTimeout> | undefined = undefined;
  private _failures = 0;
}
