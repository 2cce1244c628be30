"""The decoder graph: few fused onnxruntime ops per layer, since their count is the decode latency.

Per layer (RMSNorm archs; starcoder2 uses the LayerNorm twins with bias and a GELU MLP):

    SkipSimplifiedLayerNorm -> MatMulNBits(q|k|v fused, biases as its bias input)
    -> GroupQueryAttention(rotary inside) -> MatMulNBits(o) -> SkipSimplifiedLayerNorm
    -> MatMulNBits(gate|up fused) -> SiLU*up -> MatMulNBits(down)
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from .config import ModelConfig, rope_cache
from .quant import QuantMatrix, dense_weight, quant_matrix

Progress = Callable[[str, float], None]

# Prefix of the LM head's initializers; a tied embedding gathers from its packed weights.
LM_HEAD = "lm_head"


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

    def norm(self, x: str, weight: str, bias: str | None, eps: float) -> str:
        """RMSNorm(x) * weight, or LayerNorm(x) * weight + bias when ``bias`` is given."""
        if bias is None:
            return self.op("SimplifiedLayerNormalization", [x, weight], axis=-1, epsilon=eps)[0]
        return self.op("LayerNormalization", [x, weight, bias], axis=-1, epsilon=eps)[0]

    def skip_norm(
        self, x: str, residual: str, weight: str, bias: str | None, eps: float
    ) -> tuple[str, str]:
        """(norm(x + residual), x + residual) in one fused op."""
        if bias is None:
            op, ins = "SkipSimplifiedLayerNormalization", [x, residual, weight]
        else:
            op, ins = "SkipLayerNormalization", [x, residual, weight, bias]
        out, _, _, summed = self.op(op, ins, n_out=4, domain="com.microsoft", epsilon=eps)
        return out, summed

    def embedding(self, w: QuantMatrix, ids: str, qweight: str | None) -> str:
        """Rows ``ids`` of an 8-bit ``w`` (B, S, K), dequantized by GatherBlockQuantized as
        MatMulNBits does (scale * (q - zp), exact in fp32), so the table stays at 8 bits
        instead of an fp32 copy (113 MB for SmolLM2's 49k x 576). ``qweight``: an initializer
        already holding ``w.packed`` (the tied LM head's: one copy serves both)."""
        nb = w.k // w.block
        data = qweight or self.init("embed.qweight", w.packed)
        scales = self.init("embed.scales", w.scales.reshape(w.n, nb, 1))
        zp = self.init("embed.zp", w.zp.reshape(w.n, nb, 1).astype(np.uint8))
        rows = self.op(
            "GatherBlockQuantized",
            [data, ids, scales, zp],
            domain="com.microsoft",
            gather_axis=0,
            quantize_axis=2,
            block_size=w.block,
            bits=w.bits,
        )[0]  # (B, S, nb, block)
        return self.op("Reshape", [rows, self.const_i64([0, 0, -1])])[0]

    def const_i64(self, values: list[int]) -> str:
        return self.init(self.name("c"), np.array(values, dtype=np.int64))

    def linear(self, x: str, w: QuantMatrix, prefix: str, bias: np.ndarray | None = None) -> str:
        """y = x @ W^T (+ bias) for x (B, S, K): MatMulNBits (+ block-min correction) or MatMul."""
        if w.kind == "dense":
            y = self.op("MatMul", [x, self.init(prefix + ".w", w.dense)])[0]
            if bias is None:
                return y
            return self.op("Add", [y, self.init(prefix + ".bias", bias)])[0]
        ins = [
            x,
            self.init(prefix + ".qweight", w.packed),
            self.init(prefix + ".scales", w.scales),
            self.init(prefix + ".zp", w.zero_points),
        ]
        if bias is not None:  # inputs 4 (g_idx) unused, 5 the bias: no extra op
            ins += ["", self.init(prefix + ".bias", bias)]
        y = self.op(
            "MatMulNBits",
            ins,
            domain="com.microsoft",
            K=w.k,
            N=w.n,
            bits=w.bits,
            block_size=w.block,
            accuracy_level=self.accuracy_level,
        )[0]
        if w.block_min is None:
            return y
        # + sum_b min[n, b] * sum_{k in block b} x[k] = mean_b(x) @ (mb * min)^T, with
        # (B, S, nb) @ (nb, N). AveragePool reads x (B, S, K) as (N, C, L) and takes the block
        # means in one op (a Reshape + ReduceSum is two); the block mb (32 or 16) is a power of
        # two, so scaling the means down and the minimums up is exact.
        mb = w.min_block
        means = self.op("AveragePool", [x], kernel_shape=[mb], strides=[mb])[0]
        corr = self.op("MatMul", [means, self.init(prefix + ".block_min", mb * w.block_min.T)])[0]
        return self.op("Add", [y, corr])[0]


def build_graph(
    reader,
    cfg: ModelConfig,
    accuracy_level: int,
    progress: Progress | None = None,
) -> onnx.ModelProto:
    """Build the decoder graph (Optimum/genai input and output names) from GGUF tensors."""
    t = {x.name: x for x in reader.tensors}
    g = GraphBuilder(accuracy_level)
    L, nkv, hd = cfg.num_layers, cfg.num_kv_heads, cfg.head_dim
    f32, i64 = TensorProto.FLOAT, TensorProto.INT64

    def vec(name: str) -> np.ndarray | None:
        return dense_weight(t[name]).reshape(-1) if name in t else None

    def norm_inits(prefix: str) -> tuple[str, str | None]:
        b = vec(prefix + ".bias")
        w = g.init(prefix, dense_weight(t[prefix + ".weight"]))
        return w, None if b is None else g.init(prefix + ".bias", b)

    def biases(names: list[str]) -> np.ndarray | None:
        """The fused bias of fused matrices (zeros for a part without one), None if none has."""
        found = [vec(n + ".bias") for n in names]
        if all(b is None for b in found):
            return None
        sizes = [int(t[n + ".weight"].shape[1]) for n in names]
        return np.concatenate(
            [np.zeros(s, np.float32) if b is None else b for b, s in zip(found, sizes, strict=True)]
        )

    def fused(x: str, prefix: str, names: list[str], label: str) -> str:
        """One linear for matrices sharing the input ``x`` (q|k|v, gate|up)."""
        full = [prefix + n for n in names]
        w = QuantMatrix.concat([quant_matrix(t[n + ".weight"]) for n in full])
        return g.linear(x, w, prefix + label, biases(full))

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
    cos, sin = rope_cache(cfg, vec("rope_freqs.weight"))
    g.init("rope.cos", cos)
    g.init("rope.sin", sin)
    gqa_attrs = {"local_window_size": cfg.sliding_window} if cfg.sliding_window else {}

    embed_t = t["token_embd.weight"]
    head_t = t.get("output.weight", embed_t)
    embed_q = quant_matrix(embed_t)
    if embed_q.kind == "nbits" and embed_q.bits == 8 and embed_q.block_min is None:
        tied = f"{LM_HEAD}.qweight" if head_t is embed_t else None  # linear()'s name for it
        x = g.embedding(embed_q, "input_ids", tied)  # (B, S, hidden)
    else:  # fp32 rows (4-bit and block-minimum types have no exact quantized gather here)
        embed = dense_weight(embed_t)  # (vocab, hidden)
        x = g.op("Gather", [g.init("embed.weight", embed), "input_ids"])[0]
    residual = x
    hidden = None
    eps = cfg.norm_eps
    for i in range(L):
        p = f"blk.{i}."
        norm_w, norm_b = norm_inits(f"{p}attn_norm")
        if hidden is None:  # first layer: nothing to add to the residual yet
            h = g.norm(x, norm_w, norm_b, eps)
        else:
            h, residual = g.skip_norm(hidden, residual, norm_w, norm_b, eps)
        qkv = fused(h, p, ["attn_q", "attn_k", "attn_v"], "qkv")  # (B, S, (nh + 2 nkv) * hd)
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
                rotary_interleaved=int(cfg.rope_interleaved),
                scale=float(1.0 / np.sqrt(hd)),
                **gqa_attrs,
            )
        )
        o = p + "attn_output"
        hidden = g.linear(attn, quant_matrix(t[o + ".weight"]), p + "o", vec(o + ".bias"))
        norm_w, norm_b = norm_inits(f"{p}ffn_norm")
        h, residual = g.skip_norm(hidden, residual, norm_w, norm_b, eps)
        if cfg.mlp == "swiglu":
            gate_up = fused(h, p, ["ffn_gate", "ffn_up"], "gate_up")
            gate, up = g.op("Split", [gate_up, g.const_i64([cfg.ff, cfg.ff])], n_out=2, axis=-1)
            silu = g.op("Mul", [gate, g.op("Sigmoid", [gate])[0]])[0]
            act = g.op("Mul", [silu, up])[0]
        else:  # llama.cpp's ggml_gelu is the tanh approximation, as FastGelu
            act = g.op("FastGelu", [fused(h, p, ["ffn_up"], "up")], domain="com.microsoft")[0]
        d = p + "ffn_down"
        hidden = g.linear(act, quant_matrix(t[d + ".weight"]), p + "down", vec(d + ".bias"))
        if progress:
            progress("converting", (i + 1) / L)

    norm_w, norm_b = norm_inits("output_norm")
    final, _ = g.skip_norm(hidden, residual, norm_w, norm_b, eps)
    # Only the last `logits_to_keep` positions reach the LM head.
    start = g.op("Neg", ["logits_to_keep"])[0]
    kept = g.op("Slice", [final, start, g.const_i64([2**62]), g.const_i64([1])])[0]
    head = embed_q if head_t is embed_t else quant_matrix(head_t)
    logits = g.linear(kept, head, LM_HEAD, vec("output.bias"))
    g.nodes.append(helper.make_node("Identity", [logits], ["logits"], name="logits_out"))

    graph = helper.make_graph(g.nodes, f"spark_{cfg.architecture}", inputs, outputs, g.inits)
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)]
    )
    model.ir_version = 8
    return model
