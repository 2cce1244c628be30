"""What a static source (the notebook's cells, a project file) says a name is.

The grounding layer asks two kinds of sources what may follow the cursor: the live kernel (a
snapshot, see ``jupyter_spark.kernel``) and static ones, which read code without running it: the
other cells, and the project index (``jupyter_spark.project``) for the project's files. Static
sources describe what they find with these types, so the candidate sets do not care where a
name was defined.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

from ..kernel.state import Members


@dataclass(frozen=True)
class Symbol:
    """A top-level name of a module (or a cell): a function, a class, a constant, a submodule.

    ``members`` is what grounding needs (a function's keywords, a class's attributes, methods
    and constructor keywords, a dict's keys); ``signature`` and ``doc`` are what the prompt shows.
    """

    name: str
    kind: str  # "function" | "class" | "constant" | "variable" | "import"
    members: Members = field(default_factory=Members)
    signature: str = ""  # "(a, b=2, *, key=None)"; "" if not a callable
    doc: str = ""  # the docstring's first line
    # An ``import``: the dotted name it binds ("pkg.core.haversine_km"), resolved on lookup.
    origin: str = ""


@dataclass(frozen=True)
class ModuleSymbols:
    """The names a module defines, read from its source without importing it."""

    name: str  # dotted module name, e.g. "geo.utils"
    path: str  # the file the names come from (relative to the project root when it has one)
    symbols: tuple[Symbol, ...]
    all: tuple[str, ...] | None = None  # ``__all__`` when the module declares one
    submodules: tuple[str, ...] = ()  # a package's direct submodules (short names)

    def public(self) -> tuple[str, ...]:
        """What ``from mod import `` offers: ``__all__`` if declared, else names without "_"."""
        if self.all is not None:
            return self.all
        names = [s.name for s in self.symbols if not s.name.startswith("_")]
        return tuple(dict.fromkeys([*names, *self.submodules]))

    def get(self, name: str) -> Symbol | None:
        for s in self.symbols:
            if s.name == name:
                return s
        return None


class SymbolSource(Protocol):
    """A static source of modules: the project index implements this."""

    def modules(self, near: str | None = None) -> Iterable[str]:
        """Dotted names importable from a notebook in folder ``near`` (root-relative)."""
        ...

    def module(self, name: str, near: str | None = None) -> ModuleSymbols | None:
        """The symbols of module ``name`` as an import in folder ``near`` would resolve it."""
        ...

    def definition(self, name: str, near: str | None = None) -> Symbol | None:
        """The top-level function, class or constant ``name`` where the project defines it in
        one file only (or in one of folder ``near``); None where it is ambiguous or unknown."""
        ...
