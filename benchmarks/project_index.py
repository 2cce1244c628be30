"""The project index: build time, memory, incremental updates, per-keystroke retrieval, TTFT.

Projects measured:
- ``generated``: a generated project of ~200k source tokens (modules of functions and classes
  with docstrings and bodies, packages, notebooks), and ``generated x10`` (~2M tokens);
- ``real``: source nobody here wrote, an installed package read as a project (jupyter_server,
  ~200k tokens), and ``pandas`` whole (~8M tokens: past ``max_tokens`` the index degrades to
  symbols only for the files read after the cap, and says how many).

Per project: the first build (in this thread, as the server's index thread runs it), RSS growth
(after a collection), a changed file re-read (median of 20 edits, each a real write and
``apply``), and the per-keystroke retrieval as the server runs it: ``ContextBuilder.build`` with
the project block callback while a cell importing a module of the project is typed character by
character (p50/p95 of the callback's time, cache hits and misses together).

Then, on the generated project with the real default model: the typing replay's time to first
token with the project block and without it, keystrokes interleaved (same engine, same run).

    python benchmarks/project_index.py [--model DIR] [--quick]
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # python benchmarks/project_index.py
    import common  # type: ignore[import-not-found, no-redef]
else:  # python -m benchmarks.project_index
    from . import common

from jupyter_spark.context import ContextBuilder, NotebookStore
from jupyter_spark.context.notebook import Cell
from jupyter_spark.engine import EngineConfig
from jupyter_spark.engine.config import estimate_tokens
from jupyter_spark.project import DEFAULT_PROJECT, ProjectIndex
from jupyter_spark.project.prompt import ProjectBlocks

RESULTS = common.RESULTS_DIR / "project_index.json"
TARGET_BUILD_S = 3.0  # 200k tokens
TARGET_RSS_MB = 150.0
TARGET_UPDATE_MS = 20.0
TARGET_RETRIEVAL_P95_MS = 1.0
TARGET_TTFT_DELTA_MS = 1.0

WORDS = (
    "trip", "segment", "route", "stop", "fare", "zone", "driver", "vehicle", "depot", "shift",
    "load", "cargo", "weight", "volume", "price", "discount", "invoice", "order", "customer",
    "region", "store", "basket", "sku", "stock", "supplier", "lead", "batch", "sensor", "reading",
    "window", "lag", "trend", "season", "cohort", "churn", "score", "label", "feature", "scaler",
    "split", "fold", "metric", "loss", "epoch", "warmup", "decay", "schedule", "layer", "embed",
    "token", "vocab", "cache", "shard", "replica", "node",
)  # fmt: skip


def _name(rng: random.Random, parts: int) -> str:
    return "_".join(rng.choice(WORDS) for _ in range(parts))


def generate(root: Path, tokens: int, seed: int = 0) -> int:
    """A project of about ``tokens`` estimated tokens; returns the files written."""
    rng = random.Random(seed)
    written = total = 0
    while total < tokens:
        pkg = f"pkg_{written // 40}"
        folder = root / pkg
        folder.mkdir(parents=True, exist_ok=True)
        if not (folder / "__init__.py").exists():
            (folder / "__init__.py").write_text('"""A package."""\n')
        lines = [f'"""Helpers for the {_name(rng, 2)} pipeline."""', "import math", ""]
        lines.append(f"{_name(rng, 2).upper()}_LIMIT = {rng.randint(1, 999)}")
        for _ in range(rng.randint(4, 9)):
            fn = _name(rng, 3)
            params = [_name(rng, 2) for _ in range(rng.randint(1, 4))]
            lines += [
                "",
                f"def {fn}({', '.join(params)}, *, {_name(rng, 2)}=None):",
                f'    """Compute the {_name(rng, 2)} of a {_name(rng, 1)}."""',
                f"    {_name(rng, 2)} = {params[0]} * {rng.random():.3f}",
                f"    for {_name(rng, 1)} in range({rng.randint(2, 9)}):",
                f"        {params[-1]} = math.sqrt(abs({params[-1]})) + {rng.randint(1, 9)}",
                f"    return {params[-1]}",
            ]
        cls = "".join(w.title() for w in _name(rng, 2).split("_"))
        fields = [_name(rng, 2) for _ in range(4)]
        lines += ["", "", f"class {cls}:", f'    """A {_name(rng, 2)} record."""', ""]
        lines.append(f"    def __init__(self, {', '.join(fields)}):")
        lines += [f"        self.{f} = {f}" for f in fields]
        lines += ["", f"    def {_name(rng, 2)}(self, factor=1.0):", "        return factor", ""]
        text = "\n".join(lines) + "\n"
        (folder / f"mod_{written}.py").write_text(text)
        written += 1
        total += estimate_tokens(text)
    return written


TYPED = (
    "segments = mod_0.{fn}(raw_frame, window=12)\n"
    "summary = segments.groupby('zone').agg({{'fare': 'sum'}})\n"
    "ratio = summary['fare'] / summary['fare'].sum()\n"
)


def _first_function(index: ProjectIndex, module: str) -> str:
    ms = index.module(module)
    assert ms is not None, module
    return next(s.name for s in ms.symbols if s.kind == "function")


def _cursor_block(blocks: ProjectBlocks, nb, prefix: str, count):
    """The project block callback for cell "cur" of notebook.ipynb, as the server binds it."""
    return blocks.for_cursor(
        prefix,
        lambda n: [nb.cell(c).source for c in nb.definers(n) if c != "cur"],
        None,
        "nb.ipynb",
        DEFAULT_PROJECT.block_budget(1024),
        count,
    )


class _Timed:
    """A project block callback that records how long each call takes."""

    def __init__(self, inner, spent: list[float]) -> None:
        self.inner, self.spent, self.budget = inner, spent, inner.budget

    def __call__(self, uses: frozenset[str], word: str) -> str:
        t = time.perf_counter()
        out = self.inner(uses, word)
        self.spent.append(1000 * (time.perf_counter() - t))
        return out


def measure(name: str, root: Path, module: str | None, repeats: int = 20) -> dict:
    """Build, memory, update and per-keystroke retrieval on the project at ``root``."""
    gc.collect()
    rss0, _ = common.rss_mb()
    index = ProjectIndex(root)
    t0 = time.perf_counter()
    index.build()
    build_s = time.perf_counter() - t0
    gc.collect()
    rss1, _ = common.rss_mb()
    status = index.status()

    # a changed file: a real write, then what the watcher hands the index; files spread over
    # the project (sorted by path, every k-th), each edited once
    files = sorted(p for p in index.stats() if p.endswith(".py") and p in index._entries)
    picked = files[:: max(1, len(files) // repeats)][:repeats]
    update_ms = []
    for i, rel in enumerate(picked):
        target = root / rel
        original = target.read_text()
        target.write_text(original + f"\ndef edited_{i}(x):\n    return x\n")
        t0 = time.perf_counter()
        index.apply([str(target)])
        update_ms.append(1000 * (time.perf_counter() - t0))
        target.write_text(original)
        index.apply([str(target)])

    # per keystroke, as the server builds a prompt: the project callback's time
    retrieval_ms = []
    if module is not None:
        fn = _first_function(index, module) if module.startswith("pkg_") else ""
        typed = TYPED.format(fn=fn or "x")
        alias = module.rsplit(".", 1)[-1]
        typed = typed.replace("mod_0", alias)
        blocks = ProjectBlocks(index)
        builder = ContextBuilder(budget_tokens=1024)
        store = NotebookStore()
        setup = (
            f"import {module}"
            if "." not in module
            else f"from {module.rsplit('.', 1)[0]} import {alias}"
        )
        for i in range(1, len(typed) + 1):
            prefix = typed[:i]
            store.replace("nb.ipynb", [Cell("a", "code", setup), Cell("cur", "code", prefix)])
            nb = store.get("nb.ipynb")
            cb = _cursor_block(blocks, nb, prefix, builder.count_tokens)
            spent: list[float] = []
            timed = _Timed(cb, spent)
            builder.build(prefix=prefix, suffix="", notebook=nb, cell_id="cur", project=timed)
            retrieval_ms.extend(spent)
    index.close()
    return {
        "project": name,
        "files": status["files"],
        "tokens": status["tokens"],
        "skipped": sum(status["skipped"].values()),
        "retrieval_dropped_files": status["retrieval_dropped_files"],
        "build_s": round(build_s, 2),
        "rss_mb": round(rss1 - rss0, 1),
        "update_ms_p50": round(common.median(update_ms), 2),
        "update_ms_max": round(max(update_ms), 1),
        "retrieval_ms_p50": round(common.median(retrieval_ms), 3) if retrieval_ms else None,
        "retrieval_ms_p95": round(common.percentile(retrieval_ms, 95), 3) if retrieval_ms else None,
    }


# The notebook the replay types in: enough analysis cells to fill the context budget with or
# without the project block (as in a real notebook), so what is measured is the block's own
# cost (retrieval, and its share of the prompt), not a longer prompt than a full notebook has.
SETUP_CELLS = (
    "import pandas as pd\nimport numpy as np\nfrom pkg_0 import mod_0",
    "raw_frame = pd.read_parquet('trips.parquet')\nraw_frame.head()",
    *(
        f"def step_{i}(frame, col='fare_{i}', scale={i}.5):\n"
        f"    out = frame.copy()\n    out[col + '_scaled'] = out[col] * scale\n"
        f"    out['bucket_{i}'] = pd.cut(out[col], bins={i + 3})\n"
        f"    return out.groupby('bucket_{i}')[col].agg(['mean', 'std', 'count'])\n"
        for i in range(14)
    ),
)


def ttft_ab(root: Path, model: str | None, keystrokes: int, rounds: int = 2) -> dict:
    """Typing replay with the real model: project block on vs off, in alternating rounds
    (on, off, off, on, ...) of the whole replay, each with a fresh builder (same engine)."""
    engine = common.load_engine(model, EngineConfig())
    tok = engine.tokenizer

    def count(text: str) -> int:
        return len(tok.encode(text, add_special_tokens=False).ids)

    index = ProjectIndex(root)
    index.build()
    fn = _first_function(index, "pkg_0.mod_0")
    setup = [Cell(f"s{i}", "code", src) for i, src in enumerate(SETUP_CELLS)]
    typed = TYPED.format(fn=fn)[:keystrokes]
    ttft: dict[str, list[float]] = {"on": [], "off": []}
    tokens: dict[str, list[int]] = {"on": [], "off": []}
    order = [s for r in range(rounds) for s in (("on", "off") if r % 2 == 0 else ("off", "on"))]
    for side in order:
        builder = ContextBuilder(budget_tokens=1024, count_tokens=count)
        blocks = ProjectBlocks(index)
        store = NotebookStore()
        for i in range(1, len(typed) + 1):
            prefix = typed[:i]
            store.replace("nb.ipynb", [*setup, Cell("cur", "code", prefix)])
            nb = store.get("nb.ipynb")
            t0 = time.perf_counter()
            project = None
            if side == "on":
                project = _cursor_block(blocks, nb, prefix, count)
            prompt = builder.build(
                prefix=prefix, suffix="", notebook=nb, cell_id="cur", project=project
            )
            build_ms = 1000 * (time.perf_counter() - t0)
            r = engine.complete(prompt.prefix, prompt.suffix, "line").wait()
            # the first keystroke of a round prefills the whole prompt cold (both sides alike)
            if i > 1 and r.stop_reason != "typed_through" and r.ttft_ms is not None:
                ttft[side].append(build_ms + r.ttft_ms)
                tokens[side].append(prompt.tokens_estimate)
    index.close()
    p50 = {s: common.median(v) for s, v in ttft.items()}
    return {
        "keystrokes": len(typed),
        "rounds": rounds,
        "ttft_on_p50_ms": round(p50["on"], 2),
        "ttft_off_p50_ms": round(p50["off"], 2),
        "ttft_on_p95_ms": round(common.percentile(ttft["on"], 95), 1),
        "ttft_off_p95_ms": round(common.percentile(ttft["off"], 95), 1),
        "delta_p50_ms": round(p50["on"] - p50["off"], 2),
        "prompt_tokens_p50": {s: common.median(v) for s, v in tokens.items()},
        # keystrokes that re-read a changed part of the prompt (a new block, cells reselected)
        "over_100ms": {s: sum(x > 100 for x in v) for s, v in ttft.items()},
        "slowest_ms": {s: [round(x) for x in sorted(v)[-4:]] for s, v in ttft.items()},
        "requests": {s: len(v) for s, v in ttft.items()},
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", help="model dir or name (default: the default model)")
    ap.add_argument("--quick", action="store_true", help="skip the x10 and pandas projects")
    ap.add_argument("--keystrokes", type=int, default=120)
    args = ap.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="spark-project-bench-"))
    rows = []
    try:
        gen = work / "generated"
        generate(gen, 200_000)
        rows.append(measure("generated 200k", gen, "pkg_0.mod_0"))
        import jupyter_server
        import pandas

        rows.append(
            measure(
                "real: jupyter_server", Path(jupyter_server.__file__).parent, "jupyter_server.utils"
            )
        )
        if not args.quick:
            big = work / "generated10"
            generate(big, 2_000_000, seed=1)
            rows.append(measure("generated 2M (x10)", big, "pkg_0.mod_0", repeats=10))
            rows.append(
                measure(
                    "real: pandas (~8M)", Path(pandas.__file__).parent, "pandas.core.common", 10
                )
            )
        ab = ttft_ab(gen, args.model, args.keystrokes)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    headers = [
        "project",
        "files",
        "tokens",
        "build s",
        "RSS MB",
        "update p50/max ms",
        "retr p50",
        "retr p95",
        "no-retrieval files",
    ]
    table_rows = [
        [
            r["project"],
            str(r["files"]),
            str(r["tokens"]),
            common.fmt(r["build_s"], 2),
            common.fmt(r["rss_mb"]),
            f"{common.fmt(r['update_ms_p50'], 2)} / {common.fmt(r['update_ms_max'])}",
            common.fmt(r["retrieval_ms_p50"], 3),
            common.fmt(r["retrieval_ms_p95"], 3),
            str(r["retrieval_dropped_files"]),
        ]
        for r in rows
    ]
    print(common.table(headers, table_rows))
    first = rows[0]
    print(
        f"\ntargets (200k tokens): build <= {TARGET_BUILD_S} s ({first['build_s']}), RSS growth <= "
        f"{TARGET_RSS_MB:.0f} MB ({first['rss_mb']}), update <= {TARGET_UPDATE_MS:.0f} ms "
        f"({first['update_ms_p50']}), retrieval p95 <= {TARGET_RETRIEVAL_P95_MS} ms "
        f"({first['retrieval_ms_p95']})"
    )
    print(
        f"typing replay, real model, {ab['keystrokes']} keystrokes x {ab['rounds']} rounds a side: "
        f"TTFT p50 {ab['ttft_on_p50_ms']} ms with the project block, {ab['ttft_off_p50_ms']} ms "
        f"without (delta {ab['delta_p50_ms']:+} ms; target <= +{TARGET_TTFT_DELTA_MS} ms); p95 "
        f"{ab['ttft_on_p95_ms']} / {ab['ttft_off_p95_ms']} ms; prompt tokens p50 "
        f"{ab['prompt_tokens_p50']['on']} / {ab['prompt_tokens_p50']['off']}; keystrokes over "
        f"100 ms {ab['over_100ms']['on']} / {ab['over_100ms']['off']} (slowest "
        f"{ab['slowest_ms']['on']} / {ab['slowest_ms']['off']} ms)"
    )
    print(
        f"past max_tokens ({DEFAULT_PROJECT.max_tokens:,}) files keep their symbols but give no "
        "retrieval chunks (the 'no-retrieval files' column); past max_files they are skipped."
    )
    common.write_json(
        RESULTS,
        {"machine": common.machine_info(), "projects": rows, "ttft": ab, "pid": os.getpid()},
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
