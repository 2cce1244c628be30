"""Remote backends: `jupyter spark serve` as a real process, the RemoteBackend against it, a
jupyter server streaming from it over the websocket exactly as from the embedded model, and
llama.cpp's OpenAI-compatible server (llama-cpp-python) on the same GGUF as a third-party peer."""

from __future__ import annotations

import asyncio
import http.server
import itertools
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from conftest import need, until_done
from labserver import (
    LLAMA_CPP_PYTHON,
    LlamaCppServerProcess,
    ServeProcess,
    free_port,
    llama_cpp_available,
)

from jupyter_spark.engine import BackendError, Engine, RemoteBackend, RemoteConfig
from jupyter_spark.engine.grounded import Choices

KEY = "test-key-123"


@pytest.fixture
def serve(tiny_model_dir):
    s = ServeProcess(tiny_model_dir, key=KEY).start()
    yield s
    s.stop()


def test_serve_openai_api(serve):
    status, body = serve.request("GET", "/v1/models", key=None)
    assert status == 401 and json.loads(body)["error"]["code"] == "invalid_api_key"
    assert serve.request("GET", "/v1/models", key="wrong")[0] == 401
    status, body = serve.request("GET", "/v1/models")
    assert status == 200 and json.loads(body)["data"][0]["object"] == "model"

    status, body = serve.request(
        "POST", "/v1/completions", {"prompt": "def f(x):", "max_tokens": 5}
    )
    reply = json.loads(body)
    assert status == 200 and reply["object"] == "text_completion"
    choice = reply["choices"][0]
    assert isinstance(choice["text"], str) and choice["finish_reason"] in ("stop", "length")
    assert reply["usage"]["completion_tokens"] <= 5

    status, body = serve.request(
        "POST", "/v1/completions", {"prompt": "def f(x):", "max_tokens": 5, "stream": True}
    )
    events = [ln[6:] for ln in body.decode().split("\n\n") if ln.startswith("data: ")]
    assert status == 200 and events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    assert "".join(c["choices"][0]["text"] for c in chunks) == choice["text"]
    assert chunks[-1]["choices"][0]["finish_reason"] == choice["finish_reason"]

    for bad in (b"{not json", b"[1]", json.dumps({"prompt": 3}).encode(),
                json.dumps({"prompt": "x", "max_tokens": 0}).encode()):  # fmt: skip
        status, body = serve.request("POST", "/v1/completions", bad)
        assert status == 400 and json.loads(body)["error"]["code"] == "invalid_request_error"


def test_remote_backend_gives_the_embedded_models_completions(serve, tiny_model_dir):
    remote = RemoteBackend(RemoteConfig(serve.url, api_key=KEY))
    local = Engine.load(str(tiny_model_dir))
    for prefix, mode in [("def add(a, b):\n    return", "line"), ("import os\n", "line"),
                         ("for i in range(3):\n", "block")]:  # fmt: skip
        got = remote.complete(prefix, "", mode, 12)
        texts = list(got)
        want = local.complete(prefix, "", mode, 12).wait()
        assert got.result.text == want.text, (prefix, mode)
        assert not texts or texts[-1] == got.result.text
    assert remote.status()["healthy"] is True


def test_remote_errors_are_typed_and_retried_with_backoff(tiny_model_dir):
    port = free_port()
    remote = RemoteBackend(RemoteConfig(f"http://127.0.0.1:{port}", api_key=KEY, backoff_max=1.0))
    with pytest.raises(BackendError) as e:
        remote.complete("x = ").wait()
    assert e.value.code == "backend_unavailable"
    with pytest.raises(BackendError) as e:  # inside the backoff window: fails fast
        remote.complete("x = ").wait()
    assert "retrying in" in str(e.value)
    assert remote.status()["healthy"] is False
    s = ServeProcess(tiny_model_dir, port=port, key=KEY).start()
    try:
        time.sleep(1.1)
        assert remote.complete("x = ", "", "line", 4).wait().stop_reason != "cancelled"
        assert remote.status()["healthy"] is True
        # Cancelling closes the stream at once.
        c = remote.complete("def f(x):\n", "", "block", 200)
        it = iter(c)
        next(it, None)
        c.cancel()
        list(it)
        assert c.result.stop_reason == "cancelled"
    finally:
        s.stop()
    bad_key = RemoteBackend(RemoteConfig(s.url, api_key="wrong"))
    s.start()
    try:
        with pytest.raises(BackendError) as e:
            bad_key.complete("x").wait()
        assert e.value.code == "backend_error" and "401" in str(e.value)
    finally:
        s.stop()


def test_a_stream_cut_off_mid_way_is_an_error_not_a_completion():
    """A server that dies after a few tokens (no finish reason, no [DONE]) must not pass for a
    finished completion: the client gets a typed error, and the backend counts a failure."""

    class Dying(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            event = {"choices": [{"text": "np.", "finish_reason": None}]}
            self.wfile.write(f"data: {json.dumps(event)}\n\n".encode())
            self.wfile.flush()
            self.close_connection = True  # then the process "crashes": the socket just closes

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Dying)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        remote = RemoteBackend(RemoteConfig(f"http://127.0.0.1:{server.server_port}"))
        with pytest.raises(BackendError) as e:
            remote.complete("import numpy as np\ny = ", "", "line", 8).wait()
        assert e.value.code == "backend_unavailable" and "before it finished" in str(e.value)
        assert remote.status()["healthy"] is False
    finally:
        server.shutdown()


def test_requests_failing_together_back_off_once():
    """Many users' requests failing at the same moment (a dead or overloaded server) share one
    failure: the backoff is the first step (0.5 s), not the longest, and the next retry comes
    soon after the server is back."""
    remote = RemoteBackend(RemoteConfig(f"http://127.0.0.1:{free_port()}", backoff_max=30.0))
    start = threading.Barrier(8)

    def request() -> str:
        start.wait()
        try:
            remote.complete("x = ").wait()
        except BackendError as e:
            return e.code
        return "ok"

    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(lambda _: request(), range(8)))
    assert set(codes) == {"backend_unavailable"}
    assert 0 < remote.status()["retry_in_s"] <= 0.5


# -- through a jupyter server ------------------------------------------------------------------


@pytest.fixture
def remote_serve(tiny_model_dir):
    s = ServeProcess(tiny_model_dir, key=KEY).start()
    yield s
    s.stop()


@pytest.fixture
def jp_server_config(remote_serve, tiny_model_dir, request, monkeypatch):
    monkeypatch.setenv("SPARK_REMOTE_API_KEY", KEY)
    fallback = "fallback" in request.node.name
    return {
        "ServerApp": {"jpserver_extensions": {"jupyter_spark": True}},
        "SparkExtension": {
            "backend": "remote",
            "remote_url": f"http://127.0.0.1:{free_port()}" if fallback else remote_serve.url,
            "remote_fallback": fallback,
            "model": str(tiny_model_dir),
            "threads": 1,
            "max_context": 256,
        },
    }


async def test_jupyter_server_streams_from_the_remote(
    jp_serverapp, jp_ws_fetch, jp_fetch, remote_serve
):
    svc = jp_serverapp.web_app.settings["spark_service"]
    assert svc.wait_ready(30)
    status = json.loads((await jp_fetch("spark", "status")).body)
    assert status["state"] == "ready"
    assert status["backend"]["kind"] == "remote" and status["backend"]["healthy"] is True
    ws = await jp_ws_fetch("spark", "ws")
    ws.write_message(json.dumps({"type": "complete", "id": "r1", "prefix": "def f(x):\n    return",
                                 "max_tokens": 8}))  # fmt: skip
    chunks, done = await until_done(ws, "r1")
    assert done["type"] == "done" and done["cancelled"] is False
    assert all(c["text"] for c in chunks)
    if chunks:
        assert done["text"] == chunks[-1]["text"] or chunks[-1]["text"].startswith(done["text"])

    remote_serve.stop()  # the inference server goes away: a typed error, the ws stays up
    ws.write_message(json.dumps({"type": "complete", "id": "r2", "prefix": "x = 1"}))
    _, err = await until_done(ws, "r2")
    assert (err["type"], err["code"]) == ("error", "backend_unavailable")
    status = json.loads((await jp_fetch("spark", "status")).body)
    assert status["backend"]["healthy"] is False

    remote_serve.start()  # back: after the backoff the next request goes through
    await asyncio.sleep(0.6)
    ws.write_message(
        json.dumps({"type": "complete", "id": "r3", "prefix": "y = 2", "max_tokens": 4})
    )
    _, done = await until_done(ws, "r3")
    assert done["type"] == "done"
    ws.close()


async def test_remote_fallback_to_embedded(jp_serverapp, jp_ws_fetch):
    svc = jp_serverapp.web_app.settings["spark_service"]
    assert svc.wait_ready(60)
    for _ in range(100):  # the embedded fallback loads after the remote is set up
        if svc.host.backend.fallback is not None:
            break
        await asyncio.sleep(0.1)
    ws = await jp_ws_fetch("spark", "ws")
    ws.write_message(
        json.dumps({"type": "complete", "id": "f", "prefix": "x = 1", "max_tokens": 4})
    )
    _, done = await until_done(ws, "f")
    assert done["type"] == "done", done
    ws.close()


# -- a third-party peer: llama.cpp's server on the same GGUF -----------------------------------

# Code a user types, for line completions (the model should finish each line).
LINE_PROMPTS = [
    "import numpy as np\n\nx = np.linspace(0, 1, 100)\ny = np.",
    "def mean(values):\n    return sum(values) /",
    "with open('data.txt') as f:\n    lines = f.",
    "for i, name in enumerate(names):\n    print(i,",
    "import pandas as pd\n\ndf = pd.read_csv('sales.csv')\ntotal = df['amount'].",
]


@pytest.fixture
def llama_cpp_server(default_gguf_path):
    need(llama_cpp_available(), f"llama-cpp-python's server is not installed ({LLAMA_CPP_PYTHON})")
    s = LlamaCppServerProcess(default_gguf_path, threads=2, key=KEY).start()
    yield s
    s.stop()


@pytest.mark.real_model
def test_remote_backend_streams_from_llama_cpp_server(llama_cpp_server, real_engine):
    """Against llama.cpp's OpenAI server: our stop rules, streaming, cancel and typed errors
    hold as with our own server, and its greedy completions of the same GGUF match ours."""
    remote = RemoteBackend(RemoteConfig(llama_cpp_server.url, api_key=KEY, timeout=60.0))
    agree = 0
    for prefix in LINE_PROMPTS:
        c = remote.complete(prefix, "", "line", 24)
        texts = list(c)
        r = c.result
        assert r.stop_reason in ("newline", "eos", "max_tokens"), r
        assert r.text.strip() and "\n" not in r.text, (prefix, r.text)
        # The stream only grows, and its last text is the result.
        assert all(b.startswith(a) for a, b in itertools.pairwise(texts)), texts
        assert texts[-1] == r.text
        agree += r.text == real_engine.complete(prefix, "", "line", 24).wait().text
    # Same weights, greedy: the two runtimes round differently, so a near-tie may go either way,
    # but most lines must be the same (a wrong tokenizer or converter would agree on none).
    assert agree >= 3, agree

    block = remote.complete("def add(a, b):\n", "", "block", 64).wait()
    assert block.text.strip() and block.stop_reason in ("block", "eos", "max_tokens")

    c = remote.complete("class Stack:\n", "", "block", 256)  # a cancel closes the stream
    it = iter(c)
    next(it, None)
    c.cancel()
    list(it)
    assert c.result.stop_reason == "cancelled"
    assert remote.status()["healthy"] is True

    with pytest.raises(BackendError) as e:
        RemoteBackend(RemoteConfig(llama_cpp_server.url, api_key="wrong")).complete("x").wait()
    assert e.value.code == "backend_error" and "401" in str(e.value)


@pytest.mark.real_model
def test_remote_grounding_as_a_grammar_on_llama_cpp_server(llama_cpp_server):
    """A closed set reaches llama.cpp's server as a GBNF grammar: the text starts with one of
    the choices, and after a name the next character does not continue it."""
    remote = RemoteBackend(RemoteConfig(llama_cpp_server.url, api_key=KEY, timeout=60.0))
    prefix = "import pandas as pd\norders = pd.read_csv('orders.csv')\ntotal = orders['"
    keys = Choices(("unit_price_eur'", "n_returns'", "customer_id'"), word=False, site="key")
    r = remote.complete(prefix, "", "line", 16, choices=keys).wait()
    assert r.text.startswith(keys.texts), r.text
    assert r.grounded == "key"
    names = Choices(("omer_orders", "omer_regions"), word=True, site="name")
    r = remote.complete("customer_orders = []\nprint(cust", "", "line", 16, choices=names).wait()
    assert r.text.startswith(names.texts), r.text
    rest = r.text[len(next(t for t in names.texts if r.text.startswith(t))) :]
    assert not rest[:1].isalnum() and rest[:1] != "_", r.text
