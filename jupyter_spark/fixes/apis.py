"""APIs the installed pandas, NumPy, scikit-learn and Matplotlib removed or deprecated, and what
replaces them: attributes (``np.float``, ``df.append``) and the arguments of calls
(``OneHotEncoder(sparse=...)``, ``plt.style.use('seaborn')``).

Keyed by owner (a module, or the kernel type of a value: ``DataFrame``, ``Series``) and
attribute. A finding needs the installed version to be at or past the release that removed or
deprecated it; the version is read from the package metadata (nothing is imported). The fix is
given only where the replacement is the same call spelled anew (``np.float`` -> ``float``,
``s.iteritems`` -> ``s.items``); ``df.append(row)`` has none (``pd.concat`` needs a frame).
"""

from __future__ import annotations

import importlib.metadata
import re
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
    # the replacement is the new text of the whole no-argument call ``owner.attr()``, with
    # ``{0}`` for the owner (``s.mad()`` -> ``(s - s.mean()).abs().mean()``)
    call: bool = False


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
    # NumPy 2.0 (NEP 52) removed these aliases and helpers from the main namespace
    *(
        Removed("numpy", (2, 0), "numpy", a, new, f"np.{a} was removed in NumPy 2.0"
                + (f": {note}" if note else ""))
        for a, new, note in (
            ("string_", "bytes_", ""), ("unicode_", "str_", ""), ("Infinity", "inf", ""),
            ("PINF", "inf", ""), ("NINF", None, "use -np.inf"), ("PZERO", None, "use 0.0"),
            ("NZERO", None, "use -0.0"), ("longfloat", "longdouble", ""),
            ("singlecomplex", "complex64", ""), ("cfloat", "complex128", ""),
            ("longcomplex", "clongdouble", ""), ("clongfloat", "clongdouble", ""),
            ("int0", "intp", ""), ("uint0", "uintp", ""), ("bool8", "bool_", ""),
            ("mat", "asmatrix", ""), ("msort", None, "use np.sort(a, axis=0)"),
            ("cast", None, "use np.asarray(x, dtype=...)"),
            ("find_common_type", None, "use np.result_type or np.promote_types"),
            ("safe_eval", None, "use ast.literal_eval"),
            ("set_string_function", None, "use np.set_printoptions"),
            ("source", None, "use inspect.getsource"), ("lookfor", None, ""),
            ("who", None, ""), ("deprecate", None, ""), ("disp", None, "use print"),
            ("byte_bounds", None, "use np.lib.array_utils.byte_bounds"),
            ("recfromcsv", None, "use np.genfromtxt(..., delimiter=',', names=True)"),
            ("recfromtxt", None, "use np.genfromtxt"),
            ("issubclass_", None, "use issubclass"), ("obj2sctype", None, ""),
            ("sctype2char", None, ""), ("maximum_sctype", None, ""),
            ("issctype", None, ""), ("issubsctype", None, "use np.issubdtype"),
            ("DataSource", None, "use np.lib.npyio.DataSource"),
            ("fastCopyAndTranspose", None, "use a.T.copy()"),
            ("add_newdoc_ufunc", None, ""), ("compat", None, ""),
            ("tracemalloc_domain", None, "use np.lib.tracemalloc_domain"),
        )
    ),
    # ...and these ndarray methods (tostring: deprecated since 1.19, removed in 2.3)
    Removed("numpy", (2, 0), "ndarray", "ptp", None, "ndarray.ptp was removed in NumPy 2.0: use "
            "np.ptp(a)"),
    Removed("numpy", (2, 0), "ndarray", "itemset", None, "ndarray.itemset was removed in NumPy "
            "2.0: use a[index] = value"),
    Removed("numpy", (2, 0), "ndarray", "newbyteorder", None, "ndarray.newbyteorder was removed in"
            " NumPy 2.0: use a.view(a.dtype.newbyteorder(order))"),
    Removed("numpy", (2, 3), "ndarray", "tostring", "tobytes", "ndarray.tostring was removed in "
            "NumPy 2.3"),
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
    *(
        Removed("pandas", (2, 0), owner, "mad", "({0} - {0}.mean()).abs().mean()",
                f"{owner}.mad was removed in pandas 2.0: the mean absolute deviation is "
                "(x - x.mean()).abs().mean()", call=True)
        for owner in ("DataFrame", "Series")
    ),
    Removed("pandas", (2, 1), "DataFrame", "applymap", "map", "DataFrame.applymap is deprecated "
            "since pandas 2.1"),
    Removed("pandas", (2, 0), "pandas", "datetime", None, "pd.datetime was removed in pandas 2.0:"
            " use datetime.datetime"),
    Removed("pandas", (2, 0), "pandas", "np", None, "pd.np was removed in pandas 2.0: import "
            "numpy"),
    *(
        Removed("pandas", since, owner, attr, new, f"{owner}.{attr} is deprecated since pandas "
                f"{since[0]}.{since[1]} and removed in 3.0" + (f": {note}" if note else ""))
        for owner in ("DataFrame", "Series")
        for attr, new, since, note in (
            ("pad", "ffill", (2, 0), ""),
            ("backfill", "bfill", (2, 0), ""),
            ("swapaxes", None, (2, 1), "use .transpose()"),
            ("bool", None, (2, 1), "use bool(x.item())"),
            ("first", None, (2, 1), "use .loc with a date offset"),
            ("last", None, (2, 1), "use .loc with a date offset"),
        )
    ),
    # pandas 1.0 and 2.0 removed these long-deprecated spellings
    *(
        Removed("pandas", since, owner, attr, new, f"{owner}.{attr} was removed in pandas "
                f"{since[0]}.{since[1]}" + (f": {note}" if note else ""))
        for owner in ("DataFrame", "Series")
        for attr, new, since, note in (
            ("ix", "loc", (1, 0), "use .loc (labels; .iloc for positions)"),
            ("as_matrix", "to_numpy", (1, 0), ""),
            ("get_value", None, (1, 0), "use .at[row, col]"),
            ("set_value", None, (1, 0), "use .at[row, col] = value"),
            ("reindex_axis", "reindex", (1, 0), ""),
            ("convert_objects", "infer_objects", (1, 0), ""),
            ("to_dense", None, (1, 0), ""),
            ("sort", "sort_values", (0, 20), ""),
        )
    ),
    Removed("pandas", (1, 0), "DataFrame", "ftypes", "dtypes", "DataFrame.ftypes was removed in "
            "pandas 1.0"),
    Removed("pandas", (1, 0), "DataFrame", "get_dtype_counts", None, "DataFrame.get_dtype_counts "
            "was removed in pandas 1.0: use df.dtypes.value_counts()"),
    Removed("pandas", (1, 0), "Series", "valid", "dropna", "Series.valid was removed in pandas "
            "1.0"),
    Removed("pandas", (1, 0), "Series", "nonzero", None, "Series.nonzero was removed in pandas "
            "1.0: use s.to_numpy().nonzero()"),
    Removed("pandas", (1, 0), "Series", "ptp", None, "Series.ptp was removed in pandas 1.0: use "
            "s.max() - s.min()"),
    Removed("pandas", (2, 2), "Series", "ravel", None, "Series.ravel is deprecated since pandas "
            "2.2 and removed in 3.0: use s.to_numpy().ravel()"),
    *(
        Removed("pandas", (2, 0), owner, "is_monotonic", "is_monotonic_increasing", f"{owner}"
                ".is_monotonic was removed in pandas 2.0")
        for owner in ("Series", "Index")
    ),
    *(
        Removed("pandas", (2, 0), owner, attr, "isocalendar().week", f"{owner}.{attr} was "
                "removed in pandas 2.0")
        for owner in ("Series.dt", "DatetimeIndex")
        for attr in ("weekofyear", "week")
    ),
    *(
        Removed("pandas", (1, 0), owner, "weekday_name", "day_name()", f"{owner}.weekday_name "
                "was removed in pandas 1.0")
        for owner in ("Series.dt", "DatetimeIndex")
    ),
    Removed("pandas", (2, 1), "pandas", "value_counts", None, "pd.value_counts is deprecated since"
            " pandas 2.1 and removed in 3.0: use pd.Series(values).value_counts()"),
    *(
        Removed("pandas", (2, 0), "pandas", a, "Index", f"pd.{a} was removed in pandas 2.0")
        for a in ("Int64Index", "UInt64Index", "Float64Index")
    ),
    Removed("pandas", (1, 0), "pandas", "TimeGrouper", "Grouper", "pd.TimeGrouper was removed in "
            "pandas 1.0"),
    Removed("pandas", (1, 0), "pandas", "scatter_matrix", None, "pd.scatter_matrix was removed "
            "in pandas 1.0: use pd.plotting.scatter_matrix"),
    Removed("pandas", (1, 0), "pandas", "Panel", None, "pd.Panel was removed in pandas 1.0: use a "
            "DataFrame with a MultiIndex"),
    *(
        Removed("pandas", (0, 23), "pandas", f"rolling_{how}", None, f"pd.rolling_{how} was "
                f"removed in pandas 0.23: use s.rolling(window).{how}()")
        for how in ("mean", "sum", "std", "var", "min", "max", "median", "count", "apply")
    ),
    Removed("pandas", (2, 2), "Series", "view", None, "Series.view is deprecated since pandas "
            "2.2 and removed in 3.0: use .astype()"),
    Removed("matplotlib", (3, 9), "matplotlib.cm", "get_cmap", None, "matplotlib.cm.get_cmap was "
            "removed in Matplotlib 3.9: use matplotlib.colormaps[name]"),
    *(
        Removed("scikit-learn", (1, 2), t, "get_feature_names", "get_feature_names_out",
                f"{t}.get_feature_names was removed in scikit-learn 1.2")
        for t in ("CountVectorizer", "TfidfVectorizer", "DictVectorizer", "OneHotEncoder",
                  "PolynomialFeatures", "ColumnTransformer", "HashingVectorizer")
    ),
)  # fmt: skip
_ACCESSORS = ("dt", "str", "cat")  # pandas' Series accessors, owners in the table as Series.dt
_INDEX_NOTE = re.compile(r"; index: (\w+)")  # the probe's note on a frame's or Series' index
_BY_OWNER: dict[tuple[str, str], Removed] = {(r.owner, r.attr): r for r in _TABLE}
# Modules scikit-learn removed, and where their names live now.
REMOVED_MODULES = {
    "sklearn.cross_validation": ("sklearn.model_selection", "scikit-learn", (0, 20)),
    "sklearn.grid_search": ("sklearn.model_selection", "scikit-learn", (0, 20)),
    "sklearn.learning_curve": ("sklearn.model_selection", "scikit-learn", (0, 20)),
    "sklearn.externals.joblib": ("joblib", "scikit-learn", (0, 23)),
}


@dataclass(frozen=True)
class RemovedArgument:
    """An argument of a library call that a release removed, renamed or gave new values.

    ``callee``: the package's import name and the callable's dotted tail, matched against the
    qualified name the cell calls (``sklearn.preprocessing._encoders.OneHotEncoder`` ends with
    ``OneHotEncoder``). The finding is on ``keyword`` (given with ``value`` when set), or on the
    string value at ``position`` / of ``keyword`` that ``old_value`` matches as a prefix. The fix:
    the keyword renamed (``new_keyword``), the callable renamed and the keyword dropped
    (``new_callee``, same module), or the value rewritten by putting ``new_value`` in place of
    the prefix."""

    package: str  # distribution whose version decides
    since: tuple[int, ...]
    callee: tuple[str, str]  # ("sklearn", "OneHotEncoder")
    note: str
    keyword: str | None = None
    value: object = None  # the keyword's literal value it applies to (None: any)
    position: int | None = None
    old_value: str | None = None  # prefix of a string value that is gone
    keep: str | None = None  # ...unless the value starts with this (already the new spelling)
    new_keyword: str | None = None
    new_callee: str | None = None
    new_value: str | None = None


_ARGUMENTS = (
    RemovedArgument("scikit-learn", (1, 4), ("sklearn", "OneHotEncoder"), "OneHotEncoder(sparse=)"
                    " was removed in scikit-learn 1.4: use sparse_output=", keyword="sparse",
                    new_keyword="sparse_output"),
    RemovedArgument("scikit-learn", (1, 6), ("sklearn", "mean_squared_error"), "mean_squared_error"
                    "(squared=False) was removed in scikit-learn 1.6: use root_mean_squared_error",
                    keyword="squared", value=False, new_callee="root_mean_squared_error"),
    RemovedArgument("scikit-learn", (1, 6), ("sklearn", "mean_squared_log_error"),
                    "mean_squared_log_error(squared=False) was removed in scikit-learn 1.6: use "
                    "root_mean_squared_log_error", keyword="squared", value=False,
                    new_callee="root_mean_squared_log_error"),
    RemovedArgument("scikit-learn", (1, 4), ("sklearn", "AgglomerativeClustering"),
                    "AgglomerativeClustering(affinity=) was removed in scikit-learn 1.4: use "
                    "metric=", keyword="affinity", new_keyword="metric"),
    RemovedArgument("scikit-learn", (1, 7), ("sklearn", "TSNE"), "TSNE(n_iter=) was removed in "
                    "scikit-learn 1.7: use max_iter=", keyword="n_iter", new_keyword="max_iter"),
    *(
        RemovedArgument("scikit-learn", (1, 3), ("sklearn", c), f"{c}(loss='{old}') was removed "
                        f"in scikit-learn 1.3: use loss='log_loss'", keyword="loss",
                        old_value=old, new_value="log_loss")
        for c, old in (("SGDClassifier", "log"), ("GradientBoostingClassifier", "deviance"))
    ),
    *(
        RemovedArgument("scikit-learn", (1, 3), ("sklearn", c), f"{c}(max_features='auto') was "
                        "removed in scikit-learn 1.3: use 'sqrt'", keyword="max_features",
                        old_value="auto", new_value="sqrt")
        for c in ("RandomForestClassifier", "ExtraTreesClassifier")
    ),
    *(
        RemovedArgument("pandas", (2, 0), ("pandas", f), f"{f}({kw}=) was removed in pandas 2.0: "
                        "use on_bad_lines=", keyword=kw)
        for f in ("read_csv", "read_table") for kw in ("error_bad_lines", "warn_bad_lines")
    ),
    *(
        RemovedArgument("pandas", (2, 0), ("pandas", f), f"{f}(squeeze=) was removed in pandas "
                        "2.0: call .squeeze('columns') on the result", keyword="squeeze")
        for f in ("read_csv", "read_table")
    ),
    *(
        RemovedArgument("pandas", (2, 0), (owner, "to_csv"), "to_csv(line_terminator=) was "
                        "removed in pandas 2.0: use lineterminator=", keyword="line_terminator",
                        new_keyword="lineterminator")
        for owner in ("DataFrame", "Series")
    ),
    *(
        RemovedArgument("pandas", (2, 1), (owner, "fillna"), f"fillna(method='{how}') is "
                        f"deprecated since pandas 2.1 and removed in 3.0: use .{new}()",
                        keyword="method", value=how, new_callee=new)
        for owner in ("DataFrame", "Series")
        for how, new in (("ffill", "ffill"), ("pad", "ffill"), ("bfill", "bfill"),
                         ("backfill", "bfill"))
    ),
    *(
        RemovedArgument("numpy", (1, 22), ("numpy", f), f"np.{f}(interpolation=) is deprecated "
                        "since NumPy 1.22 (removed in 2.4): use method=", keyword="interpolation",
                        new_keyword="method")
        for f in ("percentile", "quantile", "nanpercentile", "nanquantile")
    ),
    RemovedArgument("scikit-learn", (1, 5), ("sklearn", "LogisticRegression"), "LogisticRegression"
                    "(multi_class=) is deprecated since scikit-learn 1.5 (removed in 1.8): drop "
                    "it (multinomial is used for more than two classes)", keyword="multi_class"),
    RemovedArgument("scikit-learn", (1, 2), ("sklearn", "LinearRegression"), "LinearRegression"
                    "(normalize=) was removed in scikit-learn 1.2: scale the features first "
                    "(StandardScaler in a pipeline)", keyword="normalize"),
    *(
        RemovedArgument("scikit-learn", (1, 4), ("sklearn", c), f"{c}(base_estimator=) was "
                        "removed in scikit-learn 1.4: use estimator=", keyword="base_estimator",
                        new_keyword="estimator")
        for c in ("BaggingClassifier", "BaggingRegressor", "AdaBoostClassifier",
                  "AdaBoostRegressor")
    ),
    *(
        RemovedArgument("pandas", (2, 0), ("pandas", f), f"{f}({kw}=) is deprecated since pandas"
                        f" 2.0: {note}", keyword=kw)
        for f, kw, note in (
            ("read_csv", "date_parser", "use date_format="),
            ("read_csv", "infer_datetime_format", "drop it (the format is inferred)"),
            ("to_datetime", "infer_datetime_format", "drop it (the format is inferred)"),
        )
    ),
    RemovedArgument("pandas", (2, 2), ("pandas", "read_csv"), "read_csv(delim_whitespace=) is "
                    "deprecated since pandas 2.2: use sep=r'\\s+'", keyword="delim_whitespace"),
    *(
        RemovedArgument("matplotlib", (3, 9), (owner, "boxplot"), "boxplot(labels=) is deprecated"
                        " since Matplotlib 3.9: use tick_labels=", keyword="labels",
                        new_keyword="tick_labels")
        for owner in ("matplotlib", "Axes")
    ),
    *(
        RemovedArgument("matplotlib", (3, 5), (owner, "grid"), "grid(b=) was renamed visible= in "
                        "Matplotlib 3.5", keyword="b", new_keyword="visible")
        for owner in ("matplotlib", "Axes")
    ),
    *(
        RemovedArgument("matplotlib", (3, 1), (owner, "hist"), "hist(normed=) was removed in "
                        "Matplotlib 3.1: use density=", keyword="normed", new_keyword="density")
        for owner in ("matplotlib", "Axes")
    ),
    RemovedArgument("pandas", (2, 1), ("DataFrame", "groupby"), "groupby(axis=) is deprecated "
                    "since pandas 2.1 and removed in 3.0: group the transpose (df.T.groupby)",
                    keyword="axis"),
    *(
        RemovedArgument("matplotlib", (3, 8), ("matplotlib", "style.use"), "the 'seaborn' styles "
                        "were renamed 'seaborn-v0_8' in Matplotlib 3.6 and removed in 3.8",
                        position=0, keyword=kw, old_value="seaborn", keep="seaborn-v0_8",
                        new_value="seaborn-v0_8")
        for kw in ("style",)
    ),
)  # fmt: skip


def removed_arguments(qualified: str, versions: Mapping[str, str]) -> tuple[RemovedArgument, ...]:
    """The argument rules for the callable named ``qualified`` (``sklearn.metrics.mse``, or a
    method of a kernel type: ``DataFrame.fillna``) that the installed (or given) versions have
    passed."""
    head, _, _ = qualified.partition(".")
    return tuple(
        r
        for r in _ARGUMENTS
        if r.callee[0] == head
        and (qualified == f"{head}.{r.callee[1]}" or qualified.endswith("." + r.callee[1]))
        and _past(r.package, r.since, versions)
    )


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
) -> tuple[str, str, str | None, bool] | None:
    """(message, old text, new text or None, whether the new text replaces the whole
    no-argument call) when ``path.attr`` is an API the installed version removed or
    deprecated."""
    owner = _owner(path, k)
    if owner is None:
        return None
    r = _BY_OWNER.get((owner, attr))
    if r is None or not _past(r.package, r.since, versions, r.until):
        return None
    old = f"{path}.{attr}"
    if r.replacement is None:
        return r.note, old, None, False
    if r.call:
        return r.note, old, r.replacement.format(path), True
    new = r.replacement if r.whole else f"{path}.{r.replacement}"
    return (r.note if ": use" in r.note else f"{r.note}: use {new}"), old, new, False


def _owner(path: Path, k: Knowledge) -> str | None:
    """The module a path names (``np`` -> numpy), the kernel type of the value it holds, or
    for pandas' accessors the accessor of a column (``df['when'].dt`` -> ``Series.dt``) and a
    frame's date index (``ts.index`` -> ``DatetimeIndex``)."""
    if not path.steps and k.kernel is not None:
        for alias, module in k.kernel.modules:
            if alias == path.root:
                return module
    if path.steps and path.steps[-1].kind == "attr":
        head = Path(path.root, path.steps[:-1])
        last = path.steps[-1].value
        if last in _ACCESSORS and _is_series(head, k):
            return f"Series.{last}"
        if last == "index" and not head.steps and k.kernel is not None:
            var = next((v for v in k.kernel.variables if v.name == head.root), None)
            index = _INDEX_NOTE.search(var.summary) if var is not None else None
            if index is not None and var.kind in ("DataFrame", "Series"):
                return index.group(1)
    r = resolve(path, k)
    if r is None:
        return None
    if r.kind == "module":
        return r.module
    return r.kind or None


def _is_series(path: Path, k: Knowledge) -> bool:
    """A Series the kernel holds, or a column of a DataFrame it holds (``df['a']``, ``df.a``)."""
    r = resolve(path, k)
    if r is not None and r.kind == "Series":
        return True
    if not path.steps or path.steps[-1].kind not in ("key", "attr"):
        return False
    frame = resolve(Path(path.root, path.steps[:-1]), k)
    return (
        frame is not None
        and frame.kind == "DataFrame"
        and path.steps[-1].value in frame.members.keys
    )


def removed_module(module: str, versions: Mapping[str, str]) -> tuple[str, str] | None:
    """(message, the module to import instead) for a module scikit-learn removed."""
    hit = REMOVED_MODULES.get(module)
    if hit is None or not _past(hit[1], hit[2], versions):
        return None
    new, package, since = hit
    return f"{module} was removed in {package} {'.'.join(map(str, since))}: use {new}", new
