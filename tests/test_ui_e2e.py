"""End to end in a real browser: JupyterLab with the extension and the real default model.

This starts ``jupyter lab`` (the installed labextension and server extension, no manual step),
writes small notebooks, and runs the Playwright tests in labextension/ui-tests with Debian's
headless chromium (spark.spec.ts: ghost text, fixes, diagnostics; accept.spec.ts: the fresh-line
suggestion and partial accept; notebook7.spec.ts: Notebook 7, served by the same server).
Screenshots land in tests/artifacts/ui/. The TypeScript unit tests (vitest) run here too, so
the README's one test command covers the frontend.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import need
from labserver import LabServer, write_notebook

ROOT = Path(__file__).resolve().parent.parent
LABEXT = ROOT / "labextension"
ARTIFACTS = ROOT / "tests" / "artifacts" / "ui"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")

# Setup cell, an empty cell to type into, a cell with a typo'd name (a NameError to fix), and
# an empty cell for the diagnostics test.
E2E_CELLS = [
    'import pandas as pd\nsales_df = pd.DataFrame({"city": ["Paris", "Oslo"], "sales": [3, 4]})',
    "",
    "print(sales_dff.shape)",
    "",
]
# The fresh-line and partial-accept tests (accept.spec.ts): a setup cell, one empty cell each.
ACCEPT_CELLS = [E2E_CELLS[0], "", "", ""]
# A plain file for the editor test: no notebook, no kernel.
E2E_SCRIPT = "import math\n\nradius = 2.0\n"


def _npx() -> list[str]:
    npx = shutil.which("npx")
    need(npx is not None, "node/npx is not installed")
    installed = (LABEXT / "node_modules" / ".bin" / "playwright").exists()
    need(installed, "run npm install in labextension/")
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
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    out = lab.stdout + lab.stderr
    assert "jupyter-spark-assist" in out
    line = next(ln for ln in out.splitlines() if "jupyter-spark-assist" in ln)
    assert "enabled" in line and "OK" in line
    server = subprocess.run(
        [sys.executable, "-m", "jupyter", "server", "extension", "list"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    out = server.stdout + server.stderr
    assert any("jupyter_spark" in ln and "enabled" in ln for ln in out.splitlines())


@pytest.mark.real_model
def test_browser_ghost_text_and_fix(real_model, tmp_path):
    npx = _npx()
    need(Path(CHROMIUM).exists(), f"chromium not found at {CHROMIUM} (apt-get install chromium)")
    with LabServer(tmp_path) as lab:
        write_notebook(lab.root / "e2e.ipynb", E2E_CELLS)
        write_notebook(lab.root / "accept.ipynb", ACCEPT_CELLS)
        write_notebook(lab.root / "n7.ipynb", ACCEPT_CELLS[:3])
        (lab.root / "script.py").write_text(E2E_SCRIPT)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        run = subprocess.run(
            [*npx, "playwright", "test", "--config", "ui-tests/playwright.config.ts"],
            cwd=LABEXT,
            env={
                **lab.env,
                "SPARK_LAB_URL": lab.url,
                "SPARK_TOKEN": lab.token,
                "SPARK_ARTIFACTS": str(ARTIFACTS),
                "CHROMIUM": CHROMIUM,
            },
            capture_output=True,
            text=True,
            timeout=900,
        )
        server_log = lab.log_tail()
    report = run.stdout[-6000:] + run.stderr[-3000:] + "\n--- lab log ---\n" + server_log
    assert run.returncode == 0, report
    assert (ARTIFACTS / "ghost-text.png").stat().st_size > 0
    assert (ARTIFACTS / "fix-diff.png").stat().st_size > 0
    assert (ARTIFACTS / "diagnostics.png").stat().st_size > 0
    assert (ARTIFACTS / "fresh-line.png").stat().st_size > 0
    assert (ARTIFACTS / "accept-word.png").stat().st_size > 0
    assert (ARTIFACTS / "notebook7.png").stat().st_size > 0
