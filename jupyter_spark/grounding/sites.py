"""Where the cursor is: the places whose continuation is a known set, found in incomplete code.

The text before the cursor is nearly always unfinished (``df[df['``), so ``ast`` cannot read
it. A small scanner walks the tail of the cell instead, tracking strings, comments and open
brackets, and then looks at what the cursor follows:

    df['uni|            key      of ``df``, typed ``uni`` (quote ')
    df.loc[:, 'uni|     key      of ``df`` (a ``.loc`` column position)
    df[['a', 'uni|      key      of ``df``, ``a`` already given
    df.groupby('re|     key      of ``df`` (an argument that names columns)
    cfg['model']['|     key      of ``cfg['model']``
    np.lin|             attr     of ``np``
    cust|               name     (any name in scope), typed ``cust``
    import pa|          module   top-level, typed ``pa``
    from pkg import n|  from     names of ``pkg``
    f(a, radius=1, |    kwarg    of ``f``, ``radius`` already given, 1 positional

The target of a key, attribute or keyword site is kept as a ``Path``: its root name and the
steps after it (``.attr``, ``['key']``, a call, another subscript), so the candidate layer can
follow it through what the kernel and the cells know.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass, field

# How much of the text before the cursor the scanner reads: a statement being typed is far
# shorter, and a bound keeps a multi-megabyte prefix from costing anything.
MAX_SCAN_CHARS = 4000

# DataFrame methods whose arguments name its columns (or its index's name): method ->
# (position of such an argument, or None; its keywords). A name that is neither is a KeyError.
COLUMN_ARGUMENTS: dict[str, tuple[int | None, tuple[str, ...]]] = {
    "groupby": (0, ("by",)),
    "sort_values": (0, ("by",)),
    "set_index": (0, ("keys",)),
    "drop": (None, ("columns",)),
    "dropna": (None, ("subset",)),
    "drop_duplicates": (0, ("subset",)),
    "duplicated": (0, ("subset",)),
    "value_counts": (0, ("subset",)),
    "pivot_table": (None, ("values", "index", "columns")),
    "pivot": (None, ("index", "columns", "values")),
    "nlargest": (1, ("columns",)),
    "nsmallest": (1, ("columns",)),
    "explode": (0, ("column",)),
    "melt": (None, ("id_vars", "value_vars")),
}

_IDENT = re.compile(r"[A-Za-z_]\w*\Z")
_STRING_PREFIX = re.compile(r"(?i)(?:rb|br|fr|rf|[rbuf])\Z")
_OPEN = {"(": ")", "[": "]", "{": "}"}
_CLOSE = {v: k for k, v in _OPEN.items()}


@dataclass(frozen=True)
class Step:
    """One step after a path's root: ``.name`` (attr), ``['key']`` (key), ``(...)`` (call),
    ``[expr]`` (index: anything else in brackets)."""

    kind: str  # "attr" | "key" | "call" | "index"
    value: str = ""  # the attribute name or key; for calls, the callee's last attribute


@dataclass(frozen=True)
class Path:
    root: str
    steps: tuple[Step, ...] = ()

    def __str__(self) -> str:
        out = self.root
        for s in self.steps:
            out += {"attr": f".{s.value}", "key": f"[{s.value!r}]", "call": "(...)"}.get(
                s.kind, "[...]"
            )
        return out


@dataclass(frozen=True)
class Site:
    """A place whose continuation may be a known set.

    ``kind``: key | attr | name | module | from | kwarg. ``typed``: what the user has typed of
    the item (a partial name or key). ``quote``: a key's opening quote. ``given``: items the
    statement already has (keys listed before, keywords passed). ``positional``: positional
    arguments before a keyword site. ``statement_start``: the item starts the statement (where a
    new name is often meant: ``df['new'] = ...``). ``loc``: a key inside ``.loc[``/``.iloc[``,
    "row" (first position) or "column".
    """

    kind: str
    typed: str = ""
    target: Path | None = None
    module: str = ""  # module/from sites: the dotted module (or package) before the item
    quote: str = ""
    given: frozenset[str] = frozenset()
    positional: int = 0
    after_keyword: bool = False  # a keyword argument came before (so no positional can follow)
    statement_start: bool = False
    loc: str = ""
    assigned: bool = False  # the rest of the line assigns to this target (``] = ...``)
    extra: dict = field(default_factory=dict, compare=False)


@dataclass
class _Scan:
    """The state at the end of the text: open brackets, and the string the cursor is in."""

    brackets: list[tuple[str, int]]  # (bracket, index) of each unclosed bracket
    string_start: int | None  # index of the opening quote of an unclosed one-line string
    quote: str
    fstring: bool
    comment: bool


def _scan(text: str) -> _Scan:
    brackets: list[tuple[str, int]] = []
    i, n = 0, len(text)
    string_start, quote, fstring, comment = None, "", False, False
    while i < n:
        ch = text[i]
        if ch == "#":
            j = text.find("\n", i)
            if j < 0:
                comment = True
                break
            i = j
            continue
        if ch in "'\"":
            triple = text.startswith(ch * 3, i)
            q = ch * 3 if triple else ch
            pm = _STRING_PREFIX.search(text, max(0, i - 2), i)
            is_f = bool(pm and "f" in pm.group().lower())
            j = i + len(q)
            k = _find_quote(text, q, j)
            if not triple:
                nl = text.find("\n", j)
                if nl >= 0 and (k < 0 or nl < k):  # unterminated on its line: not a string
                    i = nl
                    continue
            if k < 0:  # unclosed: the cursor is inside it (a docstring: no site)
                if triple:
                    return _Scan(brackets, None, "", False, False)
                return _Scan(brackets, i, q, is_f, False)
            i = k + len(q)
            continue
        if ch in _OPEN:
            brackets.append((ch, i))
        elif ch in _CLOSE:
            if brackets and brackets[-1][0] == _CLOSE[ch]:
                brackets.pop()
            else:
                brackets = []  # unbalanced: what came before does not matter any more
        i += 1
    return _Scan(brackets, string_start, quote, fstring, comment)


def _find_quote(text: str, q: str, j: int) -> int:
    """Index of the closing ``q`` from ``j``, skipping backslash escapes; -1 if none."""
    while True:
        k = text.find(q, j)
        if k < 0:
            return -1
        backslashes = 0
        m = k - 1
        while m >= j and text[m] == "\\":
            backslashes += 1
            m -= 1
        if backslashes % 2 == 0:
            return k
        j = k + 1


def find_site(prefix: str, suffix: str = "") -> Site | None:
    """The site at the end of ``prefix`` (the current cell's text before the cursor), if any."""
    text = prefix[-MAX_SCAN_CHARS:]
    if len(prefix) > MAX_SCAN_CHARS:  # start at a line start so strings are read right
        nl = text.find("\n")
        text = text[nl + 1 :] if nl >= 0 else ""
    line = text[text.rfind("\n") + 1 :]
    rest = suffix.split("\n", 1)[0]
    imp = _import_site(line)
    if imp is not None:
        return imp
    scan = _scan(text)
    if scan.comment:
        return None
    if scan.string_start is not None:
        if scan.fstring or len(scan.quote) != 1:
            return None
        return _key_site(text, scan, rest)
    m = _IDENT.search(text)
    typed = m.group() if m else ""
    start = len(text) - len(typed)
    if typed and start > 0 and (text[start - 1].isdigit() or text[start - 1] == "\\"):
        return None
    before = text[:start]
    if before.endswith("."):
        target = _path_before(before[:-1])
        if target is None:
            return None
        return Site("attr", typed, target)
    if scan.brackets and scan.brackets[-1][0] == "(":
        kw = _kwarg_site(text, scan, typed, start)
        if kw is not None:
            return kw
    if not typed or _new_name_follows(before):
        return None
    return Site("name", typed, statement_start=_at_statement_start(before, scan))


def _import_site(line: str) -> Site | None:
    m = re.match(r"\s*import\s+((?:[A-Za-z_]\w*\s*\.\s*)*)([A-Za-z_]\w*)?\Z", line)
    if m:
        return Site("module", m.group(2) or "", module=re.sub(r"\s", "", m.group(1))[:-1])
    m = re.match(r"\s*from\s+(\.*)((?:[A-Za-z_]\w*\.)*)([A-Za-z_]\w*)?\Z", line)
    if m:
        if m.group(1):  # relative: resolved by the project index only
            return Site("module", m.group(3) or "", module=m.group(1) + m.group(2)[:-1])
        return Site("module", m.group(3) or "", module=m.group(2)[:-1])
    m = re.match(r"\s*from\s+(\.*[\w.]*)\s+import\s+\(?([\w\s,]*?)([A-Za-z_]\w*)?\Z", line)
    if m and not re.search(r"\bas\s*\Z", m.group(2)) and not re.search(r"\bas\s+\w*\Z", line):
        given = frozenset(w for w in re.findall(r"\w+", m.group(2)) if w != "as")
        return Site("from", m.group(3) or "", module=m.group(1), given=given)
    return None


def _key_site(text: str, scan: _Scan, rest: str) -> Site | None:
    """Inside a one-line string: a key when the string opens an item of a subscript."""
    q = scan.string_start
    assert q is not None
    typed = text[q + 1 :]
    if "\\" in typed:
        return None
    pm = _STRING_PREFIX.search(text, max(0, q - 2), q)
    if pm and "b" in pm.group().lower():
        return None
    head = text[: q - (len(pm.group()) if pm else 0)].rstrip()
    argument = _column_argument(text, scan, head)
    if argument is not None:
        target, given = argument
        return Site("key", typed, target, quote=text[q], given=given, loc="column")
    if not scan.brackets or scan.brackets[-1][0] != "[":
        return None
    open_at = scan.brackets[-1][1]
    inner = text[open_at + 1 : q - (len(pm.group()) if pm else 0)]
    given: set[str] = set()
    loc = ""
    if head.endswith("["):
        items_bracket = open_at
    elif head.endswith(","):
        # a list of keys (df[['a', '), or the column position of .loc[rows, '
        given = set(re.findall(r"""['"]([^'"]*)['"]""", inner))
        items_bracket = open_at
        loc = "column"
    else:
        return None
    # The bracket holding the items: df[ ... ] directly, or the list inside df[[ ... ]].
    outer_head = text[:items_bracket].rstrip()
    list_of_keys = False
    if outer_head.endswith("[") and len(scan.brackets) >= 2:
        list_of_keys = True
        items_bracket = scan.brackets[-2][1]
        outer_head = text[:items_bracket].rstrip()
    span = _path_span(outer_head)
    if span is None:
        return None
    target, target_start = span
    if list_of_keys:
        loc = ""
    elif loc == "" and target.steps and target.steps[-1].value in ("loc", "iloc", "at"):
        loc = "row"
    elif loc == "column" and not (target.steps and target.steps[-1].value in ("loc", "at")):
        return None  # x[a, ' : a tuple key, not a column list
    if loc and target.steps and target.steps[-1].value in ("loc", "iloc", "at"):
        target = Path(target.root, target.steps[:-1])
    start_of_statement = _at_statement_start(text[:target_start], None)
    assigned = bool(re.match(r"""[^'"]*['"]?\s*\]\s*(?:=[^=]|[-+*/%&|^]=)""", rest))
    return Site(
        "key",
        typed,
        target,
        quote=text[q],
        given=frozenset(given),
        statement_start=start_of_statement and not list_of_keys,
        loc=loc,
        assigned=assigned,
    )


def _column_argument(text: str, scan: _Scan, head: str) -> tuple[Path, frozenset[str]] | None:
    """``df.groupby('|``, ``df.drop(columns=['a', '|``: a string that opens an argument of
    a method in ``COLUMN_ARGUMENTS`` where it takes column names: the frame, and the names
    the list already has."""
    if not scan.brackets:
        return None
    given: frozenset[str] = frozenset()
    call = scan.brackets[-1]
    if call[0] == "[" and len(scan.brackets) >= 2 and scan.brackets[-2][0] == "(":
        if not head.endswith(("[", ",")):
            return None
        inner = text[call[1] + 1 : len(head)]
        given = frozenset(re.findall(r"""['"]([^'"]*)['"]""", inner))
        head = text[: call[1]].rstrip()  # the list is the argument
        call = scan.brackets[-2]
    if call[0] != "(":
        return None
    callee = _path_before(text[: call[1]])
    if callee is None or not callee.steps or callee.steps[-1].kind != "attr":
        return None
    spec = COLUMN_ARGUMENTS.get(callee.steps[-1].value)
    if spec is None:
        return None
    position, keywords = spec
    m = re.search(r"(\w+)\s*=\Z", head)
    if m is not None:
        if m.group(1) not in keywords:
            return None
    elif head.endswith(("(", ",")):
        parts = _split_args(text[call[1] + 1 : len(head)])
        if any(re.match(r"\s*(\w+\s*=[^=]|\*)", p) for p in parts):
            return None  # after a keyword argument: no positional can follow
        if position is None or sum(1 for p in parts if p.strip()) != position:
            return None
    else:
        return None
    return Path(callee.root, callee.steps[:-1]), given


def _kwarg_site(text: str, scan: _Scan, typed: str, start: int) -> Site | None:
    """``f(a, b=1, pre|``: the callee, the keywords given and the positional count."""
    open_at = scan.brackets[-1][1]
    args = text[open_at + 1 : start]
    head = args.rstrip()
    if head and not head.endswith(","):
        return None  # inside an argument's expression, not at a new argument
    callee = _path_before(text[:open_at])
    if callee is None or (not callee.steps and keyword.iskeyword(callee.root)):
        return None
    parts = _split_args(args)
    given = frozenset(m.group(1) for p in parts if (m := re.match(r"\s*(\w+)\s*=[^=]", p)))
    positional = sum(1 for p in parts if p.strip() and not re.match(r"\s*(\w+\s*=[^=]|\*)", p))
    after_keyword = bool(given) or any(p.strip().startswith("**") for p in parts)
    return Site(
        "kwarg",
        typed,
        callee,
        given=given,
        positional=positional,
        after_keyword=after_keyword,
    )


def _split_args(args: str) -> list[str]:
    """The complete arguments before the cursor, split at top-level commas."""
    parts, depth, cur, quote = [], 0, "", ""
    for ch in args:
        if quote:
            cur += ch
            if ch == quote:
                quote = ""
            continue
        if ch in "'\"":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
            continue
        cur += ch
    return parts


_NEW_NAME_BEFORE = re.compile(
    r"(?:\b(?:def|class|as|for|global|nonlocal|lambda|import|except)\s+[\w\s,]*"
    r"|\bdef\s+\w+\s*\([^)]*)\Z"
)


def _new_name_follows(before: str) -> bool:
    """After ``def``, ``class``, ``as``, ``for``, ``lambda``, in a def's parameters: a new name."""
    tail = before[-200:]
    return bool(_NEW_NAME_BEFORE.search(tail)) or bool(re.search(r"\bdef\s+\w+\s*\(", tail))


def _at_statement_start(before: str, scan: _Scan | None) -> bool:
    line = before[before.rfind("\n") + 1 :]
    if scan is not None and scan.brackets:
        return False
    return not line.strip() or bool(re.search(r";\s*\Z", line))


def _path_before(text: str) -> Path | None:
    """The primary expression ending ``text`` (``cfg['a'].b(1)``) as a Path, or None."""
    found = _path_span(text)
    return found[0] if found else None


def _path_span(text: str) -> tuple[Path, int] | None:
    """The Path ending ``text`` and the index where its expression starts."""
    i = len(text)
    while i > 0 and text[i - 1] in " \t":
        i -= 1
    end = i
    depth = 0
    while i > 0:
        ch = text[i - 1]
        if ch in ")]":
            depth = 0
            j = i - 1
            while j >= 0:
                c = text[j]
                if c in ")]":
                    depth += 1
                elif c in "([":
                    depth -= 1
                    if depth == 0:
                        break
                j -= 1
            if j < 0:
                return None
            i = j
            continue
        if ch.isalnum() or ch == "_" or ch == ".":
            i -= 1
            continue
        break
    path = _parse_path(text[i:end])
    return (path, i) if path is not None else None


_ROOT = re.compile(r"[A-Za-z_]\w*")
_ATTR = re.compile(r"\s*\.\s*([A-Za-z_]\w*)")
_KEY = re.compile(r"""\[\s*(['"])([^'"\\]*)\1\s*\]""")


def _parse_path(expr: str) -> Path | None:
    m = _ROOT.match(expr)
    if m is None or (keyword.iskeyword(m.group()) and m.group() not in ("self",)):
        return None
    root, i, steps = m.group(), m.end(), []
    while i < len(expr):
        if (a := _ATTR.match(expr, i)) is not None:
            steps.append(Step("attr", a.group(1)))
            i = a.end()
        elif (k := _KEY.match(expr, i)) is not None:
            steps.append(Step("key", k.group(2)))
            i = k.end()
        elif expr[i] in "([":
            j = _matching(expr, i)
            if j < 0:
                return None
            callee = steps[-1].value if steps and steps[-1].kind == "attr" else ""
            steps.append(Step("call", callee) if expr[i] == "(" else Step("index"))
            i = j + 1
        else:
            return None
    return Path(root, tuple(steps))


def _matching(expr: str, i: int) -> int:
    depth = 0
    for j in range(i, len(expr)):
        if expr[j] in "([{":
            depth += 1
        elif expr[j] in ")]}":
            depth -= 1
            if depth == 0:
                return j
    return -1
