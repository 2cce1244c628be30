"""Grounded completions: where the cursor's continuation is a known set, build it from that set.

(Being written; see symbols.py for the types static sources hand over.)
"""

from .symbols import ModuleSymbols, Symbol, SymbolSource

__all__ = ["ModuleSymbols", "Symbol", "SymbolSource"]
