"""The model inside an IPython session: loaded lazily, held warm, never freezing the prompt.

Why in the kernel's own process rather than asking the Jupyter server's warm model: a kernel
does not know its server's URL or credentials (and terminal IPython has no server at all), so
reaching the server would need configuration a user would not expect; the in-process engine
works the same everywhere, offline. The cost is one model per session (~480 MB RSS for the
default model), paid only when a magic or the terminal autosuggester is first used.

Loading runs in a background thread: the first magic says "loading" instead of blocking.
Every use of the engine runs on one worker thread (the engine is not thread-safe), so a
completion never blocks the terminal's event loop.
"""

from __future__ import annotations

import os
import statistics
import threading
from collections import deque
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from ..context import DEFAULT_CONFIG, Cell, ContextBuilder, KernelState, NotebookStore
from ..grounding import Knowledge, ground
from ..grounding.cells import cell_facts
from ..kernel import PROBE_LIMITS
from ..project import ProjectIndex
from ..project.prompt import ProjectBlocks

# Prompt tokens of context (history, namespace, the line being typed): the server's default.
CONTEXT_BUDGET = DEFAULT_CONFIG.budget_tokens
# History entries offered to the context builder as "other cells".
HISTORY_CELLS = 50
# Recent completions kept for the latency shown by `%spark status`.
LATENCY_WINDOW = 100


class SparkSession:
    """One warm engine per IPython session."""

    def __init__(self, model: str | None = None, context_budget: int = CONTEXT_BUDGET) -> None:
        self.model = model or None
        self.context_budget = context_budget
        # Grounded completions on the namespace's real names (as SparkExtension.grounding).
        self.grounding = True
        # The project index of the working directory (as SparkExtension.project_index): its
        # modules feed grounding and its related definitions the prompt. Built on first use.
        self.project_index = True
        self.project: ProjectIndex | None = None
        self._blocks: ProjectBlocks | None = None
        self.state = "idle"  # idle -> loading -> ready | error
        self.error: str | None = None
        self.model_name: str | None = None
        self._engine: Any = None
        self._builder: ContextBuilder | None = None
        self._lock = threading.Lock()
        self._loaded = threading.Event()
        self._generation = 0  # of the load in progress: a switch starts a new one
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="spark-ipython")
        self._ttft: deque[float] = deque(maxlen=LATENCY_WINDOW)
        self._total: deque[float] = deque(maxlen=LATENCY_WINDOW)

    # -- lifecycle -------------------------------------------------------------------------

    def ensure_loading(self) -> None:
        """Start loading the model in the background if it is not loaded or loading. A load
        that failed stays failed (the magics report its error at once) until ``switch``."""
        with self._lock:
            if self.state in ("loading", "ready", "error"):
                return
            self.state, self.error = "loading", None
            self._loaded.clear()
            self._generation += 1
            generation = self._generation
            if self.project_index and self.project is None:
                self.project = ProjectIndex(os.getcwd())
                self._blocks = ProjectBlocks(self.project)
                self.project.start()  # its own threads: the prompt never waits for it
        threading.Thread(
            target=self._load, args=(self.model, generation), name="spark-ipython-load", daemon=True
        ).start()

    def _load(self, model: str | None, generation: int) -> None:
        """Load ``model``; its outcome counts only if no ``switch`` came since (a slow load of
        the previous model must not finish the new one's wait, nor install the old model)."""
        from ..engine import Engine

        try:
            engine = Engine.load(model, progress=False)
            tok = engine.tokenizer

            def count(text: str) -> int:
                return len(tok.encode(text, add_special_tokens=False).ids)

            builder = ContextBuilder(budget_tokens=self.context_budget, count_tokens=count)
            outcome: tuple[str, str | None] = ("ready", None)
        except Exception as e:  # a broken model path: say so, keep the session usable
            engine, builder, outcome = None, None, ("error", f"{type(e).__name__}: {e}")
        with self._lock:
            if generation != self._generation:
                return
            if engine is not None:
                self._builder, self._engine, self.model_name = builder, engine, engine.name
            self.state, self.error = outcome
            self._loaded.set()

    def wait_ready(self, timeout: float | None = None) -> bool:
        self.ensure_loading()
        self._loaded.wait(timeout)
        return self.state == "ready"

    def switch(self, model: str | None) -> None:
        """Use another model (a path, a GGUF or a registry name); loads in the background."""
        with self._lock:
            self.model = model or None
            self._engine = None
            self.state = "idle"
        self.ensure_loading()

    def close(self) -> None:
        if self.project is not None:
            self.project.close()
        self._executor.shutdown(wait=False, cancel_futures=True)

    # -- completions -----------------------------------------------------------------------

    def build_prompt(
        self,
        prefix: str,
        suffix: str,
        namespace: Mapping[str, Any] | None,
        history: Sequence[str],
        kernel: KernelState | None = None,
    ) -> Any:
        """History as the "other cells", the namespace as the kernel state, then the code."""
        if self._builder is None:
            raise RuntimeError("the model is not loaded")
        if kernel is None and namespace is not None:
            kernel = namespace_state(namespace)
        store = NotebookStore()
        cells = [Cell(f"h{i}", "code", src) for i, src in enumerate(history[-HISTORY_CELLS:])]
        cells.append(Cell("current", "code", prefix + suffix))
        store.replace("", cells)
        project = None
        if self._blocks is not None and self.project_index and len(self._blocks.index):
            past = history[-HISTORY_CELLS:]
            project = self._blocks.for_cursor(
                prefix + suffix,
                lambda name: [s for s in past if name in cell_facts(s).names],
                None,
                None,
                self._blocks.index.config.block_budget(self.context_budget),
                self._builder.count_tokens,
            )
        return self._builder.build(
            prefix=prefix,
            suffix=suffix,
            notebook=store.get(""),
            cell_id="current",
            kernel=kernel,
            project=project,
        )

    def start(
        self,
        prefix: str,
        suffix: str = "",
        *,
        mode: str = "line",
        namespace: Mapping[str, Any] | None = None,
        history: Sequence[str] = (),
        kernel: KernelState | None = None,
        max_tokens: int | None = None,
    ) -> tuple[Any, Future]:
        """(completion, future of its result): cancel the completion to stop it early."""
        if self.state != "ready":
            raise NotReady(self.state, self.error)
        if kernel is None and namespace is not None:
            kernel = namespace_state(namespace)
        prompt = self.build_prompt(prefix, suffix, namespace, history, kernel)
        choices = None
        if self.grounding:  # the namespace's real keys, attributes, names (grounding/)
            knowledge = Knowledge(
                kernel=kernel,
                cell_sources=tuple(history[-HISTORY_CELLS:]),
                current=prefix + suffix,
                project=self.project if self.project_index else None,
            )
            choices = ground(prefix, suffix, knowledge)
        completion = self._engine.complete(
            prompt.prefix, prompt.suffix, mode, max_tokens, choices=choices
        )
        future = self._executor.submit(self._run, completion)
        return completion, future

    def _run(self, completion: Any) -> Any:
        result = completion.wait()
        if result.ttft_ms is not None and result.stop_reason != "typed_through":
            self._ttft.append(result.ttft_ms)
        self._total.append(result.total_ms)
        return result

    def complete(self, prefix: str, suffix: str = "", **kw: Any) -> Any:
        """Blocking completion (for the magics): the CompletionResult."""
        _, future = self.start(prefix, suffix, **kw)
        return future.result()

    def status(self) -> dict[str, Any]:
        def p50(xs: deque[float]) -> float | None:
            return round(statistics.median(xs), 1) if xs else None

        return {
            "state": self.state,
            "model": self.model_name or self.model or "default (SmolLM2-135M-Instruct)",
            "error": self.error,
            "completions": len(self._total),
            "ttft_ms_p50": p50(self._ttft),
            "total_ms_p50": p50(self._total),
            "project": self.project.status() if self.project else {"enabled": False},
        }


class NotReady(Exception):
    """The model is not loaded (yet, or at all): ``state`` says which."""

    def __init__(self, state: str, error: str | None) -> None:
        self.state = state
        super().__init__(
            f"the model failed to load: {error} (%spark model PATH loads another)"
            if state == "error"
            else "the model is loading (first use); try again in a few seconds"
        )


def namespace_state(namespace: Mapping[str, Any]) -> KernelState | None:
    """The live namespace as the model sees a kernel, through the server's safe probe code."""
    from ..kernel import probe as kernel_probe
    from ..kernel import state_from_probe

    if not isinstance(namespace, dict):
        return None
    try:
        data = kernel_probe.snapshot(namespace, PROBE_LIMITS)
    except Exception:  # library code on an odd value: no kernel block rather than no answer
        return None
    return state_from_probe(data)
