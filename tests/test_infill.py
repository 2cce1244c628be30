"""llama.cpp's ``POST /infill`` in `jupyter spark serve`, as llama.vim and llama.vscode use it.

`jupyter spark serve` runs as a real process on the tiny model; the requests below are shaped
field for field as the two plugins build them (llama.vim: autoload/llama.vim, s:fim and
s:ring_update; llama.vscode: src/llama-server.ts, createRequestPayload), and the replies are
checked the way the plugins read them. A second tiny model dir has FIM and repo-level tokens
(its tokenizer renames five unused byte tokens), for the prompt layout and ``suffix``.
"""

from __future__ import annotations

import http.client
import json
import re
import shutil
import time

import pytest
from labserver import ServeProcess
from tokenizers import Tokenizer

from jupyter_spark.serve import infill

KEY = "infill-key-42"

PREFIX = "import numpy as np\n\nfor i in range(10):\n"
MIDDLE = "    print"  # the current line up to the cursor
SUFFIX = "\n\nx = np.zeros((3, 4))\n"
EXTRA = [
    {"text": "def forward(self, x):\n    return self.linear(x)\n", "time": 1733300000.0,
     "filename": "model.py"},
    {"text": "df = pd.DataFrame({\"a\": [1, 2, 3]})\n", "time": 1733300001.0,
     "filename": "data.py"},
]  # fmt: skip

# llama.vim's FIM request (s:fim), its fields and values as the plugin sends them.
LLAMA_VIM_FIM = {
    "id_slot": 0,
    "input_prefix": PREFIX,
    "input_suffix": SUFFIX,
    "input_extra": EXTRA,
    "prompt": MIDDLE,
    "n_predict": 128,
    "stop": [],
    "n_indent": 4,
    "top_k": 40,
    "top_p": 0.90,
    "samplers": ["top_k", "top_p", "infill"],
    "stream": False,
    "cache_prompt": True,
    "t_max_prompt_ms": 500,
    "t_max_predict_ms": 1000,
    "response_fields": [
        "content",
        "timings/prompt_n",
        "timings/prompt_ms",
        "timings/prompt_per_token_ms",
        "timings/prompt_per_second",
        "timings/predicted_n",
        "timings/predicted_ms",
        "timings/predicted_per_token_ms",
        "timings/predicted_per_second",
        "truncated",
        "tokens_cached",
    ],
}
# llama.vim's ring-buffer update (s:ring_update): the extra context alone, nothing generated.
LLAMA_VIM_RING = {
    "id_slot": 0,
    "input_prefix": "",
    "input_suffix": "",
    "input_extra": EXTRA,
    "prompt": "",
    "n_predict": 0,
    "temperature": 0.0,
    "samplers": [],
    "stream": False,
    "cache_prompt": True,
    "t_max_prompt_ms": 1,
    "t_max_predict_ms": 1,
    "response_fields": [""],
}
# llama.vscode's FIM request (createRequestPayload(false, ...) with defaultRequestParams).
LLAMA_VSCODE_FIM = {
    "id_slot": 0,
    "input_prefix": PREFIX,
    "input_suffix": SUFFIX,
    "input_extra": [{"text": e["text"], "time": e["time"], "filename": e["filename"]}
                    for e in EXTRA],
    "prompt": MIDDLE,
    "n_predict": 128,
    "n_cmpl": 3,
    "top_k": 40,
    "top_p": 0.99,
    "stream": False,
    "samplers": ["top_k", "top_p", "infill"],
    "cache_prompt": True,
    "n_indent": 4,
    "t_max_prompt_ms": 500,
    "t_max_predict_ms": 500,
}  # fmt: skip
# llama.vscode's preparation request (createRequestPayload(true, "", "", chunks, "", ...)).
LLAMA_VSCODE_PREP = {
    "id_slot": 0,
    "input_prefix": "",
    "input_suffix": "",
    "input_extra": LLAMA_VSCODE_FIM["input_extra"],
    "prompt": "",
    "n_predict": 0,
    "samplers": [],
    "cache_prompt": True,
    "t_max_prompt_ms": 500,
    "t_max_predict_ms": 1,
}
VIM_TIMING_KEYS = [k for k in LLAMA_VIM_FIM["response_fields"] if k.startswith("timings/")]

# A prompt on which the tiny model's greedy output is lines of spaces ("       \n" ...).
LINES_PROMPT = "for i in range(10):\n    print(i)\n"


@pytest.fixture(scope="module")
def serve(tiny_model_dir):
    s = ServeProcess(tiny_model_dir, key=KEY).start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def fim_model_dir(tiny_model_dir, tmp_path_factory):
    """The tiny model with <fim_prefix>, <fim_suffix>, <fim_middle>, <file_sep> and
    <reponame> (StarCoder's spellings, SmolLM2's for the last two): five byte tokens no test
    text holds (bytes 0-4) renamed and made special."""
    d = tmp_path_factory.mktemp("fim") / "tiny-fim"
    shutil.copytree(tiny_model_dir, d)
    names = ["<fim_prefix>", "<fim_suffix>", "<fim_middle>", "<file_sep>", "<reponame>"]
    tok = json.loads((d / "tokenizer.json").read_text())
    vocab = tok["model"]["vocab"]
    by_id = {i: t for t, i in vocab.items()}
    for n, i in zip(names, range(4, 9), strict=True):
        del vocab[by_id[i]]
        vocab[n] = i
        tok["added_tokens"].append(
            {"id": i, "content": n, "single_word": False, "lstrip": False, "rstrip": False,
             "normalized": False, "special": True}
        )  # fmt: skip
    (d / "tokenizer.json").write_text(json.dumps(tok))
    # The ids in spark_model.json too (the engine reads them from there), in both its forms.
    spark = json.loads((d / "spark_model.json").read_text())
    ids = dict(zip(["fim_prefix", "fim_suffix", "fim_middle", "file_sep", "repo_name"],
                   range(4, 9), strict=True))  # fmt: skip
    if "metadata" in spark:
        spark["metadata"].update({f"{k}_id": i for k, i in ids.items()})
    spark["special_tokens"].update({k: ids[k] for k in ("fim_prefix", "fim_suffix", "fim_middle")})
    (d / "spark_model.json").write_text(json.dumps(spark))
    return d


@pytest.fixture(scope="module")
def fim_serve(fim_model_dir):
    s = ServeProcess(fim_model_dir, key=KEY).start()
    yield s
    s.stop()


def post(s: ServeProcess, body: dict | bytes, key: str | None = "") -> tuple[int, bytes]:
    return s.request("POST", "/infill", body, key=key)


def infill_ok(s: ServeProcess, body: dict) -> dict:
    status, raw = post(s, body)
    assert status == 200, raw
    return json.loads(raw)


def test_llama_vim_requests_get_replies_it_reads(serve, tiny_model_dir):
    status, raw = post(serve, LLAMA_VIM_RING)
    assert status == 200 and json.loads(raw) == {}  # response_fields [""]: nothing asked

    status, raw = post(serve, LLAMA_VIM_FIM)
    text = raw.decode()
    # s:fim_on_response drops a reply unless both patterns match, before json_decode.
    assert re.match(r"^\s*\{", text) and re.search(r'"content"\s*:"', text)
    reply = json.loads(text)
    # Only the fields asked for, keyed by their "a/b" paths, as llama.cpp flattens them.
    assert sorted(reply) == sorted(LLAMA_VIM_FIM["response_fields"])
    assert isinstance(reply["content"], str)
    assert all(isinstance(reply[k], int | float) for k in VIM_TIMING_KEYS)
    assert reply["truncated"] is False and reply["tokens_cached"] > reply["timings/prompt_n"]
    # The ring update's prompt (the extra context) was processed: the FIM request reuses it
    # and processes little more than its own prefix.
    tok = Tokenizer.from_file(str(tiny_model_dir / "tokenizer.json"))
    n_prefix = len(tok.encode(PREFIX + MIDDLE, add_special_tokens=False).ids)
    assert reply["timings/prompt_n"] <= n_prefix + 2 < reply["tokens_cached"] - 20


def test_llama_vscode_requests_get_replies_it_reads(serve):
    assert serve.request("GET", "/health", key=None) == (200, b'{"status":"ok"}')
    status, raw = post(serve, LLAMA_VSCODE_PREP)
    assert status == 200 and json.loads(raw)["content"] == ""

    replies = infill_ok(serve, LLAMA_VSCODE_FIM)
    # n_cmpl > 1: an array, as llama.cpp answers it (greedy decoding: one distinct result);
    # getComplFromContent reads each element's content.
    assert isinstance(replies, list) and len(replies) == 1
    (reply,) = replies
    assert isinstance(reply["content"], str) and reply["stop"] is True
    assert {"prompt_n", "prompt_ms", "prompt_per_second", "predicted_n", "predicted_ms",
            "predicted_per_second"} <= reply["timings"].keys()  # fmt: skip
    assert isinstance(reply["tokens_cached"], int) and isinstance(reply["truncated"], bool)
    assert reply["generation_settings"]["n_indent"] == 4
    single = infill_ok(serve, {**LLAMA_VSCODE_FIM, "n_cmpl": 1})
    assert single["content"] == reply["content"]


def test_second_identical_prefix_request_reuses_the_kv_cache(serve):
    body = {"input_prefix": "x = 1\n" * 12 + "import os\n", "n_predict": 4}
    first = infill_ok(serve, {**body, "input_prefix": "y = 2\n" + body["input_prefix"]})
    again = infill_ok(serve, {**body, "input_prefix": "y = 2\n" + body["input_prefix"]})
    assert first["timings"]["prompt_n"] >= 30
    assert again["timings"]["prompt_n"] <= 2
    assert again["content"] == first["content"]
    assert again["tokens_evaluated"] == first["tokens_evaluated"]


def test_n_predict_caps_the_tokens(serve):
    for n in (1, 7):
        reply = infill_ok(serve, {"input_prefix": LINES_PROMPT, "n_predict": n})
        assert reply["tokens_predicted"] <= n and reply["stop_type"] == "limit"
        assert reply["timings"]["predicted_n"] == reply["tokens_predicted"]


def test_t_max_predict_ms_stops_on_a_newline_after_the_time(serve):
    body = {"input_prefix": LINES_PROMPT, "n_predict": 60}
    full = infill_ok(serve, body)["content"]
    assert full.count("\n") > 10
    assert infill_ok(serve, {**body, "t_max_predict_ms": 60_000})["content"] == full
    cut = infill_ok(serve, {**body, "t_max_predict_ms": 1})
    text = cut["content"]
    # The same greedy text, ended by the first token with a newline after 1 ms.
    assert full.startswith(text) and len(text) < len(full)
    # (the tiny model's tokens here are "\n" plus an indent)
    assert text.rstrip(" ").endswith("\n") and cut["stop_type"] == "limit"


def test_stop_strings_cut_and_name_the_word(serve):
    reply = infill_ok(serve, {"input_prefix": LINES_PROMPT, "n_predict": 30, "stop": ["\n"]})
    assert "\n" not in reply["content"]
    assert reply["stop_type"] == "word" and reply["stopping_word"] == "\n"


def test_streaming_is_sse_chunks_then_a_final_stop(serve):
    body = {"input_prefix": LINES_PROMPT, "n_predict": 12}
    whole = infill_ok(serve, body)
    status, raw = post(serve, {**body, "stream": True})
    assert status == 200
    text = raw.decode()
    assert text.endswith("\n\n") and "[DONE]" not in text
    events = [json.loads(e.removeprefix("data: ")) for e in text.split("\n\n") if e]
    assert all(e.startswith("data: ") for e in text.split("\n\n") if e)
    *chunks, last = events
    assert chunks and all(c["stop"] is False for c in chunks)
    assert last["stop"] is True and last["content"] == "" and "timings" in last
    assert "".join(c["content"] for c in chunks) == whole["content"]


@pytest.mark.parametrize(
    "body",
    [
        {"input_prefix": 3},
        {"input_suffix": ["x"]},
        {"n_predict": "128"},
        {"n_predict": -2},
        {"n_indent": 1.5},
        {"t_max_predict_ms": "1000"},
        {"input_extra": {"text": "x"}},
        {"input_extra": [{"filename": "a.py"}]},
        {"input_extra": [{"text": "x", "filename": 7}]},
        {"stop": [1]},
        {"stream": "yes"},
        {"top_k": "40"},
        {"samplers": "top_k"},
        {"response_fields": [1]},
        {"cache_prompt": 1},
        {"input_prefix": "\ud800"},
    ],
)
def test_wrong_types_are_a_llama_cpp_style_400(serve, body):
    status, raw = post(serve, body)
    err = json.loads(raw)["error"]
    assert status == 400 and err["code"] == 400 and err["type"] == "invalid_request_error"
    assert isinstance(err["message"], str) and err["message"]


def test_bad_bodies_auth_and_unknown_fields(serve):
    for bad in (b"{not json", b"[1]", b'"text"'):
        status, raw = post(serve, bad)
        assert status == 400 and json.loads(raw)["error"]["code"] == 400
    for key in (None, "wrong"):
        status, raw = post(serve, {"input_prefix": "x"}, key=key)
        assert status == 401 and json.loads(raw)["error"]["type"] == "authentication_error"
    reply = infill_ok(serve, {"input_prefix": "x", "n_predict": 2, "mirostat": 2, "lora": [{}]})
    assert reply["stop"] is True


def test_a_disconnected_client_cancels_its_generation(serve):
    """A client that goes away mid-stream (llama.vim kills curl on the next keystroke): the
    server goes on serving the next request."""
    conn = http.client.HTTPConnection("127.0.0.1", serve.port, timeout=20)
    body = {"input_prefix": LINES_PROMPT, "n_predict": 1024, "stream": True}
    headers = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
    conn.request("POST", "/infill", json.dumps(body), headers)
    r = conn.getresponse()
    assert r.status == 200 and r.read1(64).startswith(b"data: ")
    conn.close()
    t0 = time.monotonic()
    reply = infill_ok(serve, {"input_prefix": "import os\n", "n_predict": 2})
    assert reply["stop"] is True and time.monotonic() - t0 < 5


# -- prompt layout ---------------------------------------------------------------------------


def test_extra_chunks_use_repo_and_file_separator_tokens_when_the_model_has_them():
    chunks = (("a.py", "x = 1\n"), ("b.py", "y = 2"))
    packed = infill.pack_extra(chunks, "<reponame>", "<file_sep>")
    assert packed == (
        "<reponame>myproject\n<file_sep>a.py\nx = 1\n<file_sep>b.py\ny = 2<file_sep>filename\n"
    )
    assert infill.pack_extra(chunks, None, "<|file_sep|>").startswith("<|file_sep|>a.py\n")
    plain = infill.pack_extra(chunks, None, None)
    assert plain == "# file: a.py\nx = 1\n# file: b.py\ny = 2\n# file: filename\n"
    assert infill.pack_extra((), "<reponame>", "<file_sep>") == ""


def test_fim_prompt_holds_the_extra_prefix_and_suffix(fim_serve, fim_model_dir):
    """On a model with FIM tokens: [fim_prefix] extra + prefix + prompt [fim_suffix] suffix
    [fim_middle], the file separators parsed as their special tokens."""
    tok = Tokenizer.from_file(str(fim_model_dir / "tokenizer.json"))
    ids = lambda text: tok.encode(text, add_special_tokens=False).ids  # noqa: E731
    body = {"input_prefix": PREFIX, "prompt": MIDDLE, "input_suffix": SUFFIX,
            "input_extra": EXTRA, "n_predict": 3}  # fmt: skip
    reply = infill_ok(fim_serve, body)
    chunks = tuple((e["filename"], e["text"]) for e in EXTRA)
    before = infill.pack_extra(chunks, "<reponame>", "<file_sep>") + PREFIX + MIDDLE
    assert ids(before).count(tok.token_to_id("<file_sep>")) == 3
    assert ids(before)[0] == tok.token_to_id("<reponame>")
    assert reply["tokens_evaluated"] == 3 + len(ids(before)) + len(ids(SUFFIX))
    no_extra = infill_ok(fim_serve, {**body, "input_extra": []})
    assert no_extra["tokens_evaluated"] == 3 + len(ids(PREFIX + MIDDLE)) + len(ids(SUFFIX))


def test_context_update_is_reused_by_the_fim_request_after_it(fim_serve, fim_model_dir):
    """llama.vim's ring update (no prefix, no suffix, n_predict 0) on a FIM model is prefilled
    in the FIM layout, so its FIM request after it processes only its own prefix and suffix."""
    tok = Tokenizer.from_file(str(fim_model_dir / "tokenizer.json"))
    n = lambda text: len(tok.encode(text, add_special_tokens=False).ids)  # noqa: E731
    extra = [{"filename": "other.py", "text": "class Model:\n    pass\n" * 3}]
    assert infill_ok(fim_serve, {**LLAMA_VIM_RING, "input_extra": extra}) == {}
    body = {**LLAMA_VIM_FIM, "input_extra": extra, "n_predict": 2, "response_fields": []}
    reply = infill_ok(fim_serve, body)
    own = n(PREFIX + MIDDLE) + n(SUFFIX) + 3
    assert reply["timings"]["prompt_n"] <= own < reply["tokens_evaluated"] - 20


def test_v1_completions_suffix_is_fill_in_the_middle(fim_serve, fim_model_dir):
    tok = Tokenizer.from_file(str(fim_model_dir / "tokenizer.json"))
    n = lambda text: len(tok.encode(text, add_special_tokens=False).ids)  # noqa: E731
    req = {"prompt": PREFIX, "max_tokens": 3}
    status, raw = fim_serve.request("POST", "/v1/completions", {**req, "suffix": SUFFIX})
    assert status == 200
    assert json.loads(raw)["usage"]["prompt_tokens"] == 3 + n(PREFIX) + n(SUFFIX)
    status, raw = fim_serve.request("POST", "/v1/completions", req)
    assert json.loads(raw)["usage"]["prompt_tokens"] == n(PREFIX)
    status, raw = fim_serve.request("POST", "/v1/completions", {**req, "suffix": 5})
    assert status == 400


# -- limits, unit ----------------------------------------------------------------------------


def _limits(**fields) -> infill.Limits:
    return infill.Limits(infill.parse_infill({"input_prefix": "x", **fields}))


def test_n_indent_ends_at_the_first_line_indented_less():
    lim = _limits(n_indent=4)
    assert lim.check("foo(", 0) == ("foo(", None)  # the first line is never judged
    assert lim.check("foo(\n    a,\n", 0) == ("foo(\n    a,\n", None)
    assert lim.check("foo(\n    a,\n  ", 0) == ("foo(\n    a,\n  ", None)  # still indenting
    assert lim.check("foo(\n    a,\n  b", 0) == ("foo(\n    a,\n  ", "limit")
    assert _limits().check("a\nb", 0) == ("a\nb", None)  # n_indent 0: off


def test_t_max_predict_ms_waits_for_a_newline_after_the_time():
    lim = _limits(t_max_predict_ms=100)
    assert lim.check("a", 50) == ("a", None)
    assert lim.check("a\n", 60) == ("a\n", None)  # a newline, but in time
    assert lim.check("a\nbbb", 500) == ("a\nbbb", None)  # late, but no new newline
    assert lim.check("a\nbbb\n", 501) == ("a\nbbb\n", "limit")
    assert _limits(t_max_predict_ms=0).check("a\n", 10**6)[1] is None


def test_select_fields_and_n_predict_bounds():
    reply = {"content": "x", "timings": {"prompt_n": 3}}
    got = infill.select_fields(("content", "timings/prompt_n", "timings/nope", ""), reply)
    assert got == {"content": "x", "timings/prompt_n": 3}
    assert infill.parse_infill({"n_predict": -1}).n_predict == infill.DEFAULT_N_PREDICT
    assert infill.parse_infill({"n_predict": 10**6}).n_predict == infill.MAX_N_PREDICT
    assert infill.predict_limit(1024, 256) == 128


def test_truncated_says_the_prompt_start_was_left_out(serve, tiny_model_dir):
    tok = Tokenizer.from_file(str(tiny_model_dir / "tokenizer.json"))
    long = "x = 1\n" * 70  # more than the tiny model's 256-token context holds with 16 to go
    reply = infill_ok(serve, {"input_prefix": long, "n_predict": 16})
    assert reply["truncated"] is True
    assert reply["tokens_evaluated"] < len(tok.encode(long, add_special_tokens=False).ids)
    short = infill_ok(serve, {"input_prefix": "x = 1\n" * 10, "n_predict": 16})
    assert short["truncated"] is False
