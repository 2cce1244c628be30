"""The model's part in fixes: rank close candidates by likelihood, and rewrite the failing
line when no rule applies (kept only if the cell then compiles).

Rules know what kind of mistake it is; the model knows what code usually looks like. It only
reorders candidates whose rule confidences are close, so a rule's clear answer is never
overruled by a small model's taste.
"""

from __future__ import annotations

import re
from typing import Any

from .rules import plain
from .source import compiles
from .types import ErrorInfo, Fix, make_fix

# Candidates within this much confidence of the best are reordered by the model's score.
RANK_MARGIN = 0.1
# Confidence given to a model rewrite (below any rule's).
REWRITE_CONFIDENCE = 0.3
# Tokens for the rewritten line.
REWRITE_TOKENS = 48

_ARROW = re.compile(r"^\s*-+>\s*(\d+)")


def rerank(engine: Any, fixes: list[Fix]) -> list[Fix]:
    """Reorder the near-tied head of ``fixes`` by the model's mean token log-probability."""
    if engine is None or not hasattr(engine, "score") or len(fixes) < 2:
        return fixes
    best = fixes[0].confidence
    head = [f for f in fixes if best - f.confidence <= RANK_MARGIN]
    if len(head) < 2:
        return fixes
    scored = sorted(head, key=lambda f: -engine.score(f.new_source))
    return scored + fixes[len(head) :]


def failing_line(source: str, error: ErrorInfo) -> int | None:
    """0-based line of the cell the error points at (IPython's ``---->`` marker)."""
    for line in error.traceback:
        for part in plain(line).split("\n"):
            m = _ARROW.match(part)
            if m:
                n = int(m.group(1)) - 1
                return n if 0 <= n < len(source.split("\n")) else None
    return None


def rewrite(engine: Any, source: str, error: ErrorInfo) -> list[Fix]:
    """The model's version of the failing line, if it differs and the cell compiles."""
    row = failing_line(source, error)
    if engine is None or row is None:
        return []
    lines = source.split("\n")
    old = lines[row]
    indent = old[: len(old) - len(old.lstrip())]
    hint = f"{indent}# fixed ({error.ename}: {error.evalue[:80]}):".rstrip()
    prefix = "\n".join([*lines[:row], hint, indent])
    try:
        text = engine.complete(prefix, "", "line", REWRITE_TOKENS).wait().text
    except Exception:  # the model is optional here: no rewrite rather than no fixes
        return []
    new_line = indent + text.strip("\n").lstrip()
    if not text.strip() or new_line.strip() == old.strip() or new_line.lstrip().startswith("#"):
        return []  # nothing, the same line, or a comment (the statement would just vanish)
    new = "\n".join([*lines[:row], new_line, *lines[row + 1 :]])
    if not compiles(new):
        return []
    return [
        make_fix(
            f"Rewrite line {row + 1} (model)",
            "No rule matched this error; the local model proposes this version of the line.",
            "error",
            source,
            new,
            REWRITE_CONFIDENCE,
        )
    ]
