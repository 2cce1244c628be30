/**
 * Keeps the server's copy of each open notebook current: the first request for a notebook
 * sends it whole, later ones only the cells that changed (`diffCells`). After a reconnect or
 * an `unknown_notebook` error everything is sent whole again.
 */
import { diffCells, ICell, ISyncRequest, ISyncState } from './protocol';
import type { INotebookSync } from './tokens';

export class NotebookSync implements INotebookSync {
  constructor(private readonly _send: (msg: ISyncRequest) => void) {}

  /** Send what changed in `cells` for `path` since the last call (nothing if unchanged). */
  update(path: string, cells: ICell[]): void {
    const { message, state } = diffCells(path, this._sent.get(path), cells);
    this._sent.set(path, state);
    if (message) {
      this._send(message);
    }
  }

  /** Forget what was sent, so the next update of each notebook is a full sync. */
  reset(): void {
    this._sent.clear();
  }

  forget(path: string): void {
    this._sent.delete(path);
  }

  private readonly _sent = new Map<string, ISyncState>();
}
