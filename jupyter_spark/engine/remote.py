"""A remote OpenAI-compatible server as a completion backend (vLLM, llama.cpp's server, Ollama,
TGI, or `jupyter spark serve`).

A ``Backend`` (backend.py) like the embedded ``Engine``: ``complete(prefix, suffix, mode,
max_tokens)`` returns a ``Completion`` that yields the text so far. Everything that makes a
suggestion good stays here, whatever the backend: the prompt comes from the extension's
context builder, the line/block stop rules and suffix trimming are ours (the stream is closed
as soon as they say stop), typed-through keystrokes are answered without a request, and a
cancel closes the HTTP stream. Failures are typed (``BackendError.code``); after one, requests
fail fast until a backoff delay has passed, then the next request tries again; an embedded
engine may take over.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from .backend import Backend
from .completion import Cancelled, Completion, Recall, Stream
from .config import EngineConfig, estimate_tokens
from .grounded import Choices

# Tokens per suggestion when the caller gives no limit: the embedded engine's defaults.
MAX_TOKENS = {
    "line": EngineConfig.max_tokens_line,
    "block": EngineConfig.max_tokens_block,
    "raw": EngineConfig.max_tokens_line,
}


class BackendError(Exception):
    """``code``: backend_unavailable, backend_timeout, backend_busy or backend_error."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class RemoteConfig:
    """How to reach the server (each field is a SparkExtension option of the same meaning)."""

    url: str  # e.g. http://inference:8000 (the /v1 part is added)
    model: str = ""  # the server's model id; "" = the server's default
    api_key: str | None = None
    timeout: float = 10.0  # s without a byte from the server before backend_timeout
    connect_timeout: float = 2.0  # s to connect
    max_concurrent: int = 8  # requests in flight from this Jupyter server
    backoff_max: float = 30.0  # s: the longest wait between retries after failures


class RemoteBackend(Backend):
    """An OpenAI-compatible server behind the ``Backend`` interface (see the module's doc);
    ``warm`` and ``score`` are the interface's defaults (nothing to prefill, no scores)."""

    def __init__(self, config: RemoteConfig, fallback: Any = None) -> None:
        self.config = config
        parts = urllib.parse.urlsplit(config.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"remote_url must be an http(s) URL, not {config.url!r}")
        self._scheme, self._host, self._port = parts.scheme, parts.hostname, parts.port
        self._base = parts.path.rstrip("/")
        self.name = config.model or f"remote:{parts.hostname}"
        self.fallback = fallback  # an embedded Engine used while the remote is failing
        self._slots = threading.BoundedSemaphore(max(1, config.max_concurrent))
        self._lock = threading.Lock()
        self._failures = 0  # consecutive failed retries (sets the backoff delay)
        self._failed_at = 0.0  # monotonic time of the last counted failure
        self._retry_at = 0.0
        self.last_error: str | None = None
        self._recall = Recall()  # the last answer, for keystrokes that type through it

    # -- the Backend interface --------------------------------------------------------------

    def complete(
        self,
        prefix: str,
        suffix: str = "",
        mode: str = "line",
        max_tokens: int | None = None,
        choices: Choices | None = None,
        confident: bool = False,
    ) -> Completion:
        """Stream from the server; ``choices`` are sent as a grammar (see :func:`gbnf`).

        ``confident``: the server tells nothing of its confidence, so the answer is "unsure".
        """
        if confident:
            return Completion.answered("unsure", self.name)
        completion = Completion(iter(()))
        limit = max(1, int(max_tokens or MAX_TOKENS.get(mode, EngineConfig.max_tokens_line)))
        reused = self._recall.answer(completion, prefix, suffix, mode, self.name, choices)
        completion._gen = reused or self._generate(completion, prefix, suffix, mode, limit, choices)
        return completion

    def count_tokens(self, text: str) -> int:
        return estimate_tokens(text)  # no tokenizer at hand

    def status(self) -> dict[str, Any]:
        now = time.monotonic()
        return {
            "kind": "remote",
            "url": self.config.url,
            "model": self.config.model or None,
            "healthy": self._failures == 0,
            "last_error": self.last_error,
            "retry_in_s": round(max(0.0, self._retry_at - now), 1) if self._failures else 0.0,
            "fallback": self.fallback is not None,
            # How grounded completions reach this server: a GBNF grammar (llama.cpp's server,
            # llama-cpp-python); a server that ignores the field completes ungrounded.
            "grounding": "grammar",
        }

    def health(self) -> bool:
        """GET /v1/models once (for status and startup logs); records the outcome."""
        try:
            conn = self._connection(self.config.connect_timeout)
            conn.request("GET", self._base + "/v1/models", headers=self._headers())
            ok = conn.getresponse().status == 200
            conn.close()
        except OSError as e:
            self._failed(f"{type(e).__name__}: {e}")
            return False
        if ok:
            self._succeeded()
        return ok

    # -- internals ---------------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        h = {"Content-Type": "application/json", "Accept": "text/event-stream"}
        if self.config.api_key:
            h["Authorization"] = f"Bearer {self.config.api_key}"
        return h

    def _connection(self, timeout: float) -> http.client.HTTPConnection:
        cls = http.client.HTTPSConnection if self._scheme == "https" else http.client.HTTPConnection
        return cls(self._host, self._port, timeout=timeout)

    def _failed(self, message: str, started: float | None = None) -> None:
        """Record a failure; the backoff doubles once per failed *retry*, not per request.

        Requests already in flight when the first failure came in (``started`` before it, as
        when many users wait on an overloaded server and all time out together) fail for the
        same cause: counting each would turn one bad moment into the longest backoff.
        """
        with self._lock:
            self.last_error = message
            if self._failures and started is not None and started < self._failed_at:
                return
            self._failures += 1
            self._failed_at = time.monotonic()
            delay = min(self.config.backoff_max, 0.5 * 2 ** (self._failures - 1))
            self._retry_at = self._failed_at + delay

    def _succeeded(self) -> None:
        with self._lock:
            self._failures, self._retry_at, self.last_error = 0, 0.0, None

    def _generate(
        self,
        c: Completion,
        prefix: str,
        suffix: str,
        mode: str,
        max_tokens: int,
        choices: Choices | None = None,
    ) -> Iterator[str]:
        try:
            yield from self._stream(c, prefix, suffix, mode, max_tokens, choices)
        except BackendError:
            if self.fallback is None:
                raise
            inner = self.fallback.complete(prefix, suffix, mode, max_tokens, choices=choices)
            c.on_cancel(inner.cancel)
            yield from inner
            c.result = inner.result

    def _stream(
        self,
        c: Completion,
        prefix: str,
        suffix: str,
        mode: str,
        max_tokens: int,
        choices: Choices | None = None,
    ) -> Iterator[str]:
        out = Stream(prefix, suffix, mode)
        started = time.monotonic()
        wait = self._retry_at - time.monotonic()
        if self._failures and wait > 0:
            raise BackendError(
                "backend_unavailable",
                f"the inference server is failing ({self.last_error}); retrying in {wait:.1f} s",
            )
        if not self._slots.acquire(timeout=self.config.timeout):
            raise BackendError("backend_busy", "too many requests in flight to the server")
        conn: http.client.HTTPConnection | None = None
        chunks = 0
        try:
            body: dict[str, Any] = {
                "prompt": prefix,
                "max_tokens": max_tokens,
                "temperature": 0,
                "stream": True,
                "cache_prompt": True,  # llama.cpp: reuse the KV of the shared prompt prefix
            }
            if self.config.model:
                body["model"] = self.config.model
            if suffix:
                body["suffix"] = suffix
            if choices is not None and choices.texts:
                body["grammar"] = gbnf(choices)
            try:
                conn = self._connection(self.config.connect_timeout)
                conn.connect()
                conn.sock.settimeout(self.config.timeout)
                # cancel() from another thread closes the socket: a blocked read ends at once.
                c.on_cancel(_shutdown(conn.sock))
                conn.request(
                    "POST", self._base + "/v1/completions", json.dumps(body), self._headers()
                )
                resp = conn.getresponse()
            except TimeoutError as e:
                self._failed(f"timeout: {e}", started)
                raise BackendError("backend_timeout", "the inference server did not answer") from e
            except OSError as e:
                if c.cancelled:
                    raise Cancelled from None
                self._failed(f"{type(e).__name__}: {e}", started)
                raise BackendError(
                    "backend_unavailable", f"cannot reach the inference server: {e}"
                ) from e
            if resp.status != 200:
                detail = resp.read(2000).decode("utf-8", "replace")
                self._failed(f"HTTP {resp.status}", started)
                raise BackendError(
                    "backend_error", f"the inference server said {resp.status}: {detail}"
                )
            try:
                for delta, finish in _sse_deltas(resp):
                    if c.cancelled:
                        raise Cancelled
                    if delta:
                        chunks += 1
                        out.first_token()
                        if out.grow(out.text + delta):
                            break
                        if (new := out.fresh()) is not None:
                            yield new
                    if finish:
                        out.reason = "max_tokens" if finish == "length" else "eos"
                        break
                else:
                    # Neither a finish reason nor [DONE]: the server died or dropped us mid-way.
                    # What came so far is not a completion the server vouches for.
                    if not c.cancelled:
                        self._failed("stream ended early", started)
                        raise BackendError(
                            "backend_unavailable",
                            "the inference server closed the stream before it finished",
                        )
            except TimeoutError as e:
                self._failed(f"timeout: {e}", started)
                raise BackendError(
                    "backend_timeout", "the inference server stopped answering"
                ) from e
            except OSError as e:
                if c.cancelled:
                    raise Cancelled from None
                self._failed(f"{type(e).__name__}: {e}", started)
                raise BackendError("backend_unavailable", f"the stream broke: {e}") from e
            if c.cancelled:  # the shut-down socket reads as a clean end of stream
                raise Cancelled
            self._succeeded()
        except Cancelled:
            out.reason = "cancelled"
        finally:
            if conn is not None:
                conn.close()  # ends the server's generation too
            self._slots.release()
        rest = out.settle()
        if rest is not None:
            yield rest
        self._recall.kept(out, prefix, suffix)
        c.result = out.result(
            self.name,
            tokens=chunks,
            prompt_tokens=self.count_tokens(prefix),
            grounded=choices.site if choices is not None and choices.texts else "",
        )


def _shutdown(sock: socket.socket) -> Callable[[], None]:
    """A cancel hook that shuts ``sock`` down (a no-op once it is closed)."""

    def hook() -> None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)

    return hook


def _sse_deltas(resp: http.client.HTTPResponse) -> Iterator[tuple[str, str | None]]:
    """(text delta, finish_reason) per server-sent event of an OpenAI completions stream.

    ``[DONE]`` reads as a finish reason of its own ("done"), so a stream that simply stops is
    told apart from one the server ended."""
    while True:
        line = resp.readline()
        if not line:
            return
        line = line.strip()
        if not line.startswith(b"data:"):
            continue
        data = line[5:].strip()
        if data == b"[DONE]":
            yield "", "done"
            return
        try:
            event = json.loads(data)
            choice = event["choices"][0]
        except (ValueError, KeyError, IndexError, TypeError):
            continue  # a keep-alive or a field we do not know
        yield str(choice.get("text") or ""), choice.get("finish_reason")


def gbnf(choices: Choices) -> str:
    """A GBNF grammar (llama.cpp's server) for "one of the choices, then anything".

    After a choice that ends in a word character, the next character must not continue the
    word, as in the embedded engine's grounded decoding.
    """

    def literal(text: str) -> str:
        escaped = text.replace("\\", "\\\\").replace('"', '\\"')
        return '"' + escaped.replace("\n", "\\n").replace("\r", "\\r") + '"'

    ends_word = (
        [t for t in choices.texts if t[-1:].isalnum() or t[-1:] == "_"] if choices.word else []
    )
    ends_free = [t for t in choices.texts if t not in ends_word]
    rules = ["rest ::= [^\\x00]*"]
    alts = []
    if ends_word:
        alts.append("word")
        rules.append("word ::= (" + " | ".join(literal(t) for t in ends_word) + ") after")
        rules.append("after ::= ([^a-zA-Z0-9_] rest)?")
    if ends_free:
        alts.append("free")
        rules.append("free ::= (" + " | ".join(literal(t) for t in ends_free) + ") rest")
    return "root ::= " + " | ".join(alts) + "\n" + "\n".join(rules) + "\n"
