"""``Backend``: what the completion service (and the fixes) need from a model, local or remote.

Two implement it: the embedded ``Engine`` (engine.py) and ``RemoteBackend`` (remote.py, an
OpenAI-compatible server). The service holds a ``Backend`` and never asks which one it has: a
capability a backend lacks is answered by the method itself (the remote cannot judge its
confidence, so a ``confident`` completion is "unsure"; it caches prompts its own way, so a warm
is done at once; it cannot score a text, so ``score`` is None).

Both subclass ``Backend`` explicitly, so the answers of a backend without a capability (``warm``
and ``score`` here) are written once; anything else with these methods passes too (a test's
fake).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from .completion import Completion

if TYPE_CHECKING:
    from .grounded import Choices

# What spark/status shows of the embedded engine (and before any backend is up, the default).
EMBEDDED_STATUS: dict[str, Any] = {"kind": "embedded", "grounding": "constrained decoding"}


@runtime_checkable
class Backend(Protocol):
    """A model that completes code at a cursor; every method is safe to call from any thread."""

    # The model's name, as the status and every result report it.
    name: str

    def complete(
        self,
        prefix: str,
        suffix: str = "",
        mode: str = "line",
        max_tokens: int | None = None,
        choices: Choices | None = None,
        confident: bool = False,
    ) -> Completion:
        """Start the completion of the text at the cursor (``prefix`` | ``suffix``).

        ``choices``: the closed set the completion starts with (grounding). ``confident``: the
        text only if the model is sure of it (stop_reason "unsure" and no text otherwise).
        """
        ...

    def warm(
        self,
        prefix: str,
        suffix: str = "",
        mode: str = "line",
        max_tokens: int | None = None,
        ahead: bool = False,
    ) -> Completion:
        """Get ready for the prompt ``complete`` would get (``ahead``: and generate its
        completion for the next request to stream from); streams nothing, stop_reason "warm".

        By default done at once: a backend with nothing to prefill (a remote server caches
        prompts its own way, as llama.cpp's cache_prompt).
        """
        return Completion.answered("warm", self.name)

    def score(self, text: str) -> float | None:
        """Mean log-probability per token of ``text`` (higher: more likely); None if this
        backend cannot score (the default: an OpenAI completions server gives no
        log-probabilities of a prompt)."""
        return None

    def count_tokens(self, text: str) -> int:
        """Tokens of ``text`` in the prompt (exact or estimated), for the context budget."""
        ...

    def status(self) -> dict[str, Any]:
        """What spark/status shows of the backend: at least ``kind`` and ``grounding``."""
        ...
