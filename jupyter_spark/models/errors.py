"""Typed errors for everything that can go wrong with a model file or the model cache.

Every error names the file (or URL/package) it is about and says what is wrong with it in one
sentence, so the CLI, the server and the magics can show it to the user as is.
"""

from __future__ import annotations

from pathlib import Path


class ModelError(Exception):
    """A model could not be found, fetched, read, converted or loaded.

    ``source`` is the file, directory or package the problem is about; ``problem`` says what is
    wrong. ``str(err)`` is "<source>: <problem>".
    """

    code = "model_error"

    def __init__(self, source: str | Path, problem: str) -> None:
        self.source = str(source)
        self.problem = problem
        super().__init__(f"{self.source}: {problem}")


class ModelNotFound(ModelError):
    """The named model, file or directory does not exist."""

    code = "model_not_found"


class InvalidModelFile(ModelError):
    """The file exists but is not a usable model: truncated, not GGUF, malformed ONNX dir..."""

    code = "invalid_model_file"


class UnsupportedModel(ModelError):
    """A well-formed model we cannot run: another architecture or an unsupported tensor type."""

    code = "unsupported_model"


class DownloadError(ModelError):
    """Fetching the default model's wheel failed or gave the wrong bytes."""

    code = "download_failed"
