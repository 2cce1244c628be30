"""Knobs that cross layers are defined once (issue 19, step 2). Where another language must
repeat a value (the JupyterLab settings schema), this test holds it to the Python definition;
where Python derives one, the test pins the derivation so a new literal cannot drift."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jupyter_spark.context.config import DEFAULT_CONFIG
from jupyter_spark.engine.config import (
    ESTIMATE_CHARS_PER_TOKEN,
    MAX_TOKENS_LIMIT,
    EngineConfig,
    estimate_tokens,
)
from jupyter_spark.server import protocol

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = ROOT / "labextension" / "schema" / "plugin.json"


def _schema() -> dict:
    return json.loads(SCHEMA.read_text("utf-8"))["properties"]


def test_the_jupyterlab_schema_repeats_the_servers_knobs():
    props = _schema()
    assert props["maxTokens"]["default"] == EngineConfig.max_tokens_line
    assert props["maxTokens"]["maximum"] == MAX_TOKENS_LIMIT
    assert props["mode"]["enum"] == list(protocol.MODES)
    budget = props["contextBudget"]
    assert (budget["minimum"], budget["maximum"]) == (
        protocol.MIN_CONTEXT_BUDGET,
        protocol.MAX_CONTEXT_BUDGET,
    )
    assert budget["default"] is None  # null: the server's context_budget, not a second copy


def test_the_schemas_defaults_match_the_server_switches_they_mirror():
    """grounding / projectContext on by default as the server's options are (the request sends
    only an opt-out, so a differing default would silently flip the server's meaning)."""
    from jupyter_spark.server.extension import SparkExtension

    props = _schema()
    assert props["grounding"]["default"] is SparkExtension.grounding.default_value
    assert props["projectContext"]["default"] is SparkExtension.project_index.default_value


def test_defaults_elsewhere_are_derived_from_their_one_definition():
    from jupyter_spark.ipython.magics import MAX_TOKENS, SparkMagics
    from jupyter_spark.ipython.session import CONTEXT_BUDGET
    from jupyter_spark.serve import app, infill
    from jupyter_spark.server.extension import SparkExtension

    assert SparkExtension.context_budget.default_value == DEFAULT_CONFIG.budget_tokens
    assert DEFAULT_CONFIG.budget_tokens == CONTEXT_BUDGET
    assert SparkExtension.max_message_bytes.default_value == protocol.MAX_MESSAGE_BYTES
    assert app.MAX_BODY == protocol.MAX_MESSAGE_BYTES
    assert infill.MAX_N_PREDICT == MAX_TOKENS_LIMIT
    # The magics' longer line is derived from the editor's, not a second literal.
    assert SparkMagics.max_tokens.default_value == MAX_TOKENS > EngineConfig.max_tokens_line


@pytest.mark.parametrize("n, ok", [(MAX_TOKENS_LIMIT, True), (MAX_TOKENS_LIMIT + 1, False)])
def test_every_front_door_bounds_max_tokens_by_the_one_limit(n, ok):
    from jupyter_spark.cli import _complete_line

    msg = {"type": "complete", "id": "a", "prefix": "x", "max_tokens": n}
    if ok:
        assert protocol.parse_message(msg).max_tokens == n
        assert _complete_line(json.dumps(msg))["max_tokens"] == n
        return
    with pytest.raises(protocol.ProtocolError, match=str(MAX_TOKENS_LIMIT)) as e:
        protocol.parse_message(msg)
    assert e.value.code == "bad_field"
    with pytest.raises(protocol.ProtocolError, match=str(MAX_TOKENS_LIMIT)):
        _complete_line(json.dumps(msg))


def test_the_token_estimator_errs_high_on_code():
    """3 characters a token: above the ~3.5 that SmolLM2's tokenizer gives Python source, so a
    budget counted with it overflows less often than it underflows."""
    assert ESTIMATE_CHARS_PER_TOKEN == 3
    assert estimate_tokens("") == 1
    assert estimate_tokens("x" * 30) == 11


def test_the_frontends_request_timeout_outlasts_the_servers_budgets():
    """A fix the server still works on must not fail in the browser first: the client's
    timeout (labextension/src/timing.ts) is past a kernel read, ruff and a model rewrite."""
    import re

    from jupyter_spark.fixes.model import REWRITE_TIMEOUT_S
    from jupyter_spark.fixes.ruff import RUFF_TIMEOUT_S
    from jupyter_spark.server.kernel_state import TIMEOUT as KERNEL_TIMEOUT_S

    timing = (ROOT / "labextension" / "src" / "timing.ts").read_text("utf-8")
    found = re.search(r"REQUEST_TIMEOUT_MS = ([\d_]+);", timing)
    assert found, "timing.ts names REQUEST_TIMEOUT_MS"
    client_ms = int(found.group(1).replace("_", ""))
    assert client_ms > 1000 * (KERNEL_TIMEOUT_S + RUFF_TIMEOUT_S + REWRITE_TIMEOUT_S)
