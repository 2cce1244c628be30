"""A model ready to load (``ModelInfo``) and what ``jupyter spark model info`` shows of one:
architecture, context length, FIM support, tensor types, and for a GGUF why it cannot run."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ModelError
from .validate import check_gguf_header, check_gguf_runnable


@dataclass(frozen=True)
class ModelInfo:
    """A model ready to load: where its graph and tokenizer are and where it came from.

    ``manifest`` is None for a user's ONNX export used in place (we did not build it).
    """

    name: str
    path: Path
    onnx_path: Path
    tokenizer_path: Path
    manifest: dict[str, Any] | None
    source: str

    @property
    def size_bytes(self) -> int:
        """Bytes on disk of the model's files (the manifest's list, or the export dir's files)."""
        if self.manifest is not None:
            return sum(int(s) for s in self.manifest.get("files", {}).values())
        return sum(p.stat().st_size for p in self.path.rglob("*") if p.is_file())


def gguf_facts(path: Path) -> dict[str, Any]:
    """What ``jupyter spark model info`` shows of a GGUF file without converting it, with
    ``refused``: why it cannot run here (None if it can). Raises for an unreadable file."""
    from ..metadata import ModelMetadata

    check_gguf_header(path)
    meta = ModelMetadata.from_gguf(path)
    try:
        check_gguf_runnable(path)
        refused = None
    except ModelError as e:
        refused = e.problem
    return {
        **_metadata_facts(meta),
        "quantization": dict(meta.tensor_types),
        "size_bytes": path.stat().st_size,
        "refused": refused,
    }


def model_facts(info: ModelInfo) -> dict[str, Any]:
    """Architecture, context length, FIM support and tensor types of a cached model or ONNX
    export, from its spark_model.json or HF files ("?" where they do not say)."""
    from ..metadata import ModelMetadata

    try:
        meta = ModelMetadata.load(info.path)
    except ModelError:
        return {"architecture": "?", "context_length": None, "fim": None, "quantization": {}}
    quant = (info.manifest or {}).get("quantization") or dict(meta.tensor_types)
    return {**_metadata_facts(meta), "quantization": quant}


def _metadata_facts(meta: Any) -> dict[str, Any]:
    return {
        "architecture": meta.architecture or "?",
        "context_length": meta.context_length,
        "fim": meta.fim_ids is not None,
    }
