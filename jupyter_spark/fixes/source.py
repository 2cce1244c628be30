"""Cell source as Python sees it: IPython syntax masked line for line, compile checks, names.

A notebook cell may hold ``%magic``, ``!shell``, ``obj?`` and top-level ``await``. Python's
parser (and ruff) would call those errors, so they are replaced by ``pass`` (or ``None`` on the
right of an assignment) on the same line, keeping line numbers; positions found in the masked
text are positions in the cell.
"""

from __future__ import annotations

import ast
import builtins
import re
from collections.abc import Iterable

# Names IPython puts in every user namespace (not "undefined" in a notebook).
IPYTHON_NAMES = frozenset(
    {"get_ipython", "display", "In", "Out", "exit", "quit", "_", "__", "___", "_i", "_ii"}
    | {"_iii", "_ih", "_oh", "_dh"}
)
BUILTIN_NAMES = frozenset(dir(builtins))
# Upper bound on a cell the service looks at (a bigger one gets a FixError).
MAX_SOURCE_CHARS = 200_000

_MAGIC_LINE = re.compile(r"^(\s*)(%|!)")
_ASSIGNED_MAGIC = re.compile(r"^(\s*[\w.,\s\[\]()]+?=\s*)(%|!).*$")
_HELP_LINE = re.compile(r"^(\s*)\S.*\?\??\s*$")
MASK_COMMENT = "  # ipython"


def is_cell_magic(source: str) -> bool:
    """``%%bash`` and friends: the cell is not Python at all."""
    return source.lstrip().startswith("%%")


def mask_ipython(source: str) -> str:
    """The cell with IPython-only lines replaced by valid Python of the same line count."""
    out = []
    for line in source.split("\n"):
        m = _MAGIC_LINE.match(line)
        if m:
            out.append(m.group(1) + "pass" + MASK_COMMENT)
            continue
        m = _ASSIGNED_MAGIC.match(line)
        if m:
            out.append(m.group(1) + "None" + MASK_COMMENT)
            continue
        if _HELP_LINE.match(line) and not _compiles(line.strip()):
            indent = line[: len(line) - len(line.lstrip())]
            out.append(indent + "pass" + MASK_COMMENT)
            continue
        out.append(line)
    return "\n".join(out)


def _compiles(code: str) -> bool:
    try:
        compile(code, "<cell>", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True)
    except (SyntaxError, ValueError):
        return False
    return True


def compiles(source: str) -> bool:
    """Whether the cell compiles as IPython would run it (magics masked, top-level await ok)."""
    return _compiles(mask_ipython(source))


def parse(source: str) -> ast.Module | None:
    try:
        return ast.parse(mask_ipython(source), feature_version=None)
    except (SyntaxError, ValueError, RecursionError):
        return None


def defined_names(tree: ast.AST) -> set[str]:
    """Names a cell binds at top level or anywhere (assignments, defs, imports, loop targets)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            for alias in node.names:
                names.add((alias.asname or alias.name).split(".")[0])
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
    return names


def names_in_cells(cells: Iterable[str]) -> set[str]:
    """Every name the other cells define (cells that do not parse contribute nothing)."""
    names: set[str] = set()
    for cell in cells:
        tree = parse(cell)
        if tree is not None:
            names |= defined_names(tree)
    return names
