/**
 * The inline completion provider JupyterLab's inline completer asks on every keystroke.
 *
 * `fetch` answers at once with an empty, incomplete item whose token names a server request;
 * the completer then calls `stream(token)`, which yields the server's chunks (the whole text so
 * far) so ghost text grows token by token. Tab / Alt-] / Alt-[ are JupyterLab's own
 * inline-completer behaviour.
 *
 * The provider remembers the suggestion on screen. A keystroke (or a partial accept) that
 * types its start is answered from it at once, with no server request (typed-through); the
 * partial-accept commands read what is left of it (`remainderAt`). A fresh line, where
 * JupyterLab never asks by itself, is asked for by `freshline.ts` through an invoke the
 * provider is told about (`expectInvoke`), so it is answered as typing, not as Alt-\.
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
import { CompleteParams, ICompletionHandle, SparkError } from './connection';
import type { Mode } from './protocol';
import type { ISparkSettings } from './settings';
import { afterEnter, freshLineAsk, inBlock, IShownSuggestion, remainder } from './suggestion';
import { describeTarget, ITarget } from './target';
import { COMPLETION_TIMEOUT_MS, STREAM_LINGER_MS, WARM_DELAY_MS } from './timing';
import type { ICompletionSource, ILatencyReport, INotebookSync } from './tokens';

export const PROVIDER_ID = 'jupyter-spark';

export { WARM_DELAY_MS } from './timing';

/** Errors that are part of normal typing and must not be shown as ghost-text errors. */
const QUIET_ERRORS = new Set(['disconnected', 'model_not_ready']);

export type { ILatencyReport } from './tokens';

/** Whether the text around the cursor is `shown`'s prefix followed by all of its text. */
function typedToItsEnd(shown: IShownSuggestion, prefix: string, suffix: string): boolean {
  return !!shown.text && suffix === shown.suffix && prefix === shown.prefix + shown.text;
}

export class SparkInlineProvider implements IInlineCompletionProvider {
  readonly identifier = PROVIDER_ID;
  readonly name = 'Spark (local model)';
  /** The trigger delay is ours (settings.triggerDelay), so JupyterLab's debouncer is off. */
  readonly schema = { default: { debouncerDelay: 0, timeout: COMPLETION_TIMEOUT_MS } };

  constructor(
    private readonly _connection: () => ICompletionSource,
    private readonly _sync: INotebookSync,
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

  /**
   * What is left of the suggestion on screen with the text around the cursor now `prefix` |
   * `suffix` (see `remainder`); `null` when the text no longer continues it.
   */
  remainderAt(prefix: string, suffix: string): string | null {
    const shown = this._shown;
    if (shown && shown.text && prefix === shown.prefix && suffix === shown.suffix) {
      return shown.text; // nothing typed since it was asked for
    }
    return remainder(shown, prefix, suffix);
  }

  /**
   * The next request, an invoke at `prefix`, is ours (the fresh-line trigger's, or the one
   * after accepting a line), not the user's Alt-\: answer it as typing (typed-through, the
   * enabled setting; a block on an indented line, else the mode setting). `confident`: the
   * server shows it only if the model is sure of it (a top-level line at the end of a cell).
   */
  expectInvoke(prefix: string, confident = false): void {
    this._ourInvoke = { prefix, confident };
  }

  async fetch(
    request: CompletionHandler.IRequest,
    context: IInlineCompletionContext
  ): Promise<IInlineCompletionList<IInlineCompletionItem>> {
    const settings = this._settings();
    const generation = ++this._generation;
    // A keystroke came first: a warm sent now would supersede this request on the server.
    clearTimeout(this._warmTimer);
    const prefix = request.text.slice(0, request.offset);
    const suffix = request.text.slice(request.offset);
    const ours = this._ourInvoke?.prefix === prefix;
    const confident = ours && (this._ourInvoke?.confident ?? false);
    this._ourInvoke = null;
    const explicit = context.triggerKind === InlineCompletionTriggerKind.Invoke && !ours;
    if (!settings.enabled && !explicit) {
      this._active?.cancel();
      this._active = null;
      return { items: [] };
    }
    if (!explicit && this._accepted(prefix, suffix)) {
      return { items: [] }; // the line it finished has nothing more; the next one is on its way
    }
    // An explicit request (Alt-\) asks the model again, for a block.
    const rest = explicit ? undefined : await this._typedThrough(prefix, suffix, generation);
    if (rest !== undefined) {
      return { items: rest === null ? [] : [{ insertText: rest }] };
    }
    if (generation !== this._generation) {
      return { items: [] }; // a newer keystroke came while the suggestion on screen finished
    }
    this._active?.cancel(); // the user typed on: stop the stale request on the server
    this._active = null;
    this._shown = null;
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
    const mode = explicit || (ours && inBlock(prefix)) ? 'block' : settings.mode;
    const params: CompleteParams = { ...this._requestBase(settings, target, mode), prefix, suffix };
    if (confident) {
      params.confident = true;
    }
    const handle = connection.complete(params);
    this._active = handle;
    this._streams.set(handle.id, { handle, started, prefix, suffix, params });
    // Drop the bookkeeping even if the completer never streams this item.
    void handle.done.catch(() => undefined).finally(() => {
      setTimeout(() => this._streams.delete(handle.id), STREAM_LINGER_MS);
    });
    return { items: [{ insertText: '', isIncomplete: true, token: handle.id }] };
  }

  async *stream(token: string): AsyncGenerator<{ response: IInlineCompletionItem }> {
    const entry = this._streams.get(token);
    if (!entry) {
      return;
    }
    const { handle, started, prefix, suffix, params } = entry;
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
        this._shown = { prefix, suffix, text, handle, params };
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

  /**
   * The answer from the suggestion on screen when the user typed its start: its rest, or
   * `null` (nothing to show: a newer keystroke came, or its request failed); `undefined` when
   * the text does not continue it (or its request failed) and the server must be asked. A
   * suggestion still streaming is waited for (JupyterLab keeps showing its typed-through part
   * meanwhile): its request goes on rather than a new one starting over, also when the user
   * typed exactly what has streamed so far (it may go on, or have been taken whole).
   */
  private async _typedThrough(
    prefix: string,
    suffix: string,
    generation: number
  ): Promise<string | null | undefined> {
    const shown = this._shown;
    const continues = shown !== null && remainder(shown, prefix, suffix) !== null;
    if (!shown || (!continues && !typedToItsEnd(shown, prefix, suffix))) {
      return undefined;
    }
    if (!shown.handle.chunks.ended) {
      // Stop streaming into the item JupyterLab showed at the old cursor; the request runs on.
      this._active = null;
    }
    let text: string;
    try {
      text = (await shown.handle.done).text;
    } catch {
      return undefined; // it failed or was cancelled: ask again
    }
    if (generation !== this._generation) {
      return null;
    }
    this._shown = { ...shown, text };
    if (this._accepted(prefix, suffix)) {
      return null; // what streamed was all of it: taken whole
    }
    return remainder(this._shown, prefix, suffix) ?? undefined;
  }

  /**
   * Whether the text around the cursor is the suggestion on screen taken whole (Tab, its
   * last word or line, or typing to its end). Then (setting `prefetch`) the server is asked to
   * generate, while the user reads, the suggestion the fresh line after Enter will ask for
   * (same prompt, mode and `confident`), so it streams from there at once (engine/ahead.py);
   * the line just finished needs no request of its own.
   */
  private _accepted(prefix: string, suffix: string): boolean {
    const shown = this._shown;
    if (!shown || !shown.handle.chunks.ended || !typedToItsEnd(shown, prefix, suffix)) {
      return false; // (typed to the end of what has streamed so far: it may go on)
    }
    this._shown = null; // taken: nothing of it is left to type through
    const settings = this._settings();
    const next = afterEnter(prefix);
    const ask = settings.freshLine ? freshLineAsk(next, suffix) : null;
    if (settings.prefetch && ask !== null) {
      const mode = inBlock(next) ? 'block' : settings.mode;
      const params: CompleteParams = { ...shown.params, mode, prefix: next, suffix, ahead: true };
      if (ask === 'confident') {
        params.confident = true;
      }
      this._connection().warm(params);
    }
    return true;
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
  private _ourInvoke: { prefix: string; confident: boolean } | null = null;
  /** The suggestion last streamed to the screen, with the request that gave it. */
  private _shown:
    | (IShownSuggestion & { handle: ICompletionHandle; params: CompleteParams })
    | null = null;
  private readonly _streams = new Map<
    string,
    {
      handle: ICompletionHandle;
      started: number;
      prefix: string;
      suffix: string;
      params: CompleteParams;
    }
  >();
}
