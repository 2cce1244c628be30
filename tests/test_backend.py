"""The ``Backend`` interface: both engines implement it, the service uses nothing else, and the
shared completion pieces (``Completion`` cancel hooks, ``Stream``) behave as the backends rely on.
"""

from __future__ import annotations

import asyncio
import inspect
import socket
from types import SimpleNamespace

import pytest

from jupyter_spark.engine import Backend, Completion, EngineConfig, RemoteBackend, RemoteConfig
from jupyter_spark.engine.backend import EMBEDDED_STATUS
from jupyter_spark.engine.completion import Stream
from jupyter_spark.server.protocol import CompleteRequest
from jupyter_spark.server.service import CompletionService

INTERFACE = ("complete", "warm", "score", "count_tokens", "status")


def dead_url() -> str:
    """An http URL nothing listens on (a port just freed): every request there is refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def params(fn) -> list[tuple[str, object]]:
    return [
        (p.name, p.default) for p in inspect.signature(fn).parameters.values() if p.name != "self"
    ]


@pytest.mark.parametrize("kind", ["embedded", "remote"])
def test_both_engines_implement_the_interface(kind, tiny_engine):
    backend = tiny_engine if kind == "embedded" else RemoteBackend(RemoteConfig(dead_url()))
    assert isinstance(backend, Backend)
    for name in INTERFACE:
        want = params(getattr(Backend, name))
        got = params(getattr(backend, name))
        # The interface's parameters come first, same names and defaults; extras only after.
        assert got[: len(want)] == want, (kind, name)
    assert isinstance(backend.name, str) and backend.count_tokens("import numpy as np") > 0
    assert {"kind", "grounding"} <= set(backend.status())


def test_the_remote_answers_what_it_cannot_do_without_a_request():
    remote = RemoteBackend(RemoteConfig(dead_url()))
    unsure = remote.complete("x = ", confident=True)
    assert list(unsure) == [] and unsure.result.stop_reason == "unsure"
    warm = remote.warm("import os\n", ahead=True)
    assert list(warm) == [] and warm.result.stop_reason == "warm"
    assert remote.score("import os\n") is None
    assert remote.status()["healthy"] is True  # nothing was sent, so nothing failed


def test_embedded_status_and_token_count(tiny_engine):
    assert tiny_engine.status() == EMBEDDED_STATUS
    text = "def f(x):\n    return x + 1\n"
    assert tiny_engine.count_tokens(text) == len(tiny_engine.encode(text))


def test_a_cancel_reaches_a_fallback_the_remote_handed_the_completion_to(tiny_engine):
    remote = RemoteBackend(RemoteConfig(dead_url()), fallback=tiny_engine)
    c = remote.complete("for i in range(3):\n", "", "block", 60)
    it = iter(c)
    first = next(it)  # the remote was refused: this came from the embedded fallback
    c.cancel()
    rest = list(it)
    assert c.cancelled and c.result is not None and c.result.stop_reason == "cancelled"
    assert c.result.model == tiny_engine.name and len(rest) <= 1 and first


class FakeBackend:
    """A backend that is neither engine: what the service calls, recorded."""

    name = "fake"

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []

    def complete(
        self, prefix, suffix="", mode="line", max_tokens=None, choices=None, confident=False
    ):
        self.calls.append(("complete", {"mode": mode, "confident": confident}))
        return Completion.answered("eos", self.name)

    def warm(self, prefix, suffix="", mode="line", max_tokens=None, ahead=False):
        self.calls.append(("warm", {"ahead": ahead}))
        return Completion.answered("warm", self.name)

    def score(self, text):
        return None

    def count_tokens(self, text):
        return len(text.split())

    def status(self):
        return {"kind": "fake", "grounding": "none"}


@pytest.mark.parametrize("warm_ahead", [True, False])
def test_the_service_uses_only_the_interface(warm_ahead):
    fake = FakeBackend()
    assert isinstance(fake, Backend)
    service = CompletionService(None, EngineConfig(), 256, warm_ahead=warm_ahead, grounding=False)
    service.host.publish(fake)  # as the host does once a model is up
    assert service.builder is not None and service.builder.count_tokens == fake.count_tokens
    try:
        assert service.status_message()["backend"] == fake.status()
        done = service.start_completion(CompleteRequest("1", "x = ", confident=True)).wait()
        assert done.stop_reason == "eos" and done.model == "fake"
        service.start_completion(CompleteRequest("2", "x = 1\n", warm=True, ahead=True)).wait()
    finally:
        service.close()
    want = [("complete", {"mode": "line", "confident": True})]
    if warm_ahead:  # off: the warm is answered by the service, the backend never asked
        want.append(("warm", {"ahead": True}))
    assert fake.calls == want


def test_a_cancel_hook_runs_once_and_at_once_when_late():
    c = Completion(iter(()))
    seen: list[str] = []
    c.on_cancel(lambda: seen.append("early"))
    assert seen == []
    c.cancel()
    c.on_cancel(lambda: seen.append("late"))  # already cancelled: runs now
    assert seen == ["early", "late"] and c.cancelled


def test_a_stream_cuts_at_the_stop_rules_and_streams_only_news():
    out = Stream("x = ", "", "line")
    assert out.grow("1") is False and out.fresh() == "1" and out.fresh() is None
    assert out.grow("1 + 2\ny = 3") is True
    assert out.reason == "newline" and out.text == "1 + 2"
    assert out.settle() == "1 + 2"  # not streamed yet: the rest to send
    r = out.result("m", tokens=4, prompt_tokens=2)
    assert (r.text, r.stop_reason, r.tokens, r.model) == ("1 + 2", "newline", 4, "m")
    cancelled = Stream("x = ", "", "line")
    cancelled.grow("1 +")
    cancelled.reason = "cancelled"
    assert cancelled.settle() is None and cancelled.text == "1 +"  # raw text, nothing more


def test_fixes_are_ranked_by_a_backend_that_scores_and_kept_by_one_that_cannot(tiny_engine):
    from jupyter_spark.fixes.model import rerank
    from jupyter_spark.fixes.types import Fix

    sources = ["x = len(items)\n", "x = len(itmes)\n", "x = len(item)\n"]
    fixes = [Fix(s, "", "error", s, (), 0.9) for s in sources]
    remote = RemoteBackend(RemoteConfig(dead_url()))
    assert rerank(remote, fixes) == fixes  # no scores: the rules' order stands
    ranked = rerank(tiny_engine, fixes)
    want = sorted(sources, key=lambda s: -tiny_engine.score(s))
    assert [f.new_source for f in ranked] == want


def test_the_service_rewarms_the_last_kernel_request_of_each_idle_connection():
    """Warm-ahead is the service's: started, it subscribes to the kernel reader; when a
    kernel's variables change, each open, idle connection whose last request was on that kernel
    gets its prompt warmed again (its done frame, id rewarm-N, goes to that connection only)."""
    reader = SimpleNamespace(refreshed=set(), get=lambda kernel_id: None)
    service = CompletionService(
        None, EngineConfig(), 256, reader, remote=RemoteConfig(dead_url()), grounding=False
    )
    service.start()  # a remote is "up" at once, reachable or not
    try:
        assert service.wait_ready(10) and reader.refreshed == {service.kernel_refreshed}
        fake = FakeBackend()
        service.host.publish(fake)

        async def scenario() -> tuple[list[dict], list[dict]]:
            a_sent, b_sent = [], []
            a, b = service.connect(a_sent.append), service.connect(b_sent.append)
            a.complete(CompleteRequest("1", "x = ", kernel_id="k1"))
            b.complete(CompleteRequest("2", "y = ", kernel_id="k2"))
            while a.busy or b.busy:
                await asyncio.sleep(0.01)
            service.kernel_refreshed("k1")
            b.close()
            service.kernel_refreshed("k2")  # b is gone: nobody to warm
            while a.busy:
                await asyncio.sleep(0.01)
            return a_sent, b_sent

        a_sent, b_sent = asyncio.run(scenario())
    finally:
        service.close()
    assert [m["id"] for m in a_sent] == ["1", "rewarm-1"]
    assert a_sent[1]["stats"]["stop_reason"] == "warm"
    assert [m["id"] for m in b_sent] == ["2"]
    assert [name for name, _ in fake.calls] == ["complete", "complete", "warm"]
    assert reader.refreshed == set()  # closed: unsubscribed
