"""Prompt tokenization that re-encodes only what changed since the last prompt.

Encoding a 1k-token prompt takes ~1.4 ms on this CPU, paid by every keystroke that runs the
model (~10% of its time to first token), though consecutive prompts share all but their end.
A byte-level BPE tokenizer splits text into pre-tokens first and merges only inside them, and
its pre-tokenizer always splits after a lone newline, one between two non-space characters
(a "line start": the end of a line of code and the start of the next). So the tokens before
such a line start depend only on the text before it: the previous prompt's tokens up to the
last line start both prompts share are reused, and only the text after it is encoded. (After
a run of whitespace the split moves: "\n\n" at the end of a text is one pre-token, but
before "#" it is two.)

Inside a function body the last such line start can be far back (an indented line starts
with spaces), so a second kind of split is used where the tokenizer has it: an indented line
after a line of code that starts with a name or keyword splits before the indent's last space
(GPT-2-style regexes give the indent minus one space as one pre-token, the last space going
with the word after it; an added token, a digit or punctuation there may be split out first). On
this package's benchmark trace (json.decoder, 1k tokens) that cuts the tokens re-encoded per
keystroke from ~590 to a line's worth.

Each property is checked once per tokenizer on sample text (a tokenizer that prepends a
marker to each encode, like SentencePiece's, fails the check); where the first does not hold,
every prompt is encoded whole; where only the second fails, only line starts are used.
"""

from __future__ import annotations

import bisect

from tokenizers import Tokenizer

# Text the line-start property is checked on: code, blank lines, indents, non-ASCII, emoji.
_CHECK_SAMPLES = (
    "import numpy as np\nimport pandas as pd\n\n# %%\ndf = pd.read_csv('x.csv')\ndf.head()\n",
    "def f(x):\n    return x + 1\n\n\nclass A:\n    pass\nprint(f(2))\n",
    "s = 'caf\u00e9'\n\u00e9t\u00e9 = 1\n\U0001f642 = 2\n)\n]\n}\n# %% (cell below)\nx\n",
    "if a:\n\tb()\nelse:\n\tc()\n@dec\ndef g(): ...\n'''doc'''\n",
)


def _is_line_start(text: str, b: int) -> bool:
    """Whether ``b`` follows a lone newline: ``text[b-2:b+1]`` is non-space, newline, non-space."""
    return (
        2 <= b < len(text)
        and text[b - 1] == "\n"
        and not text[b].isspace()
        and not text[b - 2].isspace()
    )


def _is_indent_split(text: str, b: int) -> bool:
    """Whether ``b`` is the last space of an indent after a lone newline that follows code:
    ``text[:b+2]`` ends with non-space, newline, spaces or tabs, space, ASCII letter or "_"
    (a name or keyword: pre-tokenizers that split digits or punctuation out first would end
    the indent's piece whole before one of those)."""
    if not (3 <= b < len(text) - 1 and text[b] == " "):
        return False
    c = text[b + 1]
    if not (c.isascii() and (c.isalpha() or c == "_")):
        return False
    j = b - 1
    while j >= 0 and text[j] in " \t":
        j -= 1
    return j >= 1 and text[j] == "\n" and not text[j - 1].isspace()


def _line_starts(text: str) -> list[int]:
    return [b for b in range(2, len(text)) if _is_line_start(text, b)]


def _common_prefix_len(a: str, b: str) -> int:
    """Length of the common prefix of two strings (binary search on slice equality: memcmp)."""
    lo, hi = 0, min(len(a), len(b))
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[:mid] == b[:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


class PromptEncoder:
    """``encode(text)`` equals ``tokenizer.encode(text, add_special_tokens=False).ids``.

    Not thread-safe: the engine calls it under its lock.
    """

    def __init__(self, tokenizer: Tokenizer) -> None:
        self.tokenizer = tokenizer
        self._text = ""
        self._ids: list[int] = []
        self._starts: list[int] = []  # character offset where each token of _text starts
        # An added (special) token is split out before pre-tokenizing, so an indent in front
        # of one ends its piece of text whole: no split before its last space then.
        self._added_first = {
            t.content[0] for t in tokenizer.get_added_tokens_decoder().values() if t.content
        }
        self.incremental = self._splits_at(_line_starts)
        # ...and before an indent's last space (see the module docstring)
        self.indented = self.incremental and self._splits_at(
            lambda text: [b for b in range(len(text)) if self._indent_split(text, b)]
        )
        self.reused_tokens = 0  # of the last encode (for tests and benchmarks)

    def _whole(self, text: str) -> tuple[list[int], list[int]]:
        enc = self.tokenizer.encode(text, add_special_tokens=False)
        return list(enc.ids), [start for start, _ in enc.offsets]

    def _splits_at(self, splits) -> bool:
        """Whether encoding the two sides of each of ``splits(sample)`` gives the whole
        sample's tokens, on every check sample."""
        for sample in _CHECK_SAMPLES:
            ids, _ = self._whole(sample)
            for b in splits(sample):
                if self._whole(sample[:b])[0] + self._whole(sample[b:])[0] != ids:
                    return False
        return True

    def encode(self, text: str) -> list[int]:
        self.reused_tokens = 0
        keep = self._reusable(text) if self.incremental else 0
        if keep:
            b = self._starts[keep]
            tail_ids, tail_starts = self._whole(text[b:])
            ids = self._ids[:keep] + tail_ids
            starts = self._starts[:keep] + [b + s for s in tail_starts]
            self.reused_tokens = keep
        else:
            ids, starts = self._whole(text)
        self._text, self._ids, self._starts = text, ids, starts
        return list(ids)

    def _reusable(self, text: str) -> int:
        """How many of the last prompt's tokens ``text`` can reuse: those before the last line
        start (in both texts) at which one of those tokens begins; 0 if none."""
        shared = _common_prefix_len(self._text, text)
        pos = shared
        while True:
            nl = text.rfind("\n", 0, pos)
            if nl < 0:
                return 0
            # A split in both texts (they agree before `shared`), so a pre-token boundary in
            # both: the indent's last space of the line, else the line start.
            for b in self._splits_after(text, nl):
                if b <= shared and self._splits_both(text, b):
                    i = bisect.bisect_left(self._starts, b)
                    if i < len(self._starts) and self._starts[i] == b:
                        return i
            pos = nl

    def _splits_after(self, text: str, nl: int) -> list[int]:
        """Candidate splits of the line after the newline at ``nl``, latest first."""
        if not self.indented:
            return [nl + 1]
        b = nl + 1
        while b < len(text) and text[b] in " \t":
            b += 1
        return [b - 1, nl + 1] if b - 1 > nl + 1 else [nl + 1]

    def _indent_split(self, text: str, b: int) -> bool:
        return _is_indent_split(text, b) and text[b + 1] not in self._added_first

    def _splits_both(self, text: str, b: int) -> bool:
        if _is_line_start(text, b):
            return _is_line_start(self._text, b)
        return self._indent_split(text, b) and self._indent_split(self._text, b)
