"""What the converter reads from a GGUF's metadata, and every check it makes before any work.

One function (``model_config``) reads the hyper-parameters of each supported architecture, so a
file that cannot be converted is refused here, naming the architecture or tensor type, before a
single weight is unpacked (``check_gguf`` is that check alone, for ``jupyter spark model info``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import InvalidModelFile, ModelNotFound, UnsupportedModel

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ArchSpec:
    """How one llama.cpp architecture's layer differs from Llama's.

    ``rope_interleaved``: llama.cpp's "normal" RoPE rotates pairs (2i, 2i+1), and the GGUF converter
    permutes Llama's q/k rows so HF's half-split weights fit it; qwen2 and starcoder2 are stored
    unpermuted and use LLAMA_ROPE_TYPE_NEOX, which rotates (i, i + d/2).
    """

    norm: str  # "rms" (RMSNorm) or "layer" (LayerNorm with bias)
    mlp: str  # "swiglu" (gate, up, down) or "gelu" (up, down)
    rope_interleaved: bool
    eps_key: str  # metadata key (after "<arch>.") of the norm epsilon


ARCHITECTURES: dict[str, ArchSpec] = {
    "llama": ArchSpec("rms", "swiglu", True, "attention.layer_norm_rms_epsilon"),
    "qwen2": ArchSpec("rms", "swiglu", False, "attention.layer_norm_rms_epsilon"),
    "starcoder2": ArchSpec("layer", "gelu", False, "attention.layer_norm_epsilon"),
}
SUPPORTED_ARCHITECTURES = tuple(ARCHITECTURES)

# Types mapped onto onnxruntime ops with every weight value kept (see quant.py).
EXACT_TENSOR_TYPES = (
    "F32",
    "F16",
    "BF16",
    "Q4_0",
    "Q4_1",
    "Q5_0",
    "Q5_1",
    "Q8_0",
    "Q2_K",
    "Q3_K",
    "Q4_K",
    "Q5_K",
    "Q6_K",
    "IQ4_NL",
    "IQ4_XS",
)
# Types gguf can dequantize but that have no direct mapping here: they become fp32 weights
# (the same values, 4-8x the memory and slower), noted in the log and in spark_model.json.
DEQUANTIZED_TENSOR_TYPES = (
    "IQ3_S",
    "IQ3_XXS",
    "IQ2_S",
    "IQ2_XS",
    "IQ2_XXS",
    "IQ1_S",
    "IQ1_M",
    "TQ1_0",
    "TQ2_0",
)
SUPPORTED_TENSOR_TYPES = EXACT_TENSOR_TYPES + DEQUANTIZED_TENSOR_TYPES

# llama.cpp's defaults where a GGUF leaves a key out.
DEFAULT_CONTEXT = 2048
DEFAULT_ROPE_BASE = 10000.0
DEFAULT_EPS = 1e-5


@dataclass(frozen=True)
class ModelConfig:
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
    norm_eps: float
    tied_embeddings: bool
    norm: str
    mlp: str
    rope_interleaved: bool
    rope_freq_scale: float  # linear RoPE scaling: angles times this (1 / scaling factor)
    rope_freq_factors: bool  # Llama 3.x: angles divided by the rope_freqs.weight tensor
    # Attend to this many positions (the current one included), as transformers does; 0: all.
    # GroupQueryAttention's local_window_size has that meaning (tests check it); llama.cpp's
    # starcoder2 graph ignores the key, which only matters past 4096 tokens in real models.
    sliding_window: int


# Kept for callers of the Llama-only converter.
LlamaConfig = ModelConfig


def field(reader, key: str, default=None):
    """A metadata value, or ``default`` when the key is absent."""
    f = reader.fields.get(key)
    return default if f is None else f.contents()


def read_gguf(path: Path):
    """Open ``path`` as GGUF, turning every way it can be wrong into one typed error."""
    import gguf

    path = Path(path)
    if not path.is_file():
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


def _check_tensor_types(reader, path: Path) -> None:
    types = {t.tensor_type.name for t in reader.tensors}
    bad = sorted(types - set(SUPPORTED_TENSOR_TYPES))
    if bad:
        raise UnsupportedModel(
            path, f"tensor types {bad} are not supported (supported: {SUPPORTED_TENSOR_TYPES})"
        )


def _layer_tensors(spec: ArchSpec) -> tuple[str, ...]:
    gate = ("ffn_gate",) if spec.mlp == "swiglu" else ()
    return (
        "attn_norm",
        "attn_q",
        "attn_k",
        "attn_v",
        "attn_output",
        "ffn_norm",
        "ffn_up",
        *gate,
        "ffn_down",
    )


def model_config(reader, path: Path) -> ModelConfig:
    """Read and check the hyper-parameters; unsupported models fail here, before work."""
    path = Path(path)
    arch = field(reader, "general.architecture")
    spec = ARCHITECTURES.get(arch)
    if spec is None:
        raise UnsupportedModel(
            path, f"architecture {arch!r} is not supported (supported: {SUPPORTED_ARCHITECTURES})"
        )
    _check_tensor_types(reader, path)
    names = {t.name for t in reader.tensors}
    scaling = field(reader, f"{arch}.rope.scaling.type")
    if scaling not in (None, "none", "linear"):
        raise UnsupportedModel(path, f"RoPE scaling {scaling!r} is not supported (only linear)")
    try:
        n_heads = int(field(reader, f"{arch}.attention.head_count"))
        hidden = int(field(reader, f"{arch}.embedding_length"))
        n_layers = int(field(reader, f"{arch}.block_count"))
        head_dim = int(field(reader, f"{arch}.attention.key_length", hidden // n_heads))
        emb = next(t for t in reader.tensors if t.name == "token_embd.weight")
        factor = float(field(reader, f"{arch}.rope.scaling.factor", 1.0)) if scaling else 1.0
        cfg = ModelConfig(
            architecture=arch,
            name=str(field(reader, "general.name", path.stem)),
            num_layers=n_layers,
            hidden=hidden,
            ff=int(field(reader, f"{arch}.feed_forward_length")),
            num_heads=n_heads,
            num_kv_heads=int(field(reader, f"{arch}.attention.head_count_kv", n_heads)),
            head_dim=head_dim,
            vocab_size=int(emb.shape[1]),
            context_length=int(field(reader, f"{arch}.context_length", DEFAULT_CONTEXT)),
            rope_base=float(field(reader, f"{arch}.rope.freq_base", DEFAULT_ROPE_BASE)),
            norm_eps=float(field(reader, f"{arch}.{spec.eps_key}", DEFAULT_EPS)),
            tied_embeddings="output.weight" not in names,
            norm=spec.norm,
            mlp=spec.mlp,
            rope_interleaved=spec.rope_interleaved,
            rope_freq_scale=1.0 / factor if factor else 1.0,
            rope_freq_factors="rope_freqs.weight" in names,
            sliding_window=int(field(reader, f"{arch}.attention.sliding_window", 0) or 0),
        )
    except (TypeError, StopIteration) as e:
        raise InvalidModelFile(path, f"missing {arch} metadata or tensors ({e!r})") from e
    rope_dims = int(field(reader, f"{arch}.rope.dimension_count", head_dim))
    if rope_dims != head_dim:
        raise UnsupportedModel(path, f"partial RoPE ({rope_dims} of {head_dim} dims)")
    if head_dim % 2 or head_dim * n_heads != hidden:
        raise UnsupportedModel(path, "head_dim * head_count != embedding_length")
    missing = [
        f"blk.{i}.{w}.weight"
        for i in range(n_layers)
        for w in _layer_tensors(spec)
        if f"blk.{i}.{w}.weight" not in names
    ]
    if missing or "output_norm.weight" not in names:
        raise InvalidModelFile(path, f"missing tensors: {(missing or ['output_norm.weight'])[:5]}")
    return cfg


# Kept for callers of the Llama-only converter.
llama_config = model_config


def check_gguf(path: Path) -> None:
    """Raise the error converting ``path`` would raise for its metadata, without converting.

    Reads only the header and tensor directory (the tensor data is memory-mapped, not touched).
    """
    path = Path(path)
    model_config(read_gguf(path), path)


def rope_cache(cfg: ModelConfig, freq_factors: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """cos/sin tables (context, head_dim/2) for GroupQueryAttention's rotary.

    llama.cpp's angle for pair i at position p is p * base^(-2i/d) * freq_scale / factor_i
    (ggml_rope_ext, with no YaRN extrapolation): Llama 3's frequency factors and linear
    scaling are folded in here, so the graph is the same as for an unscaled model.
    """
    inv = cfg.rope_base ** (-np.arange(0, cfg.head_dim, 2, dtype=np.float64) / cfg.head_dim)
    inv = inv * cfg.rope_freq_scale
    if freq_factors is not None:
        inv = inv / freq_factors.astype(np.float64).reshape(-1)[: len(inv)]
    ang = np.arange(cfg.context_length, dtype=np.float64)[:, None] * inv[None, :]
    return np.cos(ang).astype(np.float32), np.sin(ang).astype(np.float32)
