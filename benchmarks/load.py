"""Load: many websocket clients through one Jupyter server, with and without a client sending
frames of the maximum size at the same time.

A real `jupyter server` with the extension (default: the embedded engine, the default model;
``--backend remote``: a ``jupyter spark serve`` behind it). N clients (default 20) connect to
``spark/ws`` at once and each sends R completions (default 30) one after the other, like users
typing in different notebooks; a 1-client run first gives the baseline. The 20-client run is
then repeated with one more client that, all the while, sends frames just under
``SparkExtension.max_message_bytes`` in turn: a sync of a notebook of that size (new cell text
each time, so it is read, validated and analysed anew) and a completion whose prefix is that
size, asking for a 64-token prompt (``context_budget``; ``--big-budget server`` for the
server's 1,024): the load it adds is its frames, not a long prefill that the one inference
thread would serve while the others wait. Runs without and with the big client alternate
(``--rounds``, default 1 each: 600 + 600 requests, ~4 min on 2 cores).

Reports, per run: time to the first reply of a request (first chunk, or done) p50/p95, total
time, errors; the others' first-reply p95 with the big client over without (target <= 1.2x);
and `spark/status`'s TTFT p50/p95 against the clients' own first-reply times for the same
requests (its window: the last 200 finished; target within 10 %).

    python benchmarks/load.py [--clients 20] [--requests 30] [--rounds 1] [--backend remote]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from typing import Any

from common import REPO_ROOT, RESULTS_DIR, fmt, table, write_json
from e2e_ws import Server, http

sys.path.insert(0, str(REPO_ROOT / "tests"))
from labserver import ServeProcess

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
MAX_MESSAGE_BYTES = 4 * 1024 * 1024  # SparkExtension.max_message_bytes' default
STATUS_WINDOW = 200  # service.LATENCY_WINDOW: spark/status' percentiles are over these
P95_TARGET, STATUS_TARGET = 1.2, 0.10


async def connect(server: Server):
    return await server.spark_ws()


async def request(ws, rid: str, msg: dict) -> dict:
    """Send ``msg`` and read until its done/error: first reply, total, when it ended."""
    t0 = time.perf_counter()
    ws.write_message(json.dumps(msg))
    first = None
    while True:
        raw = await asyncio.wait_for(ws.read_message(), 300)
        if raw is None:
            raise ConnectionError("websocket closed")
        m = json.loads(raw)
        if m.get("id") != rid:
            continue
        now = time.perf_counter()
        if first is None and m["type"] in ("chunk", "done", "error"):
            first = (now - t0) * 1000
        if m["type"] in ("done", "error"):
            return {
                "first_ms": first,
                "total_ms": (now - t0) * 1000,
                "ended": now,
                "error": m.get("code") if m["type"] == "error" else None,
                "queue_ms": (m.get("stats") or {}).get("queue_ms"),
            }


async def client(server: Server, n: int, offset: int, max_tokens: int) -> list[dict]:
    ws = await connect(server)
    out = []
    try:
        for i in range(n):
            prefix = PREFIXES[(offset + i) % len(PREFIXES)] + " " * (offset % 3)
            rid = f"c{offset}-{i}"
            msg = {"type": "complete", "id": rid, "prefix": prefix, "max_tokens": max_tokens}
            out.append(await request(ws, rid, msg))
    finally:
        ws.close()
    return out


def _pad_to(msg: dict, key: str, size: int) -> str:
    """``msg`` as a frame of exactly ``size`` bytes, its ``key`` text grown at its start."""
    frame = json.dumps(msg)
    msg[key] = "#" * (size - len(frame)) + msg[key]
    frame = json.dumps(msg)
    assert len(frame.encode()) == size, (len(frame), size)
    return frame


def big_frames(k: int, size: int, budget: int | None) -> tuple[str, str]:
    """Round ``k``'s two frames, each ``size`` bytes: a sync of a notebook of new cells and a
    completion with a huge prefix (its prompt cut to ``budget`` tokens; None: the server's)."""
    source = f"value_{k} = compute({k}, 'x' * 40)  # round {k}\n" * 24
    sync: dict[str, Any] = {"type": "sync", "path": "big.ipynb", "cells": []}
    per_cell = len(json.dumps({"id": "c00000", "cell_type": "code", "source": source})) + 2
    n = (size - len(json.dumps(sync)) - 2 * per_cell) // per_cell
    sync["cells"] = [{"id": f"c{i:05d}", "cell_type": "code", "source": source} for i in range(n)]
    frame = json.dumps(sync)
    sync["cells"][-1]["source"] += "#" * (size - len(frame))
    sync_frame = json.dumps(sync)
    assert len(sync_frame.encode()) == size, (len(sync_frame), size)
    tail = "\n" + "x = 1\n" * 200 + "def total(values):\n    return sum("
    complete = {"type": "complete", "id": f"big-{k}", "prefix": f"# {k}\n{tail}", "max_tokens": 4}
    if budget is not None:
        complete["context_budget"] = budget
    return sync_frame, _pad_to(complete, "prefix", size)


async def big_client(server: Server, stop: asyncio.Event, size: int, budget: int | None) -> dict:
    """Max-size frames, one round (sync + complete) after another, until ``stop``."""
    ws = await connect(server)
    rounds, sent, results = 0, 0, []
    try:
        while not stop.is_set():
            sync, complete = big_frames(rounds, size, budget)
            ws.write_message(sync)
            results.append(await request(ws, f"big-{rounds}", json.loads(complete)))
            rounds += 1
            sent += len(sync) + len(complete)
    finally:
        ws.close()
    return {"rounds": rounds, "bytes": sent, "results": results}


async def run(
    server: Server,
    clients: int,
    requests: int,
    max_tokens: int,
    big: int | None = None,
    big_budget: int | None = None,
) -> dict[str, Any]:
    stop = asyncio.Event()
    big_task = None
    if big:
        big_task = asyncio.ensure_future(big_client(server, stop, big, big_budget))
    if big_task is not None:
        await asyncio.sleep(0.5)  # its first frames are in flight before the others start
    t0 = time.perf_counter()
    results = await asyncio.gather(
        *(client(server, requests, k, max_tokens) for k in range(clients)),
        return_exceptions=True,
    )
    wall = time.perf_counter() - t0
    stop.set()
    big_out = await big_task if big_task is not None else None
    await asyncio.sleep(0.2)
    status = http(server.base + "spark/status", server.token)["latency"]
    flat: list[dict] = []
    for r in results:
        if isinstance(r, BaseException):
            flat.append({"first_ms": None, "total_ms": None, "ended": 0, "error": repr(r)})
        else:
            flat.extend(r)
    return {"results": flat, "wall": wall, "status": status, "big": big_out}


def nearest_rank(values: list[float]) -> tuple[float, float]:
    """p50/p95 the way spark/status computes them (median; the 95 % rank, rounded down)."""
    xs = sorted(values)
    return statistics.median(xs), xs[min(len(xs) - 1, int(0.95 * len(xs)))]


def pooled(runs: list[dict]) -> list[dict]:
    return [r for run in runs for r in run["results"]]


def row(label: str, runs: list[dict]) -> list[str]:
    rs = pooled(runs)
    ok = [r for r in rs if not r["error"]]
    first = [r["first_ms"] for r in ok]
    total = [r["total_ms"] for r in ok]
    p50, p95 = nearest_rank(first) if first else (None, None)
    return [
        label,
        str(len(rs)),
        str(len(rs) - len(ok)),
        fmt(p50),
        fmt(p95),
        fmt(statistics.median(total) if total else None),
        fmt(len(ok) / sum(run["wall"] for run in runs)),
    ]


def status_rows(label: str, run: dict) -> list[list[str]]:
    """spark/status' TTFT against the clients' first replies of the same (last 200) requests."""
    done = [r for r in run["results"] if not r["error"] and r["first_ms"] is not None]
    if run["big"]:
        done += [r for r in run["big"]["results"] if not r["error"]]
    last = sorted(done, key=lambda r: r["ended"])[-STATUS_WINDOW:]
    mine = nearest_rank([r["first_ms"] for r in last])
    theirs = (run["status"]["ttft_ms"]["p50"], run["status"]["ttft_ms"]["p95"])
    out = []
    for name, c, s in (("p50", mine[0], theirs[0]), ("p95", mine[1], theirs[1])):
        diff = (s - c) / c if c and s is not None else float("nan")
        verdict = "PASS" if abs(diff) <= STATUS_TARGET else "FAIL"
        out.append([label, name, fmt(c), fmt(s), f"{100 * diff:+.1f} %", verdict])
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--requests", type=int, default=30, help="completions per client")
    ap.add_argument("--max-tokens", type=int, default=8, help="per completion")
    ap.add_argument(
        "--big-budget",
        default="64",
        help="context_budget of the big client's completions: its prompt's tokens (default 64, "
        "so it adds its frames, not a long prefill); 'server' for the server's (1,024)",
    )
    ap.add_argument("--rounds", type=int, default=1, help="runs without and with the big client")
    ap.add_argument("--backend", choices=("embedded", "remote"), default="embedded")
    ap.add_argument("--model", default=None, help="model (default: the default model)")
    args = ap.parse_args()
    big_size = MAX_MESSAGE_BYTES - 64  # just under the limit
    big_budget = None if args.big_budget == "server" else int(args.big_budget)
    backend = ServeProcess(args.model).start() if args.backend == "remote" else None
    extra = []
    if backend is not None:
        extra = [
            "--SparkExtension.backend=remote",
            f"--SparkExtension.remote_url={backend.url}",
            f"--SparkExtension.remote_max_concurrent={args.clients + 1}",
        ]
    server = Server(None if backend else args.model, *extra)
    quiet: list[dict] = []
    loud: list[dict] = []

    async def bench() -> dict:
        await server.ready()
        base = await run(server, 1, min(args.requests, 10), args.max_tokens)
        for i in range(args.rounds):
            print(f"round {i + 1}/{args.rounds}: {args.clients} clients", flush=True)
            quiet.append(await run(server, args.clients, args.requests, args.max_tokens))
            print(f"round {i + 1}/{args.rounds}: {args.clients} clients + big", flush=True)
            loud.append(
                await run(
                    server, args.clients, args.requests, args.max_tokens, big_size, big_budget
                )
            )
        return base

    try:
        base = asyncio.run(bench())
        model = http(server.base + "spark/status", server.token).get("model")
    finally:
        server.stop()
        if backend is not None:
            backend.stop()

    big_rounds = sum(r["big"]["rounds"] for r in loud)
    big_mb = sum(r["big"]["bytes"] for r in loud) / 1e6
    print(
        f"\nLoad: {args.clients} websocket clients x {args.requests} completions "
        f"({args.max_tokens} tokens) -> one Jupyter server ({args.backend}, {model}); "
        f"{args.rounds} runs each without and with a client sending {big_size:,}-byte frames "
        f"({2 * big_rounds} frames, {big_mb:.0f} MB in all)"
    )
    print(
        table(
            ["run", "requests", "errors", "first p50 ms", "first p95 ms", "total p50 ms",
             "req/s"],
            [row("1 client", [base]), row(f"{args.clients} clients", quiet),
             row(f"{args.clients} clients + big frames", loud)],
        )
    )  # fmt: skip
    (q50, q95), (l50, l95) = (
        nearest_rank([r["first_ms"] for r in pooled(x) if not r["error"]]) for x in (quiet, loud)
    )
    ratio = l95 / q95
    verdict = "PASS" if ratio <= P95_TARGET else "FAIL: off target"
    print(
        f"\nthe {args.clients} clients' first-reply p95 with the big client / without: "
        f"{l95:.0f} / {q95:.0f} ms = {ratio:.2f}x (target <= {P95_TARGET}x) {verdict}; "
        f"p50 {l50:.0f} / {q50:.0f} ms = {l50 / q50:.2f}x"
    )
    big_first = [r["first_ms"] for run in loud for r in run["big"]["results"] if not r["error"]]
    if big_first:
        print(
            f"the big client: {big_rounds} rounds of a sync and a completion, its completions' "
            f"first reply p50 {statistics.median(big_first):.0f} ms"
        )
    rows = []
    for i, (q, lo) in enumerate(zip(quiet, loud, strict=True), start=1):
        rows += status_rows(f"run {i}", q) + status_rows(f"run {i} + big", lo)
    print(
        f"\nspark/status TTFT vs the clients' first reply, the last {STATUS_WINDOW} requests "
        f"of each run (target within {100 * STATUS_TARGET:.0f} %)"
    )
    print(table(["run", "", "clients ms", "status ms", "status - clients", ""], rows))
    failed = sum(r[-1] == "FAIL" for r in rows)
    if failed:
        print(f"{failed} of {len(rows)} status figures are off target")
    write_json(
        RESULTS_DIR / "load.json",
        {
            "backend": args.backend,
            "baseline": base["results"],
            "without_big": [r["results"] for r in quiet],
            "with_big": [r["results"] for r in loud],
            "status": {"without_big": [r["status"] for r in quiet],
                       "with_big": [r["status"] for r in loud]},
            "p95_ratio": ratio,
        },
    )  # fmt: skip


if __name__ == "__main__":
    main()
