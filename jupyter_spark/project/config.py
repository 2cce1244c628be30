"""Every tunable of the project index, named once, with its default and what it trades.

``SparkExtension.project_*`` and the ``%spark`` magics take their defaults from here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Folders never read, whatever .gitignore says: version control, caches, environments, builds.
SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "__pycache__",
        "node_modules",
        "site-packages",
        "dist-packages",
        "build",
        "dist",
        ".venv",
        "venv",
        ".tox",
        ".nox",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".ipynb_checkpoints",
        ".eggs",
    }
)
# A folder holding one of these is an environment (a virtualenv, a conda env): skipped.
ENV_MARKERS = ("pyvenv.cfg", "conda-meta")
# What the index reads.
SUFFIXES = (".py", ".ipynb")


@dataclass(frozen=True)
class ProjectConfig:
    """Limits and weights of ``ProjectIndex``.

    Sizes bound the work of a build (it runs in a background thread but holds the GIL while it
    parses) and the memory it keeps; past ``max_tokens`` the index degrades: files read after
    that keep their symbols (imports still resolve) but give no retrieval chunks.
    """

    # Folders to index, relative to the root or absolute inside it; empty: the root itself.
    paths: tuple[str, ...] = ()
    # gitignore-style patterns excluded on top of each folder's .gitignore.
    exclude: tuple[str, ...] = ()
    # A file larger than this is skipped unread (generated tables, vendored bundles, data).
    max_file_bytes: int = 1_000_000
    # Files indexed at most; the rest are skipped (status: ``skipped.too_many``).
    max_files: int = 20_000
    # Source tokens (estimated) kept for retrieval; files past it keep symbols only.
    max_tokens: int = 3_000_000
    # Top-level statements (besides definitions, each a chunk of its own) per retrieval window.
    window_statements: int = 6
    # Tokens of the prompt's project block (signatures and short snippets of related files),
    # taken from the context budget.
    budget_tokens: int = 256
    # Chunks retrieved for the block at most (the block keeps those that fit, best first).
    max_chunks: int = 6
    # Per query term, postings scored at most (highest term frequency first): bounds a
    # retrieval's work on huge projects to ~terms x this dictionary updates.
    max_postings: int = 256
    # Query terms used at most (the rarest in the project first).
    max_query_terms: int = 24
    # ``names_starting`` answers words of this many characters or more.
    prefix_min_chars: int = 3
    # Watching: a change is applied this long after the last event of a burst (git checkout).
    debounce_ms: int = 50
    # Without inotify (or when it fails), the tree is re-scanned this often.
    poll_interval_s: float = 1.0
    # Retrieval results remembered (per query, project version).
    cache_entries: int = 64
    # Files read on the request path when an import names one that changed since it was read
    # (smaller ones only: a larger one waits for the background thread).
    sync_read_bytes: int = 64_000
    # Per-file problems kept for the status (the counts are always complete).
    max_notes: int = 50
    skip_dirs: frozenset[str] = field(default=SKIP_DIRS)
    # The block takes at most this share of the prompt's budget (the cells need the rest).
    max_budget_share: float = 0.25

    def block_budget(self, context_budget: int) -> int:
        """Tokens of the project block in a prompt of ``context_budget`` tokens."""
        return min(self.budget_tokens, int(context_budget * self.max_budget_share))


DEFAULT_PROJECT = ProjectConfig()
