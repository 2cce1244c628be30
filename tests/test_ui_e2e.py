"""End to end in a real browser: JupyterLab with the extension and the real default model.

This starts ``jupyter lab`` (the installed labextension and server extension, no manual step),
writes a small notebook, and runs the Playwright tests in labextension/ui-tests with Debian's
headless chromium. Screenshots of the ghost text and of the fix diff land in
tests/artifacts/ui/. The TypeScript unit tests (vitest) run here too, so the README's one test
command covers the frontend.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LABEXT = ROOT / "labextension"
ARTIFACTS = ROOT / "tests" / "artifacts" / "ui"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
IN_CI = bool(os.environ.get("CI"))

# Setup cell, an empty cell to type into, and a cell with a typo'd name (a NameError to fix).
E2E_CELLS = [
    'import pandas as pd\nsales_df = pd.DataFrame({"city": ["Paris", "Oslo"], "sales": [3, 4]})',
    "",
    "print(sales_dff.shape)",
]
# A plain file for the editor test: no notebook, no kernel.
E2E_SCRIPT = "import math\n\nradius = 2.0\n"


def _need(condition: bool, why: str) -> None:
    """Skip on a developer machine without the tool; in CI a missing tool is a failure."""
    if not condition:
        if IN_CI:
            pytest.fail(why)
        pytest.skip(why)


def _npx() -> list[str]:
    npx = shutil.which("npx")
    _need(npx is not None, "node/npx is not installed")
    _need((LABEXT / "node_modules" / ".bin" / "playwright").exists(), "run npm install in labextension/")
    return [str(npx)]


def test_typescript_unit_tests():
    proc = subprocess.run(
        [*_npx(), "vitest", "run"], cwd=LABEXT, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    assert " passed" in proc.stdout


def test_extensions_enabled_after_install():
    """A plain install enables both halves; nothing to run by hand."""
    env = {**os.environ}
    env.pop("JUPYTER_CONFIG_DIR", None)
    lab = subprocess.run(
        [sys.executable, "-m", "jupyter", "labextension", "list"],
        capture_output=True, text=True, env=env, timeout=120,
    )
    out = lab.stdout + lab.stderr
    assert "jupyter-spark-assist" in out
    line = next(ln for ln in out.splitlines() if "jupyter-spark-assist" in ln)
    assert "enabled" in line and "OK" in line
    server = subprocess.run(
        [sys.executable, "-m", "jupyter", "server", "extension", "list"],
        capture_output=True, text=True, env=env, timeout=120,
    )
    out = server.stdout + server.stderr
    assert any("jupyter_spark" in ln and "enabled" in ln for ln in out.splitlines())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, token: str) -> dict:
    req = urllib.request.Request(url, headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(req, timeout=5) as r:
        return json.loads(r.read())


def _wait_for(check, timeout: float, what: str, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"jupyter lab exited ({proc.returncode}) while waiting for {what}")
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def _write_notebook(path: Path) -> None:
    cells = [
        {"id": f"cell{i}", "cell_type": "code", "metadata": {}, "execution_count": None,
         "outputs": [], "source": src}
        for i, src in enumerate(E2E_CELLS)
    ]
    nb = {
        "cells": cells,
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                    "language": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path.write_text(json.dumps(nb))


@pytest.mark.real_model
def test_browser_ghost_text_and_fix(real_model, tmp_path):
    npx = _npx()
    _need(Path(CHROMIUM).exists(), f"chromium not found at {CHROMIUM} (apt-get install chromium)")
    root = tmp_path / "root"
    root.mkdir()
    _write_notebook(root / "e2e.ipynb")
    (root / "script.py").write_text(E2E_SCRIPT)
    # No "subscribe to news?" toast over the notebook.
    settings = tmp_path / "lab-settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')
    port, token = _free_port(), secrets.token_hex(16)
    env = {
        **os.environ,
        "JUPYTERLAB_SETTINGS_DIR": str(tmp_path / "lab-settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
    }
    cmd = [
        sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={port}",
        "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    log = (tmp_path / "lab.log").open("w")
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/"
    try:
        _wait_for(lambda: _get(base + "api/status", token) is not None, 120, "the server", proc)
        _wait_for(
            lambda: _get(base + "spark/status", token)["state"] == "ready", 300, "the model", proc
        )
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        run = subprocess.run(
            [*npx, "playwright", "test", "--config", "ui-tests/playwright.config.ts"],
            cwd=LABEXT,
            env={**env, "SPARK_LAB_URL": base, "SPARK_TOKEN": token,
                 "SPARK_ARTIFACTS": str(ARTIFACTS), "CHROMIUM": CHROMIUM},
            capture_output=True, text=True, timeout=900,
        )
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
    server_log = (tmp_path / "lab.log").read_text()[-3000:]
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-3000:] + "\n--- lab log ---\n" + server_log
    assert (ARTIFACTS / "ghost-text.png").stat().st_size > 0
    assert (ARTIFACTS / "fix-diff.png").stat().st_size > 0
