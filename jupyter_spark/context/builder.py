"""Notebook cells + kernel state -> one prompt that fits the model's budget.

Layout of ``Prompt.prefix`` (percent format, the way models have seen notebooks as scripts)::

    # Kernel state:                  <- kernel block (stable while the kernel is idle)
    # df: DataFrame 1000x3: ...
    <blank>
    # %%                             <- chosen cells, in notebook order
    import pandas as pd
    <blank>
    # %% (cell below)
    ...
    <blank>
    # %%                             <- the current cell: everything above this line is the
    df = pd.read_csv("x.csv")            "stable part", byte-identical across keystrokes
    df.gro|                          <- cursor

The engine reuses its KV cache for the longest common token prefix of consecutive prompts, so
everything that does not change while the user types comes first, and the choice of cells is
remembered and reused until something it depends on changes: another cell, the notebook's
structure, the names the current cell links to, the kernel block, or the current cell outgrowing
the room left for it.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple, Protocol

from .analysis import code_names
from .config import DEFAULT_CONFIG, MAX_CHARS_PER_TOKEN, ContextConfig, estimate_tokens
from .kernel import KernelState, render_block
from .notebook import Notebook

CountTokens = Callable[[str], int]


class ProjectBlock(Protocol):
    """The project block for a cursor (the project index's, bound to one request)."""

    # Tokens the block may take. Reserved whenever a block callback is given, even while the
    # block is empty, so the block appearing (``geo_utils.`` typed) does not reshuffle the
    # cells before it and the KV cache keeps everything up to the block.
    budget: int

    def __call__(self, uses: frozenset[str], typed: str) -> str:
        """(names the current cell uses, the bare name being typed) -> text ("" for none)."""
        ...


@dataclass(frozen=True)
class Prompt:
    """What the engine gets: ``engine.complete(prefix=prompt.prefix, suffix=prompt.suffix)``."""

    prefix: str  # everything before the cursor the model sees
    suffix: str  # text after the cursor in the current cell (cut to its budget)
    included_cells: tuple[str, ...]  # ids of other cells included, in prompt order
    tokens_estimate: int  # by the builder's count_tokens, summed over the parts


@dataclass(frozen=True)
class _Selection:
    """The stable part chosen for one (notebook, cell), with what it was chosen from."""

    structure_version: int
    version: int
    edits: int  # the current cell's own edit count then: its edits alone do not invalidate
    cell_type: str
    linked: frozenset[str]  # names the current cell uses that some cell defines
    kernel_text: str
    project_text: str
    stable: str
    stable_tokens: int
    included: tuple[str, ...]


class _Candidate(NamedTuple):
    score: float
    distance: int  # in cells, signed: > 0 above the current cell, < 0 below
    position: int
    cell_id: str


class _Chosen(NamedTuple):
    position: int
    cell_id: str
    marker: str  # the cell's "# %%" line
    text: str  # its fitted body and the blank line after it
    tokens: int  # of marker + text


class ContextBuilder:
    """Builds prompts; remembers per-cell selections so a keystroke costs microseconds.

    ``count_tokens`` defaults to a fast estimate; the server passes the real tokenizer's count.
    The three budgets override those of ``config`` (which holds the ranking weights).
    One builder serves one IO loop: ``build`` mutates caches without locks.
    """

    def __init__(
        self,
        budget_tokens: int = DEFAULT_CONFIG.budget_tokens,
        count_tokens: CountTokens | None = None,
        suffix_budget_tokens: int = DEFAULT_CONFIG.suffix_budget_tokens,
        kernel_budget_tokens: int = DEFAULT_CONFIG.kernel_budget_tokens,
        config: ContextConfig | None = None,
    ) -> None:
        self.config = dataclasses.replace(
            config or DEFAULT_CONFIG,
            budget_tokens=budget_tokens,
            suffix_budget_tokens=suffix_budget_tokens,
            kernel_budget_tokens=kernel_budget_tokens,
        )
        self.count_tokens: CountTokens = count_tokens or estimate_tokens
        self._cell_limit = int(self.config.max_cell_share * budget_tokens)
        self._selections: OrderedDict[tuple[int, str | None], _Selection] = OrderedDict()
        self._kernel_blocks: OrderedDict[tuple[KernelState, frozenset[str]], tuple[str, int]] = (
            OrderedDict()
        )
        self._kernel_names: tuple[KernelState | None, frozenset[str]] = (None, frozenset())
        self._markers: dict[tuple[str, bool], tuple[str, int]] = {}
        # (offset of the cut, the text just before it) per (notebook, cell)
        self._cuts: OrderedDict[tuple[int, str | None], tuple[int, str]] = OrderedDict()
        self._suffix_memo: tuple[str, str, int] = ("", "", 0)
        self._project_memo: tuple[str, int] = ("", 0)

    # -- the request path ----------------------------------------------------------------

    def build(
        self,
        *,
        prefix: str,
        suffix: str = "",
        notebook: Notebook | None = None,
        cell_id: str | None = None,
        kernel: KernelState | None = None,
        project: ProjectBlock | None = None,
    ) -> Prompt:
        """The prompt for a cursor between ``prefix`` and ``suffix`` in cell ``cell_id``;
        ``project`` gives the block of related project files (placed after the cells, just
        before the current one: it is the part most likely to change with what is typed)."""
        cfg, count = self.config, self.count_tokens
        suffix, suffix_tokens = self._fit_suffix(suffix)
        # A prefix too long to fit whatever its tokens is not counted (only its tail will be).
        too_long = len(prefix) > cfg.budget_tokens * MAX_CHARS_PER_TOKEN
        prefix_tokens = cfg.budget_tokens + 1 if too_long else count(prefix)
        room = cfg.budget_tokens - suffix_tokens  # for the current prefix and the context
        key = (notebook.uid if notebook is not None else 0, cell_id)
        if prefix_tokens > room:  # the current prefix alone is too long: keep its end
            tail = self._tail(key, prefix, room)
            return Prompt(tail, suffix, (), count(tail) + suffix_tokens)

        cell = notebook.cell(cell_id) if notebook is not None and cell_id is not None else None
        others = notebook is not None and len(notebook) > (cell is not None)
        if (
            not others and kernel is None and project is None
        ):  # nothing to add: the prompt is the cell itself
            return Prompt(prefix, suffix, (), prefix_tokens + suffix_tokens)

        if notebook is not None and cell is not None:  # its names as synced: stable while typing
            info = notebook.info(cell.id)
            assert info is not None
            source, cell_type, uses = cell.source, cell.cell_type, info.uses
        else:
            source = prefix + suffix
            cell_type, uses = "code", self._unsynced_uses(source)
        uses = _without_word_being_typed(uses, prefix, source)
        linked = (
            frozenset(n for n in uses if notebook.definers(n))
            if notebook is not None
            else frozenset()
        )
        kernel_text, kernel_tokens = self._kernel_block(kernel, uses)
        project_text, project_tokens = self._project_block(project, uses, prefix)

        sel = self._selections.get(key)
        if not (
            sel is not None
            and sel.project_text == project_text
            and self._still_valid(sel, notebook, cell_id, cell_type, linked, kernel_text)
            and sel.stable_tokens + prefix_tokens + suffix_tokens <= cfg.budget_tokens
        ):
            sel = self._select(
                notebook,
                cell_id,
                cell_type,
                linked,
                kernel_text,
                kernel_tokens,
                room - prefix_tokens,
                (project_text, project_tokens, project.budget if project is not None else 0),
            )
            self._remember(self._selections, key, sel)
        else:
            self._selections.move_to_end(key)
        return Prompt(
            sel.stable + prefix,
            suffix,
            sel.included,
            sel.stable_tokens + prefix_tokens + suffix_tokens,
        )

    @staticmethod
    def _still_valid(
        sel: _Selection,
        nb: Notebook | None,
        cell_id: str | None,
        cell_type: str,
        linked: frozenset[str],
        kernel_text: str,
    ) -> bool:
        """True if only the current cell changed since ``sel`` and ``sel`` still covers it.

        Covering is one-sided on purpose: a name the cell no longer uses leaves its definer in
        the prompt (harmless until the next selection), and a newly used name forces a new
        selection only if none of its definers is already in. Typing then reshuffles the
        context once per genuinely new link, not at every keystroke that (un)links a name.
        """
        if sel.cell_type != cell_type or sel.kernel_text != kernel_text:
            return False
        if nb is None:
            return True
        own_edits = nb.edits(cell_id) - sel.edits if cell_id is not None else 0
        if nb.structure_version != sel.structure_version or nb.version - sel.version != own_edits:
            return False
        return all(not nb.definers(name).isdisjoint(sel.included) for name in linked - sel.linked)

    # -- choosing the stable part --------------------------------------------------------

    def _select(
        self,
        nb: Notebook | None,
        cell_id: str | None,
        cell_type: str,
        linked: frozenset[str],
        kernel_text: str,
        kernel_tokens: int,
        available: int,
        project: tuple[str, int, int] = ("", 0, 0),
    ) -> _Selection:
        """Pack the kernel block, then cells by score, into ``available`` minus typing room.

        The headroom makes the selection outlive the next keystrokes: it is reused while it
        still fits (see ``build``), so the stable part changes once per ``headroom`` tokens typed
        rather than at every keystroke once the budget is full.
        """
        cfg = self.config
        left = max(available - cfg.typing_headroom_tokens, available // 2)
        opener, opener_tokens = self._marker(cell_type, below=False)
        left -= opener_tokens
        parts: list[str] = []
        if kernel_text and kernel_tokens <= left:
            parts.append(kernel_text)
            left -= kernel_tokens
        else:
            kernel_tokens = 0
        project_text, project_tokens, reserve = project
        if project_tokens > left:
            project_text, project_tokens = "", 0
        left -= min(left, max(project_tokens, reserve))
        chosen = self._choose_cells(nb, cell_id, linked, left) if nb is not None else []
        for c in chosen:
            parts.extend((c.marker, c.text))
        if project_text:
            parts.append(project_text)
        used = kernel_tokens + project_tokens + sum(c.tokens for c in chosen)
        if parts:
            parts.append(opener)
            used += opener_tokens
        return _Selection(
            structure_version=nb.structure_version if nb is not None else 0,
            version=nb.version if nb is not None else 0,
            edits=nb.edits(cell_id) if nb is not None and cell_id is not None else 0,
            cell_type=cell_type,
            linked=linked,
            kernel_text=kernel_text,
            project_text=project[0],
            stable="".join(parts),
            stable_tokens=used,
            included=tuple(c.cell_id for c in chosen),
        )

    def _choose_cells(
        self, nb: Notebook, cell_id: str | None, linked: frozenset[str], budget: int
    ) -> list[_Chosen]:
        """Greedy by score within ``budget``; returned in notebook order, so the prompt reads
        like the notebook and its start stays put when a cell further down changes."""
        chosen: list[_Chosen] = []
        misses = 0
        if budget <= 0:
            return chosen
        for cand in self._rank(nb, cell_id, linked):
            info = nb.info(cand.cell_id)
            assert info is not None  # ranked ids come from the notebook
            if not info.body:
                continue
            text, n = info.fitted(self.count_tokens, self._cell_limit)
            marker, m = self._marker(info.cell_type, below=cand.distance < 0)
            if text and n + m <= budget:
                chosen.append(_Chosen(cand.position, cand.cell_id, marker, text, n + m))
                budget -= n + m
            else:
                misses += 1
                if misses >= self.config.max_misses:
                    break
        chosen.sort()
        return chosen

    def _rank(self, nb: Notebook, cell_id: str | None, linked: frozenset[str]) -> list[_Candidate]:
        """Candidate cells, best first: definers of linked names and the nearby cells.

        Score = (name score + distance_weight / |distance|) * (below_factor if below). A name's
        nearest definer above (what most likely ran last) gets the full name weight, its other
        definers ``shadowed_factor`` of it. ``distance`` is signed: negative below.
        """
        cfg = self.config
        here = nb.position(cell_id) if cell_id is not None else None
        if here is None:  # not synced yet: treat it as a new cell at the end
            here = len(nb)

        def where(cid: str) -> tuple[bool, int]:  # nearest-above-first order of definers
            p = nb.position(cid)
            assert p is not None
            return (p > here, abs(p - here))

        names: dict[str, float] = {}
        for name in linked:
            ids = [cid for cid in nb.definers(name) if cid != cell_id]
            if not ids:
                continue
            nearest = min(ids, key=where)
            for cid in ids:
                weight = 1.0 if cid == nearest else cfg.shadowed_factor
                names[cid] = names.get(cid, 0.0) + cfg.name_weight * weight
        lo, hi = max(0, here - cfg.neighbor_window), min(len(nb), here + cfg.neighbor_window + 1)
        for p in range(lo, hi):
            names.setdefault(nb.id_at(p), 0.0)
        if cell_id is not None:
            names.pop(cell_id, None)

        ranked = []
        for cid, name_score in names.items():
            p = nb.position(cid)
            assert p is not None
            distance = here - p  # > 0 above, < 0 below
            score = name_score + cfg.distance_weight / max(1, abs(distance))
            if distance < 0:
                score *= cfg.below_factor
            ranked.append(_Candidate(score, distance, p, cid))
        ranked.sort(key=lambda c: (-c.score, abs(c.distance), c.position))
        return ranked

    # -- small cached pieces -------------------------------------------------------------

    def _marker(self, cell_type: str, below: bool) -> tuple[str, int]:
        """The percent-format line opening a cell, and its tokens."""
        hit = self._markers.get((cell_type, below))
        if hit is None:
            title = " (cell below)" if below else ""
            kind = " [markdown]" if cell_type == "markdown" else ""
            text = f"# %%{title}{kind}\n"
            hit = self._markers[(cell_type, below)] = (text, self.count_tokens(text))
        return hit

    @staticmethod
    def _unsynced_uses(text: str) -> frozenset[str]:
        """Free names of a cell the notebook does not have yet (parsed per request, no cache:
        the text changes at every keystroke)."""
        return code_names(text)[1]

    def _project_block(
        self, project: ProjectBlock | None, uses: frozenset[str], prefix: str
    ) -> tuple[str, int]:
        """The project block and its tokens (counted once per distinct block)."""
        if project is None:
            return "", 0
        tail = prefix[-_WORD_WINDOW:]
        m = _WORD_AT_END.search(tail)
        bare = m is not None and tail[m.start() - 1 : m.start()] != "."  # not an attribute
        text = project(uses, m.group() if m and bare else "")
        if not text:
            return "", 0
        if self._project_memo[0] != text:
            self._project_memo = (text, self.count_tokens(text))
        return self._project_memo

    def _kernel_block(self, kernel: KernelState | None, uses: frozenset[str]) -> tuple[str, int]:
        """The kernel block, cached by (state, which of its names the cell uses)."""
        if kernel is None:
            return "", 0
        state, names = self._kernel_names
        if state is not kernel:
            names = frozenset(v.name for v in kernel.variables) | {a for a, _ in kernel.modules}
            self._kernel_names = (kernel, names)
        key = (kernel, uses & names)
        hit = self._kernel_blocks.get(key)
        if hit is None:
            cfg = self.config
            hit = render_block(
                kernel, key[1], self.count_tokens, cfg.kernel_budget_tokens, cfg.kernel_line_chars
            )
            self._remember(self._kernel_blocks, key, hit)
        return hit

    def _remember(self, cache: OrderedDict, key: object, value: object) -> None:
        cache[key] = value
        cache.move_to_end(key)
        while len(cache) > self.config.cache_entries:
            cache.popitem(last=False)

    # -- cutting text that does not fit --------------------------------------------------

    def _fit_suffix(self, suffix: str) -> tuple[str, int]:
        """The suffix's head within its budget (the line after the cursor matters most).

        Bounded by construction: only the head that could fit (``MAX_CHARS_PER_TOKEN`` per
        token) is ever counted, however long the suffix.
        """
        if suffix == self._suffix_memo[0]:
            return self._suffix_memo[1], self._suffix_memo[2]
        limit, count = self.config.suffix_budget_tokens, self.count_tokens
        head = suffix[: limit * MAX_CHARS_PER_TOKEN]
        n = count(head) if head else 0
        if n > limit:
            ends = _line_starts(head)[1:]
            cut = _last_fitting(ends, lambda i: count(head[:i]) <= limit)
            if cut is None:
                cut = _last_fitting(range(len(head)), lambda i: count(head[:i]) <= limit) or 0
            kept = head[:cut]
            n = count(kept) if kept else 0
        else:
            kept = head
        self._suffix_memo = (suffix, kept, n)
        return kept, n

    def _tail(self, key: tuple[int, str | None], prefix: str, room: int) -> str:
        """The end of a prefix too long for the budget, cut at a line start when possible.

        The cut is remembered per cell (its offset and the text just before it) and kept while
        the text after it still fits, so the prompt's start (and the engine's KV prefix) moves
        once per ``typing_headroom_tokens``. Bounded by construction: only windows of the end
        of at most ``room * MAX_CHARS_PER_TOKEN`` characters are counted, a few times.
        """
        count = self.count_tokens
        hit = self._cuts.get(key)
        if hit is not None:
            cut, before = hit
            if (
                cut <= len(prefix)
                and prefix[cut - len(before) : cut] == before
                and len(prefix) - cut <= room * MAX_CHARS_PER_TOKEN
                and count(prefix[cut:]) <= room
            ):
                return prefix[cut:]
        target = max(room - self.config.typing_headroom_tokens, room // 2)
        cut = _tail_start(prefix, target, count)
        self._remember(self._cuts, key, (cut, prefix[max(0, cut - _CUT_CONTEXT) : cut]))
        return prefix[cut:]


# Characters before a remembered cut that must be unchanged for the cut to be kept.
_CUT_CONTEXT = 64
# Characters per token assumed for the first window of a prefix's end (code: ~3-4).
_FIRST_WINDOW_CHARS_PER_TOKEN = 4


def _tail_start(text: str, target: int, count: CountTokens) -> int:
    """Where the end of ``text`` holding at most ``target`` tokens starts: a line start when
    the last line fits, else inside the last line.

    The end is counted in a window (``_FIRST_WINDOW_CHARS_PER_TOKEN`` per token, doubled while
    it fits, at most ``MAX_CHARS_PER_TOKEN`` per token), then the start moves forward to the
    line start the tokens counted so far predict, until the rest fits: a few counts of at most
    ``target * MAX_CHARS_PER_TOKEN`` characters whatever the length of ``text``.
    """
    end, limit = len(text), target * MAX_CHARS_PER_TOKEN
    width = min(end, target * _FIRST_WINDOW_CHARS_PER_TOKEN)
    n = count(text[end - width :])
    while n <= target and width < min(end, limit):
        width = min(end, limit, 2 * width)
        n = count(text[end - width :])
    lo = end - width
    if n <= target:  # the whole window fits: from its first line start
        if lo == 0 or text[lo - 1] == "\n":
            return lo
        nl = text.find("\n", lo)
        return nl + 1 if nl != -1 else lo
    by_lines = True
    for _ in range(64):  # each step keeps the share of the rest that its count predicts
        pos = end - (end - lo) * target // n
        if by_lines:
            nl = text.find("\n", max(pos - 1, lo))
            cand = nl + 1 if nl != -1 else end
            if cand >= end:  # the last line alone is too long: cut inside it
                by_lines = False
                continue
        else:
            cand = max(pos, lo + 1)
            if cand >= end:
                return end
        m = count(text[cand:])
        if m <= target:
            return cand
        lo, n = cand, m
    return end


_WORD_AT_END = re.compile(r"[A-Za-z_]\w*\Z")
# Enough of the prefix's end to hold the identifier being typed.
_WORD_WINDOW = 80


def _without_word_being_typed(uses: frozenset[str], prefix: str, source: str) -> frozenset[str]:
    """``uses`` minus the identifier at the cursor when it occurs nowhere else in the cell.

    ``pr`` on the way to ``print`` must not link to a cell that defines ``pr``; the synced
    source may lag or lead the prefix by a keystroke, so any name that is a prefix of the word
    (or that the word is a prefix of) counts as being typed.
    """
    m = _WORD_AT_END.search(prefix[-_WORD_WINDOW:])
    if m is None:
        return uses
    word = m.group()
    typing = {n for n in uses if n.startswith(word) or word.startswith(n)}
    typing = {n for n in typing if len(re.findall(rf"(?<![\w.]){n}(?!\w)", source)) < 2}
    return uses - typing if typing else uses


def _line_starts(text: str) -> list[int]:
    """0 and the index after each newline (the candidate cut points, in order)."""
    return [0, *itertools.accumulate(len(line) + 1 for line in text.split("\n")[:-1])]


def _last_fitting(positions: Sequence[int], fits: Callable[[int], bool]) -> int | None:
    """The last position where ``fits`` holds, given it holds up to some point."""
    lo, hi, found = 0, len(positions) - 1, None
    while lo <= hi:
        mid = (lo + hi) // 2
        if fits(positions[mid]):
            found, lo = positions[mid], mid + 1
        else:
            hi = mid - 1
    return found
