"""What a static source (the notebook's cells, a project file) says a name is.

The grounding layer asks two kinds of sources what may follow the cursor: the live kernel (a
snapshot, see ``jupyter_spark.kernel``) and static ones, which read code without running it: the
other cells, and the project index (``jupyter_spark.project``) for the project's files. Static
sources describe what they find with these types, so the candidate sets do not care where a
name was defined.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Symbol:
    """A top-level name of a module (or a cell): a function, a class, a constant, a submodule."""

    name: str
    kind: str  # "function" | "class" | "constant" | "module" | "variable"
    # Parameters that can be passed by keyword (a class: its __init__'s, without self).
    params: tuple[str, ...] = ()
    # Takes **kwargs: its keywords are an open set, so keyword sites are not grounded.
    var_kwargs: bool = False
    # A class: its methods, dataclass fields and ``self.`` attributes; a module: its names.
    members: tuple[str, ...] = ()
    signature: str = ""  # "(a, b=2, *, key=None)" for the prompt; "" if not a callable
    doc: str = ""  # the docstring's first line
    # Dict literal keys when the name is bound to one (``CONFIG = {"lr": ..}``).
    keys: tuple[str, ...] = ()


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
