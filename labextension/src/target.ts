/**
 * What a completion or fix request is about, read from the widget JupyterLab hands the
 * provider: the document path, the active cell, the notebook's cells and its kernel.
 */
import type { Session } from '@jupyterlab/services';
import { NotebookPanel } from '@jupyterlab/notebook';
import type { Widget } from '@lumino/widgets';
import type { ICell, CellType } from './protocol';

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
