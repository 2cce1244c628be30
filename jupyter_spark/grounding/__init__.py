"""Grounded completions: where the cursor's continuation is a known set, build it from that set.

Entry point: ``ground(prefix, suffix, Knowledge(...))`` -> ``engine.grounded.Choices`` or None.

    prefix/suffix --sites.py--> Site (key of df, attr of np, name, module, keyword of f)
                  --candidates.py--> the set, from the kernel's members, the cells (cells.py),
                                     the project (a SymbolSource), installed modules
                  --> Choices --engine (grounded.py)--> the model picks one, then goes on freely

Where no source knows the set exactly, or a new name is the likely intent, there are no
choices and the completion is free, as without grounding.
"""

from .candidates import Knowledge, ground, resolve
from .sites import Site, find_site
from .symbols import ModuleSymbols, Symbol, SymbolSource

__all__ = [
    "Knowledge",
    "ModuleSymbols",
    "Site",
    "Symbol",
    "SymbolSource",
    "find_site",
    "ground",
    "resolve",
]
