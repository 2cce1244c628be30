"""What every backend hands the server: a running ``Completion`` and its ``CompletionResult``,
and the bookkeeping every backend does to get from a stream of text to that result.

Apart from the engine so that the pieces that stream text without running the model (the
typed-through answer, the follower of a continuation generated ahead: ahead.py) and the remote
backend (remote.py) build the same objects the engine does, and finish a completion the same
way: the stop rules cut the text (``Stream``), the last answer is kept for keystrokes that type
through it (``Recall``), one ``Cancelled`` unwinds a generation.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from .stops import StopRules

if TYPE_CHECKING:
    from .grounded import Choices


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

    @classmethod
    def unmodelled(
        cls,
        text: str,
        stop_reason: str,
        model: str,
        ms: float = 0.0,
        ttft_ms: float | None = None,
        grounded: str = "",
        logprob: float | None = None,
    ) -> CompletionResult:
        """The result of a request the model ran no step for (its text typed through, followed
        from a continuation generated ahead, or answered at once): no tokens, no prompt.
        ``ms``: its total time; ``ttft_ms``: to its first text (None: the total)."""
        return cls(
            text=text,
            tokens=0,
            ttft_ms=ms if ttft_ms is None else ttft_ms,
            total_ms=ms,
            cached_tokens=0,
            prompt_tokens=0,
            stop_reason=stop_reason,
            model=model,
            grounded=grounded,
            logprob=logprob,
        )

    def stats(self) -> dict:
        return {k: v for k, v in asdict(self).items() if k not in ("text", "model")}


class Completion:
    """A running completion: iterate for text-so-far; ``result`` once finished."""

    def __init__(self, gen: Iterator[str]) -> None:
        self._gen = gen
        self._cancel = threading.Event()
        self._on_cancel: list[Callable[[], None]] = []
        self._hooks_lock = threading.Lock()
        self.result: CompletionResult | None = None
        # The continuation generated ahead that this completion streams from (ahead.py), or
        # None. It runs no model step of its own, so it needs no turn of the inference thread,
        # and a request superseding it must not cancel what it follows.
        self.follows: Completion | None = None

    @classmethod
    def answered(cls, reason: str, model: str) -> Completion:
        """A completion answered without the model: nothing streams, its result has no text
        (``reason``: "warm" for a warm with nothing to prefill, "unsure" for a confidence the
        backend cannot judge)."""
        completion = cls(iter(()))
        completion.result = CompletionResult.unmodelled("", reason, model)
        return completion

    def cancel(self) -> None:
        """Stop at the next token boundary; the result's stop_reason becomes "cancelled"."""
        with self._hooks_lock:
            self._cancel.set()
            hooks = list(self._on_cancel)
        for hook in hooks:
            hook()

    def on_cancel(self, hook: Callable[[], None]) -> None:
        """Also run ``hook`` on cancel (at once if already cancelled), from the cancelling
        thread: what a backend blocked outside the token loop needs to stop now (the remote
        closes its socket; a completion handed to a fallback cancels that one)."""
        with self._hooks_lock:
            now = self._cancel.is_set()
            if not now:
                self._on_cancel.append(hook)
        if now:
            hook()

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


class Stream:
    """One generation's text on its way to a ``CompletionResult``: what the embedded and the
    remote backends share between "a new token (or chunk) arrived" and "done".

    The backend sets ``text`` (or calls ``grow``) as its output decodes, streams ``fresh()``,
    sets ``reason`` when it stops for a reason of its own, then calls ``settle()`` and streams
    what that returns, and builds the result with ``result()``.
    """

    def __init__(self, prefix: str, suffix: str, mode: str) -> None:
        self.rules = StopRules(mode, prefix, suffix)
        self.mode = mode
        self.t0 = time.perf_counter()
        self.text = ""
        self.emitted = ""  # the text last streamed
        self.reason = "max_tokens"
        self.ttft = 0.0  # ms to the first token; 0 until then

    def first_token(self) -> None:
        """Note the time to the first token (once)."""
        if not self.ttft:
            self.ttft = (time.perf_counter() - self.t0) * 1000

    def grow(self, text: str) -> bool:
        """Take the text so far; True if the stop rules end the completion here (the text is
        then cut where they say, and the reason is theirs)."""
        final = self.rules.check(text)
        if final is None:
            self.text = text
            return False
        self.text, self.reason = final, ("newline" if self.mode == "line" else "block")
        return True

    def fresh(self) -> str | None:
        """The text to stream now, if it changed since it last was (marked as streamed)."""
        if self.text == self.emitted:
            return None
        self.emitted = self.text
        return self.text

    def settle(self) -> str | None:
        """Finish the text (the stop rules' last word); the text still to stream, or None.

        A cancelled completion keeps its raw text and streams nothing more.
        """
        if self.reason == "cancelled":
            return None
        self.text = self.rules.finish(self.text)
        return self.text if self.text != self.emitted else None

    def result(
        self,
        model: str,
        tokens: int,
        prompt_tokens: int,
        cached_tokens: int = 0,
        grounded: str = "",
        logprob: float | None = None,
    ) -> CompletionResult:
        return CompletionResult(
            text=self.text,
            tokens=tokens,
            ttft_ms=round(self.ttft, 3),
            total_ms=round((time.perf_counter() - self.t0) * 1000, 3),
            cached_tokens=cached_tokens,
            prompt_tokens=prompt_tokens,
            stop_reason=self.reason,
            model=model,
            grounded=grounded,
            logprob=logprob,
        )


class Recall:
    """A backend's last finished completion, for keystrokes that type into it.

    Same as an editor keeping ghost text while you type through it, but on the server, so a
    client that re-asks per keystroke gets the remainder at once without the model (embedded
    or remote).
    """

    def __init__(self) -> None:
        self._last: tuple[str, str, str, str] | None = None  # prefix, suffix, mode, text

    def keep(self, prefix: str, suffix: str, mode: str, text: str) -> None:
        self._last = (prefix, suffix, mode, text)

    def kept(self, stream: Stream, prefix: str, suffix: str) -> None:
        """Keep a finished ``stream``'s text unless it was cancelled."""
        if stream.reason != "cancelled":
            self.keep(prefix, suffix, stream.mode, stream.text)

    def answer(
        self,
        c: Completion,
        prefix: str,
        suffix: str,
        mode: str,
        model: str,
        choices: Choices | None = None,
    ) -> Iterator[str] | None:
        """If the user typed the start of the last suggestion, the rest of it is the answer
        (streamed into ``c``); else None. Where the cursor now has ``choices``, the rest must
        start with one of them to be kept."""
        if self._last is None:
            return None
        old_prefix, old_suffix, old_mode, old_text = self._last
        typed = prefix[len(old_prefix) :]
        if (
            mode != old_mode
            or suffix != old_suffix
            or not typed
            or not prefix.startswith(old_prefix)
            or not old_text.startswith(typed)
            or len(old_text) == len(typed)
        ):
            return None
        rest = old_text[len(typed) :]
        if choices is not None and choices.texts and not rest.startswith(choices.texts):
            return None

        def gen() -> Iterator[str]:
            t0 = time.perf_counter()
            yield rest
            ms = round((time.perf_counter() - t0) * 1000, 3)
            grounded = choices.site if choices is not None and choices.texts else ""
            c.result = CompletionResult.unmodelled(rest, "typed_through", model, ms, None, grounded)

        return gen()
