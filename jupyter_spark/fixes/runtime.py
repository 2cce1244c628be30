"""Fixes for runtime errors whose cause is in the cell's own shape, not a misspelt name:
a global assigned inside a function, a value called like a function, ``None`` from an in-place
method, a division by an empty length, an index one past the end.

Each rule acts only where the cell says what was meant: ``counter += 1`` in a function over a
``counter`` the notebook defines is ``global counter``; ``xs = xs.append(4)`` is
``xs.append(4)``; ``xs[len(xs)]`` is the last item. Otherwise it proposes nothing (the model's
rewrite may still).
"""

from __future__ import annotations

import ast
import difflib
import re
from collections.abc import Iterator

from .edit import contains, replace_constant, rewrite_nodes
from .source import BUILTIN_NAMES, names_in_cells, parse
from .toolkit import Candidate, Context, failing_line, frame_lines
from .types import ErrorInfo

# Methods that change their object and return None (``xs.sort()``), by what the value is.
IN_PLACE = frozenset(
    {"sort", "append", "extend", "insert", "reverse", "remove", "clear", "update", "shuffle"}
    | {"add", "discard"}
)
# Kinds whose values are read with [] (called with () by mistake: ``xs(0)``, ``df('a')``).
SUBSCRIPTABLE = frozenset({"list", "tuple", "dict", "str", "DataFrame", "Series", "ndarray"})
_UNBOUND = re.compile(
    r"cannot access local variable '(\w+)'|local variable '(\w+)' referenced before assignment"
)


def _segment(source: str, node: ast.AST) -> str:
    return ast.get_source_segment(source, node) or ast.unparse(node)


def _replace(source: str, node: ast.AST, text: str) -> str | None:
    """``source`` with ``node``'s text (one line) replaced by ``text``."""
    return rewrite_nodes(source, [(node, text)])


def unbound_local(source: str, error: ErrorInfo, ctx: Context) -> Iterator[Candidate]:
    """``counter += 1`` in a function, ``counter`` a name of the notebook: ``global counter``."""
    m = _UNBOUND.search(error.evalue)
    tree = parse(source)
    if not m or tree is None:
        return
    name = m.group(1) or m.group(2)
    outer = ctx.kernel_names() | names_in_cells(ctx.cells) | _module_level(tree)
    for func, parent in _functions(tree):
        if name not in _assigned(func):
            continue
        enclosing = parent is not None and name in _assigned(parent)
        if not enclosing and name not in outer:
            continue
        word = "nonlocal" if enclosing else "global"
        body = func.body[0]
        at = body
        if (
            isinstance(body, ast.Expr)
            and isinstance(body.value, ast.Constant)
            and len(func.body) > 1
        ):
            at = func.body[1]  # after the docstring
        lines = source.split("\n")
        indent = lines[at.lineno - 1][: at.col_offset]
        if at.lineno == func.lineno:  # ``def f(): x += 1`` on one line
            continue
        lines.insert(at.lineno - 1, f"{indent}{word} {name}")
        where = "the enclosing function's" if enclosing else "the notebook's"
        yield (
            f"Declare `{word} {name}` in {func.name}()",
            f"{func.name}() assigns `{name}`, which makes it local there; it means {where} "
            f"`{name}`.",
            "\n".join(lines),
            0.85,
        )
        return


def _functions(
    tree: ast.AST,
) -> Iterator[tuple[ast.FunctionDef | ast.AsyncFunctionDef, ast.AST | None]]:
    def walk(node: ast.AST, parent: ast.AST | None) -> Iterator:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                yield child, parent
                yield from walk(child, child)
            else:
                yield from walk(child, parent)

    yield from walk(tree, None)


def _assigned(func: ast.AST) -> set[str]:
    """Names a function's own body binds (not its nested functions')."""
    out: set[str] = set()
    stack = list(ast.iter_child_nodes(func))
    while stack:
        node = stack.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
            continue
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            out.add(node.id)
        stack.extend(ast.iter_child_nodes(node))
    return out


def _module_level(tree: ast.Module) -> set[str]:
    out: set[str] = set()
    for stmt in tree.body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        for node in ast.walk(stmt):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                out.add(node.id)
    return out


def _on_line(tree: ast.AST, row: int | None) -> list[ast.AST]:
    nodes = list(ast.walk(tree))
    if row is None:
        return nodes
    return [n for n in nodes if getattr(n, "lineno", None) == row + 1]


def not_callable(source: str, error: ErrorInfo, ctx: Context) -> Iterator[Candidate]:
    """``sum = 0`` earlier, then ``sum(xs)``: the builtin is shadowed; ``xs(0)`` is ``xs[0]``;
    ``datetime(2024, 1, 1)`` on the module is ``datetime.datetime(...)``."""
    m = re.search(r"'(\w+)' object is not callable", error.evalue)
    tree = parse(source)
    if not m or tree is None:
        return
    kind = m.group(1)
    row = failing_line(source, error)
    yield from _implicit_product(source, tree, row)
    yield from _value_called(source, tree, row, kind)
    seen: set[str] = set()
    for node in _on_line(tree, row):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
            continue
        name = node.func.id
        info = ctx.details(name) or {}
        if name in seen or (info.get("type") not in (kind, None)):
            continue
        seen.add(name)
        if name in BUILTIN_NAMES and info.get("type") == kind:
            lines = source.split("\n")
            yield (
                f"Remove the variable `{name}` that hides the builtin",
                f"`{name}` was assigned a {kind} earlier, which hides the builtin {name}(); "
                f"`del {name}` brings it back (better: rename that variable).",
                "\n".join([f"del {name}", *lines]),
                0.8,
            )
        elif kind == "module" and name in (info.get("attrs") or ()):
            new = _replace(source, node.func, f"{name}.{name}")
            if new is not None:
                yield (
                    f"Call `{name}.{name}`",
                    f"`{name}` is the module; the callable of that name is `{name}.{name}`.",
                    new,
                    0.85,
                )
        elif kind in SUBSCRIPTABLE and len(node.args) == 1 and not node.keywords:
            new = _replace(source, node, f"{name}[{_segment(source, node.args[0])}]")
            if new is not None:
                yield (
                    f"Index `{name}` with []",
                    f"`{name}` is a {kind}: its items are read with [], not called with ().",
                    new,
                    0.8,
                )


def _implicit_product(source: str, tree: ast.AST, row: int | None) -> Iterator[Candidate]:
    """``3(x + 2)`` / ``(a + b)(a - b)``: a product written as in algebra."""
    edits = []
    for node in _on_line(tree, row):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Constant | ast.BinOp)
            and len(node.args) == 1
            and not node.keywords
            and (
                isinstance(node.func, ast.BinOp)
                or (
                    isinstance(node.func.value, int | float)
                    and not isinstance(node.func.value, bool)
                )
            )
        ):
            left = _segment(source, node.func)
            left = f"({left})" if isinstance(node.func, ast.BinOp) else left
            edits.append((node, f"{left} * ({_segment(source, node.args[0])})"))
    edits = [e for e in edits if not any(o is not e and contains(o[0], e[0]) for o in edits)]
    new = rewrite_nodes(source, edits) if edits else None
    if new is not None:
        yield (
            "Multiply with *",
            "A number before parentheses is a call in Python, not a product; `*` multiplies.",
            new,
            0.9,
        )


# Kinds of value an attribute holds that are never callable (a property or a plain attribute
# called like a method: ``cart.total()``, ``df.shape()``).
_PLAIN_VALUES = frozenset(
    {"int", "float", "str", "bool", "tuple", "list", "dict", "NoneType", "Series", "DataFrame"}
    | {"ndarray", "Index", "complex", "bytes", "set"}
)


def _value_called(source: str, tree: ast.AST, row: int | None, kind: str) -> Iterator[Candidate]:
    """``cart.total()`` where ``total`` is a property (its value a float): no call."""
    if kind not in _PLAIN_VALUES:
        return
    edits = [
        (node, _segment(source, node.func))
        for node in _on_line(tree, row)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and not node.args
        and not node.keywords
    ]
    if len(edits) != 1:  # which call raised is only clear with one candidate
        return
    new = rewrite_nodes(source, edits)
    if new is not None:
        attr = edits[0][1]
        yield (
            f"Read `{attr}` without calling it",
            f"`{attr}` is a {kind} (a property or an attribute), not a method: it is read, "
            "not called.",
            new,
            0.8,
        )


def missing_return(source: str, error: ErrorInfo, ctx: Context) -> Iterator[Candidate]:
    """A function of the cell that returns nothing (``print(result)`` or ``df = df.dropna()``
    as its last line), whose None then fails: it returns that value instead."""
    if "NoneType" not in error.evalue:
        return
    tree = parse(source)
    if tree is None:
        return
    calls = (n for n in ast.walk(tree) if isinstance(n, ast.Call))
    called = {n.func.id for n in calls if isinstance(n.func, ast.Name)}
    lines = source.split("\n")
    for func in ast.walk(tree):
        if not isinstance(func, ast.FunctionDef) or func.name not in called:
            continue
        if any(isinstance(n, ast.Return) and n.value is not None for n in _own_nodes(func)):
            continue
        if any(isinstance(n, ast.Yield | ast.YieldFrom) for n in _own_nodes(func)):
            continue
        last = func.body[-1]
        if last.lineno != last.end_lineno or last.lineno == func.lineno:
            continue
        indent = lines[last.lineno - 1][: last.col_offset]
        value = None
        if isinstance(last, ast.Expr) and isinstance(last.value, ast.Call):
            call = last.value
            if isinstance(call.func, ast.Name) and call.func.id == "print" and len(call.args) == 1:
                value, replace = _segment(source, call.args[0]), True
        elif isinstance(last, ast.Assign) and len(last.targets) == 1:
            if isinstance(last.targets[0], ast.Name):
                value, replace = last.targets[0].id, False
        elif isinstance(last, ast.AugAssign) and isinstance(last.target, ast.Name):
            value, replace = last.target.id, False
        if value is None:
            continue
        new_lines = list(lines)
        if replace:
            new_lines[last.lineno - 1] = f"{indent}return {value}"
        else:
            new_lines.insert(last.lineno, f"{indent}return {value}")
        yield (
            f"Return the result from {func.name}()",
            f"{func.name}() computes `{value}` but returns nothing, so its callers get None.",
            "\n".join(new_lines),
            0.85,
        )
        return


def _own_nodes(func: ast.AST) -> Iterator[ast.AST]:
    """The nodes of a function's body, not of the functions and classes nested in it."""
    stack = list(ast.iter_child_nodes(func))
    while stack:
        node = stack.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
            continue
        yield node
        stack.extend(ast.iter_child_nodes(node))


def none_from_in_place(source: str, error: ErrorInfo, ctx: Context) -> Iterator[Candidate]:
    """``xs = xs.append(4)`` / ``top = scores.sort()``: the method returns None."""
    if "NoneType" not in error.evalue:
        return
    tree = parse(source)
    if tree is None:
        return
    for node in ast.walk(tree):
        if not (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Attribute)
        ):
            continue
        call, target = node.value, node.targets[0].id
        method, obj = call.func.attr, call.func.value
        if _is_module(obj, ctx) and call.args:  # ``random.shuffle(xs)`` changes ``xs``
            obj = call.args[0]
        inplace_kw = any(
            k.arg == "inplace" and isinstance(k.value, ast.Constant) and k.value.value is True
            for k in call.keywords
        )
        if method not in IN_PLACE and not inplace_kw:
            continue
        obj_text = _segment(source, obj)
        call_text = _segment(source, call)
        lines = source.split("\n")
        indent = lines[node.lineno - 1][: node.col_offset]
        if method == "sort" and not inplace_kw and obj_text != target:
            args = ", ".join([obj_text, *(_segment(source, k) for k in call.keywords)])
            new_stmt = [f"{indent}{target} = sorted({args})"]
        elif obj_text == target:
            new_stmt = [f"{indent}{call_text}"]
        else:
            new_stmt = [f"{indent}{call_text}", f"{indent}{target} = {obj_text}"]
        if node.lineno != node.end_lineno:
            continue
        new = "\n".join([*lines[: node.lineno - 1], *new_stmt, *lines[node.lineno :]])
        what = "inplace=True" if inplace_kw else f".{method}()"
        yield (
            f"Do not assign the result of {what}",
            f"{what} changes `{obj_text}` in place and returns None, so `{target}` became None.",
            new,
            0.85,
        )
        return


# Kinds whose emptiness is read with ``if x`` (an array or a frame raises on it: ``len(x)``).
_TRUTHY_KINDS = frozenset({"list", "tuple", "dict", "set", "str", "defaultdict", "Counter"})
_ARITH = ast.Add | ast.Sub | ast.Mult | ast.Div | ast.FloorDiv | ast.Mod | ast.Pow


def _is_module(node: ast.expr, ctx: Context) -> bool:
    if not isinstance(node, ast.Name):
        return False
    return (
        node.id in {a for a, _ in ctx.modules}
        or (ctx.details(node.id) or {}).get("type") == "module"
    )


def none_from_lookup(source: str, error: ErrorInfo, ctx: Context) -> Iterator[Candidate]:
    """None from a lookup that found nothing: ``re.match`` (anchored at the start) where
    ``re.search`` finds it further on; ``d.get("U1")`` where the dict has ``"u1"``."""
    if "NoneType" not in error.evalue:
        return
    tree = parse(source)
    row = failing_line(source, error)
    if tree is None:
        return
    for node in _on_line(tree, row):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        base, attr = node.func.value, node.func.attr
        if attr in ("match", "fullmatch") and isinstance(base, ast.Name) and base.id == "re":
            new = _replace(source, node.func, "re.search")
            if new is not None:
                yield (
                    "Search the whole text with re.search",
                    f"`re.{attr}` only matches at the start of the text and gave None; "
                    "`re.search` finds the pattern anywhere.",
                    new,
                    0.75,
                )
        elif (
            attr == "get"
            and isinstance(base, ast.Name)
            and len(node.args) == 1
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            key = node.args[0].value
            keys = [k for k in (ctx.details(base.id) or {}).get("keys") or () if k != key]
            close = [k for k in keys if k.lower() == key.lower()] or difflib.get_close_matches(
                key, keys, 1, 0.75
            )
            if close:
                new = replace_constant(source, node.args[0], close[0])
                if new is not None:
                    yield (
                        f"Look up {close[0]!r}",
                        f"{base.id} has no key {key!r}, so `.get` gave None; {close[0]!r} is "
                        "the key it has.",
                        new,
                        0.85,
                    )


def zero_division(source: str, error: ErrorInfo, ctx: Context) -> Iterator[Candidate]:
    """A division or modulo by zero on the failing line (at the top level, in a comprehension,
    a dict value, a function's return): the arithmetic around it gives 0 when the divisor is 0
    (``(a / b if b else 0)``: the ratio of nothing is taken as 0). A divisor that is the
    variable of a loop over ``range(n)`` meant counting from 1: ``range(1, n + 1)``."""
    tree = parse(source)
    if tree is None:
        return
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    divisions = _divisions(tree, frame_lines(source, error), parents)
    if not divisions:
        return
    yield from _count_from_one(source, divisions, parents)
    yield from _filter_matches_nothing(source, tree, divisions, ctx)
    roots: dict[int, tuple[ast.expr, list[str]]] = {}
    for div in divisions:
        root = div
        while isinstance(parents.get(root), ast.BinOp) and isinstance(parents[root].op, _ARITH):
            root = parents[root]
        guard = _zero_guard(source, div.right, ctx)
        entry = roots.setdefault(id(root), (root, []))
        if guard not in entry[1]:
            entry[1].append(guard)
    edits = []
    for root, guards in roots.values():
        text = f"{_segment(source, root)} if {' and '.join(guards)} else 0"
        whole = isinstance(parents.get(root), ast.Assign | ast.Return | ast.AugAssign)
        edits.append((root, text if whole else f"({text})"))
    new = rewrite_nodes(source, edits)
    if new is not None:
        divisor = _segment(source, divisions[0].right)
        yield (
            f"Give 0 when `{divisor}` is 0",
            f"`{divisor}` is 0 here; the ratio of nothing is taken as 0.",
            new,
            0.6,
        )


# A quoted string in a summary or a cell's text (no escapes inside: data labels).
_QUOTED = re.compile(r"'([^'\\\n]*)'|\"([^\"\\\n]*)\"")


def _filter_matches_nothing(
    source: str, tree: ast.AST, divisions: list[ast.BinOp], ctx: Context
) -> Iterator[Candidate]:
    """``shipped = [o for o in orders if o['status'] == 'Shipped']`` then ``... / len(shipped)``:
    the filter compared with text the data never holds, but holds in another case or spacing
    (``'shipped'``). The data's text is read from the kernel's summary of what the filter runs
    over and from the notebook's other cells; the literal itself must appear in neither."""
    emptied = {
        d.right.args[0].id
        for d in divisions
        if isinstance(d.right, ast.Call)
        and isinstance(d.right.func, ast.Name)
        and d.right.func.id == "len"
        and len(d.right.args) == 1
        and isinstance(d.right.args[0], ast.Name)
    }
    for node in ast.walk(tree):
        if not (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and node.targets[0].id in emptied
            and isinstance(node.value, ast.ListComp)
        ):
            continue
        comp = node.value.generators[0]
        seen = _texts_of(comp.iter, ctx)
        for cond in comp.ifs:
            for const in ast.walk(cond):
                if not (isinstance(const, ast.Constant) and isinstance(const.value, str)):
                    continue
                lit = const.value
                if lit in seen:
                    continue
                meant = [t for t in seen if t.strip().casefold() == lit.strip().casefold()]
                if len(set(meant)) != 1:
                    continue
                new = replace_constant(source, const, meant[0])
                if new is not None:
                    yield (
                        f"Compare with {meant[0]!r}",
                        f"No item has {lit!r}, so the filter left nothing to divide by; the "
                        f"data holds {meant[0]!r}.",
                        new,
                        0.9,
                    )
                    return


def _texts_of(iterable: ast.expr, ctx: Context) -> set[str]:
    """The quoted text the data behind ``iterable`` holds, as far as the kernel's summary of it
    and the notebook's other cells show it."""
    texts = list(ctx.cells)
    if isinstance(iterable, ast.Name):
        texts.append(ctx.summary(iterable.id))
    return {a or b for text in texts for a, b in _QUOTED.findall(text)}


def _divisions(tree: ast.AST, rows: list[int], parents: dict) -> list[ast.BinOp]:
    """The divisions (``/``, ``//``, ``%`` on numbers) the error can come from: on the
    innermost traceback line of the cell that has one, else in the cell's functions called on
    the failing line (a traceback without frames)."""

    def on(nodes: Iterator[ast.AST], row: int | None) -> list[ast.BinOp]:
        return [
            n
            for n in nodes
            if isinstance(n, ast.BinOp)
            and isinstance(n.op, ast.Div | ast.FloorDiv | ast.Mod)
            and (row is None or n.lineno == row + 1)
            and not (isinstance(n.op, ast.Mod) and _is_text(n.left))
            and not (isinstance(n.right, ast.Constant) and n.right.value)
        ]

    for row in reversed(rows):
        found = on(ast.walk(tree), row)
        if found:
            return found
    if not rows:
        return []
    called = {
        n.func.id
        for n in ast.walk(tree)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.lineno == rows[0] + 1
    }
    return [
        d
        for f in ast.walk(tree)
        if isinstance(f, ast.FunctionDef) and f.name in called
        for d in on(ast.walk(f), None)
    ]


def _is_text(node: ast.AST) -> bool:
    return isinstance(node, ast.JoinedStr) or (
        isinstance(node, ast.Constant) and isinstance(node.value, str)
    )


def _zero_guard(source: str, divisor: ast.expr, ctx: Context) -> str:
    """The condition under which ``divisor`` is not 0: ``xs`` for ``len(xs)`` when the kernel
    says ``xs`` is a plain container, else the divisor itself (a number: it raised)."""
    if (
        isinstance(divisor, ast.Call)
        and isinstance(divisor.func, ast.Name)
        and divisor.func.id == "len"
        and len(divisor.args) == 1
        and isinstance(divisor.args[0], ast.Name)
    ):
        kind = (ctx.details(divisor.args[0].id) or {}).get("type")
        if kind in _TRUTHY_KINDS:
            return divisor.args[0].id
    text = _segment(source, divisor)
    simple = isinstance(divisor, ast.Name | ast.Attribute | ast.Subscript | ast.Call)
    return text if simple else f"({text})"


def _count_from_one(source: str, divisions: list[ast.BinOp], parents: dict) -> Iterator[Candidate]:
    """``1 / k for k in range(n)``: the loop starts at 0; ``range(1, n + 1)`` was meant (not
    when ``k`` also indexes something: then 0..n-1 are positions)."""
    tree = next((n for n in parents.values() if isinstance(n, ast.Module)), None)
    indexes = {
        n.id
        for sub in (ast.walk(tree) if tree is not None else ())
        if isinstance(sub, ast.Subscript)
        for n in ast.walk(sub.slice)
        if isinstance(n, ast.Name)
    }
    for div in divisions:
        if not isinstance(div.right, ast.Name) or div.right.id in indexes:
            continue
        name = div.right.id
        for target, it in _loops_around(div, parents):
            if not (
                isinstance(target, ast.Name)
                and target.id == name
                and isinstance(it, ast.Call)
                and isinstance(it.func, ast.Name)
                and it.func.id == "range"
                and len(it.args) == 1
                and not it.keywords
            ):
                continue
            stop = it.args[0]
            bound = _segment(source, stop)
            end = (
                str(stop.value + 1)
                if isinstance(stop, ast.Constant) and isinstance(stop.value, int)
                else f"{bound} + 1"
            )
            new = _replace(source, it, f"range(1, {end})")
            if new is not None:
                yield (
                    f"Count `{name}` from 1",
                    f"`range({bound})` starts at 0, and `{name}` is a divisor; counting from 1 "
                    f"to {bound} was meant.",
                    new,
                    0.75,
                )
                return


def _loops_around(node: ast.AST, parents: dict) -> Iterator[tuple[ast.expr, ast.expr]]:
    """(target, iterable) of the comprehensions and for loops ``node`` is inside."""
    comprehensions = ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp
    while node is not None:
        if isinstance(node, comprehensions):
            yield from ((g.target, g.iter) for g in node.generators)
        elif isinstance(node, ast.For):
            yield node.target, node.iter
        node = parents.get(node)


def index_past_end(source: str, error: ErrorInfo, ctx: Context) -> Iterator[Candidate]:
    """``range(len(xs) + 1)`` and ``xs[len(xs)]``: one past the last index; ``xs[i + 1]`` over
    ``range(len(xs))`` (stop one earlier); ``xs[place]`` over ``range(1, n)`` (1-based:
    ``xs[place - 1]``); ``.iloc[4]`` of 4 rows (the 4th is ``.iloc[3]``)."""
    if "out of range" not in error.evalue and "out-of-bounds" not in error.evalue:
        return
    tree = parse(source)
    if tree is None:
        return
    yield from _index_loops(source, tree)
    yield from _count_as_position(source, tree, error, ctx)
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "range"
            and node.args
            and _len_plus_one(node.args[-1])
        ):
            stop = node.args[-1]
            new = _replace(source, stop, _segment(source, stop.left))
            if new is not None:
                yield ("Stop the range at len()", "Indexes go from 0 to len() - 1; "
                       "`range(len(xs))` covers them all.", new, 0.8)  # fmt: skip
                return
        if isinstance(node, ast.Subscript) and _is_len_of(node.slice, node.value):
            new = _replace(source, node.slice, "-1")
            if new is not None:
                yield ("Take the last item with [-1]", "The last index is len() - 1; "
                       "[-1] is the last item.", new, 0.8)  # fmt: skip
                return


def _index_loops(source: str, tree: ast.AST) -> Iterator[Candidate]:
    """Loops whose variable indexes a sequence past what the range allows."""
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    for sub in ast.walk(tree):
        if not (isinstance(sub, ast.Subscript) and isinstance(sub.ctx, ast.Load)):
            continue
        index = sub.slice
        name, ahead = None, 0
        if (
            isinstance(index, ast.BinOp)
            and isinstance(index.op, ast.Add)
            and isinstance(index.left, ast.Name)
            and isinstance(index.right, ast.Constant)
            and type(index.right.value) is int
            and index.right.value > 0
        ):
            name, ahead = index.left.id, index.right.value
        elif isinstance(index, ast.Name):
            name = index.id
        if name is None:
            continue
        for target, it in _loops_around(sub, parents):
            if not (isinstance(target, ast.Name) and target.id == name):
                continue
            if not (isinstance(it, ast.Call) and isinstance(it.func, ast.Name)):
                break
            if it.func.id != "range" or it.keywords:
                break
            args = it.args
            if ahead and len(args) == 1 and _is_len_of(args[0], sub.value):
                new = _replace(source, args[0], f"{_segment(source, args[0])} - {ahead}")
                if new is not None:
                    yield (
                        f"Stop the range {ahead} earlier",
                        f"`{_segment(source, sub)}` reads {ahead} ahead, so the last "
                        f"{ahead} value(s) of `{name}` are past the end.",
                        new,
                        0.85,
                    )
                    return
            if (
                not ahead
                and len(args) == 2
                and isinstance(args[0], ast.Constant)
                and args[0].value == 1
            ):
                new = _replace(source, index, f"{name} - 1")
                if new is not None:
                    yield (
                        "Index from 0",
                        f"`{name}` counts from 1 (a place, a rank); list positions count from "
                        f"0, so item `{name}` is at `{name} - 1`.",
                        new,
                        0.8,
                    )
                    return
            break


_ROWS = re.compile(r"^(?:DataFrame|Series) (\d+)")
_LIST_LEN = re.compile(r"^(?:list|tuple|str) len=(\d+)")


def _count_as_position(
    source: str, tree: ast.AST, error: ErrorInfo, ctx: Context
) -> Iterator[Candidate]:
    """``q.iloc[4]`` / ``xs[3]`` where the kernel's value has exactly 4 / 3 items: the
    n-th was meant, at position n - 1."""
    row = failing_line(source, error)
    for sub in _on_line(tree, row):
        if not (
            isinstance(sub, ast.Subscript)
            and isinstance(sub.slice, ast.Constant)
            and type(sub.slice.value) is int
            and sub.slice.value > 0
        ):
            continue
        base = sub.value
        if isinstance(base, ast.Attribute) and base.attr == "iloc":
            base = base.value
        root = base
        while isinstance(root, ast.Subscript | ast.Attribute):
            root = root.value
        if not isinstance(root, ast.Name):
            continue
        summary = ctx.summary(root.id)
        m = _ROWS.match(summary) if root is not base else None
        m = m or ((_ROWS.match(summary) or _LIST_LEN.match(summary)) if root is base else None)
        if not m or int(m.group(1)) != sub.slice.value:
            continue
        n = sub.slice.value
        new = _replace(source, sub.slice, str(n - 1))
        if new is not None:
            yield (
                f"Take item {n} at position {n - 1}",
                f"`{root.id}` has {n} items at positions 0 to {n - 1}; the {n}th is "
                f"[{n - 1}] (or [-1], the last).",
                new,
                0.8,
            )
            return


def _is_len_of(node: ast.AST, seq: ast.AST) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "len"
        and len(node.args) == 1
        and ast.dump(node.args[0]) == ast.dump(seq)
    )


def _len_plus_one(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.BinOp)
        and isinstance(node.op, ast.Add)
        and isinstance(node.right, ast.Constant)
        and node.right.value == 1
        and isinstance(node.left, ast.Call)
        and isinstance(node.left.func, ast.Name)
        and node.left.func.id == "len"
    )
