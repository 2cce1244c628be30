"""Fixes for pandas frames whose shape is not what the cell expected: a column the cell's own
``reset_index`` or ``merge`` named otherwise, and a reduction over a frame with text columns.

These are errors of intent, not spelling: ``per_city['count']`` after ``.size().reset_index()``
is a column pandas called ``0``; ``cmp['price_new']`` after a merge is ``price_y``. The fix is
where the name was lost (the call that made the frame), so that the rest of the cell reads as
the user wrote it.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from .edit import rewrite_nodes, with_keyword
from .source import parse
from .toolkit import Candidate, Context, failing_line
from .types import ErrorInfo

# Series reductions whose result is unnamed, so ``reset_index()`` calls its column 0.
_UNNAMED_SERIES = frozenset({"size"})
# Reductions that fail on text columns and take ``numeric_only``.
NUMERIC_REDUCTIONS = frozenset(
    {"mean", "median", "std", "var", "sem", "prod", "quantile", "corr", "cov", "skew", "kurt"}
)
# The messages pandas gives for a reduction over text (pandas 3 and pandas 2).
_TEXT_REDUCTION = re.compile(
    r"does not support (?:operation|reduction) '(\w+)'|agg function failed \[how->(\w+),"
    r"|Could not convert .* to numeric"
)


def _assignments(tree: ast.AST, name: str) -> list[ast.Assign]:
    return [
        n
        for n in ast.walk(tree)
        if isinstance(n, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == name for t in n.targets)
    ]


def _keys_read(tree: ast.AST, frame: str) -> list[str]:
    """String keys the cell reads from ``frame`` (``frame['a']``, ``frame.sort_values('a')``)."""
    out: list[str] = []
    for n in ast.walk(tree):
        if isinstance(n, ast.Subscript) and ast.unparse(n.value) == frame:
            sl = n.slice
            for e in sl.elts if isinstance(sl, ast.List | ast.Tuple) else [sl]:
                if isinstance(e, ast.Constant) and isinstance(e.value, str):
                    out.append(e.value)
    return list(dict.fromkeys(out))


def _failing_frame(source: str, error: ErrorInfo, key: str) -> tuple[ast.AST, str] | None:
    """The cell's tree and the name of the frame read with ``key`` on the failing line (or
    anywhere, when the line is unknown)."""
    tree = parse(source)
    if tree is None:
        return None
    row = failing_line(source, error)
    for n in ast.walk(tree):
        if row is not None and getattr(n, "lineno", None) != row + 1:
            continue
        if isinstance(n, ast.Subscript) and isinstance(n.value, ast.Name):
            sl = n.slice
            if isinstance(sl, ast.Constant) and sl.value == key:
                return tree, n.value.id
        if (  # ``frame.sort_values("count")``, ``frame.set_index("count")``
            isinstance(n, ast.Call)
            and isinstance(n.func, ast.Attribute)
            and isinstance(n.func.value, ast.Name)
            and any(isinstance(a, ast.Constant) and a.value == key for a in n.args)
        ):
            return tree, n.func.value.id
    return None


def unnamed_reset_index(source: str, error: ErrorInfo, key: str) -> Iterator[Candidate]:
    """``per_city = g.size().reset_index()`` then ``per_city['count']``: the counts' column is
    0; ``reset_index(name='count')`` names it as the cell reads it."""
    found = _failing_frame(source, error, key)
    if found is None:
        return
    tree, frame = found
    for assign in _assignments(tree, frame):
        call = assign.value
        if not (
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Attribute)
            and call.func.attr == "reset_index"
            and not any(k.arg == "name" for k in call.keywords)
            and isinstance(call.func.value, ast.Call)
            and isinstance(call.func.value.func, ast.Attribute)
            and call.func.value.func.attr in _UNNAMED_SERIES
        ):
            continue
        new = rewrite_nodes(source, [(call, with_keyword(call, f"name={key!r}"))])
        if new is not None:
            yield (
                f"Name the counts {key!r} in reset_index()",
                f"`{call.func.value.func.attr}()` gives an unnamed Series, so reset_index() "
                f"calls its column 0; name={key!r} makes it the column the cell reads.",
                new,
                0.93,
            )


def merge_suffixes(source: str, error: ErrorInfo, ctx: Context, key: str) -> Iterator[Candidate]:
    """``cmp = old.merge(new, on='sku')`` then ``cmp['price_new'] - cmp['price_old']``: the
    merge named the shared column ``price_x`` / ``price_y``; ``suffixes=('_old', '_new')`` gives
    it the names the cell reads, each side's suffix matched to the frame it came from."""
    found = _failing_frame(source, error, key)
    if found is None:
        return
    tree, frame = found
    info = ctx.details(frame) or {}
    columns = {str(c) for c in info.get("keys") or ()}
    for assign in _assignments(tree, frame):
        call = assign.value
        sides = _merge_sides(call)
        if sides is None or any(k.arg == "suffixes" for k in call.keywords):
            continue
        left, right = sides
        for base in {c[:-2] for c in columns if c.endswith(("_x", "_y"))}:
            if not key.startswith(base + "_"):
                continue
            wanted = [k[len(base) :] for k in _keys_read(tree, frame) if k.startswith(base + "_")]
            suffixes = _assign_suffixes(wanted, left, right)
            if suffixes is None:
                continue
            kw = f"suffixes=({suffixes[0]!r}, {suffixes[1]!r})"
            new = rewrite_nodes(source, [(call, with_keyword(call, kw))])
            if new is not None:
                yield (
                    f"Give the merge the suffixes {suffixes[0]!r}, {suffixes[1]!r}",
                    f"Both frames have {base!r}, so the merge named them {base}_x / {base}_y; "
                    f"{kw} names them as the cell reads them.",
                    new,
                    0.95,
                )
                return


def _merge_sides(call: ast.expr) -> tuple[str, str] | None:
    """The left and right frames' source of ``l.merge(r, ...)`` / ``pd.merge(l, r, ...)``."""
    if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Attribute):
        return None
    if call.func.attr != "merge":
        return None
    if len(call.args) >= 2 and isinstance(call.func.value, ast.Name):  # pd.merge(l, r)
        return ast.unparse(call.args[0]), ast.unparse(call.args[1])
    if call.args:
        return ast.unparse(call.func.value), ast.unparse(call.args[0])
    return None


def _assign_suffixes(wanted: list[str], left: str, right: str) -> tuple[str, str] | None:
    """Each suffix the cell reads, given to the side whose name holds its word (``_old`` to
    ``old_prices``); a side no suffix names keeps pandas' default. None: no certain split."""
    words = {s: s.strip("_").lower() for s in wanted if s.strip("_")}
    on_left = [s for s, w in words.items() if w in left.lower() and w not in right.lower()]
    on_right = [s for s, w in words.items() if w in right.lower() and w not in left.lower()]
    if len(on_left) > 1 or len(on_right) > 1 or not (on_left or on_right):
        return None
    if set(words) - set(on_left) - set(on_right):
        return None  # a suffix the cell reads that neither side's name explains
    return (on_left[0] if on_left else "_x", on_right[0] if on_right else "_y")


def text_reduction(source: str, error: ErrorInfo) -> Iterator[Candidate]:
    """``staff.groupby('dept').mean()`` over a frame with a text column: pandas 2 no longer
    drops it silently; ``numeric_only=True`` averages the numeric columns, as was meant."""
    m = _TEXT_REDUCTION.search(error.evalue)
    if not m:
        return
    how = m.group(1) or m.group(2)
    tree = parse(source)
    if tree is None:
        return
    row = failing_line(source, error)
    edits = []
    for n in ast.walk(tree):
        if (
            isinstance(n, ast.Call)
            and isinstance(n.func, ast.Attribute)
            and n.func.attr in NUMERIC_REDUCTIONS
            and (how is None or n.func.attr == how)
            and (row is None or n.lineno == row + 1)
            and not any(k.arg == "numeric_only" for k in n.keywords)
        ):
            edits.append((n, with_keyword(n, "numeric_only=True")))
    if len(edits) != 1:
        return  # none, or several reductions: which one failed is not certain
    new = rewrite_nodes(source, edits)
    if new is not None:
        name = edits[0][0].func.attr  # type: ignore[attr-defined]
        yield (
            f"Reduce the numeric columns only ({name}(numeric_only=True))",
            f"The frame has text columns, which `{name}` cannot reduce; numeric_only=True "
            "leaves them out.",
            new,
            0.88,
        )
