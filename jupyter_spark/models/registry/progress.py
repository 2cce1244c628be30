"""Progress output for a pull or conversion: one sink for every stage (a caller's callback,
tqdm bars on an interactive stderr, or nothing), so the cache code reports without knowing who
listens."""

from __future__ import annotations

import sys
from collections.abc import Callable

Progress = Callable[[str, float], None]
ProgressArg = bool | Progress


class Reporter:
    """One progress sink for every stage: a caller's callback, tqdm bars, or nothing.

    Bars only when asked (progress=True) and stderr is a terminal, so logs and notebooks stay
    clean; a callback (the server's status) gets every (stage, fraction) event instead.
    """

    def __init__(self, progress: ProgressArg) -> None:
        self.callback: Progress | None = progress if callable(progress) else None
        self.interactive = progress is True and _stderr_is_tty()
        self._bar = None
        self._stage: str | None = None

    def __call__(self, stage: str, fraction: float) -> None:
        if self.callback is not None:
            self.callback(stage, fraction)
        if not self.interactive or stage == "downloading":  # pip draws its own bar
            return
        if stage != self._stage:
            self.finish()
            from tqdm import tqdm

            self._stage = stage
            self._bar = tqdm(
                total=100,
                desc=stage,
                file=sys.stderr,
                leave=True,
                bar_format="{desc:<11} {percentage:3.0f}%|{bar}| {elapsed}",
            )
        assert self._bar is not None
        self._bar.n = round(100 * min(max(fraction, 0.0), 1.0), 1)
        self._bar.refresh()

    def note(self, text: str) -> None:
        if self.interactive:
            print(text, file=sys.stderr, flush=True)

    def finish(self) -> None:
        """Fill and close the current bar: a later stage (or the end) means it is done."""
        if self._bar is not None:
            self._bar.n = 100
            self._bar.refresh()
        self.close()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
        self._bar, self._stage = None, None


def _stderr_is_tty() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False
