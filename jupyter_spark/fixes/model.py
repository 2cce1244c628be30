"""The model's part in fixes: rank close candidates by likelihood, and rewrite the failing
line when no rule applies (kept only if the cell then compiles).

Rules know what kind of mistake it is; the model knows what code usually looks like. It only
reorders candidates whose rule confidences are close, so a rule's clear answer is never
overruled by a small model's taste.
"""

from __future__ import annotations

import ast
import io
import re
import threading
import tokenize
from collections.abc import Sequence
from typing import Any

from .source import (
    BUILTIN_NAMES,
    IPYTHON_NAMES,
    compile_cell,
    compiles,
    defined_names,
    mask_ipython,
    parse,
)
from .toolkit import failing_line
from .types import ErrorInfo, Fix, make_fix

# Candidates within this much confidence of the best are reordered by the model's score.
RANK_MARGIN = 0.1
# Confidence given to a model rewrite (below any rule's).
REWRITE_CONFIDENCE = 0.3
# Tokens for the rewritten line.
REWRITE_TOKENS = 48
# Characters of the other cells given to the model before the cell.
REWRITE_CONTEXT_CHARS = 1500
# Kernel facts (one comment line each) given to the model before the cell.
MAX_FACTS = 6
# Wall-clock bound on the rewrite (seconds): a busy or remote model must not hold the fix.
REWRITE_TIMEOUT_S = 2.0


def rerank(engine: Any, fixes: list[Fix]) -> list[Fix]:
    """Reorder the near-tied head of ``fixes`` by the model's mean token log-probability."""
    if engine is None or not hasattr(engine, "score") or len(fixes) < 2:
        return fixes
    best = fixes[0].confidence
    head = [f for f in fixes if best - f.confidence <= RANK_MARGIN]
    if len(head) < 2:
        return fixes
    scores = [engine.score(f.new_source) for f in head]
    if any(score is None for score in scores):  # a backend that cannot score (a remote)
        return fixes
    order = sorted(range(len(head)), key=lambda i: -scores[i])
    return [head[i] for i in order] + fixes[len(head) :]


def error_row(source: str, error: ErrorInfo) -> int | None:
    """0-based line the error is on: the traceback's arrow, or for a syntax error the parser's."""
    row = failing_line(source, error)
    if row is None and error.ename in ("SyntaxError", "IndentationError", "TabError"):
        try:
            compile_cell(mask_ipython(source))
        except SyntaxError as e:
            n = (e.lineno or 0) - 1
            row = n if 0 <= n < len(source.split("\n")) else None
        except (ValueError, RecursionError, MemoryError):
            pass
    return row


def seed(line: str, error: ErrorInfo) -> str:
    """The start of the failing line the model continues from: up to the name, key or module
    the error quotes (``cols = list(sales.`` for ``colums``), else up to an assignment's ``=``.

    A small model given the whole line to rewrite mostly writes something else; given the line
    up to the mistake it mostly writes what was meant.
    """
    for word in re.findall(r"'([^']+)'", error.evalue):
        m = re.search(rf"(?<!\w){re.escape(word)}(?!\w)", line)
        if m and line[: m.start()].strip():
            return line[: m.start()]
    m = re.match(r"^\s*[\w.\[\]'\", ]+?\s*=(?!=)\s*", line)
    return m.group(0) if m else line[: len(line) - len(line.lstrip())]


def rewrite(
    engine: Any,
    source: str,
    error: ErrorInfo,
    cells: Sequence[str] = (),
    facts: Sequence[str] = (),
    known: set[str] | None = None,
) -> list[Fix]:
    """The model's version of the failing line, if it differs, the cell compiles and (with
    ``known``: the names the kernel, the cells and builtins define) it names nothing new that
    does not exist: a small model's invented name is not a fix.

    The prompt is the other cells (their tail), what the kernel holds of the line's names
    (``facts``: one comment each, the probe's summary: type, shape, columns, signature), the
    cell up to the failing line, the line and its error as a comment, then the line's start
    (``seed``) for the model to continue.
    """
    row = error_row(source, error)
    if engine is None or row is None:
        return []
    lines = source.split("\n")
    old = lines[row]
    if not old.strip():
        return []
    indent = old[: len(old) - len(old.lstrip())]
    start = seed(old, error)
    message = " ".join(error.evalue.split())[:100]
    note = f"{indent}# {error.ename}: {message}\n{indent}# in: {old.strip()}"
    context = "\n\n".join(c for c in cells if c.strip())[-REWRITE_CONTEXT_CHARS:]
    before = "\n".join(lines[:row])
    kernel = "\n".join(f"# {f}" for f in facts[:MAX_FACTS])
    head = [part for part in (context, kernel, before) if part]
    prefix = "\n".join([*head, note, f"{indent}# Corrected:", start])
    timer = None
    try:
        completion = engine.complete(prefix, "", "line", REWRITE_TOKENS)
        timer = threading.Timer(REWRITE_TIMEOUT_S, completion.cancel)
        timer.daemon = True
        timer.start()
        result = completion.wait()
    except Exception:  # the model is optional here: no rewrite rather than no fixes
        return []
    finally:
        if timer is not None:
            timer.cancel()
    if getattr(result, "stop_reason", "") == "cancelled":
        return []  # cut off: half a line is not a fix
    new_line = _code_only(start + result.text.split("\n")[0])
    if new_line.strip() in ("", old.strip(), start.strip()) or new_line.lstrip().startswith("#"):
        return []  # nothing, the same line, or a comment (the statement would just vanish)
    new = "\n".join([*lines[:row], new_line, *lines[row + 1 :]])
    if not compiles(new) or (known is not None and _invents(new_line, old, new, known)):
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


def _invents(new_line: str, old_line: str, new_source: str, known: set[str]) -> bool:
    """The rewritten line reads a name that is neither known, nor in the old line, nor bound
    by the cell itself."""
    try:
        line_tree = ast.parse(new_line.strip())
    except SyntaxError:
        return False  # (a line of a block: compiles() judged the whole cell)
    tree = parse(new_source)
    bound = defined_names(tree) if tree is not None else set()
    read = {
        n.id for n in ast.walk(line_tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
    }
    return bool(
        read - known - bound - BUILTIN_NAMES - IPYTHON_NAMES - set(re.findall(r"\w+", old_line))
    )


def _code_only(line: str) -> str:
    """The line without a trailing comment (small models like to explain themselves)."""
    try:
        toks = list(tokenize.generate_tokens(io.StringIO(line).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return line.rstrip()
    for t in toks:
        if t.type == tokenize.COMMENT:
            return line[: t.start[1]].rstrip()
    return line.rstrip()
