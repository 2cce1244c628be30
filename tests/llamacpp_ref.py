"""llama.cpp as the reference implementation the converter and the tokenizer are checked against.

llama-cpp-python lives in a venv of its own (``.ci/run`` builds it, see ``labserver``), so the
product's environment stays as a user gets it. The tests therefore never import it: they send a
small script and a JSON payload to that venv's Python and read JSON back. Each caller writes its
own script (tokenize a corpus, dump logits, greedy-decode), keeping this module one job: run it.
"""

from __future__ import annotations

import json
import os
import subprocess
from typing import Any

import pytest
from labserver import LLAMA_CPP_PYTHON, llama_cpp_available

# A script may need to load a model and evaluate a few dozen tokens on 2 busy cores.
TIMEOUT_S = 300


def require_llama_cpp() -> None:
    """Skip where llama.cpp was not built; in CI (``CI`` set) its absence is a failure instead."""
    if llama_cpp_available():
        return
    if os.environ.get("CI"):
        pytest.fail(f"llama-cpp-python is missing at {LLAMA_CPP_PYTHON} (.ci/run builds it)")
    pytest.skip(f"llama-cpp-python is not installed at {LLAMA_CPP_PYTHON}")


def run_llama_cpp(script: str, payload: Any) -> Any:
    """Run ``script`` in llama.cpp's venv with ``payload`` as JSON on stdin; return its JSON stdout.

    The script reads ``json.load(sys.stdin)`` and prints one JSON document as its last line of
    stdout (llama.cpp's own logging goes to stderr). A failing script raises with its stderr.
    """
    proc = subprocess.run(
        [str(LLAMA_CPP_PYTHON), "-c", script],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"llama.cpp script failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    lines = [ln for ln in proc.stdout.splitlines() if ln.strip()]
    if not lines:
        raise RuntimeError(f"llama.cpp script printed nothing:\n{proc.stderr[-4000:]}")
    return json.loads(lines[-1])
