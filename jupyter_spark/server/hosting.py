"""Model hosting: the server's one backend, brought up in a background thread, and its state.

``ModelHost.start()`` pulls (if missing), converts and loads the embedded model, or connects to
a remote OpenAI-compatible server (with ``remote_fallback``, the embedded model loaded too, to
take over while the remote fails). ``status`` is what spark/status reports of it meanwhile;
``backend`` is set once it is ready, after ``on_ready`` (the request side's setup) ran. The
only module of the server that names the concrete backends: past loading, everything holds a
``Backend`` (engine/backend.py).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..engine import Backend, EngineConfig, RemoteConfig
from ..models.errors import ModelError
from ..models.metadata import LLAMA_CPP_FILE_SEP_NAMES

STATES = ("starting", "pulling", "converting", "loading", "ready", "error")

# The repository-level file separator of models trained with it (Qwen2.5-Coder): the project
# block marks its files with it instead of comments. Only the name llama.cpp gives that role:
# SmolLM2 inherits StarCoder's <file_sep> in its vocabulary but was not measured with it, so
# the default model keeps comment headers (benchmarks/project_hits.py measured those).
FILE_SEP = LLAMA_CPP_FILE_SEP_NAMES[0]


@dataclass
class ModelStatus:
    """What GET spark/status reports about the model."""

    state: str = "starting"
    percent: float = 0.0
    model: str | None = None
    error: str | None = None
    error_code: str | None = None
    since: float = field(default_factory=time.time)


class ModelHost:
    """The model behind every request, local or remote, and where its loading is."""

    def __init__(
        self,
        model: str | None,
        engine_config: EngineConfig,
        remote: RemoteConfig | None = None,
        remote_fallback: bool = False,
        log: Any = None,
        on_ready: Callable[[Backend], None] | None = None,
    ) -> None:
        self.model_spec = model
        self.engine_config = engine_config
        self.remote = remote
        self.remote_fallback = remote_fallback
        self.log = log
        self.on_ready = on_ready
        self.status = ModelStatus()
        self.backend: Backend | None = None
        # The model's repository-level file separator, if it was trained with one (FILE_SEP).
        self.file_sep: str | None = None
        self._loader: threading.Thread | None = None

    def start(self) -> None:
        self._loader = threading.Thread(target=self._load, name="spark-load", daemon=True)
        self._loader.start()

    def wait_ready(self, timeout: float | None = None) -> bool:
        """Block until loading ends (tests and the CLI; never called on the IO loop)."""
        if self._loader is not None:
            self._loader.join(timeout)
        return self.status.state == "ready"

    def publish(self, backend: Backend) -> None:
        """Requests use ``backend`` from now on (``on_ready`` first sets up what they need)."""
        if self.on_ready is not None:
            self.on_ready(backend)
        self.backend = backend

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
        from ..engine import RemoteBackend

        try:
            backend = RemoteBackend(config)
        except ValueError as e:
            self.status.state, self.status.error, self.status.error_code = "error", str(e), "config"
            return
        self.publish(backend)
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
        from ..engine import Engine
        from ..models import resolve_model

        try:
            self.status.state = "pulling"
            info = resolve_model(self.model_spec, progress=self._progress)
            self.status.state, self.status.percent, self.status.model = "loading", 0.0, info.name
            engine = Engine(
                info.path, info.onnx_path, info.tokenizer_path, info.name, self.engine_config
            )
            if engine.tokenizer.token_to_id(FILE_SEP) is not None:
                self.file_sep = FILE_SEP  # repository-level prompts
            self.publish(engine)
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
