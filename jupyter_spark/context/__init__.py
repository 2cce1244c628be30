"""Notebook cells + kernel state -> a ranked, budgeted prompt for the engine.

``NotebookStore`` keeps synced copies of notebooks (whole once, then one-cell changes);
``ContextBuilder.build`` turns the cursor's cell, the other cells ranked by relevance and the
kernel's state into a ``Prompt`` whose stable parts come first, so the engine's KV cache
survives keystrokes. Tunables: ``ContextConfig``.
"""

from ..kernel import KernelState, KernelVar
from .analysis import CellInfo, analyze
from .builder import ContextBuilder, Prompt
from .config import DEFAULT_CONFIG, ContextConfig, estimate_tokens
from .notebook import Cell, Notebook, NotebookStore, UnknownNotebook

__all__ = [
    "DEFAULT_CONFIG",
    "Cell",
    "CellInfo",
    "ContextBuilder",
    "ContextConfig",
    "KernelState",
    "KernelVar",
    "Notebook",
    "NotebookStore",
    "Prompt",
    "UnknownNotebook",
    "analyze",
    "estimate_tokens",
]
