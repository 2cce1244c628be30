"""Models: finding, pulling, converting and caching the model the engine runs.

Importing this package is cheap (no onnx/numpy); conversion and ONNX checks load them lazily.
"""

from .errors import DownloadError, InvalidModelFile, ModelError, ModelNotFound, UnsupportedModel
from .pull import DEFAULT_MODEL, DefaultModelSpec
from .registry import (
    ModelInfo,
    cache_root,
    list_models,
    model_info,
    resolve_model,
    stale_reason,
)

__all__ = [
    "DEFAULT_MODEL",
    "DefaultModelSpec",
    "DownloadError",
    "InvalidModelFile",
    "ModelError",
    "ModelInfo",
    "ModelNotFound",
    "UnsupportedModel",
    "cache_root",
    "list_models",
    "model_info",
    "resolve_model",
    "stale_reason",
]
