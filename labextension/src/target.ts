/**
 * What a completion, fix or diagnose request is about, read from the widget JupyterLab hands
 * the provider (or found for an editor): the document path, the cell, the notebook's cells and
 * its kernel.
 */
import type { IEditorTracker } from '@jupyterlab/fileeditor';
import type { Session } from '@jupyterlab/services';
import { NotebookPanel } from '@jupyterlab/notebook';
import type { INotebookTracker } from '@jupyterlab/notebook';
import type { Widget } from '@lumino/widgets';
import type { ICell, CellType, ICellContext } from './protocol';
import type { INotebookSync } from './tokens';

export interface ITarget {
  path?: string;
  cellId?: string;
  /** The active cell's type in a notebook; undefined in a file editor. */
  cellType?: CellType;
  kernelId?: string;
  cells?: ICell[];
}

/** nbformat's three cell types; anything else (a future type) is sent as raw. */
function asCellType(type: string): CellType {
  return type === 'code' || type === 'markdown' ? type : 'raw';
}

export function notebookCells(panel: NotebookPanel): ICell[] {
  const model = panel.content.model;
  if (!model) {
    return [];
  }
  const cells: ICell[] = [];
  for (const cell of model.cells) {
    cells.push({ id: cell.id, cell_type: asCellType(cell.type), source: cell.sharedModel.getSource() });
  }
  return cells;
}

export function describeTarget(widget: Widget, session?: Session.ISessionConnection | null): ITarget {
  const kernelId = session?.kernel?.id;
  if (widget instanceof NotebookPanel) {
    const active = widget.content.activeCell;
    return {
      path: widget.context.path,
      cellId: active?.model.id,
      cellType: active ? asCellType(active.model.type) : undefined,
      kernelId: kernelId ?? widget.sessionContext.session?.kernel?.id,
      cells: notebookCells(widget)
    };
  }
  // A document widget (e.g. a .py file in the editor): a path, no cells, maybe a console kernel.
  const context = (widget as any).context;
  const path = context && typeof context.path === 'string' ? (context.path as string) : undefined;
  return { path, kernelId };
}

/**
 * The context of a `fix` or `diagnose` request about one cell of `panel`. The notebook is
 * synced first: the server reads the other cells (names they define are not errors) from its
 * copy, so that copy must be current when the request arrives (same socket, so in order).
 */
export function cellContext(
  panel: NotebookPanel,
  cellId: string,
  sync: INotebookSync
): ICellContext {
  const path = panel.context.path;
  sync.update(path, notebookCells(panel));
  return { path, cell_id: cellId, kernel_id: panel.sessionContext.session?.kernel?.id };
}

/**
 * The request context of the editor showing `model` (a cell's or a file's model, compared by
 * identity): a notebook cell's as `cellContext`; a file editor's is empty (no cells, no
 * kernel); a console prompt's (in `current`, the shell's current widget) is its kernel, which
 * holds every name the session defined. `null` for any other editor (a dialog).
 */
export function editorContext(
  model: object,
  notebooks: INotebookTracker,
  files: IEditorTracker | null,
  sync: INotebookSync,
  current: Widget | null = null
): ICellContext | null {
  let cellId: string | undefined;
  const panel = notebooks.find(p => {
    for (const c of p.content.model?.cells ?? []) {
      if (c === model) {
        cellId = c.id;
        return true;
      }
    }
    return false;
  });
  if (panel && cellId !== undefined) {
    return cellContext(panel, cellId, sync);
  }
  if (isConsole(current) && current.console.promptCell?.model === model) {
    return { kernel_id: current.sessionContext.session?.kernel?.id };
  }
  return files?.find(w => w.content.model === model) ? {} : null;
}

/**
 * What is needed of a console panel: its prompt cell and session. Recognised by that shape,
 * so the console package (which only consoles need) is no dependency of the extension.
 */
interface IConsoleLike {
  console: { promptCell: { model: object } | null };
  sessionContext: { session: Session.ISessionConnection | null };
}

function isConsole(widget: Widget | null): widget is Widget & IConsoleLike {
  if (widget === null || !('sessionContext' in widget)) {
    return false;
  }
  const inner = (widget as Partial<IConsoleLike>).console;
  return typeof inner === 'object' && inner !== null && 'promptCell' in inner;
}
