"""Rule-based fixes for the errors notebooks hit most, using the live kernel's names.

Each rule reads the error, finds the offending spot in the cell (tokens and the AST, see
edit.py), and proposes new sources with a confidence; the service keeps only candidates that
compile and ranks them. ``RULES`` maps an exception name to its rule: the lookup errors (names,
attributes, keys, modules) are here, syntax errors in syntax.py, TypeError and ValueError in
values.py. ``needed_details`` says which names the server should ask the kernel about.
"""

from __future__ import annotations

import ast
import importlib
import re
import sys
from collections.abc import Iterator

from .arguments import (
    date_format,
    json_default,
    replace_to_remove,
    reshape_size,
    suggested_value,
)
from .chained import MESSAGE as CHAINED_MESSAGE
from .chained import WARNINGS as CHAINED_WARNINGS
from .chained import chained_assignments
from .edit import (
    attribute_bases,
    calls_of,
    insert_line,
    rename_attribute,
    rename_name,
    replace_constant,
    rewrite_nodes,
)
from .frames import merge_suffixes, text_reduction, unnamed_reset_index
from .imports import cannot_import, missing_import, module_meant, moved_module
from .imports import needed as import_details
from .operands import operand_fixes
from .runtime import (
    index_past_end,
    missing_return,
    none_from_in_place,
    none_from_lookup,
    not_callable,
    unbound_local,
    zero_division,
)
from .source import ANY_NAME, BUILTIN_NAMES, IPYTHON_NAMES, defined_names, names_in_cells, parse
from .syntax import syntax_error
from .toolkit import Candidate, Context, Rule, failing_line, nearest, suggested_name
from .types import ErrorInfo, Fix, make_fix
from .values import iter_loops, keyword_callee, looked_up, type_error, value_error

# Well-known aliases -> the import that defines them.
ALIAS_IMPORTS = {
    "np": "import numpy as np",
    "pd": "import pandas as pd",
    "plt": "import matplotlib.pyplot as plt",
    "sns": "import seaborn as sns",
    "tf": "import tensorflow as tf",
    "torch": "import torch",
    "nn": "import torch.nn as nn",
    "F": "import torch.nn.functional as F",
    "sp": "import scipy as sp",
    "stats": "from scipy import stats",
    "px": "import plotly.express as px",
    "go": "import plotly.graph_objects as go",
    "mpl": "import matplotlib as mpl",
    "pl": "import polars as pl",
    "dt": "import datetime as dt",
    "datetime": "from datetime import datetime",
    "date": "from datetime import date",
    "timedelta": "from datetime import timedelta",
    "Path": "from pathlib import Path",
    "defaultdict": "from collections import defaultdict",
    "Counter": "from collections import Counter",
    "OrderedDict": "from collections import OrderedDict",
    "namedtuple": "from collections import namedtuple",
    "deque": "from collections import deque",
    "dataclass": "from dataclasses import dataclass",
    "partial": "from functools import partial",
    "reduce": "from functools import reduce",
    "pprint": "from pprint import pprint",
    "tqdm": "from tqdm import tqdm",
    "display": "from IPython.display import display",
}
# Import name -> the distribution to pip install, where they differ.
PIP_NAMES = {
    "sklearn": "scikit-learn",
    "cv2": "opencv-python",
    "PIL": "pillow",
    "yaml": "pyyaml",
    "bs4": "beautifulsoup4",
    "skimage": "scikit-image",
    "dateutil": "python-dateutil",
    "dotenv": "python-dotenv",
    "Crypto": "pycryptodome",
    "jwt": "PyJWT",
    "serial": "pyserial",
    "usb": "pyusb",
    "magic": "python-magic",
    "docx": "python-docx",
    "pptx": "python-pptx",
    "fitz": "pymupdf",
    "attr": "attrs",
    "google.protobuf": "protobuf",
    "tensorflow_hub": "tensorflow-hub",
    "OpenGL": "PyOpenGL",
    "wx": "wxPython",
    "gi": "PyGObject",
    "Levenshtein": "python-Levenshtein",
    "sentencepiece": "sentencepiece",
    "umap": "umap-learn",
    "lightgbm": "lightgbm",
    "xgboost": "xgboost",
}
# Method names from other languages and libraries -> the Python / pandas one (offered only when
# the object really has it).
FOREIGN_ATTRS = {
    "push": "append",
    "push_back": "append",
    "add": "append",
    "concat": "extend",
    "indexOf": "index",
    "trim": "strip",
    "toUpperCase": "upper",
    "toLowerCase": "lower",
    "toupper": "upper",
    "tolower": "lower",
    "startsWith": "startswith",
    "endsWith": "endswith",
    "sort_by": "sort_values",
    "orderBy": "sort_values",
    "order_by": "sort_values",
    "arrange": "sort_values",
    "groupBy": "groupby",
    "group_by": "groupby",
}
# ... for a value that has no such method, its other kind's word (a set's ``push`` is ``add``).
FOREIGN_ALTERNATIVES = {"push": "add", "append": "add", "push_back": "add"}
# Builtin types an AttributeError names, read here when the value is not in the kernel (a loop
# variable): their attributes are this Python's, the same in the kernel's.
BUILTIN_TYPES = {
    t.__name__: t
    for t in (str, list, dict, set, frozenset, tuple, int, float, complex, bytes, bool, range)
}
# Attributes other languages read a length with.
LENGTH_ATTRS = frozenset({"length", "size", "len", "count", "Length", "Count"})
# Similarity credited to such a translation (a confidence of 0.85).
FOREIGN_SCORE = 0.8
# Modules a typo'd import is most likely meant to be (besides the standard library).
COMMON_MODULES = frozenset(
    {"numpy", "pandas", "matplotlib", "seaborn", "scipy", "sklearn", "torch", "tensorflow"}
    | {"requests", "plotly", "polars", "tqdm", "PIL", "cv2", "yaml", "bs4", "statsmodels"}
    | {"sympy", "networkx", "pyarrow", "xgboost", "lightgbm", "transformers", "IPython"}
)


def name_error(source: str, error: ErrorInfo, ctx: Context) -> Iterator[Candidate]:
    m = re.search(r"name '(\w+)' is not defined", error.evalue)
    if not m:
        return
    name = m.group(1)
    if name in ALIAS_IMPORTS:
        line = module_meant(ALIAS_IMPORTS[name], source) or ALIAS_IMPORTS[name]
        yield (
            f"Add `{line}`",
            f"`{name}` is the usual alias from `{line}`, which this notebook has not run.",
            insert_line(source, line),
            0.9,
        )
    kernel = ctx.kernel_names()
    cells = names_in_cells(ctx.cells)
    tree = parse(source)
    own = set() if tree is None else defined_names(tree)
    pool = (kernel | cells | own | BUILTIN_NAMES | IPYTHON_NAMES) - {ANY_NAME}
    hinted = suggested_name(error)
    matches = nearest(name, pool)
    if hinted and hinted in pool and hinted not in dict(matches):
        matches.insert(0, (hinted, 0.95))
    if name not in ALIAS_IMPORTS:
        yield from missing_import(source, name, ctx, matches)
    for other, score in matches:
        new = rename_name(source, name, other)
        if new is None:
            continue
        where = (
            "in the kernel"
            if other in kernel
            else "in another cell"
            if other in cells
            else "a builtin"
            if other in BUILTIN_NAMES
            else "in this cell"
        )
        bonus = 0.05 if other in kernel else 0.0
        yield (
            f"Use `{other}` instead of `{name}`",
            f"`{name}` is not defined; `{other}` ({where}) is the closest name.",
            new,
            min(0.98, 0.45 + 0.5 * score + bonus),
        )


def attribute_error(source: str, error: ErrorInfo, ctx: Context) -> Iterator[Candidate]:
    m = re.search(r"has no attribute '(\w+)'", error.evalue)
    if not m:
        return
    attr = m.group(1)
    hinted = suggested_name(error)
    seen: set[str] = set()
    kind_m = re.match(r"'(\w+)' object has no attribute", error.evalue)
    builtin = BUILTIN_TYPES.get(kind_m.group(1)) if kind_m else None
    for base in attribute_bases(source, attr) or [None]:
        pool: set[str] = set()
        info = ctx.details(base) if base else None
        if info:
            pool |= set(info.get("attrs") or ())
            if info.get("type") == "DataFrame":  # columns read as attributes: `df.units`
                pool |= {k for k in info.get("keys") or () if k.isidentifier()}
        if not pool and builtin is not None:  # a loop variable: the type the message names
            pool = {a for a in dir(builtin) if not a.startswith("_")}
        candidates = nearest(attr, pool)
        meant = FOREIGN_ATTRS.get(attr)
        if meant not in pool:
            meant = FOREIGN_ALTERNATIVES.get(attr)
        if meant in pool and meant not in dict(candidates):
            candidates.insert(0, (meant, FOREIGN_SCORE))
        root = ctx.details(base.split(".")[0]) if base and "." in base else None
        if not candidates and root:
            # `df.col.mena`: the Series is out of the probe's reach (reading `df.col` would run
            # pandas' __getattr__), but its root's attributes share most names: a weaker guess.
            candidates = [(o, sc * 0.85) for o, sc in nearest(attr, set(root.get("attrs") or ()))]
        if hinted and hinted not in dict(candidates):
            candidates.insert(0, (hinted, 0.97))
        for other, score in candidates:
            new = rename_attribute(source, attr, other, base)
            if new is None or new in seen:
                continue
            seen.add(new)
            kind = info.get("type") if info else "the object"
            yield (
                f"Use `.{other}` instead of `.{attr}`",
                f"{kind} has no attribute `{attr}`; `{other}` is the closest it has.",
                new,
                min(0.97, 0.45 + 0.5 * score),
            )


def foreign_idioms(source: str, error: ErrorInfo, ctx: Context) -> Iterator[Candidate]:
    """Idioms of Python 2 and other languages on a builtin value: ``d.has_key(k)`` is
    ``k in d``, ``xs.length`` is ``len(xs)``."""
    m = re.match(r"'(\w+)' object has no attribute '(\w+)'", error.evalue)
    tree = parse(source)
    if not m or tree is None or m.group(1) not in BUILTIN_TYPES:
        return
    kind, attr = m.groups()
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    edits, what = [], ""
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Attribute) and node.attr == attr):
            continue
        call = parents.get(node)
        called = isinstance(call, ast.Call) and call.func is node
        obj = _source_of(source, node.value)
        if attr == "has_key" and kind == "dict" and called and len(call.args) == 1:
            text = f"{_source_of(source, call.args[0])} in {obj}"
            bare = isinstance(parents.get(call), ast.Assign | ast.If | ast.Return | ast.Expr)
            edits.append((call, text if bare else f"({text})"))
            what = "`key in d` asks whether a dict has a key (`has_key` was Python 2's)."
        elif attr in LENGTH_ATTRS and "__len__" in dir(BUILTIN_TYPES[kind]):
            if called and (call.args or call.keywords):
                continue
            edits.append((call if called else node, f"len({obj})"))
            what = f"A {kind}'s length is `len()`; it has no `.{attr}`."
    new = rewrite_nodes(source, edits) if edits else None
    if new is not None:
        yield ("Write it the Python way", what, new, 0.9)


def array_append(source: str, error: ErrorInfo, ctx: Context) -> Iterator[Candidate]:
    """``arr.append(x)`` on a NumPy array: ``np.append`` returns a new array (arrays have a
    fixed size), so the result is assigned back: ``arr = np.append(arr, x)``."""
    if not re.match(r"'numpy\.ndarray' object has no attribute 'append'", error.evalue):
        return
    alias = next((a for a, m in ctx.modules if m == "numpy"), None)
    tree = parse(source)
    if alias is None or tree is None:
        return
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    edits = []
    for call in calls_of(tree, "append"):
        if not (isinstance(call.func, ast.Attribute) and len(call.args) == 1) or call.keywords:
            continue
        obj, arg = (_source_of(source, n) for n in (call.func.value, call.args[0]))
        text = f"{alias}.append({obj}, {arg})"
        stmt = parents.get(call)
        if isinstance(stmt, ast.Expr) and isinstance(call.func.value, ast.Name):
            edits.append((stmt, f"{obj} = {text}"))
        else:
            edits.append((call, text))
    new = rewrite_nodes(source, edits) if edits else None
    if new is not None:
        yield (
            f"Use {alias}.append()",
            f"A NumPy array has a fixed size and no `.append`; `{alias}.append(arr, x)` returns "
            "a new array with `x` at the end.",
            new,
            0.88,
        )


def pandas_accessors(source: str, error: ErrorInfo, ctx: Context) -> Iterator[Candidate]:
    """A Series used like the values it holds: ``s.upper()`` is ``s.str.upper()``, ``s.len()``
    ``s.str.len()``; ``.dt`` on dates stored as text reads them first
    (``pd.to_datetime(s).dt``); the removed ``.append`` of a frame or Series is ``pd.concat``
    (a dict row becomes a one-row frame)."""
    alias = next((a for a, m in ctx.modules if m == "pandas"), None)
    tree = parse(source)
    if tree is None:
        return
    row = failing_line(source, error)
    nodes = _on_line(tree, row)
    m = re.match(r"'(Series|DataFrame)' object has no attribute '(\w+)'", error.evalue)
    edits, why, confidence = [], "", 0.88
    if m and m.group(1) == "Series" and (m.group(2) in dir(str) or m.group(2) == "len"):
        attr = m.group(2)
        edits = [
            (n, f"{_source_of(source, n.value)}.str.{attr}")
            for n in nodes
            if isinstance(n, ast.Attribute) and n.attr == attr
        ]
        why = f"A Series' text methods are under `.str`: `.str.{attr}` applies it to each value."
        confidence = 0.98  # above Python's own "Did you mean" (`len` -> `le`)
    elif m and m.group(2) == "append" and alias:
        for n in nodes:
            if not (
                isinstance(n, ast.Call)
                and isinstance(n.func, ast.Attribute)
                and n.func.attr == "append"
                and len(n.args) == 1
            ):
                continue
            other = n.args[0]
            kind = (ctx.details(other.id) or {}).get("type") if isinstance(other, ast.Name) else ""
            piece = _source_of(source, other)
            if isinstance(other, ast.Dict) or kind == "dict":
                piece = f"{alias}.DataFrame([{piece}])"
            keywords = "".join(f", {ast.get_source_segment(source, k)}" for k in n.keywords)
            edits.append(
                (n, f"{alias}.concat([{_source_of(source, n.func.value)}, {piece}]{keywords})")
            )
        why = f"`.append` was removed from pandas; `{alias}.concat` joins frames and Series."
    elif "Can only use .dt accessor with datetimelike values" in error.evalue and alias:
        edits = [
            (n, f"{alias}.to_datetime({_source_of(source, n.value)}).dt")
            for n in nodes
            if isinstance(n, ast.Attribute) and n.attr == "dt"
        ]
        why = f"The dates are stored as text; `{alias}.to_datetime` reads them before `.dt`."
    new = rewrite_nodes(source, edits) if len(edits) == 1 else None
    if new is not None:
        yield ("Use the pandas way", why, new, confidence)


def _on_line(tree: ast.AST, row: int | None) -> list[ast.AST]:
    nodes = list(ast.walk(tree))
    here = [n for n in nodes if row is not None and getattr(n, "lineno", None) == row + 1]
    return here or nodes


def load_from_text(source: str, error: ErrorInfo, ctx: Context) -> Iterator[Candidate]:
    """``json.load(text)``: ``load`` reads a file (``.read()``); text is ``json.loads``'s."""
    if not re.match(r"'(str|bytes)' object has no attribute 'read'", error.evalue):
        return
    tree = parse(source)
    row = failing_line(source, error)
    for node in ast.walk(tree) if tree is not None else ():
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "load"
            and isinstance(node.func.value, ast.Name)
            and (row is None or node.lineno == row + 1)
        ):
            continue
        module = node.func.value.id
        info = ctx.details(module) or {}
        if info.get("type") == "module" and "loads" in (info.get("attrs") or ()):
            new = rewrite_nodes(source, [(node.func, f"{module}.loads")])
            if new is not None:
                yield (
                    f"Use {module}.loads() for text",
                    f"`{module}.load` reads from a file object; `{module}.loads` parses a str.",
                    new,
                    0.9,
                )
                return


def class_of_module(source: str, error: ErrorInfo, ctx: Context) -> Iterator[Candidate]:
    """``datetime.now()`` after ``import datetime``: the module has a class (of its own name,
    or the one class) that has ``now``: ``datetime.datetime.now()``. The standard library's
    modules are imported here to look; other modules are not."""
    m = re.match(r"module '([\w.]+)' has no attribute '(\w+)'", error.evalue)
    if not m or m.group(1).split(".")[0] not in sys.stdlib_module_names:
        return
    name, attr = m.groups()
    try:
        module = importlib.import_module(name)
    except Exception:
        return
    owners = [
        a
        for a, v in vars(module).items()
        if not a.startswith("_")
        and isinstance(v, type)
        and getattr(v, "__module__", "").lstrip("_") == name
        and attr in vars(v)
    ]
    short = name.split(".")[-1]
    owner = short if short in owners else owners[0] if len(owners) == 1 else None
    if owner is None:
        return
    for base in attribute_bases(source, attr):
        if base.split(".")[-1] != short and (ctx.details(base) or {}).get("type") != "module":
            continue
        new = rename_attribute(source, attr, f"{owner}.{attr}", base)
        if new is not None:
            yield (
                f"Use `{base}.{owner}.{attr}`",
                f"`{attr}` belongs to the class `{name}.{owner}`, not to the module `{name}`.",
                new,
                0.9,
            )
            return


def _source_of(source: str, node: ast.AST) -> str:
    text = ast.get_source_segment(source, node) or ast.unparse(node)
    simple = ast.Name | ast.Attribute | ast.Subscript | ast.Call | ast.Constant
    return text if isinstance(node, simple) else f"({text})"


def key_error(source: str, error: ErrorInfo, ctx: Context) -> Iterator[Candidate]:
    yield from first_count(source, error, ctx)
    try:
        key = ast.literal_eval(error.evalue.strip())
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return
    if isinstance(key, int) and not isinstance(key, bool):
        yield from key_as_text(source, error, ctx, key)
    if not isinstance(key, str):
        return
    yield from unnamed_reset_index(source, error, key)
    yield from merge_suffixes(source, error, ctx, key)
    tree = parse(source)
    if tree is None:
        return
    sites = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript):
            sl = node.slice
            if isinstance(sl, ast.Constant) and sl.value == key:
                sites.append((ast.unparse(node.value), sl))
            elif isinstance(sl, ast.List | ast.Tuple):  # df[["a", "b"]]
                sites.extend(
                    (ast.unparse(node.value), e)
                    for e in sl.elts
                    if isinstance(e, ast.Constant) and e.value == key
                )
    for base, const in sites:
        info = ctx.details(base)
        pool = set((info or {}).get("keys") or ())
        if key in ((info or {}).get("index_names") or ()):
            yield from _key_in_index(source, base, key)
        matches = nearest(key, pool)
        if key == "index" and not matches and (info or {}).get("type") == "DataFrame" and pool:
            # ``value_counts().reset_index()``: pandas 2 keeps the values' own name there
            first = ((info or {}).get("keys") or [None])[0]
            matches = [(first, 0.5)] if first else []
        suffixed = [(f"{key}{s}", 0.99 - i * 0.1) for i, s in enumerate(("_x", "_y"))]
        if any(name in pool for name, _ in suffixed):  # a merge renamed both sides' column
            matches = [m for m in suffixed if m[0] in pool] + [
                m for m in matches if m[0] not in dict(suffixed)
            ]
        for other, score in matches:
            new = replace_constant(source, const, other)
            if new is None:
                continue
            kind = (info or {}).get("type", "the object")
            what = "column" if kind == "DataFrame" else "key"
            yield (
                f"Use the {what} {other!r} instead of {key!r}",
                f"{base} ({kind}) has no {what} {key!r}; {other!r} is the closest it has.",
                new,
                min(0.97, 0.45 + 0.5 * score),
            )


def first_count(source: str, error: ErrorInfo, ctx: Context) -> Iterator[Candidate]:
    """``counts[w] += 1`` / ``groups[k].append(x)`` on a dict without the key yet: the first
    time starts from nothing, ``counts[w] = counts.get(w, 0) + 1`` and
    ``groups.setdefault(k, []).append(x)``."""
    tree = parse(source)
    row = failing_line(source, error)
    if tree is None or row is None:
        return
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    edits, keyed = [], []
    for node in ast.walk(tree):
        if getattr(node, "lineno", None) != row + 1:
            continue
        if (
            isinstance(node, ast.AugAssign)
            and isinstance(node.op, ast.Add | ast.Sub)
            and isinstance(node.target, ast.Subscript)
            and _a_dict(node.target.value, ctx)
        ):
            d = _source_of(source, node.target.value)
            k = _source_of(source, node.target.slice)
            start = "[]" if isinstance(node.value, ast.List) else "0"
            op = "+" if isinstance(node.op, ast.Add) else "-"
            value = ast.get_source_segment(source, node.value) or ast.unparse(node.value)
            edits.append((node, f"{d}[{k}] = {d}.get({k}, {start}) {op} {value}"))
            keyed.append(node.target)
        elif (
            isinstance(node, ast.Subscript)
            and isinstance(node.ctx, ast.Load)
            and isinstance(parents.get(node), ast.Attribute)
            and parents[node].attr in ("append", "extend", "add", "update")
            and _a_dict(node.value, ctx)
        ):
            empty = {"append": "[]", "extend": "[]", "add": "set()", "update": "{}"}
            d, k = _source_of(source, node.value), _source_of(source, node.slice)
            edits.append((node, f"{d}.setdefault({k}, {empty[parents[node].attr]})"))
            keyed.append(node)
    new = rewrite_nodes(source, edits) if edits else None
    literal = any(isinstance(getattr(n, "slice", None), ast.Constant) for n in keyed)
    if new is not None:
        yield (
            "Start a missing key from nothing",
            "The dict has no entry for that key yet; `.get(key, 0)` / `.setdefault(key, [])` "
            "start it the first time (or use `collections.defaultdict`).",
            new,
            0.6 if literal else 0.88,  # a written key that is missing is likelier a typo
        )


def _a_dict(node: ast.expr, ctx: Context) -> bool:
    """Whether the kernel says ``node`` (a name) is a plain dict."""
    return isinstance(node, ast.Name) and (ctx.details(node.id) or {}).get("type") == "dict"


def key_as_text(source: str, error: ErrorInfo, ctx: Context, key: int) -> Iterator[Candidate]:
    """``stock[101]`` where the dict's keys are the text ``"101"`` (read from JSON or a
    CSV): the key converted with ``str()``."""
    tree = parse(source)
    row = failing_line(source, error)
    for node in ast.walk(tree) if tree is not None else ():
        if not (
            isinstance(node, ast.Subscript)
            and isinstance(node.value, ast.Name)
            and (row is None or node.lineno == row + 1)
        ):
            continue
        info = ctx.details(node.value.id) or {}
        if info.get("type") == "Series" and isinstance(node.slice, ast.Constant):
            new = rewrite_nodes(source, [(node, f"{node.value.id}.iloc[{key}]")])
            if new is not None:  # labels are text: [0] looks up a label since pandas 3
                yield (
                    f"Take position {key} with .iloc",
                    f"{node.value.id}'s index holds labels, so [{key}] looks up a label "
                    f"{key}; `.iloc[{key}]` takes the item at that position.",
                    new,
                    0.85,
                )
                return
        keys = info.get("keys") or ()
        if str(key) not in keys:
            continue
        sl = node.slice
        text = repr(str(key)) if isinstance(sl, ast.Constant) else f"str({_source_of(source, sl)})"
        new = rewrite_nodes(source, [(sl, text)])
        if new is not None:
            yield (
                "Look the key up as text",
                f"{node.value.id}'s keys are text ({str(key)!r}), the key is the number {key}.",
                new,
                0.88,
            )
            return


def import_error(source: str, error: ErrorInfo, ctx: Context) -> Iterator[Candidate]:
    """No module of that name (a typo, or not installed), or no such name in the module."""
    yield from cannot_import(source, error, ctx)
    yield from module_not_found(source, error, ctx)


def _key_in_index(source: str, base: str, key: str) -> Iterator[Candidate]:
    """``g['city']`` where a groupby made ``city`` the index: read it back as a column."""
    tree = parse(source)
    for node in ast.walk(tree) if tree is not None else ():
        if (
            isinstance(node, ast.Subscript)
            and isinstance(node.slice, ast.Constant)
            and node.slice.value == key
            and ast.unparse(node.value) == base
            and node.lineno == node.end_lineno
        ):
            new = rewrite_nodes(source, [(node.value, f"{base}.reset_index()")])
            if new is not None:
                yield (
                    f"Read {key!r} back from the index",
                    f"{base}'s index is {key!r} (a groupby or set_index put it there); "
                    "reset_index() makes it a column again.",
                    new,
                    0.85,
                )
            return


def module_not_found(source: str, error: ErrorInfo, ctx: Context) -> Iterator[Candidate]:
    m = re.search(r"No module named '([\w.]+)'", error.evalue)
    if not m:
        return
    missing = m.group(1)
    top = missing.split(".")[0]
    moved = list(moved_module(source, missing, ctx))
    yield from moved
    if moved:
        return  # the package is there: its module moved, nothing to install
    known = set(sys.stdlib_module_names) | COMMON_MODULES | ctx.kernel_names()
    typo = [(o, s) for o, s in nearest(top, known) if s >= 0.75]
    for other, score in typo:
        new = _rename_import(source, top, other)
        if new is not None:  # `import mathh` binds `mathh`: its uses follow the rename
            new = rename_name(new, top, other) or new
        if new is not None:
            yield (
                f"Import `{other}` instead of `{top}`",
                f"There is no module `{top}`; `{other}` is a known module with a close name.",
                new,
                0.5 + 0.45 * score,
            )
    dist = PIP_NAMES.get(missing) or PIP_NAMES.get(top) or top
    if top not in sys.stdlib_module_names:
        explanation = f"`{top}` is not installed in this kernel's environment."
        if dist != top:
            explanation += f" It is provided by the `{dist}` distribution on PyPI."
        confidence = 0.85 if not typo else 0.6
        yield (
            f"Install {dist} with %pip",
            explanation + " `%pip install` installs it into the kernel's own environment.",
            insert_line(source, f"%pip install {dist}"),
            confidence,
        )


def _rename_import(source: str, old: str, new: str) -> str | None:
    tree = parse(source)
    if tree is None:
        return None
    lines = source.split("\n")
    changed = False
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            row = node.lineno - 1
            line = lines[row]
            fixed = re.sub(rf"(?<![\w.]){re.escape(old)}(?=[\s.,]|$)", new, line, count=1)
            if fixed != line:
                lines[row] = fixed
                changed = True
    return "\n".join(lines) if changed else None


def unbound_or_name(source: str, error: ErrorInfo, ctx: Context) -> Iterator[Candidate]:
    yield from unbound_local(source, error, ctx)
    yield from name_error(source, error, ctx)


def attribute_or_none(source: str, error: ErrorInfo, ctx: Context) -> Iterator[Candidate]:
    yield from none_from_in_place(source, error, ctx)
    yield from missing_return(source, error, ctx)
    yield from none_from_lookup(source, error, ctx)
    yield from foreign_idioms(source, error, ctx)
    yield from load_from_text(source, error, ctx)
    yield from array_append(source, error, ctx)
    yield from pandas_accessors(source, error, ctx)
    yield from class_of_module(source, error, ctx)
    yield from attribute_error(source, error, ctx)


def type_or_call(source: str, error: ErrorInfo, ctx: Context) -> Iterator[Candidate]:
    yield from not_callable(source, error, ctx)
    yield from none_from_in_place(source, error, ctx)
    yield from missing_return(source, error, ctx)
    yield from none_from_lookup(source, error, ctx)
    yield from operand_fixes(source, error, ctx)
    yield from replace_to_remove(source, error)
    yield from text_reduction(source, error)
    yield from json_default(source, error)
    yield from type_error(source, error, ctx)


def value_or_format(source: str, error: ErrorInfo, ctx: Context) -> Iterator[Candidate]:
    yield from operand_fixes(source, error, ctx)
    yield from reshape_size(source, error)
    yield from date_format(source, error)
    yield from suggested_value(source, error)
    yield from value_error(source, error, ctx)


def chained_assignment(source: str, error: ErrorInfo, ctx: Context) -> Iterator[Candidate]:
    """pandas' ChainedAssignmentError / SettingWithCopyWarning shown as the cell's error: the
    assignment through the frame itself (``df.loc[mask, 'col'] = v``)."""
    frames = {n for n, s in ctx.summaries.items() if s.startswith("DataFrame")}
    for _stmt, new, title in chained_assignments(source, frames.__contains__):
        yield title, CHAINED_MESSAGE, new, 0.9


RULES: dict[str, Rule] = {
    "NameError": name_error,
    "UnboundLocalError": unbound_or_name,
    "AttributeError": attribute_or_none,
    "ZeroDivisionError": zero_division,
    "IndexError": index_past_end,
    "KeyError": key_error,
    "ModuleNotFoundError": module_not_found,
    "ImportError": import_error,
    "SyntaxError": syntax_error,
    "IndentationError": syntax_error,
    "TabError": syntax_error,
    "TypeError": type_or_call,
    "ValueError": value_or_format,
    **dict.fromkeys(CHAINED_WARNINGS, chained_assignment),
}


def needed_details(source: str, error: ErrorInfo) -> list[str]:
    """The names whose details (from the kernel) the rules for ``error`` will ask for."""
    if error.ename in ("NameError", "ImportError", "ModuleNotFoundError"):
        return import_details(error)
    if error.ename == "AttributeError":
        m = re.search(r"has no attribute '(\w+)'", error.evalue)
        bases = attribute_bases(source, m.group(1)) if m else []
        roots = [b.split(".")[0] for b in bases if "." in b]
        tree = parse(source) if "attribute 'read'" in error.evalue else None
        loaders = [  # `json.load(text)`: the module the text went to
            c.func.value.id
            for c in (calls_of(tree, "load") if tree is not None else ())
            if isinstance(c.func, ast.Attribute) and isinstance(c.func.value, ast.Name)
        ]
        return list(dict.fromkeys([*bases, *roots, *loaders]))[:20]
    if error.ename == "KeyError":
        tree = parse(source)
        if tree is None:
            return []
        return list(
            dict.fromkeys(
                ast.unparse(n.value) for n in ast.walk(tree) if isinstance(n, ast.Subscript)
            )
        )[:10]
    if error.ename == "TypeError" and "object is not callable" in error.evalue:
        tree = parse(source)
        row = failing_line(source, error)
        called = (
            n.func.id
            for n in (ast.walk(tree) if tree is not None else ())
            if isinstance(n, ast.Call)
            and isinstance(n.func, ast.Name)
            and (row is None or n.lineno == row + 1)
        )
        return list(dict.fromkeys(called))[:10]
    if error.ename in ("TypeError", "AttributeError") and "NoneType" in error.evalue:
        tree = parse(source)
        got = (  # ``d.get("U1")`` that gave None: the dict's keys
            c.func.value.id
            for c in (calls_of(tree, "get") if tree is not None else ())
            if isinstance(c.func, ast.Attribute) and isinstance(c.func.value, ast.Name)
        )
        return list(dict.fromkeys(got))[:10]
    if error.ename == "TypeError" and "keyword argument" in error.evalue:
        return keyword_callee(source, error)
    if error.ename == "TypeError" and re.search(
        r"string dtype|concatenate str|multiply sequence|'str' and|and 'str'", error.evalue
    ):
        tree = parse(source)
        frames = (  # ``df['price'] + 1``: the frame's columns
            n.value.id
            for n in (ast.walk(tree) if tree is not None else ())
            if isinstance(n, ast.Subscript) and isinstance(n.value, ast.Name)
        )
        return list(dict.fromkeys(frames))[:10]
    if error.ename in ("TypeError", "ValueError"):
        m = re.search(r"(\w+)\(\) takes", error.evalue)
        if m:
            return [m.group(1)]
        if re.search(r"values to unpack|cannot unpack|object is not iterable", error.evalue):
            tree = parse(source)
            found = (looked_up(it) for _, it in iter_loops(tree)) if tree is not None else ()
            return list(dict.fromkeys(n for n in found if n))[:10]
    return []


def error_fixes(source: str, error: ErrorInfo, ctx: Context) -> list[Fix]:
    rule = RULES.get(error.ename)
    if rule is None:
        return []
    return [
        make_fix(title, explanation, "error", source, new, conf)
        for title, explanation, new, conf in rule(source, error, ctx)
        if new != source
    ]
