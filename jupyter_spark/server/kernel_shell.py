"""Request and reply on a kernel's shell channel: whether the kernel may be asked now, the
silent probe request, kernel_info, and matching replies by msg_id (a probe that timed out is
remembered on the ``Watch`` and its late reply handed back when it comes). Every wait is
bounded by a loop-time ``deadline``; nothing here decides when to ask (kernel_state.py does)."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from collections.abc import Callable
from queue import Empty
from typing import Any

from ..kernel.state import EXPR_KEY, runs_probe
from .kernel_watch import Watch

# How often a request re-checks a kernel it still believes busy (seconds; the idle read on
# iopub wakes it at once).
IDLE_POLL_S = 0.02

# Called with the content of a late reply to the probe that timed out.
OnLate = Callable[[dict[str, Any]], object]


def send_probe(w: Watch, expression: str) -> str:
    """Ask ``w``'s kernel to evaluate the probe ``expression`` silently (no history, no
    execution count, no stdin, not stopping a queue on error); the request's msg_id."""
    return w.client.execute(
        "",
        silent=True,
        store_history=False,
        user_expressions={EXPR_KEY: expression},
        allow_stdin=False,
        stop_on_error=False,
    )


async def ready(kernel: Any, w: Watch) -> bool:
    """Alive, not busy, and a Python kernel by its spec (no message sent to find out)."""
    if w.python is False or w.state == "busy":
        return False
    # Not the server's "busy": it counts our own probes and lags behind the kernel's idle.
    # Until our iopub has said something the kernel may be busy; then the probe waits behind
    # the cell, times out, and its late reply is the snapshot once the cell ends.
    if getattr(kernel, "execution_state", None) in ("dead", "restarting"):
        return False
    alive = kernel.is_alive()
    if inspect.isawaitable(alive):
        alive = await alive
    if not alive:
        return False
    try:
        language = (kernel.kernel_spec.language or "").lower()
    except Exception:
        language = ""
    if language and language != "python":
        w.python = False
        return False
    return True


async def settled(kernel: Any, w: Watch, deadline: float) -> bool:
    """:func:`ready`, waiting out (until ``deadline``) a "busy" whose idle our iopub has not
    read yet: a Fix asked the moment a cell failed reaches us before its idle does."""
    loop = asyncio.get_running_loop()
    while True:
        if await ready(kernel, w):
            return True
        if w.state != "busy" or w.python is False or loop.time() + IDLE_POLL_S > deadline:
            return False
        w.unbusy.clear()  # (no await since the state was read: its idle is still to come)
        with contextlib.suppress(TimeoutError, asyncio.TimeoutError):
            await asyncio.wait_for(w.unbusy.wait(), IDLE_POLL_S)


async def is_python(w: Watch, deadline: float) -> bool | None:
    """kernel_info: a Python kernel new enough for the probe (None: no answer in time)."""
    msg_id = w.client.kernel_info()
    content = await reply(w, msg_id, deadline)
    if content is None:
        return None
    return runs_probe(content.get("language_info") or {})


async def reply(
    w: Watch, msg_id: str, deadline: float, on_late: OnLate | None = None
) -> dict[str, Any] | None:
    """The content of the shell reply to ``msg_id`` before ``deadline``, else None; a late
    reply to ``w.pending`` met on the way goes to ``on_late`` (if given)."""
    loop = asyncio.get_running_loop()
    while (remaining := deadline - loop.time()) > 0:
        try:
            msg = await w.client.get_shell_msg(timeout=remaining)
        except Empty:
            return None
        parent_id = (msg.get("parent_header") or {}).get("msg_id")
        if parent_id == msg_id:
            return msg.get("content") or {}
        if on_late is not None and parent_id == w.pending:  # a late probe: still good
            w.pending = None
            on_late(msg.get("content") or {})
    return None


async def collect_pending(w: Watch, on_late: OnLate) -> bool:
    """Read replies already here; True once the timed-out probe's reply has arrived (it goes
    to ``on_late``)."""
    while w.pending is not None:
        try:
            msg = await w.client.get_shell_msg(timeout=0)
        except Empty:
            return False
        if (msg.get("parent_header") or {}).get("msg_id") == w.pending:
            w.pending = None
            on_late(msg.get("content") or {})
    return True
