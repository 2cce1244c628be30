"""Which files of the root the index may read, and reading one safely.

A file is read only if the Jupyter user could open it through the server: inside the root (a
symlink is followed only when its target is inside too), not hidden unless the contents manager
allows hidden files, not matched by its ``hide_globs``, by a ``.gitignore`` on the way down, or
by the configured excludes, and not in a folder that is never project code (environments,
caches, builds: ``config.SKIP_DIRS``). A file is skipped with a reason (for the status) when it
is too large, binary, not UTF-8, or unreadable; a file nobody may read (mode 000) is skipped
even by a server running as root.
"""

from __future__ import annotations

import fnmatch
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pathspec

from .config import ENV_MARKERS, SUFFIXES, ProjectConfig


class Skipped(Exception):
    """A file the index does not read; ``reason`` is a short code the status counts."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(detail or reason)
        self.reason = reason
        self.detail = detail or reason


@dataclass
class Rules:
    """The root and what hides a path in it (one per index; gitignores cached per folder)."""

    root: Path  # resolved
    config: ProjectConfig
    allow_hidden: bool = False
    hide_globs: tuple[str, ...] = ()
    _ignores: dict[str, pathspec.PathSpec | None] = field(default_factory=dict)
    _exclude: pathspec.PathSpec | None = None

    def __post_init__(self) -> None:
        self.root = Path(os.path.realpath(self.root))
        if self.config.exclude:
            self._exclude = pathspec.GitIgnoreSpec.from_lines(self.config.exclude)

    def forget_ignore(self, folder: str) -> None:
        """A .gitignore changed: read it again next time."""
        self._ignores.pop(folder, None)

    def _ignore_of(self, folder: str) -> pathspec.PathSpec | None:
        if folder not in self._ignores:
            spec = None
            try:
                text = (self.root / folder / ".gitignore").read_text("utf-8", errors="replace")
                spec = pathspec.GitIgnoreSpec.from_lines(text.splitlines())
            except OSError:
                pass
            self._ignores[folder] = spec
        return self._ignores[folder]

    def hidden_name(self, name: str) -> bool:
        if name.startswith(".") and not self.allow_hidden:
            return True
        return any(fnmatch.fnmatch(name, g) for g in self.hide_globs)

    def skipped_dir(self, rel: str, name: str, abspath: str) -> bool:
        """A folder not to descend into (``rel``: its root-relative posix path)."""
        if self.hidden_name(name) or name in self.config.skip_dirs or name.endswith(".egg-info"):
            return True
        if any(os.path.exists(os.path.join(abspath, m)) for m in ENV_MARKERS):
            return True
        return self.ignored(rel, is_dir=True)

    def ignored(self, rel: str, is_dir: bool = False) -> bool:
        """Matched by the excludes or a .gitignore of a folder above it."""
        probe = rel + "/" if is_dir else rel
        if self._exclude is not None and self._exclude.match_file(probe):
            return True
        parts = rel.split("/")
        for i in range(len(parts)):
            spec = self._ignore_of("/".join(parts[:i]))
            if spec is not None and spec.match_file("/".join(parts[i:]) + ("/" if is_dir else "")):
                return True
        return False

    def allowed(self, rel: str) -> bool:
        """Whether a root-relative file path may be indexed (used for single changed files)."""
        if not rel.endswith(SUFFIXES) or rel.startswith("../") or rel.startswith("/"):
            return False
        parts = rel.split("/")
        for i, name in enumerate(parts[:-1]):
            folder = "/".join(parts[: i + 1])
            if self.skipped_dir(folder, name, str(self.root / folder)):
                return False
        return not self.hidden_name(parts[-1]) and not self.ignored(rel)

    def inside(self, abspath: str) -> bool:
        """The real path (symlinks resolved) is in the root."""
        real = os.path.realpath(abspath)
        return real == str(self.root) or real.startswith(str(self.root) + os.sep)


def walk(rules: Rules, bases: tuple[str, ...] = ("",)) -> Iterator[tuple[str, os.stat_result]]:
    """Root-relative posix paths of the files to index, with their stat, folder by folder."""
    seen_dirs: set[str] = set()
    stack = list(reversed(bases))
    while stack:
        folder = stack.pop()
        absdir = rules.root / folder if folder else rules.root
        real = os.path.realpath(absdir)
        if real in seen_dirs or not rules.inside(str(absdir)):
            continue  # a symlink loop, or a link out of the root
        seen_dirs.add(real)
        try:
            with os.scandir(absdir) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError:
            continue
        subdirs = []
        for e in entries:
            rel = f"{folder}/{e.name}" if folder else e.name
            try:
                is_dir = e.is_dir()  # follows symlinks: checked against the root below
            except OSError:
                continue
            if is_dir:
                if not rules.skipped_dir(rel, e.name, e.path):
                    subdirs.append(rel)
                continue
            if not e.name.endswith(SUFFIXES) or rules.hidden_name(e.name):
                continue
            if e.is_symlink() and not rules.inside(e.path):
                continue
            if rules.ignored(rel):
                continue
            try:
                st = e.stat()
            except OSError:
                continue
            if stat.S_ISREG(st.st_mode):
                yield rel, st
        stack.extend(reversed(subdirs))


def read_text(rules: Rules, rel: str, st: os.stat_result) -> str:
    """The file's text, or :class:`Skipped` saying why not."""
    if st.st_size > rules.config.max_file_bytes:
        raise Skipped("too_large", f"{st.st_size} bytes (limit {rules.config.max_file_bytes})")
    if not st.st_mode & (stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH):
        raise Skipped("unreadable", "no read permission")
    path = rules.root / rel
    if not rules.inside(str(path)):
        raise Skipped("outside_root", "a link out of the root")
    try:
        with open(path, "rb") as f:
            data = f.read(rules.config.max_file_bytes + 1)
    except PermissionError:
        raise Skipped("unreadable", "permission denied") from None
    except OSError as e:
        raise Skipped("unreadable", e.strerror or type(e).__name__) from None
    if len(data) > rules.config.max_file_bytes:
        raise Skipped("too_large", f"over {rules.config.max_file_bytes} bytes")
    if b"\x00" in data[:8192]:
        raise Skipped("binary", "NUL bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise Skipped("not_utf8", "not UTF-8 text") from None
