"""End-to-end time to first chunk through the websocket, as a JupyterLab client would see it.

Starts a real `jupyter server` with the extension and the default model, starts a real kernel
and runs a cell that builds a DataFrame in it, syncs a notebook once, then replays typing of a
new cell character by character: per keystroke a `sync` change for the current cell and a
`complete` (without cells: the server's synced copy is used). Measures from sending `complete`
to the first `chunk` (or the `done`, if the completion is empty). Prints a table and writes
benchmarks/results/e2e_ws.json.

    python benchmarks/e2e_ws.py [--model PATH] [--keystrokes N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid

from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect

if __package__ in (None, ""):  # python benchmarks/e2e_ws.py
    import common  # type: ignore[import-not-found, no-redef]
else:  # python -m benchmarks.e2e_ws
    from . import common

TARGET_P50_MS = 15.0
RESULTS = common.RESULTS_DIR / "e2e_ws.json"

SETUP_CELLS = [
    "import numpy as np\nimport pandas as pd",
    "sales = pd.DataFrame({'unit_price': np.random.rand(100), 'quantity': np.arange(100),\n"
    "                      'region': ['north', 'south'] * 50})",
    'def revenue(df):\n    """Total revenue of a sales table."""\n'
    "    return (df['unit_price'] * df['quantity']).sum()",
]
TYPED = (
    "by_region = sales.groupby('region')['quantity'].sum()\n"
    "total = revenue(sales)\n"
    "print(f'total revenue: {total:.2f}')\n"
    "top = sales.sort_values('unit_price', ascending=False).head(10)\n"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(url: str, token: str, method: str = "GET", body: dict | None = None) -> dict:
    req = urllib.request.Request(
        url,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"token {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


async def run_cell(base_ws: str, token: str, kernel_id: str, code: str) -> None:
    """Execute ``code`` in the kernel through its channels websocket, as the notebook does."""
    ws = await websocket_connect(
        HTTPRequest(
            f"{base_ws}api/kernels/{kernel_id}/channels?session_id={uuid.uuid4().hex}",
            headers={"Authorization": f"token {token}"},
        )
    )
    msg_id = uuid.uuid4().hex
    ws.write_message(
        json.dumps(
            {
                "header": {
                    "msg_id": msg_id,
                    "msg_type": "execute_request",
                    "username": "bench",
                    "session": uuid.uuid4().hex,
                    "version": "5.3",
                    "date": "",
                },
                "parent_header": {},
                "metadata": {},
                "channel": "shell",
                "buffers": [],
                "content": {
                    "code": code,
                    "silent": False,
                    "store_history": True,
                    "user_expressions": {},
                    "allow_stdin": False,
                },
            }
        )
    )
    while True:
        m = json.loads(await asyncio.wait_for(ws.read_message(), 60))
        if m.get("msg_type") == "execute_reply" and m["parent_header"].get("msg_id") == msg_id:
            assert m["content"]["status"] == "ok", m["content"]
            break
    ws.close()


async def bench(args: argparse.Namespace) -> dict:
    port, token = free_port(), secrets.token_hex(16)
    root = tempfile.mkdtemp()
    cmd = [
        sys.executable,
        "-m",
        "jupyter_server",
        "--no-browser",
        "--allow-root",
        f"--port={port}",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        "--ServerApp.jpserver_extensions={'jupyter_spark': True}",
    ]
    if args.model:
        cmd.append(f"--SparkExtension.model={args.model}")
    server = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}/"
    base_ws = f"ws://127.0.0.1:{port}/"
    try:
        t0 = time.monotonic()
        while True:
            try:
                status = http(base + "spark/status", token)
                if status["state"] in ("ready", "error"):
                    break
            except OSError:
                if server.poll() is not None:
                    raise RuntimeError(f"jupyter server exited with {server.returncode}") from None
            if time.monotonic() - t0 > 600:
                raise TimeoutError("server did not become ready")
            await asyncio.sleep(0.2)
        assert status["state"] == "ready", status
        kernel_id = http(base + "api/kernels", token, "POST", {"name": "python3"})["id"]
        for code in SETUP_CELLS:
            await run_cell(base_ws, token, kernel_id, code)
        await asyncio.sleep(1.0)  # the kernel-state snapshot is taken after executions
        ws = await websocket_connect(
            HTTPRequest(base_ws + "spark/ws", headers={"Authorization": f"token {token}"})
        )
        ws.stream.set_nodelay(True)  # as browsers do
        cells = [
            {"id": f"c{i}", "cell_type": "code", "source": s} for i, s in enumerate(SETUP_CELLS)
        ] + [{"id": "cur", "cell_type": "code", "source": ""}]
        ws.write_message(json.dumps({"type": "sync", "path": "bench.ipynb", "cells": cells}))
        ttfc, kinds = [], {"model": [], "typed_through": []}
        n = min(args.keystrokes, len(TYPED))
        for i in range(1, n + 1):
            prefix = TYPED[:i]
            ws.write_message(
                json.dumps(
                    {
                        "type": "sync",
                        "path": "bench.ipynb",
                        "changes": [{"id": "cur", "source": prefix}],
                    }
                )
            )
            rid = f"r{i}"
            sent = time.perf_counter()
            ws.write_message(
                json.dumps(
                    {
                        "type": "complete",
                        "id": rid,
                        "prefix": prefix,
                        "suffix": "",
                        "path": "bench.ipynb",
                        "cell_id": "cur",
                        "kernel_id": kernel_id,
                    }
                )
            )
            first = None
            while True:
                m = json.loads(await asyncio.wait_for(ws.read_message(), 30))
                if m.get("id") != rid:
                    continue
                if first is None and m["type"] in ("chunk", "done", "error"):
                    first = (time.perf_counter() - sent) * 1000
                if m["type"] in ("done", "error"):
                    break
            assert m["type"] == "done", m
            ttfc.append(first)
            kind = "typed_through" if m["stats"]["stop_reason"] == "typed_through" else "model"
            kinds[kind].append(first)
        ws.close()
        status = http(base + "spark/status", token)
    finally:
        server.terminate()
        server.wait(10)
    return {
        "keystrokes": len(ttfc),
        "ttfc_p50_ms": statistics.median(ttfc),
        "ttfc_p95_ms": common.percentile(ttfc, 95),
        "model_p50_ms": statistics.median(kinds["model"]) if kinds["model"] else None,
        "model_p95_ms": common.percentile(kinds["model"], 95) if kinds["model"] else None,
        "model_requests": len(kinds["model"]),
        "typed_through_requests": len(kinds["typed_through"]),
        "server_status_latency": status["latency"],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=None, help="model dir/GGUF (default: the default model)")
    ap.add_argument("--keystrokes", type=int, default=len(TYPED))
    args = ap.parse_args()
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    r = asyncio.run(bench(args))
    rows = [
        ("keystrokes replayed", f"{r['keystrokes']}", ""),
        (
            "time to first chunk p50 (ms)",
            f"{r['ttfc_p50_ms']:.2f}",
            "PASS" if r["ttfc_p50_ms"] <= TARGET_P50_MS else "FAIL",
        ),
        ("time to first chunk p95 (ms)", f"{r['ttfc_p95_ms']:.2f}", ""),
        (
            f"  model-path requests ({r['model_requests']}) p50 (ms)",
            f"{r['model_p50_ms']:.2f}" if r["model_p50_ms"] is not None else "-",
            "",
        ),
        (
            "  model-path p95 (ms)",
            f"{r['model_p95_ms']:.2f}" if r["model_p95_ms"] is not None else "-",
            "",
        ),
        ("  typed-through requests", f"{r['typed_through_requests']}", ""),
    ]
    print(f"\nEnd-to-end websocket latency (target p50 <= {TARGET_P50_MS:.0f} ms)")
    w = max(len(a) for a, _, _ in rows)
    for a, b, c in rows:
        print(f"  {a:<{w}}  {b:>9}  {c}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(r, indent=1))


if __name__ == "__main__":
    main()
