"""Following the project's files on disk: watchfiles (inotify and its peers), else polling.

A save from another editor, a ``git checkout``, a file created, renamed or deleted in a
terminal: each burst of events reaches ``ProjectIndex.changed`` ``debounce_ms`` after its last
event. Where the OS watcher is not available (no inotify, too many folders for its limit,
network file systems) the tree is re-scanned every ``poll_interval_s`` (stat only; files whose
size or mtime changed are re-read).
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING

from .config import SUFFIXES
from .files import walk

if TYPE_CHECKING:
    from .index import ProjectIndex


class Watcher(threading.Thread):
    def __init__(self, index: ProjectIndex, stop: threading.Event, polling: bool = False) -> None:
        super().__init__(name="spark-project-watch", daemon=True)
        self.index, self.stop, self.polling = index, stop, polling

    def run(self) -> None:
        if self.polling or not self._inotify():
            self._poll()

    def _inotify(self) -> bool:
        """Watch with watchfiles until stopped; False if it cannot watch this tree."""
        try:
            import watchfiles
        except ImportError:
            return False
        cfg = self.index.config
        self.index.watcher = "inotify"
        try:
            for changes in watchfiles.watch(
                self.index.root,
                watch_filter=_relevant,
                debounce=max(1, cfg.debounce_ms),
                step=min(50, max(1, cfg.debounce_ms)),
                stop_event=self.stop,
                raise_interrupt=False,
                ignore_permission_denied=True,
                force_polling=False,
            ):
                self.index.changed(p for _, p in changes)
            return True
        except Exception as e:  # the OS refused (inotify limits, unsupported file system)
            log = self.index.log
            if log:
                log.info("jupyter-spark: watching the project with polling (%s)", e)
            return False

    def _poll(self) -> None:
        self.index.watcher = "polling"
        cfg = self.index.config
        while not self.stop.wait(cfg.poll_interval_s):
            if self.index.state != "ready":
                continue
            seen = {}
            for rel, st in walk(self.index.rules):
                seen[rel] = (st.st_mtime_ns, st.st_size)
            known = self.index.stats()
            changed = [p for p, s in seen.items() if known.get(p) != s]
            changed += [p for p in known if p not in seen]
            if changed:
                self.index.changed(changed)


def _relevant(_change: object, path: str) -> bool:
    """Sources, notebooks, .gitignore files and folders (a folder renamed or deleted)."""
    name = os.path.basename(path)
    return (
        path.endswith(SUFFIXES)
        or name == ".gitignore"
        or ("." not in name and "__pycache__" not in path and "/.git/" not in path + "/")
    )
