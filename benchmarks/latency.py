"""Keystroke-replay latency: a warm engine with prefix reuse vs the naive full-prefill pipeline.

Why a replay: what a user feels is the delay between a keystroke and the first ghost-text
character, with a whole cell (~1k tokens) of code before the cursor. A warm engine should only
run the few tokens the keystroke changed; a naive pipeline re-reads the whole prompt every time.
So we take real code (a stdlib module's source, available offline and identical for everyone on
the same Python), keep ~1000 tokens of it as context, and type the next ~300 characters one at a
time, asking for a line completion after each keystroke, exactly as the Jupyter client does.

Run: ``python benchmarks/latency.py [--model PATH] [--keystrokes 300] [--naive-requests 15]``.
``--model`` takes a GGUF file (converted into the cache once), an ONNX model directory or a
cached model's name; the same table is printed for it, and its results go to
``latency-<model>.json`` unless ``--json`` says otherwise, so the default model's stay.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import inspect
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if __package__ in (None, ""):  # `python benchmarks/latency.py`
    import common  # type: ignore[import-not-found, no-redef]
else:  # `python -m benchmarks.latency`
    from . import common

if TYPE_CHECKING:
    from jupyter_spark.engine import Engine

# Targets (ms, MB, ratio). Printed next to the measurements; see benchmarks/README.md.
TARGET_TTFT_P50_MS = 10.0
TARGET_TTFT_P95_MS = 30.0
TARGET_SPEEDUP = 20.0
TARGET_DECODE_MS = 6.0
TARGET_RSS_MB = 600.0

# Decode speed is only meaningful over a few steps: ignore completions shorter than this.
MIN_TOKENS_FOR_DECODE = 4
# Tokens of the cold-prefill measurement prompt, and how many times it is repeated.
PREFILL_TOKENS = 1000
PREFILL_REPEATS = 3
# The dedicated decode measurement: one block completion of up to this many tokens.
BLOCK_MAX_TOKENS = 64
BLOCK_REPEATS = 3
# A block-mode opener appended to the code for the decode measurement: a constructor with many
# arguments, so the model has a long body to write (measured: ~50 tokens, then a blank line).
BLOCK_OPENER = (
    "\n\nclass JSONStreamDecoder:\n"
    "    def __init__(self, strict=True, object_hook=None, parse_float=None,\n"
    "                 parse_int=None, parse_constant=None):\n"
)
# Context length of the "short context" model step, to show what attention over ~1k tokens adds.
SHORT_CONTEXT = 16
RAW_STEPS = 64


@dataclass
class Request:
    """One replayed keystroke: what the engine reported and what the caller saw."""

    keystroke: int  # 1-based number of characters typed so far
    char: str  # the character just typed
    ttft_ms: float  # engine: request start -> first token chosen
    total_ms: float  # engine: request start -> done
    tokens: int
    cached_tokens: int
    prompt_tokens: int
    stop_reason: str
    wall_first_ms: float  # caller: complete() called -> first text yielded (or done)
    wall_total_ms: float  # caller: complete() called -> iterator exhausted
    text: str

    @property
    def ran_model(self) -> bool:
        """False when the engine answered from the last suggestion without the model."""
        return self.stop_reason != "typed_through"


def context_and_trace(
    module: str, engine: Engine, context_tokens: int, keystrokes: int
) -> tuple[str, str]:
    """``context_tokens`` tokens of ``module``'s source, cut at a line end, and what follows.

    The context ends at the end of the line where the token count first reaches the target,
    so the typed region starts at a line start, like a user starting a new line in a cell.
    """
    src = inspect.getsource(importlib.import_module(module))
    pos = 0
    for line in src.splitlines(keepends=True):
        if len(engine.encode(src[:pos])) >= context_tokens:
            break
        pos += len(line)
    typed = src[pos : pos + keystrokes]
    if len(typed) < keystrokes:
        raise SystemExit(f"{module}: only {len(typed)} characters after the context")
    return src[:pos], typed


def run_request(engine: Engine, keystroke: int, prefix: str, char: str) -> Request:
    """Ask for a line completion at the end of ``prefix`` and time it from the caller's side."""
    t0 = time.perf_counter()
    c = engine.complete(prefix, suffix="", mode="line")
    first = None
    for _ in c:
        if first is None:
            first = time.perf_counter()
    end = time.perf_counter()
    r = c.result
    assert r is not None
    return Request(
        keystroke=keystroke,
        char=char,
        ttft_ms=r.ttft_ms,
        total_ms=r.total_ms,
        tokens=r.tokens,
        cached_tokens=r.cached_tokens,
        prompt_tokens=r.prompt_tokens,
        stop_reason=r.stop_reason,
        wall_first_ms=((first or end) - t0) * 1000,
        wall_total_ms=(end - t0) * 1000,
        text=r.text,
    )


def replay(engine: Engine, context: str, typed: str, which: list[int]) -> list[Request]:
    """Replay the keystrokes numbered in ``which`` (1-based) after ``context``."""
    return [run_request(engine, k, context + typed[:k], typed[k - 1]) for k in which]


def decode_ms_per_token(reqs: list[Request]) -> float:
    """Median over requests of (total - ttft) / (tokens - 1): the per-token cost after the first.

    Includes the engine's per-token Python work (detokenize, stop rules, argmax), which the
    user pays as much as the model step.
    """
    return common.median(
        (r.total_ms - r.ttft_ms) / (r.tokens - 1)
        for r in reqs
        if r.ran_model and r.tokens >= MIN_TOKENS_FOR_DECODE
    )


def raw_steps(engine: Engine, ids: list[int], steps: int) -> float:
    """Median ms of one bare model step (session.forward of one token) after ``ids``.

    Greedy tokens are fed back so the step sees a realistic, growing cache; no Python
    generation loop, no detokenizing: this is the floor the engine's decode speed can reach.
    """
    session = engine.session
    slot = session.new_slot()
    chunk = max(1, engine.config.prefill_chunk)
    logits = None
    for i in range(0, len(ids), chunk):
        logits = session.forward(slot, ids[i : i + chunk])
    assert logits is not None
    tok = int(logits.argmax())
    times = []
    for _ in range(steps):
        t = time.perf_counter()
        logits = session.forward(slot, [tok])
        times.append((time.perf_counter() - t) * 1000)
        tok = int(logits.argmax())
    return common.median(times)


def block_decode(engine: Engine, code: str) -> dict[str, Any]:
    """The dedicated decode measurement: a block completion of up to 64 tokens, median of 3.

    The prompt is primed first (one cold prefill, which can hit the time budget), so each timed
    run reuses it and measures decoding. Also times the bare model step at ~1k and at 16 tokens
    of context, and the tokenizer on the whole prompt, to show where a keystroke's time goes.
    """
    prompt = code + BLOCK_OPENER
    engine.complete(prompt, mode="block", max_tokens=1).wait()
    runs = []
    for _ in range(BLOCK_REPEATS):
        r = engine.complete(prompt, mode="block", max_tokens=BLOCK_MAX_TOKENS).wait()
        per_tok = (r.total_ms - r.ttft_ms) / (r.tokens - 1) if r.tokens > 1 else float("nan")
        runs.append(
            {
                "tokens": r.tokens,
                "stop_reason": r.stop_reason,
                "ms_per_token": per_tok,
                "ttft_ms": r.ttft_ms,
                "total_ms": r.total_ms,
            }
        )
    ids = engine.encode(prompt)
    ids = ids[-(engine.session.max_context - RAW_STEPS - 1) :]
    t = time.perf_counter()
    n_enc = 20
    for _ in range(n_enc):
        engine.encode(prompt)
    encode_ms = (time.perf_counter() - t) * 1000 / n_enc
    return {
        "runs": runs,
        "ms_per_token": common.median(x["ms_per_token"] for x in runs),
        "tokens": common.median(x["tokens"] for x in runs),
        "text": r.text,
        "raw_step_ms": raw_steps(engine, ids, RAW_STEPS),
        "raw_step_context_tokens": len(ids),
        "raw_step_short_ms": raw_steps(engine, ids[:SHORT_CONTEXT], RAW_STEPS),
        "encode_prompt_ms": encode_ms,
        "encode_prompt_tokens": len(ids),
    }


def cold_prefill(engine: Engine, context: str) -> dict[str, Any]:
    """Prefill of a fresh 1000-token prompt (the naive engine never reuses), median of 3."""
    ids = engine.encode(context)[:PREFILL_TOKENS]
    prompt = engine.tokenizer.decode(ids)
    runs = []
    for _ in range(PREFILL_REPEATS):
        r = engine.complete(prompt, mode="line", max_tokens=1).wait()
        runs.append({"ttft_ms": r.ttft_ms, "prompt_tokens": r.prompt_tokens})
    ms = common.median(x["ttft_ms"] for x in runs)
    tokens = runs[0]["prompt_tokens"]
    return {"runs": runs, "ms": ms, "prompt_tokens": tokens, "ms_per_1k": ms * 1000 / tokens}


def summarize(reqs: list[Request]) -> dict[str, Any]:
    """TTFT and friends over the requests that ran the model (and over all, for reference)."""
    model = [r for r in reqs if r.ran_model]
    return {
        "requests": len(reqs),
        "model_requests": len(model),
        "typed_through": len(reqs) - len(model),
        "ttft_p50_ms": common.percentile([r.ttft_ms for r in model], 50),
        "ttft_p95_ms": common.percentile([r.ttft_ms for r in model], 95),
        "ttft_max_ms": max((r.ttft_ms for r in model), default=float("nan")),
        "ttft_all_p50_ms": common.percentile([r.ttft_ms for r in reqs], 50),
        "ttft_all_p95_ms": common.percentile([r.ttft_ms for r in reqs], 95),
        "wall_first_p50_ms": common.percentile([r.wall_first_ms for r in model], 50),
        "wall_first_p95_ms": common.percentile([r.wall_first_ms for r in model], 95),
        "total_p50_ms": common.percentile([r.total_ms for r in model], 50),
        "tokens_p50": common.median(r.tokens for r in model),
        "decode_ms_per_token": decode_ms_per_token(reqs),
        "decode_samples": sum(1 for r in model if r.tokens >= MIN_TOKENS_FOR_DECODE),
        "cached_tokens_p50": common.median(r.cached_tokens for r in model),
        "prompt_tokens_p50": common.median(r.prompt_tokens for r in model),
        "new_tokens_p50": common.median(r.prompt_tokens - r.cached_tokens for r in model),
        "stop_reasons": _count(r.stop_reason for r in reqs),
    }


def _count(items: Any) -> dict[str, int]:
    out: dict[str, int] = {}
    for x in items:
        out[x] = out.get(x, 0) + 1
    return dict(sorted(out.items()))


# Where the results go (under benchmarks/results/) for the default model.
DEFAULT_RESULTS = "latency.json"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    common.add_engine_args(ap, DEFAULT_RESULTS)
    ap.add_argument("--keystrokes", type=int, default=300, help="characters typed (300)")
    ap.add_argument(
        "--naive-requests",
        type=int,
        default=15,
        help="keystrokes replayed against the naive pipeline, evenly spread (15)",
    )
    ap.add_argument(
        "--context-tokens",
        type=int,
        default=1000,
        help="tokens of code before the typed region (1000)",
    )
    ap.add_argument(
        "--source",
        default="json.decoder",
        help="module whose source is the code typed (json.decoder)",
    )
    ap.add_argument(
        "--no-typed-through",
        action="store_true",
        help="run the model on every keystroke (by default the engine answers a keystroke that "
        "types into the last suggestion with the rest of it, without the model)",
    )
    args = ap.parse_args(argv)

    from jupyter_spark.engine import EngineConfig

    t_start = time.perf_counter()
    info = common.machine_info()
    warm_cfg = EngineConfig(threads=args.threads, typed_through=not args.no_typed_through)
    t = time.perf_counter()
    warm = common.load_engine(args.model, warm_cfg)
    load_s = time.perf_counter() - t
    rss_loaded, _ = common.rss_mb()
    context, typed = context_and_trace(args.source, warm, args.context_tokens, args.keystrokes)
    n_ctx = len(warm.encode(context))
    print(
        f"model {warm.name} | {warm_cfg.resolved_threads()} threads | context {n_ctx} tokens of "
        f"{args.source} | typing {len(typed)} characters | loaded in {load_s:.1f} s",
        flush=True,
    )

    # The cell's first request prefills the whole context (a cold start, timed separately);
    # the trace then measures what every following keystroke costs.
    first = run_request(warm, 0, context, "")
    t = time.perf_counter()
    warm_reqs = replay(warm, context, typed, list(range(1, len(typed) + 1)))
    warm_s = time.perf_counter() - t
    ws = summarize(warm_reqs)
    # Before the block measurement, whose bare-step probes allocate extra KV buffers.
    rss_cur, rss_peak = common.rss_mb()
    block = block_decode(warm, context + typed)
    print(f"warm: {len(warm_reqs)} keystrokes in {warm_s:.1f} s", flush=True)
    warm_cfg_used = dataclasses.asdict(warm.config)
    model_name = warm.name
    del warm

    # The naive pipeline: same model and settings, but a full prefill per request and no
    # typed-through shortcut, so every request pays what a stateless server would.
    naive_cfg = dataclasses.replace(warm_cfg, prefix_reuse=False, typed_through=False)
    naive = common.load_engine(args.model, naive_cfg)
    n = max(1, min(args.naive_requests, len(typed)))
    step = len(typed) / n
    which = sorted({int(step * (i + 0.5)) + 1 for i in range(n)})
    t = time.perf_counter()
    naive_reqs = replay(naive, context, typed, which)
    naive_s = time.perf_counter() - t
    ns = summarize(naive_reqs)
    prefill = cold_prefill(naive, context)
    print(f"naive: {len(naive_reqs)} keystrokes in {naive_s:.1f} s", flush=True)
    del naive

    speedup = ns["ttft_p50_ms"] / ws["ttft_p50_ms"]
    f = common.fmt

    def target(value: float, limit: float, fmt: str, higher: bool = False) -> list[str]:
        """The target and PASS/FAIL cells of a row."""
        ok = value >= limit if higher else value <= limit
        return [fmt.format(limit), "PASS" if ok else "FAIL"]

    ms, x = "<= {:g}", ">= {:g}x"
    # fmt: off
    rows = [
        ["requests replayed", f(ws["requests"]), f(ns["requests"]), "", ""],
        ["  ran the model", f(ws["model_requests"]), f(ns["model_requests"]), "", ""],
        ["TTFT p50 (ms)", f(ws["ttft_p50_ms"]), f(ns["ttft_p50_ms"]),
         *target(ws["ttft_p50_ms"], TARGET_TTFT_P50_MS, ms)],
        ["TTFT p95 (ms)", f(ws["ttft_p95_ms"]), f(ns["ttft_p95_ms"]),
         *target(ws["ttft_p95_ms"], TARGET_TTFT_P95_MS, ms)],
        ["TTFT naive/warm (p50)", f"{speedup:.0f}x", "",
         *target(speedup, TARGET_SPEEDUP, x, higher=True)],
        ["TTFT p50, all keystrokes (ms)", f(ws["ttft_all_p50_ms"], 2), f(ns["ttft_all_p50_ms"]),
         "", ""],
        ["first text, wall p50 (ms)", f(ws["wall_first_p50_ms"]), f(ns["wall_first_p50_ms"]),
         "", ""],
        ["first text, wall p95 (ms)", f(ws["wall_first_p95_ms"]), f(ns["wall_first_p95_ms"]),
         "", ""],
        ["completion total p50 (ms)", f(ws["total_p50_ms"]), f(ns["total_p50_ms"]), "", ""],
        ["tokens per completion p50", f(ws["tokens_p50"]), f(ns["tokens_p50"]), "", ""],
        ["decode ms/token (keystrokes)", f(ws["decode_ms_per_token"], 2),
         f(ns["decode_ms_per_token"], 2), *target(ws["decode_ms_per_token"], TARGET_DECODE_MS, ms)],
        [f"decode ms/token (block, {BLOCK_MAX_TOKENS} max)", f(block["ms_per_token"], 2), "",
         *target(block["ms_per_token"], TARGET_DECODE_MS, ms)],
        [f"  model step alone, {block['raw_step_context_tokens']} ctx (ms)",
         f(block["raw_step_ms"], 2), "", "", ""],
        [f"  model step alone, {SHORT_CONTEXT} ctx (ms)", f(block["raw_step_short_ms"], 2), "",
         "", ""],
        ["prompt tokens p50", f(ws["prompt_tokens_p50"]), f(ns["prompt_tokens_p50"]), "", ""],
        ["cached tokens p50", f(ws["cached_tokens_p50"]), f(ns["cached_tokens_p50"]), "", ""],
        ["tokens prefilled per request p50", f(ws["new_tokens_p50"]), f(ns["new_tokens_p50"]),
         "", ""],
        ["cold prefill (ms / 1k tokens)", "", f(prefill["ms_per_1k"]), "", ""],
        ["first request of the cell (ms)", f(first.ttft_ms), "", "", ""],
        ["RSS after load (MB)", f(rss_loaded), "", "", ""],
        ["RSS warm, after the trace (MB)", f(rss_cur), "", *target(rss_cur, TARGET_RSS_MB, ms)],
        ["RSS warm, peak (MB)", f(rss_peak), "", *target(rss_peak, TARGET_RSS_MB, ms)],
    ]
    # fmt: on
    print()
    print(common.table(["metric", "warm", "naive", "target", "result"], rows))
    print(
        f"\nwarm: every keystroke ({ws['requests']}); naive: every ~{step:.0f}th keystroke "
        f"({ns['requests']} requests; ~{ns['ttft_p50_ms'] / 1000:.1f} s each).\n"
        f"TTFT rows count only requests that ran the model; {ws['typed_through']} warm "
        "keystrokes were answered from the previous suggestion (typed through, no model run).\n"
        f"Block decode: {block['tokens']:.0f} tokens per run (stops: "
        f"{', '.join(r['stop_reason'] for r in block['runs'])}); encoding the "
        f"{block['encode_prompt_tokens']}-token prompt takes {block['encode_prompt_ms']:.2f} ms "
        "whole (a keystroke re-encodes only from the last line start it changed).\n"
        f"Stop reasons (warm): {ws['stop_reasons']}. Total run time "
        f"{time.perf_counter() - t_start:.0f} s.\n{common.load_note(info)}"
    )

    result = {
        "benchmark": "latency",
        "model": model_name,
        "machine": info,
        "args": {k: str(v) for k, v in vars(args).items()},
        "config": warm_cfg_used,
        "context_tokens": n_ctx,
        "typed_chars": len(typed),
        "targets": {
            "ttft_p50_ms": TARGET_TTFT_P50_MS,
            "ttft_p95_ms": TARGET_TTFT_P95_MS,
            "speedup": TARGET_SPEEDUP,
            "decode_ms_per_token": TARGET_DECODE_MS,
            "rss_mb": TARGET_RSS_MB,
        },
        "warm": ws,
        "naive": ns,
        "speedup_ttft_p50": speedup,
        "block_decode": block,
        "cold_prefill": prefill,
        "first_request": dataclasses.asdict(first),
        "rss_loaded_mb": rss_loaded,
        "rss_warm_mb": rss_cur,
        "rss_peak_warm_mb": rss_peak,
        "pass": {
            "ttft_p50": ws["ttft_p50_ms"] <= TARGET_TTFT_P50_MS,
            "ttft_p95": ws["ttft_p95_ms"] <= TARGET_TTFT_P95_MS,
            "speedup": speedup >= TARGET_SPEEDUP,
            "decode": ws["decode_ms_per_token"] <= TARGET_DECODE_MS,
            "decode_block": block["ms_per_token"] <= TARGET_DECODE_MS,
            "rss": rss_peak <= TARGET_RSS_MB,
        },
        "requests": {
            "warm": [dataclasses.asdict(r) for r in warm_reqs],
            "naive": [dataclasses.asdict(r) for r in naive_reqs],
        },
        "seconds": time.perf_counter() - t_start,
    }
    out = args.json
    if args.model is not None and out == common.RESULTS_DIR / DEFAULT_RESULTS:
        out = out.with_name(f"latency-{model_name}.json")
    common.write_json(out, result)
    print(f"results: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
