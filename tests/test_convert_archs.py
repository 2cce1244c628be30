"""llama, Llama 3, qwen2 and starcoder2 GGUFs in every tensor type, converted and checked twice.

1. Against a numpy forward pass over gguf's own dequantization of the same file, with
   MatMulNBits in fp32 (accuracy_level 0): the converter keeps every weight, so the two agree to
   float rounding (measured <= 6e-6 of the largest logit; the bound is 1e-4).
2. Against llama.cpp on the same file (logits of a prompt and of a 64-token greedy
   continuation, then that continuation token for token). Still accuracy_level 0: our side is
   then the exact result, and the difference is llama.cpp's own arithmetic, which is known per
   weight type (see LLAMA_CPP_TOLERANCE). accuracy_level 4 would add our own int8 rounding on
   top and loosen every bound for nothing.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from llamacpp_ref import require_llama_cpp
from tinymodel import (
    ARCH_CASES,
    EMBED_CASES,
    EXACT_CASES,
    QUANT_CASES,
    WINDOW_CASES,
    ReferenceLlama,
    TinyConfig,
    llama_cpp_greedy,
    onnx_greedy,
    onnx_logits,
    write_tiny_gguf,
)

from jupyter_spark.models.convert import check_gguf, convert_gguf
from jupyter_spark.models.errors import UnsupportedModel

PROMPT = [40, 41, 300, 7, 120, 121, 122, 5, 250, 260, 270, 33, 90, 91, 92, 93, 150, 151]
STEPS = 64
# fp32 against fp32 with other summation orders (measured <= 6e-6 of the largest logit).
FP32_TOLERANCE = 1e-4

# Max |ours - llama.cpp| / max |logit| by the type of the matrices llama.cpp multiplies. Its CPU
# dot products convert the activations to the weights' partner type: fp32 for F32 weights,
# fp16 for F16 (2^-11 relative per element; measured 1e-3), bf16 for BF16 (2^-8; measured
# 7e-3), 8-bit blocks for the quantized types: Q8_0 (32 per scale; measured <= 5.0%) for
# Q4_0/Q4_1/Q5_0/Q5_1/Q8_0/IQ4_NL, Q8_K (256 per scale, coarser steps for the same block
# maximum; measured <= 18%) for the K-quants, IQ4_XS and IQ3_S. A random tiny model with sharp
# attention amplifies that rounding, so these are about 2x the measured values; a real mistake
# (RoPE layout, a missed bias, a block read in the wrong order) moves logits by their own
# size, and the fp32 cases, which share the graph code, bound the architectures at 1e-4.
LLAMA_CPP_TOLERANCE = {
    "F32": FP32_TOLERANCE,
    "F16": 5e-3,
    "BF16": 2e-2,
    "Q4_0": 0.1,
    "Q4_1": 0.1,
    "Q5_0": 0.1,
    "Q5_1": 0.1,
    "Q8_0": 0.1,
    "IQ4_NL": 0.1,
    "Q4_K": 0.35,
    "Q5_K": 0.35,
    "Q6_K": 0.35,
    "Q3_K": 0.35,
    "Q2_K": 0.35,
    "IQ4_XS": 0.35,
    "IQ3_S": 0.35,
}
# llama.cpp's GELU reads a table indexed by the fp16-rounded input (ggml_vec_gelu_f32).
GELU_TABLE_TOLERANCE = 1e-3


def _tolerance(cfg: TinyConfig) -> float:
    """The relative bound for ``cfg``: the loosest of the types llama.cpp multiplies with."""
    multiplied = {cfg.qtype, cfg.mixed_qtype or cfg.qtype}
    if cfg.tied:
        multiplied.add(cfg.embed_qtype)
    tol = max(LLAMA_CPP_TOLERANCE[t] for t in multiplied)
    return max(tol, GELU_TABLE_TOLERANCE) if cfg.arch == "starcoder2" else tol


def _convert(tmp_path, cfg: TinyConfig, accuracy_level: int = 0):
    gguf_path = write_tiny_gguf(tmp_path / "m.gguf", cfg, seed=3)
    out = tmp_path / "onnx"
    out.mkdir()
    convert_gguf(gguf_path, out, accuracy_level=accuracy_level)
    return gguf_path, out


NUMPY_CASES = {**EXACT_CASES, **WINDOW_CASES}


@pytest.mark.parametrize("case", list(NUMPY_CASES))
def test_matches_numpy_reference(case, tmp_path):
    gguf_path, out = _convert(tmp_path, NUMPY_CASES[case])
    want = ReferenceLlama(gguf_path).logits(PROMPT)
    got = onnx_logits(out, PROMPT)
    assert np.abs(got - want).max() < FP32_TOLERANCE * np.abs(want).max()


# The product's accuracy_level 4 rounds activations to int8 per block, like llama.cpp's Q8_0
# (measured 2-3% of the largest logit on most of these models, as in test_convert; 9.6% on
# llama-q5_k, whose sharp random attention amplifies rounding the most, as with llama.cpp).
INT8_TOLERANCE = 0.15


@pytest.mark.parametrize("case", list(QUANT_CASES))
def test_int8_activations_stay_close(case, tmp_path):
    """Every weight form (4/8 bits, blocks of 16/32, zero points, minimums) at accuracy_level 4."""
    gguf_path, out = _convert(tmp_path, QUANT_CASES[case], accuracy_level=4)
    want = ReferenceLlama(gguf_path).logits(PROMPT)
    got = onnx_logits(out, PROMPT)
    assert np.abs(got - want).max() < INT8_TOLERANCE * np.abs(want).max()
    assert (got.argmax(-1) == want.argmax(-1)).mean() >= 0.9


@pytest.mark.parametrize("case", list(EXACT_CASES))
def test_matches_llama_cpp(case, tmp_path):
    require_llama_cpp()
    cfg = EXACT_CASES[case]
    gguf_path, out = _convert(tmp_path, cfg)
    tokens, want = llama_cpp_greedy(gguf_path, PROMPT, STEPS)
    seq = PROMPT + tokens
    got = onnx_logits(out, seq[:-1])  # teacher-forced on llama.cpp's continuation
    bound = _tolerance(cfg) * np.abs(want).max()
    assert got.shape == want.shape
    assert np.abs(got - want).max() < bound
    # Each greedy token llama.cpp chose is ours too, unless our two best logits are closer
    # than the rounding bound: a tie its arithmetic may break the other way.
    ours = got[len(PROMPT) - 1 :]
    chosen = ours[np.arange(STEPS), tokens]
    assert np.all((ours.argmax(-1) == tokens) | (ours.max(-1) - chosen < 2 * bound))
    if cfg in ARCH_CASES.values() or cfg in EMBED_CASES.values():
        # fp32 on both sides: the free-running continuations are the same, token for token
        assert onnx_greedy(out, PROMPT, STEPS) == tokens


def test_mixed_types_fuse_into_one_matmul(tmp_path):
    """A Q4_K_M layer's Q4_K q/k and Q6_K v become one 8-bit, block-16 MatMulNBits (exact)."""
    import onnx

    _, out = _convert(tmp_path, QUANT_CASES["llama-q4_k_m"])
    graph = onnx.load(str(out / "model.onnx"), load_external_data=False).graph
    nbits = [n for n in graph.node if n.op_type == "MatMulNBits"]
    attrs = {a.name: a.i for a in nbits[0].attribute}
    assert (attrs["bits"], attrs["block_size"]) == (8, 16)
    assert "blk.0.qkv.w" not in {i.name for i in graph.initializer}  # not a dense fallback


def test_biases_add_no_ops(tmp_path):
    """qwen2's q/k/v biases ride in MatMulNBits' bias input: a layer has as many ops as Llama's."""
    import onnx

    counts = []
    for arch in ("llama", "qwen2"):
        d = tmp_path / arch
        d.mkdir()
        _, out = _convert(d, TinyConfig(arch=arch, qtype="Q8_0"))
        counts.append(len(onnx.load(str(out / "model.onnx")).graph.node))
    assert counts[0] == counts[1]


def test_dequantized_types_are_recorded(tmp_path):
    gguf_path, out = _convert(tmp_path, QUANT_CASES["llama-iq3_s-as-f32"])
    meta = json.loads((out / "spark_model.json").read_text())
    assert meta["dequantized_to_f32"] == {"IQ3_S": 15}
    want = ReferenceLlama(gguf_path).logits(PROMPT)
    assert np.abs(onnx_logits(out, PROMPT) - want).max() < FP32_TOLERANCE * np.abs(want).max()


def test_check_gguf_refuses_before_work(tmp_path):
    ok = write_tiny_gguf(tmp_path / "ok.gguf", QUANT_CASES["llama-q4_k_m"])
    check_gguf(ok)  # no error
    arch = write_tiny_gguf(tmp_path / "phi.gguf", TinyConfig(arch="phi3"))
    with pytest.raises(UnsupportedModel, match="architecture 'phi3'"):
        check_gguf(arch)
    qtype = write_tiny_gguf(tmp_path / "q8_1.gguf", TinyConfig(qtype="Q8_1"))
    with pytest.raises(UnsupportedModel, match=r"tensor types \['Q8_1'\]"):
        check_gguf(qtype)
