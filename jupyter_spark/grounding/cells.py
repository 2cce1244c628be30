"""What the notebook's cells say a name is, read with ``ast`` (no kernel needed, nothing run).

A cell not run yet still tells the model a lot: ``cfg = {"lr": 0.1, "warmup_steps": 500}`` gives
``cfg['``'s keys, ``class Trip: def __init__(self, km): self.km = km`` and ``t = Trip(3)`` give
``t.``'s attributes and ``Trip(``'s keywords, ``df["margin"] = ...`` adds a column, ``import
geo_utils as gu`` says which module ``gu.`` is. Each cell is read once per source (cached); the
candidate layer asks per name, through the notebook's index of which cells define it.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from functools import lru_cache
from types import MappingProxyType

from ..context.analysis import strip_ipython
from ..context.config import ANALYSIS_CACHE_CELLS
from ..kernel.state import Members


@dataclass(frozen=True)
class CellFacts:
    """Per top-level name: what a cell binds it to."""

    members: MappingProxyType[str, Members]  # dicts, functions, classes, instances
    instance_of: MappingProxyType[str, str]  # name -> class name (``t = Trip(3)``)
    imports: MappingProxyType[str, str]  # alias -> dotted module or module.name
    added_keys: MappingProxyType[str, tuple[str, ...]]  # ``x['k'] = ...`` keys per name
    names: frozenset[str] = field(default=frozenset())  # everything the cell binds


# Parses tried on code that does not parse, each cut before the statement holding the error.
PARTIAL_PARSE_TRIES = 8

_EMPTY = CellFacts(
    MappingProxyType({}), MappingProxyType({}), MappingProxyType({}), MappingProxyType({})
)


@lru_cache(maxsize=ANALYSIS_CACHE_CELLS)
def cell_facts(source: str) -> CellFacts:
    """The facts of one code cell (of the statements before the first that does not parse)."""
    body, _ = parse_tolerant(strip_ipython(source))
    return _facts(body) if body else _EMPTY


def parse_tolerant(source: str) -> tuple[list[ast.stmt], bool]:
    """(top-level statements, parsed whole). Code being typed, or a file with a syntax error:
    the statements before the top-level one that fails to parse."""
    lines = source.split("\n")
    end = len(lines)
    for _ in range(PARTIAL_PARSE_TRIES):
        try:
            return ast.parse("\n".join(lines[:end])).body, end == len(lines)
        except SyntaxError as e:  # cut before the top-level statement holding the error
            end = min(end - 1, (e.lineno or end) - 1)
        except (ValueError, RecursionError, MemoryError):
            end -= 1
        while end > 0 and lines[end][:1] in ("", " ", "\t", ")", "]", "}", "#"):
            end -= 1
        if end <= 0:
            break
    return [], False


def _facts(body: list[ast.stmt]) -> CellFacts:
    members: dict[str, Members] = {}
    instance_of: dict[str, str] = {}
    imports: dict[str, str] = {}
    added: dict[str, list[str]] = {}
    names: set[str] = set()
    for node in top_level_statements(body):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            members[node.name] = function_members(node.args)
            names.add(node.name)
        elif isinstance(node, ast.ClassDef):
            members[node.name] = class_members(node)
            names.add(node.name)
        elif isinstance(node, ast.Import):
            for a in node.names:
                alias = a.asname or a.name.split(".")[0]
                imports[alias] = a.name if a.asname else a.name.split(".")[0]
                names.add(alias)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            for a in node.names:
                if a.name != "*":
                    imports[a.asname or a.name] = f"{node.module}.{a.name}"
                    names.add(a.asname or a.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            value = node.value
            for t in targets:
                for name in bound_names(t):
                    names.add(name)
                if isinstance(t, ast.Name) and value is not None:
                    m = value_members(value)
                    if m is not None:
                        members[t.id] = m
                    else:
                        members.pop(t.id, None)
                    cls = _constructed_class(value)
                    if cls:
                        instance_of[t.id] = cls
                    else:
                        instance_of.pop(t.id, None)
                key = _assigned_key(t)
                if key is not None:
                    added.setdefault(key[0], []).append(key[1])
        elif isinstance(node, ast.For | ast.AsyncFor | ast.With | ast.AsyncWith):
            targets = (
                [node.target]
                if isinstance(node, ast.For | ast.AsyncFor)
                else [i.optional_vars for i in node.items if i.optional_vars is not None]
            )
            for t in targets:
                names.update(bound_names(t))
    return CellFacts(
        MappingProxyType(members),
        MappingProxyType(instance_of),
        MappingProxyType(imports),
        MappingProxyType({k: tuple(v) for k, v in added.items()}),
        frozenset(names),
    )


def top_level_statements(body: list[ast.stmt]):
    """Top-level statements, looking into ``if``/``try``/``with`` blocks (still module level)."""
    for node in body:
        yield node
        if isinstance(node, ast.If | ast.Try | ast.With):
            for part in ("body", "orelse", "finalbody"):
                yield from top_level_statements(getattr(node, part, []))
            for h in getattr(node, "handlers", []):
                yield from top_level_statements(h.body)


def bound_names(t: ast.AST) -> list[str]:
    if isinstance(t, ast.Name):
        return [t.id]
    if isinstance(t, ast.Tuple | ast.List):
        return [n for e in t.elts for n in bound_names(e)]
    if isinstance(t, ast.Starred):
        return bound_names(t.value)
    return []


def _assigned_key(t: ast.AST) -> tuple[str, str] | None:
    """``df['margin'] = ...`` -> ("df", "margin")."""
    if (
        isinstance(t, ast.Subscript)
        and isinstance(t.value, ast.Name)
        and isinstance(t.slice, ast.Constant)
        and isinstance(t.slice.value, str)
    ):
        return t.value.id, t.slice.value
    return None


def _constructed_class(value: ast.AST) -> str:
    """``Trip(3)`` -> "Trip" (a capitalised callee: a class by convention)."""
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Name):
        name = value.func.id
        return name if name[:1].isupper() else ""
    return ""


def function_members(args: ast.arguments, drop_first: bool = False) -> Members:
    positional = [a.arg for a in args.args]
    if drop_first and positional:
        positional = positional[1:]
    params = (*positional, *(a.arg for a in args.kwonlyargs))
    return Members(params=params, n_positional=len(positional), var_kwargs=args.kwarg is not None)


def class_members(node: ast.ClassDef) -> Members:
    """Methods, class attributes, dataclass fields and ``self.x`` attributes; __init__'s (or
    the dataclass fields') keywords."""
    attrs: list[str] = []
    methods: dict[str, Members] = {}  # a method's keywords, for ``obj.fit(X, sample_w``
    fields: list[str] = []
    params: tuple[str, ...] | None = None
    n_positional: int | None = None
    var_kwargs = False
    dataclass_like = any(
        (isinstance(d, ast.Name) and d.id in ("dataclass", "define", "frozen"))
        or (isinstance(d, ast.Attribute) and d.attr in ("dataclass", "define"))
        or (isinstance(d, ast.Call) and _decorator_name(d.func) in ("dataclass", "define"))
        for d in node.decorator_list
    ) or any(_decorator_name(b) in ("BaseModel", "NamedTuple", "TypedDict") for b in node.bases)
    for stmt in node.body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            attrs.append(stmt.name)
            static = any(_decorator_name(d) == "staticmethod" for d in stmt.decorator_list)
            methods[stmt.name] = function_members(stmt.args, drop_first=not static)
            if stmt.name == "__init__":
                m = function_members(stmt.args, drop_first=True)
                params, n_positional, var_kwargs = m.params, m.n_positional, m.var_kwargs
            attrs.extend(_self_stores(stmt.body))
        elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            attrs.append(stmt.target.id)
            fields.append(stmt.target.id)
        elif isinstance(stmt, ast.Assign):
            for t in stmt.targets:
                attrs.extend(bound_names(t))
    if params is None and dataclass_like:
        params = tuple(fields)
    computed = any(
        isinstance(st, ast.FunctionDef | ast.AsyncFunctionDef)
        and st.name in ("__getattr__", "__getattribute__")
        for st in node.body
    )
    return Members(
        attrs=tuple(dict.fromkeys(a for a in attrs if not a.startswith("__"))),
        open_attrs=computed,  # attributes it computes: ``obj.`` is not a closed set
        params=params or (),
        n_positional=n_positional,
        var_kwargs=var_kwargs,
        items=MappingProxyType(methods),
    )


def _self_stores(body: list[ast.stmt]) -> list[str]:
    """``self.x = ...`` (and ``self.x: T``, ``self.x += ``, ``for self.x in``, ``with .. as
    self.x``) anywhere in a method's statements; expressions are not walked (fast on big
    classes: statements are a tenth of the nodes)."""
    out: list[str] = []
    stack = list(body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AnnAssign | ast.AugAssign | ast.For | ast.AsyncFor):
            targets = [node.target]
        elif isinstance(node, ast.With | ast.AsyncWith):
            targets = [i.optional_vars for i in node.items if i.optional_vars is not None]
        else:
            targets = []
        for t in targets:
            for e in t.elts if isinstance(t, ast.Tuple | ast.List) else [t]:
                if (
                    isinstance(e, ast.Attribute)
                    and isinstance(e.value, ast.Name)
                    and e.value.id == "self"
                ):
                    out.append(e.attr)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue  # a nested scope's ``self`` is another object
        for field_name in ("body", "orelse", "finalbody", "handlers", "cases"):
            stack.extend(getattr(node, field_name, ()))
    out.reverse()
    return out


def _decorator_name(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def value_members(value: ast.AST, depth: int = 0) -> Members | None:
    """A dict literal's keys (and its nested dicts'), ``dict(a=1)``'s keywords; else None."""
    if isinstance(value, ast.Dict):
        keys, items = [], {}
        for k, v in zip(value.keys, value.values, strict=False):
            if isinstance(k, ast.Constant) and isinstance(k.value, str):
                keys.append(k.value)
                if depth < 3 and v is not None:
                    sub = value_members(v, depth + 1)
                    if sub is not None:
                        items[k.value] = sub
        return Members(keys=tuple(keys), items=MappingProxyType(items))
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "dict":
        return Members(keys=tuple(k.arg for k in value.keywords if k.arg))
    return None
