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
import threading
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

# Names IPython puts in every user namespace (not "undefined" in a notebook).
IPYTHON_NAMES = frozenset(
    {"get_ipython", "display", "In", "Out", "exit", "quit", "_", "__", "___", "_i", "_ii"}
    | {"_iii", "_ih", "_oh", "_dh"}
)
BUILTIN_NAMES = frozenset(dir(builtins))
# Upper bound on a cell the service looks at (a bigger one gets a FixError).
MAX_SOURCE_CHARS = 200_000

# Cell magics whose body is Python (the rest, %%bash, %%html, %%sql..., are not looked at).
PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "debug", "cython"})
# Stands in the known names for "this notebook defines names no one can list" (a star import or
# `%run`): no name is then reported undefined.
ANY_NAME = "*"
# Names IPython keeps for outputs and inputs: _1, _i1, _ii, ...
IPYTHON_HISTORY_NAME = re.compile(r"^_(i{1,3})?\d*$")

_MAGIC_LINE = re.compile(r"^(\s*)(%|!|\?)")
RUN_MAGIC = re.compile(r"^\s*%run\b", re.MULTILINE)
_ASSIGNED_MAGIC = re.compile(r"^(\s*[\w.,\s\[\]()]+?=\s*)(%|!).*$")
_HELP_LINE = re.compile(r"^(\s*)\S.*\?\??\s*$")
MASK_COMMENT = "  # ipython"


def is_cell_magic(source: str) -> bool:
    """``%%bash`` and friends: the cell is not Python at all (``%%time`` and the like are)."""
    head = source.lstrip()
    if not head.startswith("%%"):
        return False
    name = head[2:].split(None, 1)[0] if head[2:].strip() else ""
    return name not in PYTHON_CELL_MAGICS


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


def compile_cell(code: str) -> None:
    """Compile as IPython would (top-level await allowed); raises SyntaxError or ValueError.

    Warnings (``invalid escape sequence``...) are the user's to see when the cell runs, not
    ours to print on every keystroke.
    """
    with _quiet():
        compile(code, "<cell>", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True)


# catch_warnings swaps process-wide state: two threads interleaving it could leave warnings off
# for good, so the service's threads take turns.
_WARNINGS_LOCK = threading.RLock()


@contextmanager
def _quiet() -> Iterator[None]:
    with _WARNINGS_LOCK, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _compiles(code: str) -> bool:
    try:
        compile_cell(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def compiles(source: str) -> bool:
    """Whether the cell compiles as IPython would run it (magics masked, top-level await ok)."""
    return _compiles(mask_ipython(source))


def parse(source: str) -> ast.Module | None:
    try:
        masked = mask_ipython(source)
        with _quiet():
            return ast.parse(masked)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
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
            for alias in node.names:  # `from m import *` adds ANY_NAME
                names.add((alias.asname or alias.name).split(".")[0])
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
    return names


def names_in_cells(cells: Iterable[str]) -> set[str]:
    """Every name the other cells define (cells that do not parse contribute nothing), plus
    ``ANY_NAME`` if one of them star-imports or ``%run``s a script."""
    names: set[str] = set()
    for cell in cells:
        if is_cell_magic(cell):
            continue
        tree = parse(cell)
        if tree is not None:
            names |= defined_names(tree)
        if RUN_MAGIC.search(cell):
            names.add(ANY_NAME)
    return names
