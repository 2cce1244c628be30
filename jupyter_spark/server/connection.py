"""One client connection's completions, as the service runs them (the websocket handler only
registers a connection and streams what it sends).

The newest request of a connection wins: the one before it is cancelled, unless the new one
streams from it (the continuation generated after an accept, engine/ahead.py). Every request
ends with one ``done`` (or one ``error``) frame, whichever way it ends. The connection keeps
its last request with a kernel: the service re-warms it when that kernel's variables change
(``CompletionService.kernel_refreshed``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from ..engine import BackendError, Completion
from .protocol import CompleteRequest, error_reply, internal_error_reply

if TYPE_CHECKING:
    from .service import CompletionService

Send = Callable[[dict[str, Any]], None]

_log = logging.getLogger(__name__)


def internal_error(log: Any, e: BaseException, rid: str | None) -> dict[str, Any]:
    """The reply to a message whose handling failed for a reason of ours (logged)."""
    (log or _log).error("jupyter-spark: handling a message failed", exc_info=e)
    return internal_error_reply(e, rid)


class Connection:
    """A client's requests in flight (one websocket); made by ``CompletionService.connect``."""

    def __init__(self, service: CompletionService, send: Send, log: Any = None) -> None:
        self.service = service
        self.send = send
        self.log = log
        self.current: tuple[str, Completion] | None = None  # (request id, its completion)
        # The last complete/warm request with a kernel: what is re-warmed (prefilled again)
        # when that kernel's state changes, so the next keystroke finds it cached.
        self.last_kernel_request: CompleteRequest | None = None
        self.rewarms = 0  # re-warms made so far (their ids: rewarm-1, rewarm-2, ...)
        self._tasks: set[asyncio.Task] = set()

    @property
    def busy(self) -> bool:
        """A request of this connection is still running."""
        return self.current is not None

    def complete(self, req: CompleteRequest) -> None:
        """Start ``req`` (it supersedes the running one); its frames go to ``send``. A request
        that cannot start raises (a ``ProtocolError``: not ready, ...), after superseding."""
        try:
            completion = self.service.start_completion(req)
        except Exception:
            self._supersede(None)
            raise
        self._supersede(completion)
        if req.kernel_id is not None:
            self.last_kernel_request = req
        self.current = (req.id, completion)
        self.spawn(self._run(req, completion))

    def cancel(self, rid: str) -> None:
        """The client's ``cancel``: stops the request ``rid`` if it is the running one."""
        if self.current is not None and self.current[0] == rid:
            self.current[1].cancel()

    def spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        """Run ``coro`` on the loop, kept until it ends (and cancelled with nothing else)."""
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def use(self, path: str | None) -> None:
        """Hold the synced copy of notebook ``path`` (once a message naming it was handled: a
        sync stored it) until this connection closes; a dropped one is held again once resent."""
        if path is not None:
            self.service.notebooks.acquire(path, self)

    def close(self) -> None:
        """The client went away: its running request stops, its notebooks are released."""
        self.service.disconnect(self)
        if self.current is not None:
            self.current[1].cancel()
        self.service.notebooks.release(self)

    def _supersede(self, new: Completion | None) -> None:
        if self.current is not None and (new is None or new.follows is not self.current[1]):
            self.current[1].cancel()

    async def _run(self, req: CompleteRequest, completion: Completion) -> None:
        try:
            await self.service.run(req, completion, self.send)
        except BackendError as e:  # the inference server: timeout, down, busy, error
            self.send(error_reply(e.code, str(e), req.id))
        except Exception as e:  # an engine failure answers this request, not the connection
            self.send(internal_error(self.log, e, req.id))
        finally:
            if self.current is not None and self.current[1] is completion:
                self.current = None
