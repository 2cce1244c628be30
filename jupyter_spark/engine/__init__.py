"""Warm onnxruntime engine: load a model once, complete code at the cursor, stream the text.

Entry point: ``Engine.load(model=None)`` then ``engine.complete(prefix, suffix, mode)``.
The layers above hold a ``Backend`` (backend.py): the embedded ``Engine`` or a
``RemoteBackend`` (remote.py) that streams from an OpenAI-compatible server.

The classes that need onnxruntime load on first use (PEP 562), so the layers above can import
``engine.config`` (the knobs, the token estimator) without paying for the runtime.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

from .backend import Backend
from .config import EngineConfig, estimate_tokens

if TYPE_CHECKING:
    from .completion import Completion, CompletionResult
    from .engine import ALL_MODES, MODES, Engine
    from .remote import BackendError, RemoteBackend, RemoteConfig

_LAZY = {
    "ALL_MODES": ".engine",
    "MODES": ".engine",
    "Completion": ".completion",
    "CompletionResult": ".completion",
    "Engine": ".engine",
    "BackendError": ".remote",
    "RemoteBackend": ".remote",
    "RemoteConfig": ".remote",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(name)
    return getattr(import_module(module, __name__), name)


__all__ = [
    "ALL_MODES",
    "MODES",
    "Backend",
    "BackendError",
    "Completion",
    "CompletionResult",
    "Engine",
    "EngineConfig",
    "RemoteBackend",
    "RemoteConfig",
    "estimate_tokens",
]
