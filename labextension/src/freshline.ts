/**
 * A suggestion on a fresh line, and the partial accept of a suggestion.
 *
 * JupyterLab's inline completer asks its providers on every edit, except when the line before
 * the cursor is only indentation: there it asks nothing, so Enter after `def f(df):` left the
 * new line empty until Alt-\. The editor extension here watches for Enter (a typed line break)
 * and, where `freshLineAsk` agrees, invokes the inline completer after the trigger delay,
 * telling the provider the request is ours so it is answered as typing, not as Alt-\.
 *
 * `acceptPart` inserts the next word or line of the suggestion on screen; JupyterLab then
 * keeps showing the rest (the edit types through it) and the provider answers the request
 * that follows from the suggestion it remembers, with no server call.
 */
import { ChangeSet, Transaction } from '@codemirror/state';
import { EditorView, PluginValue, ViewPlugin, ViewUpdate } from '@codemirror/view';
import { EditorExtensionRegistry, IEditorExtensionFactory } from '@jupyterlab/codemirror';
import type { ISparkSettings } from './settings';
import { freshLineAsk, nextLine, nextWord } from './suggestion';

/** The user event of an edit made by a partial accept (not typing: no fresh-line trigger). */
const ACCEPT_EVENT = 'input.complete.spark';

/** What the extension and the accept commands need from the plugin. */
export interface ISuggestionHost {
  settings(): ISparkSettings;
  /**
   * Ask the inline completer of the focused editor for a suggestion at `prefix`'s end;
   * `confident`: to be shown only if the model is sure of it.
   */
  invoke(prefix: string, confident?: boolean): void;
  /** What is left of the suggestion on screen, the text around the cursor being this. */
  remainderAt(prefix: string, suffix: string): string | null;
}

export class FreshLineTrigger {
  constructor(private readonly _host: ISuggestionHost) {}

  /** For `IEditorExtensionRegistry.addExtension`: every editor gets the trigger. */
  readonly factory: IEditorExtensionFactory<undefined> = {
    name: 'jupyter-spark:fresh-line',
    factory: () =>
      EditorExtensionRegistry.createImmutableExtension(
        ViewPlugin.define(view => new FreshLineView(view, this._host))
      )
  };
}

class FreshLineView implements PluginValue {
  constructor(
    private readonly _view: EditorView,
    private readonly _host: ISuggestionHost
  ) {}

  update(update: ViewUpdate): void {
    if (!update.docChanged) {
      return;
    }
    clearTimeout(this._timer); // any edit supersedes a pending trigger
    // Enter is CodeMirror's insertNewlineAndIndent ("input"); a paste or an accept is not.
    const enter = update.transactions.some(tr => {
      const event = tr.annotation(Transaction.userEvent);
      return (event === 'input' || event === 'input.type') && insertsLineBreak(tr.changes);
    });
    const settings = this._host.settings();
    if (!enter || !settings.enabled || !settings.freshLine) {
      return;
    }
    const { prefix, suffix } = around(update.view);
    const ask = freshLineAsk(prefix, suffix);
    if (ask === null) {
      return;
    }
    this._timer = setTimeout(() => {
      const now = around(this._view);
      if (this._view.hasFocus && now.prefix === prefix && now.suffix === suffix) {
        this._host.invoke(prefix, ask === 'confident');
      }
    }, settings.triggerDelay);
  }

  destroy(): void {
    clearTimeout(this._timer);
  }

  private _timer: ReturnType<typeof setTimeout> | undefined = undefined;
}

/** Whether a change set inserts a line break (Enter, with or without the auto-indent). */
function insertsLineBreak(changes: ChangeSet): boolean {
  let found = false;
  changes.iterChanges((_fa, _ta, _fb, _tb, inserted) => {
    found = found || inserted.lines > 1;
  });
  return found;
}

/** The text before and after the main cursor of `view`. */
function around(view: EditorView): { prefix: string; suffix: string } {
  const doc = view.state.doc.toString();
  const head = view.state.selection.main.head;
  return { prefix: doc.slice(0, head), suffix: doc.slice(head) };
}

/** The editor that has the focus, if it is a CodeMirror one. */
export function focusedEditor(): EditorView | null {
  const el = document.activeElement?.closest('.cm-editor');
  return el instanceof HTMLElement ? EditorView.findFromDOM(el) : null;
}

/** What a partial accept in `view` would insert: the next word or line of the rest, or null. */
export function partToAccept(
  view: EditorView,
  host: ISuggestionHost,
  part: 'word' | 'line'
): string | null {
  if (!view.dom.closest('.jp-mod-inline-completer-active')) {
    return null; // no ghost text on screen (dismissed, or never shown)
  }
  const { prefix, suffix } = around(view);
  const rest = host.remainderAt(prefix, suffix);
  if (!rest) {
    return null;
  }
  return part === 'word' ? nextWord(rest) : nextLine(rest);
}

/**
 * Insert the next word or line of the suggestion at the cursor of `view`. JupyterLab asks
 * again by itself after an edit, except where the cursor ends up after indentation only (a
 * line accepted with its line break): there it is invoked, so the rest shows at once.
 */
export function acceptPart(view: EditorView, host: ISuggestionHost, part: 'word' | 'line'): boolean {
  const text = partToAccept(view, host, part);
  if (!text) {
    return false;
  }
  const head = view.state.selection.main.head;
  view.dispatch({
    changes: { from: head, insert: text },
    selection: { anchor: head + text.length },
    userEvent: ACCEPT_EVENT,
    scrollIntoView: true
  });
  const { prefix } = around(view);
  if (/^[ \t]*$/.test(prefix.slice(prefix.lastIndexOf('\n') + 1))) {
    host.invoke(prefix);
  }
  return true;
}
