"""Huge pages after a model load: only new, fully resident memory is collapsed."""

from __future__ import annotations

import ctypes
import mmap
import sys
from pathlib import Path

import numpy as np
import pytest

from jupyter_spark.engine import hugepages
from jupyter_spark.engine.config import EngineConfig
from jupyter_spark.engine.session import DecoderSession

THP = Path("/sys/kernel/mm/transparent_hugepage/enabled")
needs_thp = pytest.mark.skipif(
    not sys.platform.startswith("linux") or not THP.exists() or "[never]" in THP.read_text(),
    reason="transparent huge pages are not available here",
)


def _mapping(size: int, filled: int) -> tuple[mmap.mmap, int]:
    """A fresh anonymous mapping whose first ``filled`` bytes are written (resident)."""
    m = mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    m[:filled] = b"\x01" * filled
    return m, ctypes.addressof(ctypes.c_char.from_buffer(m))


def _resident_pages(addr: int, size: int) -> int:
    """How many of the pages in [addr, addr + size) are in memory (mincore)."""
    libc = ctypes.CDLL(None)
    vec = (ctypes.c_ubyte * (size // mmap.PAGESIZE))()
    assert libc.mincore(ctypes.c_void_p(addr), ctypes.c_size_t(size), vec) == 0
    return sum(b & 1 for b in vec)


def _smaps(addr: int) -> dict[str, list[str]]:
    """The smaps fields of the mapping holding ``addr``."""
    fields: dict[str, list[str]] = {}
    inside = False
    for line in Path("/proc/self/smaps").read_text().splitlines():
        head = line.split()[0]
        if "-" in head and not head.endswith(":"):
            if inside:
                break
            lo, hi = (int(x, 16) for x in head.split("-"))
            inside = lo <= addr < hi
        elif inside:
            fields[head.rstrip(":")] = line.split()[1:]
    assert fields, f"no mapping holds {addr:#x}"
    return fields


@needs_thp
def test_new_fully_resident_ranges_get_huge_pages_and_nothing_else_does():
    old, old_addr = _mapping(8 << 20, 8 << 20)  # there before the snapshot: left alone
    before = hugepages.snapshot()
    full, full_addr = _mapping(8 << 20, 8 << 20)
    sparse, sparse_addr = _mapping(8 << 20, 4096)  # one page written of 2,048
    result = hugepages.collapse_new(before)
    assert result.resident >= 6 << 20  # an 8 MB mapping holds >= 3 aligned 2 MB ranges
    assert "hg" in _smaps(full_addr + (4 << 20))["VmFlags"]
    assert "hg" not in _smaps(old_addr + (4 << 20))["VmFlags"]
    # A range with pages missing is neither marked nor filled in: RSS does not grow.
    assert "hg" not in _smaps(sparse_addr)["VmFlags"]
    assert _resident_pages(sparse_addr, 8 << 20) == 1
    assert bytes(full[-4:]) == b"\x01" * 4  # contents are untouched
    if result.collapsed:  # MADV_COLLAPSE (Linux 6.1+) did it now, not khugepaged later
        assert int(_smaps(full_addr + (4 << 20))["AnonHugePages"][0]) >= 4096
    for m in (old, full, sparse):
        m.close()


def test_only_what_the_snapshot_did_not_cover_counts_as_new():
    mb = 1 << 20
    grown = (16 * mb, 24 * mb)
    assert hugepages._subtract(grown, [(16 * mb, 20 * mb)]) == [(20 * mb, 24 * mb)]
    assert hugepages._subtract(
        grown, [(2 * mb, 4 * mb), (18 * mb, 20 * mb), (30 * mb, 32 * mb)]
    ) == [
        (16 * mb, 18 * mb),
        (20 * mb, 24 * mb),
    ]
    assert hugepages._subtract(grown, [(8 * mb, 30 * mb)]) == []
    assert hugepages._subtract(grown, []) == [grown]


def test_a_missing_snapshot_marks_nothing():
    # Without a "before", every mapping would look new: nothing is done at all.
    assert hugepages.collapse_new(None) == hugepages.CollapseResult()


def test_huge_ranges_are_the_aligned_2mb_pieces_inside():
    mb = 1 << 20
    assert list(hugepages._huge_ranges(3 * mb, 9 * mb)) == [4 * mb, 6 * mb]
    assert list(hugepages._huge_ranges(4 * mb, 6 * mb)) == [4 * mb]
    assert list(hugepages._huge_ranges(5 * mb, 7 * mb)) == []


def test_a_session_computes_the_same_with_and_without_huge_pages(tiny_model_dir):
    runs = []
    for huge in (True, False):
        s = DecoderSession(tiny_model_dir / "model.onnx", EngineConfig(threads=1, huge_pages=huge))
        assert (s.huge_pages is not None) == huge or not sys.platform.startswith("linux")
        runs.append(s.forward(s.new_slot(), [1, 5, 9, 12]).copy())
    np.testing.assert_array_equal(runs[0], runs[1])


@pytest.fixture
def jp_server_config(tiny_model_dir):
    return {
        "ServerApp": {"jpserver_extensions": {"jupyter_spark": True}},
        "SparkExtension": {"model": str(tiny_model_dir), "threads": 1, "huge_pages": False},
    }


async def test_the_server_switch_reaches_the_engine(jp_serverapp):
    svc = jp_serverapp.web_app.settings["spark_service"]
    assert svc.wait_ready(60), svc.host.status
    engine = svc.host.backend
    assert engine.config.huge_pages is False
    assert engine.session.huge_pages is None  # nothing was marked
