"""Stop rules and suffix post-processing, as pure text functions."""

from __future__ import annotations

import pytest

from jupyter_spark.engine.stops import StopRules, is_statement


def feed(rules: StopRules, text: str) -> str | None:
    """Feed ``text`` one character at a time, as tokens arrive; the first final answer wins."""
    for i in range(1, len(text) + 1):
        final = rules.check(text[:i])
        if final is not None:
            return final
    return None


@pytest.mark.parametrize(
    ("prefix", "generated", "want"),
    [
        ("x = np.", "zeros(3)\ny = 2\n", "zeros(3)"),  # rest of the line
        ("def f(x):", "\n    return x\n", "\n    return x"),  # after an opener: next line
        ("import os\n", "\nimport sys\nimport re\n", "\nimport sys"),  # from an empty line
        ("x = 1", "", None),  # nothing yet: keep going
    ],
)
def test_line_mode(prefix, generated, want):
    assert feed(StopRules("line", prefix, ""), generated) == want


@pytest.mark.parametrize(
    ("prefix", "generated", "want"),
    [
        # opener written by the user: its body, up to the dedent
        ("def f(x):", "\n    y = x\n    return y\nprint(f(1))\n", "\n    y = x\n    return y"),
        # from an empty line inside a body: lines at that indent, up to a blank line
        (
            "def f(x):\n    ",
            "if x:\n        return 1\n    return 2\n\nz = 3\n",
            "if x:\n        return 1\n    return 2",
        ),
        # dedent out of the block ends it
        ("for i in r:\n    ", "a = i\n    b = i\nc = 0\n", "a = i\n    b = i"),
    ],
)
def test_block_mode(prefix, generated, want):
    assert feed(StopRules("block", prefix, ""), generated) == want


def test_block_incomplete_keeps_going():
    assert StopRules("block", "def f(x):", "").check("\n    y = x") is None


@pytest.mark.parametrize(
    ("text", "suffix", "want"),
    [
        (")", ")", ""),  # merely repeats the suffix
        ("print(x)", ")", "print(x"),  # duplicate closing bracket cut
        ('d["key"]', '"]', 'd["key'),
        ("value", "", "value"),
        ("  \n", "", ""),
        ("foo(a, b", ", b)", "foo(a"),  # overlap with the text after the cursor cut
    ],
)
def test_finish_against_suffix(text, suffix, want):
    assert StopRules("line", "x = ", suffix).finish(text) == want


def test_is_statement():
    assert is_statement("df.head()") and is_statement("import numpy as np\nx = 1")
    assert not is_statement("```") and not is_statement("The sum of the values")
    assert not is_statement("for x in xs:") and not is_statement("  \n")
