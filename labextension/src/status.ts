/**
 * The model's state for the status bar: polls `GET spark/status` (fast while the model is
 * pulling or loading, slowly once ready) and shows the last time to first suggestion.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';
import { Widget } from '@lumino/widgets';
import type { IModelStatus } from './protocol';
import type { ILatencyReport } from './provider';
import { statusText, statusTooltip } from './status-text';

/** Poll interval while the model is not ready yet, and once it is. */
const POLL_BUSY_MS = 1000;
const POLL_READY_MS = 15000;

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

export class SparkStatus extends Widget {
  constructor(private readonly _onClick: () => void) {
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
    } catch {
      this._status = null; // server restarting or extension missing: say "waiting"
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
}
