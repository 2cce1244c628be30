import { beforeEach, describe, expect, it, vi } from 'vitest';

// The provider's JupyterLab imports, replaced by what the logic needs (no DOM in node).
vi.mock('@jupyterlab/completer', () => ({
  InlineCompletionTriggerKind: { Invoke: 0, Automatic: 1 }
}));
const target = { value: {} as Record<string, unknown> };
vi.mock('./target', () => ({ describeTarget: () => target.value }));

import { CompleteParams, LatestValueStream, SparkError } from './connection';
import type { ICell, IDone } from './protocol';
import { SparkInlineProvider, WARM_DELAY_MS } from './provider';
import { DEFAULT_SETTINGS, ISparkSettings } from './settings';
import type { ICompletionSource, ILatencyReport, INotebookSync } from './tokens';

const AUTOMATIC = 1;
const INVOKE = 0;

/** A completion handle the test finishes or fails itself. */
interface IFakeHandle {
  id: string;
  chunks: LatestValueStream<string>;
  done: Promise<IDone>;
  cancel(): void;
  finish(text: string): void;
  fail(err: Error): void;
}

/** A connection double: records complete/cancel calls and hands back controllable streams. */
function fakeConnection() {
  const calls: CompleteParams[] = [];
  const cancelled: string[] = [];
  const handles: IFakeHandle[] = [];
  const warms: CompleteParams[] = [];
  const connection: ICompletionSource = {
    warm(params: CompleteParams) {
      warms.push(params);
    },
    complete(params: CompleteParams) {
      const id = `r${calls.length + 1}`;
      calls.push(params);
      const chunks = new LatestValueStream<string>();
      let resolve!: (d: IDone) => void;
      let reject!: (e: Error) => void;
      const done = new Promise<IDone>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      done.catch(() => undefined);
      const handle: IFakeHandle = {
        id,
        chunks,
        done,
        cancel: () => cancelled.push(id),
        finish(text: string) {
          chunks.push(text);
          chunks.end();
          resolve({ type: 'done', id, text, cancelled: false, stats: { ttft_ms: 4 } });
        },
        fail(err: Error) {
          chunks.end(err);
          reject(err);
        }
      };
      handles.push(handle);
      return handle;
    }
  };
  return { connection, calls, cancelled, handles, warms };
}

function setup(settings: Partial<ISparkSettings> = {}) {
  const fake = fakeConnection();
  const synced: { path: string; cells: ICell[] }[] = [];
  const latency: ILatencyReport[] = [];
  const sync: INotebookSync = {
    update: (path, cells) => synced.push({ path, cells }),
    reset: () => undefined,
    forget: () => undefined
  };
  const provider = new SparkInlineProvider(
    () => fake.connection,
    sync,
    () => ({ ...DEFAULT_SETTINGS, triggerDelay: 0, ...settings }),
    r => latency.push(r)
  );
  return { provider, synced, latency, ...fake };
}

const request = (text: string, offset = text.length) => ({ text, offset });
/** The request the provider sends for the target below, with the default settings. */
const asked = (prefix: string, suffix: string) => ({
  prefix,
  suffix,
  path: 'a.ipynb',
  cell_id: 'c2',
  kernel_id: 'k1',
  mode: 'line',
  max_tokens: DEFAULT_SETTINGS.maxTokens,
  context_budget: undefined,
  grounding: undefined,
  project: undefined
});
const ctx = (triggerKind: number) => ({ widget: {} as any, triggerKind }) as any;

async function drain(gen: AsyncGenerator<{ response: any }>) {
  const out: any[] = [];
  for await (const r of gen) {
    out.push(r.response);
  }
  return out;
}

beforeEach(() => {
  target.value = {
    path: 'a.ipynb',
    cellId: 'c2',
    cellType: 'code',
    kernelId: 'k1',
    cells: [{ id: 'c2', cell_type: 'code', source: 'df.gr' }]
  };
});

describe('SparkInlineProvider', () => {
  it('syncs the notebook, asks with prefix/suffix/ids and streams the text so far', async () => {
    const t = setup();
    const list = await t.provider.fetch(request('df.gr)', 5), ctx(AUTOMATIC));
    expect(t.synced).toEqual([{ path: 'a.ipynb', cells: target.value.cells }]);
    expect(t.calls[0]).toEqual(asked('df.gr', ')'));
    const item = list.items[0];
    expect(item).toMatchObject({ insertText: '', isIncomplete: true });
    const streamed = drain(t.provider.stream(item.token!));
    t.handles[0].chunks.push('oup');
    await new Promise(r => setTimeout(r, 0));
    t.handles[0].finish('oupby(');
    const responses = await streamed;
    expect(responses[0].insertText).toBe('oup');
    expect(responses[responses.length - 1]).toEqual({ insertText: 'oupby(', isIncomplete: false });
    await new Promise(r => setTimeout(r, 0));
    expect(t.latency[0].serverTtftMs).toBe(4);
  });

  it('cancels the stale request when the user types on', async () => {
    const t = setup();
    await t.provider.fetch(request('df.g'), ctx(AUTOMATIC));
    await t.provider.fetch(request('df.gr'), ctx(AUTOMATIC));
    expect(t.cancelled).toEqual(['r1']);
  });

  it('stops streaming a superseded request (its text is relative to an older cursor)', async () => {
    const t = setup();
    const a = await t.provider.fetch(request('sales_d'), ctx(AUTOMATIC));
    const streamA = drain(t.provider.stream(a.items[0].token!));
    t.handles[0].chunks.push('f.desc');
    await new Promise(r => setTimeout(r, 0));
    await t.provider.fetch(request('sales_dx'), ctx(AUTOMATIC)); // not typing through it
    t.handles[0].finish('f.describe()');
    const seen = (await streamA).map(r => r.insertText);
    expect(seen).toEqual(['f.desc']);
  });

  it('drops keystrokes superseded during the trigger delay', async () => {
    const t = setup({ triggerDelay: 30 });
    const first = t.provider.fetch(request('d'), ctx(AUTOMATIC));
    const second = t.provider.fetch(request('df'), ctx(AUTOMATIC));
    expect((await first).items).toEqual([]);
    expect((await second).items).toHaveLength(1);
    expect(t.calls.map(c => c.prefix)).toEqual(['df']);
  });

  it('asks for a block on explicit invoke, even when suggestions while typing are off', async () => {
    const t = setup({ enabled: false });
    expect((await t.provider.fetch(request('x'), ctx(AUTOMATIC))).items).toEqual([]);
    await t.provider.fetch(request('def f():\n'), ctx(INVOKE));
    expect(t.calls).toHaveLength(1);
    expect(t.calls[0].mode).toBe('block');
  });

  it('sends the context budget when the user set one', async () => {
    const t = setup({ contextBudget: 512 });
    await t.provider.fetch(request('x'), ctx(AUTOMATIC));
    expect(t.calls[0].context_budget).toBe(512);
  });

  it('asks for ungrounded suggestions only when the user turned grounding off', async () => {
    const off = setup({ grounding: false });
    await off.provider.fetch(request('x'), ctx(AUTOMATIC));
    expect(off.calls[0].grounding).toBe(false);
    const on = setup();
    await on.provider.fetch(request('x'), ctx(AUTOMATIC));
    expect(on.calls[0].grounding).toBeUndefined();
  });

  it('leaves the project index out only when the user turned project context off', async () => {
    const off = setup({ projectContext: false });
    await off.provider.fetch(request('x'), ctx(AUTOMATIC));
    expect(off.calls[0].project).toBe(false);
    const on = setup();
    await on.provider.fetch(request('x'), ctx(AUTOMATIC));
    expect(on.calls[0].project).toBeUndefined();
  });

  it('skips markdown cells and does not sync a plain file', async () => {
    const t = setup();
    target.value = { ...target.value, cellType: 'markdown' };
    expect((await t.provider.fetch(request('# Ti'), ctx(AUTOMATIC))).items).toEqual([]);
    target.value = { path: 'script.py' };
    await t.provider.fetch(request('import o'), ctx(AUTOMATIC));
    expect(t.synced).toEqual([]);
    expect(t.calls[0].path).toBeUndefined();
  });

  it('shows server errors on the ghost text but stays quiet while the model loads', async () => {
    const t = setup();
    const a = await t.provider.fetch(request('x'), ctx(AUTOMATIC));
    const streamA = drain(t.provider.stream(a.items[0].token!));
    t.handles[0].fail(new SparkError('model_not_ready', 'loading'));
    expect(await streamA).toEqual([]);
    const b = await t.provider.fetch(request('xy'), ctx(AUTOMATIC));
    const streamB = drain(t.provider.stream(b.items[0].token!));
    t.handles[1].fail(new SparkError('model_error', 'the model failed to load'));
    expect(await streamB).toEqual([
      { insertText: '', isIncomplete: false, error: { message: 'the model failed to load' } }
    ]);
  });

  /** Fetch at `text`, stream the reply to its end with `answer`; the streamed texts. */
  async function shown(t: ReturnType<typeof setup>, text: string, answer: string) {
    const list = await t.provider.fetch(request(text), ctx(AUTOMATIC));
    const streamed = drain(t.provider.stream(list.items[0].token!));
    t.handles[t.handles.length - 1].finish(answer);
    return (await streamed).map(r => r.insertText);
  }

  it('answers a keystroke that types the start of the suggestion from it, with no request', async () => {
    const t = setup();
    expect(await shown(t, 'x = df', '.mean(axis=1)')).toContain('.mean(axis=1)');
    const list = await t.provider.fetch(request('x = df.me'), ctx(AUTOMATIC));
    expect(list.items).toEqual([{ insertText: 'an(axis=1)' }]);
    expect(t.calls).toHaveLength(1);
    expect(t.provider.remainderAt('x = df.mean(', '')).toBe('axis=1)');
    expect(t.provider.remainderAt('x = df', '')).toBe('.mean(axis=1)');
    // Typing something else asks the server again, and forgets the old suggestion.
    await t.provider.fetch(request('x = df.su'), ctx(AUTOMATIC));
    expect(t.calls.map(c => c.prefix)).toEqual(['x = df', 'x = df.su']);
    expect(t.provider.remainderAt('x = df.me', '')).toBeNull();
  });

  it('types through a suggestion still streaming by waiting for its end, not asking again', async () => {
    const t = setup();
    const a = await t.provider.fetch(request('total = '), ctx(AUTOMATIC));
    const streamA = drain(t.provider.stream(a.items[0].token!));
    t.handles[0].chunks.push('sum(');
    await new Promise(r => setTimeout(r, 0));
    const b = t.provider.fetch(request('total = su'), ctx(AUTOMATIC));
    t.handles[0].finish('sum(values)');
    expect((await b).items).toEqual([{ insertText: 'm(values)' }]);
    expect(await streamA).toEqual([{ insertText: 'sum(', isIncomplete: true }]);
    expect(t.calls).toHaveLength(1);
    expect(t.cancelled).toEqual([]);
  });

  it('waits for a suggestion still streaming when the user types to the end of its streamed part', async () => {
    // It may go on (then its rest shows) or end there (then it was taken whole); either way the
    // request it belongs to is not cancelled by a warm-ahead for the next line meanwhile.
    const t = setup();
    const a = await t.provider.fetch(request('total = '), ctx(AUTOMATIC));
    const streamA = drain(t.provider.stream(a.items[0].token!));
    t.handles[0].chunks.push('sum');
    await new Promise(r => setTimeout(r, 0));
    const b = t.provider.fetch(request('total = sum'), ctx(AUTOMATIC));
    await new Promise(r => setTimeout(r, 0));
    expect(t.warms).toEqual([]);
    t.handles[0].finish('sum(values)');
    expect((await b).items).toEqual([{ insertText: '(values)' }]);
    await streamA;
    expect(t.calls).toHaveLength(1);
    expect(t.cancelled).toEqual([]);

    const e = setup();
    const c = await e.provider.fetch(request('n = '), ctx(AUTOMATIC));
    const streamC = drain(e.provider.stream(c.items[0].token!));
    e.handles[0].chunks.push('len(xs)');
    await new Promise(r => setTimeout(r, 0));
    const d = e.provider.fetch(request('n = len(xs)'), ctx(AUTOMATIC));
    await new Promise(r => setTimeout(r, 0));
    expect(e.warms).toEqual([]);
    e.handles[0].finish('len(xs)');
    expect((await d).items).toEqual([]);
    await streamC;
    expect(e.warms.map(w => w.prefix)).toEqual(['n = len(xs)\n']);
    expect(e.calls).toHaveLength(1);
    expect(e.cancelled).toEqual([]);
  });

  it("answers our own invoke (fresh line, after a line accept) as typing; Alt-\\ asks anew", async () => {
    const t = setup();
    await shown(t, 'def f(df):\n    ', 'total = 0\n    return total');
    // After accepting the first line, the invoke the accept makes is answered from it.
    t.provider.expectInvoke('def f(df):\n    total = 0\n');
    const after = await t.provider.fetch(request('def f(df):\n    total = 0\n'), ctx(INVOKE));
    expect(after.items).toEqual([{ insertText: '    return total' }]);
    // The user's own Alt-\ at the same place asks the model, for a block.
    await t.provider.fetch(request('def f(df):\n    total = 0\n'), ctx(INVOKE));
    expect(t.calls.map(c => c.mode)).toEqual(['line', 'block']);
    // A fresh line inside a block asks for the rest of the block, at the top level a line.
    t.provider.expectInvoke('def g(xs):\n    ');
    await t.provider.fetch(request('def g(xs):\n    '), ctx(INVOKE));
    t.provider.expectInvoke('x = 1\n');
    await t.provider.fetch(request('x = 1\n', 6), ctx(INVOKE));
    expect(t.calls.map(c => c.mode)).toEqual(['line', 'block', 'block', 'line']);
    // The end of a cell at the top level: asked for only if the model is sure.
    t.provider.expectInvoke('x = 2\n', true);
    await t.provider.fetch(request('x = 2\n'), ctx(INVOKE));
    expect(t.calls.map(c => c.confident)).toEqual([undefined, undefined, undefined, undefined, true]);
  });

  it('asks the server for what follows once a suggestion is taken whole, and nothing else', async () => {
    const t = setup();
    await shown(t, 'x = df', '.mean(axis=1)');
    expect(t.warms).toEqual([]); // on screen only: the user may not take it
    const before = t.calls.length;
    // Tab (or typing to its end): the finished line needs no request, the next line is prepared
    const accepted = await t.provider.fetch(request('x = df.mean(axis=1)'), ctx(AUTOMATIC));
    expect(accepted.items).toEqual([]);
    expect(t.calls.length).toBe(before);
    // (for the fresh line after Enter; at the end of the cell, shown only if the model is sure)
    expect(t.warms).toEqual([
      { ...asked('x = df.mean(axis=1)\n', ''), ahead: true, confident: true }
    ]);
    // Enter: a real request (the server streams it from what it generated ahead)
    t.provider.expectInvoke('x = df.mean(axis=1)\n', true);
    await t.provider.fetch(request('x = df.mean(axis=1)\n'), ctx(INVOKE));
    expect(t.calls.length).toBe(before + 1);
    expect(t.warms.length).toBe(1);
    // Inside a block the next line gets a block, as the fresh-line trigger asks for one.
    const b = setup();
    await shown(b, 'def f(df):\n    total = df', '.sum()');
    await b.provider.fetch(request('def f(df):\n    total = df.sum()'), ctx(AUTOMATIC));
    expect(b.warms.map(w => [w.prefix, w.mode, w.ahead, w.confident])).toEqual([
      ['def f(df):\n    total = df.sum()\n    ', 'block', true, undefined]
    ]);
    // Setting off: no continuation asked for.
    const off = setup({ prefetch: false });
    await shown(off, 'x = df', '.mean(axis=1)');
    await off.provider.fetch(request('x = df.mean(axis=1)'), ctx(AUTOMATIC));
    expect(off.warms).toEqual([]);
  });

  it('does not answer our invoke when suggestions while typing are off', async () => {
    const t = setup({ enabled: false });
    t.provider.expectInvoke('def g(xs):\n    ');
    expect((await t.provider.fetch(request('def g(xs):\n    '), ctx(INVOKE))).items).toEqual([]);
    expect(t.calls).toEqual([]);
  });

  describe('warming the active cell', () => {
    const panel = (type = 'code') =>
      ({
        isDisposed: false,
        sessionContext: { session: null },
        content: {
          activeCell: {
            model: { type, sharedModel: { getSource: () => 'df.gr' } },
            editor: { getCursorPosition: () => ({ line: 0, column: 3 }), getOffsetAt: () => 3 }
          }
        }
      }) as any;

    it('sends a warm for the cell the user stays in, with the text around its cursor', () => {
      vi.useFakeTimers();
      try {
        const t = setup();
        t.provider.warmActiveCell(panel());
        t.provider.warmActiveCell(panel()); // Run All moves on: only the last one counts
        vi.advanceTimersByTime(WARM_DELAY_MS - 1);
        expect(t.warms).toEqual([]);
        vi.advanceTimersByTime(1);
        expect(t.warms).toEqual([asked('df.', 'gr')]);
        expect(t.synced).toEqual([{ path: 'a.ipynb', cells: target.value.cells }]);
      } finally {
        vi.useRealTimers();
      }
    });

    it('sends no warm after a keystroke (it would supersede that request), when off, or for markdown', async () => {
      vi.useFakeTimers();
      try {
        const t = setup();
        t.provider.warmActiveCell(panel());
        await t.provider.fetch(request('df.g'), ctx(AUTOMATIC));
        const off = setup({ enabled: false });
        off.provider.warmActiveCell(panel());
        const md = setup();
        md.provider.warmActiveCell(panel('markdown'));
        vi.advanceTimersByTime(10 * WARM_DELAY_MS);
        expect([t.warms, off.warms, md.warms]).toEqual([[], [], []]);
        expect(t.calls).toHaveLength(1);
      } finally {
        vi.useRealTimers();
      }
    });
  });
});
