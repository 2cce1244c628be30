"""Shared helpers of the benchmark scripts: imports, model loading, statistics, tables.

The scripts run both as ``python benchmarks/latency.py`` and ``python -m benchmarks.latency``
from the repo root. In the first form Python puts ``benchmarks/`` (not the repo root) on
``sys.path``, so importing ``jupyter_spark`` from a source checkout that is not pip-installed
would fail; this module puts the repo root first on the path so both forms import the working
tree's package (the code being benchmarked), not some other installed copy.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import resource
import statistics
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"

if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

if TYPE_CHECKING:  # imported lazily at run time: `--help` should not pay for onnxruntime
    from jupyter_spark.engine import Engine, EngineConfig

# ONNX graph names we accept in a model dir, best first, and the subdirs they may sit in
# (the same candidates as the model registry, so a dir that works there works here).
ONNX_NAMES = ("model.onnx", "decoder_model_merged.onnx", "decoder_with_past_model.onnx")
ONNX_SUBDIRS = (".", "onnx")


def _model_files(model_dir: Path) -> tuple[Path, Path, str]:
    """The ONNX graph, tokenizer and display name of a converted/exported model dir."""
    onnx_path = next(
        (
            model_dir / sub / name
            for sub in ONNX_SUBDIRS
            for name in ONNX_NAMES
            if (model_dir / sub / name).is_file()
        ),
        None,
    )
    if onnx_path is None:
        raise SystemExit(f"{model_dir}: no ONNX decoder found (looked for {', '.join(ONNX_NAMES)})")
    tok = next(
        (
            p
            for p in (model_dir / "tokenizer.json", onnx_path.parent / "tokenizer.json")
            if p.is_file()
        ),
        None,
    )
    if tok is None:
        raise SystemExit(f"{model_dir}: no tokenizer.json next to the model")
    name = model_dir.name
    # Our cache writes the model's name into manifest.json; prefer it over the dir's name.
    for meta in ("manifest.json", "spark_model.json"):
        p = model_dir / meta
        if p.is_file():
            with contextlib.suppress(OSError, ValueError):
                name = json.loads(p.read_text(encoding="utf-8")).get("name") or name
    return onnx_path, tok, name


def load_engine(model: str | None, cfg: EngineConfig) -> Engine:
    """Load ``model`` warm with ``cfg``.

    None means the project's default model via ``Engine.load`` (pulled and converted on first
    use). A directory is loaded straight from the files in it, without the model registry: this
    benchmarks any converted copy (e.g. one made before the registry existed, or a dir outside
    the cache) exactly as it is. Anything else (a .gguf file, a cached model's name) goes through
    ``Engine.load``, which knows how to resolve it.
    """
    from jupyter_spark.engine import Engine

    if model is not None and Path(model).expanduser().is_dir():
        model_dir = Path(model).expanduser().resolve()
        onnx_path, tok, name = _model_files(model_dir)
        return Engine(model_dir, onnx_path, tok, name, cfg)
    try:
        from jupyter_spark.models import ModelError
    except ImportError as e:  # the registry is not there (older checkout)
        raise SystemExit(
            f"cannot resolve {model or 'the default model'} ({e}); pass --model DIR with a "
            "converted model (model.onnx + tokenizer.json)"
        ) from e
    try:
        return Engine.load(model, cfg, progress=True)
    except ModelError as e:
        raise SystemExit(
            f"cannot load {model or 'the default model'}: {e}\n(--model DIR takes a converted "
            "model dir: model.onnx + tokenizer.json)"
        ) from e


def add_engine_args(ap: Any, results_name: str) -> None:
    """The options every engine benchmark takes: --model, --threads, --json."""
    ap.add_argument(
        "--model",
        help="model dir (model.onnx + tokenizer.json) or name; "
        "default: the project's default model",
    )
    ap.add_argument("--threads", type=int, default=0, help="onnxruntime threads (0 = all cores)")
    ap.add_argument(
        "--json",
        type=Path,
        default=RESULTS_DIR / results_name,
        help=f"where to write the results (benchmarks/results/{results_name})",
    )


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile (numpy's default), without numpy; nan if empty."""
    if not values:
        return float("nan")
    xs = sorted(values)
    k = (len(xs) - 1) * q / 100
    lo = int(k)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def median(values: Iterable[float]) -> float:
    xs = list(values)
    return statistics.median(xs) if xs else float("nan")


def rss_mb() -> tuple[float, float]:
    """(current RSS, peak RSS) of this process in MB.

    Peak from getrusage (Linux reports KiB, macOS bytes); current from psutil when installed,
    else /proc, since the peak alone hides whether memory is still held.
    """
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    peak_mb = peak / (1 << 20) if sys.platform == "darwin" else peak / 1024
    try:
        import psutil

        cur_mb = psutil.Process().memory_info().rss / (1 << 20)
    except ImportError:
        try:
            with open("/proc/self/statm") as f:
                cur_mb = int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / (1 << 20)
        except OSError:
            cur_mb = float("nan")
    return cur_mb, peak_mb


def machine_info() -> dict[str, Any]:
    """What the numbers depend on, recorded next to them in the JSON."""
    try:
        import onnxruntime

        ort_version = onnxruntime.__version__
    except ImportError:
        ort_version = None
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:
        cpus = os.cpu_count()
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": _cpu_model(),
        "cpus": cpus,
        "onnxruntime": ort_version,
        "loadavg_at_start": os.getloadavg() if hasattr(os, "getloadavg") else None,
    }


def load_note(info: dict[str, Any]) -> str:
    """One line on the machine's load: timings are only comparable on an otherwise idle CPU."""
    start = info.get("loadavg_at_start")
    end = os.getloadavg() if hasattr(os, "getloadavg") else None
    info["loadavg_at_end"] = end
    if not start or not end:
        return ""
    busy = (
        " (other processes were running: timings are pessimistic)"
        if max(start[0], end[0]) > 0.5
        else ""
    )
    return f"load average (1 min): {start[0]:.2f} at start, {end[0]:.2f} at end{busy}"


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def fmt(x: float | int | str | None, digits: int = 1) -> str:
    """A table cell: numbers rounded, missing values as '-'."""
    if x is None:
        return "-"
    if isinstance(x, str):
        return x
    if isinstance(x, float) and x != x:  # nan
        return "-"
    if isinstance(x, int):
        return str(x)
    return f"{x:.{digits}f}"


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Plain-text table, first column left-aligned, the others right-aligned."""
    rows = [[*r, *[""] * (len(headers) - len(r))] for r in rows]  # short rows: blank cells
    cols = list(zip(headers, *rows, strict=False))
    widths = [max(len(str(c)) for c in col) for col in cols]

    def line(cells: Sequence[str]) -> str:
        out = [
            str(c).ljust(w) if i == 0 else str(c).rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  ".join(out).rstrip()

    sep = "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), sep, *(line(r) for r in rows)])


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Write the results (creating benchmarks/results/ on first use)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, default=float) + "\n", encoding="utf-8")


def ab_rows(rows: list[dict]) -> tuple[list[list[str]], float, float]:
    """Per-kind rows of an on/off benchmark (each row: ``kind``, ``on``/``off`` with ``hit``
    and ``ttft_ms``): [kind, cases, hit on, hit off, TTFT p50 on, off], then the two rates."""

    def rate(rs: list[dict], side: str) -> float:
        return sum(r[side]["hit"] for r in rs) / len(rs) if rs else 0.0

    def p50(rs: list[dict], side: str) -> str:
        ms = [r[side]["ttft_ms"] for r in rs if r[side]["ttft_ms"]]
        return f"{statistics.median(ms):.1f}" if ms else "-"

    table = []
    for kind in [*sorted({r["kind"] for r in rows}), "all"]:
        rs = rows if kind == "all" else [r for r in rows if r["kind"] == kind]
        on, off = rate(rs, "on"), rate(rs, "off")
        table.append([kind, str(len(rs)), f"{on:.0%}", f"{off:.0%}", p50(rs, "on"), p50(rs, "off")])
    return table, rate(rows, "on"), rate(rows, "off")
