"""Keystroke to ghost text in a real browser: JupyterLab + the extension + the default model.

Starts ``jupyter lab`` (tests/labserver.py), opens a notebook whose first cell builds a
DataFrame, and has Playwright (Debian's chromium) type one line into the next cell at a human
pace (labextension/ui-tests/latency.bench.ts). Per keystroke it measures the time from the key
event to ghost text on screen, split into keystrokes that typed through a suggestion already
shown and keystrokes that needed a new one. Target: p50 well under 100 ms on screen (the model's
first token is the floor; see latency.py).

Then (labextension/ui-tests/accept.bench.ts), per block header in its own cell: Enter after the
header -> ghost text on the fresh line (no Alt-\\), and, once that suggestion is accepted with
Tab, Enter again -> the next suggestion; both with the `prefetch` setting on (once a suggestion
is taken whole the server generates what follows it, and the request after Enter streams from
that: engine/ahead.py) and off, in the same run (on/off/off/on).

    python benchmarks/browser.py [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from common import REPO_ROOT, RESULTS_DIR, fmt, percentile, table, write_json

sys.path.insert(0, str(REPO_ROOT / "tests"))
from labserver import LabServer, write_notebook

LABEXT = REPO_ROOT / "labextension"
SETUP = (
    "import pandas as pd\n"
    'sales = pd.DataFrame({"city": ["Paris", "Oslo", "Lima"], "units": [3, 4, 1]})'
)
# Typed one per cell after SETUP: pandas idioms, plain Python, a function header.
LINES = [
    'by_city = sales.groupby("city")["units"].sum()',
    "for i in range(len(sales)):",
    'total_units = sales["units"].sum()',
    "def mean(values):",
    "import numpy as np",
    "print(sales.head())",
]
# Typed one per cell, then Enter: the fresh line inside each block gets a suggestion.
HEADERS = [
    "def total_sales(df):",
    "def mean_price(df):",
    "def summarize(df):",
    'for city, group in sales.groupby("city"):',
    "def load(path):",
    "def top_cities(df, n):",
]


def _latency_row(label: str, n: int, ms: list[float]) -> list[str]:
    """A table row: the case, how many were tried, how many showed no ghost text, p50, p95."""
    return [
        label,
        str(n),
        str(n - len(ms)),
        fmt(percentile(ms, 50)) if ms else "-",
        fmt(percentile(ms, 95)) if ms else "-",
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--json", action="store_true", help="also print the raw samples as JSON")
    args = ap.parse_args()
    npx = shutil.which("npx")
    chromium = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    if npx is None or not Path(chromium).exists():
        sys.exit("needs node (npx) and chromium (apt-get install chromium)")
    with tempfile.TemporaryDirectory() as tmp, LabServer(Path(tmp)) as lab:
        cells = [SETUP, *[""] * (len(LINES) + 2 * len(HEADERS))]
        write_notebook(lab.root / "bench.ipynb", cells)
        out = Path(tmp) / "samples.json"
        accept_out = Path(tmp) / "accept.json"
        run = subprocess.run(
            [npx, "playwright", "test", "--config", "ui-tests/playwright.config.ts"],
            cwd=LABEXT,
            env={
                **lab.env,
                "SPARK_LAB_URL": lab.url,
                "SPARK_TOKEN": lab.token,
                "SPARK_TEST_MATCH": "{accept,latency}.bench.ts",
                "SPARK_BENCH_LINES": json.dumps(LINES),
                "SPARK_BENCH_OUT": str(out),
                "SPARK_BENCH_HEADERS": json.dumps(HEADERS),
                "SPARK_ACCEPT_OUT": str(accept_out),
                "SPARK_ACCEPT_FIRST_CELL": str(1 + len(LINES)),
                "SPARK_ARTIFACTS": str(RESULTS_DIR / "browser-artifacts"),
                "CHROMIUM": chromium,
            },
            capture_output=True,
            text=True,
            timeout=1200,
        )
        if run.returncode != 0 or not out.exists() or not accept_out.exists():
            sys.exit(f"browser run failed:\n{run.stdout[-3000:]}\n{run.stderr[-2000:]}")
        data = json.loads(out.read_text())
        accept = json.loads(accept_out.read_text())
        status = lab.get("spark/status")
    samples = data["samples"]
    rows: list[list[str]] = []
    for label, group in (
        ("all keystrokes", samples),
        ("typed through a shown suggestion", [s for s in samples if s["before"]]),
        ("needed a new suggestion", [s for s in samples if not s["before"]]),
    ):
        ms = [s["ms"] for s in group if s["ms"] is not None]
        rows.append(_latency_row(label, len(group), ms))
    chars = sum(len(line) for line in data["lines"])
    print(
        f"Browser: keystroke to ghost text on screen ({chars} characters in {len(LINES)} cells, "
        f"{data['keyIntervalMs']} ms apart)"
    )
    print(table(["keystrokes", "n", "no ghost", "p50 ms", "p95 ms"], rows))
    rows = []
    for label, key, prefetch in (
        ("Enter -> fresh-line ghost text, prefetch on", "freshMs", True),
        ("Enter -> fresh-line ghost text, prefetch off", "freshMs", False),
        ("Tab, Enter -> next suggestion, prefetch on", "afterAcceptMs", True),
        ("Tab, Enter -> next suggestion, prefetch off", "afterAcceptMs", False),
    ):
        group = [r for r in accept["results"] if r["prefetch"] is prefetch]
        if key == "afterAcceptMs":
            group = [r for r in group if r["accepted"]]
        ms = [r[key] for r in group if r[key] is not None]
        rows.append(_latency_row(label, len(group), ms))
    print(
        f"\nBrowser: a fresh line after Enter, and the next one after a Tab "
        f"({len(HEADERS)} block headers per setting, {accept['readMs']} ms read before Tab)"
    )
    print(table(["case", "n", "no ghost", "p50 ms", "p95 ms"], rows))
    on = [r for r in accept["results"] if r["prefetch"] and r["accepted"]]
    ahead = sum(1 for r in on if r.get("streamedAhead"))
    print(f"prefetch on: {ahead} of {len(on)} suggestions after a Tab came from the continuation")
    server = status.get("latency", {}).get("ttft_ms", {})
    p50, p95 = fmt(server.get("p50")), fmt(server.get("p95"))
    print(f"server TTFT over the run: p50 {p50} ms, p95 {p95} ms")
    write_json(
        RESULTS_DIR / "browser.json",
        {"samples": samples, "accept": accept["results"], "server": status.get("latency")},
    )
    if args.json:
        print(json.dumps(samples))


if __name__ == "__main__":
    main()
