"""APIs the installed pandas, NumPy and scikit-learn removed or deprecated, and what replaces them.

Keyed by owner (a module, or the kernel type of a value: ``DataFrame``, ``Series``) and
attribute. A finding needs the installed version to be at or past the release that removed or
deprecated it; the version is read from the package metadata (nothing is imported). The fix is
given only where the replacement is the same call spelled anew (``np.float`` -> ``float``,
``s.iteritems`` -> ``s.items``); ``df.append(row)`` has none (``pd.concat`` needs a frame).
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from ..grounding import Knowledge, resolve
from ..grounding.sites import Path


@dataclass(frozen=True)
class Removed:
    package: str  # distribution whose version decides ("pandas", "numpy", "scikit-learn")
    since: tuple[int, ...]  # the release that removed (or deprecated) it
    owner: str  # module ("numpy") or kernel type ("DataFrame")
    attr: str
    replacement: str | None  # the new spelling of ``owner.attr`` as the cell wrote it; None: no fix
    note: str  # "removed in pandas 2.0: use pd.concat([df, other])"
    # the replacement replaces the whole ``owner.attr`` expression (``np.float`` -> ``float``)
    # rather than the attribute only (``s.iteritems`` -> ``s.items``)
    whole: bool = False
    # the release that brought it back (NumPy 2.0 has ``np.bool`` again); None: never
    until: tuple[int, ...] | None = None


_TABLE = (
    *(
        Removed("numpy", (1, 24), "numpy", a, a, f"np.{a} was removed in NumPy 1.24: use {a}", True)
        for a in ("float", "int", "object", "str", "complex")
    ),
    Removed("numpy", (1, 24), "numpy", "bool", "bool", "np.bool was removed in NumPy 1.24 "
            "(and is back in 2.0): use bool", True, (2, 0)),
    Removed("numpy", (2, 0), "numpy", "product", "prod", "np.product was removed in NumPy 2.0"),
    Removed("numpy", (2, 0), "numpy", "cumproduct", "cumprod", "np.cumproduct: removed in 2.0"),
    Removed("numpy", (2, 0), "numpy", "sometrue", "any", "np.sometrue was removed in NumPy 2.0"),
    Removed("numpy", (2, 0), "numpy", "alltrue", "all", "np.alltrue was removed in NumPy 2.0"),
    Removed("numpy", (2, 0), "numpy", "NaN", "nan", "np.NaN was removed in NumPy 2.0"),
    Removed("numpy", (2, 0), "numpy", "Inf", "inf", "np.Inf was removed in NumPy 2.0"),
    Removed("numpy", (2, 0), "numpy", "infty", "inf", "np.infty was removed in NumPy 2.0"),
    Removed("numpy", (2, 0), "numpy", "float_", "float64", "np.float_ was removed in NumPy 2.0"),
    Removed("numpy", (2, 0), "numpy", "complex_", "complex128", "np.complex_: removed in 2.0"),
    Removed("numpy", (2, 0), "numpy", "round_", "round", "np.round_ was removed in NumPy 2.0"),
    Removed("numpy", (2, 0), "numpy", "asfarray", None, "np.asfarray was removed in NumPy 2.0: "
            "use np.asarray(x, dtype=float)"),
    Removed("numpy", (2, 0), "numpy", "in1d", "isin", "np.in1d is deprecated since NumPy 2.0"),
    Removed("numpy", (2, 0), "numpy", "row_stack", "vstack", "np.row_stack is deprecated since "
            "NumPy 2.0"),
    Removed("numpy", (2, 0), "numpy", "trapz", "trapezoid", "np.trapz is deprecated since 2.0"),
    Removed("pandas", (2, 0), "DataFrame", "append", None, "DataFrame.append was removed in "
            "pandas 2.0: use pd.concat([df, other])"),
    Removed("pandas", (2, 0), "Series", "append", None, "Series.append was removed in pandas "
            "2.0: use pd.concat([s, other])"),
    Removed("pandas", (2, 0), "DataFrame", "iteritems", "items", "DataFrame.iteritems was "
            "removed in pandas 2.0"),
    Removed("pandas", (2, 0), "Series", "iteritems", "items", "Series.iteritems was removed in "
            "pandas 2.0"),
    Removed("pandas", (2, 0), "DataFrame", "lookup", None, "DataFrame.lookup was removed in "
            "pandas 2.0: use df.loc / df.to_numpy() indexing"),
    Removed("pandas", (2, 0), "DataFrame", "mad", None, "DataFrame.mad was removed in pandas "
            "2.0: use (df - df.mean()).abs().mean()"),
    Removed("pandas", (2, 0), "Series", "mad", None, "Series.mad was removed in pandas 2.0"),
    Removed("pandas", (2, 1), "DataFrame", "applymap", "map", "DataFrame.applymap is deprecated "
            "since pandas 2.1"),
    Removed("pandas", (2, 0), "pandas", "datetime", None, "pd.datetime was removed in pandas 2.0:"
            " use datetime.datetime"),
    Removed("pandas", (2, 0), "pandas", "np", None, "pd.np was removed in pandas 2.0: import "
            "numpy"),
)  # fmt: skip
_BY_OWNER: dict[tuple[str, str], Removed] = {(r.owner, r.attr): r for r in _TABLE}
# Modules scikit-learn removed, and where their names live now.
REMOVED_MODULES = {
    "sklearn.cross_validation": ("sklearn.model_selection", "scikit-learn", (0, 20)),
    "sklearn.grid_search": ("sklearn.model_selection", "scikit-learn", (0, 20)),
    "sklearn.learning_curve": ("sklearn.model_selection", "scikit-learn", (0, 20)),
    "sklearn.externals.joblib": ("joblib", "scikit-learn", (0, 23)),
}


@lru_cache(maxsize=32)
def installed_version(package: str) -> tuple[int, ...] | None:
    """The installed version of a distribution as numbers, from its metadata (no import)."""
    try:
        return _numbers(importlib.metadata.version(package))
    except importlib.metadata.PackageNotFoundError:
        return None


def _numbers(text: str | None) -> tuple[int, ...] | None:
    """``"2.1.0rc1"`` -> (2, 1, 0)."""
    out = []
    for piece in (text or "").split(".")[:3]:
        digits = piece[: len(piece) - len(piece.lstrip("0123456789"))]
        if not digits:
            break
        out.append(int(digits))
    return tuple(out) or None


def _past(
    package: str,
    since: tuple[int, ...],
    versions: Mapping[str, str],
    until: tuple[int, ...] | None = None,
) -> bool:
    have = _numbers(versions[package]) if package in versions else installed_version(package)
    return have is not None and have >= since and (until is None or have < until)


def removed_api(
    path: Path, attr: str, k: Knowledge, versions: Mapping[str, str]
) -> tuple[str, str, str | None] | None:
    """(message, old text, new text or None) when ``path.attr`` is an API the installed
    version removed or deprecated."""
    owner = _owner(path, k)
    if owner is None:
        return None
    r = _BY_OWNER.get((owner, attr))
    if r is None or not _past(r.package, r.since, versions, r.until):
        return None
    old = f"{path}.{attr}"
    if r.replacement is None:
        return r.note, old, None
    new = r.replacement if r.whole else f"{path}.{r.replacement}"
    return (r.note if ": use" in r.note else f"{r.note}: use {new}"), old, new


def _owner(path: Path, k: Knowledge) -> str | None:
    """The module a path names (``np`` -> numpy) or the kernel type of the value it holds."""
    if not path.steps and k.kernel is not None:
        for alias, module in k.kernel.modules:
            if alias == path.root:
                return module.split(".")[0]
    r = resolve(path, k)
    if r is None:
        return None
    if r.kind == "module":
        return r.module.split(".")[0]
    return r.kind or None


def removed_module(module: str, versions: Mapping[str, str]) -> tuple[str, str] | None:
    """(message, the module to import instead) for a module scikit-learn removed."""
    hit = REMOVED_MODULES.get(module)
    if hit is None or not _past(hit[1], hit[2], versions):
        return None
    new, package, since = hit
    return f"{module} was removed in {package} {'.'.join(map(str, since))}: use {new}", new
