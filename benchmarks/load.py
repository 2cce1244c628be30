"""Load: many websocket clients through one Jupyter server to one remote inference server.

Starts ``jupyter spark serve`` with the default model (the shared backend) and a ``jupyter
lab`` whose extension uses it (``SparkExtension.backend = "remote"``), then N clients (default
20) connect to ``spark/ws`` at once and each sends a series of completions, one after the other,
like users typing in different notebooks. Reports time to first chunk (or to ``done`` when the
answer has no chunk) p50/p95, total time, and errors; a 1-client run first gives the baseline.

    python benchmarks/load.py [--clients 20] [--requests 8]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

from common import REPO_ROOT, RESULTS_DIR, fmt, percentile, table, write_json

sys.path.insert(0, str(REPO_ROOT / "tests"))
from labserver import LabServer, ServeProcess

# Prefixes the clients type (each client shifts its start so their prompts differ).
PREFIXES = [
    "import pandas as pd\ndf = pd.read_csv('sales.csv')\ndf.",
    "def mean(values):\n    return sum(values) /",
    "import numpy as np\nx = np.linspace(0, 1, 100)\ny = np.",
    "for i, row in enumerate(rows):\n    print(i,",
    "with open('data.txt') as f:\n    lines = f.",
    "import matplotlib.pyplot as plt\nplt.plot(x, y)\nplt.",
    "counts = {}\nfor word in words:\n    counts[word] =",
    "class Point:\n    def __init__(self, x, y):\n        self.x =",
]


async def client(url: str, token: str, n: int, offset: int) -> list[dict]:
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    req = HTTPRequest(url, headers={"Authorization": f"token {token}"})
    ws = await websocket_connect(req)
    out = []
    try:
        for i in range(n):
            prefix = PREFIXES[(offset + i) % len(PREFIXES)] + " " * (offset % 3)
            rid = f"c{offset}-{i}"
            t0 = time.perf_counter()
            ws.write_message(
                json.dumps({"type": "complete", "id": rid, "prefix": prefix, "max_tokens": 24})
            )
            first = None
            while True:
                msg = await asyncio.wait_for(ws.read_message(), 60)
                if msg is None:
                    raise ConnectionError("websocket closed")
                m = json.loads(msg)
                if m.get("id") != rid:
                    continue
                if first is None and m["type"] in ("chunk", "done", "error"):
                    first = (time.perf_counter() - t0) * 1000
                if m["type"] in ("done", "error"):
                    out.append(
                        {
                            "first_ms": first,
                            "total_ms": (time.perf_counter() - t0) * 1000,
                            "error": m.get("code") if m["type"] == "error" else None,
                        }
                    )
                    break
    finally:
        ws.close()
    return out


async def run(url: str, token: str, clients: int, requests: int) -> tuple[list[dict], float]:
    t0 = time.perf_counter()
    results = await asyncio.gather(
        *(client(url, token, requests, k) for k in range(clients)), return_exceptions=True
    )
    wall = time.perf_counter() - t0
    flat: list[dict] = []
    for r in results:
        if isinstance(r, BaseException):
            flat.append({"first_ms": None, "total_ms": None, "error": type(r).__name__})
        else:
            flat.extend(r)
    return flat, wall


def row(label: str, rs: list[dict], wall: float) -> list[str]:
    ok = [r for r in rs if not r["error"]]
    first = [r["first_ms"] for r in ok]
    total = [r["total_ms"] for r in ok]
    return [
        label,
        str(len(rs)),
        str(len(rs) - len(ok)),
        fmt(percentile(first, 50)),
        fmt(percentile(first, 95)),
        fmt(percentile(total, 50)),
        fmt(len(ok) / wall),
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--requests", type=int, default=8, help="completions per client")
    ap.add_argument("--model", default=None, help="model for the inference server")
    args = ap.parse_args()
    backend = ServeProcess(args.model).start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            extra = (
                "--SparkExtension.backend=remote",
                f"--SparkExtension.remote_url={backend.url}",
                f"--SparkExtension.remote_max_concurrent={args.clients}",
            )
            with LabServer(Path(tmp), extra_args=extra) as lab:
                url = lab.url.replace("http", "ws", 1) + "spark/ws"
                base, wall1 = asyncio.run(run(url, lab.token, 1, args.requests))
                load, wall = asyncio.run(run(url, lab.token, args.clients, args.requests))
                status = lab.get("spark/status")
    finally:
        backend.stop()
    print(
        f"Load: websocket clients -> one Jupyter server -> one remote backend "
        f"(jupyter spark serve, {status.get('model')}), {args.requests} completions per client"
    )
    print(
        table(
            ["clients", "requests", "errors", "first p50 ms", "first p95 ms", "total p50 ms",
             "req/s"],
            [row("1", base, wall1), row(str(args.clients), load, wall)],
        )
    )  # fmt: skip
    print(f"backend health after the run: {status.get('backend')}")
    write_json(
        RESULTS_DIR / "load.json",
        {"baseline": base, "load": load, "backend": status.get("backend")},
    )


if __name__ == "__main__":
    main()
