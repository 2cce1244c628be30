/**
 * The inline completion provider JupyterLab's inline completer asks on every keystroke.
 *
 * `fetch` answers at once with an empty, incomplete item whose token names a server request;
 * the completer then calls `stream(token)`, which yields the server's chunks (the whole text so
 * far) so ghost text grows token by token. Tab / Alt-] / Alt-[ and typing through the
 * suggestion are JupyterLab's own inline-completer behaviour.
 */
import {
  CompletionHandler,
  IInlineCompletionContext,
  IInlineCompletionItem,
  IInlineCompletionList,
  IInlineCompletionProvider,
  InlineCompletionTriggerKind
} from '@jupyterlab/completer';
import { ICompletionHandle, SparkConnection, SparkError } from './connection';
import type { ISparkSettings } from './settings';
import type { NotebookSync } from './sync';
import { describeTarget } from './target';

export const PROVIDER_ID = 'jupyter-spark';

/** Errors that are part of normal typing and must not be shown as ghost-text errors. */
const QUIET_ERRORS = new Set(['disconnected', 'model_not_ready']);

export interface ILatencyReport {
  /** Keystroke-to-first-text time measured in the browser. */
  firstChunkMs: number;
  /** The server's own time to first token, when it ran the model. */
  serverTtftMs?: number;
}

export class SparkInlineProvider implements IInlineCompletionProvider {
  readonly identifier = PROVIDER_ID;
  readonly name = 'Spark (local model)';
  /** The trigger delay is ours (settings.triggerDelay), so JupyterLab's debouncer is off. */
  readonly schema = { default: { debouncerDelay: 0, timeout: 15000 } };

  constructor(
    private readonly _connection: () => SparkConnection,
    private readonly _sync: NotebookSync,
    private readonly _settings: () => ISparkSettings,
    private readonly _onLatency: (report: ILatencyReport) => void = () => undefined
  ) {}

  async fetch(
    request: CompletionHandler.IRequest,
    context: IInlineCompletionContext
  ): Promise<IInlineCompletionList<IInlineCompletionItem>> {
    const settings = this._settings();
    const generation = ++this._generation;
    this._active?.cancel(); // the user typed on: stop the stale request on the server
    this._active = null;
    const explicit = context.triggerKind === InlineCompletionTriggerKind.Invoke;
    if (!settings.enabled && !explicit) {
      return { items: [] };
    }
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
    const handle = connection.complete({
      prefix: request.text.slice(0, request.offset),
      suffix: request.text.slice(request.offset),
      path: notebook ? target.path : undefined,
      cell_id: notebook ? target.cellId : undefined,
      kernel_id: target.kernelId,
      mode: explicit ? 'block' : settings.mode,
      max_tokens: settings.maxTokens,
      context_budget: settings.contextBudget ?? undefined
    });
    this._active = handle;
    this._streams.set(handle.id, { handle, started });
    // Drop the bookkeeping even if the completer never streams this item.
    void handle.done.catch(() => undefined).finally(() => {
      setTimeout(() => this._streams.delete(handle.id), 1000);
    });
    return { items: [{ insertText: '', isIncomplete: true, token: handle.id }] };
  }

  async *stream(token: string): AsyncGenerator<{ response: IInlineCompletionItem }> {
    const entry = this._streams.get(token);
    if (!entry) {
      return;
    }
    const { handle, started } = entry;
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

  private _generation = 0;
  private _active: ICompletionHandle | null = null;
  private readonly _streams = new Map<string, { handle: ICompletionHandle; started: number }>();
}
