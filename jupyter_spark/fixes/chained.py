"""Chained assignment on a pandas frame: ``df[mask]['col'] = v``, ``df['col'][mask] = v``,
``df.loc[mask]['col'] = v``, ``df.iloc[0]['col'] = v``, ``df['col'].fillna(0, inplace=True)``.

Under copy-on-write (pandas 3, and pandas 2 with it on) the first selection is a copy, so the
assignment changes nothing; pandas only warns (``ChainedAssignmentError``, earlier
``SettingWithCopyWarning``) and the cell "works". No exception means no Fix is asked, so this is
found before the cell runs (a kernel check: the frame must be one the kernel holds) and fixed as
pandas says: one ``.loc`` indexing with the row selection and the column together, or the
column assigned back.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator

from .edit import rewrite_nodes

# In-place methods that a selected column cannot apply to its frame.
INPLACE_METHODS = frozenset({"fillna", "replace", "clip", "where", "mask", "interpolate"})
# The message pandas gives in this case (ename of the warning a notebook shows).
WARNINGS = ("ChainedAssignmentError", "SettingWithCopyWarning")
MESSAGE = (
    "Chained assignment: the first selection is a copy, so this does not change the frame "
    "(pandas warns ChainedAssignmentError); index rows and column in one .loc"
)
Finding = tuple[ast.AST, str, str]  # (statement, new source, title)


def _column(node: ast.expr) -> ast.expr | None:
    """The column key of ``x['col']`` (a string constant or a list of them)."""
    sl = node.slice if isinstance(node, ast.Subscript) else None
    if isinstance(sl, ast.Constant) and isinstance(sl.value, str):
        return sl
    return None


def _column_name(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def _frame(node: ast.expr, is_frame: Callable[[str], bool]) -> str | None:
    return node.id if isinstance(node, ast.Name) and is_frame(node.id) else None


def chained_assignments(source: str, is_frame: Callable[[str], bool]) -> Iterator[Finding]:
    """Each chained assignment in ``source`` on a frame ``is_frame`` accepts, with the cell
    rewritten to assign through the frame itself."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return
    for stmt in ast.walk(tree):
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            target = loc_target(stmt.targets[0], source, is_frame)
            if target is not None:
                new = rewrite_nodes(source, [(stmt.targets[0], target)])
                if new is not None:
                    yield stmt, new, f"Assign through the frame: {target}"

    yield from inplace_on_columns(source, is_frame, tree)


def inplace_on_columns(
    source: str, is_frame: Callable[[str], bool], tree: ast.AST | None = None
) -> Iterator[Finding]:
    """Each ``df['c'].fillna(0, inplace=True)`` on a frame ``is_frame`` accepts."""
    if tree is None:
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return
    for stmt in ast.walk(tree):
        if isinstance(stmt, ast.Expr):
            yield from _inplace_on_column(stmt, source, is_frame)


def _seg(source: str, node: ast.AST) -> str:
    return ast.get_source_segment(source, node) or ast.unparse(node)


def loc_target(target: ast.expr, source: str, is_frame: Callable[[str], bool]) -> str | None:
    """``df[mask]['c']`` / ``df.loc[mask]['c']`` / ``df.iloc[i]['c']`` / ``df['c'][mask]`` as
    the one ``.loc`` that assigns into ``df``."""
    if not isinstance(target, ast.Subscript) or not isinstance(target.value, ast.Subscript):
        return None
    inner = target.value
    outer_col = _column(target)
    base = inner.value
    if outer_col is not None:  # <selection of rows>['col']
        rows = inner.slice
        if isinstance(rows, ast.List | ast.Tuple) and all(_column_name(e) for e in rows.elts):
            return None  # ``df[['a', 'b']]['a']``: a selection of columns, not of rows
        if isinstance(base, ast.Attribute) and base.attr in ("loc", "iloc"):
            frame = _frame(base.value, is_frame)
            if frame is None:
                return None
            if base.attr == "iloc":
                return (
                    f"{frame}.loc[{frame}.index[{_seg(source, rows)}], {_seg(source, outer_col)}]"
                )
            return f"{frame}.loc[{_seg(source, rows)}, {_seg(source, outer_col)}]"
        frame = _frame(base, is_frame)
        if frame is None or _column(inner) is not None:
            return None  # (``df['a']['b']``: a column of a column is not a row selection)
        return f"{frame}.loc[{_seg(source, rows)}, {_seg(source, outer_col)}]"
    inner_col = _column(inner)
    frame = _frame(base, is_frame)
    if inner_col is not None and frame is not None:  # df['col'][rows]
        return f"{frame}.loc[{_seg(source, target.slice)}, {_seg(source, inner_col)}]"
    return None


def _inplace_on_column(
    stmt: ast.Expr, source: str, is_frame: Callable[[str], bool]
) -> Iterator[Finding]:
    """``df['c'].fillna(0, inplace=True)`` -> ``df['c'] = df['c'].fillna(0)``."""
    call = stmt.value
    if not (
        isinstance(call, ast.Call)
        and isinstance(call.func, ast.Attribute)
        and call.func.attr in INPLACE_METHODS
        and isinstance(call.func.value, ast.Subscript)
        and _column(call.func.value) is not None
        and _frame(call.func.value.value, is_frame) is not None
    ):
        return
    inplace = [k for k in call.keywords if k.arg == "inplace"]
    if len(inplace) != 1 or not (
        isinstance(inplace[0].value, ast.Constant) and inplace[0].value.value is True
    ):
        return
    column = _seg(source, call.func.value)
    args = [_seg(source, a) for a in call.args]
    args += [_seg(source, k) for k in call.keywords if k.arg != "inplace"]
    text = f"{column} = {column}.{call.func.attr}({', '.join(args)})"
    new = rewrite_nodes(source, [(stmt, text)])
    if new is not None:
        yield stmt, new, f"Assign the column back: {text}"
