"""The generation loop on the tiny converted model: reuse, cancellation, stops, healing."""

from __future__ import annotations

import itertools
import threading
import time

import numpy as np
import pytest
from conftest import make_engine
from tinymodel import ReferenceLlama

from jupyter_spark.engine.engine import Completion
from jupyter_spark.engine.stops import is_statement

CODE = "def forward(self, x):\n    return self.linear(x)\nfor i in range(10):\n    print(i)\n"


def test_streams_growing_text_then_result(tiny_engine):
    c = tiny_engine.complete("def forward(self, x):\n    return self.lin", max_tokens=12)
    chunks = list(c)
    assert chunks, "a 12-token completion streams at least one chunk"
    assert all(b.startswith(a) for a, b in itertools.pairwise(chunks))
    r = c.result
    assert r.text == chunks[-1]
    assert r.model == "tiny"
    assert 0 < r.ttft_ms <= r.total_ms
    assert r.prompt_tokens > 0


def test_prefix_reuse_gives_same_tokens_as_cold_run(tiny_model_dir):
    warm = make_engine(tiny_model_dir, typed_through=False)
    cold = make_engine(tiny_model_dir, prefix_reuse=False, typed_through=False)
    for i in range(len(CODE) - 30, len(CODE), 3):  # typing: each prompt extends the last
        w = warm.complete(CODE[:i], max_tokens=8).wait()
        c = cold.complete(CODE[:i], max_tokens=8).wait()
        assert (w.text, w.tokens) == (c.text, c.tokens), CODE[:i]
        assert c.cached_tokens == 0
    assert w.cached_tokens >= w.prompt_tokens - 4, "only the last few tokens are new"


def test_warm_prefills_what_the_next_keystroke_reuses(tiny_model_dir):
    """A warm call caches the prompt (without generating); the next request, one character
    on, prefills only its last tokens and gives the same text as a cold run."""
    eng = make_engine(tiny_model_dir, typed_through=False, warm_chunk=16)
    cold = make_engine(tiny_model_dir, prefix_reuse=False, typed_through=False)
    prompt = CODE * 2
    w = eng.warm(prompt[:-1], max_tokens=8)
    assert list(w) == []
    assert (w.result.stop_reason, w.result.tokens, w.result.cached_tokens) == ("warm", 0, 0)
    r = eng.complete(prompt, max_tokens=8).wait()
    assert r.cached_tokens >= r.prompt_tokens - 4, "only the last few tokens are new"
    assert r.text == cold.complete(prompt, max_tokens=8).wait().text


def test_a_cancelled_warm_stops_at_a_chunk_and_keeps_what_it_prefilled(tiny_model_dir):
    eng = make_engine(tiny_model_dir, typed_through=False, warm_chunk=8)
    w = eng.warm(CODE * 2)
    forward, calls = eng.session.forward, []

    def counted(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:  # a keystroke's request cancels it during its second chunk
            w.cancel()
        return forward(*args, **kwargs)

    eng.session.forward = counted
    assert list(w) == [] and w.result.stop_reason == "cancelled"
    assert len(calls) == 2, "it stops at the next chunk boundary"
    eng.session.forward = forward
    r = eng.complete(CODE * 2, max_tokens=4).wait()
    assert r.cached_tokens == 16, "the two chunks it ran are reused"


def test_typing_through_a_suggestion_reuses_it_without_the_model(tiny_model_dir):
    eng = make_engine(tiny_model_dir)
    first = eng.complete("x = np.zer", max_tokens=6).wait()
    assert first.text.startswith("rr")
    r = eng.complete("x = np.zerr", max_tokens=6).wait()
    assert (r.text, r.stop_reason, r.tokens) == (first.text[1:], "typed_through", 0)
    other = eng.complete("x = np.zerq", max_tokens=6).wait()  # typed something else
    assert other.stop_reason != "typed_through" and other.tokens > 0


def test_the_continuation_after_an_accept_answers_the_next_request_without_the_model(
    tiny_model_dir,
):
    """A warm with ``ahead`` (a suggestion was accepted there) generates what follows; each
    request typing its start streams the rest from it, with no model step of its own."""
    eng = make_engine(tiny_model_dir, typed_through=False)
    prompt = CODE + "x = 1"
    expected = eng.complete(prompt, mode="raw", max_tokens=10).wait().text
    assert len(expected) > 3
    w = eng.warm(prompt, mode="raw", max_tokens=10, ahead=True)
    assert list(w) == [] and w.result.stop_reason == "warm" and w.result.tokens > 0
    forward, calls = eng.session.forward, []
    eng.session.forward = lambda *a, **k: calls.append(1) or forward(*a, **k)
    for k in range(len(expected)):  # at the prompt itself, then typing the text's start
        r = eng.complete(prompt + expected[:k], mode="raw", max_tokens=10).wait()
        assert (r.text, r.stop_reason, r.tokens) == (expected[k:], "ahead", 0)
    assert calls == [], "followers run no model step"
    other = eng.complete(prompt + "\u00e9\u00e9", mode="raw", max_tokens=4).wait()
    assert other.stop_reason != "ahead" and calls, "text it does not start with: the model"


def test_a_request_arriving_while_the_continuation_runs_streams_from_it(tiny_model_dir):
    """The follower does not wait for the continuation to finish, nor cancel it: it streams
    the rest as it grows (the continuation is slowed here so the follower comes early)."""
    eng = make_engine(tiny_model_dir, typed_through=False)
    prompt = CODE + "y = 2"
    expected = eng.complete(prompt, mode="raw", max_tokens=12).wait().text
    w = eng.warm(prompt, mode="raw", max_tokens=12, ahead=True)
    forward = eng.session.forward
    eng.session.forward = lambda *a, **k: (time.sleep(0.02), forward(*a, **k))[1]
    runner = threading.Thread(target=w.wait)
    runner.start()
    f = eng.complete(prompt + expected[:1], mode="raw", max_tokens=12)
    assert f.follows is w, "the server must not cancel what it streams from"
    chunks = list(f)
    runner.join()
    assert f.result.stop_reason == "ahead" and f.result.text == expected[1:]
    assert len(chunks) > 1 and w.result.stop_reason == "warm", "streamed while it grew"


def test_a_request_that_does_not_follow_the_continuation_cancels_it(tiny_model_dir):
    eng = make_engine(tiny_model_dir, typed_through=False)
    w = eng.warm(CODE, mode="block", ahead=True)
    r = eng.complete("import os\n", max_tokens=2)  # another cell: the continuation is moot
    assert r.follows is None and w.cancelled
    assert list(w) == [] and w.result.stop_reason == "cancelled"
    r.wait()


def test_a_confident_request_shows_its_text_only_when_the_model_is_sure(tiny_model_dir):
    """``confident`` holds the text to the end, then keeps it only if the tokens' mean
    log-probability reaches ``confident_logprob`` and it parses as Python statements."""
    prompt = CODE + "z = 3\n"
    lax = make_engine(tiny_model_dir, typed_through=False, confident_logprob=-1e9)
    plain = lax.complete(prompt, max_tokens=6).wait()
    c = lax.complete(prompt, max_tokens=6, confident=True)
    chunks = list(c)
    r = c.result
    assert r.logprob is not None and r.logprob < 0
    if is_statement(plain.text):
        assert (r.text, chunks) == (plain.text, [plain.text]), "whole, at the end"
    else:
        assert (r.text, r.stop_reason, chunks) == ("", "unsure", [])
    # Generated ahead as a confident request, it answers the confident request there alone.
    w = lax.warm(prompt, max_tokens=6, ahead=True, confident=True)
    assert w.wait().stop_reason == "warm"
    ahead = lax.complete(prompt, max_tokens=6, confident=True).wait()
    assert ahead.stop_reason == ("ahead" if r.text else "unsure") and ahead.text == r.text
    assert ahead.logprob == r.logprob and ahead.tokens == 0
    lax.warm(prompt, max_tokens=6, ahead=True, confident=True).wait()
    assert lax.complete(prompt, max_tokens=6).wait().stop_reason not in ("ahead", "unsure")
    strict = make_engine(tiny_model_dir, typed_through=False, confident_logprob=0.0)
    r = strict.complete(prompt, max_tokens=6, confident=True).wait()
    assert (r.text, r.stop_reason) == ("", "unsure"), "no model is that sure"
    assert strict.complete(prompt, max_tokens=6).wait().logprob is None, "only when asked"


def test_reuse_across_two_prompts_uses_two_slots(tiny_model_dir):
    eng = make_engine(tiny_model_dir, kv_slots=2, typed_through=False)
    a, b = CODE, "import numpy as np\nimport pandas as pd\n" * 3
    eng.complete(a, max_tokens=2).wait()
    eng.complete(b, max_tokens=2).wait()
    again = eng.complete(a, max_tokens=2).wait()
    assert again.cached_tokens >= again.prompt_tokens - 3


def test_cancel_stops_within_one_token(tiny_engine):
    c = tiny_engine.complete("x = np.zer", mode="block", max_tokens=40)
    it = iter(c)
    next(it)
    c.cancel()
    rest = list(it)
    assert rest == []
    assert c.result.stop_reason == "cancelled"
    assert c.result.tokens <= 3


def test_cancel_from_another_thread(tiny_engine):
    c = tiny_engine.complete("x = np.zer", mode="block", max_tokens=40)
    seen: list[str] = []

    def consume() -> None:
        for text in c:
            seen.append(text)
            time.sleep(0.01)

    t = threading.Thread(target=consume)
    t.start()
    time.sleep(0.02)
    c.cancel()
    t.join(5)
    assert not t.is_alive()
    assert c.result.stop_reason == "cancelled"
    assert c.result.tokens < 40


def test_max_tokens(tiny_engine):
    r = tiny_engine.complete("x = np.zer", max_tokens=5).wait()
    assert r.stop_reason == "max_tokens"
    assert r.text == "rrrrr"[: len(r.text)] and len(r.text) >= 4


def test_time_budget(tiny_model_dir):
    eng = make_engine(tiny_model_dir, time_budget_ms=0.0)
    r = eng.complete("x = np.zer", max_tokens=40).wait()
    assert r.stop_reason == "time"
    assert r.tokens == 1


def test_stop_token_ends_generation(tiny_model_dir):
    eng = make_engine(tiny_model_dir, token_healing=False)
    prompt = "x = np.zer"  # the tiny model answers "zer" (id 352) over and over
    assert eng.complete(prompt, max_tokens=4).wait().text == "zerzerzerzer"
    eng.specials = type(eng.specials)(
        eng.specials.stop | {352}, eng.specials.fim, eng.specials.all_special
    )
    r = eng.complete(prompt, max_tokens=10).wait()
    assert (r.stop_reason, r.tokens, r.text) == ("eos", 0, "")


def test_line_mode_never_returns_a_second_line(tiny_engine):
    for i in range(20, len(CODE), 7):
        r = tiny_engine.complete(CODE[:i], mode="line", max_tokens=20).wait()
        assert "\n" not in r.text.lstrip("\n")


def test_token_healing_regenerates_the_cut_token(tiny_model_dir, tiny_gguf):
    """'self.lin' ends in token 'in'; healing drops it and picks the best token starting 'in'."""
    eng = make_engine(tiny_model_dir)
    prompt = "def forward(self, x):\n    return self.lin"
    ids = eng.encode(prompt)
    n, text = eng.healer.rollback(ids)
    assert (n, text) == (1, "in")
    allowed = eng.healer.allowed("in")
    strings = {eng.healer.id_to_string[int(i)] for i in allowed}
    assert "in" in strings and all(s.startswith("in") or "in".startswith(s) for s in strings)
    # The same constrained greedy decoding, done with the numpy reference:
    ref, seq, remaining, out = ReferenceLlama(tiny_gguf), ids[:-1], "in", []
    while len(out) < 3 + 1:
        logits = ref.logits(seq)[-1]
        if remaining:
            ok = eng.healer.allowed(remaining)
            tok = int(ok[np.argmax(logits[ok])])
            remaining = remaining[len(eng.healer.id_to_string[tok]) :]
        else:
            tok = int(np.argmax(logits))
        out.append(tok)
        seq = [*seq, tok]
    want = eng.tokenizer.decode(out)
    assert want.startswith("in")
    healed = eng.complete(prompt, max_tokens=3).wait()
    assert healed.text and want[2:].startswith(healed.text)


def test_healing_takes_back_an_indent(tiny_engine):
    ids = tiny_engine.encode("for i in range(10):\n    ")
    n, text = tiny_engine.healer.rollback(ids)
    assert n >= 1 and text.endswith("Ġ")


def test_long_prompt_is_trimmed_to_the_context(tiny_model_dir):
    eng = make_engine(tiny_model_dir, max_context=128, trim_granularity=32, typed_through=False)
    r = eng.complete(CODE * 20, max_tokens=8).wait()
    assert r.prompt_tokens <= 128 - 8
    again = eng.complete(CODE * 20 + "x", max_tokens=8).wait()
    assert again.cached_tokens > 0, "the trimmed start stays put while typing"


def test_a_budget_under_the_trim_granularity_keeps_the_prompts_end(tiny_model_dir):
    """A small context (budget 128 - 8 - 1) with the default granularity (256): rounding the
    cut up would drop the whole prompt; the cut is then exact and the end of it is kept."""
    eng = make_engine(tiny_model_dir, max_context=128, trim_granularity=256, typed_through=False)
    prompt = CODE * 7  # (longer than the budget, shorter than one granularity)
    assert 128 < len(eng.encode(prompt)) < 256
    r = eng.complete(prompt, max_tokens=8).wait()
    assert 0 < r.prompt_tokens <= 128 - 8
    assert r.stop_reason != "cancelled"


def test_empty_prompt(tiny_engine):
    r = tiny_engine.complete("", max_tokens=3).wait()
    assert r.prompt_tokens >= 1


def test_bad_mode(tiny_engine):
    with pytest.raises(ValueError, match="mode"):
        tiny_engine.complete("x", mode="paragraph")


def test_thread_safe_concurrent_requests(tiny_model_dir):
    eng = make_engine(tiny_model_dir)
    prompts = [CODE[: 30 + 5 * i] for i in range(6)]
    expected = [eng.complete(p, max_tokens=6).wait().text for p in prompts]
    results: dict[int, str] = {}

    def run(i: int) -> None:
        results[i] = eng.complete(prompts[i], max_tokens=6).wait().text

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(prompts))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert [results[i] for i in range(len(prompts))] == expected


def test_completion_object_without_iteration(tiny_engine):
    c = tiny_engine.complete("import numpy as np\n", max_tokens=3)
    assert isinstance(c, Completion) and c.result is None
    assert c.wait() is c.result


def test_partial_healing_shows_nothing_yet(tiny_engine):
    """A first token that spells only part of the healed tail is not visible text (nor a stop)."""
    healed = tiny_engine.healer.to_bytes_string("\n\n    ")
    partial = tiny_engine.encode("\n\n  ")
    assert tiny_engine._visible(partial, healed) == ""
    assert tiny_engine._visible(tiny_engine.encode("\n\n    return"), healed) == "return"


def test_healing_never_takes_the_whole_prompt(tiny_engine):
    ids = tiny_engine.encode("    ")
    n, _ = tiny_engine.healer.rollback(ids)
    assert n < len(ids)
    assert tiny_engine.complete("  ", max_tokens=2).wait().prompt_tokens >= 1


def test_fill_in_the_middle_prompt_when_the_model_has_fim_tokens(tiny_model_dir):
    eng = make_engine(tiny_model_dir, warmup=False)
    pre, suf, mid = 1, 2, 3  # stand-ins: the tiny vocabulary has no FIM tokens of its own
    eng.specials = type(eng.specials)(eng.specials.stop, (pre, suf, mid), eng.specials.all_special)
    ids = eng._prompt_ids("x = f(", ")\nprint(x)", budget=200)
    assert ids == [pre, *eng.encode("x = f("), suf, *eng.encode(")\nprint(x)"), mid]
    assert eng._prompt_ids("x = f(", "", budget=200) == eng.encode("x = f(")  # no suffix: plain


def test_growing_kv_layout_of_exports_matches_the_shared_buffer(tiny_model_dir, tmp_path):
    """Optimum/genai-style exports return present = past + new; the same graph driven that
    way (no "shared" in spark_model.json) must give the same completions, reuse included."""
    import json
    import shutil

    concat_dir = tmp_path / "concat"
    shutil.copytree(tiny_model_dir, concat_dir)
    meta = json.loads((concat_dir / "spark_model.json").read_text())
    meta["kv_layout"] = "concat"
    (concat_dir / "spark_model.json").write_text(json.dumps(meta))
    shared = make_engine(tiny_model_dir, typed_through=False)
    grown = make_engine(concat_dir, typed_through=False)
    assert grown.session.shared_kv is False
    for i in range(len(CODE) - 20, len(CODE), 4):
        a = shared.complete(CODE[:i], max_tokens=6).wait()
        b = grown.complete(CODE[:i], max_tokens=6).wait()
        assert (a.text, a.tokens) == (b.text, b.tokens)
    assert b.cached_tokens > 0


def _longest_run(ids: list[int]) -> int:
    return max((len(list(g)) for _, g in itertools.groupby(ids)), default=0)


def test_a_loop_of_one_token_is_dropped_not_suggested(tiny_model_dir):
    """The tiny model's noise loops ("= = = ..."), as the 135M model does on odd prompts
    ("1000000..."): the guard stops it and shows nothing of the loop, where serving's raw mode
    streams what the model says."""
    from jupyter_spark.engine.grounded import Choices

    engine = make_engine(tiny_model_dir, repeat_limit=4, typed_through=False)
    looping = [
        p
        for p in ("x = ", "total = sum(", "import numpy as np\nnp.", "def f(a):\n    return ")
        if _longest_run(engine.encode(engine.complete(p, mode="raw", max_tokens=40).wait().text))
        >= 4
    ]
    assert looping, "the tiny model no longer loops: pick prompts that do"
    for prefix in looping:
        for mode in ("line", "block"):
            r = engine.complete(prefix, mode=mode, max_tokens=40).wait()
            assert _longest_run(engine.encode(r.text)) < 4, (prefix, mode, r.text)
            if r.stop_reason == "repetition":
                assert r.text == ""  # nothing of a loop is worth showing
    # With a grounded choice, what the kernel's name spelled is kept, the loop after it is not.
    prefix = looping[0]
    r = engine.complete(
        prefix, mode="block", max_tokens=40, choices=Choices(("numbers",), site="name")
    ).wait()
    assert r.text.startswith("numbers"), r.text
    if r.stop_reason == "repetition":
        assert r.text == "numbers"


@pytest.mark.parametrize("chunk", [1, 5, 7, 512])
def test_chunked_prefill_gives_the_one_call_text_and_ends_with_the_kept_rows(tiny_model_dir, chunk):
    """However the uncached prompt is cut into forward calls, the completion is the same;
    the last call carries the rows whose logits are kept, so a keystroke's few new tokens and
    its first token cost one forward call."""
    one = make_engine(tiny_model_dir, prefix_reuse=False, typed_through=False)
    eng = make_engine(tiny_model_dir, prefix_reuse=False, typed_through=False, prefill_chunk=chunk)
    sizes: list[int] = []
    forward = eng.session.forward

    def counted(slot, ids, **kw):
        sizes.append(len(ids))
        return forward(slot, ids, **kw)

    eng.session.forward = counted
    r = eng.complete(CODE, max_tokens=6).wait()
    assert r.text == one.complete(CODE, max_tokens=6).wait().text
    prompt_calls = sizes[: len(sizes) - max(0, r.tokens - 1)]
    assert sum(prompt_calls) == r.prompt_tokens
    assert all(n <= max(chunk, 2) for n in prompt_calls[:-1])

    warm = make_engine(tiny_model_dir, typed_through=False)
    warm.complete(CODE[:-3], max_tokens=1).wait()
    calls: list[int] = []
    fwd = warm.session.forward
    warm.session.forward = lambda slot, ids, **kw: calls.append(len(ids)) or fwd(slot, ids, **kw)
    r = warm.complete(CODE, max_tokens=1).wait()
    assert r.prompt_tokens - r.cached_tokens > 1, "the keystroke brought several new tokens"
    new = r.prompt_tokens - r.cached_tokens
    assert calls[0] == new, "new tokens and the first token's logits: one forward call"


def test_a_keystroke_runs_only_the_healed_tail_when_the_last_one_left_its_logits(tiny_model_dir):
    """Token healing re-runs the prompt's last token; the logits before it were computed by
    the previous keystroke, so typing on runs one position per keystroke, same text as cold."""
    eng = make_engine(tiny_model_dir, typed_through=False)
    cold = make_engine(tiny_model_dir, prefix_reuse=False, typed_through=False)
    fwd, firsts = eng.session.forward, []

    def counted(slot, ids, **kw):
        firsts.append(len(ids))
        return fwd(slot, ids, **kw)

    eng.session.forward = counted
    text = "result = compute_total(values"
    ones = 0
    for i in range(len(text) - 8, len(text) + 1):
        firsts.clear()
        r = eng.complete(text[:i], max_tokens=4).wait()
        assert r.text == cold.complete(text[:i], max_tokens=4).wait().text, text[:i]
        ones += firsts[0] == 1  # the prompt's forward call
    assert ones >= 3, "most keystrokes ran a single position"


def test_after_a_warm_the_request_runs_only_its_healed_tail(tiny_model_dir):
    """A warm prefills up to the healed tail and keeps the logits there, so the keystroke's
    request at that prompt runs only the tail: same text as a cold run."""
    eng = make_engine(tiny_model_dir, typed_through=False, warm_chunk=16)
    cold = make_engine(tiny_model_dir, prefix_reuse=False, typed_through=False)
    prompt = CODE + "total = compute(valu"
    eng.warm(prompt).wait()
    fwd, sizes = eng.session.forward, []
    eng.session.forward = lambda slot, ids, **kw: sizes.append(len(ids)) or fwd(slot, ids, **kw)
    r = eng.complete(prompt, max_tokens=4).wait()
    assert r.text == cold.complete(prompt, max_tokens=4).wait().text
    assert sizes[0] == r.prompt_tokens - r.cached_tokens
    assert r.prompt_tokens - r.cached_tokens == 1, "the warm left only the healed tail to run"
