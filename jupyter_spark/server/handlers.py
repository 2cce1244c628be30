"""HTTP and websocket handlers: decode, authorize, hand to the service, encode. Thin on purpose:
the websocket registers its connection with the service (connection.py runs its requests) and
streams what it is sent.

Auth the jupyter_server way: every handler is a JupyterHandler with ``auth_resource = "spark"``;
REST methods use ``@web.authenticated`` + ``@authorized`` (XSRF is checked on POST by
JupyterHandler), the websocket uses ``@ws_authenticated``, an explicit "execute" authorization
and WebSocketMixin's origin check.

One boundary per interface for untrusted input: whatever goes wrong while a message is handled
becomes a typed ``error`` reply for that message's id (a ``ProtocolError``'s code, or
``internal`` with a log line), and the connection stays open. Only a violation of the websocket
protocol itself (a frame over twice the limit, a text frame that is not UTF-8) closes it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from typing import Any

from jupyter_core.utils import ensure_async
from jupyter_server.auth.decorator import authorized, ws_authenticated
from jupyter_server.base.handlers import APIHandler, JupyterHandler
from jupyter_server.base.websocket import WebSocketMixin
from tornado import web
from tornado.websocket import WebSocketClosedError, WebSocketHandler

from ..context import Cell
from ..context.notebook import analyze_cells
from ..engine import BackendError
from .connection import Connection, internal_error
from .protocol import (
    CancelRequest,
    CompleteRequest,
    FixMessage,
    ProtocolError,
    Request,
    SyncRequest,
    check_size,
    decode_json,
    error_reply,
    parse,
    parse_message,
)
from .service import CompletionService

AUTH_RESOURCE = "spark"
# Cell text in one message above which the cells are analysed in a worker thread before the
# message is applied (each cell's analysis is bounded, so the IO loop gets the GIL between
# cells); below it, on the loop (a keystroke's one-cell change costs well under a millisecond).
ANALYZE_OFF_LOOP_CHARS = 16_000
# How long one connection's frames may hold the IO loop in one stretch: tornado hands a burst
# of buffered frames to ``on_message`` one after the other without returning to the loop, so
# past this the connection yields (other users' requests run) before its next frame.
FRAME_SLICE_S = 0.004
# HTTP status of a POST answered with an error, by code (others: 400).
ERROR_STATUS = {"too_large": 413, "model_not_ready": 503, "model_error": 503, "internal": 500}


def cells_to_analyze(req: Request) -> list[Cell]:
    """The cells a message brings whose analysis is worth doing off the loop (or none)."""
    if isinstance(req, SyncRequest):
        if req.cells is not None:
            cells = list(req.cells)
        else:
            cells = [
                Cell(ch["id"], ch.get("cell_type", "code"), ch["source"])
                for ch in req.changes or ()
                if not ch.get("deleted")
            ]
    elif isinstance(req, CompleteRequest) and req.cells is not None:
        cells = list(req.cells)  # the service's analyze() finds them in its memo
    else:
        return []
    big = sum(len(c.source) for c in cells) > ANALYZE_OFF_LOOP_CHARS
    return cells if big else []


async def analyze_ahead(cells: list[Cell]) -> dict[str, Any] | None:
    if not cells:
        return None
    return await asyncio.get_running_loop().run_in_executor(None, analyze_cells, cells)


class SparkAPIHandler(APIHandler):
    auth_resource = AUTH_RESOURCE

    def initialize(self, service: CompletionService) -> None:
        self.service = service

    def read_request(self, kind: type, default_type: str, default_id: str | None = None) -> Any:
        """The POST body as a protocol request of ``kind`` (a ProtocolError if it is not)."""
        body = self.request.body
        check_size(len(body), self.settings["spark_max_message_bytes"])
        msg = decode_json(body or b"{}")
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

    def reply_failure(self, e: Exception, rid: str | None) -> None:
        """The one boundary of a POST: any failure is a JSON error with its HTTP status."""
        if isinstance(e, ProtocolError):
            self.reply_error(ERROR_STATUS.get(e.code, 400), e.to_message())
        elif isinstance(e, BackendError):
            status = 504 if e.code == "backend_timeout" else 502
            self.reply_error(status, error_reply(e.code, str(e), rid))
        else:
            self.reply_error(500, internal_error(self.log, e, rid))


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
        req = None
        try:
            req = self.read_request(CompleteRequest, "complete")
            await analyze_ahead(cells_to_analyze(req))
            completion = self.service.start_completion(req)
            replies: list[dict[str, Any]] = []
            await self.service.run(req, completion, replies.append)
        except Exception as e:
            self.reply_failure(e, getattr(req, "id", None))
            return
        self.finish(json.dumps(replies[-1]))


class FixHandler(SparkAPIHandler):
    """POST spark/fix: a ``fix`` or ``diagnose`` message; the reply is ``fixes``/``diagnostics``."""

    @web.authenticated
    @authorized
    async def post(self) -> None:
        req = None
        try:
            req = self.read_request(FixMessage, "fix", default_id="fix")
            reply = await self.service.fix(req)
        except Exception as e:
            self.reply_failure(e, getattr(req, "id", None))
            return
        self.finish(json.dumps(reply))


class SparkWebSocket(WebSocketMixin, WebSocketHandler, JupyterHandler):
    """GET spark/ws: protocol v1 over JSON text frames (docs/protocol.md)."""

    auth_resource = AUTH_RESOURCE

    def initialize(self, service: CompletionService) -> None:
        self.service = service
        self.connection: Connection | None = None  # registered with the service on open
        self._slice_start: float | None = None  # when this stretch of frames began (None: new)
        self._closed = False

    @property
    def max_message_size(self) -> int:
        """Tornado's frame limit: twice the protocol's, so a frame over ``max_message_bytes`` is
        still read and answered with ``too_large`` on an open connection; only a frame over
        twice the limit closes it (code 1009, "message too big")."""
        return 2 * self.settings["spark_max_message_bytes"]

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
        self.connection = self.service.connect(self.send, self.log)
        super().open(*args, **kwargs)

    def send(self, msg: dict[str, Any]) -> None:
        with contextlib.suppress(WebSocketClosedError):
            self.write_message(json.dumps(msg))

    def on_message(self, message: str | bytes) -> Any:
        """The connection's boundary: every frame gets its replies or one typed error.

        A message bringing much cell text returns a coroutine: its cells are analysed off the
        loop first, and tornado reads the connection's next frame only after it is applied, so
        messages keep their order. So does a frame arriving after this connection's frames held
        the loop for ``FRAME_SLICE_S`` in one stretch (a burst): it is handled after one turn
        of the loop, so a burst of any size stalls nobody for more than a slice.
        """
        if self._slice_spent():
            return self._after_yield(message)
        return self._on_frame(message)

    def _slice_spent(self) -> bool:
        """Whether this stretch of frames has held the loop long enough (starts one if new)."""
        now = time.perf_counter()
        if self._slice_start is None:
            self._slice_start = now
            # runs at the loop's next turn, i.e. once this stretch has given the loop back
            asyncio.get_running_loop().call_soon(self._new_slice)
            return False
        return now - self._slice_start > FRAME_SLICE_S

    def _new_slice(self) -> None:
        self._slice_start = None

    async def _after_yield(self, message: str | bytes) -> None:
        await asyncio.sleep(0)  # one turn of the loop: whatever else is ready runs first
        if self._closed:  # closed meanwhile: nothing to answer, nothing to hold
            return
        pending = self._on_frame(message)
        if pending is not None:
            await pending

    def _on_frame(self, message: str | bytes) -> Any:
        req = None
        try:
            req = parse(message, self.settings["spark_max_message_bytes"])
            heavy = cells_to_analyze(req)
            if heavy:
                return self._analyze_then_handle(req, heavy)
            self._handle(req)
            self._use(req)
        except ProtocolError as e:
            self.send(e.to_message())
        except Exception as e:
            self.send(internal_error(self.log, e, getattr(req, "id", None)))
        return None

    async def _analyze_then_handle(self, req: Request, cells: list[Cell]) -> None:
        try:
            infos = await analyze_ahead(cells)
            if self._closed:  # its notebooks were released on close: do not store them now
                return
            self._handle(req, infos)
            self._use(req)
        except ProtocolError as e:
            self.send(e.to_message())
        except Exception as e:
            self.send(internal_error(self.log, e, getattr(req, "id", None)))

    def _handle(self, req: Request, infos: dict[str, Any] | None = None) -> None:
        conn = self.connection
        assert conn is not None  # (frames come after open)
        if isinstance(req, CompleteRequest):
            conn.complete(req)
        elif isinstance(req, CancelRequest):
            conn.cancel(req.id)
        elif isinstance(req, SyncRequest):
            self.service.sync(req, infos)
        elif isinstance(req, FixMessage):
            conn.spawn(self._fix(req))

    def _use(self, req: Request) -> None:
        if self.connection is not None:
            self.connection.use(getattr(req, "path", None))

    async def _fix(self, req: FixMessage) -> None:
        try:
            self.send(await self.service.fix(req))
        except ProtocolError as e:
            self.send(e.to_message())
        except Exception as e:  # a rule's bug answers this request, not the connection
            self.send(internal_error(self.log, e, req.id))

    def on_close(self) -> None:
        self._closed = True
        if self.connection is not None:
            self.connection.close()
        super().on_close()


default_handlers = [
    (r"/spark/status", StatusHandler),
    (r"/spark/complete", CompleteHandler),
    (r"/spark/fix", FixHandler),
    (r"/spark/ws", SparkWebSocket),
]
