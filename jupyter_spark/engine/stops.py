"""When a completion is finished, and what to keep of it: pure text rules, no model.

line  mode: the rest of the current line. If the cursor ends a line (nothing typed on the new
            line yet is fine), the first newline of the completion is allowed and the next one
            stops it, so "def f(x):" continues with the body's first line.
block mode: whole lines until a blank line or a dedent out of the block the cursor is in.
Both modes: a completion that only repeats the text after the cursor is dropped, and a tail
that duplicates the start of the suffix (the closing ")" already there) is cut.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


@dataclass
class StopRules:
    """Stop logic for one request; ``check`` is called with the whole completion so far."""

    mode: str  # "line" | "block" | "raw" (no rules: max tokens and EOS only, for serving)
    prefix: str
    suffix: str

    def __post_init__(self) -> None:
        self.current_line = self.prefix.rsplit("\n", 1)[-1]
        self.suffix_line = self.suffix.split("\n", 1)[0]

    def check(self, text: str) -> str | None:
        """Return the final text if ``text`` is complete, else None (keep generating)."""
        if self.mode == "line":
            return self._check_line(text)
        if self.mode == "raw":
            return None
        return self._check_block(text)

    def _check_line(self, text: str) -> str | None:
        start = 0
        if not self.current_line.strip() or self.current_line.rstrip().endswith(":"):
            # Cursor on an empty line or after a block opener: skip one leading newline.
            stripped = text.lstrip(" \t")
            if stripped.startswith("\n"):
                start = len(text) - len(stripped) + 1
        nl = text.find("\n", start)
        if nl < 0:
            return None
        if not text[:nl].strip():
            return None if start == 0 and nl == 0 and not self.current_line.strip() else text[:nl]
        return text[:nl]

    def _check_block(self, text: str) -> str | None:
        full = self.current_line + text
        lines = full.split("\n")
        base = _indent(lines[0])
        # The block is the opener's body only if the user wrote the opener ("def f(x):|");
        # from an empty line it is the block of the first generated line.
        opener = bool(self.current_line.strip()) and lines[0].rstrip().endswith(":")
        offset = len(self.current_line)
        end_prev = len(lines[0])  # index in `full` of the newline before lines[i]
        for i, line in enumerate(lines[1:], start=1):
            if not line.strip():
                if i < len(lines) - 1:  # a complete blank line ends the block
                    return full[offset:end_prev]
            else:
                ind = _indent(line)
                if ind < base or (opener and ind <= base):
                    return full[offset:end_prev]
            end_prev += len(line) + 1
        return None

    def finish(self, text: str) -> str:
        """Post-process a finished completion against the suffix."""
        if self.mode == "raw":
            return text
        text = text.rstrip("\n") if self.mode == "line" else text.rstrip()
        if not text.strip():
            return ""
        sfx = self.suffix_line.strip()
        if sfx and (text.strip() == sfx or sfx.startswith(text.strip())):
            return ""  # merely repeats what is after the cursor
        if self.suffix.strip() and self.suffix.lstrip().startswith(text.strip()):
            return ""
        # Cut a tail that duplicates the beginning of the suffix line, e.g. ")" or '"]'.
        if sfx:
            for k in range(min(len(sfx), len(text)), 0, -1):
                if text.endswith(sfx[:k]) and not text[:-k].endswith("\\"):
                    text = text[:-k]
                    break
        return text


def is_statement(text: str) -> bool:
    """Whether ``text`` is whole Python statements (it parses on its own). What a suggestion
    shown only when the model is sure must also be: the small model is sometimes sure of a
    Markdown fence or of prose after finished code."""
    if not text.strip():
        return False
    try:
        ast.parse(text.strip())
    except (SyntaxError, ValueError):
        return False
    return True
