"""The Jupyter server extension: configuration (every option once, with its default) and wiring.

Enabled by a plain install (jupyter-config/jupyter_server_config.d/jupyter_spark.json in the
wheel). Configure in jupyter_server_config.py, e.g. ``c.SparkExtension.context_budget = 768``,
or on the command line, ``jupyter lab --SparkExtension.model=/path/to/model.gguf``.
"""

from __future__ import annotations

import os

from jupyter_server.extension.application import ExtensionApp
from traitlets import Bool, Enum, Float, Int, Unicode

from ..context.config import MAX_NOTEBOOK_BYTES
from ..engine import EngineConfig, RemoteConfig
from .handlers import default_handlers
from .kernel_state import TIMEOUT as KERNEL_STATE_TIMEOUT
from .kernel_state import KernelStateReader
from .service import CompletionService

_ENGINE = EngineConfig()


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
        1024,
        config=True,
        help="Prompt tokens built from the notebook, the kernel state and the current cell.",
    )
    max_message_bytes = Int(
        4 * 1024 * 1024,
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
    time_budget_ms = Float(
        _ENGINE.time_budget_ms,
        config=True,
        help="Wall-time limit of one completion, in milliseconds.",
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
            time_budget_ms=self.time_budget_ms,
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
        )
        self.service.notebooks.max_bytes = self.max_notebook_bytes
        self.settings.update(
            spark_service=self.service, spark_max_message_bytes=self.max_message_bytes
        )
        self.service.start()  # background thread: server start is not delayed

    def initialize_handlers(self) -> None:
        self.handlers.extend(
            (pattern, handler, {"service": self.service}) for pattern, handler in default_handlers
        )

    async def stop_extension(self) -> None:
        reader = self.service.kernel_reader
        if reader is not None:
            await reader.close()
        self.service.close()
