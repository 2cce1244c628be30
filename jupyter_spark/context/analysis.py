"""What one cell defines and uses, and how it reads in a prompt; computed once per source.

A cell is parsed with ``ast`` when it is Python; IPython syntax (``%magic``, ``!cmd``, ``x?``,
``y = !ls``) is blanked out first so such cells still parse, and a regex pass covers what still
fails (a half-typed line). The analysis only needs to be good enough to rank cells: a missed
name costs one relevance signal, never a crash.
"""

from __future__ import annotations

import ast
import builtins
import keyword
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from .config import ANALYSIS_CACHE_CELLS, AST_MAX_CHARS, MAX_CHARS_PER_TOKEN, REGEX_NAMES_CHARS

CountTokens = Callable[[str], int]

# Names that no cell needs to define: looking them up would only add noise and index traffic.
_IGNORED = frozenset(dir(builtins)) | frozenset(keyword.kwlist) | frozenset(keyword.softkwlist)

# Cell magics whose body is Python (the rest, like %%bash or %%html, define and use nothing).
PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "debug", "snakeviz"})

# Markdown lines become comments; the percent-format marker says which cells were markdown.
TRUNCATION_MARK = "# ..."


@dataclass(eq=False)
class CellInfo:
    """The analysis of one (cell type, source): names, prompt text, token counts per counter."""

    cell_type: str
    defines: frozenset[str]  # names the cell binds at module level (what other cells can use)
    uses: frozenset[str]  # names it reads without binding them (what it needs from elsewhere)
    body: str  # the cell as prompt text without marker; "" for raw and empty cells
    # (count_tokens, limit) -> (body fitted to limit + blank line, its tokens); see ``fitted``.
    _fitted: dict[tuple[CountTokens, int], tuple[str, int]] = field(default_factory=dict)

    def fitted(self, count: CountTokens, limit: int) -> tuple[str, int]:
        """The body followed by a blank line, cut to ``limit`` tokens; ("", 0) if nothing fits.

        Cached per counter so a request never re-tokenizes an unchanged cell. A cell too long
        keeps whole lines from its head, where imports and signatures are.
        """
        key = (count, limit)
        hit = self._fitted.get(key)
        if hit is None:
            hit = self._fitted[key] = _fit_head(self.body, count, limit)
        return hit


def _fit_head(body: str, count: CountTokens, limit: int) -> tuple[str, int]:
    if not body:
        return "", 0
    if len(body) > limit * MAX_CHARS_PER_TOKEN:  # cannot fit: count only a head that might
        body = body[: limit * MAX_CHARS_PER_TOKEN]
        body = body[: body.rfind("\n")] if "\n" in body else body
        text = body + f"\n{TRUNCATION_MARK}\n\n"
    else:
        text = body + "\n\n"
    n = count(text)
    if n <= limit:
        return text, n
    # Guess the head's length from the tokens per line, shrink until it fits: one or two
    # tokenizations where a binary search would take ~10 (each of up to ``limit`` tokens).
    lines = body.split("\n")
    k = min(len(lines) - 1, len(lines) * limit // n)
    while k > 0:
        cut = "\n".join(lines[:k]) + f"\n{TRUNCATION_MARK}\n\n"
        n = count(cut)
        if n <= limit:
            return cut, n
        k = min(k - 1, k * limit // n)
    return "", 0


def render_body(cell_type: str, source: str) -> str:
    """Code as code, markdown as ``# `` comments (outputs never reach here), raw as nothing."""
    text = source.strip("\n").rstrip()
    if cell_type == "code":
        return text
    if cell_type == "markdown":
        return "\n".join(f"# {line}" if line.strip() else "#" for line in text.split("\n"))
    return ""


@lru_cache(maxsize=ANALYSIS_CACHE_CELLS)
def analyze(cell_type: str, source: str) -> CellInfo:
    """Names and prompt text of a cell (memoized: identical sources share one analysis)."""
    body = render_body(cell_type, source)
    if cell_type != "code" or not body:
        return CellInfo(cell_type, frozenset(), frozenset(), body)
    return CellInfo(cell_type, *code_names(source), body)


def code_names(source: str) -> tuple[frozenset[str], frozenset[str]]:
    """(names bound at module level, names read but not bound) of a code cell.

    Uses are the cell's free names (builtins left out): what it needs from other cells. A
    name it rebinds (``df = df.dropna()``) counts as its own, so distance ranks its source.

    The source is parsed as is first: most cells are plain Python, and blanking lines that
    start with ``%`` would break a continuation line like ``% args)``.
    """
    if len(source) > AST_MAX_CHARS:  # bounded by construction: the regex pass over its head
        bound, loads = _regex_names(strip_ipython(source[:REGEX_NAMES_CHARS]))
        return frozenset(bound), frozenset(loads - bound - _IGNORED)
    try:
        bound, loads = _module_names(ast.parse(source))
    except (SyntaxError, ValueError, RecursionError, MemoryError):  # NUL bytes; too deep
        python = strip_ipython(source)
        try:
            bound, loads = _module_names(ast.parse(python))
        except SyntaxError as e:
            bound, loads = _half_typed_names(python, e.lineno)
        except (ValueError, RecursionError, MemoryError):  # "x = " + "1+" * 5000 + "1"
            bound, loads = _regex_names(python)
    return frozenset(bound), frozenset(loads - bound - _IGNORED)


def _half_typed_names(source: str, error_line: int | None) -> tuple[set[str], set[str]]:
    """A cell that fails to parse, usually at the statement being typed: ``ast`` for the
    top-level statements before that one, the regex pass for the rest."""
    lines = source.split("\n")
    start = min(max(1, error_line or 1), len(lines)) - 1
    while start > 0 and lines[start][:1] in ("", " ", "\t"):  # back to its first line
        start -= 1
    try:
        bound, loads = _module_names(ast.parse("\n".join(lines[:start])))
    except (SyntaxError, ValueError, RecursionError, MemoryError):  # the error lies earlier
        return _regex_names(source)
    tail_bound, tail_loads = _regex_names("\n".join(lines[start:]))
    return bound | tail_bound, loads | tail_loads


def _module_names(tree: ast.Module) -> tuple[set[str], set[str]]:
    bound: set[str] = set()
    loads: set[str] = set()
    _scope(tree.body, bound, loads)
    return bound, loads


# -- IPython syntax -> Python ----------------------------------------------------------------

_CELL_MAGIC = re.compile(r"\A\s*%%(\w+)[^\n]*\n?")
# `x = !ls`, `x = %time f()`: the target is still bound.
_ASSIGN_ESCAPE = re.compile(r"^([ \t]*[A-Za-z_][\w.,\t ]*=[ \t]*)[%!].*$", re.M)
# `%matplotlib inline`, `!pip install x`: keep the indentation so blocks around stay valid.
_ESCAPE_LINE = re.compile(r"^([ \t]*)[%!].*$", re.M)
# `obj?`, `obj.attr??`, `?obj`: help requests read `obj`.
_HELP_LINE = re.compile(r"^([ \t]*)\?{0,2}([A-Za-z_][\w.]*)\?{0,2}[ \t]*$", re.M)


def strip_ipython(source: str) -> str:
    """``source`` with IPython-only syntax replaced by Python of the same shape."""
    m = _CELL_MAGIC.match(source)
    if m:
        if m.group(1) not in PYTHON_CELL_MAGICS:
            return ""
        source = source[m.end() :]
    if "%" not in source and "!" not in source and "?" not in source:
        return source
    source = _ASSIGN_ESCAPE.sub(r"\1None", source)
    source = _ESCAPE_LINE.sub(r"\1pass", source)
    return _HELP_LINE.sub(r"\1\2", source)


# -- ast -------------------------------------------------------------------------------------

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def _arg_names(args: ast.arguments) -> set[str]:
    every = [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
    return {a.arg for a in every if a is not None}


def _nested(body: Iterable[ast.AST], bound: set[str], loads: set[str]) -> None:
    """A nested scope: only the names it reads without binding reach the enclosing ``loads``."""
    inner_loads: set[str] = set()
    _scope(body, bound, inner_loads)
    loads |= inner_loads - bound


def _scope(nodes: Iterable[ast.AST], bound: set[str], loads: set[str]) -> None:
    """Collect the names ``nodes`` bind into ``bound`` and read into ``loads``.

    Function, class and comprehension bodies are their own scopes: a parameter ``x`` is not a
    use of some other cell's ``x``.
    """
    stack = list(nodes)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Name):
            (loads if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, _FUNCTIONS):
            a = node.args
            stack.extend([*a.defaults, *(d for d in a.kw_defaults if d is not None)])
            if isinstance(node, ast.Lambda):
                _nested([node.body], _arg_names(a), loads)
                continue
            bound.add(node.name)
            stack.extend(node.decorator_list)
            if node.returns is not None:
                stack.append(node.returns)
            stack.extend(
                x.annotation
                for x in ast.walk(a)
                if isinstance(x, ast.arg) and x.annotation is not None
            )
            _nested(node.body, _arg_names(a), loads)
        elif isinstance(node, ast.ClassDef):
            bound.add(node.name)
            stack.extend([*node.decorator_list, *node.bases, *node.keywords])
            _nested(node.body, set(), loads)
        elif isinstance(node, _COMPREHENSIONS):
            gens = node.generators
            stack.append(gens[0].iter)  # evaluated in the enclosing scope
            elts = [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
            inner: list[ast.AST] = [*elts, *(g.target for g in gens), *gens[1:]]
            inner.extend(c for g in gens[:1] for c in g.ifs)
            _nested(inner, set(), loads)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            for alias in node.names:
                if alias.name != "*":
                    bound.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, ast.ExceptHandler | ast.MatchAs | ast.MatchStar):
            if node.name:
                bound.add(node.name)
            stack.extend(ast.iter_child_nodes(node))
        else:
            stack.extend(ast.iter_child_nodes(node))


# -- regex fallback --------------------------------------------------------------------------

_STRINGS_AND_COMMENTS = re.compile(
    r"(?s)[rRbBuUfF]{0,2}(\"\"\".*?(?:\"\"\"|\Z)|'''.*?(?:'''|\Z)"
    r"|\"(?:\\.|[^\"\\\n])*\"?|'(?:\\.|[^'\\\n])*'?)|#[^\n]*"
)
_DEF = re.compile(r"^[ \t]*(?:async[ \t]+)?(?:def|class)[ \t]+([A-Za-z_]\w*)", re.M)
_IMPORT = re.compile(r"^[ \t]*import[ \t]+([^\n;]+)", re.M)
_FROM_IMPORT = re.compile(r"^[ \t]*from[ \t]+[\w.]+[ \t]+import[ \t]+\(?([^\n;)]+)", re.M)
_ASSIGN = re.compile(r"^[ \t]*([A-Za-z_][\w, \t]*?)[ \t]*(?::[^=\n]*)?=(?!=)", re.M)
_FOR = re.compile(r"\bfor[ \t]+([\w, \t()]+?)[ \t]+in\b")
_AS = re.compile(r"\bas[ \t]+([A-Za-z_]\w*)")
_IDENT = re.compile(r"(?<![\w.])[A-Za-z_]\w*")


def _regex_names(source: str) -> tuple[set[str], set[str]]:
    """Best-effort names of code ``ast`` rejects; locals of functions may count as uses."""
    code = _STRINGS_AND_COMMENTS.sub(" ", source)
    bound = set(_DEF.findall(code)) | set(_AS.findall(code))
    for m in _IMPORT.findall(code):
        for part in m.split(","):
            words = part.split()
            if words:
                bound.add(words[-1] if len(words) == 3 else words[0].split(".")[0])
    for m in _FROM_IMPORT.findall(code):
        bound.update(part.split()[-1] for part in m.split(",") if part.split())
    for pattern in (_ASSIGN, _FOR):
        for m in pattern.findall(code):
            bound.update(_IDENT.findall(m))
    bound -= _IGNORED
    return bound, set(_IDENT.findall(code))
