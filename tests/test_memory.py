"""Bounded memory: a long-running server that sees 1,000 distinct notebooks over spark/ws keeps
its synced copies within ``SparkExtension.max_notebook_bytes`` (least recently used dropped
first), a dropped notebook is simply unknown (its changes get ``unknown_notebook``), and
closing a connection drops the notebooks only it used."""

from __future__ import annotations

import asyncio
import gc
import json
import tracemalloc

import pytest
import test_server
from conftest import recv, until_done

from jupyter_spark.context import analysis
from jupyter_spark.context.notebook import (
    ANALYSES,
    ANALYSIS_MEMO_CHARS,
    AnalysisMemo,
    Cell,
    cell_bytes,
)
from jupyter_spark.grounding import cells as grounding_cells

CAP = 24_000  # bytes of cell text: about a hundred of the notebooks below
service = test_server.service


@pytest.fixture
def jp_server_config(tiny_model_dir):
    """test_server's configuration, with a small cap."""
    return {
        "ServerApp": {"jpserver_extensions": {"jupyter_spark": True}},
        "SparkExtension": {"model": str(tiny_model_dir), "max_context": 256, "threads": 1,
                           "max_notebook_bytes": CAP},
    }  # fmt: skip


def notebook(i: int) -> list[dict]:
    """Notebook ``i``: a few cells, ~240 bytes, distinct text."""
    return [
        {"id": "imports", "cell_type": "code", "source": f"import os\nimport json  # nb {i}\n"},
        {"id": "md", "cell_type": "markdown", "source": f"# Notebook {i}\n\nSome notes. " * 3},
        {
            "id": "load",
            "cell_type": "code",
            "source": f"def load_{i}(path):\n    with open(path) as f:\n        return f.read()\n",
        },
        {"id": "use", "cell_type": "code", "source": f"data_{i} = load_{i}('data_{i}.txt')\n"},
    ]


class Watch:
    """Records the store's byte count after every change, and checks it is honest (the sum
    of the cells it holds)."""

    def __init__(self, store) -> None:
        self.store, self.peak, self.changes = store, 0, 0
        for name in ("replace", "apply_changes"):
            setattr(store, name, self._wrap(getattr(store, name)))

    def _wrap(self, fn):
        def wrapped(*args, **kwargs):
            try:
                return fn(*args, **kwargs)
            finally:
                self.changes += 1
                self.peak = max(self.peak, self.store.bytes)

        return wrapped

    def actual_bytes(self) -> int:
        return sum(
            cell_bytes(c) for nb in self.store._notebooks.values() for c in nb.cells
        )  # the cells really held


async def _settle(ws) -> None:
    """Every frame sent before is applied (a frame's reply comes after those before it)."""
    ws.write_message(json.dumps({"type": "nonsense", "id": "settle"}))
    while (await recv(ws)).get("id") != "settle":
        pass


def _memory_besides_memos() -> int:
    """Traced memory now, without the memos of analyses (bounded on their own, checked apart)."""
    ANALYSES.clear()
    analysis.analyze.cache_clear()
    grounding_cells.cell_facts.cache_clear()
    gc.collect()
    return tracemalloc.get_traced_memory()[0]


async def _wait_for(cond, timeout: float = 10.0) -> None:
    for _ in range(int(timeout / 0.05)):
        if cond():
            return
        await asyncio.sleep(0.05)
    assert cond()


async def test_a_thousand_notebooks_stay_within_the_cap(service, jp_ws_fetch):
    store = service.notebooks
    assert store.max_bytes == CAP
    watch = Watch(store)
    ws = await jp_ws_fetch("spark", "ws")
    tracemalloc.start()
    try:
        for i in range(1000):
            path = f"work/nb{i:04d}.ipynb"
            ws.write_message(json.dumps({"type": "sync", "path": path, "cells": notebook(i)}))
            if i % 10 == 0:  # now and then the user types in it: a completion there
                change = {"id": "use", "source": f"data_{i} = load_"}
                ws.write_message(json.dumps({"type": "sync", "path": path, "changes": [change]}))
                req = {"type": "complete", "id": f"r{i}", "prefix": f"data_{i} = load_",
                       "path": path, "cell_id": "use", "max_tokens": 1}  # fmt: skip
                ws.write_message(json.dumps(req))
                _, done = await until_done(ws, f"r{i}")
                assert done["type"] == "done", done
            if i == 199:
                await _settle(ws)
                assert ANALYSES.chars <= ANALYSIS_MEMO_CHARS
                early = _memory_besides_memos()
        await _settle(ws)
        late = _memory_besides_memos()
    finally:
        tracemalloc.stop()

    assert watch.changes == 1100
    assert 0 < watch.peak <= CAP, watch.peak
    assert store.bytes == watch.actual_bytes() <= CAP
    kept = list(store._notebooks)
    size = max(sum(cell_bytes(Cell(c["id"], c["cell_type"], c["source"])) for c in notebook(i))
               for i in range(1000))  # fmt: skip
    assert store.bytes > CAP - 2 * size  # only what had to go was dropped: the oldest
    assert kept == [f"work/nb{i:04d}.ipynb" for i in range(1000 - len(kept), 1000)]
    # Past the first few hundred notebooks, memory no longer grows with each one seen (the
    # store's copies are capped; what a notebook leaves behind elsewhere must be bounded too).
    assert late - early < 150_000, (early, late)  # measured: ~90 KB, the builder filling its caches

    # an evicted notebook is unknown: its changes are refused, the client resends it whole
    old = "work/nb0000.ipynb"
    assert store.get(old) is None
    change = {"type": "sync", "path": old, "changes": [{"id": "use", "source": "x"}]}
    ws.write_message(json.dumps(change))
    err = await recv(ws)
    assert err["type"] == "error" and err["code"] == "unknown_notebook", err
    # ... and a request naming it is still served (without its cells)
    ws.write_message(json.dumps({"type": "complete", "id": "old", "prefix": "x = ",
                                 "path": old, "max_tokens": 1}))  # fmt: skip
    _, done = await until_done(ws, "old")
    assert done["type"] == "done"
    ws.write_message(json.dumps({"type": "sync", "path": old, "cells": notebook(0)}))
    await _settle(ws)
    assert store.get(old) is not None and store.bytes <= CAP

    ws.close()  # the last connection that used them: all dropped
    await _wait_for(lambda: len(store) == 0)
    assert store.bytes == 0 and not store._users and not store._held


async def test_closing_a_connection_drops_only_its_notebooks(service, jp_ws_fetch):
    store = service.notebooks
    a = await jp_ws_fetch("spark", "ws")
    b = await jp_ws_fetch("spark", "ws")
    for i in range(5):
        a.write_message(json.dumps({"type": "sync", "path": f"a{i}.ipynb", "cells": notebook(i)}))
    b.write_message(json.dumps({"type": "sync", "path": "shared.ipynb", "cells": notebook(9)}))
    b.write_message(json.dumps({"type": "sync", "path": "b.ipynb", "cells": notebook(8)}))
    await _settle(b)
    a.write_message(json.dumps({"type": "sync", "path": "shared.ipynb", "cells": notebook(9)}))
    await _settle(a)
    assert set(store._notebooks) == {*(f"a{i}.ipynb" for i in range(5)), "shared.ipynb", "b.ipynb"}
    a.close()
    await _wait_for(lambda: len(store) == 2)
    assert set(store._notebooks) == {"shared.ipynb", "b.ipynb"}  # b still uses shared.ipynb
    b.write_message(json.dumps({"type": "sync", "path": "shared.ipynb",
                                "changes": [{"id": "use", "source": "y = 2"}]}))  # fmt: skip
    await _settle(b)  # no error: still known
    b.close()
    await _wait_for(lambda: len(store) == 0)
    assert store.bytes == 0


def test_the_analysis_memo_is_bounded_in_bytes():
    """Cells' analyses are memoized for every notebook, within characters of source, not only
    a count: 4,096 megabyte cells must not stay in memory whatever the store's cap."""
    memo = AnalysisMemo(max_chars=4_000_000, max_entries=100)
    for i in range(40):
        info = memo.analyze("code", f"v{i} = {i}\n" + "x = 1\n" * 40_000)  # 240 KB each
        assert f"v{i}" in info.defines
        assert memo.chars <= 4_000_000
    assert 10 <= len(memo) <= 16
    big = "y = 2\n" * 200_000  # over a quarter of the memo: analysed, not kept
    assert "y" in memo.analyze("code", big).defines and ("code", big) not in memo._memo
    for i in range(200):
        memo.analyze("code", f"z{i} = 1")
    assert len(memo) == 100  # the count bound too
    again = memo.analyze("code", "z199 = 1")
    assert again is memo.analyze("code", "z199 = 1")  # a hit is the same analysis
