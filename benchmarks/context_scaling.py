"""Keystroke TTFT and the bare decoder step against context length and threads, with a roofline.

Why: what a keystroke costs grows with the context the prompt carries (attention reads the
whole KV cache every step), and project context makes prompts longer. This measures, for
each context length and thread count, what a user typing at the end of that much code sees
(TTFT of a line completion per keystroke, the model run on each one) and the bare model step,
next to the floor memory bandwidth sets: a step reads every weight once plus the KV cache, so
``bytes / bandwidth`` is as fast as it can go on this machine. The bandwidth is measured in
the same run with a STREAM-like copy (numpy, one array half per thread).

The code typed is ``argparse``'s source (stdlib, the same for everyone on a Python), cut at a
line end after the target number of tokens; the benchmark was written, like latency.py,
before any change it measures.

Run: ``python benchmarks/context_scaling.py [--model PATH] [--keystrokes 24]``.
"""

from __future__ import annotations

import argparse
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if __package__ in (None, ""):  # `python benchmarks/context_scaling.py`
    import common  # type: ignore[import-not-found, no-redef]
    import latency  # type: ignore[import-not-found, no-redef]
else:  # `python -m benchmarks.context_scaling`
    from . import common, latency

if TYPE_CHECKING:
    from jupyter_spark.engine import Engine

# Context lengths measured (tokens); lengths past the model's context are left out.
LENGTHS = (256, 1024, 2048, 4096, 8192)
THREADS = (2, 1)
# Room left in the KV buffer past the longest context: the typed characters plus a line.
HEADROOM = 160
# Targets of issue 15, printed next to the measurements.
TARGET_RATIO_4K = 1.5  # TTFT at 4k <= 1.5x TTFT at 1k
TARGET_STEP_1K_MS = 7.0
TARGET_RSS_4K_MB = 600.0
SOURCE = "argparse"
# The bandwidth probe: arrays of this size (far past the last-level cache), best of these runs.
COPY_MB = 256
COPY_RUNS = 7
STEPS = 24


def copy_bandwidth(threads: int) -> float:
    """GB/s of a STREAM-like copy (read + write counted) with ``threads`` threads."""
    n = COPY_MB * 1024 * 1024 // 4
    a = np.ones(n, np.float32)
    b = np.zeros(n, np.float32)
    parts = np.array_split(np.arange(n), threads)
    bounds = [(int(p[0]), int(p[-1]) + 1) for p in parts]

    def work(lo: int, hi: int) -> None:
        np.copyto(b[lo:hi], a[lo:hi])  # numpy releases the GIL for a plain copy

    best = float("inf")
    for _ in range(COPY_RUNS):
        ts = [threading.Thread(target=work, args=bd) for bd in bounds]
        t = time.perf_counter()
        for th in ts:
            th.start()
        for th in ts:
            th.join()
        best = min(best, time.perf_counter() - t)
    return 2 * a.nbytes / best / 1e9


def weight_bytes(onnx_path: Path) -> int:
    """Bytes of initializers one step reads: all but the embedding table's (one row is
    gathered; a tied LM head's weights are read whole) and the rotary caches (one row per
    position)."""
    import onnx

    model = onnx.load(str(onnx_path), load_external_data=False)
    gathers = ("Gather", "GatherBlockQuantized")
    gathered = {i for n in model.graph.node if n.op_type in gathers for i in n.input}
    used = {i for n in model.graph.node if n.op_type not in gathers for i in n.input}
    total = 0
    for init in model.graph.initializer:
        if (init.name in gathered and init.name not in used) or init.name.startswith("rope."):
            continue
        total += len(init.raw_data) or onnx.numpy_helper.to_array(init).nbytes
    return total


def kv_bytes(engine: Engine, tokens: int) -> int:
    """Bytes of K and V one step reads at ``tokens`` of context."""
    s = engine.session
    item = np.dtype(s.kv_dtype).itemsize
    return len(s.past_names) * s.kv_heads * s.head_dim * item * tokens


def measure(engine: Engine, src: str, length: int, keystrokes: int) -> dict[str, Any]:
    """TTFT per keystroke after ``length`` tokens of ``src``, and the bare step there."""
    pos, n = 0, 0
    for line in src.splitlines(keepends=True):
        n = len(engine.encode(src[: pos + len(line)]))
        if n > length:
            break
        pos += len(line)
    context = src[:pos]
    typed = src[pos : pos + keystrokes]
    first = latency.run_request(engine, 0, context, "")  # the cold prefill, not counted
    reqs = latency.replay(engine, context, typed, list(range(1, len(typed) + 1)))
    rss = common.rss_mb()[0]  # before raw_steps, which fills a KV slot of its own
    ids = engine.encode(context)
    return {
        "context_tokens": len(ids),
        "cold_prefill_ms": first.ttft_ms,
        "ttft_p50_ms": common.percentile([r.ttft_ms for r in reqs], 50),
        "ttft_p95_ms": common.percentile([r.ttft_ms for r in reqs], 95),
        "step_ms": latency.raw_steps(engine, ids, STEPS),
        "rss_mb": rss,
    }


DEFAULT_RESULTS = "context_scaling.json"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    common.add_engine_args(ap, DEFAULT_RESULTS)
    ap.add_argument("--keystrokes", type=int, default=24, help="characters typed per length")
    args = ap.parse_args(argv)

    import importlib
    import inspect

    from jupyter_spark.engine import EngineConfig

    info = common.machine_info()
    src = inspect.getsource(importlib.import_module(SOURCE))
    # RSS first, in a process that has held nothing else: an engine sized for 4k tokens (its
    # scratch grows with the KV buffer's capacity), after typing at the end of 4k tokens.
    cfg = EngineConfig(threads=max(THREADS), typed_through=False, max_context=4096 + HEADROOM)
    engine = common.load_engine(args.model, cfg)
    rss_4k = measure(engine, src, 4096, args.keystrokes)["rss_mb"]
    del engine
    bandwidth = {t: copy_bandwidth(t) for t in THREADS}
    results: dict[int, list[dict[str, Any]]] = {}
    meta: dict[str, Any] = {}
    for threads in THREADS:
        cfg = EngineConfig(
            threads=threads, typed_through=False, max_context=max(LENGTHS) + HEADROOM
        )
        engine = common.load_engine(args.model, cfg)  # the buffer is capped at the model's
        cap = engine.session.max_context - HEADROOM
        lengths = sorted({min(n, cap) for n in LENGTHS})
        weights = weight_bytes(engine.session.onnx_path)
        meta = {"model": engine.name, "weights_mb": weights / 1e6}
        rows = []
        for n in lengths:
            r = measure(engine, src, n, args.keystrokes)
            r["bytes_per_step"] = weights + kv_bytes(engine, r["context_tokens"])
            r["bound_ms"] = r["bytes_per_step"] / (bandwidth[threads] * 1e9) * 1000
            rows.append(r)
            print(
                f"{threads} thread(s), {r['context_tokens']} tokens: TTFT p50 "
                f"{r['ttft_p50_ms']:.1f} ms, step {r['step_ms']:.2f} ms",
                flush=True,
            )
        results[threads] = rows
        del engine

    f = common.fmt
    table = []
    for threads, rows in results.items():
        for r in rows:
            table.append(
                [
                    str(threads),
                    str(r["context_tokens"]),
                    f(r["ttft_p50_ms"]),
                    f(r["ttft_p95_ms"]),
                    f(r["step_ms"], 2),
                    f(r["bytes_per_step"] / 1e6),
                    f(r["bound_ms"], 2),
                    f"{r['step_ms'] / r['bound_ms']:.2f}x",
                    f(r["cold_prefill_ms"], 0),
                    f(r["rss_mb"]),
                ]
            )
    print()
    print(
        common.table(
            [
                "threads",
                "context",
                "TTFT p50",
                "TTFT p95",
                "step ms",
                "MB/step",
                "bound ms",
                "step/bound",
                "prefill ms",
                "proc RSS",
            ],
            table,
        )
    )
    main_rows = {r_len(r): r for r in results[max(THREADS)]}
    checks = []
    if 1024 in main_rows and 4096 in main_rows:
        ratio = main_rows[4096]["ttft_p50_ms"] / main_rows[1024]["ttft_p50_ms"]
        ok = ratio <= TARGET_RATIO_4K
        checks.append(["TTFT 4k / TTFT 1k", f"{ratio:.2f}x", f"<= {TARGET_RATIO_4K}x", _pf(ok)])
        step = main_rows[1024]["step_ms"]
        checks.append(
            [
                "step at 1k (ms)",
                f(step, 2),
                f"<= {TARGET_STEP_1K_MS:g}",
                _pf(step <= TARGET_STEP_1K_MS),
            ]
        )
        rss = rss_4k
        checks.append(
            [
                "RSS at 4k context (MB)",
                f(rss),
                f"<= {TARGET_RSS_4K_MB:g}",
                _pf(rss <= TARGET_RSS_4K_MB),
            ]
        )
    print()
    print(common.table(["check", "measured", "target", "result"], checks))
    bw = ", ".join(f"{t} thread(s) {bandwidth[t]:.1f} GB/s" for t in THREADS)
    print(
        f"\nRoofline: a step reads {meta['weights_mb']:.1f} MB of weights plus the fp32 KV "
        f"cache at its context; STREAM-like copy in this run: {bw}; 'bound ms' = bytes / that "
        f"bandwidth, 'step/bound' how far the step is from it.\n"
        f"TTFT: a line completion per keystroke typed at the end of that much {SOURCE} "
        f"source ({args.keystrokes} keystrokes, the model run on each); prefill: the cold "
        "first request at that length.\n"
        f"RSS check: an engine sized for 4k tokens (max_context {4096 + HEADROOM}), first in "
        "the process, after typing at the end of 4k tokens; 'proc RSS' is the process's, with "
        "an 8k buffer (whose scratch grows with it) and the engines before it.\n"
        f"{common.load_note(info)}"
    )
    out = args.json
    if args.model is not None and out == common.RESULTS_DIR / DEFAULT_RESULTS:
        out = out.with_name(f"context_scaling-{meta['model']}.json")
    common.write_json(
        out,
        {
            "benchmark": "context_scaling",
            "machine": info,
            **meta,
            "bandwidth_gbs": bandwidth,
            "results": results,
            "rss_4k_engine_mb": rss_4k,
            "checks": checks,
        },
    )
    print(f"results: {out}")
    return 0


def r_len(r: dict[str, Any]) -> int:
    """The nominal length (of LENGTHS) a measured row is nearest to."""
    return min(LENGTHS, key=lambda n: abs(n - r["context_tokens"]))


def _pf(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


if __name__ == "__main__":
    raise SystemExit(main())
