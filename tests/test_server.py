"""The server extension in a real jupyter server (pytest-jupyter) with a real ipykernel."""

from __future__ import annotations

import asyncio
import itertools
import json
import time

import pytest
from conftest import recv, until_done
from tornado.httpclient import HTTPClientError, HTTPRequest
from tornado.websocket import websocket_connect

CELLS = [
    {"id": "a", "cell_type": "markdown", "source": "# Sales analysis"},
    {"id": "b", "cell_type": "code", "source": "def load_sales(path):\n    return path\n"},
    {"id": "c", "cell_type": "code", "source": "x = load_sa"},
]


@pytest.fixture
def jp_server_config(tiny_model_dir):
    return {
        "ServerApp": {"jpserver_extensions": {"jupyter_spark": True}},
        "SparkExtension": {
            "model": str(tiny_model_dir),
            "max_context": 256,
            "threads": 1,
            "repeat_limit": 0,  # the tiny model loops; cancel tests need its long outputs
        },
    }


@pytest.fixture
def service(jp_serverapp):
    svc = jp_serverapp.web_app.settings["spark_service"]
    assert svc.wait_ready(60), svc.host.status
    return svc


def complete(rid: str, prefix: str, **extra) -> str:
    return json.dumps({"type": "complete", "id": rid, "prefix": prefix, **extra})


async def test_status_and_rest_complete(service, jp_fetch):
    status = json.loads((await jp_fetch("spark", "status")).body)
    assert status["model"] == service.host.status.model and status["percent"] == 100.0
    r = await jp_fetch(
        "spark",
        "complete",
        method="POST",
        body=json.dumps({"id": "1", "prefix": "x = np.zer", "max_tokens": 4}),
    )
    done = json.loads(r.body)
    assert done["type"] == "done" and done["id"] == "1"
    assert set(done["stats"]) >= {"ttft_ms", "total_ms", "tokens", "cached_tokens"}
    status = json.loads((await jp_fetch("spark", "status")).body)
    assert status["latency"]["requests"] >= 1 and status["latency"]["ttft_ms"]["p50"] > 0


async def test_ws_streams_chunks_then_done(service, jp_ws_fetch):
    ws = await jp_ws_fetch("spark", "ws")
    ws.write_message(complete("r1", "x = np.zer", mode="block", max_tokens=8))
    chunks, done = await until_done(ws, "r1")
    assert done["type"] == "done" and chunks
    assert all(b["text"].startswith(a["text"]) for a, b in itertools.pairwise(chunks))
    assert done["stats"]["tokens"] >= 1 and not done["cancelled"]
    ws.close()


async def test_cancel_and_supersede(service, jp_ws_fetch):
    ws = await jp_ws_fetch("spark", "ws")
    ws.write_message(complete("old", "x = np.zer", mode="block", max_tokens=200))
    ws.write_message(json.dumps({"type": "cancel", "id": "old"}))
    _, done = await until_done(ws, "old")
    assert done["cancelled"] and done["stats"]["tokens"] < 200
    ws.write_message(complete("a", "x = np.zer", mode="block", max_tokens=200))
    ws.write_message(complete("b", "import numpy as np\n", max_tokens=3))
    _, done_a = await until_done(ws, "a")
    _, done_b = await until_done(ws, "b")
    assert done_a["cancelled"] and done_a["stats"]["tokens"] < 200
    assert not done_b["cancelled"]
    ws.close()


# A prompt whose suggestion runs over several characters (to type through, to follow).
AHEAD_PROMPT, AHEAD_REQUEST = "x = np.zer", {"mode": "block", "max_tokens": 8}


async def _suggestion(ws, prompt: str, **req) -> str:
    """The model's suggestion at ``prompt`` (more than one character of it)."""
    ws.write_message(complete("plain", prompt, **req))
    _, done = await until_done(ws, "plain")
    assert len(done["text"]) > 1, done
    return done["text"]


async def test_the_suggestion_after_an_accept_streams_from_the_continuation(service, jp_ws_fetch):
    """`warm` with `ahead` (the client just accepted a suggestion there) generates what
    follows; the next request, whose prompt types its start, is answered from it without a
    model step and without cancelling it, even when sent before it finished."""
    ws = await jp_ws_fetch("spark", "ws")
    prompt, req = AHEAD_PROMPT, AHEAD_REQUEST
    expected = await _suggestion(ws, prompt, **req)
    ws.write_message(json.dumps({"type": "warm", "id": "w", "prefix": prompt, "ahead": True,
                                 **req}))  # fmt: skip
    ws.write_message(complete("next", prompt + expected[0], **req))
    (_, warm), (_, nxt) = await until_done(ws, "w"), await until_done(ws, "next")
    assert warm["stats"]["stop_reason"] == "warm" and not warm["cancelled"], warm
    assert nxt["stats"]["stop_reason"] == "ahead" and nxt["text"] == expected[1:], nxt
    assert nxt["stats"]["tokens"] == 0
    ws.write_message(json.dumps({"type": "warm", "id": "bad", "prefix": "", "ahead": "yes"}))
    err = await recv(ws)
    assert err["type"] == "error" and err["code"] == "bad_field" and err["id"] == "bad", err
    ws.close()


async def _terminal_frames(ws, ids: set[str], timeout: float = 60) -> dict[str, list[dict]]:
    """Each id's done/error frames: read until every id in ``ids`` has one (a request left
    without its done is what keeps a ghost text streaming in the browser), then until the
    connection has been quiet for half a second (a second done would come by then)."""
    seen: dict[str, list[dict]] = {rid: [] for rid in ids}
    deadline = time.monotonic() + timeout
    while True:
        missing = [rid for rid, frames in seen.items() if not frames]
        left = deadline - time.monotonic()
        assert not missing or left > 0, f"no done for {missing}"
        try:
            m = await recv(ws, timeout=left if missing else 0.5)
        except TimeoutError:
            assert not missing, f"no done for {missing}"
            return seen
        if m.get("id") in seen and m["type"] in ("done", "error"):
            seen[m["id"]].append(m)


async def test_every_request_ends_with_its_done_whichever_path_answers_it(service, jp_ws_fetch):
    """A keystroke's request can be answered by the model, by typing through the last
    suggestion, by following the continuation generated ahead (or by the model after all when
    the continuation turns out not to start with what was typed), at once, or be superseded or
    cancelled on the way: each ends with exactly one done frame (the browser waits for it to
    stop showing its suggestion as streaming)."""
    ws = await jp_ws_fetch("spark", "ws")
    prompt, req = AHEAD_PROMPT, AHEAD_REQUEST
    text = await _suggestion(ws, prompt, **req)

    def warm(rid: str, prefix: str) -> str:
        return json.dumps({"type": "warm", "id": rid, "prefix": prefix, "ahead": True, **req})

    frames = [
        # typed through the last suggestion: its rest, at once
        complete("typed", prompt + text[0], **req),
        # a suggestion still streaming when the user types its shown part to the end: the
        # client takes it as accepted and asks for the next line ahead (supersedes it)
        complete("streaming", "for i in range(3):\n", mode="block", max_tokens=200),
        warm("taken", "for i in range(3):\n    \n"),
        # followers of a continuation: one superseded by the next, one cancelled, one whose
        # typed text the continuation does not start with (the model answers it after all)
        warm("ahead", prompt),
        complete("follow-1", prompt, **req),
        complete("follow-2", prompt + text[0], **req),
        json.dumps({"type": "cancel", "id": "follow-2"}),
        warm("ahead-2", prompt),
        complete("diverged", prompt + text + "qq", **req),
        # answered at once: a warm with nothing to prefill left
        json.dumps({"type": "warm", "id": "again", "prefix": prompt + text + "qq", **req}),
    ]
    for frame in frames:
        ws.write_message(frame)
    ids = {json.loads(f)["id"] for f in frames if json.loads(f)["type"] != "cancel"}
    seen = await _terminal_frames(ws, ids)
    assert {rid: [m["type"] for m in f] for rid, f in seen.items()} == {
        rid: ["done"] for rid in ids
    }
    # (each request supersedes the one before it, so most end cancelled; these cannot)
    typed = seen["typed"][0]
    assert typed["stats"]["stop_reason"] == "typed_through" and typed["text"] == text[1:]
    assert seen["diverged"][0]["stats"]["stop_reason"] != "ahead", seen["diverged"]
    ws.close()


async def test_a_confident_request_reports_the_model_s_confidence(service, jp_ws_fetch):
    """`confident` (a fresh top-level line at the end of a cell): the text comes whole at the
    end, or not at all (stop_reason "unsure"), with the mean log-probability it was judged by."""
    ws = await jp_ws_fetch("spark", "ws")
    ws.write_message(complete("c", "import numpy as np\nx = np.zeros(3)\n", confident=True))
    chunks, done = await until_done(ws, "c")
    stats = done["stats"]
    assert isinstance(stats["logprob"], float) and stats["logprob"] <= 0, stats
    if stats["stop_reason"] == "unsure":
        assert done["text"] == "" and chunks == []
    else:
        assert [c["text"] for c in chunks] == [done["text"]] and done["text"]
    ws.write_message(complete("bad", "x", confident="yes"))
    err = await recv(ws)
    assert err["type"] == "error" and err["code"] == "bad_field", err
    ws.close()


async def test_sync_then_complete_without_cells(service, jp_ws_fetch):
    ws = await jp_ws_fetch("spark", "ws")
    ws.write_message(json.dumps({"type": "sync", "path": "n.ipynb", "cells": CELLS}))
    ws.write_message(
        json.dumps(
            {
                "type": "sync",
                "path": "n.ipynb",
                "changes": [
                    {"id": "d", "source": "REGION_COLUMNS = ['north']"},
                    {"id": "a", "deleted": True},
                ],
                "order": ["b", "d", "c"],
            }
        )
    )
    ws.write_message(complete("r", "x = load_sa", path="n.ipynb", cell_id="c", max_tokens=3))
    _, done = await until_done(ws, "r")
    assert done["type"] == "done"
    prompt = service.last_prompt.prefix
    assert "def load_sales(path)" in prompt and "REGION_COLUMNS" in prompt
    assert "Sales analysis" not in prompt  # deleted
    assert prompt.endswith("x = load_sa")
    ws.close()


async def test_complete_with_cells_uses_other_cells(service, jp_ws_fetch):
    ws = await jp_ws_fetch("spark", "ws")
    ws.write_message(complete("r", "x = load_sa", cells=CELLS, cell_id="c", max_tokens=3))
    _, done = await until_done(ws, "r")
    assert done["type"] == "done"
    assert "def load_sales" in service.last_prompt.prefix
    ws.close()


async def test_client_context_budget_limits_the_prompt(service, jp_ws_fetch):
    big = [
        {"id": f"f{i}", "cell_type": "code", "source": f"def helper_{i}(x):\n    return x + {i}\n"}
        for i in range(40)
    ]
    cells = [*big, {"id": "cur", "cell_type": "code", "source": "y = helper_"}]
    ws = await jp_ws_fetch("spark", "ws")
    ws.write_message(complete("wide", "y = helper_", cells=cells, cell_id="cur", max_tokens=1))
    await until_done(ws, "wide")
    wide = service.last_prompt
    ws.write_message(
        complete(
            "narrow", "y = helper_", cells=cells, cell_id="cur", max_tokens=1, context_budget=64
        )
    )
    _, done = await until_done(ws, "narrow")
    assert done["type"] == "done"
    narrow = service.last_prompt
    assert narrow.tokens_estimate <= 64 < wide.tokens_estimate
    assert len(narrow.included_cells) < len(wide.included_cells)
    ws.write_message(complete("bad", "y", context_budget=10))
    err = await recv(ws)
    assert (err["type"], err["code"], err["id"]) == ("error", "bad_field", "bad")
    ws.close()


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("{not json", "bad_json"),
        (b"\x00\x01binary", "binary_frame"),
        (json.dumps({"type": "explode", "id": "1"}), "unknown_type"),
        (json.dumps({"type": "complete", "id": "1"}), "missing_field"),
        (json.dumps({"type": "complete", "id": "1", "prefix": 3}), "bad_field"),
        (json.dumps({"type": "complete", "id": "1", "prefix": "x", "mode": "page"}), "bad_field"),
        (json.dumps([1, 2]), "bad_message"),
        (json.dumps({"type": "sync", "path": "never.ipynb", "changes": []}), "unknown_notebook"),
        (json.dumps({"type": "complete", "id": "1", "prefix": "x" * 5_000_001}), "too_large"),
    ],
)
async def test_bad_input_gets_error_and_connection_survives(service, jp_ws_fetch, frame, code):
    ws = await jp_ws_fetch("spark", "ws")
    ws.write_message(frame, binary=isinstance(frame, bytes))
    err = await recv(ws)
    assert (err["type"], err["code"]) == ("error", code)
    ws.write_message(complete("ok", "import numpy as np\n", max_tokens=2, extra_field=1))
    _, done = await until_done(ws, "ok")
    assert done["type"] == "done"
    ws.close()


async def test_rest_bad_input(service, jp_fetch):
    with pytest.raises(HTTPClientError) as e:
        await jp_fetch("spark", "complete", method="POST", body="{nope")
    assert e.value.code == 400
    with pytest.raises(HTTPClientError) as e:
        await jp_fetch("spark", "complete", method="POST", body=json.dumps({"id": "1"}))
    assert e.value.code == 400


async def test_requests_without_credentials_are_rejected(
    service, jp_http_port, jp_base_url, http_server_client
):
    base = jp_base_url  # http_server_client prepends the server's address
    for path, method, body in (
        ("spark/status", "GET", None),
        ("spark/complete", "POST", json.dumps({"id": "1", "prefix": "x"})),
    ):
        with pytest.raises(HTTPClientError) as e:
            await http_server_client.fetch(
                base + path, method=method, body=body, follow_redirects=False
            )
        assert e.value.code in (302, 403)
    ws_url = f"ws://localhost:{jp_http_port}{jp_base_url}spark/ws"
    with pytest.raises(HTTPClientError) as e:
        await websocket_connect(ws_url)
    assert e.value.code == 403


async def test_foreign_origin_rejected(
    service, jp_serverapp, jp_http_port, jp_base_url, http_server_client
):
    """A browser page elsewhere carries the login cookie but not the token: origin matters."""
    token = jp_serverapp.identity_provider.token
    r = await http_server_client.fetch(f"{jp_base_url}api/status?token={token}")
    cookie = "; ".join(c.split(";", 1)[0] for c in r.headers.get_list("Set-Cookie"))
    host = f"127.0.0.1:{jp_http_port}"
    url = f"ws://{host}{jp_base_url}spark/ws"
    ok = await websocket_connect(
        HTTPRequest(url, headers={"Cookie": cookie, "Origin": f"http://{host}"})
    )
    ok.close()  # same origin with the cookie: accepted
    with pytest.raises(HTTPClientError) as e:
        await websocket_connect(
            HTTPRequest(url, headers={"Cookie": cookie, "Origin": "http://evil.example"})
        )
    assert e.value.code == 403


async def _start_kernel(jp_fetch, jp_serverapp):
    r = await jp_fetch("api", "kernels", method="POST", body=json.dumps({"name": "python3"}))
    kid = json.loads(r.body)["id"]
    kc = jp_serverapp.kernel_manager.get_kernel(kid).client()
    kc.start_channels()
    await kc.wait_for_ready(timeout=60)
    return kid, kc


async def test_kernel_variables_reach_the_prompt(service, jp_fetch, jp_ws_fetch, jp_serverapp):
    kid, kc = await _start_kernel(jp_fetch, jp_serverapp)
    try:
        await kc.execute_interactive(
            "import pandas as pd\nsales = pd.DataFrame({'unit_price': [1.0], 'region': ['n']})",
            timeout=60,
        )
        reader = service.kernel_reader
        state = None
        for _ in range(100):  # the snapshot is taken after the execution, in the background
            state = reader.get(kid)
            if state and any(v.name == "sales" for v in state.variables):
                break
            await asyncio.sleep(0.1)
        ws = await jp_ws_fetch("spark", "ws")
        ws.write_message(complete("k", "sales.", kernel_id=kid, max_tokens=3))
        _, done = await until_done(ws, "k")
        assert done["type"] == "done"
        prompt = service.last_prompt.prefix
        assert "unit_price" in prompt and "sales" in prompt
        # A cell sleeping 30 s does not delay completions.
        kc.execute("import time; time.sleep(30)")
        await asyncio.sleep(0.3)
        t0 = time.monotonic()
        ws.write_message(complete("k2", "sales.", kernel_id=kid, max_tokens=3))
        _, done = await until_done(ws, "k2")
        assert done["type"] == "done" and time.monotonic() - t0 < 5
        ws.close()
    finally:
        kc.stop_channels()
        await jp_serverapp.kernel_manager.shutdown_kernel(kid, now=True)


async def test_io_loop_never_waits_on_inference(service, jp_fetch, jp_ws_fetch):
    """While the model is busy (its lock held, as by a long generation in the inference
    thread), the IO loop still takes requests and answers status; the queued completion
    finishes once the model is free."""
    ws = await jp_ws_fetch("spark", "ws")
    lock = service.host.backend._lock
    lock.acquire()
    try:
        ws.write_message(complete("queued", "import numpy as np\n", max_tokens=2))
        status = json.loads((await jp_fetch("spark", "status")).body)
        assert status["state"] == "ready"
        with pytest.raises(asyncio.TimeoutError):  # still waiting for the model
            await recv(ws, timeout=0.3)
    finally:
        lock.release()
    _, done = await until_done(ws, "queued")
    assert done["type"] == "done" and not done["cancelled"]
    ws.close()


async def test_warm_then_rewarm_after_the_kernel_changes(service, jp_fetch, jp_ws_fetch,
                                                          jp_serverapp):  # fmt: skip
    """`warm` prefills the prompt without generating; when a cell run changes the kernel's
    variables (the block at the top of the prompt), the server prefills the last prompt again
    by itself, so the next keystroke reuses all but its last tokens."""
    kid, kc = await _start_kernel(jp_fetch, jp_serverapp)
    try:
        await kc.execute_interactive("revenue = 10", timeout=60)
        ws = await jp_ws_fetch("spark", "ws")
        ws.write_message(json.dumps({"type": "sync", "path": "nb.ipynb", "cells": CELLS}))
        req = {"path": "nb.ipynb", "cell_id": "c", "kernel_id": kid, "max_tokens": 4}
        for _ in range(100):  # the first snapshot is taken in the background
            ws.write_message(json.dumps({"type": "warm", "id": "w", "prefix": "x = load_sa",
                                         **req}))  # fmt: skip
            _, done = await until_done(ws, "w")
            if service.kernel_reader.get(kid) is not None:
                break
            await asyncio.sleep(0.1)
        assert done["type"] == "done" and done["text"] == "" and done["cancelled"] is False
        assert done["stats"]["stop_reason"] == "warm" and done["stats"]["tokens"] == 0
        assert service.status_message()["latency"]["requests"] == 0, "a warm is no completion"
        # That first snapshot may have started a rewarm of its own (the warm above could have
        # been built before it): one more warm, answered after any such rewarm, so the rewarm
        # read below is the one for the cell run.
        ws.write_message(json.dumps({"type": "warm", "id": "w2", "prefix": "x = load_sa", **req}))
        while (m := await recv(ws, timeout=30)).get("id") != "w2":
            assert str(m.get("id", "")).startswith("rewarm-"), m

        # The user runs a cell that defines a variable: the server re-warms the last prompt.
        await kc.execute_interactive("units_sold = [3, 4]", timeout=60)
        rewarm = await recv(ws, timeout=30)
        assert rewarm["type"] == "done" and rewarm["id"].startswith("rewarm-"), rewarm
        assert rewarm["stats"]["stop_reason"] == "warm"
        assert rewarm["stats"]["cached_tokens"] < rewarm["stats"]["prompt_tokens"] - 4

        ws.write_message(complete("k", "x = load_sal", **req))
        _, done = await until_done(ws, "k")
        stats = done["stats"]
        assert stats["cached_tokens"] >= stats["prompt_tokens"] - 4, stats
        assert "units_sold" in service.last_prompt.prefix
        ws.close()
    finally:
        kc.stop_channels()
        await jp_serverapp.kernel_manager.shutdown_kernel(kid, now=True)
