"""HTTP and websocket handlers: decode, authorize, hand to the service, encode. Thin on purpose.

Auth the jupyter_server way: every handler is a JupyterHandler with ``auth_resource = "spark"``;
REST methods use ``@web.authenticated`` + ``@authorized`` (XSRF is checked on POST by
JupyterHandler), the websocket uses ``@ws_authenticated``, an explicit "execute" authorization
and WebSocketMixin's origin check.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
from typing import Any

from jupyter_core.utils import ensure_async
from jupyter_server.auth.decorator import authorized, ws_authenticated
from jupyter_server.base.handlers import APIHandler, JupyterHandler
from jupyter_server.base.websocket import WebSocketMixin
from tornado import web
from tornado.websocket import WebSocketClosedError, WebSocketHandler

from ..engine import BackendError
from .protocol import (
    CancelRequest,
    CompleteRequest,
    FixMessage,
    ProtocolError,
    SyncRequest,
    parse,
    parse_message,
)
from .service import CompletionService

AUTH_RESOURCE = "spark"


class SparkAPIHandler(APIHandler):
    auth_resource = AUTH_RESOURCE

    def initialize(self, service: CompletionService) -> None:
        self.service = service

    def read_request(self, kind: type, default_type: str, default_id: str | None = None) -> Any:
        """The POST body as a protocol request of ``kind`` (a ProtocolError if it is not)."""
        body = self.request.body
        if len(body) > self.settings["spark_max_message_bytes"]:
            raise web.HTTPError(413, "request too large")
        try:
            msg = json.loads(body or b"{}")
        except json.JSONDecodeError as e:
            raise ProtocolError("bad_json", str(e)) from None
        if isinstance(msg, dict):
            msg.setdefault("type", default_type)
            if default_id is not None:
                msg.setdefault("id", default_id)
        req = parse_message(msg)
        if not isinstance(req, kind):
            raise ProtocolError("bad_message", f"POST spark/{default_type} takes a {kind.__name__}")
        return req

    def reply_error(self, status: int, error: dict[str, Any]) -> None:
        self.set_status(status)
        self.finish(json.dumps(error))


class StatusHandler(SparkAPIHandler):
    """GET spark/status: model state, progress and recent latency percentiles."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.finish(json.dumps(self.service.status_message()))


class CompleteHandler(SparkAPIHandler):
    """POST spark/complete: the websocket's complete request, answered with one JSON reply."""

    @web.authenticated
    @authorized
    async def post(self) -> None:
        try:
            req = self.read_request(CompleteRequest, "complete")
            completion = self.service.start_completion(req)
        except ProtocolError as e:
            status = 503 if e.code in ("model_not_ready", "model_error") else 400
            self.reply_error(status, e.to_message())
            return
        replies: list[dict[str, Any]] = []
        try:
            await self.service.run(req, completion, replies.append)
        except BackendError as e:
            status = 504 if e.code == "backend_timeout" else 502
            self.reply_error(
                status, {"type": "error", "id": req.id, "code": e.code, "message": str(e)}
            )
            return
        self.finish(json.dumps(replies[-1]))


class FixHandler(SparkAPIHandler):
    """POST spark/fix: a ``fix`` or ``diagnose`` message; the reply is ``fixes``/``diagnostics``."""

    @web.authenticated
    @authorized
    async def post(self) -> None:
        try:
            req = self.read_request(FixMessage, "fix", default_id="fix")
            reply = await self.service.fix(req)
        except ProtocolError as e:
            self.reply_error(400, e.to_message())
            return
        self.finish(json.dumps(reply))


class SparkWebSocket(WebSocketMixin, WebSocketHandler, JupyterHandler):
    """GET spark/ws: protocol v1 over JSON text frames (docs/protocol.md)."""

    auth_resource = AUTH_RESOURCE

    def initialize(self, service: CompletionService) -> None:
        self.service = service
        self._current: tuple[str, Any] | None = None  # (request id, Completion)
        self._tasks: set[asyncio.Task] = set()
        # The connection's last complete/warm request with a kernel: re-warmed (prefilled
        # again) when that kernel's state changes, so the next keystroke finds it cached.
        self._last_kernel_request: CompleteRequest | None = None
        self._rewarms = 0

    def set_default_headers(self) -> None:
        """JupyterHandler's default headers make no sense on a websocket upgrade."""

    @ws_authenticated
    async def get(self, *args: Any, **kwargs: Any) -> None:
        ok = await ensure_async(
            self.authorizer.is_authorized(self, self.current_user, "execute", AUTH_RESOURCE)
        )
        if not ok:
            raise web.HTTPError(403)
        await super().get(*args, **kwargs)

    def open(self, *args: Any, **kwargs: Any) -> None:
        # Small frames must leave at once: Nagle's algorithm would hold a chunk ~40 ms.
        self.set_nodelay(True)
        if self.service.kernel_reader is not None:
            self.service.kernel_reader.refreshed.add(self._kernel_refreshed)
        super().open(*args, **kwargs)

    def _kernel_refreshed(self, kernel_id: str) -> None:
        """The kernel's variables changed (a cell ran): its block at the top of the prompt did
        too, so prefill the last prompt again now rather than at the next keystroke."""
        last = self._last_kernel_request
        busy = self._current is not None
        if last is None or last.kernel_id != kernel_id or busy or not self.service.warm_ahead:
            return
        self._rewarms += 1
        with contextlib.suppress(ProtocolError):  # the model went away meanwhile
            self._complete(dataclasses.replace(last, id=f"rewarm-{self._rewarms}", warm=True))

    def send(self, msg: dict[str, Any]) -> None:
        with contextlib.suppress(WebSocketClosedError):
            self.write_message(json.dumps(msg))

    def on_message(self, message: str | bytes) -> None:
        try:
            req = parse(message, self.settings["spark_max_message_bytes"])
            if isinstance(req, CompleteRequest):
                self._complete(req)
            elif isinstance(req, CancelRequest):
                if self._current and self._current[0] == req.id:
                    self._current[1].cancel()
            elif isinstance(req, SyncRequest):
                self.service.sync(req)
            elif isinstance(req, FixMessage):
                self._spawn(self._fix(req))
        except ProtocolError as e:
            self.send(e.to_message())

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _fix(self, req: FixMessage) -> None:
        try:
            self.send(await self.service.fix(req))
        except ProtocolError as e:
            self.send(e.to_message())
        except Exception as e:  # a rule's bug answers this request, not the connection
            self.log.exception("jupyter-spark: fix failed")
            msg = f"{type(e).__name__}: {e}"
            self.send({"type": "error", "id": req.id, "code": "internal", "message": msg})

    def _complete(self, req: CompleteRequest) -> None:
        if self._current is not None:  # the newest request of a connection wins
            self._current[1].cancel()
        if req.kernel_id is not None:
            self._last_kernel_request = req
        completion = self.service.start_completion(req)
        self._current = (req.id, completion)
        self._spawn(self._run(req, completion))

    async def _run(self, req: CompleteRequest, completion: Any) -> None:
        try:
            await self.service.run(req, completion, self.send)
        except BackendError as e:  # the inference server: timeout, down, busy, error
            self.send({"type": "error", "id": req.id, "code": e.code, "message": str(e)})
        except Exception as e:  # an engine failure answers this request, not the connection
            self.log.exception("jupyter-spark: completion failed")
            self.send(
                {
                    "type": "error",
                    "id": req.id,
                    "code": "internal",
                    "message": f"{type(e).__name__}: {e}",
                }
            )
        finally:
            if self._current and self._current[1] is completion:
                self._current = None

    def on_close(self) -> None:
        if self.service.kernel_reader is not None:
            self.service.kernel_reader.refreshed.discard(self._kernel_refreshed)
        if self._current is not None:
            self._current[1].cancel()
        super().on_close()


default_handlers = [
    (r"/spark/status", StatusHandler),
    (r"/spark/complete", CompleteHandler),
    (r"/spark/fix", FixHandler),
    (r"/spark/ws", SparkWebSocket),
]
