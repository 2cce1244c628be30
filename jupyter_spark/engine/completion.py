"""What every backend hands the server: a running ``Completion`` and its ``CompletionResult``.

Apart from the engine so that the pieces that stream text without running the model (the
typed-through answer, the follower of a continuation generated ahead: ahead.py) build the same
objects the engine does.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import asdict, dataclass


class Cancelled(Exception):
    """Raised inside generation when the caller cancelled; never escapes ``Completion``."""


@dataclass
class CompletionResult:
    """What a finished completion reports (the protocol's ``done`` message carries this)."""

    text: str
    tokens: int
    ttft_ms: float
    total_ms: float
    cached_tokens: int
    prompt_tokens: int
    # eos|newline|block|max_tokens|time|cancelled|context|typed_through|warm|ahead|unsure
    # ("ahead": streamed from the continuation generated after an accept, see ahead.py;
    # "unsure": asked for only if confident, and the model was not: no text)
    stop_reason: str
    model: str
    # The site kind whose candidates constrained the start of the text ("" if none did).
    grounded: str = ""
    # Mean log-probability of the generated tokens, where it was asked for (``confident``).
    logprob: float | None = None

    def stats(self) -> dict:
        return {k: v for k, v in asdict(self).items() if k not in ("text", "model")}


class Completion:
    """A running completion: iterate for text-so-far; ``result`` once finished."""

    def __init__(self, gen: Iterator[str]) -> None:
        self._gen = gen
        self._cancel = threading.Event()
        self.result: CompletionResult | None = None
        # The continuation generated ahead that this completion streams from (ahead.py), or
        # None. It runs no model step of its own, so it needs no turn of the inference thread,
        # and a request superseding it must not cancel what it follows.
        self.follows: Completion | None = None

    def cancel(self) -> None:
        """Stop at the next token boundary; the result's stop_reason becomes "cancelled"."""
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def __iter__(self) -> Iterator[str]:
        return self._gen

    def wait(self) -> CompletionResult:
        """Run to the end without streaming and return the result."""
        for _ in self._gen:
            pass
        assert self.result is not None
        return self.result
