"""The suggestion after an accepted one, generated before anyone asks for it.

When the user takes a suggestion whole, the client sends a ``warm`` with ``ahead`` whose prompt
is the text as it will be once Enter is pressed (the line break and the indent the editor will
add). The engine prefills it and goes on to generate its completion into an ``Ahead``. The
request that comes at that prompt (or at that prompt plus text the completion starts with)
*follows* it: it streams the completion as it grows, cut by its own stop rules, with no model
step of its own and without waiting for the generation to finish. Any other request cancels the
generation, as a keystroke cancels a warm (Engine.complete).

Why not only prefill: the accepted tokens are a chunk of prefill, but a fresh line's first
token still waits on a full step and its text on a few more; generated ahead, the text is on
screen one round trip after Enter. Why the client adds the line break: left to itself after a
finished line the small model often ends the block (a blank line) where the user, by pressing
Enter, asks for its next line.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

from .completion import Completion, CompletionResult
from .stops import StopRules

# How long a follower sleeps between looks at a continuation that has not grown (s); it is also
# woken at once by each new token.
_POLL_S = 0.01


class Ahead:
    """A continuation being generated (or generated) after ``prefix`` | ``suffix``."""

    def __init__(
        self, prefix: str, suffix: str, completion: Completion, confident: bool = False
    ) -> None:
        self.prefix, self.suffix = prefix, suffix
        self.completion = completion  # the warm generating it; cancel() stops it
        # Generated as a ``confident`` request (held to its end, kept only if the model was
        # sure); only such requests follow it, and they get its mean log-probability.
        self.confident = confident
        self.logprob: float | None = None
        self._text = ""
        self._done = False
        self._ok = True  # False: cancelled or failed, nothing to follow
        self._cond = threading.Condition()

    # -- the generating side (the inference thread) ---------------------------------------

    def grow(self, text: str) -> None:
        with self._cond:
            self._text = text
            self._cond.notify_all()

    def finish(self, text: str | None) -> None:
        """The continuation's final text, or None when it was cancelled or failed."""
        with self._cond:
            self._done, self._ok = True, text is not None
            if text is not None:
                self._text = text
            self._cond.notify_all()

    # -- the following side ---------------------------------------------------------------

    def _state(self) -> tuple[str, bool, bool]:
        with self._cond:
            return self._text, self._done, self._ok

    @property
    def running(self) -> bool:
        return not self._state()[1]

    def typed(self, prefix: str, suffix: str) -> str | None:
        """What was typed after the continuation's prompt ("" for none), when a request at
        ``prefix`` | ``suffix`` can follow it (the continuation starts with that, or may
        still); else None."""
        if suffix != self.suffix or len(prefix) < len(self.prefix):
            return None
        if not prefix.startswith(self.prefix):
            return None
        typed = prefix[len(self.prefix) :]
        text, done, ok = self._state()
        if not ok:
            return None
        if text.startswith(typed):
            # (at the prompt itself even an empty completion is the answer: nothing to show)
            return typed if len(text) > len(typed) or not done or not typed else None
        return typed if not done and typed.startswith(text) else None

    def follow(
        self,
        c: Completion,
        typed: str,
        rules: StopRules,
        model: str,
        fallback: Callable[[], Iterator[str]],
        deadline_s: float,
    ) -> Iterator[str]:
        """Stream the continuation's rest after ``typed`` as it grows, cut by ``rules``.

        If the continuation turns out not to start with ``typed`` after all (or is cancelled
        before it got there), the request is answered by ``fallback`` (the model, once the
        continuation has let go of it).
        """
        t0 = time.perf_counter()
        deadline = t0 + deadline_s
        emitted, ttft, cancelled, rest = "", 0.0, False, ""
        while True:
            with self._cond:
                if not self._done and not c.cancelled:
                    self._cond.wait(_POLL_S)
                text, done, ok = self._text, self._done, self._ok
            if c.cancelled:
                cancelled = True
                break
            if not text.startswith(typed):
                if done or not ok or not typed.startswith(text):
                    self.completion.cancel()
                    yield from fallback()
                    return
                continue  # it has not reached the typed text yet
            rest = text[len(typed) :]
            final = rules.check(rest)
            if final is not None:
                rest = final
                break
            if done:
                if not ok:
                    yield from fallback()
                    return
                break
            if rest != emitted and rest.strip():
                ttft = ttft or (time.perf_counter() - t0) * 1000
                emitted = rest
                yield rest
            if time.perf_counter() > deadline:
                break
        if not cancelled:
            rest = rules.finish(rest)
            if rest != emitted:
                ttft = ttft or (time.perf_counter() - t0) * 1000
                yield rest
        ms = round((time.perf_counter() - t0) * 1000, 3)
        reason = self._stop_reason(cancelled, rest)
        first = round(ttft, 3) if ttft else None
        c.result = CompletionResult.unmodelled(rest, reason, model, ms, first, logprob=self.logprob)

    def _stop_reason(self, cancelled: bool, rest: str) -> str:
        if cancelled:
            return "cancelled"
        return "unsure" if self.confident and not rest else "ahead"
