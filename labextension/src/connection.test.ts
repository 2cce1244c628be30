import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ISocketLike, LatestValueStream, SparkConnection, SparkError } from './connection';

/** A socket the test drives: it records what the client sends and plays the server. */
class FakeSocket implements ISocketLike {
  static all: FakeSocket[] = [];
  readyState = 0;
  sent: any[] = [];
  onopen: ((ev: any) => void) | null = null;
  onclose: ((ev: any) => void) | null = null;
  onerror: ((ev: any) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  constructor(readonly url: string) {
    FakeSocket.all.push(this);
  }
  send(data: string) {
    this.sent.push(JSON.parse(data));
  }
  close() {
    this.readyState = 3;
    this.onclose?.({});
  }
  open() {
    this.readyState = 1;
    this.onopen?.({});
  }
  reply(msg: object) {
    this.onmessage?.({ data: JSON.stringify(msg) });
  }
}

const connect = () =>
  new SparkConnection({
    url: 'ws://host/spark/ws',
    socketFactory: url => new FakeSocket(url),
    backoff: attempt => 100 * (attempt + 1),
    requestTimeoutMs: 1000
  });

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const v of it) {
    out.push(v);
  }
  return out;
}

beforeEach(() => {
  FakeSocket.all = [];
  vi.useFakeTimers();
});
afterEach(() => vi.useRealTimers());

describe('SparkConnection', () => {
  it('sends a warm as its own request and drops its reply, leaving other requests alone', async () => {
    const conn = connect();
    const sock = FakeSocket.all[0];
    sock.open();
    const h = conn.complete({ prefix: 'x = 1', suffix: '' });
    conn.warm({ prefix: 'df.', suffix: '', path: 'a.ipynb', cell_id: 'c2', kernel_id: 'k' });
    const [complete, warm] = sock.sent;
    expect(warm).toEqual({
      type: 'warm',
      id: warm.id,
      prefix: 'df.',
      suffix: '',
      path: 'a.ipynb',
      cell_id: 'c2',
      kernel_id: 'k'
    });
    expect(warm.id).not.toBe(complete.id);
    const stats = { stop_reason: 'warm', tokens: 0 };
    sock.reply({ type: 'done', id: warm.id, text: '', cancelled: false, stats });
    sock.reply({ type: 'done', id: complete.id, text: ' + 1', cancelled: false, stats: {} });
    expect(await collect(h.chunks)).toEqual([' + 1']);
  });

  it('queues requests until the socket opens, then streams chunks and done', async () => {
    const conn = connect();
    const sock = FakeSocket.all[0];
    const h = conn.complete({ prefix: 'df.gr', suffix: '', mode: 'line' });
    expect(sock.sent).toEqual([]);
    sock.open();
    expect(sock.sent).toEqual([
      { type: 'complete', id: h.id, prefix: 'df.gr', suffix: '', mode: 'line' }
    ]);
    const seen = collect(h.chunks);
    sock.reply({ type: 'chunk', id: h.id, text: 'ou' });
    await Promise.resolve();
    sock.reply({ type: 'chunk', id: h.id, text: 'oupby(' });
    sock.reply({ type: 'done', id: h.id, text: 'oupby(', cancelled: false, stats: { ttft_ms: 5 } });
    const texts = await seen;
    expect(texts[0]).toBe('ou');
    expect(texts[texts.length - 1]).toBe('oupby(');
    expect((await h.done).stats.ttft_ms).toBe(5);
  });

  it('sends cancel for a live request only', async () => {
    const conn = connect();
    const sock = FakeSocket.all[0];
    sock.open();
    const h = conn.complete({ prefix: 'x', suffix: '' });
    h.cancel();
    expect(sock.sent[1]).toEqual({ type: 'cancel', id: h.id });
    sock.reply({ type: 'done', id: h.id, text: '', cancelled: true, stats: {} });
    await h.done;
    h.cancel();
    expect(sock.sent).toHaveLength(2);
  });

  it('turns a server error into a typed SparkError on the stream', async () => {
    const conn = connect();
    const sock = FakeSocket.all[0];
    sock.open();
    const h = conn.complete({ prefix: 'x', suffix: '' });
    sock.reply({ type: 'error', id: h.id, code: 'model_not_ready', message: 'loading' });
    await expect(collect(h.chunks)).rejects.toMatchObject({ code: 'model_not_ready' });
    await expect(h.done).rejects.toBeInstanceOf(SparkError);
  });

  it('fails requests in flight on disconnect and reconnects with backoff', async () => {
    const conn = connect();
    let reconnects = 0;
    conn.onReconnect = () => reconnects++;
    const first = FakeSocket.all[0];
    first.open();
    const h = conn.complete({ prefix: 'x', suffix: '' });
    first.close();
    await expect(h.done).rejects.toMatchObject({ code: 'disconnected' });
    expect(FakeSocket.all).toHaveLength(1);
    vi.advanceTimersByTime(99);
    expect(FakeSocket.all).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(FakeSocket.all).toHaveLength(2);
    FakeSocket.all[1].close(); // fails again: the next delay is longer
    vi.advanceTimersByTime(199);
    expect(FakeSocket.all).toHaveLength(2);
    vi.advanceTimersByTime(1);
    const third = FakeSocket.all[2];
    third.open();
    expect(reconnects).toBe(1);
    const h2 = conn.complete({ prefix: 'y', suffix: '' });
    expect(third.sent[0]).toMatchObject({ type: 'complete', id: h2.id, prefix: 'y' });
    conn.dispose();
  });

  it('answers fix requests and times them out', async () => {
    const conn = connect();
    const sock = FakeSocket.all[0];
    sock.open();
    const p = conn.fix({ source: 'print(dff)', error: { ename: 'NameError', evalue: 'x', traceback: [] } });
    const req = sock.sent[0];
    expect(req).toMatchObject({ type: 'fix', source: 'print(dff)' });
    const fix = { title: 'Use df', explanation: '', kind: 'error', new_source: 'print(df)', edits: [], confidence: 0.9 };
    sock.reply({ type: 'fixes', id: req.id, fixes: [fix] });
    expect(await p).toEqual([fix]);

    const slow = conn.fix({ source: 'x' });
    vi.advanceTimersByTime(1000);
    await expect(slow).rejects.toMatchObject({ code: 'timeout' });
  });

  it('answers diagnose requests; an error reply or a lost socket rejects', async () => {
    const conn = connect();
    const sock = FakeSocket.all[0];
    sock.open();
    const p = conn.diagnose({ source: 'print(nope)', path: 'a.ipynb', cell_id: 'c2' });
    const req = sock.sent[0];
    expect(req).toEqual({ type: 'diagnose', id: req.id, source: 'print(nope)', path: 'a.ipynb', cell_id: 'c2' });
    const item = { message: 'Undefined name `nope`', code: 'F821', start: [0, 6], end: [0, 10], fixes: [] };
    sock.reply({ type: 'diagnostics', id: req.id, items: [item] });
    expect(await p).toEqual([item]);

    const bad = conn.diagnose({ source: 'x' });
    sock.reply({ type: 'error', id: sock.sent[1].id, code: 'too_large', message: 'big' });
    await expect(bad).rejects.toMatchObject({ code: 'too_large' });
    const lost = conn.diagnose({ source: 'x' });
    sock.close();
    await expect(lost).rejects.toMatchObject({ code: 'disconnected' });
    conn.dispose();
  });

  it('reports errors that belong to no request, and ignores garbage', () => {
    const conn = connect();
    const sock = FakeSocket.all[0];
    sock.open();
    const seen: string[] = [];
    conn.onUnsolicitedError = code => seen.push(code);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    sock.onmessage?.({ data: 'garbage' });
    sock.reply({ type: 'error', code: 'unknown_notebook', message: 'sync first' });
    expect(seen).toEqual(['unknown_notebook']);
    expect(warn).toHaveBeenCalledTimes(1);
    warn.mockRestore();
  });
});

describe('LatestValueStream', () => {
  it('coalesces values the reader has not taken yet', async () => {
    const s = new LatestValueStream<string>();
    s.push('a');
    s.push('ab');
    s.push('abc');
    s.end();
    expect(await collect(s)).toEqual(['abc']);
  });
});
