"""Candidate sets: what may follow the cursor at a site, from everything that knows.

Sources, merged per name (a name the kernel holds and a cell redefines gets both):
- the kernel's snapshot (``KernelState.members``: real keys, columns, attributes, parameters);
- the notebook's cells, read statically (cells.py: dict literals, classes, defs, imports, keys
  assigned, instances of cell classes), found through the notebook's name -> definers index;
- the project index (any ``SymbolSource``: the project's modules and what they define);
- the installed modules (modules.py) and Python's builtins and keywords.

A site's set is *closed* when one of these knows it exactly; otherwise there is no set and the
completion is free. Sites where a new name is the likely intent give no set either: a key the
rest of the line assigns (``df['new'] = ...``), a name starting a statement before two of its
characters are typed (``total = ...``), keywords of a ``**kwargs`` callee, a positional
argument's place, a key or name the typed text matches none of.
"""

from __future__ import annotations

import builtins
import inspect
import keyword
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from ..engine.grounded import Choices
from ..kernel.state import KernelState, Members
from .cells import CellFacts, cell_facts
from .modules import module_members, ready, submodules, top_level_modules
from .sites import Path, Site, Step, find_site
from .symbols import ModuleSymbols, SymbolSource

# Series methods whose result is a Series with the same kind of values (``s.dropna().``);
# not ``astype``/``map``/``apply``, which change the values' type (and so their accessors).
SERIES_SAME = frozenset(
    [
        "abs",
        "between",
        "bfill",
        "clip",
        "copy",
        "cummax",
        "cummin",
        "cumprod",
        "cumsum",
        "diff",
        "drop",
        "drop_duplicates",
        "dropna",
        "ffill",
        "fillna",
        "head",
        "interpolate",
        "isin",
        "isna",
        "notna",
        "mask",
        "nlargest",
        "nsmallest",
        "pct_change",
        "rank",
        "reindex",
        "rename",
        "replace",
        "round",
        "sample",
        "shift",
        "sort_index",
        "sort_values",
        "tail",
        "where",
        "value_counts",
        "add",
        "sub",
        "mul",
        "div",
        "truediv",
        "floordiv",
        "pow",
        "mod",
        "eq",
        "ne",
        "lt",
        "le",
        "gt",
        "ge",
    ]
)
# Methods of a Series' accessor (by its type) that give a Series back (``s.str.lower().``):
# (those whose values keep their type, so the accessor still applies; the others).
ACCESSOR_SERIES: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "StringMethods": (
        frozenset(
            [
                "capitalize",
                "casefold",
                "center",
                "join",
                "ljust",
                "lower",
                "lstrip",
                "normalize",
                "pad",
                "removeprefix",
                "removesuffix",
                "repeat",
                "replace",
                "rjust",
                "rstrip",
                "slice",
                "slice_replace",
                "strip",
                "swapcase",
                "title",
                "translate",
                "upper",
                "wrap",
                "zfill",
            ]
        ),
        frozenset(
            [
                "contains",
                "count",
                "endswith",
                "find",
                "findall",
                "fullmatch",
                "isalnum",
                "isalpha",
                "isdecimal",
                "isdigit",
                "islower",
                "isnumeric",
                "isspace",
                "istitle",
                "isupper",
                "len",
                "match",
                "rfind",
                "split",
                "rsplit",
                "startswith",
            ]
        ),
    ),
    "DatetimeProperties": (
        frozenset(["normalize", "round", "floor", "ceil", "tz_localize", "tz_convert"]),
        frozenset(["day_name", "month_name", "strftime", "to_period"]),
    ),
}

# Methods of a DataFrame whose result has the same columns (``df.groupby('k')['``).
SAME_COLUMNS = frozenset(
    [
        "groupby",
        "rolling",
        "expanding",
        "resample",
        "ewm",
        "sort_values",
        "sort_index",
        "dropna",
        "fillna",
        "copy",
        "head",
        "tail",
        "sample",
        "drop_duplicates",
        "reset_index",
        "query",
        "pipe",
        "astype",
        "round",
        "abs",
        "nlargest",
        "nsmallest",
        "ffill",
        "bfill",
        "interpolate",
        "where",
        "mask",
        "clip",
        "replace",
        "rename_axis",
        "loc",
        "iloc",
    ]
)
# Names a cell may use without defining them.
_BUILTINS = frozenset(n for n in dir(builtins) if not n.startswith("_"))
_KEYWORDS = frozenset(keyword.kwlist) | frozenset(keyword.softkwlist)
_IDENTIFIERS = re.compile(r"(?<![\w.])[A-Za-z_]\w*")
# A name site offers nothing before this many characters when it starts a statement: there a
# new variable is as likely as an existing one.
STATEMENT_START_MIN_TYPED = 2


@dataclass
class Knowledge:
    """What one request knows: the kernel, the notebook's cells, the project.

    ``cells`` yields the sources of the cells that may bind a name (the notebook's definers
    index, or all cells of a small scratch notebook); ``all_names`` the names any cell binds.
    """

    kernel: KernelState | None = None
    cell_sources: tuple[str, ...] = ()  # other cells (used when no index is given)
    definers: object = None  # callable name -> iterable of cell sources (a notebook's index)
    all_names: Iterable[str] = ()
    current: str = ""  # the current cell's whole text (prefix + suffix)
    project: SymbolSource | None = None
    near: str | None = None  # the notebook's folder, root-relative (for the project index)
    before: str = ""  # the current cell up to the cursor (set by ``ground``: ``self.``'s class)
    after: str = ""
    _facts_memo: dict = field(default_factory=dict)

    def sources_for(self, name: str) -> list[str]:
        if callable(self.definers):
            found = list(self.definers(name))  # type: ignore[operator]
        else:
            found = [s for s in self.cell_sources if name in cell_facts(s).names]
        return found

    def facts_for(self, name: str) -> list[CellFacts]:
        """Facts of the cells defining ``name``, the current cell's last (it ran last)."""
        hit = self._facts_memo.get(name)
        if hit is None:
            hit = [cell_facts(s) for s in self.sources_for(name)]
            current = cell_facts(self.current) if self.current else None
            if current is not None and name in current.names:
                hit.append(current)
            self._facts_memo[name] = hit
        return hit


@dataclass(frozen=True)
class Resolved:
    members: Members
    kind: str = ""  # kernel type name ("DataFrame"), "module", "class", ...
    module: str = ""  # the dotted module it is, when it is one


def ground(prefix: str, suffix: str, knowledge: Knowledge) -> Choices | None:
    """The closed set of continuations at the cursor, or None where it is open or unknown."""
    site = find_site(prefix, suffix)
    if site is None:
        return None
    knowledge.before, knowledge.after = prefix, suffix
    texts, word = _candidates(site, knowledge)
    if not texts:
        return None
    prior = _target_prior(prefix, site, texts)
    return Choices(tuple(texts), word=word, site=site.kind, prior=prior)


# The tie-break (nats) for a candidate whose words the assignment target repeats.
TARGET_PRIOR_NATS = 2.0
_TARGET = re.compile(r"^[ \t]*([A-Za-z_]\w*)\s*=[^=]")


def _words(name: str) -> list[str]:
    return [w for w in re.split(r"[_\s]+", name.lower()) if w]


def _same_stem(a: str, b: str) -> bool:
    """``steps``/``warmup_steps``' ``steps``, ``returned``/``returns``: a shared start of 4+
    letters covering most of the shorter word."""
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return (n >= 4 and n >= 0.6 * min(len(a), len(b))) or (n >= 3 and n == min(len(a), len(b)))


def _target_prior(prefix: str, site: Site, texts: list[str]) -> tuple[float, ...]:
    """``late_steps = cfg['`` favours ``warmup_steps``, ``wd = opt['`` ``weight_decay``,
    ``clip_to_bbox(pts, settings.`` ``DEFAULT_BBOX``: people name a variable after what they
    take, and functions (and their keywords) after what they are given. A bonus where a word of
    the target, of the enclosing callee or of the keyword and one of the candidate share their
    stem, or the target spells the candidate's initials."""
    if site.kind not in ("key", "attr"):
        return ()
    line = prefix[prefix.rfind("\n") + 1 :]
    m = _TARGET.match(line)
    target = _words(m.group(1)) if m is not None else []
    given, callee = _callee_words(line)
    context = [*target, *given]
    if not context:
        return ()
    out = []
    for t in texts:
        name = site.typed + t.rstrip("'\"=")
        words = _words(name)
        initials = "".join(w[0] for w in words)
        hit = name != callee and (  # not the function itself, as its own argument
            any(_same_stem(tw, w) for tw in context for w in words)
            or (len(words) > 1 and bool(target) and "".join(target) == initials)
        )
        out.append(TARGET_PRIOR_NATS if hit else 0.0)
    return tuple(out) if any(out) else ()


# Callees whose names say nothing about their argument (``print(``, ``df.groupby(``).
_GENERIC_CALLEES = (
    _BUILTINS
    | SAME_COLUMNS
    | frozenset(
        {
            "get",
            "append",
            "extend",
            "join",
            "format",
            "apply",
            "agg",
            "map",
            "update",
            "pop",
            "setdefault",
            "merge",
            "concat",
            "plot",
            "add",
            "remove",
            "insert",
            "index",
            "count",
        }
    )
)
_CALLEE = re.compile(r"([A-Za-z_]\w*)\s*\($")
_KEYWORD_BEFORE = re.compile(r"([A-Za-z_]\w*)\s*=\s*[\w.\[\]'\"]*$")


def _callee_words(line: str) -> tuple[list[str], str]:
    """Words of the keyword the value is for (``bbox=``) and of the innermost callee whose
    argument list the cursor is in (``clip_to_bbox(``), read from the current line; and the
    callee's name."""
    depth, cut = 0, -1
    for i in range(len(line) - 1, -1, -1):
        c = line[i]
        if c in ")]}":
            depth += 1
        elif c in "([{":
            if depth == 0:
                cut = i
                break
            depth -= 1
    if cut < 0 or line[cut] != "(":
        return [], ""
    out = []
    kw = _KEYWORD_BEFORE.search(line[cut + 1 :].rsplit(",", 1)[-1])
    if kw is not None:
        out.extend(_words(kw.group(1)))
    callee = _CALLEE.search(line[: cut + 1])
    if callee is None or callee.group(1) in _GENERIC_CALLEES:
        return out, ""
    out.extend(w for w in _words(callee.group(1)) if len(w) >= 3)
    return out, callee.group(1)


def _candidates(site: Site, k: Knowledge) -> tuple[list[str], bool]:
    if site.kind == "key":
        return _key_texts(site, k), False
    if site.kind == "attr":
        r = resolve(site.target, k) if site.target else None
        if r is None or (r.members.open_attrs and not r.members.attrs):
            return [], True
        if r.members.open_attrs:
            return [], True
        return _matching(r.members.attrs, site.typed, private=site.typed.startswith("_")), True
    if site.kind == "name":
        return _name_texts(site, k), True
    if site.kind == "module":
        return _module_texts(site, k), True
    if site.kind == "from":
        names = _from_names(site.module, k)
        return _matching([n for n in names if n not in site.given], site.typed), True
    if site.kind == "kwarg":
        return _kwarg_texts(site, k), True
    return [], True


def _matching(names: Iterable[str], typed: str, private: bool = False) -> list[str]:
    """The rest of each name that starts with what was typed."""
    out = []
    for n in dict.fromkeys(names):
        if n.startswith(typed) and (private or not n.startswith("_")):
            out.append(n[len(typed) :])
    return out


def _key_texts(site: Site, k: Knowledge) -> list[str]:
    if site.assigned:  # ``df['new'] = ...``: a new key is as likely as an existing one
        return []
    r = resolve(site.target, k) if site.target else None
    if r is None:
        return []
    if site.loc == "row" and r.kind != "Series":
        return []
    keys = [key for key in r.members.keys if key not in site.given]
    bad = (site.quote, "\\", "\n", "\r")
    keys = [key for key in keys if not any(b in key for b in bad)]
    rest = [key[len(site.typed) :] for key in keys if key.startswith(site.typed)]
    return [t + site.quote for t in dict.fromkeys(rest)]


def _scope_names(k: Knowledge, current_word: str) -> list[str]:
    """Every name the cursor may use: kernel, cells, the current cell's own, builtins."""
    names: list[str] = []
    if k.kernel is not None:
        names.extend(v.name for v in k.kernel.variables)
        names.extend(a for a, _ in k.kernel.modules)
    names.extend(k.all_names)
    for s in k.cell_sources:
        names.extend(cell_facts(s).names)
    words = _IDENTIFIERS.findall(k.current)
    seen_typed = words.count(current_word)
    names.extend(w for w in words if w != current_word)
    if seen_typed > 1:  # typed elsewhere in the cell too: it is a real name
        names.append(current_word)
    names.extend(_BUILTINS)
    names.extend(_KEYWORDS)
    return names


def _name_texts(site: Site, k: Knowledge) -> list[str]:
    if site.statement_start and len(site.typed) < STATEMENT_START_MIN_TYPED:
        return []
    return _matching(_scope_names(k, site.typed), site.typed, private=site.typed[:1] == "_")


def _module_texts(site: Site, k: Knowledge) -> list[str]:
    if site.module.startswith("."):
        names = _project_modules(k, site.module)
    elif not site.module:
        if not ready():
            return []
        names = list(top_level_modules()) + [m.split(".")[0] for m in _project_modules(k, "")]
    else:
        names = list(submodules(site.module)) + _project_modules(k, site.module)
        r = resolve_module(site.module, k)
        if r is not None:
            names.extend(n for n in r.members.items)
    return _matching(names, site.typed, private=site.typed[:1] == "_")


def _project_modules(k: Knowledge, package: str) -> list[str]:
    """Next dotted parts of project modules inside ``package`` ("" for the top level)."""
    if k.project is None:
        return []
    out = []
    start = package + "." if package else ""
    try:
        found = list(k.project.modules(k.near))
    except Exception:
        return []
    for m in found:
        if m.startswith(start):
            out.append(m[len(start) :].split(".")[0])
    return out


def _from_names(module: str, k: Knowledge) -> list[str]:
    r = resolve_module(module, k)
    names = list(r.members.attrs) if r is not None else []
    if not module.startswith("."):
        names.extend(submodules(module))
    names.extend(_project_modules(k, module))
    return names


def _kwarg_texts(site: Site, k: Knowledge) -> list[str]:
    """Keywords left of a callee whose signature is known; with something typed, also the names
    in scope (a positional argument). An unknown callee's keywords are an open set: nothing."""
    r = resolve(site.target, k) if site.target else None
    if r is None and site.target is not None and not site.target.steps:
        r = _builtin_callable(site.target.root)
    if r is None or not (r.members.params or r.kind in ("function", "class")):
        return []
    if r.members.var_kwargs:
        return []
    m = r.members
    n = len(m.params) if m.n_positional is None else m.n_positional
    # the first positional arguments filled those places; keyword-only ones stay open
    taken = set(m.params[: min(site.positional, n)])
    params = [p for p in m.params if p not in taken and p not in site.given]
    texts = [p + "=" for p in params]
    if site.after_keyword:
        return _matching(texts, site.typed)
    if not site.typed:
        return []  # a positional argument may come: any expression
    return _matching([*texts, *_scope_names(k, site.typed)], site.typed)


def _builtin_callable(name: str) -> Resolved | None:
    """``print(``, ``sorted(``: a builtin's keywords from its text signature (our own
    interpreter's builtins: inspecting them runs nothing of the user's)."""
    fn = getattr(builtins, name, None) if name in _BUILTINS else None
    if fn is None or not callable(fn):
        return None
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return None
    ps = sig.parameters.values()
    positional = [p.name for p in ps if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD]
    keyword_only = [p.name for p in ps if p.kind is inspect.Parameter.KEYWORD_ONLY]
    var_kw = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in ps)
    members = Members(
        params=(*positional, *keyword_only), n_positional=len(positional), var_kwargs=var_kw
    )
    return Resolved(members, "function")


# -- resolving a path through the sources ----------------------------------------------------


def _merge(a: Members | None, b: Members | None) -> Members | None:
    if a is None or b is None:
        return a or b
    items = dict(b.items)
    for key, m in a.items.items():
        items[key] = _merge(m, items.get(key)) or m
    # How a call binds comes whole from one source (the first that read a signature): two
    # sources' halves would describe a function neither of them saw.
    sig = a if a.params or a.n_required is not None else b
    return Members(
        keys=tuple(dict.fromkeys((*a.keys, *b.keys))),
        attrs=tuple(dict.fromkeys((*a.attrs, *b.attrs))),
        params=sig.params,
        n_positional=sig.n_positional,
        var_kwargs=a.var_kwargs or b.var_kwargs,
        n_posonly=sig.n_posonly,
        var_args=sig.var_args,
        n_required=sig.n_required,
        required_kw=sig.required_kw,
        open_attrs=a.open_attrs or b.open_attrs,  # one source seeing __getattr__ is enough
        lazy_attrs=a.lazy_attrs or b.lazy_attrs,
        items=MappingProxyType(items),
    )


def module_symbols_members(ms: ModuleSymbols) -> Members:
    names = [s.name for s in ms.symbols if not s.name.startswith("_")]
    items = {s.name: s.members for s in ms.symbols}
    for sub in ms.submodules:
        items.setdefault(sub, Members())
    return Members(
        attrs=tuple(dict.fromkeys([*(ms.all or ()), *names, *ms.submodules])),
        items=MappingProxyType(items),
    )


def resolve_module(dotted: str, k: Knowledge) -> Resolved | None:
    """A module's names: the kernel's (when it has imported it), the project's, installed."""
    found: Members | None = None
    if k.kernel is not None:
        for alias, module in k.kernel.modules:
            if module == dotted and alias in k.kernel.members:
                found = k.kernel.members[alias]
                break
    if k.project is not None:
        try:
            ms = k.project.module(dotted, k.near)
        except Exception:
            ms = None
        if ms is not None:
            found = _merge(found, module_symbols_members(ms))
    if found is None and not dotted.startswith("."):
        found = module_members(dotted)
    return Resolved(found, "module", dotted) if found is not None else None


def _resolve_import(target: str, k: Knowledge) -> Resolved | None:
    """``import a.b as c`` / ``from a import b``: the module, or the name ``b`` of ``a``."""
    r = resolve_module(target, k)
    if r is not None:
        return r
    if "." in target:
        parent, name = target.rsplit(".", 1)
        pr = resolve_module(parent, k)
        if pr is not None and name in pr.members.items:
            return Resolved(pr.members.items[name], "")
    return None


def _root(name: str, k: Knowledge, depth: int = 0) -> Resolved | None:
    members: Members | None = None
    kind = ""
    module = ""
    if k.kernel is not None:
        members = k.kernel.members.get(name)
        var = next((v for v in k.kernel.variables if v.name == name), None)
        if var is not None:
            kind = var.kind
        elif any(a == name for a, _ in k.kernel.modules):
            kind = "module"
            module = next(m for a, m in k.kernel.modules if a == name)
    for facts in k.facts_for(name):
        static = facts.members.get(name)
        cls = facts.instance_of.get(name)
        if cls and cls != name and depth < 3:
            # an instance of a class a cell defines, imports from the project, or the kernel has
            cr = _root(cls, k, depth + 1)
            if cr is not None and cr.members.attrs:
                static = _merge(static, Members(attrs=cr.members.attrs, items=cr.members.items))
        imported = facts.imports.get(name)
        if imported and members is None:
            r = _resolve_import(imported, k)
            if r is not None:
                static = _merge(static, r.members)
                kind, module = kind or r.kind, module or r.module
        added = facts.added_keys.get(name)
        if added:
            static = _merge(static, Members(keys=added))
        members = _merge(members, static)
    if members is None and name == "self" and depth == 0:
        return _enclosing_class(k)
    if members is None and k.project is not None and not k.facts_for(name):
        # ``geo_utils.`` before ``import geo_utils`` is written, ``LabelAudit(rows)`` copied
        # from another notebook: nothing else binds the name; the project module of that name,
        # or the one definition of it in the project, is the one meant
        return _unimported_project_module(name, k) or _project_definition(name, k)
    if members is None:
        return None
    return Resolved(members, kind, module)


_CLASS_LINE = re.compile(r"^([ \t]*)class\s+([A-Za-z_]\w*)\s*(?:\(([^)]*)\))?\s*:")
_SELF_STORE = re.compile(r"\bself\.([A-Za-z_]\w*)\s*(?::[^=\n]+)?(?:=(?!=)|[-+*/|&]=)")
_METHOD = re.compile(r"^[ \t]+(?:async\s+)?def\s+([A-Za-z_]\w*)", re.M)


def _enclosing_class(k: Knowledge) -> Resolved | None:
    """``self.`` in a method of a class being written in this cell: its methods, its ``self.``
    attributes (above and below the cursor) and what its bases have (a project class, a cell
    class, a kernel class). Read with regexes: the class does not parse while it is typed."""
    lines = k.before.split("\n")
    here = len(lines[-1]) - len(lines[-1].lstrip())
    for i in range(len(lines) - 1, -1, -1):
        m = _CLASS_LINE.match(lines[i])
        if m is None or len(m.group(1)) >= max(here, 1):
            continue
        indent = len(m.group(1))
        body = "\n".join(lines[i:])
        for line in k.after.split("\n")[1:]:  # the rest of the class below the cursor
            if line.strip() and len(line) - len(line.lstrip()) <= indent:
                break
            body += "\n" + line
        attrs = [*_METHOD.findall(body), *_SELF_STORE.findall(body)]
        items: dict[str, Members] = {}
        for base in (m.group(3) or "").split(","):
            base = base.strip()
            if base.isidentifier() and base != "object":
                r = _root(base, k, 1)
                if r is not None:
                    attrs.extend(r.members.attrs)
                    items.update(r.members.items)
        own = [a for a in dict.fromkeys(attrs) if not a.startswith("__")]
        return Resolved(Members(attrs=tuple(own), items=MappingProxyType(items)), "instance")
    return None


def _project_definition(name: str, k: Knowledge) -> Resolved | None:
    try:
        sym = k.project.definition(name, k.near) if k.project is not None else None
    except Exception:
        return None
    if sym is None:
        return None
    kind = sym.kind if sym.kind in ("class", "function") else ""
    return Resolved(sym.members, kind)


def _unimported_project_module(name: str, k: Knowledge) -> Resolved | None:
    try:
        ms = k.project.module(name, k.near) if k.project is not None else None
    except Exception:
        return None
    if ms is None:
        return None
    return Resolved(module_symbols_members(ms), "module", name)


def _series_result(r: Resolved, method: str, series: Resolved | None) -> Resolved | None:
    """What ``x.method()`` gives when it is a Series again: a Series method in
    ``SERIES_SAME`` (the same Series' members), or a Series-valued method of its ``.str`` /
    ``.dt`` accessor (the Series the accessor hangs on; its accessors dropped when the values
    changed type)."""
    if r.kind == "Series" and method in SERIES_SAME:
        return r
    same, other = ACCESSOR_SERIES.get(r.kind, (frozenset(), frozenset()))
    if series is not None and method in same:
        return series
    if series is not None and method in other:
        items = {a: m for a, m in series.members.items.items() if a not in ("str", "dt", "cat")}
        return Resolved(replace(series.members, items=MappingProxyType(items)), "Series")
    return None


def resolve(path: Path | None, k: Knowledge) -> Resolved | None:
    """Follow ``path`` from its root through what the sources know; None where they stop."""
    if path is None:
        return None
    r = _root(path.root, k)
    series: Resolved | None = None  # the last Series on the way (what an accessor is of)
    steps = path.steps
    skip = False
    for i, step in enumerate(steps):
        if r is None:
            return None
        if skip:  # the call of a method whose Series result was taken at its name
            skip = False
            continue
        if r.kind == "Series":
            series = r
        after = steps[i + 1] if i + 1 < len(steps) else None
        if step.kind == "attr" and after is not None and after == Step("call", step.value):
            result = _series_result(r, step.value, series)
            if result is not None:
                r, skip = result, True
                continue
        m = r.members
        if step.kind == "attr":
            sub = m.items.get(step.value)
            if r.module:
                dotted = f"{r.module}.{step.value}"
                mr = resolve_module(dotted, k)
                if mr is not None:
                    r = Resolved(_merge(sub, mr.members) or mr.members, "module", dotted)
                    continue
            if step.value in SAME_COLUMNS and m.keys:
                continue  # df.groupby -> (call) -> the same columns
            r = Resolved(sub, sub.kind) if sub is not None else None
        elif step.kind == "key":
            sub = m.items.get(step.value)
            r = Resolved(sub, sub.kind) if sub is not None else None
        elif step.kind == "call":
            if step.value in SAME_COLUMNS and m.keys:
                continue
            if not step.value and m.attrs and m.params is not None and r.kind in ("", "class"):
                # calling a class defined in a cell: an instance with its attributes
                r = Resolved(Members(attrs=m.attrs), "instance") if m.attrs else None
            else:
                r = None
        elif step.kind == "index":
            r = r if m.keys and r.kind in ("DataFrame", "") else None
    return r
