"""The error rules' toolkit: what a rule works from (where the error is, Python's own hint, the
notebook and the kernel: ``Context``), what it returns (``Candidate``), and which known name is
closest to a wrong one. Named toolkit, not errors: it holds no exceptions."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from .types import ErrorInfo, Inspector

# Similarity below which a name is not offered as the one meant (difflib ratio).
NAME_CUTOFF = 0.6
# Candidates per rule.
MAX_CANDIDATES = 3
# A name is offered as a certain fix (one edit, before the cell runs) only when it is the one
# existing name at least this close, or clearly closer than the next.
CERTAIN_CUTOFF = 0.75
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_DID_YOU_MEAN = re.compile(r"Did you mean:? '([^']+)'")
_ARROW = re.compile(r"^\s*-+>\s*(\d+)")  # IPython's "----> 2 y = 10 / x"
# A traceback frame's header: which cell (execution count) and line ("Cell In[3], line 2").
_FRAME = re.compile(r"^(?:Cell In\s*\[(\d+)\]|Input In \[(\d+)\]|<ipython-input-(\d+)-\w+>)")
_FRAME_LINE = re.compile(r"line (\d+)")


@dataclass(frozen=True)
class Context:
    """What a rule may look at besides the cell and the error."""

    cells: tuple[str, ...]
    inspector: Inspector | None
    # The kernel snapshot's one-line summary of each variable ("str len=2: '42'",
    # "DataFrame 3x2: price:str, qty:int64"): values and dtypes the details probe does not give.
    summaries: Mapping[str, str] = field(default_factory=dict)
    # The kernel's imported modules as (alias, module): ``("pd", "pandas")``.
    modules: tuple[tuple[str, str], ...] = ()

    def summary(self, name: str) -> str:
        return self.summaries.get(name, "")

    def kernel_names(self) -> set[str]:
        return self.inspector.names() if self.inspector is not None else set()

    def details(self, name: str) -> dict | None:
        return self.inspector.details(name) if self.inspector is not None else None


def plain(text: str) -> str:
    """``text`` without ANSI colours ("" if it is not text: tracebacks come from clients)."""
    return _ANSI.sub("", text) if isinstance(text, str) else ""


def suggested_name(error: ErrorInfo) -> str | None:
    """Python's own "Did you mean: 'x'?" in the message or the traceback."""
    for text in (error.evalue, *error.traceback[-3:]):
        m = _DID_YOU_MEAN.search(plain(text))
        if m:
            return m.group(1)
    return None


def failing_line(source: str, error: ErrorInfo) -> int | None:
    """0-based line of the cell the error points at (``lineno``, or IPython's ``---->``)."""
    n_lines = len(source.split("\n"))
    if isinstance(error.lineno, int) and not isinstance(error.lineno, bool):
        return error.lineno - 1 if 1 <= error.lineno <= n_lines else None
    for line in error.traceback:
        for part in plain(line).split("\n"):
            m = _ARROW.match(part)
            if m:
                n = int(m.group(1)) - 1
                return n if 0 <= n < n_lines else None
    return None


def frame_lines(source: str, error: ErrorInfo) -> list[int]:
    """0-based lines of the cell in each traceback frame that runs it, outermost first (a
    function the cell defines and calls: the call's line, then the line inside it). Frames of
    other cells (another execution count) are left out; no frames: ``failing_line``."""
    n_lines = len(source.split("\n"))
    rows: list[int] = []
    cell = None
    for entry in error.traceback:
        text = plain(entry).lstrip("\n")
        m = _FRAME.match(text)
        if not m:
            continue
        count = next(g for g in m.groups() if g is not None)
        cell = cell or count
        line = _FRAME_LINE.search(text.split("\n", 1)[0])
        if count == cell and line and 1 <= int(line.group(1)) <= n_lines:
            row = int(line.group(1)) - 1
            if row not in rows:
                rows.append(row)
    if rows:
        return rows
    row = failing_line(source, error)
    return [] if row is None else [row]


def nearest(word: str, candidates: set[str], n: int = MAX_CANDIDATES) -> list[tuple[str, float]]:
    """Close matches with their similarity; a case-only difference ranks first."""
    out: dict[str, float] = {}
    for c in candidates:
        if c != word and c.lower() == word.lower():
            out[c] = 0.99
    for c in difflib.get_close_matches(word, [c for c in candidates if c != word], n, NAME_CUTOFF):
        out.setdefault(c, difflib.SequenceMatcher(None, word, c).ratio())
    return sorted(out.items(), key=lambda kv: -kv[1])[:n]


def certain(word: str, candidates: Iterable[str]) -> str | None:
    """The one existing name ``word`` was meant to be, when only one is close enough (and
    starts as it does: a typo keeps the first letter, ``nope`` is not ``open``)."""
    pool = [c for c in candidates if c != word and c[:1].lower() == word[:1].lower()]
    close = difflib.get_close_matches(word, pool, 2, CERTAIN_CUTOFF)
    if len(close) == 1:
        return close[0]
    if len(close) == 2:
        a, b = (difflib.SequenceMatcher(None, word, c).ratio() for c in close)
        return close[0] if a > b else None
    return None


Candidate = tuple[str, str, str, float]  # (title, explanation, new_source, confidence)
Rule = Callable[[str, ErrorInfo, Context], Iterator[Candidate]]
