"""Fixes for TypeError and ValueError: str + number, argument counts against the real
signature, loops over numbers or over pairs that are not pairs, numbers written for people,
and ``and``/``or`` between pandas conditions."""

from __future__ import annotations

import ast
import inspect
import re
from collections.abc import Callable, Iterator

from .edit import atom, called_name, calls_of, contains, replace_constant, rewrite_nodes
from .source import BUILTIN_NAMES, parse
from .toolkit import Candidate, Context, failing_line
from .types import ErrorInfo


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
    if re.search(r"'(int|float)' object is not iterable", v):
        yield from loop_over_number(source, error, ctx)
    if "cannot unpack non-iterable" in v:
        yield from loop_unpacking(source, error, ctx)
    m = re.search(r"'(str|float)' object cannot be interpreted as an integer", v)
    if m:
        yield from _integer_args(source, error, m.group(1))
    if re.search(r"unsupported operand type\(s\) for \+: 'int' and 'str'", v):
        yield from _sum_of_strings(source, error)
    m = re.search(
        r"(<lambda>|\w+)\(\) takes (\d+) positional arguments? but (\d+) (?:were|was) given", v
    )
    if m:
        func, takes, given = m.group(1), int(m.group(2)), int(m.group(3))
        yield from _pair_arguments(source, func, takes, given)
        if func == "<lambda>" and given > takes:
            yield from _lambda_params(source, error, ctx, given - takes)
        owner = re.search(r"(\w+)\.\w+\(\) takes", v)
        if owner and given == takes + 1:
            yield from _method_without_self(source, owner.group(1), func)
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
    m = re.search(
        r"(\w+)\(\) got an unexpected keyword argument '(\w+)'"
        r"|'(\w+)' is an invalid keyword argument for (\w+)\(\)",
        v,
    )
    if m:
        func, word = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
        yield from _keyword_meant(source, error, ctx, func, word)
    m = re.search(r"(DataFrame|Series)\.(\w+)\(\) takes from \d+ to (\d+) positional", v)
    if m:
        yield from _axis_keyword(source, error, m.group(2), int(m.group(3)))
    if re.search(r"missing \d+ required positional arguments?:", v):
        yield from missing_arguments(source, error, ctx)


# Parameter names that hold a quantity starting from nothing (a forgotten one is 0).
_ZERO_PARAMS = re.compile(
    r"^(?:balance|count|total|amount|sum|size|n|num|qty|quantity|offset|start|score|"
    r"initial\w*|\w*_(?:count|total|balance|amount))$"
)
_SCALAR_SUMMARY = re.compile(r"^(?:int|float) = ")
_INSTANCE_SUMMARY = re.compile(r"^(\w+) instance\b")


def missing_arguments(source: str, error: ErrorInfo, ctx: Context) -> Iterator[Candidate]:
    """``f(x)`` where ``f`` needs more: the kernel's variable of a related name
    (``TAX_RATE`` for ``rate``), else the one number the kernel holds that the cell does not
    use yet (``UPPER`` beside ``LOWER``), else 0 for a quantity that starts from nothing
    (``balance``). ``Class.method()`` missing ``self``: called on the instance the kernel
    holds of that class, or on ``Class()``."""
    m = re.search(
        r"(?:(\w+)\.)?(\w+)\(\) missing (\d+) required positional arguments?: (.+)$", error.evalue
    )
    tree = parse(source)
    if not m or tree is None:
        return
    owner, func = m.group(1), m.group(2)
    missing = re.findall(r"'(\w+)'", m.group(4))
    if missing == ["self"] and owner:
        yield from _unbound_method(source, tree, owner, func, ctx)
        return
    callee = owner if func == "__init__" and owner else func
    row = failing_line(source, error)
    calls = [
        (c,)
        for c in calls_of(tree, callee)
        if not any(isinstance(a, ast.Starred) for a in c.args) and not c.keywords
    ]
    calls = _on_row(calls, row)
    if not calls:
        return
    used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    kernel = ctx.kernel_names()
    scalars = sorted(n for n in kernel if _SCALAR_SUMMARY.match(ctx.summary(n)) and n not in used)
    chosen, why, confidence = [], [], 0.9
    for param in missing:
        related = [
            n
            for n in kernel
            if n not in used
            and (n == param or (len(param) >= 3 and param.lower() in n.lower().split("_")))
        ]
        if param in related:  # the very name: no other reading
            related = [param]
        if len(related) == 1:
            chosen.append(related[0])
            why.append(f"`{related[0]}` for `{param}`")
            confidence = min(confidence, 0.85)
        elif len(scalars) == 1 and len(missing) == 1:
            chosen.append(scalars[0])
            why.append(f"`{scalars[0]}` (the kernel's one unused number) for `{param}`")
            confidence = min(confidence, 0.7)
        elif _ZERO_PARAMS.match(param.lower()):
            chosen.append("0")
            why.append(f"0 for `{param}`")
            confidence = min(confidence, 0.5)
        else:
            return
    edits = [
        (call, f"{ast.get_source_segment(source, call)[:-1].rstrip()}"
               f"{', ' if call.args else ''}{', '.join(chosen)})")
        for (call,) in calls
        if ast.get_source_segment(source, call) and call.lineno == call.end_lineno
    ]  # fmt: skip
    new = rewrite_nodes(source, edits) if edits else None
    if new is not None:
        yield (
            f"Pass {', '.join(missing)} to {callee}()",
            f"{callee}() needs {', '.join(missing)}: " + ", ".join(why) + ".",
            new,
            confidence,
        )


def _unbound_method(
    source: str, tree: ast.AST, owner: str, method: str, ctx: Context
) -> Iterator[Candidate]:
    """``Thermometer.to_fahrenheit()``: a method called on its class has no ``self``."""
    instances = [n for n in ctx.kernel_names() if _instance_of(ctx.summary(n)) == owner]
    for node in ast.walk(tree):  # ``t = Thermometer(...)`` in the cell itself
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Name)
            and node.value.func.id == owner
            and node.targets[0].id not in instances
        ):
            instances.append(node.targets[0].id)
    arity = (ctx.details(owner) or {}).get("arity") or {}
    if len(instances) == 1:
        target, confidence, why = instances[0], 0.88, f"`{instances[0]}` is the {owner} here"
    elif arity.get("min") == 0:
        target, confidence, why = f"{owner}()", 0.7, f"{owner}() needs no arguments"
    else:
        return
    edits = [
        (call.func.value, target)
        for call in calls_of(tree, method)
        if isinstance(call.func, ast.Attribute)
        and isinstance(call.func.value, ast.Name)
        and call.func.value.id == owner
    ]
    new = rewrite_nodes(source, edits) if edits else None
    if new is not None:
        yield (
            f"Call {method}() on an instance",
            f"A method called on the class {owner} gets no `self`; {why}.",
            new,
            confidence,
        )


def _method_without_self(source: str, owner: str, method: str) -> Iterator[Candidate]:
    """``def bump():`` in a class, called ``t.bump()``: the instance is passed as the first
    argument, so the method needs ``self`` (when its body uses ``self``, or has no params)."""
    tree = parse(source)
    for cls in ast.walk(tree) if tree is not None else ():
        if not (isinstance(cls, ast.ClassDef) and cls.name == owner):
            continue
        for f in cls.body:
            if not (isinstance(f, ast.FunctionDef) and f.name == method) or f.decorator_list:
                continue
            params = [*f.args.posonlyargs, *f.args.args]
            uses_self = any(isinstance(n, ast.Name) and n.id == "self" for n in ast.walk(f))
            if (params and params[0].arg == "self") or not (uses_self or not params):
                return
            lines = source.split("\n")
            row = f.lineno - 1
            at = lines[row].find("(", lines[row].find(f"def {method}"))
            if at < 0:
                return
            lines[row] = (
                lines[row][: at + 1] + ("self, " if params else "self") + lines[row][at + 1 :]
            )
            yield (
                f"Add `self` to {method}()",
                f"{owner}.{method}() is called on an instance, which Python passes as the first "
                "argument; the method has to take it (`self`).",
                "\n".join(lines),
                0.9,
            )
            return


def _instance_of(summary: str) -> str | None:
    m = _INSTANCE_SUMMARY.match(summary)
    return m.group(1) if m else None


def keyword_callee(source: str, error: ErrorInfo) -> list[str]:
    """The dotted callees of the failing line (``pd.read_csv``, ``header.split``): the
    kernel's signatures of them say which keywords exist."""
    tree = parse(source)
    if tree is None:
        return []
    calls = [(c,) for c in ast.walk(tree) if isinstance(c, ast.Call)]
    found = (looked_up(c.func) for (c,) in _on_row(calls, failing_line(source, error)))
    return list(dict.fromkeys(f for f in found if f))[:10]


def _keyword_meant(
    source: str, error: ErrorInfo, ctx: Context, func: str, word: str
) -> Iterator[Candidate]:
    """``read_csv(seperator=';')`` -> ``sep``, ``make_greeting(username=...)`` -> ``name``:
    the one parameter that the wrong keyword starts with or contains (an abbreviation or a
    longer wording of it), from the real signature (the kernel's, or a builtin type's)."""
    tree = parse(source)
    if tree is None:
        return
    row = failing_line(source, error)
    calls = [(c,) for c in calls_of(tree, func) if any(k.arg == word for k in c.keywords)]
    for (call,) in _on_row(calls, row):
        params = _params_of(call.func, ctx)
        used = {k.arg for k in call.keywords}
        meant = [
            p
            for p in params
            if p not in used
            and len(p) >= 3
            and (word.startswith(p) or p in word.split("_") or word.endswith(p))
        ]
        sure = 0.75
        if not meant:  # ``moving_average(prices, size=2)``: the one parameter still free
            meant, sure = _only_free(call, ctx, used), 0.7
        if len(meant) != 1:
            continue
        kw = next(k for k in call.keywords if k.arg == word)
        value = ast.get_source_segment(source, kw.value) or ast.unparse(kw.value)
        new = rewrite_nodes(source, [(kw, f"{meant[0]}={value}")])
        if new is not None:
            yield (
                f"Use the keyword '{meant[0]}'",
                f"{func}() has no parameter `{word}`; `{meant[0]}` is the one it names.",
                new,
                sure,
            )
            return


def _only_free(call: ast.Call, ctx: Context, used: set[str | None]) -> list[str]:
    """The parameters of the kernel's signature of ``call`` that neither its positional
    arguments nor its keywords fill (none when it takes ``*args``/``**kwargs``)."""
    name = looked_up(call.func)
    sig = (((ctx.details(name) or {}).get("arity") or {}).get("signature", "")) if name else ""
    params = re.findall(r"(?:^\(|,\s*)(\**\w+)", sig)
    if not params or any(p.startswith("*") for p in params):
        return []
    params = [p for p in params if p not in ("self", "cls")]
    return [p for p in params[len(call.args) :] if p not in used]


def _params_of(func: ast.expr, ctx: Context) -> list[str]:
    """Parameter names of the called ``func``: the kernel's signature, or for a method of a
    builtin value (``header.split``), this Python's."""
    name = looked_up(func)
    info = ctx.details(name) if name else None
    sig = ((info or {}).get("arity") or {}).get("signature", "")
    if sig:
        return re.findall(r"(?:^\(|,\s*)\**(\w+)", sig)
    if isinstance(func, ast.Attribute):
        base = looked_up(func.value)
        kind = (ctx.details(base) or {}).get("type") if base else None
        holder = {"str": str, "list": list, "dict": dict, "bytes": bytes}.get(kind or "")
        method = getattr(holder, func.attr, None) if holder else None
        try:
            return [p for p in inspect.signature(method).parameters if p != "self"]
        except (TypeError, ValueError):
            return []
    return []


def _lambda_params(source: str, error: ErrorInfo, ctx: Context, extra: int) -> Iterator[Candidate]:
    """``map(lambda p: p * q, prices, qtys)``: the lambda gets one item from each list, and
    its body already names the one it lacks (``q``, defined nowhere): it becomes a parameter."""
    tree = parse(source)
    if tree is None:
        return
    known = ctx.kernel_names() | set(BUILTIN_NAMES)
    row = failing_line(source, error)
    for lam in ast.walk(tree):
        if not isinstance(lam, ast.Lambda) or (row is not None and lam.lineno != row + 1):
            continue
        params = {a.arg for a in lam.args.args}
        bound = params | {
            n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
        }
        free = list(
            dict.fromkeys(
                n.id
                for n in ast.walk(lam.body)
                if isinstance(n, ast.Name) and n.id not in bound and n.id not in known
            )
        )
        if len(free) != extra or lam.args.vararg or lam.args.kwonlyargs:
            continue
        names = ", ".join([*(a.arg for a in lam.args.args), *free])
        new = rewrite_nodes(source, [(lam, f"lambda {names}: {_source(source, lam.body)}")])
        if new is not None:
            yield (
                f"Give the lambda {', '.join(free)} as parameter{'s' if extra > 1 else ''}",
                f"The lambda is given {extra} more value(s) per call (one from each iterable); "
                f"its body uses {', '.join(free)}, defined nowhere else.",
                new,
                0.85,
            )
            return


def _source(source: str, node: ast.AST) -> str:
    return ast.get_source_segment(source, node) or ast.unparse(node)


def _pair_arguments(source: str, func: str, takes: int, given: int) -> Iterator[Candidate]:
    """``distance(0, 0, 6, 8)`` for ``distance(p, q)``: twice the arguments it takes, so each
    parameter is a pair (points, ranges): ``distance((0, 0), (6, 8))``."""
    if takes < 2 or given != 2 * takes:
        return
    tree = parse(source)
    if tree is None:
        return
    edits = []
    for call in calls_of(tree, func):
        args = call.args
        if len(args) != given or any(isinstance(a, ast.Starred) for a in args):
            continue
        pairs = [
            f"({ast.get_source_segment(source, a) or ast.unparse(a)}, "
            f"{ast.get_source_segment(source, b) or ast.unparse(b)})"
            for a, b in zip(args[::2], args[1::2], strict=True)
        ]
        edits.append((call, f"{ast.get_source_segment(source, call.func)}({', '.join(pairs)})"))
    new = rewrite_nodes(source, edits) if edits else None
    if new is not None:
        yield (
            "Pass the arguments as pairs",
            f"{func}() takes {takes} arguments and got twice as many: each of its parameters "
            "is a pair of them.",
            new,
            0.75,
        )


def _integer_args(source: str, error: ErrorInfo, kind: str) -> Iterator[Candidate]:
    """``range(n)`` with a str or float ``n``: ``range(int(n))``."""
    tree = parse(source)
    if tree is None:
        return
    row = failing_line(source, error)
    calls = _on_row([(c,) for c in calls_of(tree, "range") if isinstance(c.func, ast.Name)], row)
    edits = [
        (arg, f"int({ast.unparse(arg)})")
        for (call,) in calls
        for arg in call.args
        if not (isinstance(arg, ast.Constant) and type(arg.value) is int)
        and called_name(arg) != "int"
    ]
    new = rewrite_nodes(source, edits) if edits else None
    if new is not None:
        yield (
            "Convert the bound to int",
            f"`range()` takes integers, not a {kind}; the bound is converted with `int()`.",
            new,
            0.85,
        )


def _sum_of_strings(source: str, error: ErrorInfo) -> Iterator[Candidate]:
    """``sum(values)`` over strings of numbers: ``sum(map(float, values))``."""
    tree = parse(source)
    if tree is None:
        return
    calls = [(c,) for c in calls_of(tree, "sum") if isinstance(c.func, ast.Name) and c.args]
    edits = [
        (call.args[0], f"map(float, {ast.unparse(call.args[0])})")
        for (call,) in _on_row(calls, failing_line(source, error))
    ]
    new = rewrite_nodes(source, edits) if edits else None
    if new is not None:
        yield (
            "Convert the items to numbers",
            "`sum()` adds numbers; these items are strings, converted with `float()` first.",
            new,
            0.75,
        )


def _trim_call_args(source: str, func: str, limit: int) -> str | None:
    tree = parse(source)
    if tree is None:
        return None
    edits = []
    for call in calls_of(tree, func):
        if len(call.args) > limit and not any(isinstance(a, ast.Starred) for a in call.args):
            short = ast.Call(func=call.func, args=call.args[:limit], keywords=call.keywords)
            edits.append((call, ast.unparse(short)))
    return rewrite_nodes(source, edits) if edits else None


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
    edits = [e for e in edits if not any(o is not e and contains(e[0], o[0]) for o in edits)]
    return rewrite_nodes(source, edits) if edits else None


# Iterables a two-name loop target already unpacks correctly.
_PAIR_ITERATORS = frozenset({"items", "enumerate", "zip", "iterrows", "itertuples", "range"})
# What a two-name loop over a value of this type most likely meant (kernel type name).
_PAIR_BY_TYPE = {
    "dict": "items",
    "defaultdict": "items",
    "OrderedDict": "items",
    "Counter": "items",
    "DataFrame": "iterrows",
    "list": "enumerate",
    "tuple": "enumerate",
    "str": "enumerate",
    "Series": "enumerate",
    "ndarray": "enumerate",
}
# Characters stripped from a number written for people ("$1,200", "15%").
_NUMBER_DECORATION = " $€£%"


def _on_row(nodes: list, row: int | None) -> list:
    """The nodes on the failing line when the traceback says which; all of them otherwise."""
    if row is None:
        return nodes
    here = [n for n in nodes if getattr(n[-1], "lineno", 0) - 1 == row]
    return here or nodes


def iter_loops(tree: ast.AST) -> Iterator[tuple[ast.expr, ast.expr]]:
    """(target, iterable) of every for loop and comprehension."""
    for node in ast.walk(tree):
        if isinstance(node, ast.For | ast.AsyncFor | ast.comprehension):
            yield node.target, node.iter


def _pair_loops(tree: ast.AST) -> list[tuple[ast.expr, ast.expr]]:
    return [
        (target, it)
        for target, it in iter_loops(tree)
        if isinstance(target, ast.Tuple)
        and len(target.elts) == 2
        and called_name(it) not in _PAIR_ITERATORS
    ]


def looked_up(node: ast.expr) -> str | None:
    """The dotted name the kernel can describe (``d``, ``np.linalg``), if ``node`` is one."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = looked_up(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


def loop_unpacking(source: str, error: ErrorInfo, ctx: Context) -> Iterator[Candidate]:
    """``for k, v in d`` over a dict (``.items()``), a DataFrame, or a list (``enumerate``)."""
    tree = parse(source)
    if tree is None:
        return
    for _target, it in _on_row(_pair_loops(tree), failing_line(source, error)):
        name = looked_up(it)
        kind = (ctx.details(name) or {}).get("type") if name else None
        wanted = _PAIR_BY_TYPE.get(kind or "")
        options = [(wanted, 0.9)] if wanted else [("items", 0.6), ("enumerate", 0.55)]
        for how, confidence in options:
            text = f"enumerate({ast.unparse(it)})" if how == "enumerate" else f"{atom(it)}.{how}()"
            new = rewrite_nodes(source, [(it, text)])
            if new is None:
                continue
            what = f"`{ast.unparse(it)}`" + (f" ({kind})" if kind else "")
            pairs = {
                "items": "its (key, value) pairs",
                "iterrows": "its (index, row) pairs",
                "enumerate": "(index, item) pairs",
            }[how]
            yield (
                f"Loop over `{text}`",
                f"Looping over {what} gives one value per step, not two; `{text}` gives {pairs}.",
                new,
                confidence,
            )


def loop_over_number(source: str, error: ErrorInfo, ctx: Context) -> Iterator[Candidate]:
    """``for i in len(xs)`` / ``for i in n`` / ``for i in df.shape[0]``: a number is not
    iterable; ``range()`` of it is (every such loop of the line at once: ``for r in n for c in
    n``). A loop whose items go through ``int()`` meant the number's digits: ``str(n)``."""
    tree = parse(source)
    if tree is None:
        return
    loops = [(t, it) for t, it in iter_loops(tree) if called_name(it) != "range"]
    row = failing_line(source, error)
    here = _on_row(loops, row)
    scored = []
    for target, it in here:
        name = looked_up(it)
        kind = (ctx.details(name) or {}).get("type") if name else None
        shape = (
            isinstance(it, ast.Subscript)
            and isinstance(it.value, ast.Attribute)
            and it.value.attr == "shape"
        )
        if called_name(it) == "len" or kind == "int" or shape:
            scored.append((target, it, 0.9))
        elif kind is None and (
            name or (len(here) == 1 and row is not None and not isinstance(it, ast.Call))
        ):
            scored.append((target, it, 0.6))
    if not scored:
        return
    digits = [(t, it) for t, it, _ in scored if _converted_to_int(tree, t)]
    if digits and len(digits) == len(scored):
        edits = [(it, f"str({ast.unparse(it)})") for _, it in digits]
        new = rewrite_nodes(source, edits)
        if new is not None:
            yield (
                "Loop over the digits",
                "A number cannot be looped over; its digits can, as the characters of "
                "`str()` of it (each converted back with `int()`).",
                new,
                0.85,
            )
    edits = [(it, f"range({ast.unparse(it)})") for _, it, _ in scored]
    new = rewrite_nodes(source, edits)
    if new is not None:
        text = ", ".join(f"`{ast.unparse(it)}`" for _, it, _ in scored)
        yield (
            "Loop over `range(...)`" if len(scored) > 1 else f"Loop over `{edits[0][1]}`",
            f"{text} is a number, which cannot be looped over; `range()` of it gives 0, 1, ... "
            "up to it.",
            new,
            min(c for _, _, c in scored) - (0.3 if digits else 0.0),
        )


def _converted_to_int(tree: ast.AST, target: ast.expr) -> bool:
    """Whether the loop variable ``target`` is passed to ``int()`` somewhere in the cell."""
    if not isinstance(target, ast.Name):
        return False
    return any(
        called_name(n) == "int"
        and isinstance(n.func, ast.Name)
        and any(isinstance(a, ast.Name) and a.id == target.id for a in n.args)
        for n in ast.walk(tree)
        if isinstance(n, ast.Call)
    )


def _cleanup(bad: str, parse_number: Callable[[str], object]) -> list[str] | None:
    """The str method calls that turn ``bad`` into a number ``parse_number`` accepts."""
    steps, text = [], bad
    if "," in text:
        text = text.replace(",", "")
        steps.append('.replace(",", "")')
    stripped = text.strip(_NUMBER_DECORATION)
    if stripped != text:
        chars = "".join(c for c in _NUMBER_DECORATION if c in text)
        steps.append(f".strip({chars!r})")
        text = stripped
    try:
        parse_number(text)
    except (ValueError, OverflowError):
        return None
    return steps or None


def _convert_calls(tree: ast.AST, func: str, row: int | None) -> list[tuple[ast.Call, ast.expr]]:
    """``func(x)`` calls with one plain argument (``int(x, 16)`` is left alone)."""
    calls = [
        (call, call.args[0])
        for call in calls_of(tree, func)
        if isinstance(call.func, ast.Name)
        and len(call.args) == 1
        and not call.keywords
        and not isinstance(call.args[0], ast.Starred)
    ]
    return _on_row(calls, row)


def _astype_calls(tree: ast.AST, func: str) -> list[ast.Call]:
    """``s.astype(float)`` / ``s.astype("float")`` calls (pandas)."""
    out = []
    for call in calls_of(tree, "astype"):
        arg = call.args[0] if len(call.args) == 1 else None
        if isinstance(call.func, ast.Attribute) and (
            (isinstance(arg, ast.Name) and arg.id == func)
            or (isinstance(arg, ast.Constant) and arg.value == func)
        ):
            out.append(call)
    return out


def value_error(source: str, error: ErrorInfo, ctx: Context) -> Iterator[Candidate]:
    v = error.evalue
    if re.search(r"values to unpack", v):
        yield from loop_unpacking(source, error, ctx)
    if "too many values to unpack" in v:
        yield from _star_rest(source, error)
    m = re.match(r"unconverted data remains: (.+)$", v.strip())
    if m:
        yield from _format_rest(source, error, m.group(1))
    if "truth value of a" in v and "is ambiguous" in v:
        yield from _bitwise_conditions(source, error)
        yield from _whole_comparison(source, error)
    m = re.match(
        r"(?:invalid literal for (int)\(\) with base 10|could not convert string to "
        r"(float)): (['\"])(.*)\3$",
        v.strip(),
    )
    if not m:
        return
    func = m.group(1) or m.group(2)
    bad = m.group(4)
    tree = parse(source)
    if tree is None:
        return
    row = failing_line(source, error)
    steps = _cleanup(bad, int if func == "int" else float)
    if steps:
        edits = [
            (call, f"{func}({atom(arg)}{''.join(steps)})")
            for call, arg in _convert_calls(tree, func, row)
        ]
        edits += [
            (
                call,
                f"{atom(call.func.value)}{''.join('.str' + s for s in steps)}"
                f".astype({ast.unparse(call.args[0])})",
            )
            for call in _astype_calls(tree, func)
            if isinstance(call.func, ast.Attribute)
        ]
        new = rewrite_nodes(source, edits) if edits else None
        if new is not None:
            yield (
                "Clean the number before converting",
                f"{bad!r} is a number written for people; thousands separators and currency or "
                f"percent signs are removed before `{func}()`.",
                new,
                0.85,
            )
    calls = _convert_calls(tree, func, row)
    if not bad.strip():
        edits = [(call, f"{func}({atom(arg)} or 0)") for call, arg in calls]
        new = rewrite_nodes(source, edits) if edits else None
        if new is not None:
            yield (
                "Read an empty field as 0",
                f"`{func}('')` has no number to read; an empty field counts as 0.",
                new,
                0.8,
            )
        return
    unit = re.fullmatch(r"\s*[-+]?\d+(?:\.\d+)?\s*([A-Za-z]+)\s*", bad)
    if unit:
        edits = [
            (call, f"{func}({atom(arg)}.rstrip({' ' + unit.group(1)!r}))") for call, arg in calls
        ]
        new = rewrite_nodes(source, edits) if edits else None
        if new is not None:
            yield (
                f"Drop the unit {unit.group(1)!r}",
                f"{bad!r} is a number followed by a unit; the unit is stripped before `{func}()`.",
                new,
                0.8,
            )
        return
    if func == "int":
        try:
            float(bad)
        except ValueError:
            return
        parents = {c: n for n in ast.walk(tree) for c in ast.iter_child_nodes(n)}
        edits, averaged = [], False
        for call, arg in calls:
            if _summed_or_divided(call, parents):
                averaged = True
                edits.append((call, f"float({ast.unparse(arg)})"))
            else:
                edits.append((call, f"int(float({ast.unparse(arg)}))"))
        new = rewrite_nodes(source, edits) if edits else None
        if new is not None:
            yield (
                "Keep the fraction with float()" if averaged else "Convert through float()",
                f"`int()` does not parse a decimal string such as {bad!r}; "
                + (
                    "the values are summed or divided, so `float(x)` keeps their fractions."
                    if averaged
                    else "`int(float(x))` does (it drops the fraction)."
                ),
                new,
                0.85,
            )


def _summed_or_divided(call: ast.AST, parents: dict) -> bool:
    """Whether ``call``'s value goes into a ``sum()``, a mean or a division (its fraction
    counts there, ``int()`` would drop it)."""
    node = parents.get(call)
    while node is not None and not isinstance(node, ast.stmt):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            return True
        if isinstance(node, ast.Call) and called_name(node) in ("sum", "mean", "fmean", "average"):
            return True
        node = parents.get(node)
    return False


def _star_rest(source: str, error: ErrorInfo) -> Iterator[Candidate]:
    """``x, y = point`` with more items: ``x, y, *_ = point`` keeps the first ones."""
    tree = parse(source)
    if tree is None:
        return
    targets = [
        (t,)
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        for t in node.targets
        if isinstance(t, ast.Tuple) and not any(isinstance(e, ast.Starred) for e in t.elts)
    ]
    for (target,) in _on_row(targets, failing_line(source, error)):
        new = rewrite_nodes(source, [(target, ", ".join(map(ast.unparse, target.elts)) + ", *_")])
        if new is not None:
            yield (
                "Ignore the extra values",
                "The value has more items than names; `*_` takes the rest, so the names get the "
                "first ones.",
                new,
                0.6,
            )


def _bitwise_conditions(source: str, error: ErrorInfo) -> Iterator[Candidate]:
    """``a > 1 and b < 2`` on pandas/numpy values -> ``(a > 1) & (b < 2)``."""
    tree = parse(source)
    if tree is None:
        return
    bool_ops = [n for n in ast.walk(tree) if isinstance(n, ast.BoolOp)]
    inner = {id(d) for n in bool_ops for v in n.values for d in ast.walk(v)}
    ops = [(n,) for n in bool_ops if id(n) not in inner]
    edits = [(n, _bitwise(n)) for (n,) in _on_row(ops, failing_line(source, error))]
    new = rewrite_nodes(source, edits) if edits else None
    if new is not None:
        yield (
            "Combine conditions with `&` / `|`",
            "`and`/`or` ask for one True or False, which a Series or array does not have; "
            "element-wise conditions combine with `&`, `|` (each side in parentheses).",
            new,
            0.85,
        )


# What a strptime format left unread looks like -> the directives that read it.
_FORMAT_RESTS = (
    (re.compile(r":\d{2}"), ":%S"),
    (re.compile(r":\d{2}\.\d{1,6}"), ":%S.%f"),
    (re.compile(r"\.\d{1,6}"), ".%f"),
    (re.compile(r" ?[AaPp][Mm]"), " %p"),
    (re.compile(r"[+-]\d{2}:?\d{2}|Z"), "%z"),
)


def _axis_keyword(source: str, error: ErrorInfo, method: str, limit: int) -> Iterator[Candidate]:
    """``df.drop("tmp", 1)``: pandas 2 made ``axis`` keyword-only; a trailing 0/1 (or
    "index"/"columns") past the positional limit is ``axis=``."""
    tree = parse(source)
    if tree is None:
        return
    calls = [(c,) for c in calls_of(tree, method) if isinstance(c.func, ast.Attribute)]
    for (call,) in _on_row(calls, failing_line(source, error)):
        last = call.args[-1] if call.args else None
        if not (
            len(call.args) == limit  # the method itself counts as one of the limit
            and isinstance(last, ast.Constant)
            and last.value in (0, 1, "index", "columns", "rows")
            and not isinstance(last.value, bool)
        ):
            continue
        args = [_source(source, a) for a in call.args[:-1]]
        keywords = [ast.get_source_segment(source, k) or ast.unparse(k) for k in call.keywords]
        text = (
            f"{_source(source, call.func)}({', '.join([*args, f'axis={last.value!r}', *keywords])})"
        )
        new = rewrite_nodes(source, [(call, text)])
        if new is not None:
            yield (
                "Give the axis as a keyword",
                f"{method}() takes `axis` by keyword only (pandas 2); `axis={last.value!r}`.",
                new,
                0.85,
            )
            return


def _format_rest(source: str, error: ErrorInfo, rest: str) -> Iterator[Candidate]:
    """``strptime('14:30:59', '%H:%M')``: the text goes on past the format (seconds, a
    fraction, AM/PM, a zone); the format gets the directives that read the rest."""
    add = next((d for pattern, d in _FORMAT_RESTS if pattern.fullmatch(rest)), None)
    tree = parse(source)
    if add is None or tree is None:
        return
    if add == " %p" and not rest.startswith(" "):
        add = "%p"
    calls = [(c,) for c in calls_of(tree, "strptime") if len(c.args) == 2]
    for (call,) in _on_row(calls, failing_line(source, error)):
        fmt = call.args[1]
        if not (isinstance(fmt, ast.Constant) and isinstance(fmt.value, str)):
            continue
        new = replace_constant(source, fmt, fmt.value + add)
        if new is not None:
            yield (
                f"Read {rest!r} with {add.strip()}",
                f"The text goes on past the format ({rest!r} is left); `{add.strip()}` reads it.",
                new,
                0.85,
            )
            return


def _whole_comparison(source: str, error: ErrorInfo) -> Iterator[Candidate]:
    """``if a == b:`` on arrays compares item by item; equal as a whole is
    ``(a == b).all()``, different anywhere ``(a != b).any()``."""
    tree = parse(source)
    if tree is None:
        return
    tests = [
        (n.test,)
        for n in ast.walk(tree)
        if isinstance(n, ast.If | ast.While | ast.Assert | ast.IfExp)
        and isinstance(n.test, ast.Compare)
        and len(n.test.ops) == 1
        and isinstance(n.test.ops[0], ast.Eq | ast.NotEq)
    ]
    for (test,) in _on_row(tests, failing_line(source, error)):
        how = "all" if isinstance(test.ops[0], ast.Eq) else "any"
        new = rewrite_nodes(source, [(test, f"({_source(source, test)}).{how}()")])
        if new is not None:
            yield (
                f"Compare the whole arrays with .{how}()",
                "`==` between arrays compares each item and gives an array of answers; "
                f"`.{how}()` makes it one.",
                new,
                0.85,
            )
            return


def _bitwise(node: ast.expr) -> str:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        inner = node.operand
        return "~" + (f"({_bitwise(inner)})" if isinstance(inner, ast.BoolOp) else atom(inner))
    if not isinstance(node, ast.BoolOp):
        return atom(node)
    op = " & " if isinstance(node.op, ast.And) else " | "
    return op.join(
        f"({_bitwise(v)})" if isinstance(v, ast.BoolOp) else _bitwise(v) for v in node.values
    )
