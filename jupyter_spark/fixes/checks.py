"""Bugs the live kernel can see before the cell runs: keys, attributes, keywords, shapes, APIs.

The cell is read with ``ast`` and each value it reads is followed through the same layer that
grounds completions (``grounding.resolve``: the kernel's snapshot, the other cells, the
project), so a finding and a suggestion always agree on what exists. Only closed sets are
trusted: a DataFrame's columns, a dict's keys (when the probe listed them all), an instance's
attributes (not when its type computes them), a signature without ``**kwargs``.

Conservative by construction (a wrong underline costs more than a missed one):
- only code that runs when the cell runs: bodies of ``def``/``class`` and ``lambda`` are not
  checked (their names are parameters, not the kernel's values);
- a name the cell binds (or passes to a call, which may mutate it) is not checked after that
  statement; a key the cell assigns (``df['new'] = ...``) exists from then on;
- nothing under ``if False:``, inside ``try`` blocks that catch the error it would raise,
  under ``if 'k' in d:`` / ``hasattr(o, 'a')`` for that key or attribute, or in ``d.get(..)``.
Each finding carries a fix only where it is certain: the one existing name close to the typo,
the modern spelling of a removed API.
"""

from __future__ import annotations

import ast
import builtins
import functools
import importlib.util
import inspect
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..context.analysis import strip_ipython
from ..grounding import Knowledge, resolve
from ..grounding.cells import parse_tolerant
from ..grounding.sites import COLUMN_ARGUMENTS, Path, Step
from ..kernel import Members

# The probe lists keys up to this many: a list this long may be cut, so a key missing from it
# proves nothing.
from ..kernel.state import MAX_MEMBERS
from .apis import RemovedArgument, removed_api, removed_arguments, removed_module
from .chained import MESSAGE as CHAINED_MESSAGE
from .chained import inplace_on_columns, loc_target
from .toolkit import certain
from .types import Diagnostic, Fix, make_fix

# Methods that change their object's keys or attributes in place.
MUTATING = frozenset(
    {
        "update",
        "setdefault",
        "pop",
        "popitem",
        "clear",
        "insert",
        "eval",
        "rename",
        "set_index",
        "reset_index",
        "drop",
        "__setitem__",
        "__setattr__",
        "add",
        "load_state_dict",
    }
)
# Exceptions whose handler makes a lookup inside the ``try`` a test, not a bug.
_CATCHES = {
    "missing-key": {"KeyError", "LookupError", "Exception", "BaseException"},
    "missing-attribute": {"AttributeError", "Exception", "BaseException"},
    "bad-call": {"TypeError", "Exception", "BaseException"},
    "shape-mismatch": {"ValueError", "Exception", "BaseException"},
}
# A DataFrame summary's index: its type and its name, e.g. "; index: Index region"
_INDEX = re.compile(r"; index: (\w+)(?: (.+))?$")
_FROM = re.compile(r"\(from ([\w.]+)\)$")  # a kernel function's summary: where it is defined
_SHAPE = re.compile(r"^(?:\w+ \(ndarray\)|ndarray) \(([\d, ]*)\)")
_SERIES_LEN = re.compile(r"^Series (\d+) ")  # the probe's summary of a Series: its length
_FRAME_ROWS = re.compile(r"^DataFrame (\d+)x\d+")  # ...of a DataFrame: rows x columns


@dataclass
class _Scope:
    """What the statements so far changed, and what guards the current one."""

    rebound: set[str] = field(default_factory=set)
    keys: set[tuple[str, str]] = field(default_factory=set)
    caught: frozenset[str] = frozenset()
    guarded: frozenset[tuple[str, str]] = frozenset()
    # shapes of arrays the cell made so far (``m = X.mean(axis=1)``), shared with inner scopes
    shapes: dict[str, tuple[int, ...]] = field(default_factory=dict)
    conditional: bool = False  # inside an ``if`` / ``try``: an assignment may not happen


def kernel_checks(
    source: str,
    knowledge: Knowledge,
    versions: Mapping[str, str] | None = None,
    others: tuple[str, ...] = (),
) -> list[Diagnostic]:
    """Findings of the cell ``source`` against what ``knowledge`` holds (kernel first);
    ``others``: the notebook's other code cells (a key or attribute one of them sets is not
    missing: that cell may run first); ``versions``: package -> version, overriding the
    installed ones."""
    code = strip_ipython(source)
    body, _ = parse_tolerant(code)
    if not body:
        return []
    others = others or tuple(knowledge.cell_sources)
    checker = _Checker(source, knowledge, versions or {}, others)
    checker.block(body, _Scope())
    frames = {v.name for v in (knowledge.kernel.variables if knowledge.kernel else ())
              if v.kind == "DataFrame"}  # fmt: skip
    for stmt, new, title in inplace_on_columns(code, frames.__contains__):
        if code == source:  # (spans are of the cell as written)
            fix = make_fix(title, CHAINED_MESSAGE, "diagnostic", source, new, 0.9)
            checker._report_at("chained-assignment", stmt, CHAINED_MESSAGE, (fix,))
    return checker.found


class _Checker:
    def __init__(
        self,
        source: str,
        knowledge: Knowledge,
        versions: Mapping[str, str],
        others: tuple[str, ...] = (),
    ) -> None:
        self.others = others
        self.source = source
        self.lines = source.split("\n")
        self.k = knowledge
        self.versions = versions
        self.found: list[Diagnostic] = []
        # ``def``s by name (this cell's as they come, others' when asked; None: unknown)
        self._defs: dict[str, ast.FunctionDef | ast.AsyncFunctionDef | None] = {}
        self._seen: set[tuple[str, int, int]] = set()

    # -- statements ----------------------------------------------------------------------

    def block(self, body: list[ast.stmt], scope: _Scope) -> None:
        for stmt in body:
            self.statement(stmt, scope)

    def statement(self, stmt: ast.stmt, scope: _Scope) -> None:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            for d in stmt.decorator_list:
                self.expression(d, scope)
            scope.rebound.add(stmt.name)
            if not isinstance(stmt, ast.ClassDef):
                self._defs[stmt.name] = None if stmt.decorator_list else stmt
            return
        if isinstance(stmt, ast.If):
            self.expression(stmt.test, scope)
            if not _always_false(stmt.test):
                caught = scope.caught
                if any(
                    isinstance(n, ast.Attribute) and n.attr in ("shape", "ndim", "size")
                    for n in ast.walk(stmt.test)
                ):  # ``if X.shape[1] == W.shape[0]:`` tests the shapes it then uses
                    caught = caught | {"ValueError"}
                inner = _Scope(scope.rebound, scope.keys, caught, scope.guarded, scope.shapes, True)
                inner.guarded = scope.guarded | _guards(stmt.test)
                self.block(stmt.body, inner)
            self.block(stmt.orelse, scope)
            return
        if isinstance(stmt, ast.Try | getattr(ast, "TryStar", ast.Try)):
            caught = set(scope.caught)
            for h in stmt.handlers:
                caught |= _handled(h.type)
            inner = _Scope(
                scope.rebound, scope.keys, frozenset(caught), scope.guarded, scope.shapes, True
            )
            self.block(stmt.body, inner)
            for h in stmt.handlers:
                if h.name:
                    scope.rebound.add(h.name)
                self.block(h.body, scope)
            self.block(stmt.orelse, scope)
            self.block(stmt.finalbody, scope)
            return
        if isinstance(stmt, ast.For | ast.AsyncFor | ast.While):
            if not isinstance(stmt, ast.While):
                self.expression(stmt.iter, scope)
                scope.rebound.update(_bound(stmt.target))
            else:
                self.expression(stmt.test, scope)
            # the body may run after itself: what it rebinds is unknown from the start
            scope.rebound.update(_rebinds(stmt.body))
            for name in _rebinds(stmt.body):
                scope.shapes.pop(name, None)
            self.block(stmt.body, scope)
            self.block(stmt.orelse, scope)
            return
        if isinstance(stmt, ast.With | ast.AsyncWith):
            for item in stmt.items:
                self.expression(item.context_expr, scope)
                if item.optional_vars is not None:
                    scope.rebound.update(_bound(item.optional_vars))
            self.block(stmt.body, scope)
            return
        if isinstance(stmt, ast.Assign | ast.AnnAssign | ast.AugAssign):
            value = stmt.value
            if value is not None:
                self.expression(value, scope)
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            shape = None
            if value is not None and not isinstance(stmt, ast.AugAssign):
                # (no comprehension or lambda variable is reached: _shape does not enter them)
                shape = self._shape(value, scope, set())
            for t in targets:
                if isinstance(t, ast.Subscript) and value is not None and shape is not None:
                    self._column_length(t, value, shape, scope)
                self._target(t, scope, augmented=isinstance(stmt, ast.AugAssign))
                if isinstance(t, ast.Name):
                    scope.shapes.pop(t.id, None)
                    if shape is not None and not scope.conditional:
                        scope.shapes[t.id] = shape
            return
        if isinstance(stmt, ast.Import | ast.ImportFrom):
            modules = [stmt.module or ""] if isinstance(stmt, ast.ImportFrom) else []
            modules += [a.name for a in stmt.names] if isinstance(stmt, ast.Import) else []
            if isinstance(stmt, ast.ImportFrom) and stmt.module:
                modules += [f"{stmt.module}.{a.name}" for a in stmt.names]
            for module in modules:
                gone = removed_module(module, self.versions)
                if gone is not None:
                    self._removed_import(stmt, module, *gone)
            for a in stmt.names:
                scope.rebound.add((a.asname or a.name).split(".")[0])
            return
        if isinstance(stmt, ast.Delete):
            for t in stmt.targets:
                root = _root_name(t)
                if root:
                    scope.rebound.add(root)
            return
        if isinstance(stmt, ast.Global | ast.Nonlocal | ast.Pass | ast.Break | ast.Continue):
            return
        for child in ast.iter_child_nodes(stmt):
            if isinstance(child, ast.expr):
                self.expression(child, scope)
        if isinstance(stmt, ast.Match):
            scope.rebound.update(_rebinds([stmt]))

    def _target(self, t: ast.expr, scope: _Scope, augmented: bool) -> None:
        if isinstance(t, ast.Subscript) and isinstance(t.value, ast.Subscript):
            self._chained_assignment(t, scope)
        if isinstance(t, ast.Subscript):
            # ``df['new'] = ...`` adds the key; ``df['a']['b'] = ..`` reads df['a']
            self.expression(t.value, scope)
            if augmented:
                self.expression(t, scope)
            root, key = _root_name(t.value), _const_str(t.slice)
            if root and key is not None:
                scope.keys.add((root, key))
            elif root:
                scope.rebound.add(root)  # ``x[k] = ...`` with a computed key
            return
        if isinstance(t, ast.Attribute):
            self.expression(t.value, scope)
            root = _root_name(t.value)
            if root:
                scope.keys.add((root, "." + t.attr))
            return
        scope.rebound.update(_bound(t))

    def _chained_assignment(self, t: ast.Subscript, scope: _Scope) -> None:
        """``df[mask]['col'] = v`` assigns to a copy and leaves the kernel's DataFrame as it
        was (pandas' Copy-on-Write; a SettingWithCopyWarning before): ``df.loc[mask, 'col']``
        (chained.py spells it, for ``.loc`` / ``.iloc`` selections too)."""
        kernel = self.k.kernel
        if kernel is None:
            return
        frames = {v.name for v in kernel.variables if v.kind == "DataFrame"} - scope.rebound
        text = "\n".join(self.lines)
        target = loc_target(t, text, frames.__contains__)
        if target is None:
            return
        frame = target.split(".loc[", 1)[0]
        new = self._spliced([(t, target)])
        fix = (
            make_fix(
                f"Assign through {frame}.loc", "one step, so the DataFrame itself changes",
                "diagnostic", self.source, new, 0.9,
            ),
        ) if new is not None else ()  # fmt: skip
        self._report_at(
            "chained-assignment",
            t,
            f"{frame}[...][...] = ... assigns to a copy: {frame} is left unchanged; "
            f"use {frame}.loc[rows, column] = ...",
            fix,
        )

    # -- expressions ---------------------------------------------------------------------

    def expression(self, node: ast.expr, scope: _Scope) -> None:
        local = _scoped_names(node)  # comprehension and lambda variables
        passed: set[str] = set()
        for sub in _walk_runs(node):
            if isinstance(sub, ast.Subscript) and isinstance(sub.ctx, ast.Load):
                self._subscript(sub, scope, local)
            elif isinstance(sub, ast.Attribute) and isinstance(sub.ctx, ast.Load):
                self._attribute(sub, scope, local)
            elif isinstance(sub, ast.Call):
                self._call(sub, scope, local)
                self._shapes(sub, scope, local)
                self._joined(sub, scope, local)
                self._reshape(sub, scope, local)
                self._removed_arguments(sub)
                self._column_arguments(sub, scope, local)
                passed |= _mutated_by(sub) - self._unchanged_by(sub)
            elif isinstance(sub, ast.BinOp) and isinstance(
                sub.op, ast.MatMult | ast.Add | ast.Sub | ast.Mult | ast.Div
            ):
                self._shapes(sub, scope, local)
            elif (
                isinstance(sub, ast.Compare)
                and len(sub.ops) == 1
                and isinstance(sub.ops[0], ast.Lt | ast.LtE | ast.Gt | ast.GtE)
            ):
                self._shapes(sub, scope, local)  # (== on arrays of other shapes only warns)
        scope.rebound |= passed

    def _path(self, node: ast.expr, scope: _Scope, local: set[str]) -> Path | None:
        """The path of ``node`` when its root is a name the cell has not rebound."""
        steps: list[Step] = []
        while True:
            if isinstance(node, ast.Attribute):
                steps.append(Step("attr", node.attr))
                node = node.value
            elif isinstance(node, ast.Subscript):
                key = _const_str(node.slice)
                steps.append(Step("key", key) if key is not None else Step("index"))
                node = node.value
            elif isinstance(node, ast.Call):
                f = node.func
                steps.append(Step("call", f.attr if isinstance(f, ast.Attribute) else ""))
                node = f
            else:
                break
        if not isinstance(node, ast.Name) or node.id in scope.rebound or node.id in local:
            return None
        return Path(node.id, tuple(reversed(steps)))

    def _subscript(self, sub: ast.Subscript, scope: _Scope, local: set[str]) -> None:
        if "missing-key" in self._caught(scope):
            return
        frame, index = sub.value, sub.slice
        loc = (
            isinstance(frame, ast.Attribute)
            and frame.attr in ("loc", "at")
            and isinstance(index, ast.Tuple)
            and len(index.elts) == 2
        )
        if loc:  # ``df.loc[rows, 'col']``: the column position names a column
            frame, index = frame.value, index.elts[1]  # type: ignore[attr-defined]
        key = _const_str(index)
        # ``df[['a', 'b']]``: each name of a list of columns is a key of the frame
        listed = loc or (isinstance(index, ast.List) and key is None)
        if loc and isinstance(index, ast.Tuple):
            return  # ``.loc[rows, ('a', 'b')]``: a MultiIndex column
        wanted = _names_in(index) if listed else [(key, index)] if key is not None else []
        if not wanted:
            return
        path = self._path(frame, scope, local)
        if path is None:
            return
        r = resolve(path, self.k)
        kinds = ("DataFrame",) if listed else ("dict", "DataFrame", "Series", "NpzFile", "")
        if r is None or r.kind not in kinds:
            return
        keys = r.members.keys
        if not keys or len(keys) >= MAX_MEMBERS:
            return
        if r.kind == "" and not path.steps and not self._kernel_holds(path.root):
            return  # a static dict literal of another cell: it may have grown since
        for key, node in wanted:
            assert key is not None
            if key in keys or (path.root, key) in scope.keys or (path.root, key) in scope.guarded:
                continue
            if self._set_elsewhere(path.root, rf"['\"]{re.escape(key)}['\"]"):
                continue
            # (a Series' keys are its string labels, listed only for a plain Index of them)
            self._report(
                "missing-key",
                node,
                f"{path} has no key {key!r}" + _known(keys),
                key,
                keys,
            )

    def _module_attribute(self, node: ast.Attribute, path: Path) -> None:
        """``np.arrange``: a name the module the kernel imported does not have. A module with a
        ``__getattr__`` (NumPy's) may make names up: there only a certain typo of an existing
        name that is no submodule counts."""
        module = self._module_of(path.root) or ""
        r = resolve(path, self.k)
        if r is None or r.kind != "module" or node.attr.startswith("_"):
            return
        attrs = r.members.attrs
        if not attrs or node.attr in attrs or len(attrs) >= MAX_MEMBERS:
            return
        if node.attr in r.members.items or _submodule(f"{module}.{node.attr}", self.others):
            return
        if r.members.open_attrs:
            return
        if r.members.lazy_attrs and certain(node.attr, attrs) is None:
            return
        self._report(
            "missing-attribute",
            node,
            f"module {module!r} has no attribute {node.attr!r}",
            node.attr,
            attrs,
            attr=True,
        )

    def _column_arguments(self, call: ast.Call, scope: _Scope, local: set[str]) -> None:
        """``df.groupby('regoin')``, ``df.drop(columns=['a'])``: names the frame has neither as
        a column nor as its index's name."""
        f = call.func
        if not isinstance(f, ast.Attribute) or "missing-key" in self._caught(scope):
            return
        if f.attr == "merge":
            if isinstance(f.value, ast.Name) and self._module_of(f.value.id) == "pandas":
                left, right = _argument(call, 0, "left"), _argument(call, 1, "right")
            else:
                left, right = f.value, _argument(call, 0, "right")
            self._merge_keys(call, left, right, scope, local)
            return
        spec = COLUMN_ARGUMENTS.get(f.attr)
        if spec is None:
            return
        position, keywords = spec
        given = [kw.value for kw in call.keywords if kw.arg in keywords]
        if position is not None and position < len(call.args):
            given.append(call.args[position])
        self._columns_of(f.value, given, scope, local)

    def _merge_keys(
        self,
        call: ast.Call,
        left: ast.expr | None,
        right: ast.expr | None,
        scope: _Scope,
        local: set[str],
    ) -> None:
        """``a.merge(b, on='id')`` and ``pd.merge(a, b, left_on=...)``: ``on`` names a column
        of both frames, ``left_on`` / ``right_on`` one of each side."""
        for kw in call.keywords:
            sides = {"on": (left, right), "left_on": (left,), "right_on": (right,)}.get(
                kw.arg or ""
            )
            for frame in sides or ():
                if frame is not None and self._columns_of(frame, [kw.value], scope, local):
                    break  # one finding per name, not one per frame

    def _columns_of(
        self, frame: ast.expr, given: list[ast.expr], scope: _Scope, local: set[str]
    ) -> bool:
        """Each string in ``given`` must be a column (or the index's name) of ``frame``, a
        DataFrame the kernel holds that the cell has not rebound. True when one was not."""
        if not given:
            return False
        path = self._path(frame, scope, local)
        if path is None or path.steps or not self._kernel_holds(path.root):
            return False
        r = resolve(path, self.k)
        if r is None or r.kind != "DataFrame":
            return False
        keys = r.members.keys
        if not keys or len(keys) >= MAX_MEMBERS:
            return False
        var = next(v for v in self.k.kernel.variables if v.name == path.root)  # type: ignore[union-attr]
        index = _INDEX.search(var.summary)
        if index is not None and index.group(1) == "MultiIndex":
            return False  # level names the summary does not list
        reported = False
        allowed = set(keys) | ({index.group(2)} if index is not None and index.group(2) else set())
        for node in given:
            for key, at in _names_in(node):
                if key in allowed or (path.root, key) in scope.keys:
                    continue
                if self._set_elsewhere(path.root, rf"['\"]{re.escape(key)}['\"]"):
                    continue
                self._report(
                    "missing-key",
                    at,
                    f"{path} has no column {key!r}" + _known(keys),
                    key,
                    keys,
                )
                reported = True
        return reported

    def _attribute(self, node: ast.Attribute, scope: _Scope, local: set[str]) -> None:
        if node.attr.startswith("__") or "missing-attribute" in self._caught(scope):
            return
        path = self._path(node.value, scope, local)
        if path is None or (path.root, "." + node.attr) in scope.keys:
            return
        if (path.root, "." + node.attr) in scope.guarded or (path.root, ".*") in scope.guarded:
            return
        if self._set_elsewhere(path.root, rf"\.{re.escape(node.attr)}\s*=(?!=)|setattr\("):
            return
        removed = removed_api(path, node.attr, self.k, self.versions)
        if removed is not None:
            self._removed(node, removed)
            return
        if not path.steps and self._module_of(path.root) is not None:
            self._module_attribute(node, path)
            return
        if not self._kernel_holds(path.root):
            return  # only a value the kernel holds (its real type) is a closed set
        r = resolve(path, self.k)
        if r is None or r.kind in ("module", "function", "class", "type", "") or not r.kind:
            return
        if path.steps and not r.members.kind:
            return  # reached through steps the probe did not type (a dict's value, a call)
        m = r.members
        if m.open_attrs or not m.attrs or node.attr in m.attrs or len(m.attrs) >= MAX_MEMBERS:
            return
        self._report(
            "missing-attribute",
            node,
            f"{r.kind} {str(path)!r} has no attribute {node.attr!r}",
            node.attr,
            m.attrs,
            attr=True,
        )

    def _call(self, call: ast.Call, scope: _Scope, local: set[str]) -> None:
        if "bad-call" in self._caught(scope):
            return
        path = self._path(call.func, scope, local)
        if path is None:
            return
        if self._kernel_holds(path.root, modules=True):
            m = self._callee(path)
        elif not path.steps and self._is_builtin(path.root):
            m = _signature_members(getattr(builtins, path.root), bound=False)
        else:
            return
        if m is None or (not m.params and m.n_required is None):
            return
        if any(isinstance(a, ast.Starred) for a in call.args) or any(
            kw.arg is None for kw in call.keywords
        ):
            return  # *args / **kw: cannot tell what binds
        name = f"{path}()"
        qualified = self._qualified(call.func) or self._method_of(call.func)
        rules = removed_arguments(qualified, self.versions) if qualified else ()
        if any(kw.arg == r.keyword for r in rules for kw in call.keywords):
            return  # a removed argument: the removed-api finding says what to write instead
        if not m.var_kwargs:
            for kw in call.keywords:
                if kw.arg not in m.params:
                    self._report(
                        "bad-call",
                        kw,
                        f"{name} got an unexpected keyword argument {kw.arg!r}",
                        kw.arg or "",
                        m.params,
                        keyword=True,
                    )
                    return
        if m.var_args is None or m.n_positional is None:
            return  # the probe did not say how positional arguments bind
        # Python's own binding: positional-only first, then ``params[:n_positional]``.
        given, capacity = len(call.args), m.n_posonly + m.n_positional
        if given > capacity and not m.var_args:
            self._report_at(
                "bad-call",
                call.args[capacity],
                f"{name} takes {capacity} positional argument{'s' if capacity != 1 else ''}"
                f" but {given} were given",
                self._as_keywords(call, m, capacity),
            )
            return
        by_position = set(m.params[: max(0, min(given, capacity) - m.n_posonly)])
        keywords = {kw.arg for kw in call.keywords}
        for kw in call.keywords:
            if kw.arg in by_position:
                self._report_at(
                    "bad-call", kw, f"{name} got multiple values for argument {kw.arg!r}"
                )
                return
        if m.n_required is None:
            return
        positional = [f"#{i + 1}" for i in range(m.n_posonly)] + list(m.params[: m.n_positional])
        missing = [
            p
            for i, p in enumerate(positional[: m.n_required])
            if i >= given and (i < m.n_posonly or p not in keywords)
        ]
        missing += [p for p in m.required_kw if p not in keywords]
        if missing:
            named = ", ".join(repr(p) for p in missing if not p.startswith("#"))
            plural = "s" if len(missing) != 1 else ""
            self._report_at(
                "bad-call",
                call,
                f"{name} is missing {len(missing)} required argument{plural}: {named}"
                if named
                else f"{name} is missing {len(missing)} required positional argument{plural}",
            )

    def _as_keywords(self, call: ast.Call, m: Members, capacity: int) -> tuple[Fix, ...]:
        """``f(a, b, c)`` for ``def f(a, b, *, c=...)``: the extra positional arguments given
        as the keyword-only parameters, in order, when there are exactly as many of those
        not yet given; no fix otherwise (which extra means which would be a guess)."""
        keyword_only = m.params[m.n_positional :] if m.n_positional is not None else ()
        given = {kw.arg for kw in call.keywords}
        free = [p for p in keyword_only if p not in given]
        extra = call.args[capacity:]
        if not extra or len(extra) != len(free):
            return ()
        text = "\n".join(self.lines)
        edits = []
        for arg, param in zip(extra, free, strict=True):
            segment = ast.get_source_segment(text, arg)
            if segment is None:
                return ()
            edits.append((arg, f"{param}={segment}"))
        new = self._spliced(edits)
        if new is None:
            return ()
        names = ", ".join(f"{p}=" for p in free)
        return (
            make_fix(
                f"Pass {names}",
                f"{names} can only be given by keyword",
                "diagnostic",
                self.source,
                new,
                0.85,
            ),
        )

    def _callee(self, path: Path) -> Members | None:
        """How a call to ``path`` binds: a method's own parameters (``df.sort_values(``, not
        the frame it returns), else what ``path`` resolves to."""
        if path.steps and path.steps[-1].kind == "attr":
            parent = resolve(Path(path.root, path.steps[:-1]), self.k)
            if parent is not None:
                m = parent.members.items.get(path.steps[-1].value)
                if m is not None:
                    return m
                closed = _CLOSED_TYPES.get(parent.kind)
                if closed is not None and not parent.members.open_attrs:
                    # ``title.split(sepp=...)``: a C method, its signature as this Python has it
                    method = getattr(closed, path.steps[-1].value, None)
                    return _signature_members(method, bound=True) if method else None
                if parent.kind != "module":
                    return None  # a method the probe could not read (a C method)
        r = resolve(path, self.k)
        if r is None or r.kind == "module":
            return None
        return r.members

    def _shapes(
        self, op: ast.BinOp | ast.Call | ast.Compare, scope: _Scope, local: set[str]
    ) -> None:
        """``a @ b`` / ``np.dot(a, b)`` / ``np.matmul(a, b)`` with inner sizes that differ;
        ``a + b`` (and the other element-wise operators) with shapes that cannot broadcast."""
        if "shape-mismatch" in self._caught(scope):
            return
        if isinstance(op, ast.Call):
            f = op.func
            numpy = (
                isinstance(f, ast.Attribute)
                and isinstance(f.value, ast.Name)
                and self._module_of(f.value.id) == "numpy"
                and f.attr in ("dot", "matmul")
            )
            if not numpy or len(op.args) != 2 or op.keywords:
                return
            left, right, matmul = op.args[0], op.args[1], True
        elif isinstance(op, ast.Compare):
            left, right, matmul = op.left, op.comparators[0], False
        else:
            left, right, matmul = op.left, op.right, isinstance(op.op, ast.MatMult)
        a, b = (self._shape(x, scope, local) for x in (left, right))
        if a is None or b is None:
            return
        if matmul:
            if len(a) >= 1 and len(b) >= 1:
                inner_a = a[-1]
                inner_b = b[-2] if len(b) >= 2 else b[0]
                if inner_a != inner_b:
                    # (3, 2) @ (3, 2): the one transpose that makes the sizes meet
                    fix = None
                    if len(a) == len(b) == 2 and a[-1] == b[-1]:
                        fix = self._rewritten(op, left, right, "{} @ {}.T", "Transpose the right")
                    elif len(a) == len(b) == 2 and a[0] == b[0]:
                        fix = self._rewritten(op, left, right, "{}.T @ {}", "Transpose the left")
                    self._report_at(
                        "shape-mismatch",
                        op,
                        f"shapes {a} and {b} cannot be multiplied with @ ({inner_a} != {inner_b})",
                        (fix,) if fix else (),
                    )
            return
        for x, y in zip(reversed(a), reversed(b), strict=False):
            if x != y and x != 1 and y != 1:
                fix = None
                product = isinstance(op, ast.BinOp) and isinstance(op.op, ast.Mult)
                if product and len(a) == len(b) == 2 and a[1] == b[0]:  # a matrix product
                    fix = self._rewritten(op, left, right, "{} @ {}", "Multiply with @")
                elif isinstance(op, ast.BinOp) and len(a) == 2 and len(b) == 1 and b[0] == a[0]:
                    # ``X - X.mean(axis=1)``: one value per row, as a column
                    fix = self._rewritten(
                        op, left, right, "{} " + _OPS[type(op.op)] + " {}[:, None]", "Apply per row"
                    )
                elif isinstance(op, ast.BinOp) and len(b) == 2 and len(a) == 1 and a[0] == b[0]:
                    fix = self._rewritten(
                        op, left, right, "{}[:, None] " + _OPS[type(op.op)] + " {}", "Apply per row"
                    )
                self._report_at(
                    "shape-mismatch",
                    op,
                    f"shapes {a} and {b} cannot be broadcast together",
                    (fix,) if fix else (),
                )
                return

    def _rewritten(
        self, op: ast.AST, left: ast.AST, right: ast.AST, form: str, title: str
    ) -> Fix | None:
        """The cell with ``op`` (one line) written as ``form`` of its two operands."""
        if op.lineno != op.end_lineno or op.lineno > len(self.lines):
            return None
        raw = self.lines[op.lineno - 1].encode()
        segs = [ast.get_source_segment("\n".join(self.lines), x) for x in (left, right)]
        if None in segs:
            return None
        segs = [f"({t})" if not isinstance(x, ast.Name | ast.Attribute | ast.Call | ast.Subscript)
                else t for t, x in zip(segs, (left, right), strict=True)]  # fmt: skip
        text = form.format(*segs).replace(".T.T", "")  # (``a.T @ a.T`` -> ``a.T @ a``)
        lines = list(self.lines)
        lines[op.lineno - 1] = (
            raw[: op.col_offset] + text.encode() + raw[op.end_col_offset or 0 :]
        ).decode(errors="replace")
        return make_fix(
            title, "the shapes the kernel holds fit this way", "diagnostic", self.source,
            "\n".join(lines), 0.85,
        )  # fmt: skip

    def _reshape(self, call: ast.Call, scope: _Scope, local: set[str]) -> None:
        """``x.reshape(a, b)`` / ``np.reshape(x, (a, b))`` to a size ``x`` does not have."""
        f = call.func
        if not isinstance(f, ast.Attribute) or f.attr != "reshape":
            return
        if "shape-mismatch" in self._caught(scope):
            return
        args = list(call.args)
        if isinstance(f.value, ast.Name) and self._module_of(f.value.id) == "numpy":
            array = args.pop(0) if args else None  # np.reshape(x, shape)
        else:
            array = f.value
        shape_kw = [kw.value for kw in call.keywords if kw.arg in ("shape", "newshape")]
        if len(args) == 1 and isinstance(args[0], ast.Tuple | ast.List):
            args = list(args[0].elts)
        elif not args and len(shape_kw) == 1 and isinstance(shape_kw[0], ast.Tuple | ast.List):
            args = list(shape_kw[0].elts)
        dims = [_const_int(a) for a in args]
        if array is None or not dims or any(d is None for d in dims):
            return
        shape = self._shape(array, scope, local)
        if shape is None:
            return
        size = 1
        for n in shape:
            size *= n
        known = 1
        for d in dims:
            if d != -1:
                known *= d  # type: ignore[operator]
        free = dims.count(-1)
        fits = (known == size) if not free else free == 1 and known > 0 and size % known == 0
        if not fits:
            wanted = "(" + ", ".join(str(d) for d in dims) + ("," if len(dims) == 1 else "") + ")"
            self._report_at(
                "shape-mismatch",
                call,
                f"cannot reshape an array of shape {shape} (size {size}) into shape {wanted}",
            )

    def _removed_arguments(self, call: ast.Call) -> None:
        """Arguments the installed library removed (``OneHotEncoder(sparse=False)``), renamed
        or gave new values (``plt.style.use('seaborn')``)."""
        qualified = self._qualified(call.func) or self._method_of(call.func)
        if qualified is None:
            return
        for rule in removed_arguments(qualified, self.versions):
            kw = next((k for k in call.keywords if rule.keyword and k.arg == rule.keyword), None)
            if rule.old_value is not None:
                at = kw.value if kw is not None else None
                if at is None and rule.position is not None and rule.position < len(call.args):
                    at = call.args[rule.position]
                old = _const_str(at) if at is not None else None
                if old is None or not old.startswith(rule.old_value):
                    continue
                if rule.keep is not None and old.startswith(rule.keep):
                    continue
                assert at is not None
                new = rule.new_value + old[len(rule.old_value) :] if rule.new_value else None
                fixed = self._spliced([(at, repr(new))]) if new else None
                self._removed_argument(rule, at, fixed, f"Use {new!r}")
                return
            if kw is None:
                continue
            if rule.value is not None and not (
                isinstance(kw.value, ast.Constant)
                and type(kw.value.value) is type(rule.value)
                and kw.value.value == rule.value
            ):
                continue
            fixed, title = None, ""
            if rule.new_keyword is not None:
                name_end = kw.col_offset + len(kw.arg or "")
                fixed = self._spliced([(kw, rule.new_keyword)], end_col=name_end)
                title = f"Use {rule.new_keyword}="
            elif rule.new_callee is not None:
                fixed = self._renamed_call(call, kw, rule.new_callee, qualified)
                title = f"Use {rule.new_callee}"
            self._removed_argument(rule, kw, fixed, title)
            return

    def _removed_argument(
        self, rule: RemovedArgument, node: ast.AST, fixed: str | None, title: str
    ) -> None:
        fixes = ()
        if fixed is not None:
            fixes = (make_fix(title, rule.note, "diagnostic", self.source, fixed, 0.9),)
        self._report_at("removed-api", node, rule.note, fixes)

    def _renamed_call(
        self, call: ast.Call, kw: ast.keyword, new_name: str, qualified: str
    ) -> str | None:
        """``mean_squared_error(a, b, squared=False)`` -> ``root_mean_squared_error(a, b)``,
        with the new name imported from the old one's module when the cell calls it bare."""
        f = call.func
        start = f.end_col_offset - len(f.attr) if isinstance(f, ast.Attribute) else f.col_offset
        if f.end_col_offset is None or kw.end_col_offset is None or call.lineno != call.end_lineno:
            return None
        # the keyword with the comma before it (or after it, when it comes first)
        line = self.lines[call.lineno - 1].encode()
        a, b = kw.col_offset, kw.end_col_offset
        before = line[:a].rstrip()
        if before.endswith(b","):
            a = len(before) - 1
        else:
            rest = line[b:]
            b += len(rest) - len(rest.lstrip(b", ")) if rest.lstrip().startswith(b",") else 0
        line = line[:a] + line[b:]
        line = line[:start] + new_name.encode() + line[f.end_col_offset :]
        lines = list(self.lines)
        lines[call.lineno - 1] = line.decode(errors="replace")
        if isinstance(f, ast.Name):
            module = qualified.rpartition(".")[0]
            lines.insert(0, f"from {module} import {new_name}")
        return "\n".join(lines)

    def _spliced(self, edits: list[tuple[ast.AST, str]], end_col: int | None = None) -> str | None:
        """The cell with each one-line node's text replaced (``end_col``: up to there only)."""
        lines = list(self.lines)
        for node, text in edits:
            lineno = getattr(node, "lineno", None)
            if lineno is None or lineno != getattr(node, "end_lineno", None):
                return None
            raw = lines[lineno - 1].encode()
            a = node.col_offset  # type: ignore[attr-defined]
            b = end_col if end_col is not None else node.end_col_offset  # type: ignore[attr-defined]
            lines[lineno - 1] = (raw[:a] + text.encode() + raw[b:]).decode(errors="replace")
        return "\n".join(lines)

    def _method_of(self, node: ast.expr) -> str | None:
        """``df.fillna`` -> ``DataFrame.fillna``: the kernel type of the value a method is
        called on (a name the kernel holds)."""
        if not isinstance(node, ast.Attribute) or not isinstance(node.value, ast.Name):
            return None
        root = node.value.id
        if not self._kernel_holds(root):
            return None
        var = next(v for v in self.k.kernel.variables if v.name == root)  # type: ignore[union-attr]
        return f"{var.kind}.{node.attr}"

    def _qualified(self, node: ast.expr) -> str | None:
        """``plt.style.use`` -> ``matplotlib.pyplot.style.use``; a bare name through the
        imports of the cells (this one included) or the module the kernel says it is from."""
        parts: list[str] = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name):
            return None
        root = node.id
        base = self._module_of(root)
        if base is None:
            for facts in reversed(self.k.facts_for(root)):
                if root in facts.imports:
                    base = facts.imports[root]
                    break
        if base is None and self.k.kernel is not None:
            var = next((v for v in self.k.kernel.variables if v.name == root), None)
            m = _FROM.search(var.summary) if var is not None else None
            base = f"{m.group(1)}.{root}" if m else None
        return ".".join([base, *reversed(parts)]) if base else None

    def _module_of(self, alias: str) -> str | None:
        kernel = self.k.kernel
        if kernel is None:
            return None
        return next((m for a, m in kernel.modules if a == alias), None)

    def _unchanged_by(self, call: ast.Call) -> set[str]:
        """Names ``call`` passes to a function this cell or another defines, in parameters
        whose body never changes, stores or lets out (``flag_outliers(orders, 'revenue')``
        leaves ``orders``' columns as they were)."""
        f = call.func
        if not isinstance(f, ast.Name):
            return set()
        fn = self._definition(f.id)
        if fn is None:
            return set()
        a = fn.args
        positional = [p.arg for p in (*a.posonlyargs, *a.args)]
        out = set()
        for i, arg in enumerate(call.args):
            escapes = i >= len(positional) or _param_escapes(fn, positional[i])
            if isinstance(arg, ast.Name) and not escapes:
                out.add(arg.id)
        names = {p.arg for p in (*a.args, *a.kwonlyargs)}
        for kw in call.keywords:
            known = kw.arg in names and not _param_escapes(fn, kw.arg or "")
            if isinstance(kw.value, ast.Name) and known:
                out.add(kw.value.id)
        return out

    def _definition(self, name: str) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
        """The ``def name`` of this cell, else the one other cell that has it."""
        if name in self._defs:
            return self._defs[name]
        found = None
        pattern = re.compile(rf"^(?:async\s+)?def\s+{re.escape(name)}\s*\(", re.M)
        for source in self.others:
            if pattern.search(source):
                body, _ = parse_tolerant(strip_ipython(source))
                defs = [
                    n
                    for n in body
                    if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.name == name
                ]
                if len(defs) != 1 or found is not None:
                    found = None
                    break
                found = defs[0]
        self._defs[name] = found
        return found

    def _shape(self, node: ast.expr, scope: _Scope, local: set[str]) -> tuple[int, ...] | None:
        """The shape ``node`` evaluates to, where it is certain: an array the kernel holds or
        the cell made (``m = X.mean(axis=1)``), its transpose, a reduction over an axis,
        ``reshape`` to constants, indexing with integers, ``:`` and ``None``, NumPy's
        constructors with constant sizes, and element-wise arithmetic of known shapes."""
        if isinstance(node, ast.Name):
            if node.id in local:
                return None
            if node.id in scope.shapes:
                return scope.shapes[node.id]
            if node.id in scope.rebound:
                return None
            kernel = self.k.kernel
            var = next((v for v in kernel.variables if v.name == node.id), None) if kernel else None
            if var is None:
                return None
            m = _SHAPE.match(var.summary)
            if m is None:
                return None
            return tuple(int(x) for x in m.group(1).replace(" ", "").split(",") if x)
        if isinstance(node, ast.Attribute) and node.attr == "T":
            inner = self._shape(node.value, scope, local)
            return tuple(reversed(inner)) if inner is not None else None
        if isinstance(node, ast.Subscript):
            inner = self._shape(node.value, scope, local)
            return _indexed(inner, node.slice) if inner is not None else None
        if isinstance(node, ast.Attribute) and node.attr == "values":
            return self._series_array(node.value, scope, local)
        if isinstance(node, ast.List | ast.Tuple) and not _has_starred(node):
            return _literal_shape(node)
        if isinstance(node, ast.BinOp) and isinstance(
            node.op, ast.Add | ast.Sub | ast.Mult | ast.Div | ast.Pow
        ):
            a, b = (self._shape(x, scope, local) for x in (node.left, node.right))
            if a is None and _is_number(node.left):
                return b
            if b is None and _is_number(node.right):
                return a
            return _broadcast(a, b) if a is not None and b is not None else None
        if isinstance(node, ast.Call):
            return self._call_shape(node, scope, local)
        return None

    def _call_shape(self, call: ast.Call, scope: _Scope, local: set[str]) -> tuple[int, ...] | None:
        f = call.func
        if not isinstance(f, ast.Attribute):
            return None
        numpy = isinstance(f.value, ast.Name) and self._module_of(f.value.id) == "numpy"
        if numpy and f.attr in _CONSTRUCTORS:
            size = _argument(call, 0, "shape")
            dims = _const_ints(size) if size is not None else None
            return tuple(dims) if dims is not None and all(d >= 0 for d in dims) else None
        if numpy and f.attr == "linspace":
            num = _argument(call, 2, "num")
            n = _const_int(num) if num is not None else 50
            return (n,) if n is not None and n >= 0 else None
        if numpy and f.attr == "arange" and len(call.args) == 1 and not call.keywords:
            n = _const_int(call.args[0])
            return (n,) if n is not None and n >= 0 else None
        if numpy and f.attr in ("array", "asarray") and len(call.args) == 1:
            arg = call.args[0]
            return self._series_array(arg, scope, local) or self._shape(arg, scope, local)
        if not numpy and f.attr == "to_numpy" and not call.args:
            return self._series_array(f.value, scope, local)
        if numpy and f.attr in _REDUCTIONS and call.args:
            array, offset = call.args[0], 1
        elif not numpy and f.attr in _REDUCTIONS:
            array, offset = f.value, 0
        elif not numpy and f.attr == "reshape":
            inner = self._shape(f.value, scope, local)
            sizes = _reshape_sizes(call.args)
            return _reshaped(inner, sizes) if inner is not None and sizes is not None else None
        else:
            return None
        inner = self._shape(array, scope, local)
        if inner is None:
            return None
        axis_node = _argument(call, offset, "axis")
        keep = next((kw.value for kw in call.keywords if kw.arg == "keepdims"), None)
        keepdims = isinstance(keep, ast.Constant) and keep.value is True
        if keep is not None and not isinstance(keep, ast.Constant):
            return None
        if axis_node is None:
            return tuple(1 for _ in inner) if keepdims else ()
        axis = _const_int(axis_node)
        if axis is None or not -len(inner) <= axis < len(inner):
            return None
        axis %= len(inner)
        return tuple(1 if i == axis else d for i, d in enumerate(inner) if keepdims or i != axis)

    def _series_array(
        self, node: ast.expr, scope: _Scope, local: set[str]
    ) -> tuple[int, ...] | None:
        """The shape of the array a Series holds (``df['a'].to_numpy()``, ``s.values``): a
        Series itself gets no shape here, since pandas aligns Series on their index instead of
        broadcasting them."""
        column = isinstance(node, ast.Subscript) and _const_str(node.slice) is not None
        if column or isinstance(node, ast.Attribute):
            frame = node.value  # type: ignore[union-attr]
            rows = self._frame_rows(frame, scope, local)
            path = self._path(node, scope, local) if rows is not None else None
            r = resolve(path, self.k) if path is not None else None
            return (rows,) if r is not None and r.kind == "Series" else None  # type: ignore[return-value]
        if not isinstance(node, ast.Name) or node.id in local or node.id in scope.rebound:
            return None
        kernel = self.k.kernel
        var = next((v for v in kernel.variables if v.name == node.id), None) if kernel else None
        m = _SERIES_LEN.match(var.summary) if var is not None and var.kind == "Series" else None
        return (int(m.group(1)),) if m is not None else None

    def _frame_rows(self, node: ast.expr, scope: _Scope, local: set[str]) -> int | None:
        """The number of rows of ``node`` when it is a DataFrame the kernel holds (by name,
        not rebound by the cell)."""
        if not isinstance(node, ast.Name) or node.id in local or node.id in scope.rebound:
            return None
        kernel = self.k.kernel
        var = next((v for v in kernel.variables if v.name == node.id), None) if kernel else None
        m = _FRAME_ROWS.match(var.summary) if var is not None and var.kind == "DataFrame" else None
        return int(m.group(1)) if m is not None else None

    def _column_length(
        self, t: ast.Subscript, value: ast.expr, shape: tuple[int, ...], scope: _Scope
    ) -> None:
        """``df['c'] = values`` where the values' length (a list literal, an array of known
        shape) is not the frame's number of rows: pandas raises ValueError."""
        if "shape-mismatch" in self._caught(scope) or _const_str(t.slice) is None:
            return
        rows = self._frame_rows(t.value, scope, set())
        if rows is None or len(shape) != 1 or shape[0] in (rows, 1):
            return
        self._report_at(
            "shape-mismatch",
            value,
            f"{shape[0]} values for a column of {_root_name(t.value)!r}, which has {rows} rows",
        )

    def _joined(self, call: ast.Call, scope: _Scope, local: set[str]) -> None:
        """``np.concatenate([a, b], axis=0)`` / ``np.vstack`` / ``np.hstack`` / ``np.stack``
        where the kernel's shapes cannot be joined on that axis."""
        f = call.func
        if not (
            isinstance(f, ast.Attribute)
            and isinstance(f.value, ast.Name)
            and self._module_of(f.value.id) == "numpy"
            and f.attr in ("concatenate", "vstack", "hstack", "stack")
            and call.args
            and isinstance(call.args[0], ast.List | ast.Tuple)
        ) or "shape-mismatch" in self._caught(scope):
            return
        shapes = [self._shape(x, scope, local) for x in call.args[0].elts]  # type: ignore[attr-defined]
        if len(shapes) < 2 or any(x is None for x in shapes):
            return
        known = [x for x in shapes if x is not None]
        if f.attr == "stack":
            bad = len(set(known)) > 1
        else:
            if f.attr == "vstack":
                known, axis = [x if len(x) > 1 else (1, *x) for x in known], 0
            elif f.attr == "hstack":
                axis = 0 if all(len(x) == 1 for x in known) else 1
            else:
                axis_node = _argument(call, 1, "axis")
                axis = _const_int(axis_node) if axis_node is not None else 0
                if axis is None:
                    return
            ndim = {len(x) for x in known}
            if len(ndim) > 1:
                bad = True
            else:
                n = ndim.pop()
                if not -n <= axis < n:
                    return
                axis %= n
                bad = len({tuple(d for i, d in enumerate(x) if i != axis) for x in known}) > 1
        if bad:
            listed = ", ".join(str(x) for x in known)
            self._report_at(
                "shape-mismatch",
                call,
                f"np.{f.attr}: shapes {listed} cannot be joined"
                + ("" if f.attr == "stack" else f" along axis {axis}"),
            )

    # -- helpers -------------------------------------------------------------------------

    def _set_elsewhere(self, root: str, pattern: str) -> bool:
        """Another cell names ``root`` and matches ``pattern`` (sets that key or attribute,
        or may): it may run before this one, so the kernel's value is not the last word."""
        rx = re.compile(pattern)
        word = re.compile(rf"\b{re.escape(root)}\b")
        return any(word.search(o) and rx.search(o) for o in self.others)

    def _is_builtin(self, name: str) -> bool:
        """``name`` is Python's builtin of that name here: no cell binds it and none
        star-imports (which could), and the kernel holds nothing by that name."""
        if not hasattr(builtins, name) or self.k.facts_for(name):
            return False
        return not any("import *" in o for o in self.others)

    def _kernel_holds(self, name: str, modules: bool = False) -> bool:
        """The kernel has ``name`` as a variable (or, with ``modules``, a module alias)."""
        kernel = self.k.kernel
        if kernel is None:
            return False
        return any(v.name == name for v in kernel.variables) or (
            modules and any(a == name for a, _ in kernel.modules)
        )

    @staticmethod
    def _caught(scope: _Scope) -> set[str]:
        return {kind for kind, names in _CATCHES.items() if names & scope.caught}

    def _report(
        self,
        code: str,
        node: ast.AST,
        message: str,
        wrong: str,
        known: tuple[str, ...],
        attr: bool = False,
        keyword: bool = False,
    ) -> None:
        right = certain(wrong, known)
        if right is None:
            right = _word_prefix(wrong, known)
        fixes = ()
        if right is not None:
            new = self._replaced(node, wrong, right, attr=attr, keyword=keyword)
            if new is not None:
                what = "keyword" if keyword else "attribute" if attr else "key"
                fixes = (
                    make_fix(
                        f"Use the {what} {right!r}",
                        f"{right!r} exists; {wrong!r} does not",
                        "diagnostic",
                        self.source,
                        new,
                        0.9,
                    ),
                )
            message += f"; did you mean {right!r}?"
        self._report_at(code, node, message, fixes)

    def _replaced(
        self, node: ast.AST, wrong: str, right: str, attr: bool, keyword: bool
    ) -> str | None:
        """The cell with ``wrong`` replaced by ``right`` at ``node`` (one line only)."""
        lineno, end = node.lineno, getattr(node, "end_lineno", node.lineno)
        if lineno != end or lineno > len(self.lines):
            return None
        raw = self.lines[lineno - 1].encode()
        a, b = node.col_offset, node.end_col_offset or node.col_offset
        span = raw[a:b].decode(errors="replace")
        if attr:
            new_span = (
                span[: span.rfind("." + wrong)] + "." + right if "." + wrong in span else None
            )
        elif keyword:
            new_span = right + span[len(wrong) :] if span.startswith(wrong) else None
        else:
            q = span[:1]
            new_span = q + right + q if q in ("'", '"') and span.endswith(q) else None
        if new_span is None:
            return None
        lines = list(self.lines)
        lines[lineno - 1] = (raw[:a] + new_span.encode() + raw[b:]).decode(errors="replace")
        return "\n".join(lines)

    def _removed(self, node: ast.Attribute, removed: tuple[str, str, str | None, bool]) -> None:
        message, _old, new_text, whole_call = removed
        fixes = ()
        if new_text is not None and node.lineno == node.end_lineno:
            raw = self.lines[node.lineno - 1].encode()
            a, b = node.col_offset, node.end_col_offset or node.col_offset
            if whole_call:  # ``s.mad()``: only a call with no arguments has the spelled-out form
                if raw[b:].lstrip()[:2] != b"()":
                    new_text = None
                b = b + len(raw[b:]) - len(raw[b:].lstrip()) + 2
        if new_text is not None and node.lineno == node.end_lineno:
            lines = list(self.lines)
            lines[node.lineno - 1] = (raw[:a] + new_text.encode() + raw[b:]).decode()
            new = "\n".join(lines)
            fixes = (make_fix(f"Use {new_text}", message, "diagnostic", self.source, new, 0.9),)
        self._report_at("removed-api", node, message, fixes)

    def _removed_import(self, stmt: ast.stmt, module: str, message: str, new: str) -> None:
        line = self.lines[stmt.lineno - 1] if stmt.lineno <= len(self.lines) else ""
        fixes = ()
        if stmt.lineno == stmt.end_lineno and line.count(module) == 1:
            if "." in module and isinstance(stmt, ast.ImportFrom) and stmt.module != module:
                # ``from sklearn.externals import joblib`` -> ``import joblib``
                head, _, name = module.rpartition(".")
                text = line.replace(f"from {head} import {name}", f"import {new}")
            else:
                text = line.replace(module, new)
            if text != line:
                lines = list(self.lines)
                lines[stmt.lineno - 1] = text
                fixes = (
                    make_fix(f"Import {new}", message, "diagnostic", self.source,
                             "\n".join(lines), 0.9),
                )  # fmt: skip
        self._report_at("removed-api", stmt, message, fixes)

    def _report_at(self, code: str, node: ast.AST, message: str, fixes: tuple = ()) -> None:
        lineno = getattr(node, "lineno", 1)
        key = (code, lineno, getattr(node, "col_offset", 0))
        if key in self._seen:
            return
        self._seen.add(key)
        line = self.lines[lineno - 1] if lineno <= len(self.lines) else ""
        end_line = getattr(node, "end_lineno", lineno) or lineno
        end_text = self.lines[end_line - 1] if end_line <= len(self.lines) else ""
        start = (lineno - 1, _chars(line, getattr(node, "col_offset", 0)))
        end = (end_line - 1, _chars(end_text, getattr(node, "end_col_offset", 0) or 0))
        self.found.append(Diagnostic(message, code, start, end, tuple(fixes), "kernel"))


def _chars(line: str, byte_col: int) -> int:
    """An ``ast`` column (UTF-8 bytes) as code points."""
    return len(line.encode()[:byte_col].decode(errors="ignore"))


def _known(keys: tuple[str, ...]) -> str:
    shown = ", ".join(repr(k) for k in keys[:6])
    return f" (it has {shown}{', ...' if len(keys) > 6 else ''})"


def _const_str(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _root_name(node: ast.AST) -> str:
    while isinstance(node, ast.Attribute | ast.Subscript | ast.Call):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else ""


def _bound(t: ast.AST) -> set[str]:
    if isinstance(t, ast.Name):
        return {t.id}
    if isinstance(t, ast.Tuple | ast.List):
        return {n for e in t.elts for n in _bound(e)}
    if isinstance(t, ast.Starred):
        return _bound(t.value)
    root = _root_name(t)
    return {root} if root else set()


def _rebinds(body: list[ast.stmt]) -> set[str]:
    """Every name a block assigns anywhere (for loops: unknown from the first iteration)."""
    out: set[str] = set()
    for node in body:
        for sub in ast.walk(node):
            if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store | ast.Del):
                out.add(sub.id)
            elif isinstance(sub, ast.Subscript | ast.Attribute) and isinstance(
                sub.ctx, ast.Store | ast.Del
            ):
                root = _root_name(sub)
                if root:
                    out.add(root)
            elif isinstance(sub, ast.Call):
                out |= _mutated_by(sub)
    return out


def _mutated_by(call: ast.Call) -> set[str]:
    """Names a call may change: its object for an in-place method, its name arguments."""
    out = set()
    f = call.func
    if isinstance(f, ast.Attribute) and f.attr in MUTATING:
        root = _root_name(f.value)
        if root:
            out.add(root)
    if any(kw.arg == "inplace" for kw in call.keywords) and isinstance(f, ast.Attribute):
        root = _root_name(f.value)
        if root:
            out.add(root)
    for a in [*call.args, *(kw.value for kw in call.keywords)]:
        if isinstance(a, ast.Name) and not (isinstance(f, ast.Name) and f.id in _PURE):
            out.add(a.id)
    return out


# Builtins that never change their arguments (passing a dict to ``len`` leaves it known).
_PURE = frozenset(
    {"len", "print", "list", "sorted", "set", "tuple", "repr", "str", "type", "isinstance"}
    | {"sum", "min", "max", "any", "all", "iter", "enumerate", "zip", "dict", "id", "hash"}
    | {"display", "int", "float", "bool", "abs", "round", "format", "hasattr", "getattr"}
)


# Kernel types whose C methods are checked against this Python's own signatures (the same
# builtins everywhere); datetime's C methods have none to read.
_CLOSED_TYPES: dict[str, type] = {
    t.__name__: t for t in (str, bytes, list, tuple, dict, set, frozenset, int, float)
}


@functools.lru_cache(maxsize=512)
def _signature_members(f: Any, bound: bool) -> Members | None:
    """How a call binds to a C function or method (``inspect.signature`` of this Python:
    ``sorted(xs, reversed=True)``, ``s.split(sepp=',')``); None where it has none."""
    try:
        sig = inspect.signature(f)
    except (TypeError, ValueError):
        return None
    params = list(sig.parameters.values())
    if bound and params:
        params = params[1:]
    kinds = inspect.Parameter
    posonly = [p for p in params if p.kind is kinds.POSITIONAL_ONLY]
    either = [p for p in params if p.kind is kinds.POSITIONAL_OR_KEYWORD]
    kwonly = [p for p in params if p.kind is kinds.KEYWORD_ONLY]
    positional = posonly + either
    required = next((i for i, p in enumerate(positional) if p.default is not p.empty), None)
    return Members(
        params=tuple(p.name for p in either + kwonly),
        n_positional=len(either),
        n_posonly=len(posonly),
        var_args=any(p.kind is kinds.VAR_POSITIONAL for p in params),
        var_kwargs=any(p.kind is kinds.VAR_KEYWORD for p in params),
        n_required=len(positional) if required is None else required,
        required_kw=tuple(p.name for p in kwonly if p.default is p.empty),
    )


def _submodule(dotted: str, others: tuple[str, ...]) -> bool:
    """``dotted`` is a module that exists (here) or another cell imports: ``pkg.sub`` may be an
    attribute of ``pkg`` once something imports it."""
    if any(re.search(rf"\b(?:import|from)\s+{re.escape(dotted)}\b", o) for o in others):
        return True
    try:
        return importlib.util.find_spec(dotted) is not None
    except (ImportError, ValueError, AttributeError):
        return False


def _names_in(node: ast.AST) -> list[tuple[str, ast.AST]]:
    """A string literal, or a list/tuple of them, as (name, node) pairs; [] for anything else
    (one computed element makes the whole set unknown)."""
    key = _const_str(node)
    if key is not None:
        return [(key, node)]
    if isinstance(node, ast.List | ast.Tuple) and node.elts:
        out = [(_const_str(e), e) for e in node.elts]
        if all(k is not None for k, _ in out):
            return out  # type: ignore[return-value]
    return []


def _word_prefix(wrong: str, known: tuple[str, ...]) -> str | None:
    """The one known name that ``wrong`` abbreviates or extends by whole words
    (``gap`` -> ``gap_minutes``, ``num_points`` -> ``num``), when only one does."""
    if len(wrong) < 3:
        return None
    hits = [
        k for k in known if len(k) >= 3 and (k.startswith(wrong + "_") or wrong.startswith(k + "_"))
    ]
    return hits[0] if len(hits) == 1 else None


def _argument(call: ast.Call, position: int, keyword: str) -> ast.expr | None:
    """The argument given at ``position`` or as ``keyword``."""
    if position < len(call.args):
        return call.args[position]
    return next((kw.value for kw in call.keywords if kw.arg == keyword), None)


# NumPy constructors whose first argument is the shape; reductions that take ``axis``
_OPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.MatMult: "@"}
_CONSTRUCTORS = frozenset(("zeros", "ones", "empty", "full"))
_REDUCTIONS = frozenset(
    ("sum", "mean", "std", "var", "min", "max", "prod", "median", "any", "all", "argmax", "argmin")
)


def _is_number(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and type(node.value) in (int, float)


def _const_ints(node: ast.AST) -> list[int] | None:
    """``3`` or ``(3, 4)`` -> [3] / [3, 4]; None unless all are integer constants."""
    if isinstance(node, ast.Tuple | ast.List):
        out = [_const_int(x) for x in node.elts]
        return None if any(x is None for x in out) else out  # type: ignore[return-value]
    n = _const_int(node)
    return [n] if n is not None else None


def _reshape_sizes(args: list[ast.expr]) -> list[int] | None:
    if len(args) == 1:
        return _const_ints(args[0])
    out = [_const_int(x) for x in args]
    return None if not out or any(x is None for x in out) else out  # type: ignore[return-value]


def _reshaped(shape: tuple[int, ...], sizes: list[int]) -> tuple[int, ...] | None:
    """The shape after ``reshape(sizes)`` (one -1 inferred), or None if it cannot be."""
    if sizes.count(-1) > 1 or any(d < -1 for d in sizes):
        return None
    total, known = _product(list(shape)), _product([d for d in sizes if d != -1])
    if -1 in sizes:
        if known == 0 or total % known:
            return None
        sizes = [total // known if d == -1 else d for d in sizes]
    return tuple(sizes) if _product(sizes) == total else None


def _product(sizes: list[int]) -> int:
    out = 1
    for d in sizes:
        out *= d
    return out


def _indexed(shape: tuple[int, ...], index: ast.expr) -> tuple[int, ...] | None:
    """The shape after ``x[index]`` for integers, a full ``:`` and ``None``; None otherwise."""
    parts = index.elts if isinstance(index, ast.Tuple) else [index]
    out: list[int] = []
    axis = 0
    for part in parts:
        if isinstance(part, ast.Constant) and part.value is None:
            out.append(1)
        elif isinstance(part, ast.Slice):
            bounds = [
                None if x is None else _const_int(x) for x in (part.lower, part.upper, part.step)
            ]
            given = [x for x in (part.lower, part.upper, part.step) if x is not None]
            if axis >= len(shape) or len([b for b in bounds if b is not None]) != len(given):
                return None  # a bound that is not an integer literal
            if bounds[2] == 0:
                return None
            out.append(len(range(*slice(*bounds).indices(shape[axis]))))
            axis += 1
        elif _const_int(part) is not None:
            if axis >= len(shape):
                return None
            axis += 1
        else:
            return None
    return (*out, *shape[axis:])


def _has_starred(node: ast.List | ast.Tuple) -> bool:
    return any(isinstance(e, ast.Starred) for e in ast.walk(node))


def _literal_shape(node: ast.expr) -> tuple[int, ...] | None:
    """``[[1, 2], [3, 4]]`` -> (2, 2): nested lists or tuples of numbers, all rows alike."""
    if not isinstance(node, ast.List | ast.Tuple):
        ok = isinstance(node, ast.Constant) and type(node.value) in (int, float, bool, complex)
        neg = isinstance(node, ast.UnaryOp) and isinstance(node.operand, ast.Constant)
        return () if ok or neg else None
    inner = [_literal_shape(e) for e in node.elts]
    if not inner:
        return (0,)
    if any(x is None for x in inner) or len(set(inner)) != 1:
        return None
    return (len(inner), *inner[0])  # type: ignore[misc]


def _broadcast(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...] | None:
    """NumPy's broadcast of two shapes, or None when they cannot."""
    out = []
    for i in range(max(len(a), len(b))):
        x = a[len(a) - 1 - i] if i < len(a) else 1
        y = b[len(b) - 1 - i] if i < len(b) else 1
        if x != y and x != 1 and y != 1:
            return None
        out.append(y if x == 1 else x)
    return tuple(reversed(out))


def _const_int(node: ast.AST) -> int | None:
    """An int literal (``-1`` included), else None."""
    sign = 1
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        node, sign = node.operand, -1
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return sign * node.value
    return None


def _param_escapes(fn: ast.FunctionDef | ast.AsyncFunctionDef, name: str) -> bool:
    """Whether ``fn``'s body may change the argument of parameter ``name``, or hand it on to
    code that may: a store or delete through it, an in-place method on it, passing it to a call
    that is not a pure builtin, or letting it out bare (returned, aliased, put in a container).
    Reads of it (``p[k]``, ``p.a``, ``p.method()``, arithmetic) keep it as it was."""
    parents: dict[ast.AST, ast.AST] = {}
    for node in ast.walk(fn):
        for child in ast.iter_child_nodes(node):
            parents[child] = node
    for node in ast.walk(fn):
        if not isinstance(node, ast.Name) or node.id != name or node is fn:
            continue
        if not isinstance(node.ctx, ast.Load):
            continue  # rebinding the parameter leaves the argument alone
        child, parent = node, parents.get(node)
        # climb reads through it (p['a'].b[0]...): what is done with the end of that chain
        while isinstance(parent, ast.Subscript | ast.Attribute) and parent.value is child:
            if not isinstance(parent.ctx, ast.Load):
                return True  # p['new'] = ..., p.a = ..., del p['x']
            child, parent = parent, parents.get(parent)
        if isinstance(parent, ast.Call) and parent.func is child:
            if child is node:
                return True  # the parameter called: unknown code
            method = child.attr if isinstance(child, ast.Attribute) else ""
            if method in MUTATING or any(kw.arg == "inplace" for kw in parent.keywords):
                return True
            continue
        if child is not node:
            continue  # a value read from it (p['a'], p.shape): a new object or a scalar
        if isinstance(parent, ast.Call):
            if isinstance(parent.func, ast.Name) and parent.func.id in _PURE:
                continue
            return True
        if isinstance(parent, ast.keyword):
            call = parents.get(parent)
            pure = isinstance(call, ast.Call) and isinstance(call.func, ast.Name)
            if pure and call.func.id in _PURE:  # type: ignore[union-attr]
                continue
            return True
        if isinstance(parent, ast.BinOp | ast.UnaryOp | ast.Compare | ast.FormattedValue):
            continue
        if isinstance(parent, ast.comprehension) and parent.iter is child:
            continue  # iterated over
        if isinstance(parent, ast.For) and parent.iter is child:
            continue
        return True  # returned, aliased, stored in a container, yielded: it may change later
    return False


def _walk_runs(node: ast.AST) -> Iterator[ast.AST]:
    """The nodes of an expression that run when it is evaluated (not a lambda's body)."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        if isinstance(n, ast.Lambda):
            continue
        if isinstance(n, ast.Call) and _is_get(n):
            stack.append(n.func)  # ``d.get('k')``: the key is a test, not a lookup
            continue
        if isinstance(n, ast.BoolOp | ast.IfExp):
            continue  # ``'k' in d and d['k']``: guarded lookups, not worth modelling
        stack.extend(ast.iter_child_nodes(n))


def _is_get(call: ast.Call) -> bool:
    return isinstance(call.func, ast.Attribute) and call.func.attr in ("get", "pop", "setdefault")


def _scoped_names(node: ast.AST) -> set[str]:
    out: set[str] = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.comprehension):
            out |= _bound(sub.target)
        elif isinstance(sub, ast.Lambda):
            a = sub.args
            out |= {x.arg for x in [*a.posonlyargs, *a.args, *a.kwonlyargs]}
        elif isinstance(sub, ast.NamedExpr):
            out |= _bound(sub.target)
    return out


def _always_false(test: ast.expr) -> bool:
    return isinstance(test, ast.Constant) and not test.value


def _guards(test: ast.expr) -> frozenset[tuple[str, str]]:
    """``'k' in d``, ``hasattr(o, 'a')`` (also inside ``and``): what the branch may use."""
    out = set()
    for sub in ast.walk(test):
        if (
            isinstance(sub, ast.Compare)
            and len(sub.ops) == 1
            and isinstance(sub.ops[0], ast.In)
            and _const_str(sub.left) is not None
        ):
            root = _root_name(sub.comparators[0])
            if root:
                out.add((root, _const_str(sub.left) or ""))
        elif (
            isinstance(sub, ast.Call)
            and isinstance(sub.func, ast.Name)
            and sub.func.id == "hasattr"
            and len(sub.args) == 2
        ):
            root, attr = _root_name(sub.args[0]), _const_str(sub.args[1])
            if root:
                out.add((root, "." + attr if attr is not None else ".*"))
    return frozenset(out)


def _handled(t: ast.expr | None) -> set[str]:
    if t is None:
        return {"BaseException"}
    if isinstance(t, ast.Tuple):
        return {n for e in t.elts for n in _handled(e)}
    if isinstance(t, ast.Name):
        return {t.id}
    if isinstance(t, ast.Attribute):
        return {t.attr}
    return set()
