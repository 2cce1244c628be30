"""The model registry: which model to run, pulling and converting it once, and finding it again.

Its parts: ``resolve`` (a name or path -> a model), ``cache`` (the dirs, the lock, building
and swapping a model in, manifests), ``validate`` (what a GGUF or an ONNX export must hold
before anything is written or loaded), ``info`` (``ModelInfo`` and what ``model info`` shows)
and ``progress`` (bars or a callback). Every public name is importable from here.

Layout: ``<jupyter data dir>/spark/models/<name>/`` holds one converted model (model.onnx,
tokenizer.json, spark_model.json...) plus ``manifest.json``, which records where the model came
from and what the files should look like, so a later run can tell a good copy from a stale or
damaged one without reading the model.

Why it is built this way:

- A model dir is only ever created by renaming a complete temporary dir into place, with the
  manifest written last, so a crash, a full disk or Ctrl-C can never leave a half-written model
  where the engine would load it; the previous good copy stays usable until the new one is in.
- All writers hold one file lock (``<root>/.lock``) while they work, so two Jupyter servers or a
  server and ``jupyter spark model pull`` starting together convert once: the second waits and
  then finds the model there. Because temporary dirs only exist while their writer holds the
  lock, any ``.tmp-*`` dir seen under the lock belongs to a killed process and is removed.
- Readers take no lock: a fresh model is found with a few stat calls.
"""

from .cache import (
    LOCK_POLL_S,
    LOCK_TIMEOUT_S,
    MANIFEST,
    MANIFEST_FORMAT,
    cache_lock,
    cache_root,
    list_models,
    stale_reason,
)
from .info import ModelInfo, gguf_facts, model_facts
from .progress import Progress, ProgressArg
from .resolve import DEFAULT_ALIASES, NAME_HASH_HEX, model_info, onnx_dir_model, resolve_model
from .validate import (
    ONNX_CANDIDATES,
    ONNX_SUBDIRS,
    check_gguf_header,
    check_gguf_runnable,
    check_onnx_dir,
    validate_decoder_onnx,
)

__all__ = [
    "DEFAULT_ALIASES",
    "LOCK_POLL_S",
    "LOCK_TIMEOUT_S",
    "MANIFEST",
    "MANIFEST_FORMAT",
    "NAME_HASH_HEX",
    "ONNX_CANDIDATES",
    "ONNX_SUBDIRS",
    "ModelInfo",
    "Progress",
    "ProgressArg",
    "cache_lock",
    "cache_root",
    "check_gguf_header",
    "check_gguf_runnable",
    "check_onnx_dir",
    "gguf_facts",
    "list_models",
    "model_facts",
    "model_info",
    "onnx_dir_model",
    "resolve_model",
    "stale_reason",
    "validate_decoder_onnx",
]
