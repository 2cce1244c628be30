"""Fixes for a call whose argument the error itself proves wrong, and the one value that works:
a reshape whose sizes do not multiply to the array's, a date format the quoted text does not
match, ``str.replace`` given only what to remove.

Each candidate is checked against what the message quotes (the array's size, the date text)
before it is offered, so the fix is the value that runs, not a guess.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Iterator
from datetime import datetime
from itertools import permutations

from .edit import rewrite_nodes, with_keyword
from .source import parse
from .toolkit import Candidate, failing_line
from .types import ErrorInfo

_RESHAPE = re.compile(r"cannot reshape array of size (\d+) into shape \(([^)]*)\)")
# ``datetime.strptime`` and pandas' messages for a format the text does not match.
_TIME_DATA = re.compile(
    r"""time data ['"](.+?)['"] (?:does not|doesn't) match format ['"](.+?)['"]"""
)
# strptime directives that are often swapped for one another.
_SWAPPABLE = (("%d", "%m"), ("%Y", "%y"), ("%H", "%I"), ("%b", "%B"))
_REPLACE_MISSING = re.compile(
    r"replace expected at least 2 arguments, got 1|replace\(\) missing 1 required positional "
    r"argument: 'repl'"
)


def _calls_on_line(source: str, error: ErrorInfo, attr: str) -> list[ast.Call]:
    tree = parse(source)
    if tree is None:
        return []
    row = failing_line(source, error)
    return [
        n
        for n in ast.walk(tree)
        if isinstance(n, ast.Call)
        and isinstance(n.func, ast.Attribute)
        and n.func.attr == attr
        and (row is None or n.lineno == row + 1)
    ]


def replace_to_remove(source: str, error: ErrorInfo) -> Iterator[Candidate]:
    """``p.replace("-")``: what to put instead is missing; removing it was meant (``""``)."""
    if not _REPLACE_MISSING.search(error.evalue):
        return
    calls = [c for c in _calls_on_line(source, error, "replace") if len(c.args) == 1]
    if len(calls) != 1 or calls[0].keywords:
        return
    call = calls[0]
    new = rewrite_nodes(
        source, [(call, f"{ast.unparse(call.func)}({ast.unparse(call.args[0])}, '')")]
    )
    if new is not None:
        yield (
            "Remove the text: replace it with ''",
            "replace() needs what to put in its place; with '' the text is removed.",
            new,
            0.88,
        )


def reshape_size(source: str, error: ErrorInfo) -> Iterator[Candidate]:
    """``xyz.reshape(len(xyz), 3)`` on 12 values: the dimension the cell computed is the one to
    infer (-1), when the others divide the array's size."""
    m = _RESHAPE.search(error.evalue)
    if not m:
        return
    size = int(m.group(1))
    for call in _calls_on_line(source, error, "reshape"):
        dims = (
            list(call.args[0].elts)
            if len(call.args) == 1 and isinstance(call.args[0], ast.Tuple)
            else list(call.args)
        )
        literal = [isinstance(d, ast.Constant) and isinstance(d.value, int) for d in dims]
        if len(dims) < 2 or any(isinstance(d, ast.Constant) and d.value == -1 for d in dims):
            continue
        computed = [i for i, lit in enumerate(literal) if not lit]
        # The dimension to infer: the one the cell computed, else (all literal) none is certain.
        if len(computed) != 1:
            continue
        i = computed[0]
        rest = math.prod(d.value for j, d in enumerate(dims) if j != i)  # type: ignore[attr-defined]
        if rest <= 0 or size % rest:
            continue
        new = rewrite_nodes(source, [(dims[i], "-1")])
        if new is not None:
            yield (
                f"Let NumPy infer dimension {i + 1} (-1)",
                f"The array has {size} values; {ast.unparse(dims[i])} is not the size of that "
                f"dimension, -1 makes it {size // rest}.",
                new,
                0.88,
            )
            return


def date_format(source: str, error: ErrorInfo) -> Iterator[Candidate]:
    """``strptime("25/11/2026", "%m/%d/%Y")``: the format with swapped directives (day and
    month, 2- and 4-digit years, 12/24 h, month name lengths) that parses the quoted text."""
    m = _TIME_DATA.search(error.evalue)
    if not m:
        return
    text, fmt = m.groups()
    tree = parse(source)
    if tree is None:
        return
    consts = [
        n
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and n.value == fmt
    ]
    if not consts:
        return
    for new_fmt in _formats_parsing(text, fmt):
        quote = "'" if "'" not in new_fmt else '"'
        new = rewrite_nodes(source, [(c, f"{quote}{new_fmt}{quote}") for c in consts])
        if new is not None:
            yield (
                f"Use the format {new_fmt!r}",
                f"{text!r} does not match {fmt!r}; it is read with {new_fmt!r}.",
                new,
                0.86,
            )
            return


def _formats_parsing(text: str, fmt: str) -> Iterator[str]:
    """Variants of ``fmt`` with swappable directives exchanged that parse ``text``."""
    seen = {fmt}
    present = [pair for pair in _SWAPPABLE if pair[0] in fmt or pair[1] in fmt]
    for k in range(1, len(present) + 1):
        for chosen in permutations(present, k):
            new = fmt
            for a, b in chosen:
                new = new.replace(a, "\0").replace(b, a).replace("\0", b)
            if new in seen:
                continue
            seen.add(new)
            try:
                datetime.strptime(text, new)
            except ValueError:
                continue
            yield new


# The library's own suggestion for a value it refused (pandas: "Did you mean h?").
_DID_YOU_MEAN_VALUE = re.compile(r"Did you mean:? ['\"]?([\w.\-]+?)['\"]?\?")
# NumPy / pandas scalars and arrays ``json`` cannot write, and the builtin each one becomes.
_JSON_DEFAULTS = {
    **dict.fromkeys(
        ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"), "int"
    ),
    **dict.fromkeys(("float16", "float32", "float64", "longdouble"), "float"),
    "bool_": "bool",
    "bool": "bool",
    "ndarray": "lambda a: a.tolist()",
    "Timestamp": "str",
}
_NOT_SERIALIZABLE = re.compile(r"Object of type (\w+) is not JSON serializable")


def suggested_value(source: str, error: ErrorInfo) -> Iterator[Candidate]:
    """``freq='H'`` refused with "Invalid frequency: H ... Did you mean h?": the library's own
    spelling, put in place of the one string on the failing line the message quotes."""
    m = _DID_YOU_MEAN_VALUE.search(error.evalue)
    if not m:
        return
    meant = m.group(1)
    tree = parse(source)
    if tree is None:
        return
    row = failing_line(source, error)
    quoted = [
        n
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant)
        and isinstance(n.value, str)
        and n.value
        and n.value != meant
        and (row is None or n.lineno == row + 1)
        and re.search(rf"(?<![\w.]){re.escape(n.value)}(?![\w])", error.evalue[: m.start()])
    ]
    if len({n.value for n in quoted}) != 1:
        return
    new = rewrite_nodes(source, [(n, repr(meant)) for n in quoted])
    if new is not None:
        yield (
            f"Use {meant!r}",
            f"{quoted[0].value!r} is refused; the library suggests {meant!r}.",
            new,
            0.9,
        )


def json_default(source: str, error: ErrorInfo) -> Iterator[Candidate]:
    """``json.dumps({'clicks': clicks.sum()})``: a NumPy integer (or float, array) is not JSON;
    ``default=int`` writes such values as the builtin they stand for, wherever they are."""
    m = _NOT_SERIALIZABLE.search(error.evalue)
    if not m or m.group(1) not in _JSON_DEFAULTS:
        return
    default = _JSON_DEFAULTS[m.group(1)]
    calls = [
        c
        for attr in ("dumps", "dump")
        for c in _calls_on_line(source, error, attr)
        if not any(k.arg == "default" for k in c.keywords)
    ]
    if len(calls) != 1:
        return
    call = calls[0]
    new = rewrite_nodes(source, [(call, with_keyword(call, f"default={default}"))])
    if new is not None:
        yield (
            f"Let json write {m.group(1)} values (default={default})",
            f"json cannot write a {m.group(1)}; default={default} converts each one it meets.",
            new,
            0.88,
        )
