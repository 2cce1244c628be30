"""The probe that runs inside the user's kernel: a JSON description of the user namespace.

The server sends this file as source text (the kernel need not have jupyter_spark installed) and
runs it with ``exec`` in a fresh dict that holds ``user_ns`` and ``limits``; it leaves its
answer in that dict as ``result``. It is also an ordinary module, so tests call :func:`run`
in-process on tricky namespaces.

The rule everything here follows: never run code the user (or a library the user subclassed)
wrote. So no ``repr``/``str``/``len``/``isinstance``/attribute access on objects of unknown
types; the type of a value is found with ``type(v)`` and identity checks against types looked up
in ``sys.modules`` (nothing is imported that the user did not import); attributes of classes are
read through ``type``'s own C descriptors (a metaclass cannot intercept them); containers are
read through the base C methods (``dict.keys(d)``, ``list.__len__(xs)``), which a subclass cannot
override; function signatures come from the code object. Library code (numpy, pandas, torch) is
called only on exact library types. Every failure is caught here: an exception escaping to
IPython's ``user_expressions`` would set ``sys.last_value`` in the user's kernel.

Output: ``{"vars": [[name, kind, summary], ...], "modules": [[alias, module], ...],
"members": {name: {...}}, "types": {type: [attr, ...]}, "truncated": bool, "ms": float}``
(members only when ``limits`` has ``max_members``: what grounded completions may offer after
``x.``, ``x['`` or ``f(``, see :class:`_Members`) (or ``{"error": "TypeName"}``); with
``limits["details"]`` (a list of names) ``{"details": {name: {...}}}`` instead, see
:func:`details` (with ``limits["snapshot"]`` true as well: the snapshot, plus ``"details"``).
Keep this file compatible with Python 3.8+ syntax: the kernel's Python is not ours.
"""

from __future__ import annotations

import json
import sys
import time
from types import BuiltinFunctionType, FunctionType, GetSetDescriptorType, MethodType, ModuleType

# type's own C descriptors: reading a class through them never calls metaclass code.
_T_NAME = type.__dict__["__name__"].__get__
_T_MODULE = type.__dict__["__module__"].__get__
_T_MRO = type.__dict__["__mro__"].__get__
_T_DICT = type.__dict__["__dict__"].__get__
_T_BASES = type.__dict__["__bases__"].__get__
_M_DICT = ModuleType.__dict__["__dict__"].__get__
_NONE = type(None)
_LITERALS = (int, float, bool, complex, _NONE, str)
# Builtin types whose instances have exactly their class's attributes (no instance dict, no
# ``__getattr__``): a name missing from the class is missing from the value.
_CLOSED = (int, float, bool, complex, str, bytes, bytearray, list, tuple, set, frozenset, range)
# The same for types of these modules (when the user imported them), by module and name.
_CLOSED_LIBRARY = (("datetime", ("date", "datetime", "time", "timedelta")),)
_CO_VARARGS, _CO_VARKEYWORDS, _CO_COROUTINE = 0x04, 0x08, 0x80
# IPython's own names in the user namespace; names starting with "_" are skipped too.
_HIDDEN = frozenset(("In", "Out", "exit", "quit", "get_ipython"))
_MISSING = object()


def _one_of(t, types) -> bool:
    """``t in types`` by identity (``in`` would call a metaclass ``__eq__``)."""
    return any(t is k for k in types)


def _derives(t, base) -> bool:
    """``issubclass(t, base)`` by walking ``t``'s MRO (no ``__subclasscheck__``)."""
    if base is None:
        return False
    return any(c is base for c in _T_MRO(t))


def _is_class(v) -> bool:
    return _derives(type(v), type)


def _str_or(v, default: str) -> str:
    return v if type(v) is str else default


def _from(t, package: str) -> bool:
    """Whether class ``t`` says it was defined in ``package`` or one of its submodules."""
    mod = _str_or(_T_MODULE(t), "")
    return mod == package or mod.startswith(package + ".")


def _module_attr(module: str, name: str):
    """``sys.modules[module].name`` if that module is loaded and the value is a class."""
    m = sys.modules.get(module)
    if m is None or not _derives(type(m), ModuleType):
        return None
    d = _M_DICT(m)
    v = dict.get(d, name) if _derives(type(d), dict) else None
    return v if v is not None and _is_class(v) else None


def _class_dict_get(cls, key: str, default=None):
    """``key`` from the first class in ``cls``'s MRO whose own ``__dict__`` has it."""
    for c in _T_MRO(cls):
        v = _T_DICT(c).get(key, _MISSING)
        if v is not _MISSING:
            return v
    return default


def _instance_dict(v):
    """``v.__dict__`` through the standard C slot, or None (a ``__dict__`` property is user
    code)."""
    t = type(v)
    getter = _class_dict_get(t, "__dict__")
    if type(getter) is not GetSetDescriptorType:
        return None
    d = getter.__get__(v, t)
    return d if type(d) is dict else None


def _hidden_names(ns) -> dict:
    """IPython's ``user_ns_hidden`` (what ``%who`` leaves out: In, Out, open, exit, ...).

    Reached from the ``get_ipython`` bound method IPython puts in the namespace, and only if its
    ``__self__`` really is an IPython shell.
    """
    shell_class = _module_attr("IPython.core.interactiveshell", "InteractiveShell")
    getter = dict.get(ns, "get_ipython")
    if shell_class is None or type(getter) is not MethodType:
        return {}
    shell = getter.__self__
    if not _derives(type(shell), shell_class):
        return {}
    d = _instance_dict(shell)
    hidden = dict.get(d, "user_ns_hidden") if d is not None else None
    return hidden if type(hidden) is dict else {}


def _first_line(doc) -> str:
    if type(doc) is not str:
        return ""
    for line in doc.strip().splitlines():
        if line.strip():
            return line.strip()
    return ""


def _cut(text: str, n: int) -> str:
    return text if len(text) <= n else text[: max(n - 3, 0)] + "..."


def _literal(v) -> str:
    """The repr of a safe builtin literal, else ``...`` (a user default's repr is user code)."""
    t = type(v)
    if t is str:
        return repr(v) if len(v) <= 24 else "..."
    if t is int:
        return repr(v) if int.bit_length(v) <= 64 else "..."  # a huge int's repr is slow
    if _one_of(t, _LITERALS):
        return repr(v)
    return "..."


def _label(v) -> str:
    """A column / key label: literals, tuples of them, numpy/pandas scalars; else the type."""
    t = type(v)
    if t is str:
        return v if len(v) <= 40 else v[:37] + "..."
    if _one_of(t, _LITERALS):
        return _literal(v)
    if t is tuple:
        return "(" + ", ".join(_label(x) for x in tuple.__getitem__(v, slice(0, 4))) + ")"
    if _from(t, "numpy") or _from(t, "pandas"):
        return str(v)  # numpy scalar / pandas Timestamp: the library's own code
    return "<" + _str_or(_T_NAME(t), "?") + ">"


def _signature(co, defaults, kwdefaults, drop_first: bool = False) -> str:
    """``(a, b=2, *args, key=..., **kw)`` from a code object, like ``inspect`` without repr."""
    names = co.co_varnames
    n, nk = co.co_argcount, co.co_kwonlyargcount
    npos = getattr(co, "co_posonlyargcount", 0)
    flags = co.co_flags
    defaults = defaults if type(defaults) is tuple else ()
    kwdefaults = kwdefaults if type(kwdefaults) is dict else {}
    first_default = n - len(defaults)
    parts = []
    for i in range(n):
        p = names[i]
        if i >= first_default:
            p += "=" + _literal(defaults[i - first_default])
        parts.append(p)
        if npos and i == npos - 1:
            parts.append("/")
    if flags & _CO_VARARGS:
        parts.append("*" + names[n + nk])
    elif nk:
        parts.append("*")
    for j in range(n, n + nk):
        d = dict.get(kwdefaults, names[j], _MISSING)
        parts.append(names[j] if d is _MISSING else names[j] + "=" + _literal(d))
    if flags & _CO_VARKEYWORDS:
        parts.append("**" + names[n + nk + (1 if flags & _CO_VARARGS else 0)])
    if drop_first and n:
        del parts[0]
        if parts and parts[0] == "/":
            del parts[0]
    return "(" + ", ".join(parts) + ")"


def _function(f, drop_first: bool = False, label: str = "") -> str:
    """``def name(sig): first doc line`` for an exact FunctionType (its attributes are C)."""
    co = f.__code__
    head = "async def " if co.co_flags & _CO_COROUTINE else "def "
    sig = _signature(co, f.__defaults__, f.__kwdefaults__, drop_first)
    text = head + (label or f.__name__) + sig
    doc = _first_line(f.__doc__)
    return text + (": " + doc if doc else "")


def _builtin(f) -> str:
    """``name(sig)`` for a C function, from its ``__text_signature__`` when it has one."""
    sig = f.__text_signature__
    sig = _str_or(sig, "(...)").replace("$module, ", "").replace("($module)", "()")
    sig = sig.replace("$self, ", "").replace("($self)", "()")
    doc = f.__doc__
    doc = _first_line(doc) if type(doc) is str and not doc.startswith(f.__name__ + "(") else ""
    return f.__name__ + sig + (": " + doc if doc else "")


def _class(cls, n_items: int) -> str:
    """``class Name(Base)(init sig): doc; methods: ...`` read from the class dicts only."""
    bases = [_str_or(_T_NAME(b), "?") for b in _T_BASES(cls) if b is not object]
    text = "class " + _str_or(_T_NAME(cls), "?") + ("(" + ", ".join(bases) + ")" if bases else "")
    init = _class_dict_get(cls, "__init__")
    if type(init) is FunctionType:
        text += _signature(init.__code__, init.__defaults__, init.__kwdefaults__, True)
    doc = _first_line(_T_DICT(cls).get("__doc__"))
    if doc:
        text += ": " + doc
    methods = []
    for name, v in _T_DICT(cls).items():
        if type(name) is str and not name.startswith("_") and len(methods) < n_items:
            t = type(v)
            if t is FunctionType or t is staticmethod or t is classmethod or t is property:
                methods.append(name)
    return text + ("; members: " + ", ".join(methods) if methods else "")


def _sized(kind: str, n: int, elems) -> str:
    """``list len=3 of int|str`` from the element types of the first few elements."""
    names = []
    for x in elems:
        name = _str_or(_T_NAME(type(x)), "?")
        if name not in names:
            names.append(name)
    return kind + " len=" + str(n) + (" of " + "|".join(names) if names else "")


def _index_note(ix) -> str:
    """`` index: date datetime64[ns]`` unless it is the default RangeIndex."""
    t = type(ix)
    name = _str_or(_T_NAME(t), "?")
    if name == "RangeIndex":
        return ""
    label = ix.name
    return "; index: " + name + (" " + _label(label) if label is not None else "")


class _Describer:
    """One value -> (kind, summary); only exact known types get more than their type name."""

    def __init__(self, limits: dict, user_module: str) -> None:
        self.n_items = int(limits.get("max_items", 20))
        self.user_module = user_module
        self.ndarray = _module_attr("numpy", "ndarray")
        self.np_generic = _module_attr("numpy", "generic")
        self.DataFrame = _module_attr("pandas", "DataFrame")
        self.Series = _module_attr("pandas", "Series")
        self.Index = _module_attr("pandas", "Index")
        self.Tensor = _module_attr("torch", "Tensor")
        self.Parameter = _module_attr("torch.nn.parameter", "Parameter")
        # pandas' Series accessors by the name they are reached with (``s.str``), when loaded
        accessors = {
            "str": _module_attr("pandas.core.strings.accessor", "StringMethods"),
            "dt": _module_attr("pandas.core.indexes.accessors", "DatetimeProperties"),
            "td": _module_attr("pandas.core.indexes.accessors", "TimedeltaProperties"),
            "cat": _module_attr("pandas.core.arrays.categorical", "CategoricalAccessor"),
        }
        self.accessors = {a: c for a, c in accessors.items() if c is not None}
        closed = [_module_attr(m, n) for m, names in _CLOSED_LIBRARY for n in names]
        self.closed = tuple(c for c in closed if c is not None)

    def is_foreign(self, v) -> bool:
        """A function or class defined in another module (imported, or from ``import *``)."""
        t = type(v)
        if t is FunctionType or t is BuiltinFunctionType:
            return _str_or(v.__module__, "?") != self.user_module
        if _is_class(v):
            return _str_or(_T_MODULE(v), "?") != self.user_module
        return False

    def describe(self, v) -> tuple[str, str]:
        t = type(v)
        kind = _str_or(_T_NAME(t), "?")
        k = self.n_items
        if t is str:
            return kind, "str len=" + str(len(v)) + ": " + repr(_cut(v, 60))
        if t is int and int.bit_length(v) > 64:
            return kind, "int (" + str(int.bit_length(v)) + " bits)"
        if t is _NONE:
            return kind, "None"
        if _one_of(t, _LITERALS):
            return kind, kind + " = " + _literal(v)
        if t is range:
            return kind, repr(v)  # range(0, 10): ints only
        if t is bytes or t is bytearray:
            return kind, kind + " len=" + str(len(v))
        if t is FunctionType:
            text = _function(v)
            mod = _str_or(v.__module__, "?")
            return "function", text + (" (from " + mod + ")" if mod != self.user_module else "")
        if t is BuiltinFunctionType:
            return "builtin", _builtin(v) + " (from " + _str_or(v.__module__, "?") + ")"
        if t is MethodType:
            f = v.__func__
            if type(f) is FunctionType:
                return "method", _function(f, drop_first=True, label=f.__qualname__)
            return "method", "method"
        if _is_class(v):
            text = _class(v, k)
            mod = _str_or(_T_MODULE(v), "?")
            return "class", text + (" (from " + mod + ")" if mod != self.user_module else "")
        if _derives(t, dict):
            items = []
            for key, val in dict.items(v):  # no lookups: a lookup would hash a user key
                if len(items) >= k:
                    items.append("...")
                    break
                label = repr(_label(key)) if type(key) is str else _label(key)
                items.append(label + ": " + _str_or(_T_NAME(type(val)), "?"))
            return kind, kind + " len=" + str(dict.__len__(v)) + ": {" + ", ".join(items) + "}"
        for base in (list, tuple, set, frozenset):
            if _derives(t, base):
                n = base.__len__(v)
                fields = _T_DICT(t).get("_fields") if base is tuple else None
                if type(fields) is tuple:  # a namedtuple
                    names = [f for f in fields if type(f) is str]
                    return kind, kind + "(" + ", ".join(names[:k]) + ") namedtuple"
                first = []
                for x in base.__iter__(v):
                    if len(first) >= 8:
                        break
                    first.append(x)
                return kind, _sized(kind, n, first)
        if t is self.DataFrame:
            return kind, self._frame(v)
        if t is self.Series:
            text = "Series " + str(len(v)) + " " + str(v.dtype)
            if v.name is not None:
                text += " name=" + _label(v.name)
            return kind, text + _index_note(v.index)
        if _derives(t, self.Index) and _from(t, "pandas"):
            return kind, kind + " " + str(len(v)) + " " + str(v.dtype)
        if _derives(t, self.ndarray):
            d = _T_DICT(self.ndarray)  # the base C getters: a subclass cannot intercept them
            shape = d["shape"].__get__(v)
            dtype = d["dtype"].__get__(v)
            head = "ndarray" if t is self.ndarray else kind + " (ndarray)"
            return kind, head + " " + str(shape) + " " + str(dtype)
        if _derives(t, self.np_generic) and _from(t, "numpy"):
            return kind, kind + " = " + str(v)
        if self.Tensor is not None and (t is self.Tensor or t is self.Parameter):
            return kind, kind + " " + str(tuple(v.shape)) + " " + str(v.dtype)
        for c in (self.DataFrame, self.Series, self.ndarray):
            if c is not None and _derives(t, c):
                return kind, kind + " (" + _str_or(_T_NAME(c), "?") + " subclass)"
        return kind, self._instance(v, t, kind)

    def _frame(self, df) -> str:
        """``DataFrame 1000x3: id:int64, price:float64, city:object`` (first max_items columns)."""
        rows, cols = df.shape
        k = self.n_items
        labels = df.columns[:k].tolist()
        dtypes = df.dtypes.iloc[:k].tolist()
        parts = [_label(labels[i]) + ":" + str(dtypes[i]) for i in range(len(dtypes))]
        if cols > k:
            parts.append("...")
        return (
            "DataFrame "
            + str(rows)
            + "x"
            + str(cols)
            + ": "
            + ", ".join(parts)
            + (_index_note(df.index))
        )

    def _instance(self, v, t, kind: str) -> str:
        """``Model instance: attrs a:int, b:str; methods fit, predict`` via the C ``__dict__``."""
        mod = _str_or(_T_MODULE(t), "?")
        own = mod == self.user_module or mod == "builtins"
        text = kind + " instance" + ("" if own else " (from " + mod + ")")
        k = self.n_items
        attrs = []
        for name, val in (_instance_dict(v) or {}).items():
            if type(name) is str and not name.startswith("_"):
                if len(attrs) >= k:
                    attrs.append("...")
                    break
                attrs.append(name + ":" + _str_or(_T_NAME(type(val)), "?"))
        methods = []
        # A user class: its methods and its bases'; a library class: only its own (a pandas
        # Index would otherwise list dozens).
        for c in _T_MRO(t) if mod == self.user_module else (t,):
            if c is object or _from(c, "builtins"):
                continue
            for name, val in _T_DICT(c).items():
                if (
                    type(name) is str
                    and not name.startswith("_")
                    and type(val) is FunctionType
                    and name not in methods
                    and len(methods) < k
                ):
                    methods.append(name)
        if attrs:
            text += ": attrs " + ", ".join(attrs)
        if methods:
            text += ("; " if attrs else ": ") + "methods " + ", ".join(methods)
        return text


def _public(names, k: int) -> list:
    """String names without a leading underscore, at most ``k``."""
    out = []
    for a in names:
        if type(a) is str and not a.startswith("_"):
            out.append(a)
            if len(out) >= k:
                break
    return out


def _params(f, drop_first: bool) -> dict:
    """How a call binds to the exact function ``f`` (its code object and defaults only):
    ``p`` names a call may pass by keyword, ``n`` of them also by position, ``kw`` whether it
    takes ``**kwargs``; ``po`` positional-only parameters before them, ``va`` ``*args``,
    ``rq`` how many positional parameters (``po`` first, then ``p``) have no default, ``rk``
    the keyword-only ones without one."""
    f = _unwrapped(f)
    co = f.__code__
    n, nk = co.co_argcount, co.co_kwonlyargcount
    npos = getattr(co, "co_posonlyargcount", 0)
    first = 1 if drop_first and n else 0
    names = list(co.co_varnames[max(npos, first) : n])
    positional = len(names)
    names += list(co.co_varnames[n : n + nk])
    defaults = f.__defaults__ if type(f.__defaults__) is tuple else ()
    kwdefaults = f.__kwdefaults__ if type(f.__kwdefaults__) is dict else {}
    return {
        "p": names,
        "n": positional,
        "kw": bool(co.co_flags & _CO_VARKEYWORDS),
        "po": max(0, npos - first),
        "va": bool(co.co_flags & _CO_VARARGS),
        "rq": max(0, n - first - len(defaults)),
        "rk": [
            x for x in co.co_varnames[n : n + nk] if dict.get(kwdefaults, x, _MISSING) is _MISSING
        ],
    }


_F_DICT = FunctionType.__dict__["__dict__"].__get__


def _unwrapped(f):
    """The function a pass-through decorator wraps (``def wrapper(*args, **kwargs)`` with
    ``functools.wraps``: scikit-learn's ``fit``), read from the wrapper's own ``__dict__``; a
    wrapper with a signature of its own is the real one."""
    for _ in range(4):
        co = f.__code__
        if co.co_flags & (_CO_VARARGS | _CO_VARKEYWORDS) != _CO_VARARGS | _CO_VARKEYWORDS:
            break
        inner = dict.get(_F_DICT(f), "__wrapped__")
        if type(inner) is not FunctionType:
            break
        f = inner
    return f


def _implementation(x):
    """The Python function behind ``x`` when ``x`` is one (a plain function, or NumPy's
    ``_ArrayFunctionDispatcher``, read through its type's own slot), else None."""
    t = type(x)
    if t is FunctionType:
        return x
    if _T_NAME(t) == "_ArrayFunctionDispatcher" and _from(t, "numpy"):
        slot = _T_DICT(t).get("_implementation")
        f = slot.__get__(x, t) if slot is not None else None
        return f if type(f) is FunctionType else None
    return None


class _Members:
    """What may follow a value: ``k`` keys, ``a`` attributes, ``p`` parameters, ``kw`` takes
    ``**kwargs``, ``open`` computes attributes, ``t`` a shared type's attributes (in ``types``),
    ``sub`` the members of dict values and of a module's submodules. Same rules as above: keys
    through ``dict.keys``, attributes from C ``__dict__`` slots and class dicts, library methods
    only on exact library types."""

    def __init__(self, describer: _Describer, limits: dict) -> None:
        self.d = describer
        self.k = int(limits.get("max_members", 1000))
        self.types: dict = {}
        self.methods: dict = {}
        self.NpzFile = None

    def _type_attrs(self, t) -> str:
        """The key of ``t``'s attribute list in ``types`` (filled once per type)."""
        key = _str_or(_T_MODULE(t), "?") + "." + _str_or(_T_NAME(t), "?")
        if key not in self.types:
            names = []
            for c in _T_MRO(t):
                if c is object:
                    continue
                names.extend(a for a in _T_DICT(c) if a not in names)
            self.types[key] = _public(names, self.k)
        return key

    def _type_methods(self, t) -> str | None:
        """The key of the parameters of ``t``'s Python methods in ``methods`` (filled once per
        type; bound: ``self`` dropped, not for a staticmethod), or None when it has none."""
        key = _str_or(_T_MODULE(t), "?") + "." + _str_or(_T_NAME(t), "?")
        if key not in self.methods:
            found: dict = {}
            for c in _T_MRO(t):
                if c is object:
                    continue
                for a, v in _T_DICT(c).items():
                    if type(a) is not str or a.startswith("_") or a in found:
                        continue
                    found[a] = None  # (a subclass's non-function shadows the base's method)
                    tv = type(v)
                    if tv is staticmethod or tv is classmethod:
                        f = _T_DICT(tv)["__func__"].__get__(v, tv)
                        if type(f) is FunctionType:
                            found[a] = _params(f, tv is classmethod)
                    elif tv is FunctionType:
                        found[a] = _params(v, True)
            self.methods[key] = {a: m for a, m in found.items() if m is not None}
        return key if self.methods[key] else None

    def _columns(self, df, out: dict) -> None:
        """A frame's columns are Series: ``cols`` gives the Series type once and the column
        names by accessor (``str`` for text, ``dt`` for dates, ``cat``), so ``df['a'].`` and
        ``df['a'].str.`` are closed sets without a per-column entry."""
        series = self.d.Series
        if series is None:
            return
        names = df.columns[: self.k].tolist()
        dtypes = df.dtypes.tolist()[: self.k]
        by: dict = {}
        for name, dtype in zip(names, dtypes, strict=False):
            if type(name) is str:
                by.setdefault(_accessor(str(dtype)), []).append(name)
        acc = {}
        for a in by:
            cls = self.d.accessors.get(a) if a else None
            if cls is not None:
                acc[a] = [_str_or(_T_NAME(cls), "?"), self._type_attrs(cls)]
        out["cols"] = {
            "t": self._type_attrs(series),
            "tm": self._type_methods(series),
            "by": by,
            "acc": acc,
        }

    def _index(self, ix, out: dict) -> None:
        """``df.index``: the attributes of its pandas index type (``DatetimeIndex.hour``)."""
        t = type(ix)
        if _from(t, "pandas") and _derives(t, self.d.Index):
            out["ix"] = [_str_or(_T_NAME(t), "?"), self._type_attrs(t)]

    def _computes_attrs(self, t) -> bool:
        for c in _T_MRO(t):
            if c is object:
                continue
            d = _T_DICT(c)
            if "__getattr__" in d or "__getattribute__" in d:
                return True
        return False

    def _callable(self, v):
        """Keywords of a function or a class's ``__init__`` (no attribute lists: they would
        repeat for every class of a library)."""
        f = _implementation(v)
        if f is not None:
            return _params(f, False)
        init = _class_dict_get(v, "__init__")
        if type(init) is FunctionType:
            return _params(init, True)
        return None

    def of(self, v, depth: int = 0):
        t = type(v)
        d = self.d
        if _derives(t, ModuleType):
            md = _M_DICT(v)
            names = _public(md if type(md) is dict else (), self.k)
            out = {"a": names}
            if type(md) is dict and "__getattr__" in md:
                out["lazy"] = True  # a module __getattr__ (PEP 562) may make a few more names
            if depth == 0 and type(md) is dict:
                # submodules (np.linalg.), and the keywords of its functions and classes
                # (pd.read_csv(path, se): both read as above, no call
                sub, calls = {}, 0
                for a in names:
                    x = dict.get(md, a)
                    if _derives(type(x), ModuleType):
                        if len(sub) - calls < 64:
                            sub[a] = self.of(x, depth + 1)
                    elif calls < 400 and (_implementation(x) is not None or _is_class(x)):
                        m = self._callable(x)
                        if m is not None:
                            sub[a] = m
                            calls += 1
                if sub:
                    out["sub"] = sub
            return out
        f = _implementation(v)
        if f is not None:
            return _params(f, False)
        if t is MethodType:
            f = v.__func__
            return _params(f, True) if type(f) is FunctionType else None
        if _is_class(v):
            out = {"t": self._type_attrs(v)}
            init = _class_dict_get(v, "__init__")
            if type(init) is FunctionType:
                out.update(_params(init, True))
            return out
        if t is BuiltinFunctionType or t is _NONE:
            return None
        if _one_of(t, _CLOSED) or _one_of(t, self.d.closed):
            # str, list, datetime...: C types whose attributes are their class's, fixed
            return {"t": self._type_attrs(t)}
        if _derives(t, dict):
            keys = [key for key in dict.keys(v) if type(key) is str][: self.k]
            out = {"k": keys, "t": self._type_attrs(t)}
            methods = self._type_methods(t)
            if methods is not None:
                out["tm"] = methods
            if depth < 3:
                sub = {}
                for key, val in dict.items(v):
                    if type(key) is str and _derives(type(val), dict) and len(sub) < 64:
                        sub[key] = self.of(val, depth + 1)
                if sub:
                    out["sub"] = sub
            return out
        if t is d.DataFrame:
            cols = [c for c in v.columns[: self.k].tolist() if type(c) is str]
            attrs = [c for c in cols if c.isidentifier()]
            out = {"k": cols, "a": attrs, "t": self._type_attrs(t), "tm": self._type_methods(t)}
            self._columns(v, out)
            self._index(v.index, out)
            return out
        if t is d.Series:
            labels = []
            if _T_NAME(type(v.index)) == "Index":  # labels, not a range or dates
                labels = [x for x in v.index[: self.k].tolist() if type(x) is str]
            out = {"k": labels, "t": self._type_attrs(t), "tm": self._type_methods(t)}
            accessor = _accessor(str(v.dtype))
            if accessor:
                cls = self.d.accessors.get(accessor)
                if cls is not None:
                    out["acc"] = {accessor: [_str_or(_T_NAME(cls), "?"), self._type_attrs(cls)]}
            self._index(v.index, out)
            return out
        if _T_NAME(t) == "NpzFile" and _from(t, "numpy"):
            inst = _instance_dict(v) or {}
            files = dict.get(inst, "files")
            keys = [f for f in files if type(f) is str] if type(files) is list else []
            return {"k": keys[: self.k], "t": self._type_attrs(t)}
        out = {"t": self._type_attrs(t)}
        inst = _instance_dict(v)
        if inst is not None:
            out["a"] = _public(inst, self.k)
        if self._computes_attrs(t):
            out["open"] = True
        methods = self._type_methods(t)
        if methods is not None:
            out["tm"] = methods
        return out


def _accessor(dtype: str) -> str:
    """The Series accessor a dtype's values have: ``str`` (text), ``dt`` (dates), ``td``
    (durations, reached as ``.dt``), ``cat``; "" for none."""
    if dtype in ("object", "str", "string") or dtype.startswith("string["):
        return "str"
    if dtype.startswith("datetime64"):
        return "dt"
    if dtype.startswith("timedelta64"):
        return "td"
    return "cat" if dtype == "category" else ""


def _module_name(m) -> str:
    d = _M_DICT(m)
    return _str_or(dict.get(d, "__name__") if type(d) is dict else None, "?")


def snapshot(ns, limits: dict) -> dict:
    """The description of ``ns`` within the limits (may raise; :func:`run` catches)."""
    start = time.perf_counter()
    deadline = start + float(limits.get("budget_ms", 50)) / 1000.0
    max_vars = int(limits.get("max_vars", 200))
    max_bytes = int(limits.get("max_bytes", 32000))
    max_summary = int(limits.get("max_summary", 240))
    items = list(dict.items(ns)) if _derives(type(ns), dict) else []
    user_module = _str_or(dict.get(ns, "__name__"), "__main__") if items else "__main__"
    describer = _Describer(limits, user_module)
    hidden = _hidden_names(ns) if items else {}
    modules, own, foreign = [], [], []
    truncated = False
    for name, v in items:
        if type(name) is not str or name.startswith("_") or name in _HIDDEN:
            continue
        if dict.get(hidden, name, _MISSING) is v:  # IPython's, unless the user rebound it
            continue
        if _derives(type(v), ModuleType):
            modules.append([name, _module_name(v)])
        elif describer.is_foreign(v):
            foreign.append((name, v))
        else:
            own.append((name, v))
    out, size = [], 0
    for name, v in own + foreign:  # the user's own names first; imported callables after
        if len(out) >= max_vars or time.perf_counter() > deadline:
            truncated = True
            break
        try:
            kind, summary = describer.describe(v)
        except Exception:  # library code on an odd value: keep the name and the type
            kind = _str_or(_T_NAME(type(v)), "?")
            summary = kind
        summary = _cut(" ".join(summary.split()), max_summary)
        size += len(name) + len(kind) + len(summary) + 16
        if size > max_bytes:
            truncated = True
            break
        out.append([name, kind, summary])
    if len(modules) > max_vars:
        modules, truncated = modules[:max_vars], True
    members, types, methods = _all_members(describer, limits, out, modules, dict(items), deadline)
    ms = (time.perf_counter() - start) * 1000.0
    return {
        "vars": out,
        "modules": modules,
        "members": members,
        "types": types,
        "methods": methods,
        "truncated": truncated,
        "ms": round(ms, 2),
    }


def _all_members(describer, limits: dict, described, modules, ns: dict, deadline: float):
    """Members of the described variables and module aliases, within a size and time budget
    (what is left out is simply not grounded)."""
    if "max_members" not in limits:
        return {}, {}, {}
    reader = _Members(describer, limits)
    max_bytes = int(limits.get("max_member_bytes", 400000))
    members, size = {}, 0
    names = [row[0] for row in described] + [alias for alias, _ in modules]
    for name in names:
        if time.perf_counter() > deadline + 0.05:  # members get 50 ms more than summaries
            break
        try:
            m = reader.of(dict.get(ns, name))
        except Exception:  # library code on an odd value: no members for this one
            continue
        if m is None:
            continue
        cost = len(json.dumps(m, ensure_ascii=True))
        if size + cost > max_bytes:
            continue
        size += cost
        members[name] = m
    types = {}
    for key, names_ in reader.types.items():
        cost = sum(len(x) + 3 for x in names_)
        if size + cost <= max_bytes:
            size += cost
            types[key] = names_
    methods = {}
    for key, table in reader.methods.items():
        if not table:
            continue
        cost = len(json.dumps(table, ensure_ascii=True))
        if size + cost <= max_bytes:
            size += cost
            methods[key] = table
    return members, types, methods


def _arity(f, drop_first: bool) -> dict:
    """Positional bounds of an exact function, from its code object (for argument-count fixes)."""
    co = f.__code__
    defaults = f.__defaults__ if type(f.__defaults__) is tuple else ()
    n = co.co_argcount - (1 if drop_first and co.co_argcount else 0)
    return {
        "min": max(0, n - len(defaults)),
        "max": None if co.co_flags & _CO_VARARGS else n,
        "signature": _signature(co, f.__defaults__, f.__kwdefaults__, drop_first),
    }


def _resolve(ns, dotted: str):
    """``a.b.c`` through namespace and module dicts only (no attribute access on objects)."""
    parts = dotted.split(".")
    v = dict.get(ns, parts[0], _MISSING)
    for part in parts[1:]:
        if v is _MISSING or not _derives(type(v), ModuleType):
            return _MISSING
        d = _M_DICT(v)
        v = dict.get(d, part, _MISSING) if type(d) is dict else _MISSING
    return v


# Two more questions ``details`` answers, by prefix: "import:NAME" is whether NAME is a top-level
# module this kernel could import (found by the standard path finder; nothing is imported and
# no finder the user installed runs), "module:NAME" the names of a module already in
# ``sys.modules`` but not in the namespace (a failed ``from m import x`` leaves ``m`` there).
IMPORT_PREFIX, MODULE_PREFIX = "import:", "module:"


def _importable(name: str):
    """``{"type": "importable", "stdlib": bool}`` if ``name`` is an importable module, else None."""
    if not name.isidentifier():
        return None
    std = getattr(sys, "stdlib_module_names", ())
    if name in sys.builtin_module_names:
        return {"type": "importable", "stdlib": True}
    try:
        from importlib.machinery import PathFinder

        spec = PathFinder.find_spec(name)
    except Exception:
        return None
    if spec is None:
        return None
    return {"type": "importable", "stdlib": name in std}


def details(ns, names, limits: dict) -> dict:
    """For each dotted name: its type, attribute names, keys or columns, and call arity.

    What the fixes need from the live kernel: the nearest attribute (``df.colums``), the nearest
    key or column (``d["nmae"]``), the real argument count of ``f``. Same rules as above:
    attribute names come from the instance's C ``__dict__`` and the class dicts of the MRO.
    """
    k = int(limits.get("max_detail_items", 500))
    DataFrame = _module_attr("pandas", "DataFrame")
    out = {}
    for dotted in names[:20] if type(names) is list else ():
        if type(dotted) is not str:
            continue
        if dotted.startswith(IMPORT_PREFIX):
            found = _importable(dotted[len(IMPORT_PREFIX) :])
            if found is not None:
                out[dotted] = found
            continue
        if dotted.startswith(MODULE_PREFIX):
            modules = sys.modules
            if type(modules) is not dict:
                continue
            v = dict.get(modules, dotted[len(MODULE_PREFIX) :], _MISSING)
            if not _derives(type(v), ModuleType):
                continue
        else:
            v = _resolve(ns, dotted)
        if v is _MISSING:
            continue
        t = type(v)
        info = {"type": _str_or(_T_NAME(t), "?")}
        attrs = []
        if _derives(t, ModuleType):
            d = _M_DICT(v)
            attrs = [a for a in (d if type(d) is dict else ()) if type(a) is str]
        else:
            inst = _instance_dict(v)
            attrs = [a for a in (inst or ()) if type(a) is str]
            for c in _T_MRO(v) if _is_class(v) else _T_MRO(t):
                attrs.extend(a for a in _T_DICT(c) if type(a) is str and a not in attrs)
        info["attrs"] = [a for a in attrs if not a.startswith("_")][:k]
        if t is dict:
            info["keys"] = [key for key in dict.keys(v) if type(key) is str][:k]
        elif DataFrame is not None and t is DataFrame:
            info["keys"] = [c for c in v.columns[:k].tolist() if type(c) is str]
            # a groupby's keys become the index: ``g['city']`` is then a KeyError
            info["index_names"] = [n for n in list(v.index.names)[:8] if type(n) is str]
        if t is FunctionType:
            info["arity"] = _arity(v, False)
        elif t is MethodType and type(v.__func__) is FunctionType:
            info["arity"] = _arity(v.__func__, True)
        elif _is_class(v):
            init = _class_dict_get(v, "__init__")
            if type(init) is FunctionType:
                info["arity"] = _arity(init, True)
        out[dotted] = info
    return out


def run(ns, limits: dict) -> str:
    """:func:`snapshot` as JSON; never raises (an escaping error would set ``sys.last_*``)."""
    try:
        if "details" in limits:  # a targeted question from the fixes service
            found = details(ns, limits["details"], limits)
            if not limits.get("snapshot"):
                return json.dumps({"details": found}, ensure_ascii=True)
            # the snapshot due after a failed run, and the fix's questions: one round trip
            out = snapshot(ns, limits)
            out["details"] = found
            return json.dumps(out, ensure_ascii=True)
        return json.dumps(snapshot(ns, limits), ensure_ascii=True)
    except BaseException as e:  # nothing may reach IPython's error handler
        return json.dumps({"error": _str_or(_T_NAME(type(e)), "?")})


if __name__ == "__jupyter_spark_probe__":  # exec'd by the server with these two names given
    result = run(globals().get("user_ns"), globals().get("limits") or {})
