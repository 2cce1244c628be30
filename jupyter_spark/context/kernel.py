"""The kernel's live state (what the server's reader saw) as a compact comment block.

The model cannot see the kernel, but a line like ``# df: DataFrame 1000x3: id:int64, ...`` tells
it which columns ``df[`` can take. The snapshot types live in
``jupyter_spark.kernel``; this module only says how a snapshot reads in a prompt.
"""

from __future__ import annotations

from collections.abc import Callable

from ..kernel.state import KernelState

HEADER = "# Kernel state:\n"


def state_lines(state: KernelState, max_chars: int) -> list[tuple[str, str]]:
    """(name, comment line) per variable then module, in the order the kernel reported them."""
    lines = []
    for v in state.variables:
        lines.append((v.name, _cut(f"# {v.name}: {v.summary or v.kind}", max_chars)))
    for alias, module in state.modules:
        text = f"# {alias}: module" if alias == module else f"# {alias} = {module}"
        lines.append((alias, _cut(text, max_chars)))
    return lines


def _cut(line: str, max_chars: int) -> str:
    line = " ".join(line.split())  # a summary must stay on one comment line
    return line if len(line) <= max_chars else line[: max_chars - 3].rstrip() + "..."


def render_block(
    state: KernelState,
    used: frozenset[str],
    count: Callable[[str], int],
    budget: int,
    max_chars: int,
) -> tuple[str, int]:
    """The block (ending in a blank line) within ``budget`` tokens, and its token count.

    Lines for names in ``used`` (the current cell's) are kept first when not all fit; the kept
    lines are written in the kernel's order, so a cell that uses other names changes the block
    only when the budget forces a choice.
    """
    lines = state_lines(state, max_chars)
    if not lines:
        return "", 0
    ranked = sorted(range(len(lines)), key=lambda i: (lines[i][0] not in used, i))
    total = count(HEADER) + count("\n")  # + the blank line that closes the block
    kept = []
    for i in ranked:
        n = count(lines[i][1] + "\n")
        if total + n <= budget:
            kept.append(i)
            total += n
    if not kept:
        return "", 0
    body = "".join(lines[i][1] + "\n" for i in sorted(kept))
    return HEADER + body + "\n", total
