"""GGUF (Llama family) -> ONNX decoder with KV cache, built for onnxruntime's CPU kernels.

Why this graph: on a 2-core CPU a 135M model decodes one token in a few milliseconds only if the
graph has few, fused, quantized ops. So each layer is

    SkipSimplifiedLayerNorm -> MatMulNBits(q|k|v fused) -> GroupQueryAttention(rotary inside)
    -> MatMulNBits(o) -> SkipSimplifiedLayerNorm -> MatMulNBits(gate|up fused) -> SiLU*up
    -> MatMulNBits(down)

and the GGUF's quantized blocks go into MatMulNBits as they are, never re-quantized:

- Q4_0 (v = d * (q - 8))       -> 4-bit MatMulNBits, zero point 8: exact.
- Q8_0 (v = d * q, q int8)     -> 8-bit MatMulNBits, q + 128 with zero point 128: exact.
- Q4_1 (v = d * q + m)         -> 4-bit MatMulNBits with zero point 0 for the d*q part, plus the
  exact correction sum_b m_b * sum(x in block b) as a small (blocks x N) MatMul. MatMulNBits
  does take float zero points (zp = -m/d), but then onnxruntime dequantizes the whole matrix on
  every call (measured: 1.6 ms instead of 26 us for a 576x1536 matrix).
- F16 / F32                    -> plain fp32 MatMul.

The KV cache is one preallocated buffer per layer, (batch, kv_heads, max_len, head_dim), that
GroupQueryAttention updates in place when past and present are bound to the same memory, so a
decode step copies nothing. Only the last ``logits_to_keep`` positions go through the LM head
(a 49152 x 576 matmul per position would dominate prefill otherwise).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from .errors import InvalidModelFile, UnsupportedModel

# Bump when the produced graph or files change, so cached conversions are redone.
CONVERTER_VERSION = "2"

# Architectures that share the Llama tensor layout and llama.cpp's "normal" (interleaved) RoPE.
SUPPORTED_ARCHITECTURES = ("llama",)
SUPPORTED_TENSOR_TYPES = ("F32", "F16", "Q4_0", "Q4_1", "Q8_0")

# MatMulNBits accuracy_level: 4 = int8 activations with int32 accumulation (3x faster than fp32
# compute on AVX2/AVX512 machines; weights stay exact), 0 = fp32 compute.
DEFAULT_ACCURACY_LEVEL = 4

QK = 32  # llama.cpp block size for Q4_0, Q4_1 and Q8_0

Progress = Callable[[str, float], None]


@dataclass(frozen=True)
class LlamaConfig:
    """Hyper-parameters read from the GGUF metadata; written next to the model as JSON."""

    architecture: str
    name: str
    num_layers: int
    hidden: int
    ff: int
    num_heads: int
    num_kv_heads: int
    head_dim: int
    vocab_size: int
    context_length: int
    rope_base: float
    rms_eps: float
    tied_embeddings: bool


def _field(reader, key: str, default=None):
    f = reader.fields.get(key)
    return default if f is None else f.contents()


def read_gguf(path: Path):
    """Open ``path`` as GGUF, turning every way it can be wrong into one typed error."""
    import gguf

    path = Path(path)
    if not path.is_file():
        from .errors import ModelNotFound

        raise ModelNotFound(path, "no such file")
    with open(path, "rb") as f:
        magic = f.read(4)
    if magic != b"GGUF":
        raise InvalidModelFile(path, f"not a GGUF file (starts with {magic!r}, expected b'GGUF')")
    try:
        reader = gguf.GGUFReader(str(path))
    except Exception as e:  # gguf raises ValueError/struct errors/np errors on truncation
        raise InvalidModelFile(path, f"truncated or corrupt GGUF file ({e})") from e
    return reader


def llama_config(reader, path: Path) -> LlamaConfig:
    """Read and check the Llama hyper-parameters; unsupported models fail here, before work."""
    arch = _field(reader, "general.architecture")
    if arch not in SUPPORTED_ARCHITECTURES:
        raise UnsupportedModel(
            path, f"architecture {arch!r} is not supported (supported: {SUPPORTED_ARCHITECTURES})"
        )
    names = {t.name for t in reader.tensors}
    bad = sorted({t.tensor_type.name for t in reader.tensors} - set(SUPPORTED_TENSOR_TYPES))
    if bad:
        raise UnsupportedModel(
            path, f"tensor types {bad} are not supported (supported: {SUPPORTED_TENSOR_TYPES})"
        )
    try:
        n_heads = int(_field(reader, f"{arch}.attention.head_count"))
        hidden = int(_field(reader, f"{arch}.embedding_length"))
        n_layers = int(_field(reader, f"{arch}.block_count"))
        emb = next(t for t in reader.tensors if t.name == "token_embd.weight")
        cfg = LlamaConfig(
            architecture=arch,
            name=str(_field(reader, "general.name", path.stem)),
            num_layers=n_layers,
            hidden=hidden,
            ff=int(_field(reader, f"{arch}.feed_forward_length")),
            num_heads=n_heads,
            num_kv_heads=int(_field(reader, f"{arch}.attention.head_count_kv", n_heads)),
            head_dim=int(_field(reader, f"{arch}.rope.dimension_count", hidden // n_heads)),
            vocab_size=int(emb.shape[1]),
            context_length=int(_field(reader, f"{arch}.context_length", 2048)),
            rope_base=float(_field(reader, f"{arch}.rope.freq_base", 10000.0)),
            rms_eps=float(_field(reader, f"{arch}.attention.layer_norm_rms_epsilon", 1e-5)),
            tied_embeddings="output.weight" not in names,
        )
    except (TypeError, StopIteration) as e:
        raise InvalidModelFile(path, f"missing Llama metadata or tensors ({e!r})") from e
    if cfg.head_dim * n_heads != hidden:
        raise UnsupportedModel(path, "head_dim * head_count != embedding_length")
    if _field(reader, f"{arch}.rope.scaling.type") not in (None, "none"):
        raise UnsupportedModel(path, "RoPE scaling is not supported yet")
    missing = [
        f"blk.{i}.{w}.weight"
        for i in range(n_layers)
        for w in (
            "attn_norm",
            "attn_q",
            "attn_k",
            "attn_v",
            "attn_output",
            "ffn_norm",
            "ffn_gate",
            "ffn_up",
            "ffn_down",
        )
        if f"blk.{i}.{w}.weight" not in names
    ]
    if missing or "output_norm.weight" not in names:
        raise InvalidModelFile(path, f"missing tensors: {(missing or ['output_norm.weight'])[:5]}")
    return cfg


# ---------------------------------------------------------------------------------------------
# GGUF blocks -> MatMulNBits operands


@dataclass
class QuantMatrix:
    """A (N, K) weight in one of the forms the graph builder emits."""

    kind: str  # "nbits" or "dense"
    n: int
    k: int
    bits: int = 0
    packed: np.ndarray | None = None  # (N, K/32, 32*bits/8) uint8
    scales: np.ndarray | None = None  # (N * K/32,) float32
    zero_points: np.ndarray | None = None  # uint8, packed like onnxruntime wants
    block_min: np.ndarray | None = None  # (N, K/32) float32: Q4_1's m, for the correction
    dense: np.ndarray | None = None  # (K, N) float32, for F16/F32

    @staticmethod
    def concat(parts: list[QuantMatrix]) -> QuantMatrix:
        """Stack matrices with the same K along N (q|k|v, gate|up) so one op computes them."""
        kinds = {(p.kind, p.bits, p.block_min is not None) for p in parts}
        if len(kinds) != 1:  # mixed types: fall back to dense for the fused matrix
            return QuantMatrix(
                "dense",
                sum(p.n for p in parts),
                parts[0].k,
                dense=np.concatenate([p.to_dense() for p in parts], axis=1),
            )
        first = parts[0]
        if first.kind == "dense":
            return QuantMatrix(
                "dense",
                sum(p.n for p in parts),
                first.k,
                dense=np.concatenate([p.dense for p in parts], axis=1),
            )
        return QuantMatrix(
            "nbits",
            sum(p.n for p in parts),
            first.k,
            first.bits,
            packed=np.concatenate([p.packed for p in parts]),
            scales=np.concatenate([p.scales for p in parts]),
            zero_points=np.concatenate([p.zero_points for p in parts]),
            block_min=None
            if first.block_min is None
            else np.concatenate([p.block_min for p in parts]),
        )

    def to_dense(self) -> np.ndarray:
        """(K, N) fp32, used only for odd mixed-type fusions."""
        if self.kind == "dense":
            return self.dense
        nb = self.k // QK
        if self.bits == 4:
            lo, hi = self.packed & 0x0F, self.packed >> 4
            q = np.stack([lo, hi], axis=-1).reshape(self.n, nb, QK).astype(np.float32)
            zp = np.stack([self.zero_points & 0x0F, self.zero_points >> 4], -1).reshape(self.n, -1)
            zp = zp[:, :nb].astype(np.float32)
        else:
            q = self.packed.reshape(self.n, nb, QK).astype(np.float32)
            zp = self.zero_points.reshape(self.n, nb).astype(np.float32)
        w = (q - zp[..., None]) * self.scales.reshape(self.n, nb)[..., None]
        if self.block_min is not None:
            w = w + self.block_min[..., None]
        return np.ascontiguousarray(w.reshape(self.n, self.k).T)


def _pack_nibbles(q: np.ndarray) -> np.ndarray:
    """(N, nb, 32) values 0..15 -> (N, nb, 16) bytes, element 2i in the low nibble."""
    return (q[..., 0::2] | (q[..., 1::2] << 4)).astype(np.uint8)


def quant_matrix(tensor) -> QuantMatrix:
    """Turn one GGUF 2-D tensor into MatMulNBits operands without changing any weight value.

    GGUF block layouts (ggml-common.h), 32 weights per block:
      Q4_0: f16 d, 16 bytes; weight j in low nibble of byte j (j < 16), high nibble of byte j-16.
      Q4_1: f16 d, f16 m, 16 bytes, same nibble order.
      Q8_0: f16 d, 32 int8.
    """
    import gguf

    ttype = tensor.tensor_type
    k, n = (int(x) for x in tensor.shape)  # GGUF lists dims fastest-first: (K, N)
    raw = np.asarray(tensor.data)
    if ttype in (gguf.GGMLQuantizationType.F32, gguf.GGMLQuantizationType.F16):
        w = raw.reshape(n, k).astype(np.float32)
        return QuantMatrix("dense", n, k, dense=np.ascontiguousarray(w.T))
    nb = k // QK
    blocks = raw.reshape(n, nb, -1)
    if ttype == gguf.GGMLQuantizationType.Q8_0:
        d = blocks[..., 0:2].copy().view(np.float16)[..., 0].astype(np.float32)
        q = blocks[..., 2:].view(np.int8).astype(np.int16) + 128
        return QuantMatrix(
            "nbits",
            n,
            k,
            8,
            packed=q.astype(np.uint8),
            scales=d.reshape(-1),
            zero_points=np.full(n * nb, 128, np.uint8),
        )
    has_min = ttype == gguf.GGMLQuantizationType.Q4_1
    off = 4 if has_min else 2
    d = blocks[..., 0:2].copy().view(np.float16)[..., 0].astype(np.float32)
    qs = blocks[..., off : off + QK // 2]
    q = np.concatenate([qs & 0x0F, qs >> 4], axis=-1)  # (N, nb, 32) in weight order
    zp_value = 0 if has_min else 8
    zp = np.full((n, (nb + 1) // 2), zp_value | (zp_value << 4), np.uint8)
    m = None
    if has_min:
        m = blocks[..., 2:4].copy().view(np.float16)[..., 0].astype(np.float32)
    return QuantMatrix(
        "nbits",
        n,
        k,
        4,
        packed=_pack_nibbles(q),
        scales=d.reshape(-1),
        zero_points=zp.reshape(-1),
        block_min=m,
    )


def dense_weight(tensor) -> np.ndarray:
    """Dequantize any supported GGUF tensor to fp32 in numpy order (e.g. (vocab, hidden))."""
    import gguf

    shape = [int(x) for x in reversed(tensor.shape)]
    return (
        gguf.quants.dequantize(np.asarray(tensor.data), tensor.tensor_type)
        .astype(np.float32)
        .reshape(shape)
    )


# ---------------------------------------------------------------------------------------------
# Graph builder


class GraphBuilder:
    """Accumulates nodes and initializers; every helper returns its output's name."""

    def __init__(self, accuracy_level: int) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []
        self.accuracy_level = accuracy_level
        self._n = 0

    def name(self, hint: str) -> str:
        self._n += 1
        return f"{hint}_{self._n}"

    def init(self, name: str, array: np.ndarray) -> str:
        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def op(
        self, op_type: str, inputs: list[str], n_out: int = 1, domain: str = "", **attrs
    ) -> list[str]:
        outs = [self.name(op_type) for _ in range(n_out)]
        self.nodes.append(
            helper.make_node(
                op_type, inputs, outs, name=self.name(op_type + "_n"), domain=domain, **attrs
            )
        )
        return outs

    def skip_norm(self, x: str, residual: str, weight: str, eps: float) -> tuple[str, str]:
        """(RMSNorm(x + residual) * weight, x + residual) in one fused op."""
        out, _, _, summed = self.op(
            "SkipSimplifiedLayerNormalization",
            [x, residual, weight],
            n_out=4,
            domain="com.microsoft",
            epsilon=eps,
        )
        return out, summed

    def const_i64(self, values: list[int]) -> str:
        return self.init(self.name("c"), np.array(values, dtype=np.int64))

    def linear(self, x: str, w: QuantMatrix, prefix: str) -> str:
        """y = x @ W^T for x (B, S, K): MatMulNBits (+ Q4_1 correction) or a dense MatMul."""
        if w.kind == "dense":
            return self.op("MatMul", [x, self.init(prefix + ".w", w.dense)])[0]
        ins = [
            x,
            self.init(prefix + ".qweight", w.packed),
            self.init(prefix + ".scales", w.scales),
            self.init(prefix + ".zp", w.zero_points),
        ]
        y = self.op(
            "MatMulNBits",
            ins,
            domain="com.microsoft",
            K=w.k,
            N=w.n,
            bits=w.bits,
            block_size=QK,
            accuracy_level=self.accuracy_level,
        )[0]
        if w.block_min is None:
            return y
        # Q4_1: + sum_b m[n, b] * sum_{k in block b} x[k] = mean_b(x) @ (QK * m)^T, with
        # (B, S, nb) @ (nb, N). AveragePool reads x (B, S, K) as (N, C, L) and takes the block
        # means in one op (a Reshape + ReduceSum is two); the factor QK = 32 is a power of two,
        # so scaling the means down and m up is exact.
        means = self.op("AveragePool", [x], kernel_shape=[QK], strides=[QK])[0]
        corr = self.op("MatMul", [means, self.init(prefix + ".block_min", QK * w.block_min.T)])[0]
        return self.op("Add", [y, corr])[0]


def _rope_cache(cfg: LlamaConfig) -> tuple[np.ndarray, np.ndarray]:
    """cos/sin tables (max_pos, head_dim/2) for GroupQueryAttention's rotary."""
    inv = cfg.rope_base ** (-np.arange(0, cfg.head_dim, 2, dtype=np.float64) / cfg.head_dim)
    ang = np.arange(cfg.context_length, dtype=np.float64)[:, None] * inv[None, :]
    return np.cos(ang).astype(np.float32), np.sin(ang).astype(np.float32)


def build_graph(
    reader,
    cfg: LlamaConfig,
    accuracy_level: int = DEFAULT_ACCURACY_LEVEL,
    progress: Progress | None = None,
) -> onnx.ModelProto:
    """Build the decoder graph (Optimum/genai input and output names) from GGUF tensors."""
    t = {x.name: x for x in reader.tensors}
    g = GraphBuilder(accuracy_level)
    L, nkv, hd = cfg.num_layers, cfg.num_kv_heads, cfg.head_dim
    f32, i64 = TensorProto.FLOAT, TensorProto.INT64
    inputs = [
        helper.make_tensor_value_info("input_ids", i64, ["batch", "seq"]),
        helper.make_tensor_value_info("attention_mask", i64, ["batch", "total"]),
        helper.make_tensor_value_info("logits_to_keep", i64, [1]),
    ]
    outputs = [helper.make_tensor_value_info("logits", f32, ["batch", "kept", cfg.vocab_size])]

    # Sequence lengths for GQA from the mask: seqlens_k = sum(mask) - 1, total = mask width.
    mask_sum = g.op("ReduceSum", ["attention_mask", g.const_i64([1])], keepdims=0)[0]
    seqlens = g.op("Sub", [mask_sum, g.const_i64([1])])[0]
    seqlens_k = g.op("Cast", [seqlens], to=TensorProto.INT32)[0]
    width = g.op("Shape", ["attention_mask"], start=1, end=2)[0]
    total_len = g.op("Cast", [g.op("Squeeze", [width])[0]], to=TensorProto.INT32)[0]
    cos, sin = _rope_cache(cfg)
    g.init("rope.cos", cos)
    g.init("rope.sin", sin)

    embed = dense_weight(t["token_embd.weight"])  # (vocab, hidden)
    x = g.op("Gather", [g.init("embed.weight", embed), "input_ids"])[0]  # (B, S, hidden)
    residual = x
    hidden = None
    for i in range(L):
        p = f"blk.{i}."
        norm_w = g.init(f"{p}attn_norm", dense_weight(t[p + "attn_norm.weight"]))
        if hidden is None:  # first layer: nothing to add to the residual yet
            h = g.op("SimplifiedLayerNormalization", [x, norm_w], axis=-1, epsilon=cfg.rms_eps)[0]
        else:
            h, residual = g.skip_norm(hidden, residual, norm_w, cfg.rms_eps)
        qkv_w = QuantMatrix.concat(
            [quant_matrix(t[p + n]) for n in ("attn_q.weight", "attn_k.weight", "attn_v.weight")]
        )
        qkv = g.linear(h, qkv_w, p + "qkv")  # (B, S, (nh + 2 nkv) * hd)
        past_k, past_v = f"past_key_values.{i}.key", f"past_key_values.{i}.value"
        pres_k, pres_v = f"present.{i}.key", f"present.{i}.value"
        for nm in (past_k, past_v):
            inputs.append(helper.make_tensor_value_info(nm, f32, ["batch", nkv, "past", hd]))
        for nm in (pres_k, pres_v):
            outputs.append(helper.make_tensor_value_info(nm, f32, ["batch", nkv, "present", hd]))
        attn = g.name("attn")
        g.nodes.append(
            helper.make_node(
                "GroupQueryAttention",
                [qkv, "", "", past_k, past_v, seqlens_k, total_len, "rope.cos", "rope.sin"],
                [attn, pres_k, pres_v],
                name=g.name("gqa"),
                domain="com.microsoft",
                num_heads=cfg.num_heads,
                kv_num_heads=nkv,
                do_rotary=1,
                rotary_interleaved=1,
                scale=float(1.0 / np.sqrt(hd)),
            )
        )
        hidden = g.linear(attn, quant_matrix(t[p + "attn_output.weight"]), p + "o")
        norm_w = g.init(f"{p}ffn_norm", dense_weight(t[p + "ffn_norm.weight"]))
        h, residual = g.skip_norm(hidden, residual, norm_w, cfg.rms_eps)
        gu_w = QuantMatrix.concat(
            [quant_matrix(t[p + "ffn_gate.weight"]), quant_matrix(t[p + "ffn_up.weight"])]
        )
        gate_up = g.linear(h, gu_w, p + "gate_up")
        gate, up = g.op("Split", [gate_up, g.const_i64([cfg.ff, cfg.ff])], n_out=2, axis=-1)
        silu = g.op("Mul", [gate, g.op("Sigmoid", [gate])[0]])[0]
        act = g.op("Mul", [silu, up])[0]
        hidden = g.linear(act, quant_matrix(t[p + "ffn_down.weight"]), p + "down")
        if progress:
            progress("converting", (i + 1) / L)

    norm_w = g.init("output_norm", dense_weight(t["output_norm.weight"]))
    final, _ = g.skip_norm(hidden, residual, norm_w, cfg.rms_eps)
    # Only the last `logits_to_keep` positions reach the LM head.
    start = g.op("Neg", ["logits_to_keep"])[0]
    kept = g.op("Slice", [final, start, g.const_i64([2**62]), g.const_i64([1])])[0]
    head = t.get("output.weight", t["token_embd.weight"])
    logits = g.linear(kept, quant_matrix(head), "lm_head")
    g.nodes.append(helper.make_node("Identity", [logits], ["logits"], name="logits_out"))

    graph = helper.make_graph(g.nodes, "spark_llama", inputs, outputs, g.inits)
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)]
    )
    model.ir_version = 8
    return model


def quantization_summary(reader) -> dict[str, int]:
    """Tensor type -> count, as recorded in the manifest."""
    return dict(Counter(t.tensor_type.name for t in reader.tensors))


def convert_gguf(
    gguf_path: Path,
    out_dir: Path,
    *,
    progress: Progress | None = None,
    accuracy_level: int = DEFAULT_ACCURACY_LEVEL,
) -> dict:
    """Convert a Llama-family GGUF into ``out_dir``: model.onnx, tokenizer.json, spark_model.json.

    ``out_dir`` must exist; the caller (the registry) makes it a temporary directory and renames
    it into place only after this returns, so a failure never leaves a half-written model.
    """
    from .metadata import ModelMetadata
    from .tokenizer import build_tokenizer_json

    gguf_path, out_dir = Path(gguf_path), Path(out_dir)
    if progress:
        progress("reading", 0.0)
    reader = read_gguf(gguf_path)
    cfg = llama_config(reader, gguf_path)
    tokenizer_json = build_tokenizer_json(reader, gguf_path)
    meta = ModelMetadata.from_gguf(reader, gguf_path)
    try:
        model = build_graph(reader, cfg, accuracy_level, progress)
    except (ValueError, IndexError) as e:  # shape mismatches in a damaged file
        raise InvalidModelFile(gguf_path, f"tensor data does not match its metadata ({e})") from e
    if progress:
        progress("writing", 0.0)
    onnx.save_model(model, str(out_dir / "model.onnx"))
    (out_dir / "tokenizer.json").write_text(tokenizer_json, encoding="utf-8")
    info = {
        "format": 1,
        "converter_version": CONVERTER_VERSION,
        "kv_layout": "shared",  # past and present may be the same preallocated buffer
        "accuracy_level": accuracy_level,
        "config": asdict(cfg),
        "quantization": quantization_summary(reader),
    }
    meta.write(out_dir, extra=info)  # + the model metadata and its format-1 copy
    if progress:
        progress("writing", 1.0)
    return {
        "architecture": cfg.architecture,
        "n_layers": cfg.num_layers,
        "quantization": info["quantization"],
        "name": cfg.name,
    }
