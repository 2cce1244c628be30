"""The completion service behind the handlers: context, inference off the IO loop, warm-ahead.

Handlers only parse and send; this object holds the model (``ModelHost``, hosting.py: loaded in
a background thread so the server starts at once), the synced notebooks, the kernel-state
reader, the clients' connections (connection.py) and one inference thread. Generation runs in
that thread (onnxruntime releases the GIL); each new text is handed back to the IO loop with
``call_soon_threadsafe``. The IO loop never waits on the model or on a kernel.

Warm-ahead is decided here: a ``warm`` request prefills (``warm_ahead``), and when a cell run
changes a kernel's variables the last request of each connection on that kernel is warmed again
(the service subscribes to the kernel reader), so the next keystroke finds its prompt cached.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import posixpath
import statistics
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ..context import ContextBuilder, Notebook, NotebookStore, UnknownNotebook
from ..engine import Backend, Completion, EngineConfig, RemoteConfig
from ..engine.backend import EMBEDDED_STATUS
from ..engine.grounded import Choices
from ..fixes import FixService, KernelInspector, needed_details
from ..grounding import Knowledge, ground
from ..grounding import modules as installed_modules
from ..kernel import KernelState
from ..project import ProjectIndex
from ..project.prompt import CursorBlock, ProjectBlocks
from .connection import Connection, Send
from .fixing import answer_fix
from .hosting import ModelHost
from .protocol import (
    CompleteRequest,
    FixMessage,
    ProtocolError,
    SyncRequest,
    chunk_reply,
    done_reply,
    fix_reply,
    status_reply,
)

_log = logging.getLogger(__name__)

# Recent requests kept for the latency percentiles shown by spark/status.
LATENCY_WINDOW = 200
# Context builders kept for client-chosen budgets other than the server's (each has caches).
MAX_EXTRA_BUILDERS = 4


class CompletionService:
    """One per server, the server extension's one entry point (``start``, ``close``): the model
    (its host), the clients' connections and everything a request needs besides HTTP."""

    def __init__(
        self,
        model: str | None,
        engine_config: EngineConfig,
        context_budget: int,
        kernel_reader: Any | None = None,
        log: Any = None,
        remote: RemoteConfig | None = None,
        remote_fallback: bool = False,
        warm_ahead: bool = True,
        grounding: bool = True,
        project: ProjectIndex | None = None,
    ) -> None:
        # The model: embedded, or a remote OpenAI-compatible server (and, with remote_fallback,
        # the embedded model loaded too, taking over while the remote fails).
        self.host = ModelHost(model, engine_config, remote, remote_fallback, log, self._model_ready)
        self.warm_ahead = warm_ahead  # SparkExtension.warm_ahead
        self.grounding = grounding  # SparkExtension.grounding (a request may override it)
        # SparkExtension.project_index: the project's other files (None: off)
        self.project = project
        self.project_blocks = ProjectBlocks(project) if project is not None else None
        self.context_budget = context_budget
        self.kernel_reader = kernel_reader
        self.log = log
        self.notebooks = NotebookStore()
        self.builder: ContextBuilder | None = None  # once the model is up (its token counts)
        self._extra_builders: dict[int, ContextBuilder] = {}
        self._connections: dict[Connection, None] = {}  # open ones, oldest first
        # One inference thread for the embedded model (it is one session); a remote server
        # takes as many requests in flight as it is configured for.
        workers = max(1, remote.max_concurrent) if remote is not None else 1
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="spark-infer")
        # Fixes run ruff (a subprocess) and the rules: threads of their own, so a fix never
        # waits behind a completion nor delays one; two, so diagnostics as you type do not wait
        # behind a fix that asked the model for a rewrite (bounded by REWRITE_TIMEOUT_S).
        self._fix_executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="spark-fix")
        # A completion streaming from a continuation generated ahead runs no model step: it
        # must not queue behind that continuation in the inference thread (engine/ahead.py).
        self._follow_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="spark-follow")
        self.fixes = FixService()
        # Per request, in ms, from the moment it reached the inference queue: the wait there
        # (apart, too) is what concurrent users feel, so ttft and total include it.
        self._ttft: deque[float] = deque(maxlen=LATENCY_WINDOW)
        self._total: deque[float] = deque(maxlen=LATENCY_WINDOW)
        self._queue: deque[float] = deque(maxlen=LATENCY_WINDOW)
        # The last prompt sent to the engine, for `spark/status?debug` and the tests that check
        # what context reached the model.
        self.last_prompt: Any = None

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        """Bring the model up (hosting.py, in the background) and what else runs on its own."""
        if self.grounding:
            installed_modules.prime()  # `import pa` offers them; the scan is off the loop
        if self.project is not None:
            self.project.start()  # builds in its own thread, then follows changes
        if self.kernel_reader is not None:
            self.kernel_reader.refreshed.add(self.kernel_refreshed)
        self.host.start()

    def _model_ready(self, backend: Backend) -> None:
        """The model is up (called by the host before requests see it): what requests need of
        it, its token counts for the context budget and its file separator."""
        if self.project_blocks is not None and self.host.file_sep is not None:
            self.project_blocks.file_sep = self.host.file_sep  # repository-level prompts
        self.builder = ContextBuilder(
            budget_tokens=self.context_budget, count_tokens=backend.count_tokens
        )
        self.fixes.engine = backend

    def wait_ready(self, timeout: float | None = None) -> bool:
        """Block until the model is up or failed (tests and the CLI; never on the IO loop)."""
        return self.host.wait_ready(timeout)

    def status_message(self) -> dict[str, Any]:
        s = self.host.status

        def pct(values: deque[float]) -> dict[str, float | None]:
            if not values:
                return {"p50": None, "p95": None}
            ordered = sorted(values)
            return {
                "p50": round(statistics.median(ordered), 2),
                "p95": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 2),
            }

        backend = self.host.backend
        return status_reply(
            state=s.state,
            percent=s.percent,
            model=s.model,
            backend=backend.status() if backend is not None else dict(EMBEDDED_STATUS),
            grounding=self.grounding,
            project=self.project.status() if self.project else {"enabled": False},
            error=s.error,
            error_code=s.error_code,
            since=s.since,
            latency={
                "requests": len(self._ttft),
                "ttft_ms": pct(self._ttft),
                "total_ms": pct(self._total),
                "queue_ms": pct(self._queue),
            },
        )

    def close(self) -> None:
        if self.kernel_reader is not None:
            self.kernel_reader.refreshed.discard(self.kernel_refreshed)
        if self.project is not None:
            self.project.close()
        self._executor.shutdown(wait=False, cancel_futures=True)
        self._fix_executor.shutdown(wait=False, cancel_futures=True)
        self._follow_executor.shutdown(wait=False, cancel_futures=True)

    # -- requests -------------------------------------------------------------------------

    def sync(self, req: SyncRequest, infos: dict[str, Any] | None = None) -> None:
        """Apply a sync; ``infos``: the cells' analyses done ahead (off the loop), by id."""
        try:
            if req.cells is not None:
                self.notebooks.replace(req.path, list(req.cells), infos)
            else:
                self.notebooks.apply_changes(
                    req.path,
                    list(req.changes or ()),
                    list(req.order) if req.order else None,
                    infos,
                )
        except UnknownNotebook:
            raise ProtocolError(
                "unknown_notebook",
                f"{req.path!r} was never synced: send "
                "the whole notebook first ({'type':'sync','cells':[...]})",
            ) from None

    async def fix(self, req: FixMessage) -> dict[str, Any]:
        """Answer a ``fix`` or ``diagnose`` message: the kernel is read on this loop (bounded by
        the reader's timeout), the rules and ruff run in the fix thread."""
        others = self._other_cells(req)
        kernel, state = None, None
        loop = asyncio.get_running_loop()
        if req.kernel_id and self.kernel_reader is not None:
            if self.kernel_reader.language(req.kernel_id) not in (None, "python"):
                # An R or Julia notebook: Python rules and ruff have nothing true to say.
                return fix_reply(req.type, req.id, ())
            details = {}
            if req.type == "fix" and req.error is not None:
                # ruff, in a fix thread, while the kernel is read (the fix finds its findings)
                loop.run_in_executor(self._fix_executor, self.fixes.prefetch, req.source, req.kinds)
                wanted = needed_details(req.source, req.error)
                # (the snapshot due after the failed run and the details: one round trip)
                state, details = await self.kernel_reader.current_and_details(req.kernel_id, wanted)
            else:
                state = await self.kernel_reader.current(req.kernel_id)
            kernel = KernelInspector(state, details)
        knowledge = self._fix_knowledge(req, state)
        return await loop.run_in_executor(
            self._fix_executor, answer_fix, self.fixes, req, others, kernel, knowledge
        )

    def _fix_knowledge(self, req: FixMessage, state: KernelState | None) -> Knowledge:
        """What the kernel-aware checks read: the kernel's snapshot (``current``: one due after
        a run is waited for, briefly), the synced notebook's other cells, the project."""
        nb = self.notebooks.get(req.path) if req.path else None
        knowledge = Knowledge(
            kernel=state,
            current=req.source,
            project=self.project,
            near=posixpath.dirname(req.path) if req.path else None,
        )
        if req.cells is not None:
            knowledge.cell_sources = tuple(
                c.source for c in req.cells if c.cell_type == "code" and c.id != req.cell_id
            )
        elif nb is not None:
            knowledge.definers = self._definers(req, nb)
            knowledge.all_names = nb.names()
        return knowledge

    def _other_cells(self, req: FixMessage) -> tuple[str, ...]:
        """The notebook's other code cells: from the request, else the synced copy."""
        if req.cells is not None:
            cells = list(req.cells)
        else:
            nb = self.notebooks.get(req.path) if req.path else None
            cells = nb.cells if nb is not None else []
        return tuple(c.source for c in cells if c.cell_type == "code" and c.id != req.cell_id)

    def _notebook_for(self, req: CompleteRequest) -> Notebook | None:
        if req.cells is not None:
            if req.path:  # a request with cells refreshes the synced copy too
                self.notebooks.replace(req.path, list(req.cells))
                return self.notebooks.get(req.path)
            scratch = NotebookStore()
            scratch.replace("", list(req.cells))
            return scratch.get("")
        return self.notebooks.get(req.path) if req.path else None

    def _builder_for(self, budget: int | None) -> ContextBuilder | None:
        """The server's builder, or one for a client's own budget (a few kept, oldest dropped)."""
        if budget is None or budget == self.context_budget or self.builder is None:
            return self.builder
        builder = self._extra_builders.pop(budget, None)
        if builder is None:
            builder = ContextBuilder(budget_tokens=budget, count_tokens=self.builder.count_tokens)
            while len(self._extra_builders) >= MAX_EXTRA_BUILDERS:
                self._extra_builders.pop(next(iter(self._extra_builders)))
        self._extra_builders[budget] = builder  # most recently used last
        return builder

    def start_completion(self, req: CompleteRequest) -> Completion:
        """Build the prompt (on the IO loop, a few ms at most) and create the completion."""
        engine, builder = self.host.backend, self._builder_for(req.context_budget)
        if engine is None or builder is None:
            s = self.host.status
            if s.state == "error":
                raise ProtocolError("model_error", f"the model failed to load: {s.error}", req.id)
            raise ProtocolError(
                "model_not_ready", f"the model is {s.state} ({s.percent:.0f}%)", req.id
            )
        kernel = None
        if req.kernel_id and self.kernel_reader is not None:
            kernel = self.kernel_reader.get(req.kernel_id)  # cached; never waits on the kernel
        notebook = self._notebook_for(req)
        prompt = builder.build(
            prefix=req.prefix,
            suffix=req.suffix,
            notebook=notebook,
            cell_id=req.cell_id,
            kernel=kernel,
            project=self._project_block(req, notebook, builder),
        )
        if req.warm:
            return self._warm(engine, prompt.prefix, prompt.suffix, req)
        self.last_prompt = prompt
        choices = self._ground(req, kernel, notebook)
        return engine.complete(
            prompt.prefix, prompt.suffix, req.mode, req.max_tokens, choices, req.confident
        )

    def _use_project(self, req: CompleteRequest) -> bool:
        return self.project is not None and req.project is not False

    def _definers(
        self, req: CompleteRequest | FixMessage, nb: Notebook | None
    ) -> Callable[[str], list[str]]:
        """name -> the sources of the notebook's other code cells that bind it."""

        def definers(name: str) -> list[str]:
            out = []
            if nb is not None:
                for cid in nb.definers(name):
                    cell = nb.cell(cid)
                    if cell is not None and cid != req.cell_id and cell.cell_type == "code":
                        out.append(cell.source)
            return out

        return definers

    def _project_block(
        self, req: CompleteRequest, nb: Notebook | None, builder: ContextBuilder
    ) -> CursorBlock | None:
        """The builder's project block for this request: related code of the other files
        (none while the project has no files: the builder reserves the block's budget)."""
        blocks = self.project_blocks
        if blocks is None or not self._use_project(req) or not len(blocks.index):
            return None
        return blocks.for_cursor(
            req.prefix + req.suffix,
            self._definers(req, nb),
            posixpath.dirname(req.path) if req.path else None,
            req.path,
            blocks.index.config.block_budget(builder.config.budget_tokens),
            builder.count_tokens,
            self.log,
        )

    def _ground(self, req: CompleteRequest, kernel: Any, nb: Notebook | None) -> Choices | None:
        """The closed set of continuations at the cursor, if the sources know one (grounding/).

        On the IO loop: the site is read from the end of the prefix (bounded), and each source
        answers from memory (the kernel's last snapshot, cells analysed once per source).
        """
        if not (self.grounding if req.grounding is None else req.grounding):
            return None
        current = req.prefix + req.suffix
        knowledge = Knowledge(
            kernel=kernel,
            current=current,
            project=self.project if self._use_project(req) else None,
            near=posixpath.dirname(req.path) if req.path else None,
        )
        if nb is not None:
            knowledge.definers = self._definers(req, nb)
            knowledge.all_names = nb.names()
        try:
            return ground(req.prefix, req.suffix, knowledge)
        except Exception:  # a bug in a rule must cost grounding, never the suggestion
            if self.log:
                self.log.exception("jupyter-spark: grounding failed")
            return None

    def _warm(self, engine: Backend, prefix: str, suffix: str, req: CompleteRequest) -> Completion:
        """The backend gets ready its own way (the embedded engine prefills, a remote server
        answers at once); with warm_ahead off a warm is answered at once."""
        if self.warm_ahead:
            return engine.warm(prefix, suffix, req.mode, req.max_tokens, ahead=req.ahead)
        return Completion.answered("warm", engine.name)

    # -- connections ----------------------------------------------------------------------

    def connect(self, send: Send, log: Any = None) -> Connection:
        """A client connected (a websocket): its requests go through the returned connection,
        their frames to ``send``; ``Connection.close`` when it goes."""
        conn = Connection(self, send, log)
        self._connections[conn] = None
        return conn

    def disconnect(self, conn: Connection) -> None:
        self._connections.pop(conn, None)

    def kernel_refreshed(self, kernel_id: str) -> None:
        """The kernel's variables changed (a cell ran): its block at the top of the prompt did
        too, so the last prompt of each idle connection on that kernel is prefilled again now
        rather than at its next keystroke (the kernel reader calls this, on the IO loop)."""
        if not self.warm_ahead:
            return
        for conn in list(self._connections):
            last = conn.last_kernel_request
            if last is None or last.kernel_id != kernel_id or conn.busy:
                continue
            conn.rewarms += 1
            try:
                conn.complete(
                    dataclasses.replace(last, id=f"rewarm-{conn.rewarms}", warm=True, ahead=False)
                )
            except ProtocolError:  # the model went away meanwhile
                pass
            except Exception as e:  # nobody asked: log it, tell no one
                (self.log or _log).error("jupyter-spark: re-warming failed", exc_info=e)

    async def run(self, req: CompleteRequest, completion: Completion, send: Send) -> None:
        """Stream ``completion`` in the inference thread; chunks reach ``send`` on this loop."""
        loop = asyncio.get_running_loop()
        queued = time.perf_counter()
        started: list[float] = []

        def work() -> None:
            started.append(time.perf_counter())
            for text in completion:
                loop.call_soon_threadsafe(send, chunk_reply(req.id, text))

        executor = self._executor if completion.follows is None else self._follow_executor
        await loop.run_in_executor(executor, work)
        queue_ms = 1000 * ((started[0] if started else time.perf_counter()) - queued)
        r = completion.result
        if r is None:  # cancelled before it started
            send(done_reply(req.id, "", cancelled=True))
            return
        if r.stop_reason not in ("cancelled", "warm"):
            self._ttft.append(queue_ms + r.ttft_ms)
            self._total.append(queue_ms + r.total_ms)
            self._queue.append(queue_ms)
        stats = {**r.stats(), "queue_ms": round(queue_ms, 2)}
        send(done_reply(req.id, r.text, r.stop_reason == "cancelled", stats))
