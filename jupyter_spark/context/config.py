"""Every tunable of prompt building, named once, with its default and what it trades."""

from __future__ import annotations

from dataclasses import dataclass

from ..engine.config import estimate_tokens

__all__ = ["ANALYSIS_CACHE_CELLS", "DEFAULT_CONFIG", "ContextConfig", "estimate_tokens"]


@dataclass(frozen=True)
class ContextConfig:
    """Budgets and ranking weights of ``ContextBuilder``; nothing else in the package hard-codes.

    Budgets are in tokens of the builder's ``count_tokens``. Scores are unitless: a cell's score
    is ``(name score + distance_weight / distance) * (below_factor if below the current cell)``.
    """

    # Whole prompt (context + current prefix + suffix). The engine's KV slots hold ~1.5k tokens,
    # so ~1k leaves room for the completion and for the engine's own left trim granularity.
    budget_tokens: int = 1024
    # Text after the cursor, kept from its start (the model needs what comes right after).
    suffix_budget_tokens: int = 128
    # The kernel-state comment block; variables the current cell uses are kept first.
    kernel_budget_tokens: int = 200
    # A kernel-state line longer than this (a wide DataFrame's columns) is cut with "...".
    kernel_line_chars: int = 160
    # One other cell may take at most this share of the budget; longer cells keep their head
    # (imports and signatures come first) and end with "# ...".
    max_cell_share: float = 0.5
    # Tokens of typing room reserved after the current prefix when cells are chosen. Chosen
    # cells are reused while they still fit, so selection (and the KV prefix) changes at most
    # once per this many typed tokens instead of at every keystroke near the budget's edge.
    typing_headroom_tokens: int = 64
    # Score of a cell defining a name the current cell uses (per name): the strongest signal.
    name_weight: float = 4.0
    # Share of ``name_weight`` for the other definers of a name, after the nearest one above
    # (``df`` rebuilt in 30 cells should bring one of them, not all 30).
    shadowed_factor: float = 0.25
    # Score of the adjacent cell by position alone; it falls off as 1 / distance in cells.
    distance_weight: float = 1.0
    # Multiplier for cells below the current one: what ran before matters more than what follows.
    below_factor: float = 0.5
    # Cells considered by position alone on each side of the current one; definers of used names
    # are always considered. Bounds a build's work on huge notebooks: only ~10 cells fit anyway.
    neighbor_window: int = 32
    # Candidates skipped for not fitting, after which packing stops. On a cold cache each one
    # costs a tokenization (~0.1-0.3 ms), and what is left after a few misses rarely fits.
    max_misses: int = 4
    # Selections remembered (per notebook and cell) for reuse while nothing relevant changes.
    cache_entries: int = 64


DEFAULT_CONFIG = ContextConfig()


# Cell analyses kept by (cell type, source), shared by all notebooks: a notebook re-sent whole, or
# the scratch notebook of a request that carries its cells, re-parses only what changed.
ANALYSIS_CACHE_CELLS = 4096

# Bounds that keep the work of one request or sync proportional to its budget, not to its input
# (everything here runs on the server's IO loop or holds the GIL in one C call):
# - the most characters one token is taken to stand for (a few whitespace tokens are longer):
#   text longer than ``tokens * this`` is taken not to fit in ``tokens``, so a huge prefix,
#   suffix or cell is cut to that many characters before it is counted (counting runs ~1 ms per
#   1k characters: 16k characters, the most ever counted at once for a 1k budget, ~20 ms).
MAX_CHARS_PER_TOKEN = 16
# - cells longer than this are not given to ``ast`` (parsing 16k characters takes ~20 ms, a
#   1 MB cell over a second); their names come from the regex pass over their first
#   ``REGEX_NAMES_CHARS`` characters.
AST_MAX_CHARS = 16_000
REGEX_NAMES_CHARS = 64_000
# Synced notebooks kept, in UTF-8 bytes of cell source (least recently used dropped first);
# ``SparkExtension.max_notebook_bytes`` sets it for the server.
MAX_NOTEBOOK_BYTES = 64 * 1024 * 1024
