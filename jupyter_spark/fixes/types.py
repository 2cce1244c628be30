"""What the fixes service takes and gives: requests, errors, fixes, diagnostics.

A fix always carries the whole new cell source (what the UI diffs and applies) and the
equivalent ``edits`` (0-based ``[line, col]`` ranges, end exclusive) for editors that apply
ranges.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

FixKind = Literal["error", "diagnostic", "modernize"]
KINDS: tuple[FixKind, ...] = ("error", "diagnostic", "modernize")
# What `fix` looks for when the request does not say: modernize is opt-in.
DEFAULT_KINDS: tuple[FixKind, ...] = ("error", "diagnostic")


class FixError(Exception):
    """A request the service cannot take (e.g. binary or oversized source); ``code`` is stable."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class ErrorInfo:
    """A cell's exception as Jupyter reports it (traceback lines may hold ANSI colours)."""

    ename: str
    evalue: str
    traceback: Sequence[str] = ()
    # 1-based line of the cell the error was raised on, when the caller knows it without a
    # traceback to read (the magics have the exception); else read from the traceback's arrow.
    lineno: int | None = None


@dataclass(frozen=True)
class Edit:
    start: tuple[int, int]
    end: tuple[int, int]
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {"start": list(self.start), "end": list(self.end), "text": self.text}


@dataclass(frozen=True)
class Fix:
    title: str
    explanation: str
    kind: FixKind
    new_source: str
    edits: tuple[Edit, ...]
    confidence: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "explanation": self.explanation,
            "kind": self.kind,
            "new_source": self.new_source,
            "edits": [e.to_dict() for e in self.edits],
            "confidence": round(self.confidence, 3),
        }


@dataclass(frozen=True)
class Diagnostic:
    message: str
    code: str
    start: tuple[int, int]
    end: tuple[int, int]
    fixes: tuple[Fix, ...] = ()
    source: str = "ruff"  # "ruff", or "kernel" for the kernel-aware checks (checks.py)

    def to_dict(self) -> dict[str, Any]:
        return {
            "message": self.message,
            "code": self.code,
            "source": self.source,
            "start": list(self.start),
            "end": list(self.end),
            "fixes": [f.to_dict() for f in self.fixes],
        }


class Inspector(Protocol):
    """The live kernel as the fixes see it: which names exist, and details of one of them."""

    def names(self) -> set[str]: ...

    def details(self, name: str) -> dict[str, Any] | None:
        """``{"type", "attrs": [...], "keys": [...]?, "arity": {"min","max","signature"}?}``."""
        ...


@dataclass(frozen=True)
class FixRequest:
    source: str
    error: ErrorInfo | None = None
    cells: Sequence[str] = ()  # the notebook's other code cells
    inspector: Inspector | None = None
    kinds: tuple[str, ...] = DEFAULT_KINDS
    max_fixes: int = 5
    use_model: bool = True  # rank close candidates and rewrite unmatched errors (if an engine)
    # What the kernel-aware checks read (grounding.Knowledge): with it, an error the checks
    # would have flagged before the run gets their certain fix too (a misspelt keyword).
    knowledge: Any = None


def edits_between(old: str, new: str) -> tuple[Edit, ...]:
    """One edit replacing the differing middle of ``old`` (common head/tail kept)."""
    if old == new:
        return ()
    head = 0
    limit = min(len(old), len(new))
    while head < limit and old[head] == new[head]:
        head += 1
    tail = 0
    while tail < limit - head and old[len(old) - 1 - tail] == new[len(new) - 1 - tail]:
        tail += 1
    return (Edit(_pos(old, head), _pos(old, len(old) - tail), new[head : len(new) - tail]),)


def _pos(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset)
    col = offset - (text.rfind("\n", 0, offset) + 1)
    return (line, col)


def make_fix(
    title: str, explanation: str, kind: FixKind, old: str, new: str, confidence: float
) -> Fix:
    return Fix(title, explanation, kind, new, edits_between(old, new), confidence)
