"""Rewriting a cell at the tokens or AST nodes a rule found, never by plain text replace
(which could touch strings or comments). Positions stay exact: AST offsets are UTF-8 bytes."""

from __future__ import annotations

import ast
import io
import tokenize
from collections.abc import Iterator

from .source import mask_ipython


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


def replace_constant(source: str, node: ast.Constant, value: str) -> str | None:
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


def calls_of(tree: ast.AST, func: str) -> Iterator[ast.Call]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            name = (
                f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
            )
            if name == func:
                yield node


def rewrite_nodes(source: str, nodes: list[tuple[ast.AST, str]]) -> str | None:
    """Replace each node's source span (single-line, UTF-8 offsets) with the given text."""
    lines = [ln.encode() for ln in source.split("\n")]
    spans = []
    for node, text in nodes:
        if node.lineno != node.end_lineno or node.end_col_offset is None:
            return None
        row = node.lineno - 1
        a, b = _balanced(lines[row], node.col_offset, node.end_col_offset)
        spans.append((row, a, b, text))
    for row, a, b, text in sorted(spans, reverse=True):
        lines[row] = lines[row][:a] + text.encode() + lines[row][b:]
    return "\n".join(ln.decode() for ln in lines)


def _balanced(line: bytes, a: int, b: int) -> tuple[int, int]:
    """Widen ``line[a:b]`` over the parentheses it opens or closes but does not contain.

    A node's span may include the ``(`` of its first operand and stop before the ``)`` of its
    last (``(x > 1) or not (y)``); replacing it as is would leave a bracket behind.
    """
    depth = 0
    try:
        for t in tokenize.generate_tokens(io.StringIO(line[a:b].decode()).readline):
            if t.type == tokenize.OP and t.string in "([{":
                depth += 1
            elif t.type == tokenize.OP and t.string in ")]}":
                depth -= 1
    except (tokenize.TokenError, IndentationError, SyntaxError, UnicodeDecodeError):
        pass
    while depth > 0:
        rest = line[b:]
        skip = len(rest) - len(rest.lstrip())
        if not rest[skip:].startswith(b")"):
            break
        b, depth = b + skip + 1, depth - 1
    while depth < 0:
        head = line[:a]
        skip = len(head) - len(head.rstrip())
        if not head[: len(head) - skip].endswith(b"("):
            break
        a, depth = a - skip - 1, depth + 1
    return a, b


def contains(outer: ast.AST, inner: ast.AST) -> bool:
    return outer is not inner and any(n is inner for n in ast.walk(outer))


def atom(node: ast.expr) -> str:
    """The expression's source, parenthesized unless it binds tighter than ``.`` and calls."""
    text = ast.unparse(node)
    simple = ast.Name | ast.Attribute | ast.Subscript | ast.Call | ast.Constant
    return text if isinstance(node, simple) else f"({text})"


def with_keyword(call: ast.Call, keyword: str) -> str:
    """``call`` spelled again with ``keyword`` (``"name='count'"``) after its arguments."""
    args = [ast.unparse(a) for a in call.args] + [ast.unparse(k) for k in call.keywords]
    return f"{ast.unparse(call.func)}({', '.join([*args, keyword])})"


def called_name(node: ast.expr) -> str:
    """``f`` for ``f(...)`` and ``x.f(...)``; "" otherwise."""
    if not isinstance(node, ast.Call):
        return ""
    f = node.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
