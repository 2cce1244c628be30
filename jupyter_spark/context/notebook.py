"""Synced copies of notebooks: cells in order, their analyses, and a name -> definers index.

The client sends a notebook whole once, then one-cell changes as the user types. Each change
re-analyzes only that cell and patches the index, so the cost of a keystroke does not grow with
the notebook. Counters (``version``, ``structure_version``, per-cell ``edits``) let the prompt
builder tell "only the current cell changed" from "something it showed changed" in O(1).
"""

from __future__ import annotations

import itertools
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from . import analysis
from .analysis import CellInfo
from .config import ANALYSIS_CACHE_CELLS, MAX_NOTEBOOK_BYTES

_NOTEBOOK_IDS = itertools.count(1)


@dataclass(frozen=True)
class Cell:
    """One cell as the client sends it (no outputs: they never reach the prompt)."""

    id: str
    cell_type: str  # "code" | "markdown" | "raw"
    source: str


def cell_bytes(cell: Cell) -> int:
    """What a cell costs the store: its id and source in UTF-8 bytes."""
    text = cell.id + cell.source
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))


# Characters of cell source whose analyses are kept for reuse (with ANALYSIS_CACHE_CELLS
# analyses at most): a memo bounded by count alone could hold thousands of megabyte cells,
# whatever the store's cap.
ANALYSIS_MEMO_CHARS = 16 * 1024 * 1024
# What an entry costs besides its source (the key, the CellInfo, the memo's own links).
_MEMO_ENTRY_CHARS = 256


class AnalysisMemo:
    """Analyses by (cell type, source), shared by every notebook, so a notebook re-sent whole
    or the cells a request carries are parsed once: least recently used dropped past
    ``max_chars`` of source or ``max_entries`` analyses; a source over a quarter of
    ``max_chars`` is analysed but not kept (the default keeps a cell as big as a message, so
    what a worker thread analysed ahead is found when the message is applied). Thread-safe:
    cells are analysed ahead in a worker thread while the IO loop applies others."""

    def __init__(
        self, max_chars: int = ANALYSIS_MEMO_CHARS, max_entries: int = ANALYSIS_CACHE_CELLS
    ) -> None:
        self.max_chars, self.max_entries = max_chars, max_entries
        self._memo: OrderedDict[tuple[str, str], CellInfo] = OrderedDict()
        self._lock = threading.Lock()
        self.chars = 0  # sum over the entries of len(source) + _MEMO_ENTRY_CHARS

    def __len__(self) -> int:
        return len(self._memo)

    def analyze(self, cell_type: str, source: str) -> CellInfo:
        key = (cell_type, source)
        with self._lock:
            info = self._memo.get(key)
            if info is not None:
                self._memo.move_to_end(key)
                return info
        info = analysis.analyze.__wrapped__(cell_type, source)  # not its unbounded-size memo
        size = len(source) + _MEMO_ENTRY_CHARS
        if size > self.max_chars // 4:
            return info
        with self._lock:
            if key not in self._memo:
                self._memo[key] = info
                self.chars += size
            while self._memo and (
                self.chars > self.max_chars or len(self._memo) > self.max_entries
            ):
                (_, old), _ = self._memo.popitem(last=False)
                self.chars -= len(old) + _MEMO_ENTRY_CHARS
        return info

    def clear(self) -> None:
        with self._lock:
            self._memo.clear()
            self.chars = 0


ANALYSES = AnalysisMemo()


def analyze(cell_type: str, source: str) -> CellInfo:
    """A cell's analysis, through the bounded memo."""
    return ANALYSES.analyze(cell_type, source)


def analyze_cells(cells: Iterable[Cell]) -> dict[str, CellInfo]:
    """The analyses of ``cells`` by id: what ``put`` would compute, for a worker thread to do
    ahead (each cell's parse is bounded, so the GIL is handed back between cells)."""
    return {c.id: analyze(c.cell_type, c.source) for c in cells}


class UnknownNotebook(KeyError):
    """Changes arrived for a path that was never synced whole: the client must resend it."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


class Notebook:
    """Cells in order plus per-cell analysis, recomputed only for cells whose source changed.

    Mutated only through ``NotebookStore`` (one IO loop, no locks). ``uid`` is unique per
    object for the lifetime of the process, so caches can key on it without holding the object.
    """

    def __init__(self, cells: Iterable[Cell] = ()) -> None:
        self.uid = next(_NOTEBOOK_IDS)
        self._cells: dict[str, Cell] = {}
        self._info: dict[str, CellInfo] = {}
        self._order: list[str] = []
        self._pos: dict[str, int] | None = {}  # None: stale after a structure change
        self._definers: dict[str, set[str]] = {}  # name -> ids of cells binding it
        self._edits: dict[str, int] = {}  # id -> times its content changed
        self.version = 0  # bumped by every change of content or structure
        self.structure_version = 0  # bumped when cells are added, deleted or reordered
        self.bytes = 0  # sum of cell_bytes over the cells
        self.update(list(cells))

    # -- reading -------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._order)

    def __contains__(self, cell_id: object) -> bool:
        return cell_id in self._cells

    @property
    def cells(self) -> list[Cell]:
        """The cells in notebook order (a new list: O(cells), not for the per-request path)."""
        return [self._cells[i] for i in self._order]

    @property
    def order(self) -> Sequence[str]:
        """Cell ids in notebook order (read-only view)."""
        return tuple(self._order)

    def id_at(self, position: int) -> str:
        return self._order[position]

    def cell(self, cell_id: str) -> Cell | None:
        return self._cells.get(cell_id)

    def info(self, cell_id: str) -> CellInfo | None:
        return self._info.get(cell_id)

    def position(self, cell_id: str) -> int | None:
        if self._pos is None:
            self._pos = {cid: i for i, cid in enumerate(self._order)}
        return self._pos.get(cell_id)

    def definers(self, name: str) -> set[str]:
        """Ids of the cells that bind ``name`` (empty if none; do not mutate)."""
        return self._definers.get(name, _EMPTY)

    def names(self) -> Iterable[str]:
        """Every name some cell binds (a live view; do not mutate)."""
        return self._definers.keys()

    def edits(self, cell_id: str) -> int:
        return self._edits.get(cell_id, 0)

    # -- changing (through NotebookStore) ------------------------------------------------

    def update(self, cells: Sequence[Cell], infos: Mapping[str, CellInfo] | None = None) -> None:
        """Make the notebook equal to ``cells``, touching only what differs."""
        wanted = {c.id for c in cells}
        for cid in [cid for cid in self._order if cid not in wanted]:
            self.delete(cid)
        for c in cells:
            self.put(c, infos.get(c.id) if infos else None)
        self.reorder([c.id for c in cells])

    def put(self, cell: Cell, info: CellInfo | None = None) -> None:
        """Add or change one cell (appended if new); a no-op if it is unchanged. ``info``: its
        analysis if done ahead (``analyze_cells``) for this very source."""
        old = self._cells.get(cell.id)
        if old == cell:
            return
        if info is None or info.cell_type != cell.cell_type:
            info = analyze(cell.cell_type, cell.source)
        if old is None:
            self._order.append(cell.id)
            if self._pos is not None:
                self._pos[cell.id] = len(self._order) - 1
            self.structure_version += 1
        else:
            self._unindex(cell.id)
            self.bytes -= cell_bytes(old)
        self.bytes += cell_bytes(cell)
        self._cells[cell.id] = cell
        self._info[cell.id] = info
        for name in info.defines:
            self._definers.setdefault(name, set()).add(cell.id)
        self._edits[cell.id] = self._edits.get(cell.id, 0) + 1
        self.version += 1

    def delete(self, cell_id: str) -> None:
        """Remove a cell; unknown ids are ignored (the client may repeat a delete)."""
        if cell_id not in self._cells:
            return
        self._unindex(cell_id)
        self.bytes -= cell_bytes(self._cells[cell_id])
        del self._cells[cell_id], self._info[cell_id]
        self._edits.pop(cell_id, None)
        self._order.remove(cell_id)
        self._pos = None
        self.structure_version += 1
        self.version += 1

    def reorder(self, order: Sequence[str]) -> None:
        """Put the cells ``order`` names in that order; cells it omits keep theirs, after them."""
        seen: dict[str, None] = {cid: None for cid in order if cid in self._cells}
        new = list(seen)
        if len(new) < len(self._order):
            new.extend(cid for cid in self._order if cid not in seen)
        if new != self._order:
            self._order = new
            self._pos = None
            self.structure_version += 1
            self.version += 1

    def _unindex(self, cell_id: str) -> None:
        for name in self._info[cell_id].defines:
            ids = self._definers[name]
            ids.discard(cell_id)
            if not ids:
                del self._definers[name]


_EMPTY: set[str] = set()


class NotebookStore:
    """Synced copies of notebooks, by path, updated incrementally, within a memory cap.

    Thread-safe enough for one IO loop: every call runs to completion without awaiting.
    Bounded: at most ``max_bytes`` of cell text (``cell_bytes``) is kept; the least recently
    used notebooks are dropped first (the one being changed last of all), and a notebook is
    dropped when the last connection that used it releases it. A dropped notebook is
    simply unknown: ``changes`` for it get ``UnknownNotebook``, and the client resends it whole.
    Who holds what is kept only for notebooks kept: a connection open for days that has seen
    thousands of notebooks costs nothing for those dropped.
    """

    def __init__(self, max_bytes: int = MAX_NOTEBOOK_BYTES) -> None:
        self.max_bytes = max_bytes
        self._notebooks: OrderedDict[str, Notebook] = OrderedDict()  # least recently used first
        self._users: dict[str, set[object]] = {}  # path -> the holders (connections) using it
        self._held: dict[object, set[str]] = {}  # holder -> the paths it uses
        self.bytes = 0  # sum of Notebook.bytes

    def __len__(self) -> int:
        return len(self._notebooks)

    def __contains__(self, path: object) -> bool:
        return path in self._notebooks

    def replace(
        self, path: str, cells: list[Cell], infos: Mapping[str, CellInfo] | None = None
    ) -> None:
        """The whole notebook; unchanged cells keep their analysis (and the builder's cache)."""
        nb = self._notebooks.get(path)
        if nb is None:
            nb = self._notebooks[path] = Notebook()
        before = nb.bytes
        nb.update(cells, infos)
        self._changed(path, nb, before)

    def apply_changes(
        self,
        path: str,
        changes: list[dict],
        order: list[str] | None,
        infos: Mapping[str, CellInfo] | None = None,
    ) -> None:
        """Apply ``{"id", "source", "cell_type"?}`` / ``{"id", "deleted": True}`` changes.

        A change for an unknown id adds the cell (at the end unless ``order`` places it); a new
        cell without ``cell_type`` is code, a known one keeps its type.
        """
        nb = self._notebooks.get(path)
        if nb is None:
            raise UnknownNotebook(path)
        before = nb.bytes
        for ch in changes:
            cid = ch["id"]
            if ch.get("deleted"):
                nb.delete(cid)
                continue
            old = nb.cell(cid)
            cell_type = ch.get("cell_type") or (old.cell_type if old else "code")
            nb.put(Cell(cid, cell_type, ch["source"]), infos.get(cid) if infos else None)
        if order is not None:
            nb.reorder(order)
        self._changed(path, nb, before)

    def get(self, path: str) -> Notebook | None:
        nb = self._notebooks.get(path)
        if nb is not None:
            self._notebooks.move_to_end(path)
        return nb

    def drop(self, path: str) -> None:
        """Forget ``path``: its notebook and who held it (their next changes resend it whole)."""
        nb = self._notebooks.pop(path, None)
        if nb is not None:
            self.bytes -= nb.bytes
        for holder in self._users.pop(path, ()):
            paths = self._held.get(holder)
            if paths is not None:
                paths.discard(path)
                if not paths:
                    del self._held[holder]

    def acquire(self, path: str, holder: object) -> None:
        """``holder`` (a connection) uses the kept notebook ``path``: it stays (within the cap)
        until every holder releases it. A path not kept is not held (nothing to keep)."""
        if path in self._notebooks:
            self._users.setdefault(path, set()).add(holder)
            self._held.setdefault(holder, set()).add(path)

    def release(self, holder: object) -> None:
        """``holder`` closed: the notebooks only it used are dropped."""
        for path in self._held.pop(holder, ()):
            users = self._users.get(path)
            if users is not None:
                users.discard(holder)
                if not users:
                    self.drop(path)

    def _changed(self, path: str, nb: Notebook, before: int) -> None:
        self._notebooks.move_to_end(path)
        self.bytes += nb.bytes - before
        while self.bytes > self.max_bytes and len(self._notebooks) > 1:
            self.drop(next(iter(self._notebooks)))
        if self.bytes > self.max_bytes:  # one notebook over the whole cap: not kept
            self.drop(path)
