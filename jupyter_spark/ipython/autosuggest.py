"""Ghost-text suggestions from the model in terminal IPython, through prompt_toolkit.

IPython's own suggester (history, navigable with Up/Down) is kept and asked first; when history
has nothing, the model is asked in a worker thread. prompt_toolkit calls
``get_suggestion_async`` after each keystroke and drops a result whose text is stale, and a new
keystroke cancels the model's pending completion, so typing never waits. Accepting uses
IPython's usual keys (Right / End / Ctrl-F: all, Alt-F: a word).
"""

from __future__ import annotations

import asyncio
from typing import Any

from IPython.terminal.shortcuts.auto_suggest import NavigableAutoSuggestFromHistory
from prompt_toolkit.auto_suggest import Suggestion

from .session import SparkSession, namespace_state


class SparkAutoSuggest(NavigableAutoSuggestFromHistory):
    def __init__(self, shell: Any, session: SparkSession) -> None:
        super().__init__()
        self.shell = shell
        self.session = session
        self._pending: Any = None
        self._kernel: Any = None
        self._kernel_at = -1  # execution_count the namespace summary was taken at

    async def get_suggestion_async(self, buffer: Any, document: Any) -> Suggestion | None:
        history = self.get_suggestion(buffer, document)
        if history is not None and history.text:
            return history
        if self._pending is not None:
            self._pending.cancel()  # the user typed on
            self._pending = None
        text = document.text_before_cursor
        if not text.strip() or self.session.state != "ready":
            if self.session.state == "idle":
                self.session.ensure_loading()
            return None
        if self._kernel_at != self.shell.execution_count:  # once per executed cell
            self._kernel = namespace_state(self.shell.user_ns)
            self._kernel_at = self.shell.execution_count
        hist = self.shell.user_ns.get("In")
        history_cells = (
            [h for h in hist[1:] if isinstance(h, str)] if isinstance(hist, list) else []
        )
        try:
            completion, future = self.session.start(
                text,
                document.text_after_cursor,
                mode="line",
                history=history_cells,
                kernel=self._kernel,
            )
        except Exception:
            return None
        self._pending = completion
        try:
            result = await asyncio.wrap_future(future)
        except Exception:
            return None
        finally:
            if self._pending is completion:
                self._pending = None
        if completion.cancelled or not result.text or "\n" in result.text:
            return None
        return Suggestion(result.text)


def install(shell: Any, session: SparkSession) -> bool:
    """Use the model's suggester in this terminal shell; False outside terminal IPython."""
    if not hasattr(shell, "pt_app") or not hasattr(shell, "auto_suggest"):
        return False
    if isinstance(shell.auto_suggest, NavigableAutoSuggestFromHistory):
        shell.auto_suggest.disconnect()
    shell.auto_suggest = SparkAutoSuggest(shell, session)
    if shell.pt_app is not None:
        shell.pt_app.auto_suggest = shell.auto_suggest
        shell.auto_suggest.connect(shell.pt_app)
    return True


def uninstall(shell: Any) -> None:
    """Back to IPython's configured suggester (history)."""
    if hasattr(shell, "_set_autosuggestions"):
        shell._set_autosuggestions(shell.autosuggestions_provider)
