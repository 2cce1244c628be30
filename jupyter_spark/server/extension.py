"""The Jupyter server extension: configuration (every option once, with its default) and wiring.

Enabled by a plain install (jupyter-config/jupyter_server_config.d/jupyter_spark.json in the
wheel). Configure in jupyter_server_config.py, e.g. ``c.SparkExtension.context_budget = 768``,
or on the command line, ``jupyter lab --SparkExtension.model=/path/to/model.gguf``.
"""

from __future__ import annotations

import os

from jupyter_server.extension.application import ExtensionApp
from traitlets import Bool, Enum, Float, Int, List, Unicode

from ..context.config import DEFAULT_CONFIG as _CONTEXT
from ..context.config import MAX_NOTEBOOK_BYTES
from ..engine import EngineConfig, RemoteConfig
from ..project import DEFAULT_PROJECT, ProjectConfig, ProjectIndex
from .handlers import default_handlers
from .kernel_state import TIMEOUT as KERNEL_STATE_TIMEOUT
from .kernel_state import KernelStateReader
from .protocol import MAX_MESSAGE_BYTES
from .service import CompletionService

_ENGINE = EngineConfig()
CONTENTS_EVENTS = "https://events.jupyter.org/jupyter_server/contents_service/v1"


class SparkExtension(ExtensionApp):
    """Holds the model warm and serves spark/status, spark/complete and spark/ws."""

    name = "jupyter_spark"

    model = Unicode(
        "",
        config=True,
        help="Model to serve: empty for the default (SmolLM2-135M-Instruct, pulled and "
        "converted on first use), a cached model's name, a Llama-family .gguf file, or a "
        "directory with an ONNX decoder export and tokenizer.json.",
    )
    context_budget = Int(
        _CONTEXT.budget_tokens,
        config=True,
        help="Prompt tokens built from the notebook, the kernel state and the current cell.",
    )
    max_message_bytes = Int(
        MAX_MESSAGE_BYTES,
        config=True,
        help="Largest websocket frame or POST body accepted, in UTF-8 bytes; larger ones get a "
        "too_large error on an open connection (a websocket frame over twice this closes it).",
    )
    max_notebook_bytes = Int(
        MAX_NOTEBOOK_BYTES,
        config=True,
        help="Cell text of synced notebooks kept in memory, in UTF-8 bytes; past it the least "
        "recently used are dropped (a notebook is also dropped when the last connection that "
        "synced it closes; a dropped one is resent whole by the client).",
    )
    threads = Int(
        _ENGINE.threads,
        config=True,
        help="onnxruntime intra-op threads (0: the cores this process may use, up to 8).",
    )
    max_context = Int(
        _ENGINE.max_context, config=True, help="Tokens per KV-cache slot (prompt + completion)."
    )
    kv_slots = Int(_ENGINE.kv_slots, config=True, help="KV-cache slots kept warm (LRU).")
    huge_pages = Bool(
        _ENGINE.huge_pages,
        config=True,
        help="Back the model's weights with 2 MB pages after it loads (Linux transparent huge "
        "pages, madvise mode: only memory the load filled): a step streams all of them, and "
        "4 KB pages cost 10-13 % of it. Off: the system's page size.",
    )
    warm_ahead = Bool(
        True,
        config=True,
        help="Prefill prompts before the keystroke that needs them: when the frontend moves to "
        "another cell (its `warm` message) and when a cell run changes the kernel's variables. "
        "Off: the first keystroke after such a change pays for the prefill (the CPU stays idle "
        "until then).",
    )
    grounding = Bool(
        True,
        config=True,
        help="Grounded completions: where the kernel, the cells or the project know exactly what "
        "may follow the cursor (a DataFrame's columns after `df['`, a dict's keys, an object's "
        "attributes, a module's names, a function's keywords, names in scope), the suggestion "
        "starts with one of them, chosen by the model. Off: the model may invent names. A "
        "request's `grounding` field overrides this per request.",
    )
    project_index = Bool(
        True,
        config=True,
        help="Index the project: every Python file and notebook under the server's root (or "
        "project_paths), read with ast in a background thread and kept current as files change. "
        "Imports of project modules resolve to their files (the notebook's folder first, then the "
        "root, then src/), their names feed grounded completions, and the definitions most "
        "related to the code at the cursor are added to the prompt. Off: only the notebook and "
        "its kernel are read. A request's `project` field overrides this per request.",
    )
    project_paths = List(
        Unicode(),
        list(DEFAULT_PROJECT.paths),
        config=True,
        help="Folders to index, relative to the root (empty: the whole root). Nothing outside the "
        "root is read, and a symlink out of it is not followed.",
    )
    project_exclude = List(
        Unicode(),
        list(DEFAULT_PROJECT.exclude),
        config=True,
        help="gitignore-style patterns left out of the index, on top of each folder's .gitignore, "
        "hidden files (unless the contents manager allows them), its hide_globs, environments "
        "(virtualenvs, conda), site-packages, node_modules, caches and build folders.",
    )
    project_max_files = Int(
        DEFAULT_PROJECT.max_files, config=True, help="Files indexed at most; the rest are skipped."
    )
    project_max_file_bytes = Int(
        DEFAULT_PROJECT.max_file_bytes,
        config=True,
        help="A file larger than this is skipped unread (noted in spark/status).",
    )
    project_max_tokens = Int(
        DEFAULT_PROJECT.max_tokens,
        config=True,
        help="Source tokens kept for retrieval; past it, files keep their symbols (imports "
        "resolve) but add no snippets to the prompt. Bounds the index's memory.",
    )
    project_budget_tokens = Int(
        DEFAULT_PROJECT.budget_tokens,
        config=True,
        help="Prompt tokens for the project block (signatures and short snippets of related "
        "files), at most a quarter of context_budget.",
    )
    time_budget_ms = Float(
        _ENGINE.time_budget_ms,
        config=True,
        help="Wall-time limit of one completion, in milliseconds.",
    )
    repeat_limit = Int(
        _ENGINE.repeat_limit,
        config=True,
        help="Identical tokens in a row that make a completion a loop: it is stopped and not "
        "shown (what a grounded name spelled before it is kept). 0 disables the guard.",
    )
    backend = Enum(
        ["embedded", "remote"],
        "embedded",
        config=True,
        help="Where completions are generated: the embedded model in this process, or a "
        "remote OpenAI-compatible server (remote_url: vLLM, llama.cpp's server, Ollama, TGI, "
        "or `jupyter spark serve`). Context, post-processing and fixes stay here either way.",
    )
    remote_url = Unicode(
        "", config=True, help="Base URL of the remote server, e.g. http://inference:8000."
    )
    remote_model = Unicode("", config=True, help="Model id sent to the remote server.")
    remote_api_key_env = Unicode(
        "SPARK_REMOTE_API_KEY",
        config=True,
        help="Environment variable holding the remote server's API key (sent as Bearer).",
    )
    remote_timeout = Float(
        10.0, config=True, help="Seconds without data from the remote server before a timeout."
    )
    remote_connect_timeout = Float(
        2.0, config=True, help="Seconds to connect to the remote server."
    )
    remote_max_concurrent = Int(
        8, config=True, help="Requests in flight from this server to the remote server."
    )
    remote_fallback = Bool(
        False,
        config=True,
        help="Also load the embedded model and use it while the remote server is failing.",
    )
    kernel_state_timeout = Float(
        KERNEL_STATE_TIMEOUT,
        config=True,
        help="Seconds a kernel-state snapshot may take; a busy kernel is simply skipped.",
    )

    def initialize_settings(self) -> None:
        engine_config = EngineConfig(
            threads=self.threads,
            max_context=self.max_context,
            kv_slots=self.kv_slots,
            huge_pages=self.huge_pages,
            time_budget_ms=self.time_budget_ms,
            repeat_limit=self.repeat_limit,
        )
        reader = KernelStateReader(
            self.serverapp.kernel_manager, timeout=self.kernel_state_timeout, log=self.log
        )
        remote = None
        if self.backend == "remote":
            remote = RemoteConfig(
                url=self.remote_url,
                model=self.remote_model,
                api_key=os.environ.get(self.remote_api_key_env) or None,
                timeout=self.remote_timeout,
                connect_timeout=self.remote_connect_timeout,
                max_concurrent=self.remote_max_concurrent,
            )
        project = None
        if self.project_index:
            cm = self.serverapp.contents_manager
            project = ProjectIndex(
                self.serverapp.root_dir,
                ProjectConfig(
                    paths=tuple(self.project_paths),
                    exclude=tuple(self.project_exclude),
                    max_files=self.project_max_files,
                    max_file_bytes=self.project_max_file_bytes,
                    max_tokens=self.project_max_tokens,
                    budget_tokens=self.project_budget_tokens,
                ),
                allow_hidden=bool(getattr(cm, "allow_hidden", False)),
                hide_globs=getattr(cm, "hide_globs", ()),
                log=self.log,
            )
            self._follow_contents(project)
        self.service = CompletionService(
            self.model or None,
            engine_config,
            self.context_budget,
            reader,
            self.log,
            remote=remote,
            remote_fallback=self.remote_fallback,
            warm_ahead=self.warm_ahead,
            grounding=self.grounding,
            project=project,
        )
        self.service.notebooks.max_bytes = self.max_notebook_bytes
        self.settings.update(
            spark_service=self.service, spark_max_message_bytes=self.max_message_bytes
        )
        self.service.start()  # background thread: server start is not delayed

    def _follow_contents(self, project: ProjectIndex) -> None:
        """Saves, renames and deletes through the contents API reach the index at once (the
        file watcher sees them too, a debounce later, and sees what other programs do)."""
        logger = getattr(self.serverapp, "event_logger", None)
        if logger is None:
            return

        async def listener(logger: object, schema_id: str, data: dict) -> None:
            # jupyter_events calls this by keyword; it must never fail the user's save
            try:
                if data.get("action") in ("save", "create", "upload", "rename", "copy", "delete"):
                    paths = [p for p in (data.get("path"), data.get("source_path")) if p]
                    project.changed([p for p in paths if isinstance(p, str)])
            except Exception:
                self.log.exception("jupyter-spark: a contents event")

        try:
            logger.add_listener(schema_id=CONTENTS_EVENTS, listener=listener)
        except Exception as e:  # an older jupyter_events: the watcher alone follows changes
            self.log.info("jupyter-spark: contents events unavailable (%s)", e)

    def initialize_handlers(self) -> None:
        self.handlers.extend(
            (pattern, handler, {"service": self.service}) for pattern, handler in default_handlers
        )

    async def stop_extension(self) -> None:
        reader = self.service.kernel_reader
        if reader is not None:
            await reader.close()
        self.service.close()
