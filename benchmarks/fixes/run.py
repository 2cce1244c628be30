"""Fixes evaluation: buggy notebook cells run in a real kernel, fixed, re-run and checked.

For each case in cases.py: reset the kernel's namespace, run the setup, run the buggy cell and
take its error, read the kernel the way the server does (the snapshot probe plus the targeted
details probe), ask the fixes service, apply the top fix (then the 2nd and 3rd), run it and the
case's check. Prints top-1 / top-3 success by error family, the latency of error fixes and of
diagnostics on a 50-line cell. Targets: top-1 >= 80 %, fixes p50 <= 100 ms, diagnostics p50 <=
30 ms.

    python benchmarks/fixes/run.py [--case SUBSTRING] [--verbose]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from queue import Empty

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # benchmarks/ (common.py)
from common import RESULTS_DIR, fmt, percentile, table, write_json

from jupyter_spark.fixes import (
    ErrorInfo,
    FixRequest,
    FixService,
    KernelInspector,
    needed_details,
)
from jupyter_spark.fixes.model import rewrite
from jupyter_spark.kernel import expression_json, parse_reply, probe_expression

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cases import CASES, Case

TOP_K = 3
DIAG_RUNS = 20
# A cell (setup, buggy, fixed or check) running longer than this is interrupted (seconds).
RUN_TIMEOUT_S = 10.0


class Kernel:
    """A real ipykernel through jupyter_client, run cell by cell."""

    def __init__(self) -> None:
        from jupyter_client.manager import start_new_kernel

        self.km, self.kc = start_new_kernel(kernel_name="python3")

    def run(self, code: str, **kw) -> dict:
        """The execute reply; a cell still running after RUN_TIMEOUT_S is interrupted (a fix
        may loop or wait forever) and counts as failed. ``input()`` fails instead of waiting."""
        msg_id = self.kc.execute(code, allow_stdin=False, **kw)
        deadline = time.monotonic() + RUN_TIMEOUT_S
        interrupted = False
        while True:
            try:
                reply = self.kc.get_shell_msg(timeout=max(0.1, deadline - time.monotonic()))
            except Empty:
                if interrupted:
                    raise RuntimeError("the kernel does not answer after an interrupt") from None
                self.km.interrupt_kernel()
                interrupted, deadline = True, time.monotonic() + RUN_TIMEOUT_S
                continue
            if reply["parent_header"].get("msg_id") == msg_id:
                return (
                    {**reply["content"], "status": "timeout"} if interrupted else reply["content"]
                )

    def reset(self, setup: str) -> None:
        self.run("%reset -f", silent=True, store_history=False)
        if setup:
            content = self.run(setup)
            if content["status"] != "ok":
                raise RuntimeError(f"setup failed: {content.get('ename')}: {content.get('evalue')}")

    def probe(self, limits: dict) -> dict:
        expr = probe_expression(limits)
        return self.run("", silent=True, store_history=False, user_expressions={"spark": expr})

    def close(self) -> None:
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)


def attempt(kernel: Kernel, case: Case, source: str) -> bool:
    kernel.reset(case.setup)
    if kernel.run(source)["status"] != "ok":
        return False
    return kernel.run(case.check)["status"] == "ok"


def checked(tried: dict[str, bool], kernel: Kernel, case: Case, source: str) -> bool:
    if source not in tried:
        tried[source] = attempt(kernel, case, source)
    return tried[source]


def family(case: Case) -> str:
    return case.name.split(":")[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--case", default="", help="only cases whose name contains this")
    ap.add_argument("--verbose", action="store_true", help="print each case's outcome")
    ap.add_argument(
        "--no-model",
        action="store_true",
        help="skip the second pass in which the default model ranks close candidates",
    )
    args = ap.parse_args()
    cases = [c for c in CASES if args.case in c.name]
    service = FixService()
    ranked = None
    if not args.no_model:
        from jupyter_spark.engine import Engine

        ranked = FixService(Engine.load(None, progress=False), rank_with_model=True)
    model_ms: list[float] = []
    rewrite_ms: list[float] = []
    kernel = Kernel()
    rows, fix_ms, probe_ms = [], [], []
    try:
        for case in cases:
            kernel.reset(case.setup)
            content = kernel.run(case.cell)
            if content["status"] == "ok":
                rows.append({"case": case.name, "top1": False, "top3": False, "note": "no error"})
                continue
            error = ErrorInfo(content["ename"], content["evalue"], tuple(content["traceback"]))
            t0 = time.perf_counter()
            state = parse_reply(kernel.probe({"budget_ms": 50}))
            wanted = needed_details(case.cell, error)
            details = expression_json(kernel.probe({"details": wanted})) if wanted else {}
            probe_ms.append((time.perf_counter() - t0) * 1000)
            inspector = KernelInspector(state, (details or {}).get("details", {}))
            t0 = time.perf_counter()
            fixes = service.fix(FixRequest(case.cell, error, (case.setup,), inspector))
            fix_ms.append((time.perf_counter() - t0) * 1000)
            tried: dict[str, bool] = {}  # a fixed source runs once, whichever pass proposed it
            ok = [checked(tried, kernel, case, f.new_source) for f in fixes[:TOP_K]]
            model_top1 = model_rewrite = None
            if ranked is not None:
                t0 = time.perf_counter()
                with_model = ranked.fix(FixRequest(case.cell, error, (case.setup,), inspector))
                model_ms.append((time.perf_counter() - t0) * 1000)
                model_top1 = bool(with_model) and checked(
                    tried, kernel, case, with_model[0].new_source
                )
                # The fallback alone: the model's rewrite of the failing line, no rules.
                t0 = time.perf_counter()
                alone = rewrite(ranked.engine, case.cell, error, (case.setup,))
                rewrite_ms.append((time.perf_counter() - t0) * 1000)
                model_rewrite = bool(alone) and checked(tried, kernel, case, alone[0].new_source)
            row = {
                "case": case.name,
                "error": f"{error.ename}: {error.evalue}",
                "top1": bool(ok and ok[0]),
                "top3": any(ok),
                "model_top1": model_top1,
                "model_rewrite": model_rewrite,
                "fixes": [f.title for f in fixes[:TOP_K]],
            }
            rows.append(row)
            if args.verbose:
                mark = "ok " if row["top1"] else ("top3" if row["top3"] else "FAIL")
                print(f"{mark:4} {case.name}: {row['error']} -> {row['fixes'][:1]}")
    finally:
        kernel.close()
    diag_ms = diagnostics_latency(service)

    families: dict[str, list[dict]] = {}
    for r in rows:
        families.setdefault(r["case"].split(":")[0], []).append(r)
    lines = []
    for name, group in [*families.items(), ("all", rows)]:
        n = len(group)
        top1 = sum(r["top1"] for r in group)
        top3 = sum(r["top3"] for r in group)
        top1m = sum(bool(r.get("model_top1")) for r in group)
        alone = sum(bool(r.get("model_rewrite")) for r in group)
        pct = [f"{k} ({100 * k / n:.0f}%)" for k in (top1, top3, top1m, alone)]
        model = pct[2:] if ranked is not None else ["-", "-"]
        lines.append([name, str(n), pct[0], pct[1], *model])
    print(f"Fixes: {len(rows)} buggy cells run in a real kernel, top fix applied and checked")
    print(
        table(
            ["family", "cases", "top-1", "top-3", "top-1, model ranks", "model rewrite alone"],
            lines,
        )
    )
    print(
        table(
            ["latency", "p50 ms", "p95 ms", "target p50"],
            [
                ["error fix (rules + ruff, no model)", fmt(percentile(fix_ms, 50)),
                 fmt(percentile(fix_ms, 95)), "100"],
                ["error fix with model ranking", fmt(percentile(model_ms, 50)),
                 fmt(percentile(model_ms, 95)), "-"],
                ["model rewrite of the failing line", fmt(percentile(rewrite_ms, 50)),
                 fmt(percentile(rewrite_ms, 95)), "-"],
                ["kernel probes (snapshot + details)", fmt(percentile(probe_ms, 50)),
                 fmt(percentile(probe_ms, 95)), "-"],
                ["diagnostics, 50-line cell", fmt(percentile(diag_ms, 50)),
                 fmt(percentile(diag_ms, 95)), "30"],
            ],
        )
    )  # fmt: skip
    failed = [r for r in rows if not r["top1"]]
    for r in failed:
        print(f"  not fixed at top-1: {r['case']} ({r.get('error', r.get('note'))})")
    write_json(
        RESULTS_DIR / "fixes.json",
        {
            "cases": rows,
            "fix_ms": fix_ms,
            "model_fix_ms": model_ms,
            "model_rewrite_ms": rewrite_ms,
            "probe_ms": probe_ms,
            "diagnostics_ms": diag_ms,
        },
    )


def diagnostics_latency(service: FixService) -> list[float]:
    """ruff on a realistic 50-line cell (the cases' setups and fixed-looking code), timed."""
    body = [c.setup for c in CASES if c.setup][:12]
    lines = "\n".join(body).split("\n")
    while len(lines) < 50:
        lines.append(f"value_{len(lines)} = sum(range({len(lines)}))")
    source = "\n".join(lines[:50])
    service.diagnose(source)  # warm the binary lookup
    out = []
    for _ in range(DIAG_RUNS):
        t0 = time.perf_counter()
        service.diagnose(source, known_names=("sales",))
        out.append((time.perf_counter() - t0) * 1000)
    return out


if __name__ == "__main__":
    main()
