/**
 * Fixes in the notebook: a "Fix" button under a cell whose run ended in an error, and a dialog
 * that shows each proposed fix as a diff of the cell (old vs new) with its explanation. Accept
 * replaces the cell source through the shared model, so Ctrl-Z undoes it like any edit.
 */
import { Dialog, Notification, showDialog } from '@jupyterlab/apputils';
import type { Cell } from '@jupyterlab/cells';
import { NotebookActions, NotebookPanel } from '@jupyterlab/notebook';
import type { KernelError } from '@jupyterlab/notebook';
import { PanelLayout, Widget } from '@lumino/widgets';
import { lineDiff } from './diff';
import type { FixKind, IErrorInfo, IFix } from './protocol';
import type { ISparkSettings } from './settings';
import { cellContext } from './target';
import { INFO_MS, NOTICE_MS } from './timing';
import type { IFixSource, INotebookSync } from './tokens';

const BAR_CLASS = 'jp-spark-fix-bar';

/** The error of a failed run, as the fixes service wants it. */
export function errorInfo(error: KernelError): IErrorInfo {
  return {
    ename: error.errorName,
    evalue: error.errorValue,
    traceback: error.traceback ?? []
  };
}

/** The dialog body: one fix at a time, with a diff and buttons to step through the others. */
export class FixView extends Widget {
  constructor(
    private readonly _old: string,
    private readonly _fixes: IFix[]
  ) {
    super();
    this.addClass('jp-spark-fix-view');
    this._render();
  }

  /** The fix on screen when the dialog closes (what Accept applies). */
  getValue(): IFix {
    return this._fixes[this._index];
  }

  private _render(): void {
    const fix = this._fixes[this._index];
    const node = this.node;
    node.replaceChildren();
    const header = document.createElement('div');
    header.className = 'jp-spark-fix-header';
    const title = document.createElement('strong');
    title.textContent = fix.title;
    header.append(title);
    if (this._fixes.length > 1) {
      const nav = document.createElement('span');
      nav.className = 'jp-spark-fix-nav';
      const prev = navButton('‹', 'Previous fix', () => this._step(-1));
      const next = navButton('›', 'Next fix', () => this._step(1));
      const count = document.createElement('span');
      count.className = 'jp-spark-fix-count';
      count.textContent = `${this._index + 1} / ${this._fixes.length}`;
      nav.append(prev, count, next);
      header.append(nav);
    }
    node.append(header);
    if (fix.explanation) {
      const p = document.createElement('p');
      p.className = 'jp-spark-fix-explanation';
      p.textContent = fix.explanation;
      node.append(p);
    }
    const pre = document.createElement('pre');
    pre.className = 'jp-spark-diff';
    for (const line of lineDiff(this._old, fix.new_source)) {
      const row = document.createElement('div');
      row.className = `jp-spark-diff-line jp-spark-diff-${
        line.op === '+' ? 'add' : line.op === '-' ? 'del' : 'same'
      }`;
      row.textContent = `${line.op === '=' ? ' ' : line.op} ${line.text}`;
      pre.append(row);
    }
    node.append(pre);
  }

  private _step(delta: number): void {
    const n = this._fixes.length;
    this._index = (this._index + delta + n) % n;
    this._render();
  }

  private _index = 0;
}

function navButton(label: string, title: string, onClick: () => void): HTMLButtonElement {
  const b = document.createElement('button');
  b.className = 'jp-spark-fix-nav-button jp-mod-styled';
  b.textContent = label;
  b.title = title;
  b.addEventListener('click', onClick);
  return b;
}

export class FixController {
  constructor(
    private readonly _connection: () => IFixSource,
    private readonly _sync: INotebookSync,
    private readonly _settings: () => ISparkSettings
  ) {
    NotebookActions.executed.connect(this._onExecuted, this);
    NotebookActions.executionScheduled.connect(this._onScheduled, this);
  }

  dispose(): void {
    NotebookActions.executed.disconnect(this._onExecuted, this);
    NotebookActions.executionScheduled.disconnect(this._onScheduled, this);
  }

  /**
   * Ask for fixes of `cell` (for `error` if given, else its diagnostics or a modernization),
   * show them, and apply the accepted one. Returns whether a fix was applied.
   */
  async fixCell(
    panel: NotebookPanel,
    cell: Cell,
    kinds: FixKind[],
    error?: IErrorInfo
  ): Promise<boolean> {
    const source = cell.model.sharedModel.getSource();
    let fixes: IFix[];
    try {
      fixes = await this._connection().fix({
        source,
        error,
        ...cellContext(panel, cell.model.id, this._sync),
        kinds
      });
    } catch (err) {
      Notification.error(`Spark could not get fixes: ${(err as Error).message}`, {
        autoClose: NOTICE_MS
      });
      return false;
    }
    fixes = fixes.filter(f => f.new_source !== source);
    if (fixes.length === 0) {
      Notification.info(
        kinds.includes('modernize') ? 'Spark: nothing to modernize' : 'Spark found no fix',
        { autoClose: INFO_MS }
      );
      return false;
    }
    const result = await showDialog<IFix>({
      title: kinds.includes('modernize') ? 'Modernize cell' : 'Fix cell',
      body: new FixView(source, fixes),
      buttons: [Dialog.cancelButton({ label: 'Reject' }), Dialog.okButton({ label: 'Accept' })],
      hasClose: true
    });
    if (!result.button.accept || !result.value) {
      return false;
    }
    if (cell.model.sharedModel.getSource() !== source) {
      Notification.warning('The cell changed while the fix was shown; nothing was replaced.', {
        autoClose: NOTICE_MS
      });
      return false;
    }
    cell.model.sharedModel.setSource(result.value.new_source);
    removeBar(cell);
    return true;
  }

  private _onScheduled(_: unknown, args: { cell: Cell }): void {
    removeBar(args.cell);
  }

  private _onExecuted(
    _: unknown,
    args: { notebook: unknown; cell: Cell; success: boolean; error?: KernelError | null }
  ): void {
    const { cell, success, error } = args;
    removeBar(cell);
    if (success || !error || !this._settings().fixes || cell.model.type !== 'code') {
      return;
    }
    const panel = findPanel(cell);
    if (!panel) {
      return;
    }
    const info = errorInfo(error);
    const bar = new Widget();
    bar.addClass(BAR_CLASS);
    const label = document.createElement('span');
    label.className = 'jp-spark-fix-label';
    label.textContent = `${info.ename}: ${info.evalue}`.slice(0, 160);
    const button = document.createElement('button');
    button.className = 'jp-spark-fix-button jp-mod-styled jp-mod-accept';
    button.textContent = 'Fix';
    button.title = 'Ask Spark for a fix of this cell';
    button.addEventListener('click', () => {
      button.disabled = true;
      void this.fixCell(panel, cell, ['error'], info).finally(() => (button.disabled = false));
    });
    bar.node.append(button, label);
    (cell.layout as PanelLayout).addWidget(bar);
  }
}

function removeBar(cell: Cell): void {
  const layout = cell.layout as PanelLayout | null;
  for (const w of [...(layout?.widgets ?? [])]) {
    if (w.hasClass(BAR_CLASS)) {
      w.dispose();
    }
  }
}

function findPanel(widget: Widget): NotebookPanel | null {
  let w: Widget | null = widget;
  while (w && !(w instanceof NotebookPanel)) {
    w = w.parent;
  }
  return w;
}
