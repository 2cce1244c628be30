"""Installed modules as the server's Python sees them, read without importing anything.

``import pa`` offers the top-level modules of the environment (the kernel's is usually the same
one; a kernel's own loaded modules come through its snapshot); ``from pkg import n`` and
``pkg.`` (when the kernel has not imported ``pkg``) offer the names its source defines, read
with ``ast``. Finding a module never imports it: the top level goes through
``importlib.machinery.PathFinder`` (finders only), submodules through the package's folders.
"""

from __future__ import annotations

import ast
import importlib.machinery
import pkgutil
import sys
import threading
from functools import lru_cache
from pathlib import Path

from ..kernel.state import Members

# A module source larger than this is not read (generated tables, vendored bundles).
MAX_MODULE_BYTES = 2_000_000
# Modules whose names are remembered (each a few hundred names at most).
MODULE_CACHE = 256

_lock = threading.Lock()
_top_level: frozenset[str] | None = None


def top_level_modules() -> frozenset[str]:
    """Importable top-level module names (first call ~0.1 s: call :func:`prime` off the loop)."""
    global _top_level
    with _lock:
        if _top_level is None:
            names = set(sys.builtin_module_names) | set(sys.stdlib_module_names)
            names |= {m.name for m in pkgutil.iter_modules() if m.name.isidentifier()}
            _top_level = frozenset(n for n in names if not n.startswith("_") or n == "__future__")
        return _top_level


def prime() -> None:
    """Fill the caches in a background thread, so no request pays for the first scan."""
    threading.Thread(target=top_level_modules, name="spark-modules", daemon=True).start()


def ready() -> bool:
    return _top_level is not None


def _find(dotted: str) -> tuple[Path | None, list[str]]:
    """(source file, package folders) of a module, without importing it or its parents."""
    parts = dotted.split(".")
    try:
        spec = importlib.machinery.PathFinder.find_spec(parts[0])
    except (ImportError, ValueError, OSError):
        return None, []
    if spec is None:
        return None, []
    folders = list(spec.submodule_search_locations or [])
    origin = Path(spec.origin) if spec.origin and spec.origin.endswith(".py") else None
    for part in parts[1:]:
        found = None
        for folder in folders:
            pkg, mod = Path(folder, part), Path(folder, part + ".py")
            if (pkg / "__init__.py").is_file():
                found = (pkg / "__init__.py", [str(pkg)])
                break
            if mod.is_file():
                found = (mod, [])
                break
        if found is None:
            return None, []
        origin, folders = found
    return origin, folders


@lru_cache(maxsize=MODULE_CACHE)
def submodules(dotted: str) -> tuple[str, ...]:
    """Direct submodules of an installed package."""
    _, folders = _find(dotted)
    return tuple(sorted(m.name for m in pkgutil.iter_modules(folders) if m.name.isidentifier()))


@lru_cache(maxsize=MODULE_CACHE)
def module_members(dotted: str) -> Members | None:
    """The names an installed module's source defines (``__all__`` first), and its
    submodules; None if it has no Python source here."""
    path, _ = _find(dotted)
    if path is None:
        return None
    try:
        if path.stat().st_size > MAX_MODULE_BYTES:
            return None
        tree = ast.parse(path.read_text("utf-8", errors="replace"))
    except (OSError, SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    names: list[str] = []
    declared: list[str] | None = None
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.append(node.name)
        elif isinstance(node, ast.Assign):
            for t in node.targets:
                if isinstance(t, ast.Name):
                    names.append(t.id)
                    if t.id == "__all__" and isinstance(node.value, ast.List | ast.Tuple):
                        declared = [
                            e.value
                            for e in node.value.elts
                            if isinstance(e, ast.Constant) and isinstance(e.value, str)
                        ]
        elif isinstance(node, ast.ImportFrom):
            names.extend(a.asname or a.name for a in node.names if a.name != "*")
        elif isinstance(node, ast.Import):
            names.extend(a.asname or a.name.split(".")[0] for a in node.names)
    public = declared if declared is not None else [n for n in names if not n.startswith("_")]
    return Members(attrs=tuple(dict.fromkeys([*public, *submodules(dotted)])))
