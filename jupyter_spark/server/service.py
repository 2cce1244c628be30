"""The completion service behind the handlers: model state, context, inference off the IO loop.

Handlers only parse and send; this object owns the warm engine (loaded in a background thread
so the server starts at once), the synced notebooks, the kernel-state reader and one inference
thread. Generation runs in that thread (onnxruntime releases the GIL); each new text is handed
back to the IO loop with ``call_soon_threadsafe``. The IO loop never waits on the model or on a
kernel.
"""

from __future__ import annotations

import asyncio
import posixpath
import statistics
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from ..context import ContextBuilder, Notebook, NotebookStore, UnknownNotebook
from ..engine import (
    Backend,
    Completion,
    Engine,
    EngineConfig,
    RemoteBackend,
    RemoteConfig,
)
from ..engine.backend import EMBEDDED_STATUS
from ..engine.grounded import Choices
from ..fixes import FixService, KernelInspector, needed_details
from ..grounding import Knowledge, ground
from ..grounding import modules as installed_modules
from ..kernel import KernelState
from ..models.errors import ModelError
from ..models.metadata import LLAMA_CPP_FILE_SEP_NAMES
from ..project import ProjectIndex
from ..project.prompt import CursorBlock, ProjectBlocks
from .fixing import answer_fix
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

Send = Callable[[dict[str, Any]], None]

# Recent requests kept for the latency percentiles shown by spark/status.
LATENCY_WINDOW = 200
# Context builders kept for client-chosen budgets other than the server's (each has caches).
MAX_EXTRA_BUILDERS = 4

# The repository-level file separator of models trained with it (Qwen2.5-Coder): the project
# block marks its files with it instead of comments. Only the name llama.cpp gives that role:
# SmolLM2 inherits StarCoder's <file_sep> in its vocabulary but was not measured with it, so
# the default model keeps comment headers (benchmarks/project_hits.py measured those).
FILE_SEP = LLAMA_CPP_FILE_SEP_NAMES[0]

STATES = ("starting", "pulling", "converting", "loading", "ready", "error")


@dataclass
class ModelStatus:
    """What GET spark/status reports about the model."""

    state: str = "starting"
    percent: float = 0.0
    model: str | None = None
    error: str | None = None
    error_code: str | None = None
    since: float = field(default_factory=time.time)


class CompletionService:
    """One per server: the shared engine and everything a request needs besides HTTP."""

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
        self.model_spec = model
        # A remote OpenAI-compatible server instead of the embedded model (and, with
        # remote_fallback, the embedded model loaded too, taking over while the remote fails).
        self.remote = remote
        self.remote_fallback = remote_fallback
        self.warm_ahead = warm_ahead  # SparkExtension.warm_ahead
        self.grounding = grounding  # SparkExtension.grounding (a request may override it)
        # SparkExtension.project_index: the project's other files (None: off)
        self.project = project
        self.project_blocks = ProjectBlocks(project) if project is not None else None
        self.engine_config = engine_config
        self.context_budget = context_budget
        self.kernel_reader = kernel_reader
        self.log = log
        self.status = ModelStatus()
        # The model behind every request: only the Backend interface is used past loading.
        self.engine: Backend | None = None
        self.notebooks = NotebookStore()
        self.builder: ContextBuilder | None = None
        self._extra_builders: dict[int, ContextBuilder] = {}
        self._count_tokens: Callable[[str], int] | None = None
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
        self._loader: threading.Thread | None = None
        # The last prompt sent to the engine, for `spark/status?debug` and the tests that check
        # what context reached the model.
        self.last_prompt: Any = None

    # -- model lifecycle ------------------------------------------------------------------

    def start(self) -> None:
        """Pull (if missing), convert and load the model in a background thread."""
        if self.grounding:
            installed_modules.prime()  # `import pa` offers them; the scan is off the loop
        if self.project is not None:
            self.project.start()  # builds in its own thread, then follows changes
        self._loader = threading.Thread(target=self._load, name="spark-load", daemon=True)
        self._loader.start()

    def _progress(self, stage: str, fraction: float) -> None:
        state = {
            "download": "pulling",
            "downloading": "pulling",
            "extracting": "pulling",
            "pulling": "pulling",
        }.get(stage, "converting")
        self.status.state, self.status.percent = state, round(100 * fraction, 1)

    def _load(self) -> None:
        if self.remote is not None:
            self._connect_remote(self.remote)
            return
        self._load_embedded()

    def _connect_remote(self, config: RemoteConfig) -> None:
        try:
            backend = RemoteBackend(config)
        except ValueError as e:
            self.status.state, self.status.error, self.status.error_code = "error", str(e), "config"
            return
        self._count_tokens = backend.count_tokens
        self.builder = ContextBuilder(
            budget_tokens=self.context_budget, count_tokens=backend.count_tokens
        )
        self.engine = backend
        self.fixes.engine = backend
        self.status.state, self.status.percent, self.status.model = "ready", 100.0, backend.name
        self.status.since = time.time()
        if not backend.health() and self.log:
            self.log.warning(
                "jupyter-spark: the inference server %s: %s", config.url, backend.last_error
            )
        if self.remote_fallback:
            from ..engine import Engine

            try:
                backend.fallback = Engine.load(self.model_spec, self.engine_config, progress=False)
            except Exception as e:
                if self.log:
                    self.log.warning("jupyter-spark: no embedded fallback: %s", e)

    def _load_embedded(self) -> None:
        from ..models import resolve_model

        try:
            self.status.state = "pulling"
            info = resolve_model(self.model_spec, progress=self._progress)
            self.status.state, self.status.percent, self.status.model = "loading", 0.0, info.name
            engine = Engine(
                info.path, info.onnx_path, info.tokenizer_path, info.name, self.engine_config
            )
            tok = engine.tokenizer
            self._count_tokens = count = engine.count_tokens
            if self.project_blocks is not None and tok.token_to_id(FILE_SEP) is not None:
                self.project_blocks.file_sep = FILE_SEP  # repository-level prompts
            self.builder = ContextBuilder(budget_tokens=self.context_budget, count_tokens=count)
            self.engine = engine
            self.fixes.engine = engine
            self.status.state, self.status.percent = "ready", 100.0
        except ModelError as e:
            self.status.state, self.status.error, self.status.error_code = "error", str(e), e.code
        except Exception as e:  # anything else: show it, keep the server up
            self.status.state, self.status.error = "error", f"{type(e).__name__}: {e}"
            self.status.error_code = "load_failed"
            if self.log:
                self.log.exception("jupyter-spark: loading the model failed")
        finally:
            self.status.since = time.time()

    def wait_ready(self, timeout: float | None = None) -> bool:
        """Block until loading ends (tests and the CLI; never called on the IO loop)."""
        if self._loader is not None:
            self._loader.join(timeout)
        return self.status.state == "ready"

    def status_message(self) -> dict[str, Any]:
        s = self.status

        def pct(values: deque[float]) -> dict[str, float | None]:
            if not values:
                return {"p50": None, "p95": None}
            ordered = sorted(values)
            return {
                "p50": round(statistics.median(ordered), 2),
                "p95": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 2),
            }

        backend = self.engine.status() if self.engine is not None else dict(EMBEDDED_STATUS)
        return status_reply(
            state=s.state,
            percent=s.percent,
            model=s.model,
            backend=backend,
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
        if budget is None or budget == self.context_budget or self._count_tokens is None:
            return self.builder
        builder = self._extra_builders.pop(budget, None)
        if builder is None:
            builder = ContextBuilder(budget_tokens=budget, count_tokens=self._count_tokens)
            while len(self._extra_builders) >= MAX_EXTRA_BUILDERS:
                self._extra_builders.pop(next(iter(self._extra_builders)))
        self._extra_builders[budget] = builder  # most recently used last
        return builder

    def start_completion(self, req: CompleteRequest) -> Completion:
        """Build the prompt (on the IO loop, a few ms at most) and create the completion."""
        engine, builder = self.engine, self._builder_for(req.context_budget)
        if engine is None or builder is None:
            s = self.status
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
