"""The project index: every Python file and notebook of the root, read once, kept current.

One background thread owns the writes: the first build, then the changes the watcher
(watch.py), the contents manager's save/rename/delete events and the request path hand it.
Readers (the IO loop: grounding's lookups, the prompt's retrieval) see each file's entry
replaced whole, and the postings change under a lock held for one file's merge. A request that
imports a module whose file changed since it was read (or that appeared) reads a small one on
the spot, so a completion right after a save or a `git checkout` already sees it.

It is a ``grounding.SymbolSource``: ``modules(near)`` and ``module(name, near)`` resolve imports
the way the kernel would (the notebook's folder first, then the root, then ``src/``; packages
with or without ``__init__.py``; ``from . import`` relative to the notebook's folder).
"""

from __future__ import annotations

import math
import os
import posixpath
import queue
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import islice
from typing import Any

from ..engine.config import estimate_tokens
from ..grounding.candidates import module_symbols_members
from ..grounding.symbols import ModuleSymbols, Symbol
from .config import DEFAULT_PROJECT, SUFFIXES, ProjectConfig
from .extract import Chunk, FileIndex, NotParsed, read_file, terms
from .files import Rules, Skipped, read_text, walk

# BM25's constants (the usual ones).
BM25_K1 = 1.2
BM25_B = 0.75
# Symbols ``definition`` finds by name anywhere in the project.
DEFINITION_KINDS = frozenset({"function", "class", "constant"})
# How long a file's on-disk check on the request path is trusted (seconds).
STAT_TTL_S = 0.25


@dataclass(frozen=True)
class Entry:
    path: str
    mtime_ns: int
    size: int
    file: FileIndex
    retrievable: bool  # False past ``max_tokens``: symbols only


class ProjectIndex:
    """The files under ``root`` (see files.py for what is read), their symbols and chunks."""

    def __init__(
        self,
        root: str | os.PathLike[str],
        config: ProjectConfig = DEFAULT_PROJECT,
        allow_hidden: bool = False,
        hide_globs: Iterable[str] = (),
        log: Any = None,
    ) -> None:
        self.config = config
        self.rules = Rules(os.fspath(root), config, allow_hidden, tuple(hide_globs))
        self.root = str(self.rules.root)
        self.log = log
        self.version = 0  # bumped by every change that reaches readers
        self.state = "starting"  # "indexing" -> "ready"; "error" if the build failed
        self.watcher = "none"  # "inotify" | "polling" | "none"
        self.build_ms: float | None = None
        self.last_update: float | None = None
        self._entries: dict[str, Entry] = {}
        self._skipped: dict[str, tuple[str, str]] = {}  # path -> (reason, detail)
        self._skipped_stat: dict[str, tuple[int, int]] = {}  # not re-read until it changes
        self._dirs: Counter[str] = Counter()  # folders holding indexed files (with ancestors)
        self._lock = threading.RLock()
        self._chunks: dict[int, Chunk] = {}
        self._chunk_len: dict[int, int] = {}
        self._file_chunks: dict[str, list[int]] = {}
        self._postings: dict[str, dict[int, int]] = {}
        self._names: dict[str, dict[int, str]] = {}  # 3-char prefix -> chunk id -> name
        self._defs: dict[str, set[str]] = {}  # top-level definition name -> files defining it
        self._next_chunk = 0
        self._total_len = 0
        self._tokens = 0
        self._retrievable_tokens = 0
        self._dropped_retrieval = 0
        self._module_cache: dict[tuple[str, str | None], ModuleSymbols | None] = {}
        self._modules_cache: dict[str | None, tuple[str, ...]] = {}
        self._cache_version = -1
        self._stat_checked: dict[str, float] = {}
        self._retrievals: OrderedDict[tuple, tuple[Chunk, ...]] = OrderedDict()
        self._jobs: queue.SimpleQueue[tuple[str, object]] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __len__(self) -> int:
        """Files indexed."""
        return len(self._entries)

    # -- lifecycle -------------------------------------------------------------------------

    def start(self, watch: bool = True) -> None:
        """Build in a background thread, then follow changes (watch: inotify, else polling)."""
        self._thread = threading.Thread(target=self._run, name="spark-project", daemon=True)
        self._thread.start()
        if watch:
            from .watch import Watcher

            Watcher(self, self._stop).start()

    def close(self) -> None:
        self._stop.set()
        self._jobs.put(("stop", None))

    def wait_ready(self, timeout: float | None = None) -> bool:
        t0 = time.monotonic()
        while self.state in ("starting", "indexing"):
            if timeout is not None and time.monotonic() - t0 > timeout:
                return False
            time.sleep(0.01)
        return self.state == "ready"

    def build(self) -> None:
        """Read every file (the first build, or a full rescan after a .gitignore changed)."""
        t0 = time.perf_counter()
        self.state = "indexing" if self.state == "starting" else self.state
        bases = tuple(self._bases()) or ("",)
        seen = set()
        for rel, st in walk(self.rules, bases):
            seen.add(rel)
            self._update(rel, st)
            if self._stop.is_set():
                return
        for rel in [p for p in self.stats() if p not in seen]:
            self._forget(rel)
        self.build_ms = round(1000 * (time.perf_counter() - t0), 1)
        self._changed()
        self.state = "ready"

    def changed(self, paths: Iterable[str]) -> None:
        """Files changed (saved, created, deleted, renamed: both names): re-read them soon.
        Paths are root-relative or absolute; called from any thread."""
        self._jobs.put(("paths", tuple(paths)))

    def _run(self) -> None:
        try:
            self.build()
        except Exception as e:  # keep the server up: the index is an aid
            self.state = "error"
            self._note("<build>", "internal", f"{type(e).__name__}: {e}")
            if self.log:
                self.log.exception("jupyter-spark: indexing the project failed")
            return
        while not self._stop.is_set():
            kind, arg = self._jobs.get()
            if kind == "stop":
                return
            paths = set(arg)  # type: ignore[call-overload]
            while True:  # take the whole burst at once
                try:
                    kind, arg = self._jobs.get_nowait()
                except queue.Empty:
                    break
                if kind == "stop":
                    return
                paths.update(arg)  # type: ignore[call-overload]
            try:
                self.apply(paths)
            except Exception:
                if self.log:
                    self.log.exception("jupyter-spark: updating the project index failed")

    def apply(self, paths: Iterable[str]) -> None:
        """Re-read, add or drop these paths (files or folders) now, in the calling thread."""
        rescan = False
        for p in paths:
            rel = self._rel(p)
            if rel is None:
                continue
            if not rel:  # the root itself
                rescan = True
                continue
            if rel == ".gitignore" or rel.endswith("/.gitignore"):
                self.rules.forget_ignore(posixpath.dirname(rel))
                rescan = True
                continue
            full = os.path.join(self.root, rel)
            if os.path.isdir(full):
                for sub, st in walk(self.rules, (rel,)):
                    self._update(sub, st)
                continue
            if not os.path.lexists(full):
                self._forget(rel)
                for sub in [e for e in self.stats() if e.startswith(rel + "/")]:
                    self._forget(sub)
                continue
            if not rel.endswith(SUFFIXES):
                continue
            if not self.rules.allowed(rel) or not self.rules.inside(full):
                self._forget(rel)
                continue
            try:
                self._update(rel, os.stat(full))
            except OSError:
                self._forget(rel)
        if rescan:
            self.build()
        self._changed()

    def _rel(self, path: str) -> str | None:
        p = os.fspath(path)
        if os.path.isabs(p):
            p = os.path.relpath(os.path.normpath(p), self.root)
        p = posixpath.normpath(p.replace(os.sep, "/"))
        if p == ".":
            return ""
        if p.startswith("../") or p == ".." or p.startswith("/"):
            return None
        return p

    def _bases(self) -> list[str]:
        out = []
        for p in self.config.paths:
            rel = self._rel(p)
            if rel is not None:
                out.append(rel)
        return out

    # -- writes (the index thread, or a small sync read) ------------------------------------

    def _update(self, rel: str, st: os.stat_result) -> None:
        old = self._entries.get(rel)
        sig = (st.st_mtime_ns, st.st_size)
        if old is not None and (old.mtime_ns, old.size) == sig:
            return
        if old is None and self._skipped_stat.get(rel) == sig:
            return  # skipped as it is
        if old is None and len(self._entries) >= self.config.max_files:
            self._note(rel, "too_many", f"over {self.config.max_files} files")
            return
        try:
            text = read_text(self.rules, rel, st)
            tokens = estimate_tokens(text)
            file = read_file(rel, text, self.config, tokens)
        except Skipped as e:
            self._skip(rel, sig, e.reason, e.detail)
            return
        except NotParsed as e:
            self._skip(rel, sig, "not_a_notebook", str(e))
            return
        except (RecursionError, MemoryError, ValueError) as e:
            self._skip(rel, sig, "unreadable", type(e).__name__)
            return
        with self._lock:
            self._remove(rel)
            retrievable = self._retrievable_tokens + tokens <= self.config.max_tokens
            entry = Entry(rel, st.st_mtime_ns, st.st_size, file, retrievable)
            self._entries[rel] = entry
            self._tokens += tokens
            d = posixpath.dirname(rel)
            while True:
                self._dirs[d] += 1
                if not d:
                    break
                d = posixpath.dirname(d)
            for sym in file.symbols:
                if sym.kind in DEFINITION_KINDS:
                    self._defs.setdefault(sym.name, set()).add(rel)
            if retrievable:
                self._retrievable_tokens += tokens
                self._add_chunks(rel, file.chunks)
            else:
                self._dropped_retrieval += 1
            self._skipped_stat.pop(rel, None)
            if file.complete:
                self._skipped.pop(rel, None)
            else:
                self._note(rel, "syntax_error", "read up to the statement that does not parse")
            self.version += 1

    def _add_chunks(self, rel: str, chunks: Iterable[Chunk]) -> None:
        ids = []
        for c in chunks:
            cid = self._next_chunk
            self._next_chunk += 1
            self._chunks[cid] = c
            n = sum(k for _, k in c.terms)
            self._chunk_len[cid] = n
            self._total_len += n
            for t, k in c.terms:
                self._postings.setdefault(t, {})[cid] = k
            if c.name:
                self._names.setdefault(c.name[:3].lower(), {})[cid] = c.name
            ids.append(cid)
        self._file_chunks[rel] = ids

    def _remove(self, rel: str) -> None:
        with self._lock:
            entry = self._entries.pop(rel, None)
            if entry is None:
                return
            self._tokens -= entry.file.tokens
            for sym in entry.file.symbols:
                paths = self._defs.get(sym.name)
                if paths is not None:
                    paths.discard(rel)
                    if not paths:
                        del self._defs[sym.name]
            d = posixpath.dirname(rel)
            while True:
                self._dirs[d] -= 1
                if self._dirs[d] <= 0:
                    del self._dirs[d]
                if not d:
                    break
                d = posixpath.dirname(d)
            if entry.retrievable:
                self._retrievable_tokens -= entry.file.tokens
            else:
                self._dropped_retrieval -= 1
            for cid in self._file_chunks.pop(rel, ()):
                c = self._chunks.pop(cid)
                self._total_len -= self._chunk_len.pop(cid)
                for t, _ in c.terms:
                    posting = self._postings.get(t)
                    if posting is not None:
                        posting.pop(cid, None)
                        if not posting:
                            del self._postings[t]
                if c.name:
                    bucket = self._names.get(c.name[:3].lower())
                    if bucket is not None:
                        bucket.pop(cid, None)
            self.version += 1

    def _note(self, rel: str, reason: str, detail: str) -> None:
        with self._lock:
            self._skipped[rel] = (reason, detail)

    def _skip(self, rel: str, sig: tuple[int, int], reason: str, detail: str) -> None:
        with self._lock:
            self._remove(rel)
            self._note(rel, reason, detail)
            self._skipped_stat[rel] = sig

    def _forget(self, rel: str) -> None:
        with self._lock:
            self._remove(rel)
            self._skipped.pop(rel, None)
            self._skipped_stat.pop(rel, None)

    def stats(self) -> dict[str, tuple[int, int]]:
        """(mtime_ns, size) of every file read or skipped, for the polling watcher."""
        with self._lock:
            out = dict(self._skipped_stat)
            out.update({p: (e.mtime_ns, e.size) for p, e in self._entries.items()})
        return out

    def _changed(self) -> None:
        self.last_update = time.time()

    # -- SymbolSource --------------------------------------------------------------------

    def _search_bases(self, near: str | None) -> list[str]:
        bases = []
        for b in (near or "", "", "src"):
            if b not in bases and (not b or b in self._dirs):
                bases.append(b)
        return bases

    def _fresh_caches(self) -> None:
        if self._cache_version != self.version:
            self._module_cache.clear()
            self._modules_cache.clear()
            self._cache_version = self.version

    def modules(self, near: str | None = None) -> tuple[str, ...]:
        """Dotted names of the project's modules importable from folder ``near``."""
        self._fresh_caches()
        hit = self._modules_cache.get(near)
        if hit is not None:
            return hit
        out: dict[str, None] = {}
        paths = [p for p in list(self._entries) if p.endswith(".py")]
        for base in self._search_bases(near):
            start = base + "/" if base else ""
            for p in paths:
                if not p.startswith(start):
                    continue
                parts = p[len(start) : -3].split("/")
                if parts[-1] == "__init__":
                    parts = parts[:-1]
                if parts and all(x.isidentifier() for x in parts):
                    out[".".join(parts)] = None
        found = tuple(out)
        self._modules_cache[near] = found
        return found

    def _candidates(self, name: str, near: str | None) -> list[tuple[str, str]]:
        """(folder, file) pairs where module ``name`` may live from folder ``near``, in the
        order the kernel's import would try them: a module file, then a package."""
        if name.startswith("."):
            level = len(name) - len(name.lstrip("."))
            rest = name[level:]
            base = near or ""
            for _ in range(level - 1):
                base = posixpath.dirname(base)
            bases = [base]
        else:
            rest, bases = name, self._search_bases(near)
        out = []
        for base in bases:
            rel = posixpath.join(base, *rest.split(".")) if rest else base
            out.append((rel, rel + ".py"))
            out.append((rel, posixpath.join(rel, "__init__.py")))
        return out

    def _locate(self, name: str, near: str | None) -> tuple[str | None, str | None]:
        """(file, package folder) of module ``name`` from folder ``near``; a namespace
        package has a folder and no file."""
        for rel, cand in self._candidates(name, near):
            self._check_disk(cand)
            if cand in self._entries:
                return cand, rel if cand.endswith("__init__.py") else None
            if cand.endswith("__init__.py") and rel in self._dirs:
                return None, rel
        return None, None

    def _check_disk(self, rel: str) -> None:
        """On the request path: a file that changed, appeared or went since it was read is
        read (if small) or queued for the index thread."""
        now = time.monotonic()
        if now - self._stat_checked.get(rel, 0.0) < STAT_TTL_S:
            return
        self._stat_checked[rel] = now
        if len(self._stat_checked) > 4096:
            self._stat_checked.clear()
        full = os.path.join(self.root, rel)
        try:
            st = os.stat(full)
        except OSError:
            if rel in self._entries:
                self._remove(rel)
            return
        old = self._entries.get(rel)
        if old is not None and (old.mtime_ns, old.size) == (st.st_mtime_ns, st.st_size):
            return
        if rel in self._skipped and old is None and self._skipped[rel][0] != "too_many":
            return  # skipped before; the watcher re-reads it when it changes
        if not self.rules.allowed(rel) or not self.rules.inside(full):
            return
        if st.st_size <= self.config.sync_read_bytes:
            self._update(rel, st)
        else:
            self.changed([rel])

    def module(self, name: str, near: str | None = None) -> ModuleSymbols | None:
        """The symbols of module ``name`` as an import in folder ``near`` resolves it."""
        self._fresh_caches()
        key = (name, near)
        if key in self._module_cache:
            # a file saved a moment ago (or created) that the watcher has not handed over yet
            for _, cand in self._candidates(name, near):
                self._check_disk(cand)  # at most every STAT_TTL_S per file
                if cand in self._entries:
                    break
            self._fresh_caches()
            if key in self._module_cache:
                return self._module_cache[key]
        found = self._module(name, near, 0)
        self._fresh_caches()  # a sync read during the lookup bumped the version
        self._module_cache[key] = found
        return found

    def _module(self, name: str, near: str | None, depth: int) -> ModuleSymbols | None:
        path, folder = self._locate(name, near)
        if path is None and folder is None:
            return None
        subs = self._children(folder) if folder is not None else ()
        if path is None:
            return ModuleSymbols(name, folder or "", (), None, subs)
        entry = self._entries.get(path)
        if entry is None:
            return None
        package = name if folder is not None else name.rpartition(".")[0]
        symbols = tuple(
            self._resolved(s, package, near, depth) if s.kind == "import" else s
            for s in entry.file.symbols
        )
        return ModuleSymbols(name, path, symbols, entry.file.all, subs)

    def _resolved(self, sym: Symbol, package: str, near: str | None, depth: int) -> Symbol:
        """``from .core import f`` in a package: ``f`` as ``core`` defines it (project only)."""
        origin = sym.origin
        if depth >= 3 or not origin:
            return sym
        if origin.startswith("."):
            level = len(origin) - len(origin.lstrip("."))
            base = package
            for _ in range(level - 1):
                base = base.rpartition(".")[0]
            origin = f"{base}.{origin[level:]}" if base else origin[level:]
        mod = self._module(origin, near, depth + 1)
        if mod is not None:
            return Symbol(sym.name, "module", module_symbols_members(mod), origin=origin)
        parent, _, attr = origin.rpartition(".")
        if parent:
            pm = self._module(parent, near, depth + 1)
            if pm is not None:
                target = pm.get(attr)
                if target is not None:
                    return Symbol(
                        sym.name, target.kind, target.members, target.signature, target.doc, origin
                    )
        return sym

    def definition(self, name: str, near: str | None = None) -> Symbol | None:
        """The one top-level definition of ``name`` in the project (or in folder ``near``):
        a class or function copied from another notebook or module without its import."""
        paths = sorted(self._defs.get(name, ()))
        if len(paths) > 1:
            paths = [p for p in paths if posixpath.dirname(p) == (near or "")]
        if len(paths) != 1:
            return None
        entry = self._entries.get(paths[0])
        if entry is None:
            return None
        return next((s for s in entry.file.symbols if s.name == name), None)

    def _children(self, folder: str) -> tuple[str, ...]:
        start = folder + "/" if folder else ""
        out: dict[str, None] = {}
        for p in list(self._entries):
            if p.startswith(start) and p.endswith(".py"):
                head = p[len(start) :].split("/")[0]
                name = head[:-3] if head.endswith(".py") else head
                if name.isidentifier() and name != "__init__":
                    out[name] = None
        return tuple(sorted(out))

    # -- retrieval -----------------------------------------------------------------------

    def file_chunks(self, rel: str) -> tuple[Chunk, ...]:
        """The chunks of one file, in file order (a module the notebook imports)."""
        with self._lock:
            return tuple(self._chunks[c] for c in self._file_chunks.get(rel, ()))

    def names_starting(self, typed: str) -> frozenset[str]:
        """Definitions (functions, classes) whose name starts with the word being typed."""
        if len(typed) < self.config.prefix_min_chars:
            return frozenset()
        bucket = self._names.get(typed[:3].lower(), {})
        return frozenset(n for n in list(bucket.values()) if n.startswith(typed) and n != typed)

    def search(
        self, query: Iterable[str], names: Iterable[str] = (), exclude: str | None = None
    ) -> tuple[Chunk, ...]:
        """The chunks defining ``names``, then those best matching the identifiers ``query``
        (BM25 over their terms), best first; none from file ``exclude``. Cached per query."""
        cfg = self.config
        words: Counter[str] = Counter()
        for ident in query:
            words.update(terms(ident))
        wanted = frozenset(names)
        key = (frozenset(words), wanted, exclude, self.version)
        hit = self._retrievals.get(key)
        if hit is not None:
            self._retrievals.move_to_end(key)
            return hit
        with self._lock:
            result = self._search(words, wanted, exclude)
        self._retrievals[key] = result
        while len(self._retrievals) > cfg.cache_entries:
            self._retrievals.popitem(last=False)
        return result

    def _search(
        self, words: Counter[str], wanted: frozenset[str], exclude: str | None
    ) -> tuple[Chunk, ...]:
        cfg = self.config
        n = len(self._chunks)
        if not n:
            return ()
        avg = self._total_len / n or 1.0
        known = [(len(self._postings[w]), w) for w in words if w in self._postings]
        known.sort()  # rarest first
        scores: dict[int, float] = {}
        for df, w in known[: cfg.max_query_terms]:
            idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
            for cid, tf in islice(self._postings[w].items(), cfg.max_postings):
                norm = (
                    tf
                    * (BM25_K1 + 1)
                    / (tf + BM25_K1 * (1 - BM25_B + BM25_B * self._chunk_len[cid] / avg))
                )
                scores[cid] = scores.get(cid, 0.0) + idf * norm
        for name in wanted:  # a definition the typed word starts: first, whatever its score
            for cid, defined in self._names.get(name[:3].lower(), {}).items():
                if defined == name:
                    scores[cid] = scores.get(cid, 0.0) + 1000.0
        ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
        out = []
        for cid, _ in ranked:
            c = self._chunks[cid]
            if c.path != exclude:
                out.append(c)
                if len(out) >= cfg.max_chunks:
                    break
        return tuple(out)

    # -- status --------------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        with self._lock:
            skipped = dict(self._skipped)
            symbols = sum(len(e.file.symbols) for e in self._entries.values())
        reasons = Counter(r for r, _ in skipped.values())
        errors = [
            {"path": p, "reason": r, "detail": d}
            for p, (r, d) in islice(sorted(skipped.items()), self.config.max_notes)
        ]
        return {
            "enabled": True,
            "state": self.state,
            "root": self.root,
            "watcher": self.watcher,
            "files": len(self._entries),
            "symbols": symbols,
            "chunks": len(self._chunks),
            "tokens": self._tokens,
            "build_ms": self.build_ms,
            "last_update": self.last_update,
            "version": self.version,
            # files not read (or read in part), by reason, and the first max_notes of them
            "skipped": dict(reasons),
            "errors": errors,
            # past max_tokens: files that keep their symbols but give no retrieval chunks
            "retrieval_dropped_files": self._dropped_retrieval,
        }
