"""server/protocol.py builds every reply (issue 19, step 5): the shapes docs/protocol.md shows,
and one fix entry point (server/fixing.py) for the websocket, POST spark/fix and the CLI."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from jupyter_spark.fixes import FixService
from jupyter_spark.server import protocol
from jupyter_spark.server.fixing import answer_fix

DOC = Path(__file__).resolve().parent.parent / "docs" / "protocol.md"


def _documented(heading: str) -> list[dict]:
    """The JSON objects of the doc's section under ``heading``."""
    section = DOC.read_text("utf-8").split(f"## {heading}", 1)[1].split("\n## ", 1)[0]
    out: list[dict] = []
    decoder = json.JSONDecoder()
    for block in re.findall(r"```json\n(.*?)```", section, re.S):
        text = block.replace("…", "x").strip()
        while text:
            obj, end = decoder.raw_decode(text)
            out.append(obj)
            text = text[end:].strip()
    return out


def _documented_replies() -> dict[str, dict]:
    """The JSON objects of the doc's "Server to client" section, by type."""
    return {obj["type"]: obj for obj in _documented("Server to client")}


class _Item:
    def __init__(self, d: dict) -> None:
        self.d = d

    def to_dict(self) -> dict:
        return self.d


def test_the_builders_give_the_documented_shapes():
    doc = _documented_replies()
    assert set(doc) == {"chunk", "done", "error", "fixes", "diagnostics"}
    built = {
        "chunk": protocol.chunk_reply("r7", "oupby("),
        "done": protocol.done_reply("r7", "x", False, doc["done"]["stats"]),
        "error": protocol.error_reply("model_not_ready", "pulling", "r7"),
        "fixes": protocol.fix_reply("fix", "f1", [_Item(doc["fixes"]["fixes"][0])]),
        "diagnostics": protocol.fix_reply(
            "diagnose", "d1", [_Item(doc["diagnostics"]["items"][0])]
        ),
    }
    for kind, msg in built.items():
        assert set(msg) == set(doc[kind]), kind
        assert msg["type"] == kind
    assert built["fixes"]["fixes"] == doc["fixes"]["fixes"]


def test_a_done_cancelled_before_it_started_has_zero_stats():
    msg = protocol.done_reply("r1", "", cancelled=True)
    assert msg["cancelled"] is True
    assert msg["stats"] == {"ttft_ms": 0, "total_ms": 0, "tokens": 0, "cached_tokens": 0}


def test_an_error_without_a_request_has_no_id():
    assert "id" not in protocol.error_reply("bad_json", "not valid JSON")
    assert protocol.ProtocolError("bad_field", "m", "r2").to_message() == {
        "type": "error",
        "code": "bad_field",
        "message": "m",
        "id": "r2",
    }
    msg = protocol.internal_error_reply(ValueError("x" * 1000), "r3")
    assert (msg["code"], msg["id"], len(msg["message"])) == ("internal", "r3", 500)


def test_one_fix_entry_point_answers_fix_and_diagnose():
    fixes = FixService()
    diagnose = protocol.parse_message({"type": "diagnose", "id": "d1", "source": "print(nope)"})
    reply = answer_fix(fixes, diagnose, ())
    assert (reply["type"], reply["id"]) == ("diagnostics", "d1")
    assert [d["code"] for d in reply["items"]] == ["F821"]
    # a name another cell defines is no undefined name
    assert answer_fix(fixes, diagnose, ("nope = 1",))["items"] == []
    fix = protocol.parse_message(
        {
            "type": "fix",
            "id": "f1",
            "source": "print(sales_dff)",
            "error": {"ename": "NameError", "evalue": "name 'sales_dff' is not defined"},
            "cells": [{"id": "c0", "source": "sales_df = 1"}],
        }
    )
    reply = answer_fix(fixes, fix, ("sales_df = 1",), with_id=False)
    assert "id" not in reply and reply["type"] == "fixes"
    assert reply["fixes"][0]["new_source"] == "print(sales_df)"


def test_a_fix_error_becomes_the_protocol_error_with_its_code():
    huge = protocol.parse_message({"type": "diagnose", "id": "d2", "source": "x = 1\n" * 40_000})
    with pytest.raises(protocol.ProtocolError) as e:
        answer_fix(FixService(), huge, ())
    assert (e.value.code, e.value.request_id) == ("too_large", "d2")


def test_the_status_reply_has_the_documented_fields():
    (doc,) = _documented("GET spark/status")
    built = protocol.status_reply(
        state="ready",
        percent=100.0,
        model="m",
        backend=doc["backend"],
        grounding=True,
        project={"enabled": False},
        error=None,
        error_code=None,
        since=0.0,
        latency=doc["latency"],
    )
    assert set(built) == set(doc)
