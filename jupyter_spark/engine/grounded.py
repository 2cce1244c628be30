"""Grounded decoding: the next tokens must spell one of a known set of continuations.

Where the cursor sits at ``df['uni`` and the kernel says the columns are ``unit_price_eur`` and
``units``, the completion starts with ``t_price_eur'`` or ``ts'``: nothing else is a column. The
caller (the grounding layer) gives the set as ``Choices``: the texts that may follow the cursor
(each already past what the user typed), and whether a choice ends by itself (a string key
whose closing quote is part of the text) or at a word boundary (an identifier: after it, the
next character must not continue the word). The model's own logits pick among the choices,
token by token; once a choice is spelled out, generation goes on freely (``']``, arguments, the
rest of the line).

How it works on tokens: the constraint lives in the tokenizer's byte-level alphabet, as token
healing does (healing.py), and it absorbs healing: the healed prompt tail (the last token or
two, taken back so the model can re-choose them) is put in front of every choice, so the first
generated tokens re-spell the tail and go on into a choice, across token boundaries either way.
At each step the allowed tokens are those that are a prefix of what is left of some choice;
once a choice is complete, also tokens that start after it (a word boundary for identifiers,
anything for self-ending choices) and the stop tokens. This is a trie walk over the choices'
spellings, done with the vocabulary's sorted strings instead of a stored trie: the sets change
at every keystroke, and building a trie would cost more than the few dictionary lookups per
step that this costs.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

import numpy as np

from ..models.tokenizer_bytes import BYTE_DECODER
from .healing import Healer

# First-step allowed sets remembered (per engine): one per site a user recently typed at.
ALLOWED_CACHE = 64


@dataclass(frozen=True)
class Choices:
    """What may follow the cursor: a closed set of continuations.

    ``texts``: each choice's text after the cursor (the typed part of a name already removed).
    ``word``: choices end at a word boundary (identifiers); False when each text ends itself
    (``price'`` with its closing quote). ``site``: what kind of place this is, for stats.
    """

    texts: tuple[str, ...]
    word: bool = True
    site: str = ""
    # A tie-break per text, in nats added to the logits of its first token (0: none): what the
    # code around the cursor says beyond the model (``steps = cfg['`` -> ``warmup_steps``).
    prior: tuple[float, ...] = ()


class GroundedState:
    """The walk through the choices for one completion."""

    def __init__(
        self,
        decoder: GroundedDecoder,
        remaining: list[str],
        word: bool,
        prior: dict[str, float] | None = None,
    ) -> None:
        self.d = decoder
        self.prior = prior or {}  # remaining string -> bonus
        self.remaining = remaining  # what is left of each live choice, byte-level
        self.word = word
        self.free = False  # a choice is spelled out and the constraint is over
        self._ends_in_word = False  # the choice just completed ends in a word character

    @property
    def complete(self) -> bool:
        return "" in self.remaining

    def allowed(self, stop_ids: frozenset[int]) -> np.ndarray:
        """Ids of the tokens the next step may take (cached: a keystroke that re-asks at the
        same site, ``np.`` with its 500 names, finds the first step's set ready)."""
        key = (tuple(self.remaining), self.word, self._ends_in_word, stop_ids)
        hit = self.d.cache.get(key)
        if hit is None:
            hit = self._allowed(stop_ids)
            self.d.cache[key] = hit
            while len(self.d.cache) > ALLOWED_CACHE:
                self.d.cache.pop(next(iter(self.d.cache)))
        return hit

    def _allowed(self, stop_ids: frozenset[int]) -> np.ndarray:
        d = self.d
        ids: set[int] = set()
        for r in self.remaining:
            for k in range(1, len(r) + 1):
                tid = d.by_string.get(r[:k])
                if tid is not None:
                    ids.add(tid)
        parts = [np.fromiter(ids, dtype=np.int64, count=len(ids))]
        if not self.word:
            # a self-ending choice may be finished by a token that runs past it (``']``)
            for r in self.remaining:
                if r:
                    parts.append(d.starting_with(r))
        if self.complete:
            # after a name, the next token must not go on with the name (``price`` + ``s``)
            parts.append(d.boundary_ids if self.word and self._ends_in_word else d.all_ids)
            parts.append(np.fromiter(stop_ids, dtype=np.int64, count=len(stop_ids)))
        # (duplicates are harmless to the caller's argmax; np.unique would cost a lazy import)
        return np.concatenate(parts) if len(parts) > 1 else parts[0]

    def bias(self, allowed: np.ndarray) -> np.ndarray | None:
        """The priors' bonus for each allowed token, or None."""
        if not self.prior:
            return None
        bonus: dict[int, float] = {}
        for r, b in self.prior.items():
            for k in range(1, len(r) + 1):
                tid = self.d.by_string.get(r[:k])
                if tid is not None:
                    bonus[tid] = max(b, bonus.get(tid, 0.0))
        out = np.zeros(len(allowed), dtype=np.float32)
        for tid, b in bonus.items():
            out[allowed == tid] = b
        return out

    def advance(self, token: str | None) -> None:
        """Take the chosen token (None: a stop or special token)."""
        if token is None:
            self.free = True
            return
        # the priors follow their choices (a shared healed tail favours nobody yet)
        self.prior = {r[len(token) :]: b for r, b in self.prior.items() if r.startswith(token)}
        self.prior = {r: b for r, b in self.prior.items() if r}
        live = []
        for r in self.remaining:
            if r.startswith(token):
                live.append(r[len(token) :])
            elif not self.word and token.startswith(r):  # ran past a self-ending choice
                self.free = True
        if self.complete and not any(r.startswith(token) for r in self.remaining if r):
            self.free = True  # the token starts after the completed choice
        if "" in live:
            self._ends_in_word = not self.d.is_boundary(token[-1:])
            if not self.word:
                self.free = True
        self.remaining = live
        if not live:
            self.free = True


class GroundedDecoder:
    """Per-tokenizer tables for grounded decoding (built once per engine)."""

    def __init__(self, healer: Healer) -> None:
        self.enabled = healer.enabled
        self.cache: dict[tuple, np.ndarray] = {}  # see GroundedState.allowed
        self.by_string = healer.by_string
        self.id_to_string = healer.id_to_string
        self._strings = healer.strings
        self._ids = healer.ids
        self.all_ids = np.sort(healer.ids)
        # Tokens whose first character cannot continue an identifier: " ", "(", "'", ...
        boundary = [i for s, i in healer.by_string.items() if s and self.is_boundary(s)]
        self.boundary_ids = np.array(sorted(boundary), dtype=np.int64)

    @staticmethod
    def is_boundary(token: str) -> bool:
        """The token (byte-level) does not continue a word: its first byte is not a letter,
        digit, underscore or part of a non-ASCII character (Python names may hold those)."""
        b = BYTE_DECODER.get(token[:1])
        return b is not None and b < 128 and not (chr(b).isalnum() or b == 0x5F)

    def starting_with(self, text: str) -> np.ndarray:
        """Ids of the tokens whose byte-string starts with ``text``."""
        lo = bisect.bisect_left(self._strings, text)
        hi = bisect.bisect_left(self._strings, text + "\U0010ffff")
        return self._ids[lo:hi]

    def start(self, choices: Choices, heal_text: str) -> GroundedState | None:
        """The walk for ``choices`` after the healed prompt tail ``heal_text`` (byte-level)."""
        if not self.enabled or not choices.texts:
            return None
        remaining = [heal_text + Healer.to_bytes_string(t) for t in dict.fromkeys(choices.texts)]
        prior = {
            heal_text + Healer.to_bytes_string(t): b
            for t, b in zip(choices.texts, choices.prior, strict=False)
            if b > 0
        }
        state = GroundedState(self, remaining, choices.word, prior)
        if "" in remaining:  # the typed text is already a whole choice
            tail = heal_text or " "
            state._ends_in_word = not self.is_boundary(tail[-1:])
        return state
