"""Rule-based fixes for the runtime errors notebooks hit most, using the live kernel's names.

Each rule reads the error, finds the offending spot in the cell (tokens and the AST, never a
plain text replace that could touch strings or comments), and proposes new sources with a
confidence. The service keeps only candidates that compile and ranks them.
"""

from __future__ import annotations

import ast
import difflib
import io
import re
import sys
import tokenize
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from .source import (
    BUILTIN_NAMES,
    IPYTHON_NAMES,
    defined_names,
    mask_ipython,
    names_in_cells,
    parse,
)
from .types import ErrorInfo, Fix, Inspector, make_fix

# Similarity below which a name is not offered as the one meant (difflib ratio).
NAME_CUTOFF = 0.6
# Candidates per rule.
MAX_CANDIDATES = 3

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
# Modules a typo'd import is most likely meant to be (besides the standard library).
COMMON_MODULES = frozenset(
    {"numpy", "pandas", "matplotlib", "seaborn", "scipy", "sklearn", "torch", "tensorflow"}
    | {"requests", "plotly", "polars", "tqdm", "PIL", "cv2", "yaml", "bs4", "statsmodels"}
    | {"sympy", "networkx", "pyarrow", "xgboost", "lightgbm", "transformers", "IPython"}
)
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_DID_YOU_MEAN = re.compile(r"Did you mean:? '([^']+)'")


@dataclass(frozen=True)
class Context:
    """What a rule may look at besides the cell and the error."""

    cells: tuple[str, ...]
    inspector: Inspector | None

    def kernel_names(self) -> set[str]:
        return self.inspector.names() if self.inspector is not None else set()

    def details(self, name: str) -> dict | None:
        return self.inspector.details(name) if self.inspector is not None else None


def plain(text: str) -> str:
    return _ANSI.sub("", text)


def suggested_name(error: ErrorInfo) -> str | None:
    """Python's own "Did you mean: 'x'?" in the message or the traceback."""
    for text in (error.evalue, *error.traceback[-3:]):
        m = _DID_YOU_MEAN.search(plain(text))
        if m:
            return m.group(1)
    return None


def nearest(word: str, candidates: set[str], n: int = MAX_CANDIDATES) -> list[tuple[str, float]]:
    """Close matches with their similarity; a case-only difference ranks first."""
    out: dict[str, float] = {}
    for c in candidates:
        if c != word and c.lower() == word.lower():
            out[c] = 0.99
    for c in difflib.get_close_matches(word, [c for c in candidates if c != word], n, NAME_CUTOFF):
        out.setdefault(c, difflib.SequenceMatcher(None, word, c).ratio())
    return sorted(out.items(), key=lambda kv: -kv[1])[:n]


# -- token-level editing -------------------------------------------------------------------------


def _tokens(source: str) -> list[tokenize.TokenInfo] | None:
    try:
        return list(tokenize.generate_tokens(io.StringIO(mask_ipython(source)).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return None


def _replace_spans(source: str, spans: list[tuple[int, int, int, int]], text: str) -> str:
    """Replace (row, col, end_row, end_col) spans (1-based rows) with ``text``, last first."""
    lines = source.split("\n")
    for row, col, erow, ecol in sorted(spans, reverse=True):
        if row != erow:
            continue
        line = lines[row - 1]
        lines[row - 1] = line[:col] + text + line[ecol:]
    return "\n".join(lines)


def rename_name(source: str, old: str, new: str) -> str | None:
    """``old`` -> ``new`` where it is a name (not an attribute, keyword argument or string)."""
    toks = _tokens(source)
    if toks is None:
        return None
    spans = []
    for i, t in enumerate(toks):
        if t.type != tokenize.NAME or t.string != old:
            continue
        prev = toks[i - 1].string if i else ""
        nxt = toks[i + 1].string if i + 1 < len(toks) else ""
        if prev == ".":
            continue  # an attribute
        if nxt == "=" and _in_call_args(toks, i):
            continue  # a keyword argument
        spans.append((*t.start, *t.end))
    return _replace_spans(source, spans, new) if spans else None


def _in_call_args(toks: list[tokenize.TokenInfo], i: int) -> bool:
    depth = 0
    for t in reversed(toks[:i]):
        if t.string in ")]}":
            depth += 1
        elif t.string in "([{":
            if depth == 0:
                return t.string == "("
            depth -= 1
    return False


def rename_attribute(source: str, attr: str, new: str, base: str | None = None) -> str | None:
    """``.attr`` -> ``.new`` (only after ``base`` if given)."""
    toks = _tokens(source)
    if toks is None:
        return None
    spans = []
    for i, t in enumerate(toks):
        is_attr = t.type == tokenize.NAME and t.string == attr and toks[i - 1].string == "."
        if is_attr and i >= 2 and (base is None or _dotted_before(toks, i - 1) == base):
            spans.append((*t.start, *t.end))
    return _replace_spans(source, spans, new) if spans else None


def _dotted_before(toks: list[tokenize.TokenInfo], dot: int) -> str:
    """``a.b`` for the tokens ``a . b`` ending just before index ``dot``."""
    parts = []
    j = dot - 1
    while j >= 0 and toks[j].type == tokenize.NAME:
        parts.append(toks[j].string)
        if j >= 1 and toks[j - 1].string == ".":
            j -= 2
        else:
            break
    return ".".join(reversed(parts))


def attribute_bases(source: str, attr: str) -> list[str]:
    """The dotted expressions ``attr`` is looked up on in the cell (``df`` in ``df.colums``)."""
    toks = _tokens(source) or []
    out = []
    for i, t in enumerate(toks):
        if t.type == tokenize.NAME and t.string == attr and i >= 2 and toks[i - 1].string == ".":
            base = _dotted_before(toks, i - 1)
            if base and base not in out:
                out.append(base)
    return out


def insert_line(source: str, line: str) -> str:
    """``line`` at the top of the cell, after leading comments and ``%`` magics."""
    lines = source.split("\n")
    at = 0
    while at < len(lines) and (lines[at].startswith("#") or lines[at].startswith("%")):
        at += 1
    return "\n".join([*lines[:at], line, *lines[at:]])


# -- the rules -------------------------------------------------------------------------------------

Candidate = tuple[str, str, str, float]  # (title, explanation, new_source, confidence)
Rule = Callable[[str, ErrorInfo, Context], Iterator[Candidate]]


def name_error(source: str, error: ErrorInfo, ctx: Context) -> Iterator[Candidate]:
    m = re.search(r"name '(\w+)' is not defined", error.evalue)
    if not m:
        return
    name = m.group(1)
    if name in ALIAS_IMPORTS:
        line = ALIAS_IMPORTS[name]
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
    pool = kernel | cells | own | BUILTIN_NAMES | IPYTHON_NAMES
    hinted = suggested_name(error)
    matches = nearest(name, pool)
    if hinted and hinted in pool and hinted not in dict(matches):
        matches.insert(0, (hinted, 0.95))
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
    for base in attribute_bases(source, attr) or [None]:
        pool: set[str] = set()
        info = ctx.details(base) if base else None
        if info:
            pool |= set(info.get("attrs") or ())
        candidates = nearest(attr, pool)
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


def key_error(source: str, error: ErrorInfo, ctx: Context) -> Iterator[Candidate]:
    try:
        key = ast.literal_eval(error.evalue.strip())
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return
    if not isinstance(key, str):
        return
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
        for other, score in nearest(key, pool):
            new = _replace_constant(source, const, other)
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


def _replace_constant(source: str, node: ast.Constant, value: str) -> str | None:
    if node.lineno != node.end_lineno or node.end_col_offset is None:
        return None
    lines = source.split("\n")
    line = lines[node.lineno - 1]
    # ast offsets are in UTF-8 bytes
    raw = line.encode()
    old = raw[node.col_offset : node.end_col_offset].decode()
    quote = "'" if old.lstrip("rbuRBU").startswith("'") else '"'
    new = quote + value.replace("\\", "\\\\").replace(quote, "\\" + quote) + quote
    raw = raw[: node.col_offset] + new.encode() + raw[node.end_col_offset :]
    lines[node.lineno - 1] = raw.decode()
    return "\n".join(lines)


def module_not_found(source: str, error: ErrorInfo, ctx: Context) -> Iterator[Candidate]:
    m = re.search(r"No module named '([\w.]+)'", error.evalue)
    if not m:
        return
    missing = m.group(1)
    top = missing.split(".")[0]
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


BLOCK_START = re.compile(
    r"^\s*(if|elif|else|for|while|def|class|try|except|finally|with|async\s+def|async\s+for|"
    r"async\s+with|match|case)\b"
)


def syntax_error(source: str, error: ErrorInfo, ctx: Context) -> Iterator[Candidate]:
    """Missing colon, unclosed bracket or quote, Python 2 print, `=` for `==`, indentation."""
    masked = mask_ipython(source)
    try:
        compile(masked, "<cell>", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True)
        return  # compiles now: the error came from elsewhere (e.g. exec of other code)
    except SyntaxError as e:
        err = e
    except ValueError:
        return
    lines = source.split("\n")
    row = max(1, min(err.lineno or 1, len(lines))) - 1
    msg = err.msg or ""
    tabs = "\t" in source and any(ln.startswith(" ") for ln in lines)

    def with_line(i: int, text: str) -> str:
        return "\n".join([*lines[:i], text, *lines[i + 1 :]])

    if tabs or isinstance(err, TabError):
        yield (
            "Use spaces for indentation",
            "The cell mixes tabs and spaces; tabs become 4 spaces.",
            source.expandtabs(4),
            0.85,
        )
    for i in (row, row - 1):
        if 0 <= i < len(lines) and BLOCK_START.match(lines[i]):
            stripped = lines[i].rstrip()
            if not stripped.endswith(":") and "#" not in stripped:
                yield (
                    "Add the missing colon",
                    f"A `{stripped.split()[0]}` line must end with `:`.",
                    with_line(i, stripped + ":"),
                    0.9,
                )
    m = re.match(r"^(\s*)print\s+(?!\()(.+?)\s*$", lines[row])
    if m or "Missing parentheses in call to 'print'" in msg:
        for i, line in enumerate(lines):
            mm = re.match(r"^(\s*)print\s+(?![(=])(.+?)\s*$", line)
            if mm:
                lines2 = list(lines)
                lines2[i] = f"{mm.group(1)}print({mm.group(2).rstrip(',')})"
                lines = lines2
        yield (
            "Call print() with parentheses",
            "`print x` is Python 2; in Python 3 print is a function: `print(x)`.",
            "\n".join(lines),
            0.9,
        )
        lines = source.split("\n")
    if "Maybe you meant '=='" in msg or "cannot assign to" in msg:
        fixed = re.sub(r"(?<![=!<>:])=(?!=)", "==", lines[row], count=1)
        if fixed != lines[row]:
            yield (
                "Compare with `==`",
                "`=` assigns; a condition compares with `==`.",
                with_line(row, fixed),
                0.8,
            )
    if "unterminated string" in msg or "EOL while scanning" in msg:
        line = lines[row]
        quote = _open_quote(line)
        if quote:
            yield (
                "Close the string",
                f"The string opened with {quote} is not closed on its line.",
                with_line(row, line.rstrip() + quote),
                0.85,
            )
    if "was never closed" in msg or "unexpected EOF" in msg or "'(' was never closed" in msg:
        closers = _unclosed(masked)
        if closers:
            start = err.lineno - 1 if err.lineno else row
            # Close at the end of the opening line first (the usual slip), then at the end.
            for i in dict.fromkeys([start, len(lines) - 1]):
                if 0 <= i < len(lines):
                    yield (
                        f"Close the bracket with `{closers}`",
                        "A bracket opened here is never closed.",
                        with_line(i, lines[i].rstrip() + closers),
                        0.8 if i == start else 0.6,
                    )
    if "does not match" in msg and "closing parenthesis" in msg:
        m2 = re.search(r"closing parenthesis '(.)' does not match opening parenthesis '(.)'", msg)
        if m2:
            pairs = {"(": ")", "[": "]", "{": "}"}
            bad, want = m2.group(1), pairs[m2.group(2)]
            line = lines[row]
            at = (err.offset or 1) - 1
            if 0 <= at < len(line) and line[at] == bad:
                yield (
                    f"Close with `{want}`",
                    f"The bracket was opened with `{m2.group(2)}`.",
                    with_line(row, line[:at] + want + line[at + 1 :]),
                    0.85,
                )
    if isinstance(err, IndentationError):
        yield from _indentation(lines, row, msg)


def _indentation(lines: list[str], row: int, msg: str) -> Iterator[Candidate]:
    def indent_of(line: str) -> str:
        return line[: len(line) - len(line.lstrip())]

    def with_line(i: int, text: str) -> str:
        return "\n".join([*lines[:i], text, *lines[i + 1 :]])

    prev = next((lines[j] for j in range(row - 1, -1, -1) if lines[j].strip()), "")
    line = lines[row] if row < len(lines) else ""
    if "expected an indented block" in msg:
        target = row if line.strip() else row + 1
        if target < len(lines):
            body = lines[target]
            yield (
                "Indent the block",
                "The line after a `:` starts a block and must be indented.",
                with_line(target, indent_of(prev) + "    " + body.lstrip()),
                0.85,
            )
    if "unexpected indent" in msg:
        yield (
            "Remove the extra indentation",
            "This line is indented more than the block it belongs to.",
            with_line(row, indent_of(prev) + line.lstrip()),
            0.85,
        )
    if "unindent does not match" in msg:
        levels = {len(indent_of(x)) for x in lines[:row] if x.strip()}
        width = len(indent_of(line))
        # The nearest levels either side (only one of them usually compiles).
        for n in sorted(levels, key=lambda n: (abs(n - width), -n))[:2]:
            yield (
                "Align the indentation",
                f"The line's indentation ({width}) matches no enclosing block; it is aligned "
                f"to {n} spaces.",
                with_line(row, " " * n + line.lstrip()),
                0.8 - 0.01 * abs(n - width),
            )


def _open_quote(line: str) -> str | None:
    quote = None
    i = 0
    while i < len(line):
        ch = line[i]
        if quote:
            if ch == "\\":
                i += 2
                continue
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "#":
            break
        i += 1
    return quote


def _unclosed(code: str) -> str:
    """The closing brackets still owed at the end of ``code`` (strings and comments skipped)."""
    pairs = {"(": ")", "[": "]", "{": "}"}
    stack: list[str] = []
    try:
        for t in tokenize.generate_tokens(io.StringIO(code).readline):
            if t.type == tokenize.OP:
                if t.string in pairs:
                    stack.append(pairs[t.string])
                elif t.string in ")]}" and stack and stack[-1] == t.string:
                    stack.pop()
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass
    return "".join(reversed(stack))


def type_error(source: str, error: ErrorInfo, ctx: Context) -> Iterator[Candidate]:
    v = error.evalue
    if "can only concatenate str" in v or (
        "unsupported operand type(s) for +" in v and "'str'" in v
    ):
        new = _wrap_str_concat(source, error)
        if new is not None:
            yield (
                "Convert to str before joining",
                "`+` between a str and a number is not defined; the number is converted with "
                "`str()`.",
                new,
                0.85,
            )
    m = re.search(r"(\w+)\(\) takes (\d+) positional arguments? but (\d+) (?:were|was) given", v)
    if m:
        func, takes = m.group(1), int(m.group(2))
        info = ctx.details(func)
        arity = (info or {}).get("arity") or {}
        limit = arity.get("max", takes) if isinstance(arity.get("max"), int) else takes
        new = _trim_call_args(source, func, limit)
        if new is not None:
            sig = arity.get("signature", "")
            yield (
                f"Pass {limit} argument{'s' if limit != 1 else ''} to {func}()",
                f"{func}{sig} takes {limit} positional argument(s); the extra ones are dropped.",
                new,
                0.7,
            )
    m = re.search(r"(\w+)\(\) missing (\d+) required positional arguments?: (.+)$", v)
    if m:
        func = m.group(1)
        missing = re.findall(r"'(\w+)'", m.group(3))
        known = ctx.kernel_names() | names_in_cells(ctx.cells)
        if missing and all(name in known for name in missing):
            new = _append_call_args(source, func, missing)
            if new is not None:
                yield (
                    f"Pass {', '.join(missing)} to {func}()",
                    f"{func}() needs {', '.join(missing)}; variables of that name exist.",
                    new,
                    0.65,
                )


def _calls(tree: ast.AST, func: str) -> Iterator[ast.Call]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            name = (
                f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
            )
            if name == func:
                yield node


def _rewrite_nodes(source: str, nodes: list[tuple[ast.AST, str]]) -> str | None:
    """Replace each node's source span (single-line, UTF-8 offsets) with the given text."""
    lines = [ln.encode() for ln in source.split("\n")]
    spans = []
    for node, text in nodes:
        if node.lineno != node.end_lineno or node.end_col_offset is None:
            return None
        spans.append((node.lineno - 1, node.col_offset, node.end_col_offset, text))
    for row, a, b, text in sorted(spans, reverse=True):
        lines[row] = lines[row][:a] + text.encode() + lines[row][b:]
    return "\n".join(ln.decode() for ln in lines)


def _trim_call_args(source: str, func: str, limit: int) -> str | None:
    tree = parse(source)
    if tree is None:
        return None
    edits = []
    for call in _calls(tree, func):
        if len(call.args) > limit and not any(isinstance(a, ast.Starred) for a in call.args):
            short = ast.Call(func=call.func, args=call.args[:limit], keywords=call.keywords)
            edits.append((call, ast.unparse(short)))
    return _rewrite_nodes(source, edits) if edits else None


def _append_call_args(source: str, func: str, names: list[str]) -> str | None:
    tree = parse(source)
    if tree is None:
        return None
    edits = []
    for call in _calls(tree, func):
        args = [*call.args, *(ast.Name(id=n) for n in names)]
        edits.append(
            (call, ast.unparse(ast.Call(func=call.func, args=args, keywords=call.keywords)))
        )
    return _rewrite_nodes(source, edits) if edits else None


def _wrap_str_concat(source: str, error: ErrorInfo) -> str | None:
    tree = parse(source)
    if tree is None:
        return None
    edits = []

    def is_str(n: ast.AST) -> bool:
        return isinstance(n, ast.JoinedStr) or (
            isinstance(n, ast.Constant) and isinstance(n.value, str)
        )

    def is_str_call(n: ast.AST) -> bool:
        return isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "str"

    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            for side, other in ((node.left, node.right), (node.right, node.left)):
                if is_str(other) and not is_str(side) and not is_str_call(side):
                    edits.append((side, f"str({ast.unparse(side)})"))
    # the innermost edits only (nested concatenations share operands)
    edits = [e for e in edits if not any(o is not e and _contains(e[0], o[0]) for o in edits)]
    return _rewrite_nodes(source, edits) if edits else None


def _contains(outer: ast.AST, inner: ast.AST) -> bool:
    return outer is not inner and any(n is inner for n in ast.walk(outer))


RULES: dict[str, Rule] = {
    "NameError": name_error,
    "UnboundLocalError": name_error,
    "AttributeError": attribute_error,
    "KeyError": key_error,
    "ModuleNotFoundError": module_not_found,
    "ImportError": module_not_found,
    "SyntaxError": syntax_error,
    "IndentationError": syntax_error,
    "TabError": syntax_error,
    "TypeError": type_error,
}


def needed_details(source: str, error: ErrorInfo) -> list[str]:
    """The names whose details (from the kernel) the rules for ``error`` will ask for."""
    if error.ename == "AttributeError":
        m = re.search(r"has no attribute '(\w+)'", error.evalue)
        bases = attribute_bases(source, m.group(1)) if m else []
        roots = [b.split(".")[0] for b in bases if "." in b]
        return list(dict.fromkeys([*bases, *roots]))
    if error.ename == "KeyError":
        tree = parse(source)
        if tree is None:
            return []
        return list(
            dict.fromkeys(
                ast.unparse(n.value) for n in ast.walk(tree) if isinstance(n, ast.Subscript)
            )
        )[:10]
    if error.ename == "TypeError":
        m = re.search(r"(\w+)\(\) takes", error.evalue)
        return [m.group(1)] if m else []
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
