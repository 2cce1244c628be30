"""The converted graph computes what a plain numpy Llama computes from the same GGUF weights."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import make_engine
from tinymodel import ReferenceLlama, TinyConfig, write_tiny_gguf

from jupyter_spark.models.convert import convert_gguf
from jupyter_spark.models.errors import InvalidModelFile, ModelNotFound, UnsupportedModel

PROMPT_IDS = [40, 41, 300, 7, 120, 121, 122, 5, 250, 260, 270, 33, 90, 91, 92, 93, 150, 151]


def _engine_logits(model_dir, ids: list[int], chunks: list[int]) -> np.ndarray:
    """Logits for every position, fed through the KV cache in the given chunk sizes."""
    eng = make_engine(model_dir, warmup=False)
    slot = eng.session.new_slot()
    out, pos = [], 0
    for n in chunks:
        out.append(eng.session.forward(slot, ids[pos : pos + n]).copy())
        pos += n
    return np.stack(out)


@pytest.mark.parametrize(
    "cfg",
    [
        TinyConfig(),  # Q4_1 + Q8_0 tied embeddings, like SmolLM2
        TinyConfig(qtype="Q4_0"),
        TinyConfig(qtype="Q8_0", tied=False),
        TinyConfig(qtype="F16", embed_qtype="F16", tied=False),
        TinyConfig(qtype="F32", embed_qtype="F32", n_kv_heads=4),
    ],
    ids=["q4_1", "q4_0", "q8_0-untied", "f16", "f32-mha"],
)
def test_logits_match_numpy_reference(cfg, tmp_path):
    gguf_path = write_tiny_gguf(tmp_path / "m.gguf", cfg, seed=3)
    out = tmp_path / "onnx"
    out.mkdir()
    info = convert_gguf(gguf_path, out)
    assert info["n_layers"] == cfg.n_layers
    ref = ReferenceLlama(gguf_path).logits(PROMPT_IDS)
    # prefill 7, then 5, then one token at a time: exercises chunked prefill over a cache
    chunks = [7, 5] + [1] * (len(PROMPT_IDS) - 12)
    got = _engine_logits(out, PROMPT_IDS, chunks)
    ends = np.cumsum(chunks) - 1
    want = ref[ends]
    scale = np.abs(want).max()
    # int8 activations (accuracy_level 4) cost ~1% relative; exact weights keep argmax
    assert np.abs(got - want).max() < 0.03 * scale
    assert (got.argmax(-1) == want.argmax(-1)).mean() >= 0.9


def test_exact_weights_at_fp32_accuracy(tmp_path):
    """accuracy_level=0 (fp32 compute) matches the reference to float rounding: no re-quant."""
    gguf_path = write_tiny_gguf(tmp_path / "m.gguf", TinyConfig(), seed=5)
    out = tmp_path / "onnx"
    out.mkdir()
    convert_gguf(gguf_path, out, accuracy_level=0)
    ref = ReferenceLlama(gguf_path).logits(PROMPT_IDS)
    got = _engine_logits(out, PROMPT_IDS, [len(PROMPT_IDS)])
    np.testing.assert_allclose(got[0], ref[-1], rtol=0, atol=1e-3 * np.abs(ref).max())


def test_outputs_and_metadata(tiny_model_dir):
    meta = json.loads((tiny_model_dir / "spark_model.json").read_text())
    assert meta["kv_layout"] == "shared"
    assert meta["quantization"] == {"F32": 5, "Q4_1": 14, "Q8_0": 1}
    assert meta["special_tokens"]["eos"] == 0
    assert (tiny_model_dir / "tokenizer.json").is_file()


def test_missing_file(tmp_path):
    with pytest.raises(ModelNotFound, match=r"nope\.gguf"):
        convert_gguf(tmp_path / "nope.gguf", tmp_path)


def test_not_gguf(tmp_path):
    p = tmp_path / "notes.gguf"
    p.write_text("hello, I am text")
    with pytest.raises(InvalidModelFile, match="not a GGUF file"):
        convert_gguf(p, tmp_path)


def test_truncated(tiny_gguf, tmp_path):
    p = tmp_path / "cut.gguf"
    p.write_bytes(tiny_gguf.read_bytes()[:5000])
    with pytest.raises(InvalidModelFile, match=r"cut\.gguf"):
        convert_gguf(p, tmp_path)


def test_unsupported_architecture(tmp_path):
    p = write_tiny_gguf(tmp_path / "gpt.gguf", TinyConfig(arch="gpt2"))
    with pytest.raises(UnsupportedModel, match="architecture 'gpt2'"):
        convert_gguf(p, tmp_path)


def test_unsupported_tensor_type(tmp_path):
    p = write_tiny_gguf(tmp_path / "q8_1.gguf", TinyConfig(qtype="Q8_1"))
    with pytest.raises(UnsupportedModel, match="Q8_1"):
        convert_gguf(p, tmp_path)
