"""GGUF tensor blocks -> MatMulNBits operands, keeping every weight value.

MatMulNBits computes y = x @ (scale_b * (q - zp_b)) per block of ``block`` weights along K; on
this onnxruntime's CPU kernels it takes 4 and 8 bits with blocks of 16, 32 or 64 (measured). Each
GGUF type maps onto it exactly, a block minimum going into a separate exact correction
sum_b min_b * sum(x in block b) on the minimums' blocks (32 weights, 16 for Q2_K):

- Q4_0  v = d * (q - 8)                 -> 4 bits, block 32, zero point 8.
- Q4_1  v = d * q + m                   -> 4 bits, block 32, zero point 0, min m.
- Q5_0  v = d * (q - 16), 5-bit q       -> 8 bits, block 32, zero point 16.
- Q5_1  v = d * q + m, 5-bit q          -> 8 bits, block 32, zero point 0, min m.
- Q8_0  v = d * q, q int8               -> 8 bits, block 32, q + 128 with zero point 128.
- Q2_K  v = d*sc_j * q - dmin*m_j, 16s  -> 4 bits, block 16, zero point 0, min on 16s.
- Q3_K  v = d*(sc_j-32) * (q - 4), 16s  -> 4 bits, block 16, zero point 4.
- Q4_K  v = d*sc_j * q - dmin*m_j       -> 4 bits, block 32 (sub-block j), zero point 0, min.
- Q5_K  the same with 5-bit q           -> 8 bits, block 32, zero point 0, min.
- Q6_K  v = d*sc_j * (q - 32), 16-blocks -> 8 bits, block 16, zero point 32.
- IQ4_NL v = d * level[idx], 16 int8 levels -> 8 bits, block 32, level + 128, zero point 128.
- IQ4_XS the same with d*(ls_j-32) per 32   -> 8 bits, block 32, zero point 128.
- F32 / F16 / BF16, and types with no direct mapping (dequantized by gguf) -> fp32 MatMul.

The scale d*sc is the fp32 product llama.cpp's dequantization forms, so no value changes.
Measured on this onnxruntime (576x1536, one token, 1 thread, accuracy_level 4): 4 bits/32
56 us, 8 bits/32 50 us, 8 bits/16 96 us, fp32 MatMul 167 us; at accuracy_level 0 (tests only)
8 bits/16 is dequantized on every call (3.2 ms). A Q4_K_M q|k|v fusion with a Q6_K v is thus
widened to 8 bits/16 for the whole fused matrix: still one op, and cheaper than fp32.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

QK = 32  # block of Q4_0/Q4_1/Q5_0/Q5_1/Q8_0 and of the K-quants' sub-blocks
QK_K = 256  # K-quant super-block
DENSE_TYPES = ("F32", "F16", "BF16")


@dataclass
class QuantMatrix:
    """A (N, K) weight in one of the forms the graph builder emits."""

    kind: str  # "nbits" or "dense"
    n: int
    k: int
    bits: int = 0
    block: int = QK
    packed: np.ndarray | None = None  # (N, K/block, block*bits/8) uint8
    scales: np.ndarray | None = None  # (N * K/block,) float32
    zp: np.ndarray | None = None  # (N, K/block) uint8 zero points, unpacked
    block_min: np.ndarray | None = None  # (N, K/min_block) float32 added per block of weights
    dense: np.ndarray | None = None  # (K, N) float32

    @property
    def zero_points(self) -> np.ndarray:
        """Zero points packed as MatMulNBits wants: a byte each at 8 bits, a nibble at 4."""
        if self.bits == 8:
            return self.zp.reshape(-1)
        zp = self.zp
        if zp.shape[1] % 2:
            zp = np.pad(zp, ((0, 0), (0, 1)))
        return (zp[:, 0::2] | (zp[:, 1::2] << 4)).astype(np.uint8).reshape(-1)

    @property
    def min_block(self) -> int:
        """Weights per block minimum: 32 (Q4_1, Q5_1, Q4_K, Q5_K) or 16 (Q2_K); 0 if none."""
        return 0 if self.block_min is None else self.k // self.block_min.shape[1]

    def values(self) -> np.ndarray:
        """(N, K/block, block) uint8 quantized values, unpacked."""
        if self.bits == 8:
            return self.packed
        return np.stack([self.packed & 0x0F, self.packed >> 4], axis=-1).reshape(
            self.n, self.k // self.block, self.block
        )

    def widened(self, bits: int, block: int, min_block: int) -> QuantMatrix:
        """The same weights with more bits, smaller blocks, or minimums on smaller (or zero
        minimums on ``min_block``-weight) blocks: still exact."""
        q, zp, sc = self.values(), self.zp, self.scales.reshape(self.n, -1)
        if block != self.block:
            r = self.block // block
            q = q.reshape(self.n, -1, block)
            zp, sc = np.repeat(zp, r, axis=1), np.repeat(sc, r, axis=1)
        m = self.block_min
        if min_block and m is None:
            m = np.zeros((self.n, self.k // min_block), np.float32)
        elif min_block and self.min_block != min_block:
            m = np.repeat(m, self.min_block // min_block, axis=1)
        return replace(
            self,
            bits=bits,
            block=block,
            packed=q if bits == 8 else _pack_nibbles(q),
            scales=np.ascontiguousarray(sc.reshape(-1)),
            zp=zp,
            block_min=m,
        )

    @staticmethod
    def concat(parts: list[QuantMatrix]) -> QuantMatrix:
        """Stack matrices with the same K along N (q|k|v, gate|up) so one op computes them.

        Quantized parts of different types (a Q4_K_M file has Q4_K q/k and Q6_K v) are first
        widened to a common exact form; only a dense part forces the whole stack dense.
        """
        n, k = sum(p.n for p in parts), parts[0].k
        if any(p.kind == "dense" for p in parts):
            return QuantMatrix(
                "dense", n, k, dense=np.concatenate([p.to_dense() for p in parts], 1)
            )
        bits = max(p.bits for p in parts)
        block = min(p.block for p in parts)
        min_block = min((p.min_block for p in parts if p.min_block), default=0)
        parts = [
            p
            if (p.bits, p.block, p.min_block) == (bits, block, min_block)
            else p.widened(bits, block, min_block)
            for p in parts
        ]
        return QuantMatrix(
            "nbits",
            n,
            k,
            bits,
            block,
            packed=np.concatenate([p.packed for p in parts]),
            scales=np.concatenate([p.scales for p in parts]),
            zp=np.concatenate([p.zp for p in parts]),
            block_min=np.concatenate([p.block_min for p in parts]) if min_block else None,
        )

    def rows(self) -> np.ndarray:
        """(N, K) fp32 weights: the embedding table, and the values of every other form."""
        if self.kind == "dense":
            return self.dense.T
        w = self.values().astype(np.float32)
        w -= self.zp[..., None]
        w *= self.scales.reshape(self.n, -1)[..., None]
        w = w.reshape(self.n, self.k)
        if self.block_min is not None:
            w = w.reshape(self.n, -1, self.min_block) + self.block_min[..., None]
            w = w.reshape(self.n, self.k)
        return w

    def to_dense(self) -> np.ndarray:
        """(K, N) fp32 weights, for fusions with a dense part and for tests."""
        return self.dense if self.kind == "dense" else np.ascontiguousarray(self.rows().T)


def _pack_nibbles(q: np.ndarray) -> np.ndarray:
    """(..., 2m) values 0..15 -> (..., m) bytes, element 2i in the low nibble."""
    return (q[..., 0::2] | (q[..., 1::2] << 4)).astype(np.uint8)


def _f16(b: np.ndarray) -> np.ndarray:
    """(..., 2) little-endian bytes -> (...) float32."""
    return np.ascontiguousarray(b).view(np.float16)[..., 0].astype(np.float32)


def _k_scales_mins(s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Q4_K/Q5_K's 12 scale bytes -> 8 six-bit scales and 8 six-bit mins (get_scale_min_k4)."""
    s = s.astype(np.uint8)
    lo_sc, lo_m = s[..., 0:4] & 63, s[..., 4:8] & 63
    hi_sc = (s[..., 8:12] & 0x0F) | ((s[..., 0:4] >> 6) << 4)
    hi_m = (s[..., 8:12] >> 4) | ((s[..., 4:8] >> 6) << 4)
    return (
        np.concatenate([lo_sc, hi_sc], -1).astype(np.float32),
        np.concatenate([lo_m, hi_m], -1).astype(np.float32),
    )


def _q4_0_1(blocks: np.ndarray, has_min: bool):
    """Q4_0 / Q4_1: f16 d (, f16 m), 16 bytes; weight j < 16 in the low nibble of byte j."""
    off = 4 if has_min else 2
    qs = blocks[..., off : off + QK // 2]
    q = np.concatenate([qs & 0x0F, qs >> 4], axis=-1)
    m = _f16(blocks[..., 2:4]) if has_min else None
    return 4, QK, q, _f16(blocks[..., 0:2]), 0 if has_min else 8, m


def _q5_0_1(blocks: np.ndarray, has_min: bool):
    """Q5_0 / Q5_1: f16 d (, f16 m), u32 fifth bits (bit j for weight j), 16 nibble bytes."""
    off = 4 if has_min else 2
    qh = blocks[..., off : off + 4].copy().view("<u4")  # (n, nb, 1)
    qs = blocks[..., off + 4 : off + 20]
    high = ((qh >> np.arange(32, dtype=np.uint32)) & 1).astype(np.uint8)
    q = np.concatenate([qs & 0x0F, qs >> 4], axis=-1) | (high << 4)
    m = _f16(blocks[..., 2:4]) if has_min else None
    return 8, QK, q, _f16(blocks[..., 0:2]), 0 if has_min else 16, m


def _q8_0(blocks: np.ndarray):
    q = (blocks[..., 2:].view(np.int8).astype(np.int16) + 128).astype(np.uint8)
    return 8, QK, q, _f16(blocks[..., 0:2]), 128, None


def _q4_k(blocks: np.ndarray):
    """f16 d, f16 dmin, 12 scale bytes, 128 bytes: sub-block 2c low, 2c+1 high nibbles of 32c.."""
    n, nb = blocks.shape[:2]
    d, dmin = _f16(blocks[..., 0:2]), _f16(blocks[..., 2:4])
    sc, m = _k_scales_mins(blocks[..., 4:16])
    qs = blocks[..., 16:144].reshape(n, nb, 4, 32)
    q = np.stack([qs & 0x0F, qs >> 4], axis=3)  # (n, nb, chunk, lo/hi, 32)
    return 4, QK, q, d[..., None] * sc, 0, -(dmin[..., None] * m)


def _q5_k(blocks: np.ndarray):
    """As Q4_K with 32 bytes of fifth bits: bit j of qh[l] belongs to sub-block j."""
    n, nb = blocks.shape[:2]
    d, dmin = _f16(blocks[..., 0:2]), _f16(blocks[..., 2:4])
    sc, m = _k_scales_mins(blocks[..., 4:16])
    qh = blocks[..., 16:48]  # (n, nb, 32)
    qs = blocks[..., 48:176].reshape(n, nb, 4, 32)
    low = np.stack([qs & 0x0F, qs >> 4], axis=3).reshape(n, nb, 8, 32)
    high = (qh[:, :, None, :] >> np.arange(8, dtype=np.uint8)[None, None, :, None]) & 1
    return 8, QK, low | (high << 4), d[..., None] * sc, 0, -(dmin[..., None] * m)


def _q6_k(blocks: np.ndarray):
    """128 bytes low nibbles, 64 bytes high 2-bit pairs, 16 int8 scales, f16 d; 16-blocks."""
    n, nb = blocks.shape[:2]
    ql = blocks[..., 0:128].reshape(n, nb, 2, 2, 32)  # (half, first/second 32 bytes, l)
    qh = blocks[..., 128:192].reshape(n, nb, 2, 1, 32)
    sc = blocks[..., 192:208].view(np.int8).astype(np.float32)
    d = _f16(blocks[..., 208:210])
    # element 128h + 32j + l: j=0 low ql[l], j=1 low ql[l+32], j=2 high ql[l], j=3 high ql[l+32];
    # its two high bits are bits 2j, 2j+1 of qh[l]
    low = np.concatenate([ql & 0x0F, ql >> 4], axis=3)  # (n, nb, 2, 4, 32) in j order
    shifts = (2 * np.arange(4, dtype=np.uint8))[None, None, None, :, None]
    high = (qh >> shifts) & 3
    return 8, 16, low | (high << 4), d[..., None] * sc, 32, None


def _q3_k(blocks: np.ndarray):
    """32 bytes third bits, 64 bytes 2-bit pairs, 12 bytes of 16 six-bit scales, f16 d.

    v = d * (sc_j - 32) * (q - 4) on 16-weight blocks, q = 2 low bits + 4 * third bit (0..7):
    element 32j + l takes bit j of hmask[l]; element 128h + 32s + l bits 2s, 2s+1 of
    qs[32h + l]. Scale j's low nibble is byte j % 8's nibble j // 8, its top two bits the
    pair j // 4 of byte 8 + j % 4.
    """
    n, nb = blocks.shape[:2]
    hmask = blocks[..., 0:32]
    qs = blocks[..., 32:96].reshape(n, nb, 2, 1, 32)
    sb = blocks[..., 96:108]
    d = _f16(blocks[..., 108:110])
    j = np.arange(16)
    low = (sb[..., j % 8] >> (4 * (j // 8)).astype(np.uint8)) & 0x0F
    high = (sb[..., 8 + j % 4] >> (2 * (j // 4)).astype(np.uint8)) & 3
    sc = (low | (high << 4)).astype(np.float32) - 32
    two = (qs >> (2 * np.arange(4, dtype=np.uint8))[None, None, None, :, None]) & 3
    third = (hmask[:, :, None, :] >> np.arange(8, dtype=np.uint8)[None, None, :, None]) & 1
    q = two.reshape(n, nb, 8, 32) | (third << 2)
    return 4, 16, q, d[..., None] * sc, 4, None


def _q2_k(blocks: np.ndarray):
    """16 scale bytes (low nibble scale, high nibble min), 64 bytes 2-bit, f16 d, f16 dmin.

    v = d*sc_j * q - dmin*m_j on 16-weight blocks; element 128h + 32s + l is bits 2s, 2s+1
    of qs[32h + l].
    """
    n, nb = blocks.shape[:2]
    sb = blocks[..., 0:16]
    qs = blocks[..., 16:80].reshape(n, nb, 2, 1, 32)
    d, dmin = _f16(blocks[..., 80:82]), _f16(blocks[..., 82:84])
    q = (qs >> (2 * np.arange(4, dtype=np.uint8))[None, None, None, :, None]) & 3
    sc, m = (sb & 0x0F).astype(np.float32), (sb >> 4).astype(np.float32)
    return 4, 16, q, d[..., None] * sc, 0, -(dmin[..., None] * m)


def _iq4_levels(idx: np.ndarray) -> np.ndarray:
    """IQ4's 4-bit indices -> its 16 non-uniform int8 levels, + 128 as unsigned bytes."""
    import gguf

    levels = np.asarray(gguf.quants.IQ4_NL.kvalues, dtype=np.int16) + 128
    return levels.astype(np.uint8)[idx]


def _iq4_nl(blocks: np.ndarray):
    """f16 d, 16 index bytes in Q4_0's nibble order: v = d * level[idx]."""
    qs = blocks[..., 2:18]
    return (
        8,
        QK,
        _iq4_levels(np.concatenate([qs & 0x0F, qs >> 4], -1)),
        _f16(blocks[..., 0:2]),
        128,
        None,
    )


def _iq4_xs(blocks: np.ndarray):
    """f16 d, u16 high scale bits, 4 bytes low scale nibbles, 128 index bytes; 32-sub-blocks.

    v = d * (ls_j - 32) * level[idx], ls_j = nibble j of scales_l | 2 bits j of scales_h << 4;
    sub-block j's indices are bytes 16j.. in Q4_0's nibble order.
    """
    n, nb = blocks.shape[:2]
    d = _f16(blocks[..., 0:2])
    sh = blocks[..., 2:4].copy().view("<u2")  # (n, nb, 1)
    sl = blocks[..., 4:8]
    j = np.arange(8)
    low = (sl[..., j // 2] >> (4 * (j % 2)).astype(np.uint8)) & 0x0F
    high = ((sh >> (2 * j).astype(np.uint16)) & 3).astype(np.uint8)
    ls = (low | (high << 4)).astype(np.float32) - 32
    qs = blocks[..., 8:136].reshape(n, nb, 8, 16)
    q = _iq4_levels(np.concatenate([qs & 0x0F, qs >> 4], -1))
    return 8, QK, q, d[..., None] * ls, 128, None


# GGUF type name -> (bytes per 256 or 32 weights, unpacker)
_UNPACK = {
    "Q4_0": (QK, lambda b: _q4_0_1(b, False)),
    "Q4_1": (QK, lambda b: _q4_0_1(b, True)),
    "Q5_0": (QK, lambda b: _q5_0_1(b, False)),
    "Q5_1": (QK, lambda b: _q5_0_1(b, True)),
    "Q8_0": (QK, _q8_0),
    "IQ4_NL": (QK, _iq4_nl),
    "IQ4_XS": (QK_K, _iq4_xs),
    "Q2_K": (QK_K, _q2_k),
    "Q3_K": (QK_K, _q3_k),
    "Q4_K": (QK_K, _q4_k),
    "Q5_K": (QK_K, _q5_k),
    "Q6_K": (QK_K, _q6_k),
}


def quant_matrix(tensor) -> QuantMatrix:
    """Turn one GGUF 2-D tensor into MatMulNBits operands (or fp32) without changing a value."""
    k, n = (int(x) for x in tensor.shape)  # GGUF lists dims fastest-first: (K, N)
    name = tensor.tensor_type.name
    if name not in _UNPACK:
        return QuantMatrix("dense", n, k, dense=np.ascontiguousarray(dense_weight(tensor).T))
    per, unpack = _UNPACK[name]
    raw = np.asarray(tensor.data).view(np.uint8)
    bits, block, q, scales, zp_value, m = unpack(raw.reshape(n, k // per, -1))
    nb = k // block
    q = q.reshape(n, nb, block).astype(np.uint8)
    return QuantMatrix(
        "nbits",
        n,
        k,
        bits,
        block,
        packed=q if bits == 8 else _pack_nibbles(q),
        scales=np.ascontiguousarray(scales.reshape(-1), dtype=np.float32),
        zp=np.full((n, nb), zp_value, np.uint8),
        block_min=None if m is None else np.ascontiguousarray(m.reshape(n, -1), np.float32),
    )


def dense_weight(tensor) -> np.ndarray:
    """Any GGUF tensor gguf can read as fp32 in numpy order (e.g. (vocab, hidden)).

    Types with an unpacker here go through it (the embedding then uses the same decoding as
    every matrix, which the tests check against llama.cpp's); the rest through gguf.
    """
    import gguf

    shape = [int(x) for x in reversed(tensor.shape)]
    if tensor.tensor_type.name in _UNPACK and len(shape) == 2:
        return np.ascontiguousarray(quant_matrix(tensor).rows())
    return (
        gguf.quants.dequantize(np.asarray(tensor.data), tensor.tensor_type)
        .astype(np.float32)
        .reshape(shape)
    )
