"""Token healing: let the model re-choose the prompt's last token(s).

A prompt that ends mid-word ("df.gro") or in spaces was cut where the tokenizer would never
cut: the model saw "df" "." "gro" but during training saw "df" ".groupby". So we drop the last
token(s), remember their text, and constrain the first generated tokens to spell that text out
(each must start with what is left of it, or be a prefix of it). Works on byte-level BPE token
strings, where a token's string is an exact byte sequence.
"""

from __future__ import annotations

import bisect

import numpy as np
from tokenizers import Tokenizer

from ..models.tokenizer_bytes import BYTE_DECODER, BYTE_ENCODER

# How many prompt tokens healing may take back: one, or two when the last is whitespace only
# (an indent after a newline token).
MAX_HEALED_TOKENS = 2


class Healer:
    """Vocabulary index for prefix queries over token byte-strings."""

    def __init__(self, tokenizer: Tokenizer, special_ids: set[int]) -> None:
        vocab = tokenizer.get_vocab(with_added_tokens=False)
        self.enabled = bool(vocab) and all(
            all(ch in BYTE_DECODER for ch in tok) for tok in list(vocab)[:2000]
        )
        items = sorted((s, i) for s, i in vocab.items() if i not in special_ids)
        self.strings = [s for s, _ in items]
        self.ids = np.array([i for _, i in items], dtype=np.int64)
        self.by_string = {s: i for s, i in items}
        self.id_to_string = {i: s for s, i in items}

    @staticmethod
    def to_bytes_string(text: str) -> str:
        return "".join(BYTE_ENCODER[b] for b in text.encode("utf-8"))

    def rollback(self, prompt_ids: list[int]) -> tuple[int, str]:
        """How many trailing tokens to re-generate, and their byte-string."""
        if not self.enabled or len(prompt_ids) < 2:
            return 0, ""
        n, text = 0, ""
        # Keep at least one prompt token before the healed tail.
        for tid in reversed(prompt_ids[-min(MAX_HEALED_TOKENS, len(prompt_ids) - 1) :]):
            s = self.id_to_string.get(tid)
            if s is None:  # a special token: never heal across it
                break
            text = s + text
            n += 1
            if not s.strip("Ġĉ"):  # whitespace-only (space/tab) token: also take the one before
                continue
            break
        return n, text

    def allowed(self, remaining: str) -> np.ndarray:
        """Ids of tokens that start with ``remaining`` or are a proper prefix of it."""
        lo = bisect.bisect_left(self.strings, remaining)
        hi = bisect.bisect_left(self.strings, remaining + "\U0010ffff")
        ids = [self.ids[lo:hi]]
        prefixes = [
            self.by_string[remaining[:k]]
            for k in range(1, len(remaining))
            if remaining[:k] in self.by_string
        ]
        if prefixes:
            ids.append(np.array(prefixes, dtype=np.int64))
        return np.concatenate(ids)
