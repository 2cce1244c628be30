/**
 * Diagnostics as you type: the server's `diagnose` (ruff on the cell, notebook-aware: names
 * other cells define or the kernel holds are not flagged) shown as CodeMirror lint underlines.
 * The hover tooltip gives the message and the rule code, and each quick fix as an action
 * ("Fix: ..."), applied through the editor so Ctrl-Z undoes it like typing.
 *
 * Every editor gets the extension (through JupyterLab's IEditorExtensionRegistry); it checks
 * only its own text, `diagnosticsDelay` ms after the last edit, and only in an editor being
 * edited (or one that shows underlines that an edit may have made wrong). An answer is shown
 * only if it is the newest asked for and the text is still what was sent; until then the lint
 * state keeps the older underlines mapped through the edits.
 *
 * The server's positions are `[line, column]` in code points; CodeMirror's are UTF-16 offsets.
 * Those conversions and the mapping to lint diagnostics are pure and unit-tested.
 */
import { Action, Diagnostic, diagnosticCount, setDiagnostics } from '@codemirror/lint';
import { ChangeSet, Extension, Text } from '@codemirror/state';
import { EditorView, PluginValue, ViewPlugin, ViewUpdate } from '@codemirror/view';
import { EditorExtensionRegistry, IEditorExtensionFactory } from '@jupyterlab/codemirror';
import type { ICellContext, IDiagnosticItem, IEdit, IFix, Position } from './protocol';
import type { ISparkSettings } from './settings';

/** The name of the editor extension in JupyterLab's registry. */
export const EXTENSION_NAME = 'jupyter-spark:diagnostics';

/** Editors whose text is Python that ruff can read: notebook cells and `.py` files. */
const PYTHON_MIMETYPES = new Set(['text/x-ipython', 'text/x-python']);

/** Marks on our underlines and quick-fix buttons, to tell them from other linters'. */
const MARK_CLASS = 'jp-spark-diagnostic';
const ACTION_CLASS = 'jp-spark-quickfix';

/** The editor model JupyterLab hands an extension factory (a cell's or a file's). */
export type EditorModel = IEditorExtensionFactory.IOptions['model'];

/** A text change in CodeMirror offsets of the document it applies to. */
export interface IChange {
  from: number;
  to: number;
  insert: string;
}

/**
 * The editor's undo history as far as a fix needs it: JupyterLab's undo is the shared model's
 * Yjs UndoManager (`IYText.undoManager`), which merges changes made within half a second.
 */
export interface IUndoHistory {
  stopCapturing(): void;
}

/** What the extension needs from the rest of the plugin. */
export interface IDiagnosticsHost {
  settings(): ISparkSettings;
  /** The request context of the editor showing `model`; null: not an editor to check. */
  locate(model: EditorModel): ICellContext | null;
  diagnose(source: string, context: ICellContext): Promise<IDiagnosticItem[]>;
}

/**
 * The CodeMirror offset of a server position in `doc`: the column counts code points (a
 * character outside the BMP is one column but two UTF-16 units). Clamped into the document: a
 * position past the end of its line is the line's end, a line past the end is the doc's end.
 */
export function toOffset(doc: Text, [line, column]: Position): number {
  if (line >= doc.lines) {
    return doc.length;
  }
  const { from, text } = doc.line(line + 1);
  let units = 0;
  for (let n = 0; n < column && units < text.length; n++) {
    units += text.codePointAt(units)! > 0xffff ? 2 : 1;
  }
  return from + units;
}

/** Codes of findings that stop the cell from running (besides E9xx, ruff's syntax errors). */
// The kernel checks' findings raise when the cell runs (KeyError, AttributeError, TypeError,
// ValueError); a removed API too, a deprecated one only warns (both are `removed-api`).
const FATAL_CODES = new Set([
  'invalid-syntax',
  'syntax-error',
  'F821',
  'missing-key',
  'missing-attribute',
  'bad-call',
  'shape-mismatch'
]);

/** Findings that stop the cell from running are errors; the rest (likely bugs) warnings. */
export function severityOf(code: string): Diagnostic['severity'] {
  return FATAL_CODES.has(code) || code.startsWith('E9') ? 'error' : 'warning';
}

function isPosition(v: unknown): v is Position {
  return Array.isArray(v) && v.length === 2 && v.every(n => Number.isInteger(n) && n >= 0);
}

function applied(doc: Text, changes: readonly IChange[]): string {
  return ChangeSet.of(changes, doc.length).apply(doc).toString();
}

/** The fix's edits as CodeMirror changes, or null if they are malformed or overlap. */
function editChanges(doc: Text, edits: readonly IEdit[] | undefined): IChange[] | null {
  if (!Array.isArray(edits) || edits.length === 0) {
    return null;
  }
  const changes: IChange[] = [];
  for (const e of edits) {
    if (!isPosition(e.start) || !isPosition(e.end) || typeof e.text !== 'string') {
      return null;
    }
    const from = toOffset(doc, e.start);
    const to = toOffset(doc, e.end);
    if (to < from) {
      return null;
    }
    changes.push({ from, to, insert: e.text });
  }
  changes.sort((a, b) => a.from - b.from);
  return changes.every((c, i) => i === 0 || c.from >= changes[i - 1].to) ? changes : null;
}

/** One change replacing the part of `old` that differs from `text` (common head and tail kept). */
export function middleChange(old: string, text: string): IChange {
  const limit = Math.min(old.length, text.length);
  let head = 0;
  while (head < limit && old[head] === text[head]) {
    head++;
  }
  let tail = 0;
  while (tail < limit - head && old[old.length - 1 - tail] === text[text.length - 1 - tail]) {
    tail++;
  }
  return { from: head, to: old.length - tail, insert: text.slice(head, text.length - tail) };
}

/**
 * The changes that turn `doc` (the text the fix was computed for) into `fix.new_source`: the
 * fix's own edits when they give exactly that text, else one change of the differing middle.
 * Either way only the changed span is replaced, so the cursor and undo history stay sensible.
 */
export function fixChanges(doc: Text, fix: IFix): IChange[] {
  const edits = editChanges(doc, fix.edits);
  if (edits && applied(doc, edits) === fix.new_source) {
    return edits;
  }
  return [middleChange(doc.toString(), fix.new_source)];
}

/**
 * Apply `fix` in `view` if its text is still `source` (what the server checked); a fix for
 * older text is not guessed at (the next check brings a current one). The change goes through
 * the editor, so the shared model and JupyterLab's undo see it like an edit; it is made an undo
 * step of its own rather than merged with the typing just before it.
 */
export function applyFix(
  view: EditorView,
  source: string,
  fix: IFix,
  undo: IUndoHistory | null = null
): boolean {
  const doc = view.state.doc;
  if (doc.toString() !== source) {
    console.debug('jupyter-spark: the text changed since it was checked; the fix was not applied');
    return false;
  }
  undo?.stopCapturing();
  view.dispatch({ changes: fixChanges(doc, fix), scrollIntoView: true });
  undo?.stopCapturing();
  return true;
}

/**
 * The server's items for `doc` as lint diagnostics: underline range, severity, the message
 * with `<ruff|kernel> <code>` as its source line, and one "Fix: <title>" action per quick fix.
 */
export function toLintDiagnostics(
  items: readonly IDiagnosticItem[],
  doc: Text,
  undo: IUndoHistory | null = null
): Diagnostic[] {
  const source = doc.toString();
  return items.map(item => {
    const a = toOffset(doc, item.start);
    const b = toOffset(doc, item.end);
    const actions: Action[] = item.fixes.map(fix => ({
      name: `Fix: ${fix.title}`,
      markClass: ACTION_CLASS,
      apply: (view: EditorView) => void applyFix(view, source, fix, undo)
    }));
    return {
      from: Math.min(a, b),
      to: Math.max(a, b),
      severity: severityOf(item.code),
      message: item.message,
      source: `${item.source ?? 'ruff'} ${item.code}`,
      markClass: MARK_CLASS,
      actions
    };
  });
}

/**
 * Which answer may still be shown: only the newest request's, and only while the editor holds
 * the text that request sent (an answer for other text would underline the wrong characters).
 */
export class AnswerGate {
  /** A ticket for a request about `source`; it makes every older ticket stale. */
  begin(source: string): number {
    this._source = source;
    return ++this._ticket;
  }

  /** Make every ticket handed out so far stale (the text changed, or checks are off). */
  invalidate(): void {
    this._ticket++;
    this._source = null;
  }

  accepts(ticket: number, current: string): boolean {
    return ticket === this._ticket && this._source === current;
  }

  private _ticket = 0;
  private _source: string | null = null;
}

/** The extension's state in one editor: its debounce timer and its answer gate. */
class EditorDiagnostics implements PluginValue {
  constructor(
    private readonly _view: EditorView,
    private readonly _model: EditorModel,
    private readonly _host: IDiagnosticsHost,
    private readonly _live: Set<EditorDiagnostics>
  ) {
    _live.add(this);
  }

  update(update: ViewUpdate): void {
    // Only the editor being edited asks; another one whose text changed (a fix accepted from
    // the dialog, a collaborator) asks again only if it shows underlines that may now be wrong.
    // Focusing an editor with underlines rechecks it: another cell may define the name now.
    const shown = diagnosticCount(update.state) > 0;
    const edited = update.docChanged && (update.view.hasFocus || shown);
    const focused = update.focusChanged && update.view.hasFocus && shown;
    if (edited || focused) {
      this._schedule();
    }
  }

  /** Remove this editor's underlines and drop an answer in flight. */
  clear(): void {
    clearTimeout(this._timer);
    this._gate.invalidate();
    this._show([]);
  }

  destroy(): void {
    this._destroyed = true;
    clearTimeout(this._timer);
    this._gate.invalidate();
    this._live.delete(this);
  }

  private _schedule(): void {
    clearTimeout(this._timer);
    this._gate.invalidate(); // an answer in flight is for older text
    const delay = this._host.settings().diagnosticsDelay;
    this._timer = setTimeout(() => void this._check(), delay);
  }

  private async _check(): Promise<void> {
    try {
      const context =
        this._host.settings().diagnostics && PYTHON_MIMETYPES.has(this._model.mimeType)
          ? this._host.locate(this._model)
          : null;
      if (!context) {
        this.clear();
        return;
      }
      const source = this._view.state.doc.toString();
      const ticket = this._gate.begin(source);
      let items: IDiagnosticItem[] = [];
      try {
        items = await this._host.diagnose(source, context);
      } catch (err) {
        // A closed socket or an error reply: no underlines rather than wrong ones.
        console.debug('jupyter-spark: no diagnostics:', err instanceof Error ? err.message : err);
      }
      if (!this._destroyed && this._gate.accepts(ticket, this._view.state.doc.toString())) {
        this._show(toLintDiagnostics(items, this._view.state.doc, this._undoHistory()));
      }
    } catch (err) {
      console.debug('jupyter-spark: diagnostics failed:', err);
    }
  }

  /** The shared model's undo manager, when it is a Yjs one (it is in JupyterLab 4). */
  private _undoHistory(): IUndoHistory | null {
    const shared: object = this._model.sharedModel;
    if ('undoManager' in shared) {
      const undo = shared.undoManager as Partial<IUndoHistory> | null | undefined;
      return typeof undo?.stopCapturing === 'function' ? (undo as IUndoHistory) : null;
    }
    return null;
  }

  private _show(diagnostics: Diagnostic[]): void {
    if (this._destroyed || (diagnostics.length === 0 && diagnosticCount(this._view.state) === 0)) {
      return; // nothing to clear: do not install the lint state in an editor that never had any
    }
    this._view.dispatch(setDiagnostics(this._view.state, diagnostics));
  }

  private readonly _gate = new AnswerGate();
  private _timer: ReturnType<typeof setTimeout> | undefined = undefined;
  private _destroyed = false;
}

/** Owns the editor extension and the editors it runs in. */
export class DiagnosticsController {
  constructor(private readonly _host: IDiagnosticsHost) {}

  /**
   * The factory for `IEditorExtensionRegistry.addExtension`. Every editor gets the extension
   * and decides at each check whether to ask: a cell's language is known only once its
   * notebook's kernel is, and a cell's editor can be created before it is in a notebook.
   */
  readonly factory: IEditorExtensionFactory<undefined> = {
    name: EXTENSION_NAME,
    factory: options =>
      EditorExtensionRegistry.createImmutableExtension(this.extension(options.model))
  };

  /** The CodeMirror extension for the editor of `model`. */
  extension(model: EditorModel): Extension {
    return ViewPlugin.define(view => new EditorDiagnostics(view, model, this._host, this._live));
  }

  /** Call when the settings change: turned off, every editor's underlines go at once. */
  settingsChanged(): void {
    if (!this._host.settings().diagnostics) {
      for (const editor of [...this._live]) {
        editor.clear();
      }
    }
  }

  private readonly _live = new Set<EditorDiagnostics>();
}
