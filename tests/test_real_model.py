"""Real-model tier: the default model pulled from PyPI, converted by us, completing real code."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.real_model


def test_pulled_model_has_manifest(real_model):
    m = real_model.manifest
    assert m["quantization"] == {"Q4_1": 210, "F32": 61, "Q8_0": 1}
    assert m["source"]["sha256"] and m["converter_version"]


def test_numpy_completion(real_engine):
    r = real_engine.complete("import numpy as np\nx = np.").wait()
    name = r.text.split("(")[0].split(".")[0]
    import numpy as np

    assert hasattr(np, name), r.text


def test_pandas_completion(real_engine):
    r = real_engine.complete("import pandas as pd\ndf = pd.").wait()
    import pandas as pd

    assert hasattr(pd, r.text.split("(")[0]), r.text


def test_token_healing_mid_identifier(real_engine):
    r = real_engine.complete("import numpy as np\nx = np.zer").wait()
    assert r.text.startswith("os("), r.text


def test_block_mode_completes_a_function_body(real_engine):
    # (with the docstring the body is not a near tie: bare ``def add(a, b):`` gets ``a += b``
    # or ``return a + b`` depending on onnxruntime's kernels)
    prefix = 'def add(a, b):\n    """Return the sum of a and b."""\n'
    r = real_engine.complete(prefix, mode="block").wait()
    assert r.text.lstrip().startswith("return") or "return" in r.text, r.text
    assert all(line.startswith("    ") for line in r.text.splitlines() if line.strip())


def test_prefix_reuse_while_typing(real_engine):
    src = "import numpy as np\nimport pandas as pd\n\ndf = pd.read_csv('sales.csv')\n"
    results = [real_engine.complete(src + "df.gr"[:i]).wait() for i in range(1, 6)]
    model_runs = [r for r in results if r.stop_reason != "typed_through"]
    assert all(r.cached_tokens >= r.prompt_tokens - 4 for r in model_runs[1:])


def test_cli_complete_json(real_model):
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "jupyter_spark.cli",
            "complete",
            "--prefix",
            "import pandas as pd\ndf = pd.",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    result = json.loads(out.stdout)
    assert set(result) >= {"text", "tokens", "ttft_ms", "total_ms", "model"}
    assert result["text"] and result["model"] == real_model.name
