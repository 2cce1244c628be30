"""One project file -> its symbols (for grounding) and its chunks (for retrieval), with ``ast``.

Nothing is imported or run. A file that does not parse keeps what comes before the statement
holding the error (and says so); a notebook's code cells are read as one module, IPython syntax
replaced as for cells. The symbols reuse the cells' readers (grounding/cells.py), so a class in a
project file and one in a cell give the same attributes and keywords.
"""

from __future__ import annotations

import ast
import json
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType

from ..context.analysis import strip_ipython
from ..grounding.cells import (
    bound_names,
    class_members,
    function_members,
    parse_tolerant,
    top_level_statements,
    value_members,
)
from ..grounding.symbols import Symbol
from ..kernel.state import Members
from .config import ProjectConfig

# Characters of a signature or a snippet line shown in the prompt.
LINE_CHARS = 110
# Lines of a class's stub (fields, then method signatures).
CLASS_STUB_LINES = 10
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_CAMEL = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")
# Words too common in Python to say two pieces of code are related.
STOP_TERMS = frozenset(
    {
        "and",
        "args",
        "as",
        "assert",
        "bool",
        "break",
        "class",
        "cls",
        "continue",
        "def",
        "del",
        "dict",
        "elif",
        "else",
        "except",
        "false",
        "finally",
        "float",
        "for",
        "from",
        "global",
        "if",
        "import",
        "in",
        "init",
        "int",
        "is",
        "isinstance",
        "kwargs",
        "lambda",
        "len",
        "list",
        "none",
        "nonlocal",
        "not",
        "object",
        "or",
        "pass",
        "print",
        "raise",
        "range",
        "return",
        "self",
        "set",
        "str",
        "super",
        "the",
        "true",
        "try",
        "tuple",
        "while",
        "with",
        "yield",
    }
)


class NotParsed(ValueError):
    """A notebook file that is not valid JSON (or not a notebook)."""


@dataclass(frozen=True)
class Chunk:
    """A piece of a file the prompt may show: a definition's stub, or a window of statements."""

    path: str
    line: int  # 1-based, in the file (a notebook: in its code cells joined)
    name: str  # the definition's name; "" for a window
    text: str  # what the prompt shows: signatures and short snippets, ending in "\n"
    terms: tuple[tuple[str, int], ...]  # (term, count) in the whole piece of source


@dataclass(frozen=True)
class FileIndex:
    """What one file gives the index."""

    path: str
    symbols: tuple[Symbol, ...]
    all: tuple[str, ...] | None
    chunks: tuple[Chunk, ...]
    tokens: int  # estimated source tokens
    complete: bool  # False: it did not parse whole (the symbols stop before the error)


def terms(text: str) -> Counter[str]:
    """Identifiers and their words (``haversine_km`` -> haversine_km, haversine, km)."""
    out: Counter[str] = Counter()
    for ident, n in Counter(_IDENT.findall(text)).items():
        for t in _ident_terms(ident):
            out[t] += n
    return out


@lru_cache(maxsize=65536)
def _ident_terms(ident: str) -> tuple[str, ...]:
    low = ident.lower()
    if low in STOP_TERMS or len(low) < 2:
        return ()
    found = [low]
    if "_" in ident.strip("_") or any(c.isupper() for c in ident[1:]):
        for part in _CAMEL.findall(ident.replace("_", " ")):
            p = part.lower()
            if len(p) >= 3 and p != low and p not in STOP_TERMS:
                found.append(p)
    return tuple(found)


def notebook_source(text: str) -> str:
    """A notebook's code cells as one module (IPython syntax replaced), or :class:`NotParsed`."""
    try:
        nb = json.loads(text)
    except (ValueError, RecursionError) as e:
        raise NotParsed(f"not valid JSON: {e}") from None
    cells = nb.get("cells") if isinstance(nb, dict) else None
    if not isinstance(cells, list):
        raise NotParsed("no cells")
    parts = []
    for c in cells:
        if not isinstance(c, dict) or c.get("cell_type") != "code":
            continue
        src = c.get("source", "")
        if isinstance(src, list):
            src = "".join(s for s in src if isinstance(s, str))
        if isinstance(src, str):
            parts.append(strip_ipython(src).rstrip("\n"))
    return "\n\n".join(parts) + "\n"


def read_file(path: str, text: str, config: ProjectConfig, tokens: int) -> FileIndex:
    """``text`` of the file at ``path`` (root-relative) read into symbols and chunks."""
    source = notebook_source(text) if path.endswith(".ipynb") else text
    body, complete = parse_tolerant(source)
    lines = source.split("\n")
    symbols, declared = _symbols(body)
    chunks = _chunks(path, body, lines, config)
    return FileIndex(path, tuple(symbols), declared, tuple(chunks), tokens, complete)


# -- symbols ---------------------------------------------------------------------------------


def _doc(node: ast.AST) -> str:
    try:
        doc = ast.get_docstring(node)  # type: ignore[arg-type]
    except TypeError:
        return ""
    return doc.strip().split("\n")[0][:LINE_CHARS] if doc else ""


def _signature(args: ast.arguments) -> str:
    try:
        text = ast.unparse(args)
    except (ValueError, RecursionError):
        return "(...)"
    return f"({text})" if len(text) < LINE_CHARS else f"({text[: LINE_CHARS - 5]}...)"


def _symbols(body: list[ast.stmt]) -> tuple[list[Symbol], tuple[str, ...] | None]:
    found: dict[str, Symbol] = {}
    classes: dict[str, Members] = {}
    declared: tuple[str, ...] | None = None
    for node in top_level_statements(body):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            found[node.name] = Symbol(
                node.name,
                "function",
                function_members(node.args),
                _signature(node.args),
                _doc(node),
            )
        elif isinstance(node, ast.ClassDef):
            members = _with_bases(class_members(node), node, classes)
            classes[node.name] = members
            init = next(
                (
                    s
                    for s in node.body
                    if isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef)
                    and s.name == "__init__"
                ),
                None,
            )
            sig = (
                _signature(init.args).replace("(self, ", "(").replace("(self)", "()")
                if init
                else ""
            )
            found[node.name] = Symbol(node.name, "class", members, sig, _doc(node))
        elif isinstance(node, ast.Import):
            for a in node.names:
                alias = a.asname or a.name.split(".")[0]
                origin = a.name if a.asname else a.name.split(".")[0]
                found[alias] = Symbol(alias, "import", origin=origin)
        elif isinstance(node, ast.ImportFrom):
            base = "." * node.level + (node.module or "")
            for a in node.names:
                if a.name != "*":
                    sep = "" if base.endswith(".") else "."
                    found[a.asname or a.name] = Symbol(
                        a.asname or a.name, "import", origin=f"{base}{sep}{a.name}"
                    )
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                for name in bound_names(t):
                    if name == "__all__" and isinstance(node.value, ast.List | ast.Tuple):
                        declared = tuple(
                            e.value
                            for e in node.value.elts
                            if isinstance(e, ast.Constant) and isinstance(e.value, str)
                        )
                        continue
                    found[name] = _value_symbol(name, node.value, classes)
    return list(found.values()), declared


def _with_bases(members: Members, node: ast.ClassDef, classes: dict[str, Members]) -> Members:
    """A class inherits the attributes of bases defined above it in the same file."""
    inherited = [classes[b.id] for b in node.bases if isinstance(b, ast.Name) and b.id in classes]
    if not inherited:
        return members
    attrs = list(members.attrs)
    items = dict(members.items)
    for base in inherited:
        attrs.extend(base.attrs)
        for k, v in base.items.items():
            items.setdefault(k, v)
    params = members.params or next((b.params for b in inherited if b.params), ())
    return Members(
        attrs=tuple(dict.fromkeys(attrs)),
        params=params,
        n_positional=members.n_positional,
        var_kwargs=members.var_kwargs,
        items=MappingProxyType(items),
    )


def _value_symbol(name: str, value: ast.AST | None, classes: dict[str, Members]) -> Symbol:
    kind = "constant" if name.isupper() else "variable"
    if value is None:
        return Symbol(name, kind)
    members = value_members(value)
    if (
        members is None
        and isinstance(value, ast.Call)
        and isinstance(value.func, ast.Name)
        and value.func.id in classes
    ):  # ``DEFAULTS = Settings()``: an instance of a class above
        cls = classes[value.func.id]
        members = Members(attrs=cls.attrs, items=cls.items)
    return Symbol(name, kind, members or Members())


# -- chunks ----------------------------------------------------------------------------------


def _clip(line: str) -> str:
    line = line.rstrip()
    return line if len(line) <= LINE_CHARS else line[: LINE_CHARS - 3] + "..."


def _def_stub(node: ast.FunctionDef | ast.AsyncFunctionDef, indent: str = "") -> list[str]:
    prefix = "async def" if isinstance(node, ast.AsyncFunctionDef) else "def"
    out = [f"{indent}{prefix} {node.name}{_signature(node.args)}:"]
    doc = _doc(node)
    if doc:
        out.append(f'{indent}    """{doc}"""')
    out.append(f"{indent}    ...")
    return out


def _class_stub(node: ast.ClassDef, lines: list[str]) -> list[str]:
    bases = ", ".join(ast.unparse(b) for b in node.bases)
    out = [f"class {node.name}({bases}):" if bases else f"class {node.name}:"]
    doc = _doc(node)
    if doc:
        out.append(f'    """{doc}"""')
    body = []
    for stmt in node.body:
        if isinstance(stmt, ast.AnnAssign | ast.Assign):
            body.append("    " + _clip(lines[stmt.lineno - 1].strip()))
    for stmt in node.body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            if stmt.name.startswith("_") and stmt.name != "__init__":
                continue
            sig = _def_stub(stmt, "    ")[0]
            body.append(sig + " ...")
    if len(body) > CLASS_STUB_LINES:
        body = [*body[:CLASS_STUB_LINES], "    ..."]
    return out + (body or ["    ..."])


def _chunks(
    path: str, body: list[ast.stmt], lines: list[str], config: ProjectConfig
) -> list[Chunk]:
    out: list[Chunk] = []
    window: list[str] = []
    window_terms: Counter[str] = Counter()
    window_start = 0

    def flush() -> None:
        nonlocal window, window_terms
        if window and window_terms:
            out.append(
                Chunk(path, window_start, "", "\n".join(window) + "\n", tuple(window_terms.items()))
            )
        window, window_terms = [], Counter()

    for node in body:
        start, end = node.lineno, getattr(node, "end_lineno", None) or node.lineno
        source = "\n".join(lines[start - 1 : end])
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            flush()
            stub = _class_stub(node, lines) if isinstance(node, ast.ClassDef) else _def_stub(node)
            out.append(
                Chunk(path, start, node.name, "\n".join(stub) + "\n", tuple(terms(source).items()))
            )
            continue
        if isinstance(node, ast.Import | ast.ImportFrom | ast.Expr) and not window:
            continue  # imports and docstrings alone say little
        if not window:
            window_start = start
        window.append(_clip(lines[start - 1]) + (" ..." if end > start else ""))
        window_terms.update(terms(source))
        if len(window) >= config.window_statements:
            flush()
    flush()
    return out
