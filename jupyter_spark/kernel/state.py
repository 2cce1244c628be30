"""A kernel's namespace as the rest of the product sees it: the snapshot types, the probe's
limits, the expression that runs the probe, and the parsing of its answer.

Stdlib only and free of jupyter_server, so the server's reader, the fixes and the in-kernel
``%spark`` magics share it without loading each other.
"""

from __future__ import annotations

import ast
import base64
import functools
import importlib.util
import json
import marshal
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

# -- the probe's limits: each is the default of the KernelStateReader argument of its name ----
MAX_VARS = 200  # variables (and, separately, module aliases) in one snapshot
MAX_BYTES = 32_000  # characters of names + summaries in one snapshot; later names are dropped
MAX_SUMMARY = 240  # characters of one variable's summary
MAX_ITEMS = 20  # dict keys, DataFrame columns, attributes or methods listed in one summary
PROBE_MS = 50.0  # ms of work inside the kernel before the probe stops describing variables
# What grounded completions may offer after ``x.``, ``x['`` or ``f(``: member names per value
# (keys, columns, attributes, parameters), and characters of all of them in one snapshot.
MAX_MEMBERS = 1000
MAX_MEMBER_BYTES = 400_000

# The limits as the probe reads them (``limits`` in probe.py).
PROBE_LIMITS: dict[str, Any] = {
    "max_vars": MAX_VARS,
    "max_bytes": MAX_BYTES,
    "max_summary": MAX_SUMMARY,
    "max_items": MAX_ITEMS,
    "budget_ms": PROBE_MS,
    "max_members": MAX_MEMBERS,
    "max_member_bytes": MAX_MEMBER_BYTES,
}

# The user_expressions key the probe's answer comes back under.
EXPR_KEY = "spark"
# The oldest Python the probe's bootstrap runs on (it reads a lambda's ``__builtins__``, 3.10+).
MIN_PYTHON = (3, 10)
# The kinds of variables whose members (keys, columns, attributes) a snapshot describes.
MEMBER_KINDS = frozenset({"DataFrame", "dict", "Series"})
_PROBE_NAME = "__jupyter_spark_probe__"
_PROBE_SOURCE = (Path(__file__).parent / "probe.py").read_text("utf-8")


@dataclass(frozen=True)
class KernelVar:
    """One user variable, e.g. ``("df", "DataFrame", "DataFrame 1000x3: id:int64, ...")``."""

    name: str
    kind: str  # type name
    summary: str  # one line the model can use: shape, columns, dtype, len; may be ""


@dataclass(frozen=True)
class Members:
    """What may follow a value: its keys (``x['``), attributes (``x.``), parameters (``x(``).

    ``open_attrs``: the type computes attributes (``__getattr__``), so ``x.`` is not a closed
    set. ``items``: the members of dict values by key (``cfg['model']['``).
    """

    keys: tuple[str, ...] = ()
    attrs: tuple[str, ...] = ()
    params: tuple[str, ...] = ()
    # How many of ``params`` may also be given by position (the rest are keyword-only);
    # None: not known, all may.
    n_positional: int | None = None
    var_kwargs: bool = False
    # A module with a ``__getattr__`` (PEP 562): ``attrs`` are what it has, a few more names
    # (lazy submodules) may come; completions still offer ``attrs``, checks trust them less.
    lazy_attrs: bool = False
    # How a call binds, when the probe read the function's code (``None``: not known):
    # positional-only parameters before ``params``, ``*args``, how many positional parameters
    # (positional-only first) have no default, the keyword-only ones without a default.
    n_posonly: int = 0
    var_args: bool | None = None
    n_required: int | None = None
    required_kw: tuple[str, ...] = ()
    open_attrs: bool = False
    items: MappingProxyType[str, Members] = field(default_factory=lambda: MappingProxyType({}))
    # The library type of a value reached from a kernel variable (a frame's column is a
    # ``Series``, its ``.str`` a ``StringMethods``, ``df.index`` a ``DatetimeIndex``): its
    # ``attrs`` are that type's, a closed set. "" for the variables themselves (their type is
    # ``KernelVar.kind``) and for what the probe did not type.
    kind: str = ""


@dataclass(frozen=True)
class KernelState:
    """A snapshot of the user namespace; frozen so identical snapshots render identically.

    ``members`` (by variable or module alias) is left out of equality and hashing: the prompt
    block depends on ``variables`` and ``modules`` only, and hashing thousands of member names
    per keystroke would cost more than the block's cache saves.
    """

    variables: tuple[KernelVar, ...]
    modules: tuple[tuple[str, str], ...]  # (alias, module), e.g. ("np", "numpy")
    taken_at: float  # time.time() of the snapshot (not rendered: it must not break the KV prefix)
    members: MappingProxyType[str, Members] = field(
        default_factory=lambda: MappingProxyType({}), compare=False, hash=False
    )


def probe_expression(limits: dict[str, Any]) -> str:
    """The one ``user_expressions`` entry that runs the probe inside the kernel.

    Only literals and attribute access on a fresh lambda appear in it, so nothing the user
    rebound (``exec``, ``compile``, ``locals``, ``dict``...) is looked up. ``locals()`` is called
    in the eval frame itself, where it is the user namespace; the probe gets it as a value in a
    fresh globals dict, so no name is added to the user's namespace.

    The probe goes as its code object, marshalled here (:func:`_probe_code`), and as source:
    a kernel whose bytecode magic number is ours (and whose ``sys.modules`` already holds
    ``marshal``, ``zlib`` and ``binascii``, as any IPython kernel's does) loads the code in
    about 1 ms; any other compiles the source, 15-25 ms of every snapshot and details request.
    Nothing is imported, and nothing kept in the kernel.
    """
    builtins = "(lambda: 0).__builtins__"
    magic, code = _probe_code()
    compiled = f"B['compile']({_PROBE_SOURCE!r}, '<jupyter_spark_probe>', 'exec')"
    load = (
        f"(lambda m, z, a: m.loads(z.decompress(a.a2b_base64({code!r}))) if None not in "
        "(m, z, a) and B['getattr'](S.get('_frozen_importlib_external'), 'MAGIC_NUMBER', "
        f"None) == {magic!r} else {compiled})(S.get('marshal'), S.get('zlib'), S.get('binascii'))"
    )
    return (
        f"(lambda B, ns: (lambda g: (B['exec']((lambda S: {load})("
        "B['__import__']('sys').modules), g), g['result'])[1])("
        f"{{'__name__': {_PROBE_NAME!r}, '__builtins__': B, 'user_ns': ns, "
        f"'limits': {limits!r}}}))({builtins}, {builtins}['locals']())"
    )


@functools.cache
def _probe_code() -> tuple[bytes, str]:
    """This Python's bytecode magic number, and the probe compiled by it, marshalled, zlib'd
    and base64'd (38 kB: a literal of it costs the kernel 0.5 ms to compile, the bytes' repr
    5 ms, the source 1 ms and its compile 15-25 ms)."""
    code = compile(_PROBE_SOURCE, "<jupyter_spark_probe>", "exec", dont_inherit=True)
    packed = base64.b64encode(zlib.compress(marshal.dumps(code), 9))
    return importlib.util.MAGIC_NUMBER, packed.decode("ascii")


def expression_json(content: dict[str, Any]) -> Any:
    """The probe's JSON answer in an execute_reply (None if there is none)."""
    if content.get("status") != "ok":
        return None
    expr = (content.get("user_expressions") or {}).get(EXPR_KEY) or {}
    text = (expr.get("data") or {}).get("text/plain") if expr.get("status") == "ok" else None
    if not isinstance(text, str):
        return None
    try:
        return json.loads(ast.literal_eval(text))
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None


def parse_reply(content: dict[str, Any]) -> KernelState | None:
    """The snapshot in an execute_reply, or None if the probe did not answer with one."""
    return state_from_probe(expression_json(content))


def _strings(raw: Any) -> tuple[str, ...]:
    return tuple(x for x in raw if isinstance(x, str)) if isinstance(raw, list) else ()


def _int(raw: Any) -> int | None:
    return raw if type(raw) is int and raw >= 0 else None


def _members(
    raw: Any, types: dict[str, Any], depth: int = 0, methods: dict[str, Any] | None = None
) -> Members | None:
    """One entry of the probe's ``members`` (``k`` keys, ``a`` attrs, ``t`` a shared type's
    attrs, ``tm`` its methods' parameters, ``p`` params and how they bind, ``kw``, ``open``,
    ``sub`` members of dict values)."""
    if not isinstance(raw, dict):
        return None
    methods = methods or {}
    attrs = _strings(raw.get("a"))
    shared = types.get(raw.get("t")) if isinstance(raw.get("t"), str) else None
    if shared:
        attrs = tuple(dict.fromkeys((*attrs, *_strings(shared))))
    items: dict[str, Members] = {}
    tm = raw.get("tm")
    if isinstance(tm, str) and isinstance(methods.get(tm), dict):
        items.update(_method_table(tm, methods, types))
    _typed_items(raw, types, methods, items, frozenset(_strings(shared)))
    sub = raw.get("sub")
    if isinstance(sub, dict) and depth < 4:
        for key, value in sub.items():
            m = _members(value, types, depth + 1, methods)
            if isinstance(key, str) and m is not None:
                items[key] = m
    return Members(
        keys=_strings(raw.get("k")),
        attrs=attrs,
        params=_strings(raw.get("p")),
        n_positional=raw.get("n") if type(raw.get("n")) is int else None,
        var_kwargs=raw.get("kw") is True,
        n_posonly=_int(raw.get("po")) or 0,
        var_args=raw.get("va") if type(raw.get("va")) is bool else None,
        n_required=_int(raw.get("rq")),
        required_kw=_strings(raw.get("rk")),
        open_attrs=raw.get("open") is True,
        lazy_attrs=raw.get("lazy") is True,
        items=MappingProxyType(items),
    )


def _method_table(key: str, methods: dict[str, Any], types: dict[str, Any]) -> dict[str, Members]:
    """A type's methods' parameters, as ``x.method(`` binds them; parsed once per snapshot
    (every frame and every column shares ``DataFrame``'s and ``Series``' tables)."""
    cache = methods.setdefault(_PARSED, {})
    if key not in cache:
        parsed: dict[str, Members] = {}
        for name, value in methods[key].items():
            m = _members(value, types, 4)
            if isinstance(name, str) and m is not None:
                parsed[name] = m
        cache[key] = parsed
    return cache[key]


_PARSED = "\0parsed"  # the key of the parsed method tables in a snapshot's ``methods`` (no type's)


def _typed(raw: Any, types: dict[str, Any], **more: Any) -> Members | None:
    """``[type name, key of its attrs in types]`` -> the Members of a value of that type."""
    if not (isinstance(raw, list) and len(raw) == 2 and all(isinstance(x, str) for x in raw)):
        return None
    attrs = _strings(types.get(raw[1]))
    return Members(attrs=attrs, kind=raw[0], **more) if attrs else None


def _typed_items(
    raw: dict[str, Any],
    types: dict[str, Any],
    methods: dict[str, Any],
    items: dict,
    own: frozenset[str],
) -> None:
    """A frame's columns as Series (with their accessor: ``.str``, ``.dt``, ``.cat``), a
    Series' own accessor, and the index (``df.index``), from the probe's ``cols``, ``acc``
    and ``ix``. A column named like an attribute of the frame's type (``own``: ``at``,
    ``count``) is left out: ``df.at`` is the indexer, and one entry serves ``df.x`` and
    ``df['x']``."""

    def accessors(acc: Any) -> dict[str, Members]:
        """By the probe's accessor name (``td``: durations, reached as ``.dt``)."""
        out: dict[str, Members] = {}
        for name, typed in acc.items() if isinstance(acc, dict) else ():
            m = _typed(typed, types)
            if isinstance(name, str) and m is not None:
                out[name] = m
        return out

    index = _typed(raw.get("ix"), types)
    if index is not None:
        items.setdefault("index", index)
    for name, m in accessors(raw.get("acc")).items():
        items.setdefault("dt" if name == "td" else name, m)
    cols = raw.get("cols")
    if not isinstance(cols, dict) or not isinstance(cols.get("by"), dict):
        return
    series = _members({"t": cols.get("t"), "tm": cols.get("tm")}, types, 4, methods)
    if series is None or not series.attrs:
        return
    by_accessor = accessors(cols.get("acc"))
    for accessor, names in cols["by"].items():
        extra = by_accessor.get(accessor)
        sub = dict(series.items)
        if extra is not None:
            sub["dt" if accessor == "td" else accessor] = extra
        column = Members(attrs=series.attrs, items=MappingProxyType(sub), kind="Series")
        for name in _strings(names):
            if name not in own:
                items.setdefault(name, column)


def state_from_probe(data: Any) -> KernelState | None:
    """A KernelState from the probe's JSON answer (also used in-process by the magics)."""
    if not isinstance(data, dict) or "error" in data:
        return None

    def strings(row: Any, n: int) -> bool:
        return isinstance(row, list) and len(row) == n and all(isinstance(x, str) for x in row)

    variables = tuple(KernelVar(*row) for row in data.get("vars", ()) if strings(row, 3))
    modules = tuple((a, m) for a, m in (r for r in data.get("modules", ()) if strings(r, 2)))
    members: dict[str, Members] = {}
    raw = data.get("members")
    types = data.get("types") if isinstance(data.get("types"), dict) else {}
    methods = dict(data["methods"]) if isinstance(data.get("methods"), dict) else {}
    if isinstance(raw, dict):
        for name, value in raw.items():
            m = _members(value, types, 0, methods)
            if isinstance(name, str) and m is not None:
                members[name] = m
    return KernelState(
        variables=variables,
        modules=modules,
        taken_at=time.time(),
        members=MappingProxyType(members),
    )


def members_missing(state: KernelState) -> bool:
    """Whether a DataFrame, dict or Series of ``state`` came without its members: the probe's
    time budget ran out before them (a kernel's first probe after importing pandas is slow)."""
    return any(v.name not in state.members for v in state.variables if v.kind in MEMBER_KINDS)


def runs_probe(language_info: dict[str, Any]) -> bool:
    """Whether a kernel_info reply's ``language_info`` is a Python the probe runs on."""
    if str(language_info.get("name", "")).lower() != "python":
        return False
    try:
        version = tuple(int(p) for p in str(language_info.get("version", "")).split(".")[:2])
    except ValueError:
        return False
    return version >= MIN_PYTHON
