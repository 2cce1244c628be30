"""End-to-end time to first chunk through the websocket, as a JupyterLab client would see it.

Starts a real `jupyter server` with the extension and the default model, starts a real kernel
and runs a cell that builds a DataFrame in it, syncs a notebook once, then replays typing of a
new cell character by character: per keystroke a `sync` change for the current cell and a
`complete` (without cells: the server's synced copy is used). Measures from sending `complete`
to the first `chunk` (or the `done`, if the completion is empty).

Then the moment after running a cell: a cell that defines a new variable runs (the kernel block
at the top of the prompt changes), a new cell becomes the active one, the user pauses
(THINK_S), then types its first character. Rounds alternate between two servers in the same
run, one with SparkExtension.warm_ahead (the client sends `warm` for the new cell, as the
JupyterLab frontend does, and the server re-warms after the kernel's refresh) and one without.
Prints a table and writes benchmarks/results/e2e_ws.json.

    python benchmarks/e2e_ws.py [--model PATH] [--keystrokes N] [--rounds N]
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
# The user's pause between running a cell and typing in the next one (s).
THINK_S = 2.0

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
    content = await execute(base_ws, token, kernel_id, code)
    assert content["status"] == "ok", content


async def execute(
    base_ws: str, token: str, kernel_id: str, code: str, timeout: float = 60, **options: bool
) -> dict:
    """Execute ``code`` as the notebook does; the execute_reply's content (status, ename...).

    ``options``: execute_request flags (``silent``, ``store_history``)."""
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
                    "silent": options.get("silent", False),
                    "store_history": options.get("store_history", True),
                    "user_expressions": {},
                    "allow_stdin": False,
                },
            }
        )
    )
    try:
        while True:
            m = json.loads(await asyncio.wait_for(ws.read_message(), timeout))
            if m.get("msg_type") == "execute_reply" and m["parent_header"].get("msg_id") == msg_id:
                return m["content"]
    finally:
        ws.close()


class Server:
    """A real `jupyter server` with the extension, on a free port, until ``stop()``."""

    def __init__(self, model: str | None, *extra: str, root: str | None = None) -> None:
        port, self.token = free_port(), secrets.token_hex(16)
        cmd = [
            sys.executable,
            "-m",
            "jupyter_server",
            "--no-browser",
            "--allow-root",
            f"--port={port}",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={root or tempfile.mkdtemp()}",
            "--ServerApp.jpserver_extensions={'jupyter_spark': True}",
            *extra,
        ]
        if model:
            cmd.append(f"--SparkExtension.model={model}")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.base = f"http://127.0.0.1:{port}/"
        self.base_ws = f"ws://127.0.0.1:{port}/"

    async def ready(self) -> None:
        t0 = time.monotonic()
        while True:
            try:
                status = http(self.base + "spark/status", self.token)
                if status["state"] in ("ready", "error"):
                    break
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError(
                        f"jupyter server exited with {self.proc.returncode}"
                    ) from None
            if time.monotonic() - t0 > 600:
                raise TimeoutError("server did not become ready")
            await asyncio.sleep(0.2)
        assert status["state"] == "ready", status

    async def kernel_with_setup(self) -> str:
        kernel_id = http(self.base + "api/kernels", self.token, "POST", {"name": "python3"})["id"]
        for code in SETUP_CELLS:
            await run_cell(self.base_ws, self.token, kernel_id, code)
        await asyncio.sleep(1.0)  # the kernel-state snapshot is taken after executions
        return kernel_id

    async def spark_ws(self):
        ws = await websocket_connect(
            HTTPRequest(self.base_ws + "spark/ws", headers={"Authorization": f"token {self.token}"})
        )
        ws.stream.set_nodelay(True)  # as browsers do
        return ws

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


async def first_chunk(ws, rid: str, message: dict) -> tuple[float, dict]:
    """Send ``message`` (a complete) and wait for its end: (ms to first chunk or done, done)."""
    sent = time.perf_counter()
    ws.write_message(json.dumps({**message, "id": rid}))
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
    return first, m


async def after_run(server: Server, kernel_id: str, ws, rnd: int, warm: bool) -> dict:
    """Run a cell that adds a variable, move to a new cell, pause, type its first character."""
    path, cell = "after.ipynb", f"new{rnd}"
    await run_cell(server.base_ws, server.token, kernel_id, f"units_{rnd} = list(range({rnd}))")
    cells = [{"id": f"c{i}", "cell_type": "code", "source": s} for i, s in enumerate(SETUP_CELLS)]
    cells += [{"id": cell, "cell_type": "code", "source": ""}]
    ws.write_message(json.dumps({"type": "sync", "path": path, "cells": cells}))
    req = {"path": path, "cell_id": cell, "kernel_id": kernel_id, "suffix": ""}
    if warm:  # what the frontend sends when the active cell changes
        ws.write_message(json.dumps({"type": "warm", "id": f"w{rnd}", "prefix": "", **req}))
    await asyncio.sleep(THINK_S)
    ms, done = await first_chunk(ws, f"a{rnd}", {"type": "complete", "prefix": "t", **req})
    return {"first_ms": ms, **done["stats"]}


async def replay(
    ws, kernel_id: str, keystrokes: int, tag: str, grounding: bool | None
) -> tuple[list[float], dict[str, list[float]], int]:
    """Type TYPED into the current cell: (ms to first chunk per keystroke, by kind, grounded)."""
    ttfc: list[float] = []
    kinds: dict[str, list[float]] = {"model": [], "typed_through": []}
    grounded = 0
    extra = {} if grounding is None else {"grounding": grounding}
    for i in range(1, min(keystrokes, len(TYPED)) + 1):
        prefix = TYPED[:i]
        change = {
            "type": "sync",
            "path": "bench.ipynb",
            "changes": [{"id": "cur", "source": prefix}],
        }
        ws.write_message(json.dumps(change))
        first, m = await first_chunk(
            ws,
            f"{tag}{i}",
            {
                "type": "complete",
                "prefix": prefix,
                "suffix": "",
                "path": "bench.ipynb",
                "cell_id": "cur",
                "kernel_id": kernel_id,
                **extra,
            },
        )
        ttfc.append(first)
        kind = "typed_through" if m["stats"]["stop_reason"] == "typed_through" else "model"
        kinds[kind].append(first)
        grounded += bool(m["stats"].get("grounded"))
    return ttfc, kinds, grounded


async def bench(args: argparse.Namespace) -> dict:
    main_server = Server(args.model)
    cold_server = Server(args.model, "--SparkExtension.warm_ahead=False")
    server = main_server  # the keystroke replay runs on it
    try:
        await main_server.ready()
        await cold_server.ready()
        kernel_id = await server.kernel_with_setup()
        ws = await server.spark_ws()
        cells = [
            {"id": f"c{i}", "cell_type": "code", "source": s} for i, s in enumerate(SETUP_CELLS)
        ] + [{"id": "cur", "cell_type": "code", "source": ""}]
        ws.write_message(json.dumps({"type": "sync", "path": "bench.ipynb", "cells": cells}))
        ttfc, kinds, _ = await replay(ws, kernel_id, args.keystrokes, "r", None)
        # Grounding on vs off (the request's `grounding` field), alternating whole replays of
        # the same typing on the same server: what grounding costs a keystroke.
        ab: dict[str, list[float]] = {"on": [], "off": []}
        grounded_keys = 0
        for rnd in range(4):
            side = "off" if rnd % 2 == 0 else "on"
            _, k, g = await replay(ws, kernel_id, args.keystrokes, f"{side}{rnd}-", side == "on")
            ab[side].extend(k["model"])
            grounded_keys += g if side == "on" else 0
        ws.close()
        status = http(server.base + "spark/status", server.token)

        # After a cell run: warm-ahead on and off, alternating rounds, one server each.
        sides = {}
        for name, srv in (("warm", main_server), ("cold", cold_server)):
            kid = kernel_id if srv is main_server else await srv.kernel_with_setup()
            sides[name] = (srv, kid, await srv.spark_ws(), [])
        for rnd in range(args.rounds):
            for name in ("warm", "cold") if rnd % 2 == 0 else ("cold", "warm"):
                srv, kid, sws, out = sides[name]
                out.append(await after_run(srv, kid, sws, rnd, warm=name == "warm"))
        after = {name: side[3] for name, side in sides.items()}
    finally:
        main_server.stop()
        cold_server.stop()
    return {
        "after_run": after,
        "keystrokes": len(ttfc),
        "ttfc_p50_ms": statistics.median(ttfc),
        "ttfc_p95_ms": common.percentile(ttfc, 95),
        "model_p50_ms": statistics.median(kinds["model"]) if kinds["model"] else None,
        "model_p95_ms": common.percentile(kinds["model"], 95) if kinds["model"] else None,
        "model_requests": len(kinds["model"]),
        "typed_through_requests": len(kinds["typed_through"]),
        "server_status_latency": status["latency"],
        "grounding_ab": {
            side: {"p50": statistics.median(v), "n": len(v)} for side, v in ab.items() if v
        },
        "grounded_keystrokes": grounded_keys // 2,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=None, help="model dir/GGUF (default: the default model)")
    ap.add_argument("--keystrokes", type=int, default=len(TYPED))
    ap.add_argument("--rounds", type=int, default=6, help="cell runs per side (warm / cold)")
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
    ab = r["grounding_ab"]
    print(
        "\nGrounding on vs off, whole replays alternating on one server (model-path keystrokes; "
        f"{r['grounded_keystrokes']} of {r['keystrokes']} keystrokes were grounded sites)"
    )
    print(
        common.table(
            ["grounding", "first chunk p50 ms", "keystrokes"],
            [[side, f"{ab[side]['p50']:.2f}", str(ab[side]["n"])] for side in ("off", "on")],
        )
    )
    print(
        f"\nFirst keystroke in a new cell, {THINK_S:.0f} s after running a cell that adds a "
        f"variable ({args.rounds} rounds each, alternating)"
    )
    head = ["SparkExtension.warm_ahead", "first chunk p50 ms", "max ms", "prefilled p50 tokens"]
    table_rows = []
    for name, label in (("cold", "off"), ("warm", "on (default)")):
        out = r["after_run"][name]
        first = [o["first_ms"] for o in out]
        fresh = [o["prompt_tokens"] - o["cached_tokens"] for o in out]
        table_rows.append(
            [label, f"{statistics.median(first):.1f}", f"{max(first):.1f}",
             f"{statistics.median(fresh):.0f}"]
        )  # fmt: skip
    print(common.table(head, table_rows))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(r, indent=1))


if __name__ == "__main__":
    main()
