"""The prompt's project block: what other files define that the code at the cursor may use.

Chosen in this order, while it fits ``budget`` tokens:
1. the definitions a cell imports by name (``from geo_utils import haversine_km``);
2. definitions whose name starts with the word being typed (``dist = haversi``);
3. the modules the current cell uses (``geo_utils.``): their definitions, in file order;
4. the chunks most related to the identifiers of the current cell (BM25 over the project).

Rendered grouped by file, files and chunks in a fixed order (path, line), so the same choice is
the same bytes: the block changes only when the identifiers near the cursor change the choice,
and the KV cache keeps its prefix while the user types. A model trained with repository-level
tokens (Qwen2.5-Coder's ``<|file_sep|>``) gets them instead of comment headers.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..grounding.cells import cell_facts
from .extract import Chunk
from .index import ProjectIndex

# Candidates skipped for not fitting before packing stops.
MAX_MISSES = 4
# Blocks remembered per index (one per notebook and budget).
BLOCK_CACHE = 64
# A typed word retrieves the definitions it starts only from this many characters, and only
# when it starts at most this many of them.
TYPED_MIN_CHARS = 4
TYPED_MAX_MATCHES = 3


@dataclass(frozen=True)
class CursorBlock:
    """``ProjectBlocks.block`` bound to one request (``context.builder.ProjectBlock``)."""

    blocks: ProjectBlocks
    current: str
    definers: Callable[[str], Iterable[str]]
    near: str | None
    exclude: str | None
    budget: int
    count: Callable[[str], int]
    log: Any = None

    def __call__(self, uses: frozenset[str], typed: str) -> str:
        imports = dict(cell_facts(self.current).imports)
        for name in uses - imports.keys():
            sources = list(self.definers(name))
            for source in sources:
                dotted = cell_facts(source).imports.get(name)
                if dotted:
                    imports[name] = dotted
            if not sources and self.blocks.index.module(name, self.near) is not None:
                imports[name] = name  # used before its import is written: the module meant
        try:
            return self.blocks.block(
                uses | frozenset(imports),
                typed,
                imports,
                self.near,
                self.exclude,
                self.budget,
                self.count,
            )
        except Exception:  # a bug in retrieval must cost the block, never the suggestion
            if self.log is not None:
                self.log.exception("jupyter-spark: the project block failed")
            return ""


@dataclass(frozen=True)
class _Last:
    version: int
    starting: frozenset[str]
    imports: frozenset[tuple[str, str]]
    text: str


class ProjectBlocks:
    """Builds and caches project blocks for one index."""

    def __init__(self, index: ProjectIndex, file_sep: str | None = None) -> None:
        self.index = index
        self.file_sep = file_sep
        self._last: OrderedDict[tuple, _Last] = OrderedDict()

    def for_cursor(
        self,
        current: str,
        definers: Callable[[str], Iterable[str]],
        near: str | None,
        exclude: str | None,
        budget: int,
        count: Callable[[str], int],
        log: Any = None,
    ) -> CursorBlock:
        """The context builder's ``project`` callback for one request: ``current`` is the
        cell's text, ``definers(name)`` the sources of the other cells binding ``name`` (their
        imports say which modules the names are)."""
        return CursorBlock(self, current, definers, near, exclude, budget, count, log)

    def block(
        self,
        uses: frozenset[str],
        typed: str,
        imports: Mapping[str, str],
        near: str | None,
        exclude: str | None,
        budget: int,
        count: Callable[[str], int],
    ) -> str:
        """The block for a cursor whose cell uses ``uses`` and is typing the bare name
        ``typed``; ``imports``: alias -> dotted name, of the notebook's import statements.

        Sticky per notebook: the last block is kept while what it must hold (the modules and
        names imported that the cell uses, the definitions a distinctive typed word starts) is
        already covered by what it was built for, so the related chunks (BM25 over the cell's
        identifiers) are chosen once per such change, not at every keystroke.
        """
        index = self.index
        if budget <= 0 or index.state not in ("ready", "indexing"):
            return ""
        starting = self._starting(typed, uses)
        used = frozenset((a, d) for a, d in imports.items() if a in uses)
        key = (near, exclude, budget, self.file_sep)
        last = self._last.get(key)
        if last is not None and last.version == index.version:
            if starting <= last.starting and used <= last.imports:
                self._last.move_to_end(key)
                return last.text
            starting, used = starting | last.starting, used | last.imports
        text = self._build(uses, starting, tuple(sorted(used)), near, exclude, budget, count)
        self._last[key] = _Last(index.version, starting, used, text)
        self._last.move_to_end(key)
        while len(self._last) > BLOCK_CACHE:
            self._last.popitem(last=False)
        return text

    def _starting(self, typed: str, uses: frozenset[str]) -> frozenset[str]:
        """Definitions a typed word starts, when it says which: a few matches at most, and
        not a name the cell already has (``seg`` in a project of 40 ``segment_*`` says
        nothing yet)."""
        if len(typed) < TYPED_MIN_CHARS or typed in uses:
            return frozenset()
        found = self.index.names_starting(typed)
        return found if len(found) <= TYPED_MAX_MATCHES else frozenset()

    def _build(
        self,
        uses: frozenset[str],
        starting: frozenset[str],
        imports: tuple[tuple[str, str], ...],
        near: str | None,
        exclude: str | None,
        budget: int,
        count: Callable[[str], int],
    ) -> str:
        index = self.index
        named: list[Chunk] = []
        modules: list[Chunk] = []
        for _alias, dotted in imports:
            ms = index.module(dotted, near)
            if ms is not None and ms.path.endswith((".py", ".ipynb")):
                modules.extend(index.file_chunks(ms.path))
                continue
            parent, _, name = dotted.rpartition(".")
            pm = index.module(parent, near) if parent else None
            if pm is not None and pm.path.endswith((".py", ".ipynb")):
                named.extend(c for c in index.file_chunks(pm.path) if c.name == name)
        related = index.search(uses, starting, exclude)
        typed_defs = [c for c in related if c.name in starting]
        chosen: list[Chunk] = []
        seen: set[tuple[str, int]] = set()
        left, misses = budget, 0
        for c in (*named, *typed_defs, *modules, *related):
            if (c.path, c.line) in seen or c.path == exclude:
                continue
            n = count(c.text) + 4  # and its share of the file header
            if n <= left:
                chosen.append(c)
                seen.add((c.path, c.line))
                left -= n
            else:
                misses += 1
                if misses >= MAX_MISSES:
                    break
        return self._render(chosen)

    def _render(self, chosen: list[Chunk]) -> str:
        if not chosen:
            return ""
        by_file: dict[str, list[Chunk]] = {}
        for c in sorted(chosen, key=lambda c: (c.path, c.line)):
            by_file.setdefault(c.path, []).append(c)
        parts = []
        for path, chunks in by_file.items():
            header = f"{self.file_sep}{path}\n" if self.file_sep else f"# {path}\n"
            parts.append(header + "\n".join(c.text for c in chunks) + "\n")
        return "".join(parts)
