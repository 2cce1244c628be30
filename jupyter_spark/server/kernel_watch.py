"""Our connection to one kernel and what its iopub says: a client of our own (shell and iopub
only, its own session id), the kernel's status as iopub reports it, and which executions are
the user's. Apart from the reader's cache and scheduling (kernel_state.py) and from the
request/reply on the shell channel (kernel_shell.py), which both work on a ``Watch``."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import zmq.asyncio
from jupyter_client.session import Session

from ..kernel.state import KernelState

# Executions of other clients remembered while waiting for their idle status.
MAX_TRACKED_RUNS = 64
# What ``observe`` reports of an iopub message (None: nothing the reader must act on).
RESTARTED = "restarted"  # a fresh process: the namespace we saw is gone
USER_RUN_DONE = "user_run_done"  # one of the user's executions went idle


@dataclass
class Watch:
    """Our connection to one kernel, what its iopub told us, and the reader's timers for it."""

    client: Any  # jupyter_client AsyncKernelClient (shell + iopub channels only)
    session_id: str  # our session: executions from any other are the user's
    incarnation: tuple[Any, ...]  # the kernel's process: another one means a restart
    state: str = "unknown"  # the last execution_state seen on iopub
    python: bool | None = None  # kernel_info said Python >= MIN_PYTHON (None: not asked yet)
    pending: str | None = None  # msg_id of a probe that timed out; its reply is still due
    last_try: float = float("-inf")  # loop time of the last refresh attempt
    again: bool = False  # a user execution ended while a refresh was running
    retried: bool = False  # the one early retry after an incomplete snapshot was made
    retry: asyncio.TimerHandle | None = None  # that retry, while it is still to come
    user_runs: OrderedDict[str, None] = field(default_factory=OrderedDict)
    listener: asyncio.Task[None] | None = None
    refreshing: asyncio.Task[KernelState | None] | None = None
    debounce: asyncio.TimerHandle | None = None
    # One request of ours in flight per kernel: replies are matched on one shell channel.
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    # Set when iopub reports a state other than busy (what a details request waits for).
    unbusy: asyncio.Event = field(default_factory=asyncio.Event)


class Unsupported(Exception):
    """A kernel this reader cannot talk to; it is not asked again."""


def incarnation(kernel: Any) -> tuple[Any, ...]:
    """What changes when the kernel's process is replaced (a restart keeps the provisioner)."""
    p = getattr(kernel, "provisioner", None)
    return (id(p), id(getattr(p, "process", None)), getattr(p, "pid", None))


def connect(kernel: Any, context: zmq.asyncio.Context) -> Watch:
    """A client of our own (own session id), shell and iopub only; connecting never blocks."""
    ks = kernel.session
    session = Session(
        config=ks.config, key=ks.key, signature_scheme=ks.signature_scheme, username="spark"
    )
    client = kernel.client(session=session, context=context)
    if inspect.iscoroutinefunction(client.start_channels):
        raise Unsupported("its client is not a local ZMQ client (a gateway kernel?)")
    client.start_channels(shell=True, iopub=True, stdin=False, hb=False, control=False)
    return Watch(client, session.session, incarnation(kernel))


async def disconnect(w: Watch) -> None:
    """Cancel ``w``'s timers and tasks (not the one calling this) and close its channels."""
    if w.debounce is not None:
        w.debounce.cancel()
    me = asyncio.current_task()
    tasks = [t for t in (w.listener, w.refreshing) if t is not None and t is not me]
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    with contextlib.suppress(Exception):
        w.client.stop_channels()


async def listen(
    kernel_id: str, w: Watch, on_msg: Callable[[dict[str, Any]], None], log: Any
) -> None:
    """Pass each iopub message to ``on_msg`` until the channel closes."""
    while True:
        try:
            msg = await w.client.iopub_channel.get_msg()
        except asyncio.CancelledError:
            raise
        except Exception as e:  # a malformed message, or the socket closed under us
            log.debug("jupyter-spark: iopub of %s: %s", kernel_id, e)
            if not w.client.iopub_channel.is_alive():
                return
            continue
        on_msg(msg)


def observe(w: Watch, msg: dict[str, Any]) -> str | None:
    """Track the kernel's status and the user's executions from one iopub message; RESTARTED
    or USER_RUN_DONE when the reader has something to do, else None."""
    msg_type = msg.get("msg_type") or msg.get("header", {}).get("msg_type")
    parent = msg.get("parent_header") or {}
    if msg_type == "execute_input" and parent.get("session") != w.session_id:
        w.user_runs[parent.get("msg_id", "")] = None
        while len(w.user_runs) > MAX_TRACKED_RUNS:
            w.user_runs.popitem(last=False)
    elif msg_type == "status" and parent.get("session") != w.session_id:
        # (our own requests' busy/idle are ours to know: the reply may precede their idle)
        w.state = str(msg.get("content", {}).get("execution_state", "unknown"))
        if w.state != "busy":
            w.unbusy.set()
        if w.state == "starting":
            w.python, w.pending = None, None
            return RESTARTED
        if w.state == "idle" and parent.get("msg_id", "") in w.user_runs:
            del w.user_runs[parent["msg_id"]]
            return USER_RUN_DONE
    return None
