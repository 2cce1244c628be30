"""Fixes for operands of the wrong type: text that holds a number used in arithmetic or a
numeric format, a text DataFrame column in arithmetic, ``list + item``, ``number + d.get(k)``,
``%`` formatting written wrongly and ``sep.join`` over numbers.

What a value holds is read from the kernel snapshot's summary (``str len=2: '42'``,
``DataFrame 3x2: price:str, qty:int64``): a str is converted only when it really holds a
number, and a column only when the frame really stores it as text.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from .edit import insert_line, rewrite_nodes
from .source import parse
from .toolkit import Candidate, Context, frame_lines
from .types import ErrorInfo

_STR_SUMMARY = re.compile(r"^str len=\d+: (.+)$")
_FRAME_COLUMNS = re.compile(r"^DataFrame \d+x\d+: (.+)$")
# Messages of an operation a str operand does not support as a number would.
_TEXT_AS_NUMBER = re.compile(
    r"can only concatenate str \(not \"(?:int|float|bool)\"\) to str"
    r"|unsupported operand type\(s\) for [^:]+: '(?:str|int|float)' and '(?:str|int|float)'"
    r"|can't multiply sequence by non-int of type"
    r"|a real number is required, not str|must be real number, not str"
    r"|Unknown format code '\w' for object of type 'str'"
    r"|Cannot perform reduction '\w+' with string dtype|Could not convert .* to numeric"
)
# Reductions pandas refuses on a text column.
_REDUCTIONS = frozenset({"mean", "median", "std", "var", "sum", "prod", "cumsum", "quantile"})
# What ``list + x`` means to join item by item, by the message's type of ``x``.
_ITERABLE_KINDS = frozenset(
    {"tuple", "range", "set", "frozenset", "dict_keys", "dict_values", "map", "filter"}
    | {"generator", "zip", "ndarray", "Series"}
)
_ARITH = ast.Add | ast.Sub | ast.Mult | ast.Div | ast.FloorDiv | ast.Mod | ast.Pow


def operand_fixes(source: str, error: ErrorInfo, ctx: Context) -> Iterator[Candidate]:
    v = error.evalue
    m = re.search(r"unhashable type: '(list|set|dict)'", v)
    if m and m.group(1) != "dict":
        yield from unhashable_key(source, error, m.group(1))
    m = re.search(r"'(\w+)' object is not subscriptable", v)
    if m:
        yield from subscript_not_sequence(source, error, m.group(1))
    if re.search(r"Cannot interpret '[^']*' as a data type", v):
        yield from shape_as_tuple(source, error)
    m = re.search(r"(\w+)\(\) takes (?:from \d+ to )?\d+ positional arguments? but", v)
    if m and m.group(1) in _JOINS:
        yield from join_as_list(source, error, m.group(1))
    if re.search(r"unsupported operand type\(s\) for -: 'str' and 'str'", v):
        yield from text_dates(source, error, ctx)
    if _TEXT_AS_NUMBER.search(v):
        yield from text_as_number(source, error, ctx)
        yield from text_column(source, error, ctx)
        yield from number_from_text(source, error, ctx)
        yield from scale_each(source, error, ctx)
    if "can only concatenate list" in v:
        yield from list_plus_item(source, error)
    if re.search(r"unsupported operand type\(s\) for [^:]+: '\w+' and 'NoneType'", v) or (
        re.search(r"unsupported operand type\(s\) for [^:]+: 'NoneType' and '\w+'", v)
    ):
        yield from get_without_default(source, error)
    if "not enough arguments for format string" in v:
        yield from percent_tuple(source, error)
    if "not all arguments converted during string formatting" in v:
        yield from braces_with_percent(source, error)
    if re.search(r"sequence item \d+: expected str instance, \w+ found", v):
        yield from join_non_str(source, error)


def _line_nodes(source: str, error: ErrorInfo) -> tuple[ast.AST | None, list[ast.AST]]:
    """The cell's tree and the nodes on the innermost traceback line (all when unknown)."""
    tree = parse(source)
    if tree is None:
        return None, []
    rows = frame_lines(source, error)
    nodes = list(ast.walk(tree))
    for row in reversed(rows):
        here = [n for n in nodes if getattr(n, "lineno", None) == row + 1]
        if here:
            return tree, here
    return tree, nodes


def _number_text(ctx: Context, name: str) -> str | None:
    """``int`` / ``float``: the converter a kernel str holding a number needs; else None."""
    m = _STR_SUMMARY.match(ctx.summary(name))
    if not m:
        return None
    try:
        value = ast.literal_eval(m.group(1))
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None
    if not isinstance(value, str):
        return None
    text = value.strip()
    try:
        int(text)
        return "int"
    except ValueError:
        pass
    try:
        float(text)
    except ValueError:
        return None
    return "float"


def _seg(source: str, node: ast.AST) -> str:
    """The node's own text (its quotes and spacing kept), else its unparsed form."""
    return ast.get_source_segment(source, node) or ast.unparse(node)


def _is_text(node: ast.AST) -> bool:
    return isinstance(node, ast.JoinedStr) or (
        isinstance(node, ast.Constant) and isinstance(node.value, str)
    )


def _numeric_uses(tree: ast.AST, nodes: list[ast.AST]) -> list[ast.Name]:
    """Names on the line used as numbers: arithmetic operands (not beside a str: that is
    text joining), ``%`` format arguments, f-string fields with a format spec, ``.format``
    arguments."""
    on_line = {id(n) for n in nodes}
    out: list[ast.Name] = []

    def add(n: ast.AST) -> None:
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and id(n) in on_line:
            out.append(n)

    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod) and _is_text(node.left):
            args = node.right.elts if isinstance(node.right, ast.Tuple) else [node.right]
            for a in args:
                add(a)
        elif isinstance(node, ast.BinOp) and isinstance(node.op, _ARITH):
            if not (_is_text(node.left) or _is_text(node.right)):
                add(node.left)
                add(node.right)
        elif isinstance(node, ast.FormattedValue) and node.format_spec is not None:
            add(node.value)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "format"
            and _is_text(node.func.value)
        ):
            for a in node.args:
                add(a)
    return out


def text_as_number(source: str, error: ErrorInfo, ctx: Context) -> Iterator[Candidate]:
    """``age_text + 1`` / ``"%d" % count_text`` / ``f"{price_text:.2f}"`` where the kernel's
    str holds a number: the number was meant (``int(age_text) + 1``), not text joining."""
    tree, nodes = _line_nodes(source, error)
    if tree is None:
        return
    edits, seen = [], []
    for name in _numeric_uses(tree, nodes):
        conv = _number_text(ctx, name.id)
        if conv is None:
            continue
        code = re.search(r"format code '(\w)'|^%(\w) format", error.evalue)
        if code and (code.group(1) or code.group(2)) in "eEfFgG":
            conv = "float"  # a float format: the float the text holds
        edits.append((name, f"{conv}({name.id})"))
        if name.id not in seen:
            seen.append(name.id)
    new = rewrite_nodes(source, edits) if edits else None
    if new is not None:
        names = ", ".join(f"`{n}`" for n in seen)
        yield (
            f"Convert {names} to a number",
            f"{names} holds a number as text (str); it is converted before it is used as a number.",
            new,
            0.9,
        )


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?")


def text_dates(source: str, error: ErrorInfo, ctx: Context) -> Iterator[Candidate]:
    """``check_out - check_in`` on ISO date strings: the dates were meant, read with
    ``date.fromisoformat`` (``datetime`` for a time of day), the class the kernel has or
    an import of it."""
    tree, nodes = _line_nodes(source, error)
    if tree is None:
        return
    subs = [
        n
        for n in nodes
        if isinstance(n, ast.BinOp)
        and isinstance(n.op, ast.Sub)
        and all(isinstance(s, ast.Name) for s in (n.left, n.right))
    ]
    for n in subs:
        names = [ast.unparse(n.left), ast.unparse(n.right)]  # two names, checked above
        texts = [_str_value(ctx, name) for name in names]
        if all(t is not None and _ISO_DATE.fullmatch(t) for t in texts):
            cls = "date"
        elif all(t is not None and _ISO_DATETIME.fullmatch(t) for t in texts):
            cls = "datetime"
        else:
            continue
        summary = ctx.summary(cls)
        if summary.startswith(f"class {cls}") and "(from datetime)" in summary:
            prefix, head = cls, None
        else:
            alias = next((a for a, m in ctx.modules if m == "datetime"), None)
            prefix, head = (
                (f"{alias}.{cls}", None) if alias else (cls, f"from datetime import {cls}")
            )
        left, right = (f"{prefix}.fromisoformat({name})" for name in names)
        new = rewrite_nodes(source, [(n, f"{left} - {right}")])
        if new is not None and head:
            new = insert_line(new, head)
        if new is not None:
            yield (
                "Subtract the dates, not their text",
                f"These are dates written as text; `{cls}.fromisoformat` reads them, and their "
                "difference is a timedelta.",
                new,
                0.88,
            )
            return


def _str_value(ctx: Context, name: str) -> str | None:
    m = _STR_SUMMARY.match(ctx.summary(name))
    try:
        value = ast.literal_eval(m.group(1)) if m else None
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None
    return value if isinstance(value, str) else None


def _text_columns(ctx: Context, frame: str) -> set[str]:
    """Columns the kernel's DataFrame ``frame`` stores as text (``str`` / ``object``)."""
    m = _FRAME_COLUMNS.match(ctx.summary(frame))
    if not m:
        return set()
    out = set()
    for part in m.group(1).split(", "):
        col, _, dtype = part.rpartition(":")
        if dtype in ("str", "object", "string") and col:
            out.add(col)
    return out


# Messages that say the failing operand is text (a column of str), whatever the snapshot holds.
_SAYS_TEXT = re.compile(
    r"with string dtype|concatenate str|multiply sequence|'str' and '(?:int|float)'"
    r"|'(?:int|float)' and 'str'"
)


def _text_column(ctx: Context, frame: str, column: str, message: str) -> bool:
    """Whether ``frame[column]`` is text: the snapshot's dtypes say so, or (a snapshot not yet
    read after the run) the message says an operand is text and the frame has the column
    (``to_numeric`` leaves a numeric column as it is)."""
    if column in _text_columns(ctx, frame):
        return True
    if ctx.summary(frame):
        return False
    info = ctx.details(frame) or {}
    return (
        info.get("type") == "DataFrame"
        and column in (info.get("keys") or ())
        and bool(_SAYS_TEXT.search(message))
    )


def text_column(source: str, error: ErrorInfo, ctx: Context) -> Iterator[Candidate]:
    """``df['price'] + 15`` / ``df['price'].mean()`` on a column stored as text:
    ``pd.to_numeric(df['price'])``."""
    tree, nodes = _line_nodes(source, error)
    if tree is None:
        return
    alias = next((a for a, m in ctx.modules if m == "pandas"), None)
    if alias is None:
        return
    on_line = {id(n) for n in nodes}
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    edits = []
    for node in ast.walk(tree):
        if not (
            isinstance(node, ast.Subscript)
            and isinstance(node.ctx, ast.Load)
            and id(node) in on_line
            and isinstance(node.value, ast.Name)
            and isinstance(node.slice, ast.Constant)
            and isinstance(node.slice.value, str)
            and _text_column(ctx, node.value.id, node.slice.value, error.evalue)
        ):
            continue
        parent = parents.get(node)
        numeric = (isinstance(parent, ast.BinOp) and isinstance(parent.op, _ARITH)) or (
            isinstance(parent, ast.Attribute)
            and parent.attr in _REDUCTIONS
            and isinstance(parents.get(parent), ast.Call)
        )
        if numeric:
            edits.append((node, f"{alias}.to_numeric({_seg(source, node)})"))
    new = rewrite_nodes(source, edits) if edits else None
    if new is not None:
        cols = ", ".join(repr(ast.literal_eval(n.slice)) for n, _ in edits)
        yield (
            "Read the text column as numbers",
            f"The column {cols} is stored as text (str); `{alias}.to_numeric` reads it as "
            "numbers before the arithmetic.",
            new,
            0.85,
        )


def list_plus_item(source: str, error: ErrorInfo) -> Iterator[Candidate]:
    """``xs + 6`` where ``xs`` is a list: the item joins as a one-item list, ``xs + [6]``; a
    tuple, range or other collection joins its items: ``xs + list(t)``."""
    tree, nodes = _line_nodes(source, error)
    if tree is None:
        return
    listy = ast.List | ast.ListComp | ast.Tuple | ast.Starred
    added = re.search(r'\(not "(\w+)"\)', error.evalue)
    many = added is not None and added.group(1) in _ITERABLE_KINDS
    edits = [
        (n.right, f"list({_seg(source, n.right)})" if many else f"[{_seg(source, n.right)}]")
        for n in nodes
        if isinstance(n, ast.BinOp)
        and isinstance(n.op, ast.Add)
        and not isinstance(n.right, listy)
        and not (isinstance(n.right, ast.Call) and getattr(n.right.func, "id", "") == "list")
    ]
    edits = edits[-1:]  # the outermost sum's right end is what was added last
    new = rewrite_nodes(source, edits) if edits else None
    if new is not None:
        yield (
            "Add the item as a one-item list",
            "`+` joins a list with another list; `[item]` makes the item one.",
            new,
            0.85,
        )


def get_without_default(source: str, error: ErrorInfo) -> Iterator[Candidate]:
    """``3000 + d.get(k)`` where ``k`` is missing: ``d.get(k, 0)`` counts it as 0."""
    tree, nodes = _line_nodes(source, error)
    if tree is None:
        return
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    edits = []
    for n in nodes:
        if (
            isinstance(n, ast.Call)
            and isinstance(n.func, ast.Attribute)
            and n.func.attr == "get"
            and len(n.args) == 1
            and not n.keywords
            and isinstance(parents.get(n), ast.BinOp)
        ):
            edits.append((n, f"{_seg(source, n.func)}({_seg(source, n.args[0])}, 0)"))
    new = rewrite_nodes(source, edits) if edits else None
    if new is not None:
        yield (
            "Default a missing key to 0",
            "`.get(key)` gives None for a missing key, which arithmetic rejects; "
            "`.get(key, 0)` gives 0.",
            new,
            0.85,
        )


def percent_tuple(source: str, error: ErrorInfo) -> Iterator[Candidate]:
    """``"%s has %d" % a, b``: ``%`` binds tighter than the comma; ``% (a, b)`` was meant."""
    tree, nodes = _line_nodes(source, error)
    if tree is None:
        return
    for n in nodes:
        if not (isinstance(n, ast.Tuple) and n.elts):
            continue
        first = n.elts[0]
        if (
            isinstance(first, ast.BinOp)
            and isinstance(first.op, ast.Mod)
            and _is_text(first.left)
            and not isinstance(first.right, ast.Tuple)
        ):
            args = ", ".join(_seg(source, a) for a in [first.right, *n.elts[1:]])
            new = rewrite_nodes(source, [(n, f"{_seg(source, first.left)} % ({args})")])
            if new is not None:
                yield (
                    "Give the values to % as one tuple",
                    "`%` takes the values as one tuple; without parentheses the comma makes a "
                    "tuple of the half-formatted text and the rest.",
                    new,
                    0.9,
                )
                return


def braces_with_percent(source: str, error: ErrorInfo) -> Iterator[Candidate]:
    """``"run{} loss={:.2f}" % (a, b)``: ``{}`` placeholders are ``str.format``'s."""
    tree, nodes = _line_nodes(source, error)
    if tree is None:
        return
    for n in nodes:
        if (
            isinstance(n, ast.BinOp)
            and isinstance(n.op, ast.Mod)
            and isinstance(n.left, ast.Constant)
            and isinstance(n.left.value, str)
            and "{" in n.left.value
            and "%" not in n.left.value.replace("%%", "")
        ):
            args = n.right.elts if isinstance(n.right, ast.Tuple) else [n.right]
            values = ", ".join(_seg(source, a) for a in args)
            text = f"{_seg(source, n.left)}.format({values})"
            new = rewrite_nodes(source, [(n, text)])
            if new is not None:
                yield (
                    "Format {} placeholders with .format()",
                    "`{}` placeholders are filled by `str.format`; `%` looks for `%s`, `%d`...",
                    new,
                    0.9,
                )
                return


def join_non_str(source: str, error: ErrorInfo) -> Iterator[Candidate]:
    """``", ".join(numbers)``: join takes text; ``", ".join(map(str, numbers))``."""
    tree, nodes = _line_nodes(source, error)
    if tree is None:
        return
    edits = [
        (n.args[0], f"map(str, {_seg(source, n.args[0])})")
        for n in nodes
        if isinstance(n, ast.Call)
        and isinstance(n.func, ast.Attribute)
        and n.func.attr == "join"
        and len(n.args) == 1
        and not isinstance(n.args[0], ast.Starred)
    ]
    new = rewrite_nodes(source, edits) if edits else None
    if new is not None:
        yield (
            "Convert the items to str before joining",
            "`str.join` joins text; `map(str, ...)` converts each item first.",
            new,
            0.9,
        )


# Functions that join a list of frames or arrays, given them one by one by mistake.
_JOINS = frozenset({"concat", "concatenate", "vstack", "hstack", "stack", "column_stack"})
# Array constructors whose first argument is the whole shape.
_SHAPED = frozenset({"zeros", "ones", "empty"})
# Views that are iterated, not indexed: a list of them is.
_VIEWS = frozenset(
    {"dict_keys", "dict_values", "dict_items", "map", "filter", "zip", "generator", "set"}
    | {"reversed", "enumerate", "odict_keys", "odict_values"}
)


def unhashable_key(source: str, error: ErrorInfo, kind: str) -> Iterator[Candidate]:
    """``seen[p]`` / ``seen.get(p)`` with a list ``p``: a dict key must be hashable; the same
    items as a tuple (a set as a frozenset) are."""
    tree, nodes = _line_nodes(source, error)
    if tree is None:
        return
    wrap = "tuple" if kind == "list" else "frozenset"
    keys = []
    for n in nodes:
        if isinstance(n, ast.Subscript) and isinstance(n.slice, ast.Name):
            keys.append(n.slice)
        elif (
            isinstance(n, ast.Call)
            and isinstance(n.func, ast.Attribute)
            and n.func.attr in ("get", "setdefault", "pop", "add")
            and n.args
            and isinstance(n.args[0], ast.Name)
        ):
            keys.append(n.args[0])
    edits = [(k, f"{wrap}({k.id})") for k in keys]
    new = rewrite_nodes(source, edits) if edits else None
    if new is not None:
        names = ", ".join(dict.fromkeys(f"`{k.id}`" for k in keys))
        yield (
            f"Use {names} as a {wrap}",
            f"A {kind} cannot be a dict key or set item (it can change); `{wrap}()` of it can.",
            new,
            0.85,
        )


def subscript_not_sequence(source: str, error: ErrorInfo, kind: str) -> Iterator[Candidate]:
    """``d.keys()[0]`` (a view: ``list(d.keys())[0]``) and ``df.head[3]`` (a method:
    ``df.head(3)``)."""
    tree, nodes = _line_nodes(source, error)
    if tree is None:
        return
    subs = [n for n in nodes if isinstance(n, ast.Subscript) and isinstance(n.ctx, ast.Load)]
    if kind in _VIEWS:
        edits = [
            (n.value, f"list({_seg(source, n.value)})")
            for n in subs
            if isinstance(n.value, ast.Call) and not isinstance(n.slice, ast.Slice)
        ]
        title, why = "Make a list first", f"A {kind} is iterated, not indexed; a list of it is."
    elif kind in ("method", "builtin_function_or_method", "function"):
        edits = [
            (n, f"{_seg(source, n.value)}({_seg(source, n.slice)})")
            for n in subs
            if isinstance(n.value, ast.Attribute | ast.Name) and not isinstance(n.slice, ast.Slice)
        ]
        title, why = "Call it with ()", f"A {kind} is called with (), not indexed with []."
    else:
        return
    if len(edits) != 1:
        return
    new = rewrite_nodes(source, edits)
    if new is not None:
        yield (title, why, new, 0.85)


def shape_as_tuple(source: str, error: ErrorInfo) -> Iterator[Candidate]:
    """``np.zeros(3, 4)``: the second argument is the dtype; the shape is one tuple."""
    tree, nodes = _line_nodes(source, error)
    if tree is None:
        return
    edits = []
    for n in nodes:
        name = n.func.attr if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) else ""
        if (
            name in _SHAPED
            and len(n.args) >= 2
            and not any(isinstance(a, ast.Starred) or _is_text(a) for a in n.args)
        ):
            dims = ", ".join(_seg(source, a) for a in n.args)
            keywords = "".join(f", {_seg(source, k)}" for k in n.keywords)
            edits.append((n, f"{_seg(source, n.func)}(({dims}){keywords})"))
    new = rewrite_nodes(source, edits) if edits else None
    if new is not None:
        yield (
            "Give the shape as one tuple",
            "The shape is the first argument, as a tuple; the second is the dtype.",
            new,
            0.9,
        )


def join_as_list(source: str, error: ErrorInfo, func: str) -> Iterator[Candidate]:
    """``pd.concat(a, b)``: the frames (or arrays) to join go in one list."""
    tree, nodes = _line_nodes(source, error)
    if tree is None:
        return
    edits = []
    for n in nodes:
        f = n.func if isinstance(n, ast.Call) else None
        name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
        if (
            name == func
            and len(n.args) >= 2
            and not any(isinstance(a, ast.Starred) for a in n.args)
        ):
            items = ", ".join(_seg(source, a) for a in n.args)
            keywords = "".join(f", {_seg(source, k)}" for k in n.keywords)
            edits.append((n, f"{_seg(source, n.func)}([{items}]{keywords})"))
    new = rewrite_nodes(source, edits) if edits else None
    if new is not None:
        yield (
            f"Pass the pieces to {func}() as one list",
            f"{func}() takes one list of the pieces to join, not each as its own argument.",
            new,
            0.88,
        )


# ``total += line.strip()`` on an int: the number side's type, the operator, the text side.
_NUMBER_AND_TEXT = re.compile(
    r"unsupported operand type\(s\) for ([^:]+): '(int|float)' and 'str'"
    r"|unsupported operand type\(s\) for ([^:+*]+): 'str' and '(int|float)'"
)
_OPS = {"+": ast.Add, "-": ast.Sub, "*": ast.Mult, "/": ast.Div, "//": ast.FloorDiv,
        "%": ast.Mod, "**": ast.Pow}  # fmt: skip
_FLOAT_CODES = "eEfFgG%"


def _text_unknown(node: ast.AST, ctx: Context) -> bool:
    """Text whose value the kernel does not show (``line.strip()``, ``row['price']``): not a
    string literal and not a kernel name (those are judged by their summary elsewhere)."""
    if _is_text(node):
        return False
    return not (isinstance(node, ast.Name) and ctx.summary(node.id))


def number_from_text(source: str, error: ErrorInfo, ctx: Context) -> Iterator[Candidate]:
    """``total += line.strip()`` with ``total`` an int / ``f"{row['price']:.2f}"`` with a str:
    text read from a file, a row or a split used as a number; converted to the number side's
    type (``int(line.strip())``) or, for a float format, to float."""
    tree, nodes = _line_nodes(source, error)
    if tree is None:
        return
    edits: list[tuple[ast.AST, str]] = []
    m = _NUMBER_AND_TEXT.search(error.evalue)
    if m:
        op = _OPS.get((m.group(1) or m.group(3) or "").rstrip("="))
        conv = m.group(2) or m.group(4)
        text_right = m.group(1) is not None
        for n in nodes:
            if isinstance(n, ast.AugAssign) and isinstance(n.op, op or ()) and text_right:
                side = n.value
            elif isinstance(n, ast.BinOp) and isinstance(n.op, op or ()):
                side = n.right if text_right else n.left
            else:
                continue
            if _text_unknown(side, ctx):
                edits.append((side, f"{conv}({_seg(source, side)})"))
    code = re.search(r"Unknown format code '(.)' for object of type 'str'", error.evalue)
    if code and code.group(1) in _FLOAT_CODES + "dn":
        conv = "int" if code.group(1) in "dn" else "float"
        for n in nodes:
            formatted = isinstance(n, ast.FormattedValue) and n.format_spec is not None
            if formatted and _text_unknown(n.value, ctx):
                edits.append((n.value, f"{conv}({_seg(source, n.value)})"))
    if len(edits) != 1:
        return  # none, or several: which operand was the text is not certain
    new = rewrite_nodes(source, edits)
    if new is not None:
        what = _seg(source, edits[0][0])
        yield (
            f"Convert `{what}` to a number",
            f"`{what}` is text (str); it is converted before it is used as a number.",
            new,
            0.8,
        )


def _a_sequence(node: ast.AST, ctx: Context) -> bool:
    if isinstance(node, ast.List | ast.ListComp | ast.Tuple):
        return True
    return isinstance(node, ast.Name) and ctx.summary(node.id).startswith(("list", "tuple"))


def scale_each(source: str, error: ErrorInfo, ctx: Context) -> Iterator[Candidate]:
    """``net_prices * 1.2`` on a list: each item scaled was meant, not list repetition (which
    only an int does)."""
    if not re.search(
        r"can't multiply sequence by non-int of type '(float|Decimal|Fraction)'", error.evalue
    ):
        return
    tree, nodes = _line_nodes(source, error)
    if tree is None:
        return
    used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    var = next(v for v in ("v", "x", "item", "value_") if v not in used)
    edits = []
    for n in nodes:
        if isinstance(n, ast.BinOp) and isinstance(n.op, ast.Mult):
            for seq, factor, left in ((n.left, n.right, True), (n.right, n.left, False)):
                if _a_sequence(seq, ctx) and not _a_sequence(factor, ctx):
                    f = _seg(source, factor)
                    term = f"{var} * {f}" if left else f"{f} * {var}"
                    edits.append((n, f"[{term} for {var} in {_seg(source, seq)}]"))
                    break
    if len(edits) != 1:
        return
    new = rewrite_nodes(source, edits)
    if new is not None:
        yield (
            "Multiply each item",
            "A list times a float is not defined (only an int repeats a list); the list "
            "comprehension multiplies each item.",
            new,
            0.85,
        )
