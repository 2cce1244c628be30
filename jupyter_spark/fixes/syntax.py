"""Fixes for SyntaxError, IndentationError and TabError: the cell is compiled again here (the
message the client sent is not needed), and each candidate repairs what the parser reports."""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Iterator

from .source import compile_cell, mask_ipython
from .toolkit import MAX_CANDIDATES, Candidate, Context
from .types import ErrorInfo

BLOCK_START = re.compile(
    r"^\s*(if|elif|else|for|while|def|class|try|except|finally|with|async\s+def|async\s+for|"
    r"async\s+with|match|case)\b"
)


def syntax_error(source: str, error: ErrorInfo, ctx: Context) -> Iterator[Candidate]:
    """Missing colon, unclosed bracket or quote, Python 2 print, `=` for `==`, indentation."""
    masked = mask_ipython(source)
    try:
        compile_cell(masked)
        return  # compiles now: the error came from elsewhere (e.g. exec of other code)
    except SyntaxError as e:
        err = e
    except (ValueError, RecursionError, MemoryError):
        return
    lines = source.split("\n")
    row = max(1, min(err.lineno or 1, len(lines))) - 1
    msg = err.msg or ""
    tabs = "\t" in source and any(ln.startswith(" ") for ln in lines)

    def with_line(i: int, text: str) -> str:
        return "\n".join([*lines[:i], text, *lines[i + 1 :]])

    if tabs or isinstance(err, TabError):
        yield (
            "Use spaces for indentation",
            "The cell mixes tabs and spaces; tabs become 4 spaces.",
            source.expandtabs(4),
            0.85,
        )
    for i in (row, row - 1):
        if 0 <= i < len(lines) and BLOCK_START.match(lines[i]):
            stripped = lines[i].rstrip()
            if not stripped.endswith(":") and "#" not in stripped:
                yield (
                    "Add the missing colon",
                    f"A `{stripped.split()[0]}` line must end with `:`.",
                    with_line(i, stripped + ":"),
                    0.9,
                )
    m = re.match(r"^(\s*)else\s+if\b(.*?)\s*$", lines[row])
    if m:
        rest = m.group(2) if m.group(2).endswith(":") else m.group(2) + ":"
        yield (
            "Use `elif`",
            "Python spells `else if` as `elif`.",
            with_line(row, f"{m.group(1)}elif{rest}"),
            0.92,
        )
    if "forgot a comma" in msg:
        yield from _missing_comma(lines, err)
    m = re.match(r"^(\s*)print\s+(?!\()(.+?)\s*$", lines[row])
    if m or "Missing parentheses in call to 'print'" in msg:
        for i, line in enumerate(lines):
            mm = re.match(r"^(\s*)print\s+(?![(=])(.+?)\s*$", line)
            if mm:
                lines2 = list(lines)
                lines2[i] = f"{mm.group(1)}print({mm.group(2).rstrip(',')})"
                lines = lines2
        yield (
            "Call print() with parentheses",
            "`print x` is Python 2; in Python 3 print is a function: `print(x)`.",
            "\n".join(lines),
            0.9,
        )
        lines = source.split("\n")
    if "Maybe you meant '=='" in msg or "cannot assign to" in msg:
        fixed = re.sub(r"(?<![=!<>:])=(?!=)", "==", lines[row], count=1)
        if fixed != lines[row]:
            yield (
                "Compare with `==`",
                "`=` assigns; a condition compares with `==`.",
                with_line(row, fixed),
                0.8,
            )
    if "unterminated string" in msg or "EOL while scanning" in msg:
        line = lines[row]
        quote = _open_quote(line)
        if quote:
            yield (
                "Close the string",
                f"The string opened with {quote} is not closed on its line.",
                with_line(row, line.rstrip() + quote),
                0.85,
            )
    if "was never closed" in msg or "unexpected EOF" in msg or "'(' was never closed" in msg:
        closers = _unclosed(masked)
        if closers:
            start = err.lineno - 1 if err.lineno else row
            # Close at the end of the opening line first (the usual slip), then at the end.
            for i in dict.fromkeys([start, len(lines) - 1]):
                if 0 <= i < len(lines):
                    yield (
                        f"Close the bracket with `{closers}`",
                        "A bracket opened here is never closed.",
                        with_line(i, lines[i].rstrip() + closers),
                        0.8 if i == start else 0.6,
                    )
    if "does not match" in msg and "closing parenthesis" in msg:
        m2 = re.search(r"closing parenthesis '(.)' does not match opening parenthesis '(.)'", msg)
        if m2:
            pairs = {"(": ")", "[": "]", "{": "}"}
            bad, want = m2.group(1), pairs[m2.group(2)]
            line = lines[row]
            at = (err.offset or 1) - 1
            if 0 <= at < len(line) and line[at] == bad:
                yield (
                    f"Close with `{want}`",
                    f"The bracket was opened with `{m2.group(2)}`.",
                    with_line(row, line[:at] + want + line[at + 1 :]),
                    0.85,
                )
    if isinstance(err, IndentationError):
        yield from _indentation(lines, row, msg)


def _missing_comma(lines: list[str], err: SyntaxError) -> Iterator[Candidate]:
    """A comma in the gap between the two items Python points at (``[1, 2 3]``)."""
    row = (err.lineno or 1) - 1
    if not 0 <= row < len(lines):
        return
    line = lines[row]
    if err.end_lineno not in (None, err.lineno):  # items on separate lines: end the first
        gaps = [len(line.rstrip())]
    else:
        a = max(0, (err.offset or 1) - 1)
        b = min(len(line), (err.end_offset or len(line) + 1) - 1)
        gaps = [k for k in range(a + 1, b) if line[k].isspace() and not line[k - 1].isspace()]
    for n, k in enumerate(gaps[:MAX_CANDIDATES]):
        new = "\n".join([*lines[:row], line[:k] + "," + line[k:], *lines[row + 1 :]])
        yield (
            "Add the missing comma",
            "Two items follow each other without a comma between them.",
            new,
            0.85 - 0.05 * n,
        )


def _indentation(lines: list[str], row: int, msg: str) -> Iterator[Candidate]:
    def indent_of(line: str) -> str:
        return line[: len(line) - len(line.lstrip())]

    def with_line(i: int, text: str) -> str:
        return "\n".join([*lines[:i], text, *lines[i + 1 :]])

    prev = next((lines[j] for j in range(row - 1, -1, -1) if lines[j].strip()), "")
    line = lines[row] if row < len(lines) else ""
    if "expected an indented block" in msg:
        target = row if line.strip() else row + 1
        if target < len(lines):
            body = lines[target]
            yield (
                "Indent the block",
                "The line after a `:` starts a block and must be indented.",
                with_line(target, indent_of(prev) + "    " + body.lstrip()),
                0.85,
            )
    if "unexpected indent" in msg:
        yield (
            "Remove the extra indentation",
            "This line is indented more than the block it belongs to.",
            with_line(row, indent_of(prev) + line.lstrip()),
            0.85,
        )
    if "unindent does not match" in msg:
        levels = {len(indent_of(x)) for x in lines[:row] if x.strip()}
        width = len(indent_of(line))
        # The nearest levels either side (only one of them usually compiles).
        for n in sorted(levels, key=lambda n: (abs(n - width), -n))[:2]:
            yield (
                "Align the indentation",
                f"The line's indentation ({width}) matches no enclosing block; it is aligned "
                f"to {n} spaces.",
                with_line(row, " " * n + line.lstrip()),
                0.8 - 0.01 * abs(n - width),
            )


def _open_quote(line: str) -> str | None:
    quote = None
    i = 0
    while i < len(line):
        ch = line[i]
        if quote:
            if ch == "\\":
                i += 2
                continue
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "#":
            break
        i += 1
    return quote


def _unclosed(code: str) -> str:
    """The closing brackets still owed at the end of ``code`` (strings and comments skipped)."""
    pairs = {"(": ")", "[": "]", "{": "}"}
    stack: list[str] = []
    try:
        for t in tokenize.generate_tokens(io.StringIO(code).readline):
            if t.type == tokenize.OP:
                if t.string in pairs:
                    stack.append(pairs[t.string])
                elif t.string in ")]}" and stack and stack[-1] == t.string:
                    stack.pop()
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass
    return "".join(reversed(stack))
