"""Back the memory a model load filled with 2 MB pages (Linux transparent huge pages).

Why: a decoder step streams all of the model's weights (~114 MB for SmolLM2-135M) and little
else, so it runs near the memory system's limits; with 4 KB pages each step walks ~28,000 page
table entries and the hardware prefetchers stop at every 4 KB edge. On the 2-core CPU of the
benchmarks, weights in 2 MB pages made a bare step 10-13 % faster (11.6 -> 10.0 ms at 1k
tokens of context, 7.2 -> 6.5 ms at 16: medians of 12 interleaved pairs of processes); the KV
cache in 2 MB pages gained nothing measurable.

Most systems ship THP in "madvise" mode, where only memory a process marks gets huge pages,
and onnxruntime never marks its allocations. So the engine notes the process's anonymous
mappings before a load, and after it marks MADV_HUGEPAGE and collapses, with MADV_COLLAPSE
(Linux 6.1+), each aligned 2 MB range of what is new (new mappings, grown ones) whose 512 pages
are all resident: the weights just written. Nothing that existed before is touched (in a
kernel, where %spark loads the model in-process, the user's data stays as it is), and no page
is added, so RSS does not grow. The cost: a second model loaded into memory a freed one left
may keep 4 KB pages. Everything here is advisory: on other systems, with THP off, or where the
kernel refuses, nothing changes.
"""

from __future__ import annotations

import bisect
import ctypes
import ctypes.util
import logging
import mmap
import sys
from collections.abc import Iterator
from dataclasses import dataclass

log = logging.getLogger(__name__)

HUGE_PAGE = 2 << 20  # PMD-sized pages on x86-64 and arm64 with 4 KB base pages
_MADV_HUGEPAGE = 14
_MADV_COLLAPSE = 25
_MAPS = "/proc/self/maps"


@dataclass(frozen=True)
class CollapseResult:
    """What ``collapse_new`` did: new, fully resident bytes found, and bytes collapsed now."""

    resident: int = 0
    collapsed: int = 0


def _anonymous_regions() -> Iterator[tuple[int, int]]:
    """(start, end) of the process's writable anonymous mappings (the heap included)."""
    with open(_MAPS) as f:
        for line in f:
            parts = line.split()
            path = parts[5] if len(parts) > 5 else ""
            if path in ("", "[heap]") and parts[1].startswith("rw"):
                start, end = (int(x, 16) for x in parts[0].split("-"))
                yield start, end


def snapshot() -> list[tuple[int, int]] | None:
    """The anonymous mappings now, for ``collapse_new`` after the load; None where there is
    nothing to do (not Linux, or the mappings cannot be read)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return sorted(_anonymous_regions())
    except OSError:
        return None


def _subtract(region: tuple[int, int], before: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The parts of ``region`` that no mapping of ``before`` covered (a mapping may grow).

    ``before`` is sorted and its mappings do not overlap (as /proc/self/maps lists them).
    """
    start, end = region
    i = bisect.bisect_right(before, (end,))  # mappings starting at or after ``end`` are past
    covering = []
    while i > 0 and before[i - 1][1] > start:
        i -= 1
        covering.append(before[i])
    parts, at = [], start
    for b0, b1 in reversed(covering):
        if b0 > at:
            parts.append((at, b0))
        at = max(at, b1)
    if at < end:
        parts.append((at, end))
    return parts


def _huge_ranges(start: int, end: int) -> range:
    """Start addresses of the aligned 2 MB ranges inside [start, end)."""
    lo = (start + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1)
    return range(lo, end & ~(HUGE_PAGE - 1), HUGE_PAGE)


def collapse_new(before: list[tuple[int, int]] | None) -> CollapseResult:
    """Mark and collapse the fully resident aligned 2 MB ranges of anonymous memory that no
    mapping of ``before`` (a ``snapshot``) covered.

    Returns how much was found and how much the kernel collapsed; never raises.
    """
    if before is None:  # without a "before", every mapping would look new
        return CollapseResult()
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        madvise, mincore = libc.madvise, libc.mincore
        regions = [p for r in _anonymous_regions() for p in _subtract(r, before)]
    except (OSError, AttributeError):
        return CollapseResult()
    madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    mincore.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p]
    madvise.restype = mincore.restype = ctypes.c_int
    pages = HUGE_PAGE // mmap.PAGESIZE
    vec = (ctypes.c_ubyte * pages)()
    resident = collapsed = 0
    for start, end in regions:
        for lo in _huge_ranges(start, end):
            # (a range unmapped since the maps were read fails here and is skipped)
            if mincore(lo, HUGE_PAGE, vec) != 0 or not all(b & 1 for b in vec):
                continue
            resident += HUGE_PAGE
            if madvise(lo, HUGE_PAGE, _MADV_HUGEPAGE) != 0:
                return CollapseResult(resident, collapsed)  # THP off or compiled out
            if madvise(lo, HUGE_PAGE, _MADV_COLLAPSE) == 0:
                collapsed += HUGE_PAGE
    log.debug("huge pages: %d MB fully resident, %d MB collapsed", resident >> 20, collapsed >> 20)
    return CollapseResult(resident, collapsed)
