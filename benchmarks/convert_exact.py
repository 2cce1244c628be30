"""How exactly the GGUF -> ONNX converter reproduces llama.cpp, per architecture and tensor type.

For each tiny random GGUF of tests/tinymodel.py (EXACT_CASES: llama, Llama 3 with rope_freqs,
qwen2, starcoder2 in fp32; llama and others in Q4_0 ... Q6_K and a Q4_K_M mix; fp32 models
with only a quantized embedding) and, with ``--real``, the default SmolLM2-135M Q4_1 GGUF, it

- converts the file (conversion time, in seconds, on this machine),
- lets llama.cpp (llama-cpp-python, 2 threads, f32 KV cache) greedily continue a fixed
  18-token prompt for 64 tokens, keeping the logits of every position,
- feeds that same token sequence through the converted model in onnxruntime, one token at a
  time through the KV cache, and reports the max |logit difference| (absolute, and relative
  to the largest |logit|), and how many of llama.cpp's greedy tokens are also our argmax,
- lets the converted model continue the prompt greedily on its own and reports the share of
  its 64 tokens identical to llama.cpp's, position by position (after a first difference the
  two continue from different texts, so this is also the length of the common prefix, mostly).

The differences are llama.cpp's arithmetic as much as ours: with ``--accuracy-level 0`` our
side computes in fp32 over the exact weights, so fp32 models agree to float rounding and the
quantized ones differ by llama.cpp's 8-bit rounding of activations (tests/test_convert_archs.py
states the bounds); the product default, 4, adds onnxruntime's own int8 activations.

    python benchmarks/convert_exact.py [--accuracy-level 4] [--real] [--cases llama,qwen2]

Needs llama-cpp-python (`.ci/run` builds it into .venv-llamacpp; or set SPARK_LLAMA_CPP_PYTHON).
Writes benchmarks/results/convert_exact.json.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from common import REPO_ROOT, RESULTS_DIR, fmt, table, write_json

sys.path.insert(0, str(REPO_ROOT / "tests"))
from labserver import REAL_DATA_DIR, default_gguf, llama_cpp_available
from tinymodel import EXACT_CASES, llama_cpp_greedy, onnx_greedy, onnx_logits, write_tiny_gguf

from jupyter_spark.models.convert import DEFAULT_ACCURACY_LEVEL, convert_gguf

# The same prompt and length as tests/test_convert_archs.py.
PROMPT = [40, 41, 300, 7, 120, 121, 122, 5, 250, 260, 270, 33, 90, 91, 92, 93, 150, 151]
STEPS = 64


def measure(gguf_path: Path, work: Path, accuracy_level: int) -> dict:
    """One row: conversion time, logit differences and greedy agreement with llama.cpp."""
    out = work / "onnx"
    out.mkdir()
    t0 = time.perf_counter()
    convert_gguf(gguf_path, out, accuracy_level=accuracy_level)
    convert_s = time.perf_counter() - t0
    tokens, want = llama_cpp_greedy(gguf_path, PROMPT, STEPS)
    got = onnx_logits(out, (PROMPT + tokens)[:-1])
    diff = float(np.abs(got - want).max())
    ours = onnx_greedy(out, PROMPT, STEPS)
    forced = got[len(PROMPT) - 1 :].argmax(-1)
    return {
        "convert_s": convert_s,
        "max_abs_diff": diff,
        "rel_diff": diff / float(np.abs(want).max()),
        "forced_argmax_agree": float(np.mean(forced == np.asarray(tokens))),
        "greedy_identical": float(np.mean(np.asarray(ours) == np.asarray(tokens))),
        "distinct_tokens": len(set(tokens)),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--accuracy-level", type=int, default=DEFAULT_ACCURACY_LEVEL)
    ap.add_argument("--real", action="store_true", help="also the default SmolLM2 Q4_1 GGUF")
    ap.add_argument("--cases", default="", help="comma-separated EXACT_CASES names (all)")
    args = ap.parse_args()
    if not llama_cpp_available():
        sys.exit("llama-cpp-python is not installed (see the module docstring)")
    names = [c for c in args.cases.split(",") if c] or list(EXACT_CASES)
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            work = Path(tmp) / name
            work.mkdir()
            gguf_path = write_tiny_gguf(work / "m.gguf", EXACT_CASES[name], seed=3)
            results[name] = measure(gguf_path, work, args.accuracy_level)
            print(name, results[name], flush=True, file=sys.stderr)
        if args.real:
            work = Path(tmp) / "real"
            work.mkdir()
            gguf_path = default_gguf(REAL_DATA_DIR / "gguf")
            results["smollm2-135m-q4_1"] = measure(gguf_path, work, args.accuracy_level)
    rows = [
        [
            name,
            fmt(r["max_abs_diff"], 5),
            fmt(100 * r["rel_diff"], 3),
            f"{r['forced_argmax_agree']:.0%}",
            f"{r['greedy_identical']:.0%}",
            str(r["distinct_tokens"]),
            fmt(r["convert_s"], 2),
        ]
        for name, r in results.items()
    ]
    headers = [
        "model",
        "max |dlogit|",
        "% of max",
        "argmax on llama's",
        "greedy identical",
        "distinct",
        "convert s",
    ]
    print(f"accuracy_level {args.accuracy_level}, {STEPS} greedy steps after {len(PROMPT)} tokens")
    print(table(headers, rows))
    write_json(
        RESULTS_DIR / "convert_exact.json",
        {"accuracy_level": args.accuracy_level, "steps": STEPS, "results": results},
    )


if __name__ == "__main__":
    main()
