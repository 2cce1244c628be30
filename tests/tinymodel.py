"""A tiny Llama-shaped GGUF model that the tests build themselves, and a numpy reference for it.

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

    @property
    def head_dim(self) -> int:
        return self.hidden // self.n_heads


def _weights(cfg: TinyConfig, vocab: int, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)

    def mat(rows: int, cols: int, scale: float = 0.08) -> np.ndarray:
        return (rng.standard_normal((rows, cols)) * scale).astype(np.float32)

    def norm(n: int) -> np.ndarray:
        return (1.0 + 0.1 * rng.standard_normal(n)).astype(np.float32)

    hd, h = cfg.head_dim, cfg.hidden
    w: dict[str, np.ndarray] = {"token_embd.weight": mat(vocab, h, 0.5)}
    for i in range(cfg.n_layers):
        p = f"blk.{i}."
        w[p + "attn_norm.weight"] = norm(h)
        w[p + "attn_q.weight"] = mat(cfg.n_heads * hd, h, 0.3)
        w[p + "attn_k.weight"] = mat(cfg.n_kv_heads * hd, h, 0.3)
        w[p + "attn_v.weight"] = mat(cfg.n_kv_heads * hd, h)
        w[p + "attn_output.weight"] = mat(h, cfg.n_heads * hd)
        w[p + "ffn_norm.weight"] = norm(h)
        w[p + "ffn_gate.weight"] = mat(cfg.ff, h)
        w[p + "ffn_up.weight"] = mat(cfg.ff, h)
        w[p + "ffn_down.weight"] = mat(h, cfg.ff)
    w["output_norm.weight"] = norm(h)
    if not cfg.tied:
        w["output.weight"] = mat(vocab, h, 0.5)
    return w


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
    writer.add_rope_dimension_count(cfg.head_dim)
    writer.add_vocab_size(len(tokens))
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("smollm")
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    writer.add_token_merges(merges)
    writer.add_bos_token_id(1)
    writer.add_eos_token_id(0)
    writer.add_add_bos_token(False)
    for name, arr in _weights(cfg, len(tokens), seed).items():
        qname = cfg.embed_qtype if name == "token_embd.weight" else cfg.qtype
        if arr.ndim == 1 or qname == "F32":
            writer.add_tensor(name, arr)
        elif qname == "F16":
            writer.add_tensor(name, arr.astype(np.float16))
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
    """Plain fp32 numpy Llama forward over the dequantized GGUF tensors (no KV cache)."""

    def __init__(self, gguf_path: Path) -> None:
        r = gguf.GGUFReader(str(gguf_path))
        arch = r.fields["general.architecture"].contents()
        self.n_layers = int(r.fields[f"{arch}.block_count"].contents())
        self.n_heads = int(r.fields[f"{arch}.attention.head_count"].contents())
        self.n_kv = int(r.fields[f"{arch}.attention.head_count_kv"].contents())
        self.eps = float(r.fields[f"{arch}.attention.layer_norm_rms_epsilon"].contents())
        self.base = float(r.fields[f"{arch}.rope.freq_base"].contents())
        self.w: dict[str, np.ndarray] = {}
        for t in r.tensors:
            d = gguf.quants.dequantize(t.data, t.tensor_type).astype(np.float32)
            self.w[t.name] = d.reshape([int(x) for x in reversed(t.shape)])
        self.hd = self.w["blk.0.attn_q.weight"].shape[0] // self.n_heads

    def _rms(self, x: np.ndarray, g: np.ndarray) -> np.ndarray:
        return x / np.sqrt((x * x).mean(-1, keepdims=True) + self.eps) * g

    def _rope(self, x: np.ndarray) -> np.ndarray:
        # x: (T, nh, hd); interleaved pairs (x[2i], x[2i+1]) rotate by pos * base^(-2i/hd)
        t = np.arange(x.shape[0])[:, None]
        inv = self.base ** (-np.arange(0, self.hd, 2) / self.hd)
        ang = (t * inv)[:, None, :]  # (T, 1, hd/2)
        cos, sin = np.cos(ang), np.sin(ang)
        x0, x1 = x[..., 0::2], x[..., 1::2]
        out = np.empty_like(x)
        out[..., 0::2] = x0 * cos - x1 * sin
        out[..., 1::2] = x0 * sin + x1 * cos
        return out

    def logits(self, ids: list[int]) -> np.ndarray:
        """Logits (T, vocab) for every position of ``ids``."""
        w = self.w
        x = w["token_embd.weight"][ids]  # (T, h)
        T = len(ids)
        mask = np.triu(np.full((T, T), -np.inf, dtype=np.float32), 1)
        g = self.n_heads // self.n_kv
        for i in range(self.n_layers):
            p = f"blk.{i}."
            h = self._rms(x, w[p + "attn_norm.weight"])
            q = (h @ w[p + "attn_q.weight"].T).reshape(T, self.n_heads, self.hd)
            k = (h @ w[p + "attn_k.weight"].T).reshape(T, self.n_kv, self.hd)
            v = (h @ w[p + "attn_v.weight"].T).reshape(T, self.n_kv, self.hd)
            q, k = self._rope(q), self._rope(k)
            k, v = np.repeat(k, g, axis=1), np.repeat(v, g, axis=1)
            att = np.einsum("qhd,khd->hqk", q, k) / np.sqrt(self.hd) + mask
            att = np.exp(att - att.max(-1, keepdims=True))
            att /= att.sum(-1, keepdims=True)
            o = np.einsum("hqk,khd->qhd", att, v).reshape(T, -1)
            x = x + o @ w[p + "attn_output.weight"].T
            h = self._rms(x, w[p + "ffn_norm.weight"])
            gate = h @ w[p + "ffn_gate.weight"].T
            up = h @ w[p + "ffn_up.weight"].T
            x = x + (gate / (1 + np.exp(-gate)) * up) @ w[p + "ffn_down.weight"].T
        x = self._rms(x, w["output_norm.weight"])
        head = w.get("output.weight", w["token_embd.weight"])
        return x @ head.T
