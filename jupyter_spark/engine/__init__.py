"""Warm onnxruntime engine: load a model once, complete code at the cursor, stream the text.

Entry point: ``Engine.load(model=None)`` then ``engine.complete(prefix, suffix, mode)``.
A backend is anything with that ``complete`` (and a ``name``): the embedded ``Engine`` or a
``RemoteBackend`` (remote.py) that streams from an OpenAI-compatible server.
"""

from typing import Protocol

from .config import EngineConfig
from .engine import ALL_MODES, MODES, Completion, CompletionResult, Engine
from .remote import BackendError, RemoteBackend, RemoteConfig


class Backend(Protocol):
    """What the completion service needs from a model, local or remote."""

    name: str

    def complete(
        self, prefix: str, suffix: str = "", mode: str = "line", max_tokens: int | None = None
    ) -> Completion: ...


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
]
