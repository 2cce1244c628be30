"""GGUF (llama, qwen2, starcoder2) -> ONNX decoder with KV cache, for onnxruntime's CPU kernels.

Why this graph: on a 2-core CPU a 135M model decodes one token in a few milliseconds only if the
graph has few, fused, quantized ops (graph.py), and the GGUF's quantized blocks go into
MatMulNBits as they are, never re-quantized (quant.py lists the exact mapping of each type).
What is read from the metadata, and every refusal, is in config.py, before any work.

The KV cache is one preallocated buffer per layer, (batch, kv_heads, max_len, head_dim), that
GroupQueryAttention updates in place when past and present are bound to the same memory, so a
decode step copies nothing. Only the last ``logits_to_keep`` positions go through the LM head
(a 49152 x 576 matmul per position would dominate prefill otherwise).
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import asdict
from pathlib import Path

import onnx

from ..errors import InvalidModelFile
from .config import (
    DEQUANTIZED_TENSOR_TYPES,
    EXACT_TENSOR_TYPES,
    SUPPORTED_ARCHITECTURES,
    SUPPORTED_TENSOR_TYPES,
    LlamaConfig,
    ModelConfig,
    check_gguf,
    llama_config,
    model_config,
    read_gguf,
)
from .graph import GraphBuilder, Progress, build_graph
from .quant import QuantMatrix, dense_weight, quant_matrix

__all__ = [
    "CONVERTER_VERSION",
    "DEFAULT_ACCURACY_LEVEL",
    "DEQUANTIZED_TENSOR_TYPES",
    "EXACT_TENSOR_TYPES",
    "SUPPORTED_ARCHITECTURES",
    "SUPPORTED_TENSOR_TYPES",
    "GraphBuilder",
    "LlamaConfig",
    "ModelConfig",
    "QuantMatrix",
    "build_graph",
    "check_gguf",
    "convert_gguf",
    "dense_weight",
    "llama_config",
    "model_config",
    "quant_matrix",
    "quantization_summary",
    "read_gguf",
]

log = logging.getLogger(__name__)

# Bump when the produced graph or files change, so cached conversions are redone. Not bumped
# for qwen2/starcoder2/Llama 3/K-quants: every file version 2 accepted gets the same graph.
CONVERTER_VERSION = "3"  # 3: an 8-bit embedding table stays 8-bit (GatherBlockQuantized)

# MatMulNBits accuracy_level: 4 = int8 activations with int32 accumulation (3x faster than fp32
# compute on AVX2/AVX512 machines; weights stay exact), 0 = fp32 compute.
DEFAULT_ACCURACY_LEVEL = 4


def quantization_summary(reader) -> dict[str, int]:
    """Tensor type -> count, as recorded in the manifest."""
    return dict(Counter(t.tensor_type.name for t in reader.tensors))


def _dequantized(reader, path: Path) -> dict[str, int]:
    """Tensor types with no exact mapping (they become fp32 weights), logged once per file."""
    found = Counter(
        t.tensor_type.name for t in reader.tensors if t.tensor_type.name in DEQUANTIZED_TENSOR_TYPES
    )
    if found:
        log.warning(
            "%s: %s have no exact onnxruntime mapping; their weights are dequantized to fp32 "
            "(same values, more memory, slower)",
            path,
            dict(found),
        )
    return dict(found)


def convert_gguf(
    gguf_path: Path,
    out_dir: Path,
    *,
    progress: Progress | None = None,
    accuracy_level: int = DEFAULT_ACCURACY_LEVEL,
) -> dict:
    """Convert a supported GGUF into ``out_dir``: model.onnx, tokenizer.json, spark_model.json.

    ``out_dir`` must exist; the caller (the registry) makes it a temporary directory and renames
    it into place only after this returns, so a failure never leaves a half-written model.
    """
    from ..metadata import ModelMetadata
    from ..tokenizer import build_tokenizer_json

    gguf_path, out_dir = Path(gguf_path), Path(out_dir)
    if progress:
        progress("reading", 0.0)
    reader = read_gguf(gguf_path)
    cfg = model_config(reader, gguf_path)
    tokenizer_json = build_tokenizer_json(reader, gguf_path)
    meta = ModelMetadata.from_gguf(reader, gguf_path)
    dequantized = _dequantized(reader, gguf_path)
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
        "dequantized_to_f32": dequantized,
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
