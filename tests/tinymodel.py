"""A tiny Llama-shaped GGUF model that the tests build themselves, and a numpy reference for it.

Besides Llama it writes qwen2 (q/k/v biases, NEOX RoPE) and starcoder2 (LayerNorm with bias,
GELU MLP, biases everywhere, NEOX RoPE), Llama 3's rope_freqs tensor, and K-quant weights: gguf
cannot quantize those, so their blocks are random bytes with the fp16 scales written explicitly.

The weights are random, so the model says nothing sensible; what matters is that the converted
ONNX graph computes exactly what a plain numpy forward pass over the same (dequantized) GGUF
weights computes, with the llama.cpp conventions: RMSNorm, interleaved RoPE (GGUF stores Q/K
rows permuted for it), grouped-query attention, SwiGLU, tied or separate output head.

The vocabulary is a real byte-level BPE trained here on a little Python, with SmolLM2-style
special tokens in front, so tokenizer round-trips and token healing are exercised too.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import gguf
import numpy as np

from jupyter_spark.models.convert.config import EXACT_TENSOR_TYPES
from jupyter_spark.models.tokenizer_bytes import BYTE_ENCODER

SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<jupyter_code>"]

# A little code to train the tiny BPE on: enough merges that words become single tokens.
_CORPUS = """
import numpy as np
import pandas as pd
def forward(self, x):
    return self.linear(x)
for i in range(10):
    print(i)
df = pd.DataFrame({"a": [1, 2, 3]})
x = np.zeros((3, 4))
if x is None:
    return None
class Model:
    def __init__(self, name):
        self.name = name
result = [value for value in values if value]
with open(path) as f:
    data = f.read()
"""

_PRETOKENIZE = re.compile(
    r"""'s|'t|'re|'ve|'m|'ll|'d| ?[A-Za-z]+| ?[0-9]| ?[^\sA-Za-z0-9]+|\s+(?!\S)|\s+"""
)


@lru_cache(maxsize=1)
def tiny_vocab(n_merges: int = 150) -> tuple[list[str], list[int], list[str]]:
    """(tokens, token_types, merges): special tokens, the 256 byte symbols, then merged pairs."""
    b2u = BYTE_ENCODER
    words = Counter(tuple(b2u[b] for b in w.encode()) for w in _PRETOKENIZE.findall(_CORPUS))
    merges: list[str] = []
    merged_tokens: list[str] = []
    for _ in range(n_merges):
        pairs: Counter[tuple[str, str]] = Counter()
        for w, c in words.items():
            for a, b in itertools.pairwise(w):
                pairs[(a, b)] += c
        if not pairs:
            break
        (a, b), _count = max(pairs.items(), key=lambda kv: (kv[1], kv[0]))
        merges.append(f"{a} {b}")
        merged_tokens.append(a + b)
        new_words: Counter[tuple[str, ...]] = Counter()
        for w, c in words.items():
            out: list[str] = []
            i = 0
            while i < len(w):
                if i + 1 < len(w) and w[i] == a and w[i + 1] == b:
                    out.append(a + b)
                    i += 2
                else:
                    out.append(w[i])
                    i += 1
            new_words[tuple(out)] += c
        words = new_words
    byte_tokens = [b2u[b] for b in range(256)]
    tokens = SPECIAL_TOKENS + byte_tokens + merged_tokens
    types = [3] * len(SPECIAL_TOKENS) + [1] * (len(byte_tokens) + len(merged_tokens))
    return tokens, types, merges


@dataclass(frozen=True)
class TinyConfig:
    """Sizes of the tiny model; head_dim 16 keeps every quantized row a whole number of blocks."""

    n_layers: int = 2
    hidden: int = 64
    n_heads: int = 4
    n_kv_heads: int = 2
    ff: int = 128
    context: int = 256
    rope_base: float = 10000.0
    eps: float = 1e-5
    qtype: str = "Q4_1"  # type of the 2-D weight matrices
    embed_qtype: str = "Q8_0"
    tied: bool = True
    arch: str = "llama"
    rope_freqs: bool = False  # Llama 3.x: write a rope_freqs.weight tensor
    norm_qtype: str = "F32"  # type of the 1-D norm weights and biases
    pre: str = ""  # tokenizer.ggml.pre; "" = smollm for llama, else the arch's own
    mixed_qtype: str = ""  # type of attn_v and ffn_down if not qtype (Q4_K_M gives them Q6_K)
    sliding_window: int = 0  # <arch>.attention.sliding_window, if not 0
    rope_linear: float = 0.0  # linear RoPE scaling factor, if not 0

    @property
    def biases(self) -> tuple[str, ...]:
        """Linear layers with a bias in this architecture (llama.cpp's loader looks for them)."""
        if self.arch == "qwen2":
            return ("attn_q", "attn_k", "attn_v")
        if self.arch == "starcoder2":
            return ("attn_q", "attn_k", "attn_v", "attn_output", "ffn_up", "ffn_down")
        return ()

    @property
    def head_dim(self) -> int:
        return self.hidden // self.n_heads


def _weights(cfg: TinyConfig, vocab: int, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)

    # Scales tuned at hidden 64; wider models get them shrunk by sqrt(64 / hidden) so each
    # matmul keeps its gain and the random network stays as (in)sensitive to rounding.
    width = np.sqrt(64 / cfg.hidden)

    def mat(rows: int, cols: int, scale: float = 0.08) -> np.ndarray:
        return (rng.standard_normal((rows, cols)) * scale * width).astype(np.float32)

    def norm(n: int) -> np.ndarray:
        return (1.0 + 0.1 * rng.standard_normal(n)).astype(np.float32)

    def bias(n: int) -> np.ndarray:
        return (0.1 * rng.standard_normal(n)).astype(np.float32)

    hd, h = cfg.head_dim, cfg.hidden
    layer_norm = cfg.arch == "starcoder2"
    w: dict[str, np.ndarray] = {"token_embd.weight": mat(vocab, h, 0.5)}
    for i in range(cfg.n_layers):
        p = f"blk.{i}."
        w[p + "attn_norm.weight"] = norm(h)
        w[p + "attn_q.weight"] = mat(cfg.n_heads * hd, h, 0.3)
        w[p + "attn_k.weight"] = mat(cfg.n_kv_heads * hd, h, 0.3)
        w[p + "attn_v.weight"] = mat(cfg.n_kv_heads * hd, h)
        w[p + "attn_output.weight"] = mat(h, cfg.n_heads * hd)
        w[p + "ffn_norm.weight"] = norm(h)
        if not layer_norm:
            w[p + "ffn_gate.weight"] = mat(cfg.ff, h)
        w[p + "ffn_up.weight"] = mat(cfg.ff, h)
        w[p + "ffn_down.weight"] = mat(h, cfg.ff)
        for name in cfg.biases:
            w[f"{p}{name}.bias"] = bias(w[f"{p}{name}.weight"].shape[0])
        if layer_norm:
            w[p + "attn_norm.bias"] = bias(h)
            w[p + "ffn_norm.bias"] = bias(h)
    w["output_norm.weight"] = norm(h)
    if layer_norm:
        w["output_norm.bias"] = bias(h)
    if not cfg.tied:
        w["output.weight"] = mat(vocab, h, 0.5)
    if cfg.rope_freqs:  # like Llama 3.1's: 1 for high frequencies, up to 8 for low ones
        w["rope_freqs.weight"] = np.geomspace(1.0, 8.0, hd // 2).astype(np.float32)
    return w


# GGUF layouts the tests write as random blocks: weights and bytes per block, offset of the
# fp16 d (and of dmin, or None), and dmin / d making the weights' mean about zero.
_RANDOM_BLOCK_TYPES = {
    "Q2_K": (256, 84, 80, 82, 1.5),
    "Q3_K": (256, 110, 108, None, 0.0),
    "Q4_K": (256, 144, 0, 2, 7.5),
    "Q5_K": (256, 176, 0, 2, 15.5),
    "Q6_K": (256, 210, 208, None, 0.0),
    "IQ4_NL": (32, 18, 0, None, 0.0),
    "IQ4_XS": (256, 136, 0, None, 0.0),
    "IQ3_S": (256, 110, 0, None, 0.0),  # no exact mapping: the converter dequantizes it
}
# The tokenizer.ggml.pre llama.cpp expects for each architecture's real models.
PRE_TOKENIZER = {"llama": "smollm", "qwen2": "qwen2", "starcoder2": "starcoder"}


def random_quant_blocks(
    qtype: str, rows: int, cols: int, rng: np.random.Generator, std: float
) -> np.ndarray:
    """(rows, bytes) random but valid blocks of ``qtype``, scaled to weights of about ``std``.

    Any byte pattern is a valid K-quant block except for its fp16 scales, which are written
    here: first as 1 (and the min ratio) to measure the weights' spread, then rescaled.
    """
    per, size, d_off, dmin_off, ratio = _RANDOM_BLOCK_TYPES[qtype]
    qt = gguf.GGMLQuantizationType[qtype]
    blocks = rng.integers(0, 256, (rows, cols // per, size), dtype=np.uint8)

    def set_scales(d: float) -> None:
        blocks[..., d_off : d_off + 2] = np.float16(d).reshape(1).view(np.uint8)
        if dmin_off is not None:
            blocks[..., dmin_off : dmin_off + 2] = np.float16(d * ratio).reshape(1).view(np.uint8)

    set_scales(1.0)
    spread = float(gguf.quants.dequantize(blocks.reshape(rows, -1), qt).std())
    set_scales(std / spread)
    return blocks.reshape(rows, -1)


def write_tiny_gguf(path: Path, cfg: TinyConfig = TinyConfig(), seed: int = 0) -> Path:
    """Write a tiny random Llama GGUF at ``path`` (quantized as ``cfg`` says) and return it."""
    tokens, types, merges = tiny_vocab()
    writer = gguf.GGUFWriter(str(path), cfg.arch)
    writer.add_name("tiny-test-llama")
    writer.add_block_count(cfg.n_layers)
    writer.add_context_length(cfg.context)
    writer.add_embedding_length(cfg.hidden)
    writer.add_feed_forward_length(cfg.ff)
    writer.add_head_count(cfg.n_heads)
    writer.add_head_count_kv(cfg.n_kv_heads)
    writer.add_rope_freq_base(cfg.rope_base)
    writer.add_layer_norm_rms_eps(cfg.eps)
    if cfg.arch == "starcoder2":
        writer.add_layer_norm_eps(cfg.eps)
    writer.add_rope_dimension_count(cfg.head_dim)
    if cfg.sliding_window:
        writer.add_sliding_window(cfg.sliding_window)
    if cfg.rope_linear:
        writer.add_rope_scaling_type(gguf.RopeScalingType.LINEAR)
        writer.add_rope_scaling_factor(cfg.rope_linear)
    writer.add_vocab_size(len(tokens))
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre(cfg.pre or PRE_TOKENIZER.get(cfg.arch, "smollm"))
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    writer.add_token_merges(merges)
    writer.add_bos_token_id(1)
    writer.add_eos_token_id(0)
    writer.add_add_bos_token(False)
    rng = np.random.default_rng(seed + 1000)
    for name, arr in _weights(cfg, len(tokens), seed).items():
        qname = cfg.embed_qtype if name == "token_embd.weight" else cfg.qtype
        if cfg.mixed_qtype and name.endswith(("attn_v.weight", "ffn_down.weight")):
            qname = cfg.mixed_qtype
        if arr.ndim == 1:
            qname = "F32" if name == "rope_freqs.weight" else cfg.norm_qtype
        if qname == "F32":
            writer.add_tensor(name, arr)
        elif qname == "F16":
            writer.add_tensor(name, arr.astype(np.float16))
        elif qname in _RANDOM_BLOCK_TYPES:
            blocks = random_quant_blocks(qname, arr.shape[0], arr.shape[1], rng, float(arr.std()))
            writer.add_tensor(name, blocks, raw_dtype=gguf.GGMLQuantizationType[qname])
        elif (
            qname == "Q8_1"
        ):  # no dequantizer in gguf: the unsupported type (f32 d, f32 s, 32 int8)
            blocks = rng.integers(0, 256, (arr.shape[0], arr.shape[1] // 32 * 40), dtype=np.uint8)
            writer.add_tensor(name, blocks, raw_dtype=gguf.GGMLQuantizationType.Q8_1)
        else:
            qt = gguf.GGMLQuantizationType[qname]
            writer.add_tensor(name, gguf.quants.quantize(arr, qt), raw_dtype=qt)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


# ---------------------------------------------------------------------------------------------
# numpy reference forward pass, read straight from the GGUF file


class ReferenceLlama:
    """Plain fp32 numpy forward over the dequantized GGUF tensors (no KV cache).

    Follows llama.cpp's graphs for llama, qwen2 and starcoder2: RMSNorm or LayerNorm (with a
    bias), interleaved ("normal") or NEOX RoPE with Llama 3's frequency factors, any bias the
    file has, SwiGLU or tanh-GELU MLP.
    """

    def __init__(self, gguf_path: Path) -> None:
        r = gguf.GGUFReader(str(gguf_path))
        arch = r.fields["general.architecture"].contents()
        self.arch = arch
        self.n_layers = int(r.fields[f"{arch}.block_count"].contents())
        self.n_heads = int(r.fields[f"{arch}.attention.head_count"].contents())
        self.n_kv = int(r.fields[f"{arch}.attention.head_count_kv"].contents())
        eps_key = "layer_norm_epsilon" if arch == "starcoder2" else "layer_norm_rms_epsilon"
        self.eps = float(r.fields[f"{arch}.attention.{eps_key}"].contents())
        self.base = float(r.fields[f"{arch}.rope.freq_base"].contents())
        window = r.fields.get(f"{arch}.attention.sliding_window")
        self.window = int(window.contents()) if window else 0
        linear = r.fields.get(f"{arch}.rope.scaling.factor")
        self.rope_scale = 1.0 / float(linear.contents()) if linear else 1.0
        self.w: dict[str, np.ndarray] = {}
        for t in r.tensors:
            d = gguf.quants.dequantize(t.data, t.tensor_type).astype(np.float32)
            self.w[t.name] = d.reshape([int(x) for x in reversed(t.shape)])
        self.hd = self.w["blk.0.attn_q.weight"].shape[0] // self.n_heads

    def _norm(self, x: np.ndarray, name: str) -> np.ndarray:
        g, b = self.w[name + ".weight"], self.w.get(name + ".bias")
        if b is None:
            return x / np.sqrt((x * x).mean(-1, keepdims=True) + self.eps) * g
        x = x - x.mean(-1, keepdims=True)
        return x / np.sqrt((x * x).mean(-1, keepdims=True) + self.eps) * g + b

    def _linear(self, x: np.ndarray, name: str) -> np.ndarray:
        y = x @ self.w[name + ".weight"].T
        b = self.w.get(name + ".bias")
        return y if b is None else y + b

    def _rope(self, x: np.ndarray) -> np.ndarray:
        # x: (T, nh, hd); pair i rotates by pos * base^(-2i/hd) / freq_factor_i. Llama pairs
        # (x[2i], x[2i+1]); qwen2 and starcoder2 (NEOX) pair (x[i], x[i + hd/2]).
        t = np.arange(x.shape[0])[:, None]
        inv = self.base ** (-np.arange(0, self.hd, 2) / self.hd) * self.rope_scale
        if "rope_freqs.weight" in self.w:
            inv = inv / self.w["rope_freqs.weight"].astype(np.float64)
        ang = (t * inv)[:, None, :]  # (T, 1, hd/2)
        cos, sin = np.cos(ang), np.sin(ang)
        half = self.hd // 2
        neox = self.arch != "llama"
        i0, i1 = (
            (slice(0, half), slice(half, None)) if neox else (slice(0, None, 2), slice(1, None, 2))
        )
        x0, x1 = x[..., i0], x[..., i1]
        out = np.empty_like(x)
        out[..., i0] = x0 * cos - x1 * sin
        out[..., i1] = x0 * sin + x1 * cos
        return out

    def logits(self, ids: list[int]) -> np.ndarray:
        """Logits (T, vocab) for every position of ``ids``."""
        w = self.w
        x = w["token_embd.weight"][ids]  # (T, h)
        T = len(ids)
        mask = np.triu(np.full((T, T), -np.inf, dtype=np.float32), 1)
        if self.window:  # position i sees the window positions up to itself: i - j < window
            mask += np.tril(np.full((T, T), -np.inf, dtype=np.float32), -self.window)
        g = self.n_heads // self.n_kv
        for i in range(self.n_layers):
            p = f"blk.{i}."
            h = self._norm(x, p + "attn_norm")
            q = self._linear(h, p + "attn_q").reshape(T, self.n_heads, self.hd)
            k = self._linear(h, p + "attn_k").reshape(T, self.n_kv, self.hd)
            v = self._linear(h, p + "attn_v").reshape(T, self.n_kv, self.hd)
            q, k = self._rope(q), self._rope(k)
            k, v = np.repeat(k, g, axis=1), np.repeat(v, g, axis=1)
            att = np.einsum("qhd,khd->hqk", q, k) / np.sqrt(self.hd) + mask
            att = np.exp(att - att.max(-1, keepdims=True))
            att /= att.sum(-1, keepdims=True)
            o = np.einsum("hqk,khd->qhd", att, v).reshape(T, -1)
            x = x + self._linear(o, p + "attn_output")
            h = self._norm(x, p + "ffn_norm")
            up = self._linear(h, p + "ffn_up")
            if p + "ffn_gate.weight" in w:
                gate = self._linear(h, p + "ffn_gate")
                act = gate / (1 + np.exp(-gate)) * up
            else:  # tanh GELU, as llama.cpp's ggml_gelu
                act = 0.5 * up * (1 + np.tanh(np.sqrt(2 / np.pi) * (up + 0.044715 * up**3)))
            x = x + self._linear(act, p + "ffn_down")
        x = self._norm(x, "output_norm")
        head = w.get("output.weight", w["token_embd.weight"])
        return x @ head.T


# ---------------------------------------------------------------------------------------------
# llama.cpp on the same file: the reference the converter is checked against


# Sizes K-quants need: every row a whole number of 256-weight super-blocks.
K_SIZES = {"hidden": 256, "ff": 512}

# One tiny model per architecture in fp32 (llama.cpp then computes in fp32 too, so the graphs
# must agree to float rounding), then per tensor type; names are test ids.
F32 = {"qtype": "F32", "embed_qtype": "F32", "tied": False}
ARCH_CASES: dict[str, TinyConfig] = {
    "llama": TinyConfig(**F32),
    "llama-tied-mha": TinyConfig(qtype="F32", embed_qtype="F32", n_kv_heads=4),
    "llama3-rope_freqs": TinyConfig(**F32, rope_freqs=True, pre="llama-bpe"),
    "llama-rope_linear4": TinyConfig(**F32, rope_linear=4.0),
    "qwen2": TinyConfig(**F32, arch="qwen2", rope_base=1e6, eps=1e-6),
    "starcoder2": TinyConfig(**F32, arch="starcoder2"),
}
QUANT_CASES: dict[str, TinyConfig] = {
    "llama-q4_1": TinyConfig(),
    "llama-q4_0": TinyConfig(qtype="Q4_0"),
    "llama-q8_0": TinyConfig(qtype="Q8_0", tied=False),
    "llama-f16": TinyConfig(qtype="F16", embed_qtype="F16"),
    "llama-bf16": TinyConfig(qtype="BF16", embed_qtype="F32"),
    "llama-q5_1": TinyConfig(qtype="Q5_1", tied=False),
    "qwen2-q5_0": TinyConfig(arch="qwen2", qtype="Q5_0", embed_qtype="Q8_0"),
    "llama-q4_k": TinyConfig(qtype="Q4_K", embed_qtype="Q4_K", **K_SIZES),
    "llama-q5_k": TinyConfig(qtype="Q5_K", tied=False, **K_SIZES),
    "llama-q6_k": TinyConfig(qtype="Q6_K", embed_qtype="Q6_K", tied=False, **K_SIZES),
    "llama-q4_k_m": TinyConfig(qtype="Q4_K", mixed_qtype="Q6_K", embed_qtype="Q6_K", **K_SIZES),
    "qwen2-q4_k_m": TinyConfig(
        arch="qwen2", qtype="Q4_K", mixed_qtype="Q6_K", embed_qtype="Q8_0", **K_SIZES
    ),
    "starcoder2-q4_k": TinyConfig(
        arch="starcoder2", qtype="Q4_K", embed_qtype="Q8_0", tied=False, **K_SIZES
    ),
    "llama-q3_k": TinyConfig(qtype="Q3_K", tied=False, **K_SIZES),
    "llama-q2_k": TinyConfig(qtype="Q2_K", tied=False, **K_SIZES),
    # q/k Q2_K (minimums per 16) fused with a Q4_K v (per 32): minimums widened to 16s
    "llama-q2_k-q4_k": TinyConfig(qtype="Q2_K", mixed_qtype="Q4_K", tied=False, **K_SIZES),
    "llama-iq4_nl": TinyConfig(qtype="IQ4_NL", tied=False),
    "llama-iq4_xs": TinyConfig(qtype="IQ4_XS", tied=False, **K_SIZES),
    "llama-iq3_s-as-f32": TinyConfig(qtype="IQ3_S", tied=False, **K_SIZES),
}
# llama.cpp's starcoder2 graph has no sliding window (it matters only past 4096 tokens in
# the real models); ours follows the metadata like transformers does: numpy reference only.
WINDOW_CASES: dict[str, TinyConfig] = {
    "starcoder2-window4": TinyConfig(**F32, arch="starcoder2", sliding_window=4),
}
# Only the embedding quantized: llama.cpp reads its rows exactly (get_rows dequantizes) and
# computes the rest in fp32, so these check the converter's block decoding (the embedding
# goes through it too) against llama.cpp's, bit for bit on random blocks.
EMBED_CASES: dict[str, TinyConfig] = {
    f"embed-{q.lower()}": TinyConfig(**{**F32, "embed_qtype": q}, **K_SIZES)
    for q in EXACT_TENSOR_TYPES
    if q not in ("F32", "F16", "BF16")  # every quantized type the converter maps exactly
}
EXACT_CASES = {**ARCH_CASES, **QUANT_CASES, **EMBED_CASES}

# Runs in llama.cpp's venv (tests/llamacpp_ref.py): evaluate the prompt, then decode greedily,
# keeping the logits of every position. f32 KV cache, so the cache adds no fp16 rounding.
LLAMA_CPP_GREEDY = """
import json, sys
import numpy as np
from llama_cpp import Llama, GGML_TYPE_F32
req = json.load(sys.stdin)
llm = Llama(req["model"], n_ctx=req["n_ctx"], n_threads=2, n_threads_batch=2, logits_all=True,
            type_k=GGML_TYPE_F32, type_v=GGML_TYPE_F32, verbose=False)
ids = list(req["prompt"])
llm.eval(ids)
for _ in range(req["steps"]):
    ids.append(int(np.argmax(llm.scores[llm.n_tokens - 1])))
    llm.eval([ids[-1]])
logits = np.asarray(llm.scores[: llm.n_tokens - 1], dtype=np.float32)
print(json.dumps({"tokens": ids[len(req["prompt"]):], "logits": logits.tolist()}))
"""


def llama_cpp_greedy(
    gguf_path: Path, prompt: list[int], steps: int
) -> tuple[list[int], np.ndarray]:
    """llama.cpp's greedy continuation of ``prompt`` and its logits at every position before
    the last token (prompt + steps - 1 rows): what the ONNX model must reproduce."""
    from llamacpp_ref import run_llama_cpp

    out = run_llama_cpp(
        LLAMA_CPP_GREEDY,
        {"model": str(gguf_path), "prompt": prompt, "steps": steps, "n_ctx": 256},
    )
    return out["tokens"], np.asarray(out["logits"], dtype=np.float32)


def onnx_logits(model_dir: Path, ids: list[int]) -> np.ndarray:
    """The converted model's logits (len(ids), vocab), fed one token at a time through the KV
    cache, as a decode step runs."""
    from jupyter_spark.engine import Engine, EngineConfig

    cfg = EngineConfig(max_context=256, threads=1, repeat_limit=0, warmup=False)
    eng = Engine(model_dir, model_dir / "model.onnx", model_dir / "tokenizer.json", "tiny", cfg)
    slot = eng.session.new_slot()
    return np.stack([eng.session.forward(slot, [t]).copy() for t in ids])


def onnx_greedy(model_dir: Path, prompt: list[int], steps: int) -> list[int]:
    """The converted model's own greedy continuation of ``prompt`` (prefill in one call)."""
    from jupyter_spark.engine import Engine, EngineConfig

    cfg = EngineConfig(max_context=256, threads=1, repeat_limit=0, warmup=False)
    eng = Engine(model_dir, model_dir / "model.onnx", model_dir / "tokenizer.json", "tiny", cfg)
    slot = eng.session.new_slot()
    logits, out = eng.session.forward(slot, prompt), []
    for _ in range(steps):
        out.append(int(np.argmax(logits)))
        logits = eng.session.forward(slot, [out[-1]])
    return out
