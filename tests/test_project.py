"""The project index: what it reads, what it resolves, what it retrieves, and that it follows
changes, on a temporary project and through a real jupyter server with the tiny model."""

from __future__ import annotations

import asyncio
import json
import os
import time
from pathlib import Path

import pytest
import test_server
from conftest import until_done
from test_server import complete

from jupyter_spark.engine.config import estimate_tokens
from jupyter_spark.project import ProjectConfig, ProjectIndex
from jupyter_spark.project.prompt import ProjectBlocks
from jupyter_spark.project.watch import Watcher

GEO = '''"""Geo helpers."""
import math

EARTH_RADIUS_KM = 6371.0
DEFAULT_BBOX_WGS84 = (4.7, 52.2, 5.1, 52.5)
ZONES = {"north_sea": 1, "baltic": 2}


def haversine_km(lat1, lon1, lat2, lon2, *, radius=EARTH_RADIUS_KM):
    """Great-circle distance in kilometres."""
    return 0.0


class TripSegment:
    """One leg of a trip."""

    def __init__(self, start, end, duration_s=0):
        self.start = start
        self.end = end
        self.duration_s = duration_s

    def speed_kmh(self, *, moving_only=True):
        return 1.0
'''

MODELS = """from dataclasses import dataclass


@dataclass
class TrainerSettings:
    learning_rate: float = 3e-4
    grad_clip_norm: float = 1.0
    warmup_ratio: float = 0.05


class FancyTrainer(TrainerSettings):
    def fit(self, loader, *, epochs_max=3):
        self.history_loss = []
"""


def notebook_json(*sources: str) -> str:
    cells = [{"cell_type": "code", "source": s, "metadata": {}, "outputs": []} for s in sources]
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


def write(root: Path, rel: str, text: str | bytes) -> Path:
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        p.write_bytes(text)
    else:
        p.write_text(text)
    return p


def make_project(root: Path) -> Path:
    write(root, "geo_utils.py", GEO)
    write(root, "models.py", MODELS)
    write(root, "settings.py", "RAW_DATA_DIR = 'data/raw'\nMAX_ROWS_PER_BATCH = 5000\n")
    write(root, "shop/__init__.py", "")
    write(
        root,
        "shop/pricing/__init__.py",
        "from .discounts import apply_discount\n__all__ = ['apply_discount', 'VAT_NL']\n"
        "VAT_NL = 0.21\n",
    )
    write(
        root,
        "shop/pricing/discounts.py",
        "def apply_discount(price, pct, *, floor_eur=0.0):\n    return price\n",
    )
    write(root, "shop/inventory.py", "def restock_level(sku, lead_time_days): ...\n")
    write(root, "analysis/helpers_local.py", "def summarise_cohort(frame, cohort_col): ...\n")
    write(root, "src/pipeline_core/__init__.py", "def run_stage(stage_name, dry_run=False): ...\n")
    write(
        root,
        "lab/clean.ipynb",
        notebook_json("def normalise_sku_codes(df, column='sku'):\n    return df\n"),
    )
    return root


@pytest.fixture
def project(tmp_path) -> ProjectIndex:
    index = ProjectIndex(make_project(tmp_path / "proj"))
    index.build()
    return index


# -- what it reads ---------------------------------------------------------------------------


def test_symbols_of_functions_classes_constants_and_packages(project):
    geo = project.module("geo_utils")
    assert geo is not None and geo.path == "geo_utils.py"
    hav = geo.get("haversine_km")
    assert hav.kind == "function" and hav.members.params == (
        "lat1",
        "lon1",
        "lat2",
        "lon2",
        "radius",
    )
    assert (
        hav.signature.startswith("(lat1, lon1")
        and hav.doc == "Great-circle distance in kilometres."
    )
    seg = geo.get("TripSegment")
    assert seg.members.params == ("start", "end", "duration_s")
    assert {"start", "end", "duration_s", "speed_kmh"} <= set(seg.members.attrs)
    assert seg.members.items["speed_kmh"].params == ("moving_only",)
    assert geo.get("ZONES").members.keys == ("north_sea", "baltic")
    assert geo.get("DEFAULT_BBOX_WGS84").kind == "constant"

    models = project.module("models")
    assert models.get("TrainerSettings").members.params == (
        "learning_rate",
        "grad_clip_norm",
        "warmup_ratio",
    )
    fancy = models.get("FancyTrainer").members  # inherits its base's fields
    assert {"grad_clip_norm", "fit", "history_loss"} <= set(fancy.attrs)

    pricing = project.module("shop.pricing")
    assert pricing.public() == ("apply_discount", "VAT_NL")  # __all__
    assert pricing.submodules == ("discounts",)
    # re-exported from a submodule: its real signature
    assert pricing.get("apply_discount").members.params == ("price", "pct", "floor_eur")
    assert project.module("shop").submodules == ("inventory", "pricing")


def test_imports_resolve_as_the_kernel_would(project):
    # the notebook's folder first, then the root, then src/
    assert project.module("helpers_local", near="analysis").path == "analysis/helpers_local.py"
    assert project.module("helpers_local") is None  # not importable from the root
    assert project.module("pipeline_core").path == "src/pipeline_core/__init__.py"
    assert project.module(".helpers_local", near="analysis") is not None
    assert "shop.pricing.discounts" in project.modules()
    assert "helpers_local" in project.modules("analysis")
    assert "analysis.helpers_local" in project.modules()  # a namespace package from the root
    assert project.module("analysis").submodules == ("helpers_local",)


def test_what_is_not_read(tmp_path):
    root = make_project(tmp_path / "proj")
    outside = write(tmp_path, "outside/secret_mod.py", "def leaked_secret(): ...\n")
    os.symlink(outside, root / "linked_secret.py")
    os.symlink(outside.parent, root / "linked_dir")
    write(root, ".hidden/hidden_mod.py", "def hidden_fn(): ...\n")
    write(root, ".venv/lib/venv_mod.py", "def venv_fn(): ...\n")
    write(root, "env2/pyvenv.cfg", "home = /usr\n")
    write(root, "env2/envmod.py", "def env_fn(): ...\n")
    write(root, "node_modules/x/y.py", "def node_fn(): ...\n")
    write(root, "build/gen.py", "def build_fn(): ...\n")
    write(root, ".gitignore", "ignored_dir/\n*_generated.py\n")
    write(root, "ignored_dir/kept_out.py", "def ignored_fn(): ...\n")
    write(root, "table_generated.py", "def generated_fn(): ...\n")
    write(root, "bad_syntax.py", "def fine_before(a):\n    return a\n\ndef broken(:\n    pass\n")
    write(root, "blob.py", b"\x00\x01\x02" * 1000)
    write(root, "latin1.py", "x = 'caf\xe9'\n".encode("latin-1"))
    with open(root / "huge.py", "wb") as f:  # 50 MB, sparse
        f.truncate(50 * 1024 * 1024)
    locked = write(root, "locked.py", "def locked_fn(): ...\n")
    locked.chmod(0)
    write(root, "broken.ipynb", "{ this is not json")
    write(root, "list.ipynb", "[1, 2, 3]")

    index = ProjectIndex(root)
    index.build()
    files = set(index.stats())
    read = {p for p in files if p not in index._skipped or index._skipped[p][0] == "syntax_error"}
    for name in ("secret", "hidden", "venv", "env", "node", "build", "ignored", "generated"):
        assert not any(name in p for p in read), (name, read)
    assert index.module("linked_secret") is None and index.module("linked_dir") is None
    assert index.search(["leaked_secret"]) == ()
    status = index.status()
    notes = {n["path"]: n["reason"] for n in status["errors"]}
    assert notes["huge.py"] == "too_large"
    assert notes["blob.py"] == "binary"
    assert notes["latin1.py"] == "not_utf8"
    assert notes["locked.py"] == "unreadable"
    assert notes["broken.ipynb"] == "not_a_notebook" and notes["list.ipynb"] == "not_a_notebook"
    assert notes["bad_syntax.py"] == "syntax_error"
    # what parses before the error is kept
    assert index.module("bad_syntax").get("fine_before") is not None
    assert status["files"] == len(index._entries) and status["state"] == "ready"
    assert status["skipped"]["too_large"] == 1


def test_hidden_files_when_the_contents_manager_allows_them(tmp_path):
    root = make_project(tmp_path / "proj")
    write(root, ".tools/dot_mod.py", "def dotted_fn(): ...\n")
    index = ProjectIndex(root, allow_hidden=True, hide_globs=["geo_*"])
    index.build()
    assert index.module(".tools.dot_mod") is None  # "." is relative: a hidden package is not
    assert ".tools/dot_mod.py" in index.stats()
    assert "geo_utils.py" not in index.stats()  # hide_globs


def test_incremental_changes_without_a_rebuild(project):
    root = Path(project.root)
    before = project.version
    write(root, "geo_utils.py", GEO + "\ndef bearing_deg(lat1, lon1, lat2, lon2): ...\n")
    write(root, "fresh_mod.py", "def brand_new_helper(q): ...\n")
    t0 = time.perf_counter()
    project.apply(["geo_utils.py", "fresh_mod.py"])
    assert time.perf_counter() - t0 < 1.0
    assert project.module("geo_utils").get("bearing_deg") is not None
    assert project.module("fresh_mod").get("brand_new_helper") is not None
    assert project.version > before
    (root / "fresh_mod.py").rename(root / "renamed_mod.py")
    project.apply(["fresh_mod.py", "renamed_mod.py"])
    assert project.module("fresh_mod") is None
    assert project.module("renamed_mod").get("brand_new_helper") is not None
    (root / "renamed_mod.py").unlink()
    project.apply([str(root / "renamed_mod.py")])  # absolute paths too
    assert project.module("renamed_mod") is None
    # a folder deleted at once
    for p in (root / "shop" / "pricing").iterdir():
        p.unlink()
    (root / "shop" / "pricing").rmdir()
    project.apply(["shop/pricing"])
    assert project.module("shop.pricing") is None and project.module("shop").submodules == (
        "inventory",
    )


def test_the_request_path_reads_a_changed_import_at_once(project):
    """No watcher running: a lookup stats the file an import names (not more than every
    STAT_TTL_S) and reads a small one that changed."""
    root = Path(project.root)
    assert project.module("settings").get("NEW_FLAG") is None
    assert project.module("late_mod") is None  # both answers cached now
    write(root, "settings.py", "RAW_DATA_DIR = 'x'\nMAX_ROWS_PER_BATCH = 1\nNEW_FLAG = True\n")
    write(root, "late_mod.py", "LATE = 1\n")
    time.sleep(0.3)
    assert project.module("settings").get("NEW_FLAG") is not None
    assert project.module("late_mod").get("LATE") is not None


@pytest.mark.parametrize("polling", [False, True], ids=["inotify", "polling"])
def test_the_watcher_follows_the_disk(tmp_path, polling):
    root = make_project(tmp_path / "proj")
    index = ProjectIndex(root, ProjectConfig(poll_interval_s=0.2))
    index.start(watch=False)
    assert index.wait_ready(10)
    Watcher(index, index._stop, polling=polling).start()
    try:
        time.sleep(0.3)  # the watcher's first scan

        def eventually(check) -> None:
            deadline = time.monotonic() + 5
            while not check():
                assert time.monotonic() < deadline, index.status()
                time.sleep(0.05)

        write(root, "watched_mod.py", "def seen_by_watcher(): ...\n")
        eventually(lambda: "watched_mod.py" in index.stats())
        assert index.search(["seen_by_watcher"])[0].name == "seen_by_watcher"
        (root / "watched_mod.py").unlink()
        eventually(lambda: "watched_mod.py" not in index.stats())
        assert index.watcher == ("polling" if polling else "inotify")
    finally:
        index.close()


# -- retrieval and the prompt block ----------------------------------------------------------


def test_block_has_the_imported_module_and_is_stable(project):
    blocks = ProjectBlocks(project)
    imports = {"geo_utils": "geo_utils"}
    a = blocks.block(frozenset({"geo_utils"}), "", imports, None, None, 256, estimate_tokens)
    assert a.startswith("# geo_utils.py\n") and "def haversine_km(lat1, lon1" in a
    assert "class TripSegment" in a and "DEFAULT_BBOX_WGS84 = (4.7" in a
    assert estimate_tokens(a) <= 256 + 16
    # typing more of a word that changes nothing: the same bytes
    for typed in ("d", "di", "dis"):
        b = blocks.block(frozenset({"geo_utils"}), typed, imports, None, None, 256, estimate_tokens)
        assert b == a
    small = blocks.block(frozenset({"geo_utils"}), "", imports, None, None, 40, estimate_tokens)
    assert 0 < estimate_tokens(small) <= 40 + 8


def test_block_retrieves_by_the_word_being_typed_and_by_overlap(project):
    blocks = ProjectBlocks(project)
    typed = blocks.block(frozenset({"df"}), "normalise_s", {}, None, None, 256, estimate_tokens)
    assert "# lab/clean.ipynb\ndef normalise_sku_codes(df, column='sku'):" in typed
    # the current notebook itself is never retrieved (its cells are in the prompt already)
    same = blocks.block(
        frozenset({"df"}), "normalise_s", {}, None, "lab/clean.ipynb", 256, estimate_tokens
    )
    assert "normalise_sku_codes" not in same
    overlap = project.search(["grad_clip_norm", "warmup_ratio"])
    assert overlap[0].path == "models.py" and overlap[0].name == "TrainerSettings"
    blocks.file_sep = "<|file_sep|>"
    sep = blocks.block(frozenset({"df"}), "normalise_s", {}, None, None, 256, estimate_tokens)
    assert sep.startswith("<|file_sep|>lab/clean.ipynb\n")


def test_caps_degrade_without_failing(tmp_path):
    root = make_project(tmp_path / "proj")
    for i in range(30):
        write(root, f"gen/mod_{i}.py", f"def generated_{i}(a, b):\n    return a + b\n" * 20)
    index = ProjectIndex(root, ProjectConfig(max_files=25, max_tokens=2000))
    index.build()
    status = index.status()
    assert status["files"] == 25 and status["skipped"]["too_many"] > 0
    assert status["retrieval_dropped_files"] > 0
    assert (
        status["tokens"] > 2000
        and sum(e.file.tokens for e in index._entries.values() if e.retrievable) <= 2000
    )
    # files past the token cap still resolve
    dropped = next(p for p, e in index._entries.items() if not e.retrievable)
    name = dropped[:-3].replace("/", ".")
    assert index.module(name) is not None


# -- through a real server -------------------------------------------------------------------


# The server fixtures of test_server (the tiny model, one thread).
jp_server_config = test_server.jp_server_config
service = test_server.service


async def _wait(check, what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def _complete(ws, rid: str, prefix: str, path: str, cells: list[dict], **extra) -> dict:
    cur = {"id": "cur", "cell_type": "code", "source": prefix}
    ws.write_message(json.dumps({"type": "sync", "path": path, "cells": [*cells, cur]}))
    ws.write_message(complete(rid, prefix, path=path, cell_id="cur", max_tokens=24, **extra))
    _, done = await until_done(ws, rid)
    assert done["type"] == "done", done
    return done


async def test_project_over_the_websocket(service, jp_root_dir, jp_ws_fetch, jp_fetch):
    root = Path(jp_root_dir)
    make_project(root)
    service.project.apply([str(root)])
    await _wait(lambda: service.project.module("geo_utils") is not None, "the index")

    status = json.loads((await jp_fetch("spark", "status")).body)["project"]
    assert status["enabled"] and status["state"] == "ready" and status["files"] >= 9
    assert {"symbols", "tokens", "last_update", "skipped", "errors", "watcher"} <= set(status)

    ws = await jp_ws_fetch("spark", "ws")
    cells = [
        {
            "id": "a",
            "cell_type": "code",
            "source": "import geo_utils\nfrom models import TrainerSettings",
        }
    ]
    done = await _complete(ws, "m", "d = geo_utils.hav", "trips.ipynb", cells)
    assert done["stats"]["grounded"] == "attr" and done["text"].startswith("ersine_km"), done
    prompt = service.last_prompt.prefix
    assert "# geo_utils.py\n" in prompt and "def haversine_km(" in prompt
    assert prompt.index("def haversine_km(") < prompt.rindex("# %%")  # before the current cell

    # used before its import is written: the project module of that name
    done = await _complete(ws, "u", "d = geo_utils.hav", "other.ipynb", [])
    assert done["stats"]["grounded"] == "attr" and done["text"].startswith("ersine_km"), done
    assert "def haversine_km(" in service.last_prompt.prefix

    off = await _complete(ws, "o", "d = geo_utils.hav", "trips.ipynb", cells, project=False)
    assert off["stats"]["grounded"] == "" and "haversine_km" not in service.last_prompt.prefix

    cells2 = [*cells, {"id": "b", "cell_type": "code", "source": "cfg = TrainerSettings()"}]
    done = await _complete(ws, "c", "x = cfg.grad", "trips.ipynb", cells2)
    assert done["text"].startswith("_clip_norm"), done
    done = await _complete(ws, "k", "s = geo_utils.TripSegment(a, b, dura", "trips.ipynb", cells)
    assert done["text"].startswith("tion_s="), done
    done = await _complete(ws, "f", "from shop.pricing.disc", "trips.ipynb", [])
    assert done["text"].startswith("ounts"), done
    done = await _complete(ws, "r", "import helpers_lo", "analysis/a.ipynb", [])
    assert done["text"].startswith("cal"), done

    # created, edited, renamed and deleted on disk while the server runs
    write(root, "fresh_tools.py", "def freshly_written(alpha, beta): ...\n")
    cells3 = [{"id": "a", "cell_type": "code", "source": "import fresh_tools"}]
    await _wait(lambda: "fresh_tools.py" in service.project.stats(), "the new file")
    done = await _complete(ws, "n", "y = fresh_tools.fre", "trips.ipynb", cells3)
    assert done["text"].startswith("shly_written"), done
    write(root, "fresh_tools.py", "def renamed_function(alpha): ...\n")
    await asyncio.sleep(0.3)
    done = await _complete(ws, "e", "y = fresh_tools.ren", "trips.ipynb", cells3)
    assert done["text"].startswith("amed_function"), done
    (root / "fresh_tools.py").rename(root / "moved_tools.py")
    await _wait(lambda: "moved_tools.py" in service.project.stats(), "the rename")
    done = await _complete(ws, "mv", "y = fresh_tools.ren", "trips.ipynb", cells3)
    assert done["stats"]["grounded"] == "", done  # the module is gone
    (root / "moved_tools.py").unlink()
    await _wait(lambda: "moved_tools.py" not in service.project.stats(), "the delete")

    # saved through the contents API (as JupyterLab saves): seen at once
    body = {"type": "file", "format": "text", "content": "def saved_in_lab(x): ...\n"}
    await jp_fetch("api", "contents", "lab_saved.py", method="PUT", body=json.dumps(body))
    await _wait(lambda: "lab_saved.py" in service.project.stats(), "the save", timeout=2)
    ws.close()


# -- grounding on the index (no server) -----------------------------------------------------


def _choices(project, prefix: str, cells: tuple[str, ...] = (), suffix: str = ""):
    from jupyter_spark.grounding import Knowledge, ground

    k = Knowledge(cell_sources=cells, current=prefix + suffix, project=project)
    return ground(prefix, suffix, k)


def test_self_in_a_subclass_of_a_project_class(project):
    c = _choices(
        project,
        "class Mine(TripSegment):\n    def __init__(self, s, e):\n        self.tag_name = 1\n\n"
        "    def total(self):\n        return self.",
        ("from geo_utils import TripSegment",),
        suffix="\n\n    def later(self):\n        self.late_attr = 2\n",
    )
    assert {"tag_name", "late_attr", "total", "start", "duration_s", "speed_kmh"} <= set(c.texts)


def test_a_class_of_another_notebook_used_without_import(project):
    write(
        Path(project.root),
        "lab/audit.ipynb",
        notebook_json(
            "class LabelAudit:\n    def __init__(self, rows):\n"
            "        self.disagreement_rate = 0.0\n"
        ),
    )
    project.apply(["lab/audit.ipynb"])
    c = _choices(project, "audit = LabelAudit(rows)\nprint(audit.disag")
    assert c.texts == ("reement_rate",)
    # defined twice in the project: no guess
    write(Path(project.root), "other_audit.py", "class LabelAudit:\n    pass\n")
    project.apply(["other_audit.py"])
    assert _choices(project, "audit = LabelAudit(rows)\nprint(audit.disag") is None


def test_the_callee_and_keyword_favour_matching_names(project):
    c = _choices(project, "d = geo_utils.haversine_km(a, b, c, geo_utils.", ("import geo_utils",))
    assert c is not None and not c.prior  # nothing in the callee's words matches
    c = _choices(project, "inside = clip_to_bbox(pts, geo_utils.", ("import geo_utils",))
    favoured = {t for t, p in zip(c.texts, c.prior, strict=True) if p > 0}
    assert favoured == {"DEFAULT_BBOX_WGS84"}
    c = _choices(project, "r = route(a, radius=geo_utils.", ("import geo_utils",))
    favoured = {t for t, p in zip(c.texts, c.prior, strict=True) if p > 0}
    assert favoured == {"EARTH_RADIUS_KM"}
