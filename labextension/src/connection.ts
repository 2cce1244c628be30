/**
 * One websocket per browser tab to `spark/ws`: request ids, streaming of completions,
 * cancellation, request/reply for fixes and diagnostics, and reconnection with backoff.
 *
 * The socket is injected (`socketFactory`) so the logic is tested in node with a fake socket;
 * in JupyterLab it is the browser's `WebSocket` on the server's authenticated URL.
 */
import {
  backoffDelay,
  ClientMessage,
  ICompleteRequest,
  IDiagnoseRequest,
  IDiagnosticItem,
  IDone,
  IFix,
  IFixRequest,
  ISyncRequest,
  parseServerMessage,
  ServerMessage
} from './protocol';
import { REQUEST_TIMEOUT_MS } from './timing';
import type { ISparkConnection } from './tokens';

/** The part of the browser WebSocket this module uses. */
export interface ISocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(): void;
  onopen: ((ev: any) => void) | null;
  onclose: ((ev: any) => void) | null;
  onerror: ((ev: any) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
}

export type SocketFactory = (url: string) => ISocketLike;

const OPEN = 1;

/** A request that failed: `code` is the server's error code, or `disconnected` / `timeout`. */
export class SparkError extends Error {
  constructor(
    readonly code: string,
    message: string
  ) {
    super(message);
    this.name = 'SparkError';
  }
}

/**
 * An async iterable of "whole text so far" values. Values that arrive faster than the consumer
 * reads are coalesced to the newest, which is all a ghost-text renderer needs.
 */
export class LatestValueStream<T> implements AsyncIterable<T> {
  private _value: { v: T } | null = null;
  private _ended = false;
  private _error: Error | null = null;
  private _wake: (() => void) | null = null;

  push(value: T): void {
    if (!this._ended) {
      this._value = { v: value };
      this._notify();
    }
  }

  end(error?: Error): void {
    if (!this._ended) {
      this._ended = true;
      this._error = error ?? null;
      this._notify();
    }
  }

  get ended(): boolean {
    return this._ended;
  }

  private _notify(): void {
    const wake = this._wake;
    this._wake = null;
    wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T> {
    for (;;) {
      if (this._value) {
        const { v } = this._value;
        this._value = null;
        yield v;
        continue;
      }
      if (this._ended) {
        if (this._error) {
          throw this._error;
        }
        return;
      }
      await new Promise<void>(resolve => (this._wake = resolve));
    }
  }
}

/** A streaming completion: text so far on `chunks`, the final reply on `done`. */
export interface ICompletionHandle {
  readonly id: string;
  readonly chunks: LatestValueStream<string>;
  readonly done: Promise<IDone>;
  cancel(): void;
}

interface IPending {
  onMessage(msg: ServerMessage): boolean; // true when this was the request's last message
  fail(error: SparkError): void;
}

export interface IConnectionOptions {
  url: string;
  socketFactory?: SocketFactory;
  /** Delay before reconnect attempt n (0-based). */
  backoff?: (attempt: number) => number;
  /** How long a fix or diagnose request may take before it fails with `timeout`. */
  requestTimeoutMs?: number;
}

export type CompleteParams = Omit<ICompleteRequest, 'type' | 'id'>;
export type FixParams = Omit<IFixRequest, 'type' | 'id'>;
export type DiagnoseParams = Omit<IDiagnoseRequest, 'type' | 'id'>;

export class SparkConnection implements ISparkConnection {
  constructor(options: IConnectionOptions) {
    this._url = options.url;
    this._factory = options.socketFactory ?? (url => new WebSocket(url) as unknown as ISocketLike);
    this._backoff = options.backoff ?? backoffDelay;
    this._requestTimeoutMs = options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
    this._connect();
  }

  /** Called after every (re)connection: the server may have lost what was synced. */
  onReconnect: (() => void) | null = null;
  /** Server errors that belong to no request (e.g. `unknown_notebook` for a sync). */
  onUnsolicitedError: ((code: string, message: string) => void) | null = null;

  get isOpen(): boolean {
    return this._socket?.readyState === OPEN;
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  complete(params: CompleteParams): ICompletionHandle {
    const id = this._nextId();
    const chunks = new LatestValueStream<string>();
    let resolveDone!: (d: IDone) => void;
    let rejectDone!: (e: Error) => void;
    const done = new Promise<IDone>((res, rej) => {
      resolveDone = res;
      rejectDone = rej;
    });
    done.catch(() => undefined); // a consumer of `chunks` alone sees the error there
    this._pending.set(id, {
      onMessage: msg => {
        if (msg.type === 'chunk') {
          chunks.push(msg.text);
          return false;
        }
        if (msg.type === 'done') {
          chunks.push(msg.text);
          chunks.end();
          resolveDone(msg);
          return true;
        }
        if (msg.type === 'error') {
          const err = new SparkError(msg.code, msg.message);
          chunks.end(err);
          rejectDone(err);
          return true;
        }
        return false;
      },
      fail: err => {
        chunks.end(err);
        rejectDone(err);
      }
    });
    this._send({ type: 'complete', id, ...params });
    return {
      id,
      chunks,
      done,
      cancel: () => {
        if (this._pending.has(id)) {
          this._send({ type: 'cancel', id });
        }
      }
    };
  }

  sync(message: ISyncRequest): void {
    this._send(message);
  }

  /**
   * Have the server prefill the prompt of `params` now (no text comes back), so the next
   * keystroke there finds it cached. Fire and forget: the server's `done` for it is dropped
   * like any reply to no pending request, and a later request of this socket supersedes it.
   */
  warm(params: CompleteParams): void {
    this._send({ type: 'warm', id: this._nextId(), ...params });
  }

  /** Ask for fixes of a cell; ranked best first. */
  fix(params: FixParams): Promise<IFix[]> {
    return this._request(
      id => ({ type: 'fix', id, ...params }),
      msg => (msg.type === 'fixes' ? msg.fixes : undefined)
    );
  }

  /** Ask for ruff's findings on a cell (there is nothing to cancel: the server takes ms). */
  diagnose(params: DiagnoseParams): Promise<IDiagnosticItem[]> {
    return this._request(
      id => ({ type: 'diagnose', id, ...params }),
      msg => (msg.type === 'diagnostics' ? msg.items : undefined)
    );
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    clearTimeout(this._retryTimer);
    this._failAll(new SparkError('disconnected', 'the connection was closed'));
    this._socket?.close();
    this._socket = null;
  }

  private _nextId(): string {
    return `r${++this._counter}`;
  }

  /**
   * Send one request and settle with its single reply: `answer` picks the value out of the
   * expected message type; an `error` reply, a lost socket or the timeout reject.
   */
  private _request<T>(
    build: (id: string) => ClientMessage,
    answer: (msg: ServerMessage) => T | undefined
  ): Promise<T> {
    const id = this._nextId();
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (this._pending.delete(id)) {
          reject(new SparkError('timeout', 'the server did not answer in time'));
        }
      }, this._requestTimeoutMs);
      this._pending.set(id, {
        onMessage: msg => {
          const value = answer(msg);
          if (value !== undefined) {
            clearTimeout(timer);
            resolve(value);
            return true;
          }
          if (msg.type === 'error') {
            clearTimeout(timer);
            reject(new SparkError(msg.code, msg.message));
            return true;
          }
          return false;
        },
        fail: err => {
          clearTimeout(timer);
          reject(err);
        }
      });
      this._send(build(id));
    });
  }

  private _send(message: ClientMessage): void {
    const data = JSON.stringify(message);
    if (this.isOpen) {
      this._socket!.send(data);
    } else {
      this._queue.push(data); // sent on open, in order
    }
  }

  private _connect(): void {
    if (this._disposed) {
      return;
    }
    const socket = this._factory(this._url);
    this._socket = socket;
    socket.onopen = () => {
      const reconnect = this._everOpened;
      this._everOpened = true;
      this._attempt = 0;
      if (reconnect) {
        this.onReconnect?.();
      }
      const queued = this._queue;
      this._queue = [];
      for (const data of queued) {
        socket.send(data);
      }
    };
    socket.onmessage = ev => this._onMessage(ev.data);
    socket.onerror = () => undefined; // onclose follows and does the work
    socket.onclose = () => {
      if (this._socket !== socket) {
        return;
      }
      this._socket = null;
      // Requests in flight are lost with the socket; queued syncs would be stale after a
      // reconnect (the client resyncs whole notebooks then), so neither is replayed.
      this._queue = [];
      this._failAll(new SparkError('disconnected', 'lost the connection to the server'));
      if (!this._disposed) {
        const delay = this._backoff(this._attempt++);
        this._retryTimer = setTimeout(() => this._connect(), delay);
      }
    };
  }

  private _onMessage(data: unknown): void {
    const msg = parseServerMessage(data);
    if (!msg) {
      console.warn('jupyter-spark: ignored a malformed message from the server');
      return;
    }
    const id = 'id' in msg ? msg.id : undefined;
    const pending = id !== undefined ? this._pending.get(id) : undefined;
    if (!pending) {
      if (msg.type === 'error' && id === undefined) {
        this.onUnsolicitedError?.(msg.code, msg.message);
      }
      return; // a reply to a request that was already settled (e.g. timed out)
    }
    if (pending.onMessage(msg)) {
      this._pending.delete(id!);
    }
  }

  private _failAll(error: SparkError): void {
    const pending = [...this._pending.values()];
    this._pending.clear();
    for (const p of pending) {
      p.fail(error);
    }
  }

  private readonly _url: string;
  private readonly _factory: SocketFactory;
  private readonly _backoff: (attempt: number) => number;
  private readonly _requestTimeoutMs: number;
  private readonly _pending = new Map<string, IPending>();
  private _socket: ISocketLike | null = null;
  private _queue: string[] = [];
  private _counter = 0;
  private _attempt = 0;
  private _everOpened = false;
  private _disposed = false;
  private _retryTimer: ReturnType<typeof setTimeout> | undefined = undefined;
}
