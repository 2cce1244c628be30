"""Fixes that are an import: a module used without its import, a well-known name used without
its ``from`` import, and ``from m import x`` where ``m`` has no ``x``.

Which modules exist is asked of the kernel (its environment is not ours): the details probe's
``import:NAME`` finds a top-level module with the standard path finder, without importing it,
and ``module:NAME`` lists a module's names (a failed ``from m import x`` leaves ``m`` imported).
Which module exports a name is read here, once, from the standard library's well-known modules:
the kernel's Python may differ in minor versions, but these names have been stable for years.
"""

from __future__ import annotations

import ast
import builtins
import importlib
import inspect
import re
import sys
import threading
from collections.abc import Iterator
from types import FunctionType

from ..kernel.probe import IMPORT_PREFIX, MODULE_PREFIX
from .edit import insert_line, rename_name
from .source import parse
from .toolkit import Candidate, Context, nearest
from .types import ErrorInfo

# Standard-library modules whose functions and classes people import by name, in the order a
# name found in several is attributed (``sqrt``: math before cmath).
WELL_KNOWN_MODULES = (
    "collections", "collections.abc", "pathlib", "dataclasses", "datetime", "functools",
    "itertools", "math",
    "statistics", "random", "copy", "pprint", "textwrap", "string", "decimal", "fractions",
    "operator", "enum", "contextlib", "io", "csv", "glob", "shutil", "time", "uuid",
    "hashlib", "base64", "heapq", "bisect", "typing", "abc", "json",
    "os", "os.path", "re", "subprocess", "tempfile", "zoneinfo", "calendar", "secrets",
    "warnings", "logging", "inspect", "types", "pickle", "urllib.parse", "cmath",
)  # fmt: skip
# Confidence of the import a name's one exporting module gives; several exporters: the first.
FROM_IMPORT_CONFIDENCE = 0.88
FROM_IMPORT_AMBIGUOUS = 0.8
# A module name the kernel can import, used as ``name.attr`` / used otherwise.
MODULE_IMPORT_CONFIDENCE = 0.92
MODULE_BARE_CONFIDENCE = 0.6
# How close an existing name must be for the import to yield to it (``counts`` vs ``count``).
TYPO_OVER_IMPORT = 0.85

_exports: dict[str, tuple[str, ...]] | None = None
_exports_lock = threading.Lock()


def exporters(name: str) -> tuple[str, ...]:
    """The well-known modules that define the function or class ``name``, preferred first."""
    global _exports
    if _exports is None:
        with _exports_lock:
            if _exports is None:
                _exports = _build_exports()
    return _exports.get(name, ())


def _build_exports() -> dict[str, tuple[str, ...]]:
    found: dict[str, list[str]] = {}
    for module_name in WELL_KNOWN_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ImportError:  # zoneinfo without tzdata, a trimmed Python
            continue
        public = getattr(module, "__all__", None)
        names = public if isinstance(public, list | tuple) else dir(module)
        for name in names:
            if not isinstance(name, str) or name.startswith("_") or len(name) < 2:
                continue
            value = getattr(module, name, None)
            if not callable(value):  # constants (``e``, ``pi``) are too easily a typo
                continue
            home = getattr(value, "__module__", None)
            if public is None and home not in (module_name, "_" + module_name, "builtins", None):
                continue  # imported into the module, not its own
            if hasattr(builtins, name):  # ``open``, ``print``: never missing
                continue
            found.setdefault(name, []).append(module_name)
    return {k: tuple(v) for k, v in found.items()}


def _uses(tree: ast.AST | None, name: str) -> tuple[bool, bool]:
    """(used as ``name.attr``, called as ``name(...)`` / a base class / a decorator)."""
    as_base = called = False
    for node in ast.walk(tree) if tree is not None else ():
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            as_base |= node.value.id == name
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            called |= node.func.id == name
        elif isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            for d in [*node.decorator_list, *getattr(node, "bases", ())]:
                called |= isinstance(d, ast.Name) and d.id == name
    return as_base, called


def missing_import(
    source: str, name: str, ctx: Context, close: list[tuple[str, float]]
) -> Iterator[Candidate]:
    """``json.dumps(x)`` without ``import json``; ``Counter(words)`` without its import.

    ``close``: the existing names nearest ``name`` (a typo of one of them is likelier than an
    import when it is very close).
    """
    tree = parse(source)
    as_base, called = _uses(tree, name)
    typo = bool(close) and close[0][1] >= TYPO_OVER_IMPORT
    spec = ctx.details(IMPORT_PREFIX + name) if ctx.inspector is not None else None
    known = (spec or {}).get("type") == "importable"
    if not known and ctx.inspector is None:  # no kernel to ask: this Python's standard library
        known = name in sys.stdlib_module_names
    if known:
        conf = MODULE_IMPORT_CONFIDENCE if as_base else MODULE_BARE_CONFIDENCE
        yield (
            f"Add `import {name}`",
            f"`{name}` is a module this kernel can import; the notebook has not imported it.",
            insert_line(source, f"import {name}"),
            conf - (0.3 if typo else 0.0),
        )
        return
    homes = exporters(name)
    if homes and as_base and not called and _has_all(homes[0], name, attrs_used(tree, name)):
        called = True  # ``chain.from_iterable``: the class's own attributes, not a module's
    if homes and (called or not as_base):
        conf = FROM_IMPORT_CONFIDENCE if len(homes) == 1 else FROM_IMPORT_AMBIGUOUS
        line = f"from {homes[0]} import {name}"
        yield (
            f"Add `{line}`",
            f"`{name}` is defined by the standard library's `{homes[0]}`"
            + (f" (also by {', '.join(homes[1:])})" if len(homes) > 1 else "")
            + "; the notebook has not imported it.",
            insert_line(source, line),
            (conf if called else conf - 0.15) - (0.3 if typo else 0.0),
        )


def attrs_used(tree: ast.AST | None, name: str) -> set[str]:
    """The attributes the cell reads on the bare name ``name`` (``strptime`` in
    ``datetime.strptime(...)``)."""
    return {
        n.attr
        for n in (ast.walk(tree) if tree is not None else ())
        if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id == name
    }


def _has_all(module_name: str, name: str, attrs: set[str]) -> bool:
    """Whether the standard library's ``module_name.name`` has every one of ``attrs``."""
    if not attrs or module_name.split(".")[0] not in sys.stdlib_module_names:
        return False
    try:
        value = getattr(importlib.import_module(module_name), name)
    except (ImportError, AttributeError):
        return False
    module = importlib.import_module(module_name)
    return all(hasattr(value, a) and not _module_reading(module, value, a) for a in attrs)


def _module_reading(module: object, cls: object, attr: str) -> bool:
    """Whether ``name.attr`` reads the module's class rather than the class's method:
    ``datetime.date(2024, 5, 1)`` is the ``date`` class, not ``datetime.datetime.date``
    (an instance method, which the class itself cannot be called with)."""
    if not isinstance(getattr(module, attr, None), type):
        return False
    try:
        raw = inspect.getattr_static(cls, attr)
    except AttributeError:
        return False
    return isinstance(raw, FunctionType) or type(raw).__name__ in (
        "method_descriptor",
        "wrapper_descriptor",
    )


def module_meant(line: str, source: str) -> str | None:
    """``import datetime`` where the usual ``from datetime import datetime`` does not fit the
    cell: it reads attributes of the module (``datetime.datetime``, ``datetime.date``) that
    the class lacks."""
    m = re.fullmatch(r"from ([\w.]+) import (\w+)", line)
    if not m or m.group(1).split(".")[0] not in sys.stdlib_module_names:
        return None
    module_name, name = m.groups()
    attrs = attrs_used(parse(source), name)
    if not attrs or _has_all(module_name, name, attrs):
        return None
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return None
    return f"import {module_name}" if all(hasattr(module, a) for a in attrs) else None


_CANNOT_IMPORT = re.compile(r"cannot import name '(\w+)' from '([\w.]+)'")


def needed(error: ErrorInfo) -> list[str]:
    """The details these rules ask the kernel for."""
    if error.ename == "NameError":
        m = re.search(r"name '(\w+)' is not defined", error.evalue)
        return [IMPORT_PREFIX + m.group(1)] if m else []
    if error.ename == "ImportError":
        m = _CANNOT_IMPORT.search(error.evalue)
        return [MODULE_PREFIX + mod for mod in _with_parents(m.group(2))] if m else []
    if error.ename == "ModuleNotFoundError":
        m = re.search(r"No module named '([\w.]+)'", error.evalue)
        return [MODULE_PREFIX + mod for mod in moved_up(m.group(1))] if m else []
    return []


def moved_up(module: str) -> list[str]:
    """``pandas.util.testing`` -> ``pandas.testing``, ``pandas.util``: the dotted path with one
    inner segment dropped, where a package's submodule often moved (an import the kernel has
    already loaded is found in ``sys.modules``, nothing is imported)."""
    parts = module.split(".")
    return [".".join(parts[:i] + parts[i + 1 :]) for i in range(1, len(parts) - 1)] + (
        [".".join(parts[:-1])] if len(parts) > 2 else []
    )


def moved_module(source: str, missing: str, ctx: Context) -> Iterator[Candidate]:
    """``from pandas.util.testing import assert_frame_equal``: the package's module that has
    every name the cell imports from the missing one, read from the kernel's loaded modules."""
    tree = parse(source)
    froms = [
        n for n in (ast.walk(tree) if tree is not None else ())
        if isinstance(n, ast.ImportFrom) and n.module == missing and n.level == 0
    ]  # fmt: skip
    if len(froms) != 1:
        return
    wanted = {a.name for a in froms[0].names}
    for home in moved_up(missing):
        attrs = set((ctx.details(MODULE_PREFIX + home) or {}).get("attrs") or ())
        if wanted and wanted <= attrs:
            lines = source.split("\n")
            row = froms[0].lineno - 1
            line = lines[row]
            lines[row] = line.replace(f"from {missing} import", f"from {home} import", 1)
            new = "\n".join(lines) if lines[row] != line else None
            if new is not None:
                yield (
                    f"Import from {home}",
                    f"`{missing}` is gone; `{home}` has {', '.join(sorted(wanted))}.",
                    new,
                    0.92,
                )
                return


def _with_parents(module: str) -> list[str]:
    """``pandas.io.json`` -> itself, ``pandas.io``, ``pandas``: where a moved name may live now."""
    parts = module.split(".")
    return [".".join(parts[:i]) for i in range(len(parts), 0, -1)]


def cannot_import(source: str, error: ErrorInfo, ctx: Context) -> Iterator[Candidate]:
    """``from collections import defaultdic`` / ``from collections import Mapping``: the
    module's real name closest to it, or the well-known module that has it now."""
    m = _CANNOT_IMPORT.search(error.evalue)
    if not m:
        return
    name, module = m.groups()
    info = ctx.details(MODULE_PREFIX + module)
    names = set((info or {}).get("attrs") or ())
    if not names and module in sys.stdlib_module_names:  # no kernel: this Python's stdlib
        try:
            names = {n for n in dir(importlib.import_module(module)) if not n.startswith("_")}
        except ImportError:
            names = set()
    for other, score in nearest(name, names):
        new = _rewrite_from(source, module, name, module, other)
        if new is not None and not _aliased(source, module, name):
            new = rename_name(new, name, other) or new  # its uses follow (``sqr(4)``)
        if new is not None:
            yield (
                f"Import `{other}` from {module}",
                f"`{module}` has no `{name}`; `{other}` is its closest name.",
                new,
                min(0.95, 0.45 + 0.5 * score),
            )
    package = module.split(".")[0]  # ``collections`` -> ``collections.abc`` before ``typing``
    homes = sorted(exporters(name), key=lambda h: h.split(".")[0] != package)
    home = next((h for h in homes if h != module), None)
    if home is None and name not in names:  # ``pandas.io.json`` -> ``pandas.json_normalize``
        home = next(
            (p for p in _with_parents(module)[1:]
             if name in ((ctx.details(MODULE_PREFIX + p) or {}).get("attrs") or ())),
            None,
        )  # fmt: skip
    if home is not None and name not in names:  # moved (``collections`` -> ``collections.abc``)
        new = _rewrite_from(source, module, name, home, name)
        if new is not None:
            yield (
                f"Import `{name}` from {home}",
                f"`{name}` is not in `{module}` (any more); `{home}` defines it.",
                new,
                0.9,
            )


def _aliased(source: str, module: str, name: str) -> bool:
    tree = parse(source)
    return any(
        isinstance(n, ast.ImportFrom)
        and n.module == module
        and any(a.name == name and a.asname for a in n.names)
        for n in (ast.walk(tree) if tree is not None else ())
    )


def _rewrite_from(
    source: str, module: str, name: str, new_module: str, new_name: str
) -> str | None:
    """``from module import ..., name, ...`` with ``name`` from ``new_module`` as ``new_name``:
    renamed in place when the module stays, else split into its own import line."""
    tree = parse(source)
    if tree is None:
        return None
    lines = source.split("\n")
    for node in ast.walk(tree):
        if not (isinstance(node, ast.ImportFrom) and node.module == module and not node.level):
            continue
        hit = next((a for a in node.names if a.name == name), None)
        if hit is None or node.lineno != node.end_lineno:
            continue
        row = node.lineno - 1
        line = lines[row]
        indent = line[: len(line) - len(line.lstrip())]
        alias = f" as {hit.asname}" if hit.asname else ""
        if new_module == module:
            kept = [f"{a.name}{' as ' + a.asname if a.asname else ''}" if a is not hit
                    else f"{new_name}{alias}" for a in node.names]  # fmt: skip
            lines[row] = f"{indent}from {module} import {', '.join(kept)}"
        else:
            rest = [f"{a.name}{' as ' + a.asname if a.asname else ''}" for a in node.names
                    if a is not hit]  # fmt: skip
            moved = f"{indent}from {new_module} import {new_name}{alias}"
            lines[row : row + 1] = (
                [f"{indent}from {module} import {', '.join(rest)}", moved] if rest else [moved]
            )
        return "\n".join(lines)
    return None
