"""Warm onnxruntime engine: load a model once, complete code at the cursor, stream the text.

Entry point: ``Engine.load(model=None)`` then ``engine.complete(prefix, suffix, mode)``.
"""

from .config import EngineConfig
from .engine import MODES, Completion, CompletionResult, Engine

__all__ = ["MODES", "Completion", "CompletionResult", "Engine", "EngineConfig"]
