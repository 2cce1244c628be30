"""A read-only snapshot of a live kernel's user namespace, taken without a visible trace.

The prompt gets better when the model knows that ``df`` has the columns ``id, price, city``, but
the kernel belongs to the user: a snapshot must not run their code, add to their history, move
``execution_count``, touch ``_`` or ``sys.last_value``, print on the notebook, or make a keystroke
wait for a kernel that is busy with a 30 s cell. So:

- The snapshot rides on an ``execute_request`` with ``code=""``, ``silent=True``,
  ``store_history=False`` and one ``user_expressions`` entry, sent on a client of our own (the
  reply comes to us, not to the user's websocket). Empty code makes IPython return before
  anything is counted, logged or stored; ``silent`` suppresses ``execute_input``; the expression
  is evaluated with a plain ``eval`` (no displayhook, so no ``_``/``Out``) and only its
  ``text/plain`` repr comes back. The expression ``exec``s the probe (``kernel/probe.py``, sent
  as source text) in a fresh dict that receives the user namespace as a value, so no name is
  added to it, and the probe catches every exception (one escaping to IPython's
  ``user_expressions`` would set ``sys.last_value``). What the kernel still shows: one busy/idle
  pair on iopub (two on the first snapshot of a kernel process, which asks ``kernel_info`` for
  the language and version), and its ``post_execute`` hooks run as for any silent execute.
- Snapshots are taken after each user execution (``execute_input`` from another session, then
  idle), debounced, and cached; :meth:`KernelStateReader.get` only reads the cache (and asks for
  a first snapshot of a kernel it has none of). A kernel our iopub shows busy, a dead or
  restarting one, or one whose spec is not Python gets no request; a request that times out (the
  kernel was busy before we saw it) is remembered, no second probe is queued behind it, and its
  late reply becomes the snapshot.

This module is the reader's cache and its scheduling (when to refresh, what to wait for); the
connection and iopub watching are in kernel_watch.py, the shell request/reply in
kernel_shell.py, and the snapshot's types and parsing in ``jupyter_spark.kernel``.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Callable
from typing import Any

import zmq.asyncio

from ..kernel.state import (
    MAX_BYTES,
    MAX_ITEMS,
    MAX_SUMMARY,
    MAX_VARS,
    PROBE_LIMITS,
    PROBE_MS,
    KernelState,
    expression_json,
    members_missing,
    parse_reply,
    probe_expression,
    state_from_probe,
)
from . import kernel_shell as shell
from .kernel_watch import (
    RESTARTED,
    USER_RUN_DONE,
    Unsupported,
    Watch,
    connect,
    disconnect,
    incarnation,
    listen,
    observe,
)

# -- tunables of the reader: each is the default of the KernelStateReader argument of its name
# (the probe's own limits, MAX_VARS and the rest, are defined once in kernel/state.py)
TIMEOUT = 2.0  # s: one refresh at most (kernel_info, probe, reply); a slower kernel is skipped
# After a snapshot whose DataFrames/dicts came without members, one more this much later.
INCOMPLETE_RETRY_S = 1.0
DEBOUNCE = 0.5  # s between a user execution going idle and the refresh (Run All: one refresh)
# s the diagnostics and the fixes wait at most for a snapshot that is due (``current``).
CURRENT_WAIT = 1.5
RETRY = 10.0  # s before get() asks again for a first snapshot after a failed one
# Details asked along with a refresh: the names, and the dict their details are put in.
_Ask = tuple[list[str], dict[str, Any]]


class KernelStateReader:
    """Cached namespace snapshots of the server's kernels, refreshed after user executions.

    Everything runs on the server's IO loop; no method waits for a kernel except
    :meth:`refresh`, which is bounded by ``timeout``.
    """

    def __init__(
        self,
        kernel_manager: Any,
        *,
        timeout: float = TIMEOUT,
        max_vars: int = MAX_VARS,
        max_bytes: int = MAX_BYTES,
        max_summary: int = MAX_SUMMARY,
        max_items: int = MAX_ITEMS,
        probe_ms: float = PROBE_MS,
        debounce: float = DEBOUNCE,
        retry: float = RETRY,
        log: logging.Logger | Any | None = None,
    ) -> None:
        self.km = kernel_manager  # jupyter_server's MappingKernelManager
        self.timeout = timeout
        self.debounce = debounce
        self.retry = retry
        self.log = log or logging.getLogger(__name__)
        self.limits = {  # the probe's limits, with the ones given here
            **PROBE_LIMITS,
            "max_vars": max_vars,
            "max_bytes": max_bytes,
            "max_summary": max_summary,
            "max_items": max_items,
            "budget_ms": probe_ms,
        }
        self.expression = probe_expression(self.limits)
        self._states: dict[str, KernelState] = {}
        self._watches: dict[str, Watch] = {}
        self._unsupported: set[str] = set()  # kernels we cannot reach over ZMQ (gateway)
        self._context: zmq.asyncio.Context | None = None
        self._closed = False
        # Called on the loop with the kernel id after a refresh after a user execution took
        # a snapshot (the completion service re-warms the prompt a client is about to need).
        self.refreshed: set[Callable[[str], None]] = set()

    # -- public API -------------------------------------------------------------------------

    def get(self, kernel_id: str) -> KernelState | None:
        """The cached snapshot, at once; for a known kernel with none yet, start taking one."""
        if self._closed:
            return None
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # not on the IO loop: the cache is all we can give
            return self._states.get(kernel_id)
        if not self._known(kernel_id):
            if kernel_id in self._watches or kernel_id in self._states:
                self._spawn(self.stop(kernel_id))
            return None
        w = self._watch(kernel_id)  # (first: it drops the state of a restarted kernel)
        state = self._states.get(kernel_id)
        if (
            w is not None
            and state is None
            and w.python is not False
            and not _running(w.refreshing)
            and loop.time() - w.last_try >= self.retry
        ):
            self._start_refresh(kernel_id)
        return state

    async def refresh(self, kernel_id: str) -> KernelState | None:
        """Take a snapshot now; None if the kernel is busy, dead, not Python or too slow."""
        w = self._watch(kernel_id)
        if w is None:
            return None
        task = w.refreshing if _running(w.refreshing) else self._start_refresh(kernel_id)
        if task is None:
            return None
        return await asyncio.shield(task)

    async def current(self, kernel_id: str, wait: float = CURRENT_WAIT) -> KernelState | None:
        """The snapshot as of now, waiting up to ``wait`` s for one that is due: the first one,
        the one after a user execution that just ended (its debounce is cut short), or the early
        retry after an incomplete one. A busy kernel is not waited for (its refresh gives up at
        once), and neither is a snapshot that is simply old: nothing ran since.

        For the diagnostics and the fixes: their findings are only as true as the snapshot,
        and they can afford a moment a completion cannot."""
        state = self.get(kernel_id)  # (starts watching, and a first snapshot)
        w = self._watches.get(kernel_id)
        if w is None or self._closed:
            return state
        if not _running(w.refreshing):
            if w.debounce is not None:
                w.debounce.cancel()
                self._after_user_run(kernel_id)
            elif w.retry is not None:
                w.retry.cancel()
                self._retry_incomplete(kernel_id)
        task = w.refreshing
        if _running(task):
            with contextlib.suppress(TimeoutError, asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.shield(task), wait)
        return self._states.get(kernel_id, state)

    async def current_and_details(
        self, kernel_id: str, names: list[str], wait: float = CURRENT_WAIT
    ) -> tuple[KernelState | None, dict[str, dict[str, Any]]]:
        """:meth:`current` and :meth:`details` (a Fix needs both), in one round trip when they
        can share it: the snapshot due after the run that failed is taken with the details
        asked along (one probe, one ``execute_request``); otherwise the details alone, after
        a refresh already under way. Either way the idle of the run that failed is waited for
        first (within ``timeout``): a Fix sent the moment a cell failed arrives before it."""
        w = self._watch(kernel_id) if self._known(kernel_id) else None
        settled = False
        if w is not None and not self._closed:
            deadline = asyncio.get_running_loop().time() + self.timeout
            with contextlib.suppress(Exception):  # (as details() waits: for the run's idle,
                # without which the refresh due after it is not known to be due yet)
                settled = await shell.settled(self.km.get_kernel(kernel_id), w, deadline)
        due = w is not None and (w.debounce is not None or w.retry is not None)
        if not (settled and due and names) or _running(w.refreshing):
            # the details first: the refresh they wait behind may be the one due
            details = await self.details(kernel_id, names)
            return await self.current(kernel_id, wait), details
        if w.debounce is not None:  # the refresh after a user run, as _after_user_run makes it
            w.retried = False
        for timer in (w.debounce, w.retry):
            if timer is not None:
                timer.cancel()
        w.debounce = w.retry = None
        found: dict[str, dict[str, Any]] = {}
        task = self._start_refresh(kernel_id, (names, found))
        if task is not None:
            with contextlib.suppress(TimeoutError, asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.shield(task), wait)
        return self._states.get(kernel_id), found

    async def details(self, kernel_id: str, names: list[str]) -> dict[str, dict[str, Any]]:
        """Attribute names, keys/columns and call arity of ``names`` in the kernel (the fixes).

        Asked on demand (a user clicked Fix), with the same guarantees as a snapshot; an empty
        dict when the kernel is busy, dead, not Python or slower than ``timeout``.
        """
        w = self._watch(kernel_id) if self._known(kernel_id) else None
        if w is None or not names:
            return {}
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        async with w.lock:
            try:
                kernel = self.km.get_kernel(kernel_id)
                if not await shell.settled(kernel, w, deadline):
                    return {}
                if w.pending is not None and not await shell.collect_pending(
                    w, self._keep_late(kernel_id, w)
                ):
                    return {}
                if w.python is None:
                    w.python = await shell.is_python(w, deadline)
                if not w.python or w.state == "busy":
                    return {}
                msg_id = shell.send_probe(w, probe_expression({"details": list(names)}))
                reply = await shell.reply(w, msg_id, deadline, self._keep_late(kernel_id, w))
            except asyncio.CancelledError:
                raise
            except Exception as e:
                self.log.warning("jupyter-spark: kernel details of %s failed: %s", kernel_id, e)
                return {}
        data = expression_json(reply) if reply is not None else None
        found = data.get("details") if isinstance(data, dict) else None
        return found if isinstance(found, dict) else {}

    def language(self, kernel_id: str) -> str | None:
        """The kernel's language by its spec ("python", "r", ...), lower case; None if unknown.

        No message is sent: the fixes use it to leave an R or Julia notebook's cells alone.
        """
        if not self._known(kernel_id):
            return None
        try:
            language = self.km.get_kernel(kernel_id).kernel_spec.language
        except Exception:  # no spec (a gateway kernel, a kernel still starting)
            return None
        return language.lower() if isinstance(language, str) and language else None

    def start_watching(self, kernel_id: str) -> bool:
        """Connect to the kernel (once) and refresh after each of the user's executions.

        :meth:`get` and :meth:`refresh` do this themselves; False if the kernel is unknown or
        cannot be reached.
        """
        return self._watch(kernel_id) is not None

    async def stop(self, kernel_id: str) -> None:
        """Stop watching one kernel and forget its snapshot."""
        self._states.pop(kernel_id, None)
        self._unsupported.discard(kernel_id)
        w = self._watches.pop(kernel_id, None)
        if w is not None:
            await disconnect(w)

    async def close(self) -> None:
        """Stop watching every kernel (server shutdown)."""
        self._closed = True
        for kernel_id in list(self._watches):
            await self.stop(kernel_id)
        self._states.clear()
        if self._context is not None:
            self._context.destroy(linger=0)
            self._context = None

    # -- connection -------------------------------------------------------------------------

    def _watch(self, kernel_id: str) -> Watch | None:
        """Our connection to the kernel, made (or remade after a restart) if needed."""
        if self._closed or kernel_id in self._unsupported or not self._known(kernel_id):
            return None
        kernel = self.km.get_kernel(kernel_id)
        w = self._watches.get(kernel_id)
        if w is not None and w.incarnation == incarnation(kernel):
            return w
        if w is not None:  # restarted: a new process, maybe on new ports; the old state is gone
            self._states.pop(kernel_id, None)
            self._spawn(disconnect(w))
        try:
            w = self._connect(kernel)
        except Unsupported as e:
            self.log.info("jupyter-spark: no kernel state for kernel %s: %s", kernel_id, e)
            self._unsupported.add(kernel_id)
            self._watches.pop(kernel_id, None)
            return None
        except Exception as e:  # no connection info yet (starting), sockets failed, ...
            self.log.debug("jupyter-spark: cannot connect to kernel %s: %s", kernel_id, e)
            self._watches.pop(kernel_id, None)
            return None
        on_msg = functools.partial(self._on_iopub, kernel_id, w)
        w.listener = asyncio.get_running_loop().create_task(listen(kernel_id, w, on_msg, self.log))
        self._watches[kernel_id] = w
        return w

    def _known(self, kernel_id: str) -> bool:
        try:
            return kernel_id in self.km
        except Exception:
            return False

    def _connect(self, kernel: Any) -> Watch:
        if self._context is None:
            self._context = zmq.asyncio.Context()
        return connect(kernel, self._context)

    def _keep_late(self, kernel_id: str, w: Watch) -> shell.OnLate:
        """Where a late reply to ``w``'s timed-out probe goes: kept as the snapshot."""
        return lambda content: self._store(kernel_id, w, content)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        task.add_done_callback(_ignore_result)

    # -- watching iopub ---------------------------------------------------------------------

    def _on_iopub(self, kernel_id: str, w: Watch, msg: dict[str, Any]) -> None:
        event = observe(w, msg)
        if event == RESTARTED:  # a fresh process: the namespace we saw is gone
            self._states.pop(kernel_id, None)
        elif event == USER_RUN_DONE:
            if w.debounce is not None:
                w.debounce.cancel()
            loop = asyncio.get_running_loop()
            w.debounce = loop.call_later(self.debounce, self._after_user_run, kernel_id)

    def _after_user_run(self, kernel_id: str) -> None:
        w = self._watches.get(kernel_id)
        if w is None:
            return
        w.debounce = None
        w.retried = False
        self._refresh_soon(kernel_id, w)

    def _refresh_soon(self, kernel_id: str, w: Watch) -> None:
        if _running(w.refreshing):
            w.again = True  # it may have read the namespace before this execution
        else:
            self._start_refresh(kernel_id)

    def _retry_incomplete(self, kernel_id: str) -> None:
        w = self._watches.get(kernel_id)
        if w is not None:
            w.retry = None
        if w is not None and not self._closed and not _running(w.refreshing):
            self._start_refresh(kernel_id)

    # -- taking a snapshot ------------------------------------------------------------------

    def _start_refresh(
        self, kernel_id: str, ask: _Ask | None = None
    ) -> asyncio.Task[KernelState | None] | None:
        """A refresh task; with ``ask``, those names' details are asked along (into its dict)."""
        w = self._watches.get(kernel_id)
        if w is None:
            return None
        refresh = self._refresh(kernel_id, w, ask)
        w.refreshing = asyncio.get_running_loop().create_task(refresh)
        w.refreshing.add_done_callback(lambda t: self._refreshed(kernel_id, w, t))
        return w.refreshing

    def _refreshed(self, kernel_id: str, w: Watch, task: asyncio.Task[Any]) -> None:
        if self._watches.get(kernel_id) is not w or self._closed:
            return
        if w.again:
            w.again = False
            self._after_user_run(kernel_id)
        elif not task.cancelled() and task.exception() is None and task.result() is not None:
            for notify in list(self.refreshed):
                try:
                    notify(kernel_id)
                except Exception:  # a listener's bug must not stop the reader
                    self.log.exception("jupyter-spark: kernel refresh listener failed")

    async def _refresh(self, kernel_id: str, w: Watch, ask: _Ask | None) -> KernelState | None:
        async with w.lock:
            return await self._refresh_locked(kernel_id, w, ask)

    async def _refresh_locked(
        self, kernel_id: str, w: Watch, ask: _Ask | None
    ) -> KernelState | None:
        loop = asyncio.get_running_loop()
        w.last_try = loop.time()
        deadline = loop.time() + self.timeout
        try:
            if not self._known(kernel_id):
                await self.stop(kernel_id)
                return None
            kernel = self.km.get_kernel(kernel_id)
            if not await shell.ready(kernel, w):
                return None
            if w.pending is not None and not await shell.collect_pending(
                w, self._keep_late(kernel_id, w)
            ):
                return None  # the kernel has not reached our last probe: it is still busy
            if w.python is None:
                w.python = await shell.is_python(w, deadline)
            if not w.python:
                return None
            if w.state == "busy":  # (kernel_info may have waited behind a cell)
                return None
            expression = self.expression
            if ask is not None:
                limits = {**self.limits, "details": ask[0], "snapshot": True}
                expression = probe_expression(limits)
            msg_id = shell.send_probe(w, expression)
            reply = await shell.reply(w, msg_id, deadline, self._keep_late(kernel_id, w))
            if reply is None:
                w.pending = msg_id
                self.log.debug("jupyter-spark: kernel %s: snapshot timed out", kernel_id)
                return None
            data = expression_json(reply)
            asked = data.get("details") if isinstance(data, dict) else None
            if ask is not None and isinstance(asked, dict):
                ask[1].update(asked)
            return self._store(kernel_id, w, reply, data)
        except asyncio.CancelledError:
            raise
        except Exception as e:  # never let a kernel's trouble reach a completion request
            self.log.warning("jupyter-spark: kernel state of %s failed: %s", kernel_id, e)
            return None

    def _store(
        self, kernel_id: str, w: Watch, content: dict[str, Any], data: Any = None
    ) -> KernelState | None:
        """The snapshot in ``content`` (``data``: its JSON, when already read) kept as the
        kernel's."""
        state = parse_reply(content) if data is None else state_from_probe(data)
        if state is None:
            self.log.debug("jupyter-spark: kernel %s: no snapshot in the reply", kernel_id)
        elif self._watches.get(kernel_id) is w:  # (not a reply from before a restart)
            self._states[kernel_id] = state
            if not w.retried and members_missing(state):
                # the probe's time budget ran out before their members (a kernel's first
                # probe after importing pandas is slow): once more, warm, a moment later
                w.retried = True
                w.retry = asyncio.get_running_loop().call_later(
                    INCOMPLETE_RETRY_S, self._retry_incomplete, kernel_id
                )
        return state


def _running(task: asyncio.Task[Any] | None) -> bool:
    return task is not None and not task.done()


def _ignore_result(task: asyncio.Task[Any]) -> None:
    if not task.cancelled():
        task.exception()
