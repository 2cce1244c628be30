"""A small OpenAI-compatible server over the embedded engine: ``GET /v1/models`` and
``POST /v1/completions`` (with and without ``stream``; ``suffix`` for fill-in-the-middle), plus
llama.cpp's ``POST /infill`` and ``GET /health`` for the editors that speak it (llama.vim,
llama.vscode; see infill.py).

Greedy decoding only (``temperature`` is accepted and ignored); ``stop`` strings cut the text
and end generation; the engine's stop rules are off ("raw" mode): the client decides where a
suggestion ends. Inference runs on one worker thread, so concurrent requests queue on the warm
engine and the IO loop keeps answering; a client that disconnects cancels its generation.
Binds to 127.0.0.1 unless told otherwise; with an API key, every request must carry
``Authorization: Bearer <key>`` (the scheme in any case).

Untrusted input has one boundary per endpoint, the handler's ``post``: every failure is a JSON error
body (400 for a bad request, 413 for a body over ``MAX_BODY``, 500 logged for ours). A prompt is
cut to what the model could see (``max_context`` tokens, ``MAX_CHARS_PER_TOKEN`` characters
each) before it is tokenized, so a huge one does not hold the IO loop.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from tornado import web
from tornado.httpserver import HTTPServer
from tornado.iostream import StreamClosedError

from ..context.config import MAX_CHARS_PER_TOKEN
from ..engine.config import MAX_TOKENS_LIMIT
from ..server.protocol import MAX_MESSAGE_BYTES, text_problem
from . import infill

log = logging.getLogger("jupyter_spark.serve")

# The largest request body accepted (bytes): the Jupyter extension's message limit.
MAX_BODY = MAX_MESSAGE_BYTES
# A body up to this is read (and dropped past MAX_BODY) to answer it with a JSON 413; a larger
# declared Content-Length is answered at once.
MAX_BODY_READ = 64 * 1024 * 1024
DEFAULT_MAX_TOKENS = 16  # OpenAI's default for /v1/completions


class _Base(web.RequestHandler):
    def initialize(
        self,
        engine: Any,
        executor: ThreadPoolExecutor,
        api_key: str | None,
        layout: tuple[str | None, str | None] = (None, None),
    ) -> None:
        self.engine, self.executor, self.api_key = engine, executor, api_key
        self.layout = layout  # the model's repo-name and file-separator tokens (for /infill)

    def prepare(self) -> None:
        if self.api_key:
            scheme, _, given = self.request.headers.get("Authorization", "").partition(" ")
            ok = scheme.lower() == "bearer" and hmac.compare_digest(
                given.strip().encode("utf-8", "surrogateescape"), self.api_key.encode()
            )
            if not ok:
                self.fail(401, "invalid_api_key", "a valid API key is required")

    def fail(self, status: int, code: str, message: str) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(self.error_body(status, code, message)))

    def error_body(self, status: int, code: str, message: str) -> dict[str, Any]:
        """OpenAI's error shape: a string code."""
        return {"error": {"message": message, "type": code, "code": code}}

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        self.fail(status_code, "server_error", self._reason)


class ModelsHandler(_Base):
    def get(self) -> None:
        self.set_header("Content-Type", "application/json")
        model = {"id": self.engine.name, "object": "model", "created": 0, "owned_by": "local"}
        self.finish(json.dumps({"object": "list", "data": [model]}))


class HealthHandler(web.RequestHandler):
    """GET /health, llama.cpp's liveness probe (llama.vscode checks it): no API key, as there;
    the model is loaded before the server listens, so it is "ok" whenever it answers."""

    def get(self) -> None:
        self.set_header("Content-Type", "application/json")
        self.finish('{"status":"ok"}')


class NotFoundHandler(_Base):
    """Any other path (``/v1/chat/completions`` too: this serves a code model's completions
    only): a JSON 404 with a code, as OpenAI clients expect, after the API key check."""

    def prepare(self) -> None:
        super().prepare()
        if not self._finished:
            self.fail(404, "not_found", f"no such endpoint: {self.request.path[:200]}")


@web.stream_request_body
class _JsonPost(_Base):
    """A POST whose JSON body is streamed in, so one over MAX_BODY is answered with a JSON 413
    (tornado's own limit would cut the connection with an empty 400); a client that
    disconnects cancels the running completion."""

    _completion: Any = None

    def prepare(self) -> None:
        super().prepare()
        if self._finished:
            return
        self._chunks: list[bytes] = []
        self._size = 0
        declared = self.request.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > MAX_BODY_READ:
            self._too_large(int(declared))
            return
        self.request.connection.set_max_body_size(MAX_BODY_READ)

    def data_received(self, chunk: bytes) -> None:
        self._size += len(chunk)
        if self._size <= MAX_BODY:
            self._chunks.append(chunk)
        else:
            self._chunks = []

    def _too_large(self, size: int) -> None:
        self.fail(413, "invalid_request_error", f"request body of {size} bytes; limit {MAX_BODY}")

    def on_connection_close(self) -> None:
        if self._completion is not None:
            self._completion.cancel()

    async def post(self) -> None:
        if self._size > MAX_BODY:
            self._too_large(self._size)
            return
        try:
            req = self.parse(b"".join(self._chunks))
        except ValueError as e:
            self.fail(400, "invalid_request_error", str(e))
            return
        try:
            await self.answer(req)
        except Exception as e:  # ours: logged, answered (if nothing was sent yet), not a hang
            log.error("jupyter spark serve: a completion failed", exc_info=e)
            if not self._finished and not self._headers_written:
                self.fail(500, "server_error", f"{type(e).__name__}: {e}"[:500])

    def parse(self, body: bytes) -> Any:
        raise NotImplementedError

    async def answer(self, req: Any) -> None:
        raise NotImplementedError

    def _start(self, completion: Any, check: Check) -> tuple[asyncio.Future, asyncio.Queue]:
        """Run ``completion`` on the inference thread through ``check`` (see _drive); returns
        the future of (text, stop) and the queue of text deltas (None once done)."""
        self._completion = completion
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[str | None] = asyncio.Queue()

        def push(delta: str) -> None:
            loop.call_soon_threadsafe(queue.put_nowait, delta)

        future = loop.run_in_executor(self.executor, _drive, completion, check, push)
        future.add_done_callback(lambda _: loop.call_soon_threadsafe(queue.put_nowait, None))
        return future, queue

    async def _stream(self, queue: asyncio.Queue, event: Callable[[str], str]) -> bool:
        """Send each delta as an SSE ``data:`` event; False if the client went away."""
        # Small events must leave at once (Nagle would hold each ~40 ms).
        self.request.connection.stream.set_nodelay(True)
        self.set_header("Content-Type", "text/event-stream")
        self.set_header("Cache-Control", "no-cache")
        try:
            while (delta := await queue.get()) is not None:
                self.write(f"data: {event(delta)}\n\n")
                await self.flush()
        except StreamClosedError:
            self._completion.cancel()
            return False
        return True


# (text so far) -> (text to keep, why generation must stop or None); runs on the inference thread.
Check = Callable[[str], tuple[str, str | None]]


def _drive(completion: Any, check: Check, push: Callable[[str], None]) -> tuple[str, str | None]:
    """Generate; text deltas go to ``push``; returns (text, why ``check`` stopped it or None).

    The completion is always iterated to its end (a cancel ends it at the next token): the
    engine's generator holds the engine's lock while it runs, so one left suspended after a
    stop would hold every later request until collected."""
    sent, why = "", None
    for text in completion:
        if why is not None:
            continue  # draining after the cancel
        text, why = check(text)
        if why is not None:
            completion.cancel()
        if text.startswith(sent) and len(text) > len(sent):
            push(text[len(sent) :])
            sent = text
    return sent, why


class CompletionsHandler(_JsonPost):
    """POST /v1/completions (OpenAI's legacy completions; ``suffix`` makes it FIM)."""

    def parse(self, body: bytes) -> dict[str, Any]:
        return parse_request(body)

    async def answer(self, req: dict[str, Any]) -> None:
        # What the model could see: the prompt's end and the suffix's head, cut by characters
        # before the engine tokenizes them (its own left cut keeps max_context tokens).
        room = self.engine.config.max_context * MAX_CHARS_PER_TOKEN
        prompt, suffix = req["prompt"][-room:], req["suffix"][:room]
        completion = self.engine.complete(prompt, suffix, "raw", req["max_tokens"])
        stops: list[str] = req["stop"]

        def check(text: str) -> tuple[str, str | None]:
            cut = _cut_at_stop(text, stops)
            return (text, None) if cut is None else (cut, "stop")

        future, queue = self._start(completion, check)
        base = {
            "id": f"cmpl-{uuid.uuid4().hex[:24]}",
            "object": "text_completion",
            "created": int(time.time()),
            "model": self.engine.name,
        }
        if req["stream"]:
            event = lambda delta: json.dumps({**base, "choices": [_choice(delta, None)]})  # noqa: E731
            if not await self._stream(queue, event):
                return
        try:
            text, stopped = await future
        except Exception as e:  # the engine failed: an error, not a hang
            if not self._finished:
                self.fail(500, "server_error", f"{type(e).__name__}: {e}")
            return
        r = completion.result
        eos = r is not None and r.stop_reason == "eos"
        finish = "stop" if stopped or eos else "length"
        if req["stream"]:
            try:
                self.write(_event({**base, "choices": [_choice("", finish)]}))
                self.write("data: [DONE]\n\n")
                self.finish()
            except StreamClosedError:
                pass
            return
        # Tokens of the text returned (the engine's own count includes a healed prompt tail).
        usage = {
            "prompt_tokens": r.prompt_tokens if r else 0,
            "completion_tokens": len(self.engine.encode(text)) if text else 0,
        }
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({**base, "choices": [_choice(text, finish)], "usage": usage}))


class InfillHandler(_JsonPost):
    """POST /infill, llama.cpp's fill-in-the-middle endpoint (request, limits and reply: see
    infill.py). ``n_predict: 0`` only processes the prompt, so the next request finds it in the
    KV cache (what llama.vim and llama.vscode send when their extra context changes)."""

    def error_body(self, status: int, code: str, message: str) -> dict[str, Any]:
        """llama.cpp's error shape: the HTTP status as the code, the kind as the type."""
        kind = {401: "authentication_error", 404: "not_found_error"}.get(status, code)
        if status >= 500:
            kind = "server_error"
        return {"error": {"code": status, "message": message, "type": kind}}

    def parse(self, body: bytes) -> infill.InfillRequest:
        return infill.parse_infill(_json_body(body))

    async def answer(self, req: infill.InfillRequest) -> None:
        engine = self.engine
        room = engine.config.max_context * MAX_CHARS_PER_TOKEN
        before = infill.pack_extra(req.extra, *self.layout) + req.prefix
        prefix, suffix = before[-room:], req.suffix[:room]
        # A prompt-only request is cut as the usual request after it will be (same budget).
        n_predict = req.n_predict or infill.DEFAULT_N_PREDICT
        limit = infill.predict_limit(n_predict, engine.session.max_context)
        if req.n_predict == 0:
            # The requests after it carry a suffix: prefill the layout they will have.
            if not suffix.strip() and _fim_first(engine):
                suffix = infill.WARM_SUFFIX
            completion = engine.warm(prefix, suffix, "raw", limit)
        else:
            completion = engine.complete(prefix, suffix, "raw", limit)
        limits = infill.Limits(req)
        started: list[float] = []  # when the first text came: the generation's start

        def check(text: str) -> tuple[str, str | None]:
            now = time.perf_counter()
            if not started:
                started.append(now)
            return limits.check(text, (now - started[0]) * 1000)

        future, queue = self._start(completion, check)
        if req.stream:
            partial = {"index": 0, "tokens": [], "stop": False, "id_slot": -1}
            event = lambda delta: infill.dumps({**partial, "content": delta})  # noqa: E731
            if not await self._stream(queue, event):
                return
        text, why = await future
        reply = infill.final_reply(
            req,
            text,
            why,
            completion.result,
            stopping_word=limits.stopping_word,
            truncated=await self._truncated(before, room, completion.result, limit),
            model=engine.name,
            n_ctx=engine.session.max_context,
            limit=limit,
        )
        if req.response_fields:
            reply = infill.select_fields(req.response_fields, reply)
        try:
            if req.stream:
                self.write(f"data: {infill.dumps(reply)}\n\n")
                self.finish()
                return
            self.set_header("Content-Type", "application/json")
            self.finish(infill.dumps([reply] if req.n_cmpl > 1 else reply))
        except StreamClosedError:
            pass

    async def _truncated(self, before: str, room: int, r: Any, limit: int) -> bool:
        """Whether the prompt's start (extra chunks first) was left out: cut by characters
        here, or by the engine's left cut (tokens: only checked when the prompt came near
        its budget; the count is done off the IO loop)."""
        if len(before) > room:
            return True
        engine = self.engine
        slack = engine.config.trim_granularity  # the engine cuts in steps of this many tokens
        if r is None or r.prompt_tokens + limit + 1 + slack <= engine.session.max_context:
            return False
        loop = asyncio.get_running_loop()
        ids = await loop.run_in_executor(None, engine.encode, before[-room:])
        return len(ids) > r.prompt_tokens  # uncut, the prompt holds at least these tokens


def _fim_first(engine: Any) -> bool:
    """Whether the engine's FIM prompts start with the prefix (the PSM order), so a prompt
    prefilled in that layout shares its start with the next request's whatever its suffix."""
    specials = getattr(engine, "specials", None)
    return getattr(specials, "fim", None) is not None and specials.fim_order == "psm"


def _choice(text: str, finish: str | None) -> dict[str, Any]:
    return {"index": 0, "text": text, "logprobs": None, "finish_reason": finish}


def _event(data: dict[str, Any]) -> str:
    return f"data: {json.dumps(data)}\n\n"


def _cut_at_stop(text: str, stops: list[str]) -> str | None:
    hits = [i for i in (text.find(s) for s in stops) if i >= 0]
    return text[: min(hits)] if hits else None


def _json_body(body: bytes) -> Any:
    """A request body decoded as JSON (an empty body is ``{}``); ValueError if it is not."""
    if len(body) > MAX_BODY:
        raise ValueError(f"request body over {MAX_BODY} bytes")
    try:
        return json.loads(body or b"{}")
    except (ValueError, RecursionError, MemoryError) as e:  # syntax, UTF-8, 4,300+ digits
        raise ValueError(f"not valid JSON: {str(e)[:200]}") from None


def parse_request(body: bytes) -> dict[str, Any]:
    """The fields of an OpenAI completions request we use, validated (ValueError if not)."""
    msg = _json_body(body)
    if not isinstance(msg, dict):
        raise ValueError("the request must be a JSON object")
    prompt = msg.get("prompt", "")
    if isinstance(prompt, list) and len(prompt) == 1 and isinstance(prompt[0], str):
        prompt = prompt[0]
    if not isinstance(prompt, str):
        raise ValueError("prompt must be a string (one prompt per request)")
    suffix = msg.get("suffix") or ""
    if not isinstance(suffix, str):
        raise ValueError("suffix must be a string")
    max_tokens = msg.get("max_tokens", DEFAULT_MAX_TOKENS)
    if max_tokens is None:
        max_tokens = DEFAULT_MAX_TOKENS
    if not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens < 1:
        raise ValueError("max_tokens must be a positive integer")
    stop = msg.get("stop") or []
    if isinstance(stop, str):
        stop = [stop]
    if not (isinstance(stop, list) and all(isinstance(s, str) and s for s in stop)):
        raise ValueError("stop must be a string or a list of strings")
    stream = msg.get("stream")
    if stream is not None and not isinstance(stream, bool):
        raise ValueError("stream must be true or false")
    for name, text in (("prompt", prompt), ("suffix", suffix), *(("stop", s) for s in stop)):
        problem = text_problem(text)
        if problem is not None:
            raise ValueError(f"{name} {problem}: not valid Unicode text")
    return {
        "prompt": prompt,
        "suffix": suffix,
        "max_tokens": min(max_tokens, MAX_TOKENS_LIMIT),
        "stream": bool(stream),
        "stop": stop[:4],
    }


def make_app(engine: Any, api_key: str | None = None) -> web.Application:
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="spark-serve")
    args = {
        "engine": engine,
        "executor": executor,
        "api_key": api_key,
        "layout": infill.layout_tokens(
            getattr(engine, "metadata", None), getattr(engine, "tokenizer", None)
        ),
    }
    return web.Application(
        [
            (r"/v1/models", ModelsHandler, args),
            (r"/v1/completions", CompletionsHandler, args),
            (r"/infill", InfillHandler, args),
            (r"/health", HealthHandler),
        ],
        default_handler_class=NotFoundHandler,
        default_handler_args=args,
    )


async def serve(engine: Any, host: str, port: int, api_key: str | None = None) -> None:
    server = HTTPServer(make_app(engine, api_key), max_body_size=MAX_BODY)
    server.listen(port, host)
    print(f"jupyter spark serve: {engine.name} on http://{host}:{port}/v1", flush=True)
    await asyncio.Event().wait()
