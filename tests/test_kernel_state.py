"""The kernel-state reader: the probe in-process, then against real ipykernel processes.

The in-process tests pin the probe's rules (no user code, bounded output) on namespaces built
to catch every hook; the kernel tests check the same things end to end, plus what the user could
see: execution_count, In, the history DB, ``_``, ``sys.last_value``, iopub output, and how a
busy, dead, restarted or non-Python kernel is handled.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from pathlib import Path

import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager

from jupyter_spark.kernel import parse_reply, probe_expression
from jupyter_spark.kernel import probe as kernel_probe
from jupyter_spark.server.kernel_state import KernelStateReader

LIMITS = {"max_vars": 200, "max_bytes": 32_000, "max_summary": 240, "max_items": 20}

# Defines objects whose every hook (repr, str, len, properties, __getattr__, __getattribute__,
# metaclass __instancecheck__/__eq__, __hash__) records a call once `armed` is set, and sleeps or
# raises where a careless reader would hang or fail.
TRAPS = '''
import time
calls = []
armed = False

def note(what):
    if armed:
        calls.append(what)

class Meta(type):
    def __instancecheck__(cls, obj):
        note("instancecheck"); return False
    def __subclasscheck__(cls, sub):
        note("subclasscheck"); return False
    def __getattribute__(cls, name):
        note("meta getattribute " + name); return type.__getattribute__(cls, name)
    def __eq__(cls, other):
        note("meta eq"); return False
    __hash__ = type.__hash__

class Trap(metaclass=Meta):
    """Records every hook."""
    def __init__(self, n=1):
        self.n = n
    def __repr__(self):
        note("repr"); time.sleep(5); raise RuntimeError("repr")
    def __str__(self):
        note("str"); raise RuntimeError("str")
    def __len__(self):
        note("len"); return 1
    def __getattr__(self, name):
        note("getattr " + name); raise AttributeError(name)
    def __getattribute__(self, name):
        note("getattribute " + name); return object.__getattribute__(self, name)
    def __hash__(self):
        note("hash"); return 1
    def __eq__(self, other):
        note("eq"); return False
    @property
    def slow(self):
        note("property"); time.sleep(5); return 1
    def fit(self, data, epochs=3):
        return self

class TrapDict(dict):
    def keys(self):
        note("keys"); return []
    def items(self):
        note("items"); return []
    def __len__(self):
        note("dict len"); return 0
    def __iter__(self):
        note("dict iter"); return iter(())

class TrapList(list):
    def __len__(self):
        note("list len"); return 0

def with_trap_default(x, trap=Trap()):
    return x

trap = Trap()
trap_dict = TrapDict(alpha=1)
trap_keys = {Trap(): 1}
trap_list = TrapList([Trap(), 2])
with_trap_default.__signature__ = trap
'''

DATA = '''
import numpy as np
import pandas as pd
import collections as col
arr = np.zeros((100, 3), dtype=np.float32)
df = pd.DataFrame({"id": [1, 2], "price": [1.5, 2.5], "city": ["a", "b"]})
config = {"lr": 0.1, "layers": [64, 32], 3: "three"}

def train(model, data, epochs=10, *, lr=0.01, name="run", verbose=None, **extra):
    """Fit the model on data.

    More text the prompt does not need.
    """

class Model:
    """A tiny model."""
    def __init__(self, size, bias=True):
        self.size = size
    def predict(self, x):
        return x
'''


def describe(ns: dict, **limits: int | float) -> dict:
    return json.loads(kernel_probe.run(ns, {**LIMITS, "budget_ms": 1000, **limits}))


def by_name(out: dict) -> dict[str, tuple[str, str]]:
    return {name: (kind, summary) for name, kind, summary in out["vars"]}


# -- the probe, in-process ---------------------------------------------------------------------


def test_probe_describes_values_without_calling_user_code():
    ns = {"__name__": "__main__"}
    exec(TRAPS + DATA, ns)
    ns["armed"] = True
    out = describe(ns)
    assert ns["calls"] == []
    v = by_name(out)
    assert v["arr"] == ("ndarray", "ndarray (100, 3) float32")
    assert v["df"][1].startswith("DataFrame 2x3: id:int64, price:float64, city:")
    assert v["config"][1] == "dict len=3: {'lr': float, 'layers': list, 3: str}"
    assert v["train"] == (
        "function",
        "def train(model, data, epochs=10, *, lr=0.01, name='run', verbose=None, **extra): "
        "Fit the model on data.",
    )
    assert v["Model"] == ("class", "class Model(size, bias=True): A tiny model.; members: predict")
    assert v["with_trap_default"][1] == "def with_trap_default(x, trap=...)"
    assert v["trap"] == ("Trap", "Trap instance: attrs n:int; methods fit")
    assert v["trap_dict"][1] == "TrapDict len=1: {'alpha': int}"
    assert v["trap_keys"][1] == "dict len=1: {<Trap>: int}"
    assert v["trap_list"][1] == "TrapList len=2 of Trap|int"
    assert ("np", "numpy") in [tuple(m) for m in out["modules"]]
    assert ("col", "collections") in [tuple(m) for m in out["modules"]]
    assert "note" in v and "calls" in v and "time" not in v  # modules are listed apart


def test_probe_bounds_its_output():
    ns = {f"x{i}": "y" * 1000 for i in range(300)}
    assert len(describe(ns, max_vars=10)["vars"]) == 10
    out = describe(ns, max_bytes=2000)
    assert out["truncated"] and sum(len(s) for _, _, s in out["vars"]) < 2000
    assert all(len(s) <= 50 for _, _, s in describe(ns, max_summary=50)["vars"])
    out = describe(ns, budget_ms=0)
    assert out["truncated"] and out["vars"] == []
    wide = {"d": {f"k{i}": i for i in range(100)}}
    assert by_name(describe(wide, max_items=3))["d"][1] == (
        "dict len=100: {'k0': int, 'k1': int, 'k2': int, ...}"
    )


def test_probe_never_raises():
    assert "error" in json.loads(kernel_probe.run({"a": 1}, {"max_vars": "many"}))
    assert json.loads(kernel_probe.run(object(), {}))["vars"] == []


def test_probe_expression_adds_no_names_and_ignores_shadowed_builtins():
    """The bootstrap reaches exec/compile/locals through a lambda, not the user namespace."""
    shadowed = []
    ns = {"__name__": "__main__", "__builtins__": __builtins__, "x": 1}
    for name in ("exec", "compile", "locals", "eval", "dict", "json", "type"):
        ns[name] = lambda *a, _n=name, **k: shadowed.append(_n)
    before = dict(ns)
    text = eval(probe_expression({**LIMITS, "budget_ms": 50}), ns, ns)
    assert shadowed == [] and ns == before
    content = {"status": "ok", "user_expressions": {"spark": {"status": "ok", "data": {}}}}
    content["user_expressions"]["spark"]["data"]["text/plain"] = repr(text)
    state = parse_reply(content)
    assert state is not None and ("x", "int", "int = 1") in [
        (v.name, v.kind, v.summary) for v in state.variables
    ]


def test_probe_expression_compiles_the_source_for_another_python(monkeypatch):
    """The marshalled probe is loaded only by a Python of our bytecode magic number; any other
    kernel compiles the source sent along (here: a magic no Python has, and code that would
    not load)."""
    from jupyter_spark.kernel import state as kernel_state

    monkeypatch.setattr(kernel_state, "_probe_code", lambda: (b"\0\0\0\0", b"not marshal"))
    ns = {"__name__": "__main__", "__builtins__": __builtins__, "x": 1}
    text = eval(probe_expression({"details": ["x"]}), ns, ns)
    assert json.loads(text)["details"]["x"]["type"] == "int"


def test_probe_answers_details_with_the_snapshot():
    out = json.loads(kernel_probe.run({"d": {"k": 1}}, {**LIMITS, "details": ["d"], "snapshot": 1}))
    assert out["details"]["d"]["keys"] == ["k"] and ["d", "dict"] in [v[:2] for v in out["vars"]]


# -- real kernels --------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _private_ipython_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))  # the kernels' history DB


@contextlib.asynccontextmanager
async def kernel(tmp_path: Path, name: str = "python3", **km_args):
    """A jupyter_server kernel manager with one running kernel and a "user" client on it."""
    km = AsyncMappingKernelManager(root_dir=str(tmp_path), **km_args)
    kid = await km.start_kernel(kernel_name=name)
    user = km.get_kernel(kid).client()
    user.start_channels()
    try:
        await user.wait_for_ready(timeout=30)
        yield km, kid, user
    finally:
        user.stop_channels()
        await km.shutdown_all(now=True)


async def execute(client, code: str) -> tuple[dict, str]:
    """Run a cell as the user does; its reply content and its stdout."""
    msg_id = client.execute(code)
    out = []
    while True:
        msg = await client.get_iopub_msg(timeout=30)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "stream":
            out.append(msg["content"]["text"])
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            break
    while True:
        reply = await client.get_shell_msg(timeout=30)
        if reply["parent_header"].get("msg_id") == msg_id:
            return reply["content"], "".join(out)


async def drain(client, wait: float = 0.3) -> list[dict]:
    msgs = []
    with contextlib.suppress(Exception):
        while True:
            msgs.append(await client.get_iopub_msg(timeout=wait))
    return msgs


TRACE = """
import json, sys
_ip = get_ipython()
_hm = _ip.history_manager
_hm.writeout_cache()
_rows = _hm.db.execute("select count(*) from history where session=?", (_hm.session_number,))
print(json.dumps({
    "count": _ip.execution_count, "In": len(In), "db": _rows.fetchone()[0], "_": repr(_),
    "last": repr(getattr(sys, "last_value", None)), "Out": sorted(Out),
    "names": sorted(k for k in globals() if not k.startswith("_")), "calls": calls,
}))
"""


async def test_live_snapshot_runs_no_user_code_and_leaves_no_trace(tmp_path):
    async with kernel(tmp_path) as (km, kid, user):
        content, _ = await execute(user, TRAPS + DATA)
        assert content["status"] == "ok"
        await execute(user, "42")  # _ = 42
        await execute(user, "1/0")  # sys.last_value = ZeroDivisionError
        await execute(user, "armed = True")
        _, before = await execute(user, TRACE)

        spy = km.get_kernel(kid).client()  # sees every iopub message, like the notebook does
        spy.start_channels(shell=False, stdin=False, hb=False, control=False)
        await asyncio.sleep(0.3)  # let the subscription settle
        reader = KernelStateReader(km, debounce=0.1)
        try:
            assert reader.start_watching(kid)
            state = await reader.refresh(kid)
            assert state is not None
            first = await drain(spy)
            assert await reader.refresh(kid) is not None
            second = await drain(spy)
            t0 = time.perf_counter()
            for _ in range(50):  # keystrokes read the cache and send nothing
                assert reader.get(kid) is not None
            assert time.perf_counter() - t0 < 0.05
            keystrokes = await drain(spy)

            _, after = await execute(user, TRACE)
            b, a = json.loads(before), json.loads(after)
            assert a["calls"] == [] and b["calls"] == []
            # Exactly the TRACE cell's own effects: one count, one input, one DB row.
            assert (a["count"], a["In"], a["db"]) == (b["count"] + 1, b["In"] + 1, b["db"] + 1)
            assert (
                (a["_"], a["last"], a["Out"])
                == (b["_"], b["last"], b["Out"])
                == (
                    "42",
                    "ZeroDivisionError('division by zero')",
                    [2],
                )
            )
            assert a["names"] == b["names"]
            # Only busy/idle reach the notebook: kernel_info + probe once, then the probe alone.
            assert {m["msg_type"] for m in first + second} == {"status"}
            assert [m["content"]["execution_state"] for m in second] == ["busy", "idle"]
            assert keystrokes == []

            v = {x.name: x for x in state.variables}
            assert v["arr"].summary == "ndarray (100, 3) float32"
            assert v["df"].summary.startswith("DataFrame 2x3: id:int64, price:float64, city:")
            assert v["config"].summary == "dict len=3: {'lr': float, 'layers': list, 3: str}"
            assert v["train"].summary.startswith("def train(model, data, epochs=10, *, lr=0.01")
            assert v["train"].summary.endswith(": Fit the model on data.")
            assert (
                v["Model"].summary
                == "class Model(size, bias=True): A tiny model.; members: predict"
            )
            assert v["trap"].kind == "Trap"
            assert ("np", "numpy") in state.modules and ("pd", "pandas") in state.modules
            assert not {"In", "Out", "get_ipython", "exit", "quit", "open"} & set(v)

            # A user execution refreshes the cache by itself (after the debounce).
            await execute(user, "late = 1")
            for _ in range(100):
                state = reader.get(kid)
                if state is not None and "late" in {x.name for x in state.variables}:
                    break
                await asyncio.sleep(0.05)
            else:
                pytest.fail("no refresh after a user execution")
        finally:
            spy.stop_channels()
            await reader.close()


async def test_current_waits_for_the_snapshot_that_is_due(tmp_path):
    """What the diagnostics read: the first snapshot of a kernel (``get`` alone only starts it)
    and the one after a user execution, without its debounce; a snapshot that is simply old
    (nothing ran since) is answered from the cache, with no message to the kernel."""
    async with kernel(tmp_path) as (km, kid, user):
        await execute(user, "cfg = {'batch_size': 32}")
        reader = KernelStateReader(km, debounce=30.0)
        try:
            assert reader.get(kid) is None  # a first one is taken, not waited for
            state = await reader.current(kid, wait=10.0)
            assert state is not None and "cfg" in state.members
            assert state.members["cfg"].keys == ("batch_size",)
            await execute(user, "cfg['epochs'] = 3")
            await asyncio.sleep(0.2)  # the reader's iopub has seen the idle: a refresh is due
            t0 = time.monotonic()
            state = await reader.current(kid, wait=10.0)
            assert time.monotonic() - t0 < 10.0  # not the 30 s debounce
            assert state is not None and state.members["cfg"].keys == ("batch_size", "epochs")
            again = await reader.current(kid, wait=10.0)
            assert again is state  # nothing ran since: the cache, as it was
        finally:
            await reader.close()


async def test_fix_reads_snapshot_and_details_in_one_round_trip(tmp_path):
    """A Fix right after the run that failed: the snapshot due then and the details it asks
    come in one probe (one execute_request of ours), and leave no trace."""
    async with kernel(tmp_path) as (km, kid, user):
        await execute(user, TRAPS + DATA)
        await execute(user, "armed = True")
        _, before = await execute(user, TRACE)
        reader = KernelStateReader(km, debounce=30.0)
        try:
            assert await reader.current(kid, wait=10.0) is not None
            await execute(user, "cfg = {'batch_size': 32}")
            await asyncio.sleep(0.2)  # the reader's iopub has seen the idle: a refresh is due
            sent = []
            w = reader._watches[kid]
            execute_ = w.client.execute
            w.client.execute = lambda *a, **k: sent.append(k) or execute_(*a, **k)
            state, found = await reader.current_and_details(kid, ["cfg", "df"], wait=10.0)
            assert len(sent) == 1 and state is not None
            assert state.members["cfg"].keys == ("batch_size",)
            assert found["cfg"]["keys"] == ["batch_size"]
            assert found["df"]["keys"] == ["id", "price", "city"]
            sent.clear()  # nothing due now: the details alone, the snapshot from the cache
            again, found = await reader.current_and_details(kid, ["cfg"], wait=10.0)
            assert len(sent) == 1 and again is state and found["cfg"]["keys"] == ["batch_size"]
            w.client.execute = execute_
            _, after = await execute(user, TRACE)
            b, a = json.loads(before), json.loads(after)
            assert a["calls"] == []
            assert (a["count"], a["In"], a["db"]) == (b["count"] + 2, b["In"] + 2, b["db"] + 2)
            assert (a["_"], a["last"], a["Out"]) == (b["_"], b["last"], b["Out"])
        finally:
            await reader.close()


async def test_busy_kernel_never_delays_the_caller(tmp_path):
    async with kernel(tmp_path) as (km, kid, user):
        reader = KernelStateReader(km, timeout=1.0)
        fresh = KernelStateReader(km, timeout=1.0)  # first sees this kernel busy
        try:
            assert await reader.refresh(kid) is not None
            await asyncio.sleep(0.2)

            # A cell sent just before the refresh: the probe, if the kernel takes it after the
            # cell (before the busy status is back), times out; no second probe is queued
            # behind it, and its late reply is used once the cell ends.
            user.execute("import time; time.sleep(1.5); after_cell = 1")
            t0 = time.perf_counter()
            state = await reader.refresh(kid)
            assert time.perf_counter() - t0 < 1.3
            assert state is None or "after_cell" not in {v.name for v in state.variables}
            await asyncio.sleep(0.2)  # the cell runs now, whichever came first
            t0 = time.perf_counter()
            assert await reader.refresh(kid) is None
            assert time.perf_counter() - t0 < 0.1
            for _ in range(100):
                cached = reader.get(kid)
                if cached is not None and "after_cell" in {v.name for v in cached.variables}:
                    break
                await asyncio.sleep(0.05)
            else:
                pytest.fail("no snapshot after the cell ended")
            await asyncio.sleep(0.5)  # the debounced refresh after that cell has run too
            cached = reader.get(kid)

            sleeper = user.execute("import time; time.sleep(30)")  # not awaited
            while True:  # until the kernel reports it busy with that cell
                msg = await user.get_iopub_msg(timeout=10)
                if msg["parent_header"].get("msg_id") == sleeper and (
                    msg["content"].get("execution_state") == "busy"
                ):
                    break
            await asyncio.sleep(0.2)
            t0 = time.perf_counter()
            assert reader.get(kid) is cached
            assert fresh.get(kid) is None
            assert time.perf_counter() - t0 < 0.05
            for r in (reader, fresh):
                t0 = time.perf_counter()
                assert await r.refresh(kid) is None
                assert time.perf_counter() - t0 < 1.5
            assert reader.get(kid) is cached  # the last snapshot is kept

            await km.interrupt_kernel(kid)  # the user stops the cell: snapshots resume
            for r in (reader, fresh):
                for _ in range(50):
                    if (state := await r.refresh(kid)) is not None:
                        break
                    await asyncio.sleep(0.1)
                assert state is not None and state is not cached
        finally:
            await reader.close()
            await fresh.close()


async def test_restarted_then_dead_kernel(tmp_path):
    async with kernel(tmp_path) as (km, kid, user):
        reader = KernelStateReader(km)
        try:
            await execute(user, "before_restart = 1")
            state = await reader.refresh(kid)
            assert state is not None and "before_restart" in {v.name for v in state.variables}
            await km.restart_kernel(kid)
            assert reader.get(kid) is None  # the old namespace is gone with the old process
            for _ in range(50):
                if (state := await reader.refresh(kid)) is not None:
                    break
                await asyncio.sleep(0.1)
            assert state is not None and "before_restart" not in {v.name for v in state.variables}

            await km.shutdown_kernel(kid, now=True)
            assert reader.get(kid) is None
            assert await reader.refresh(kid) is None
            assert reader.get("no-such-kernel") is None
            assert not reader.start_watching("no-such-kernel")
            assert await reader.refresh("no-such-kernel") is None
        finally:
            await reader.close()


async def test_non_python_kernel_gets_no_probe(tmp_path):
    spec_dir = tmp_path / "kernels" / "echo"
    spec_dir.mkdir(parents=True)
    argv = [sys.executable, "-m", "pytest_jupyter.echo_kernel", "-f", "{connection_file}"]
    spec = {"argv": argv, "display_name": "echo", "language": "echo"}
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    ksm = KernelSpecManager(kernel_dirs=[str(tmp_path / "kernels")])
    async with kernel(tmp_path, "echo", kernel_spec_manager=ksm) as (km, kid, _user):
        reader = KernelStateReader(km, timeout=1.0)
        try:
            spy = km.get_kernel(kid).client()
            spy.start_channels(shell=False, stdin=False, hb=False, control=False)
            await asyncio.sleep(0.3)
            assert await reader.refresh(kid) is None
            assert reader.get(kid) is None
            assert await drain(spy) == []  # not even a kernel_info: the spec says "echo"
            spy.stop_channels()
        finally:
            await reader.close()


def test_details_read_attributes_keys_and_arity_without_user_code():
    ns = {"__name__": "__main__"}
    exec(TRAPS + DATA, ns)
    ns["armed"] = True
    found = kernel_probe.details(
        ns, ["trap", "trap_dict", "df", "config", "train", "np.linalg"], {}
    )
    assert ns["calls"] == []
    assert {"n", "fit", "slow"} <= set(found["trap"]["attrs"])
    assert found["trap_dict"]["type"] == "TrapDict" and "keys" not in found["trap_dict"]
    assert found["df"]["keys"] == ["id", "price", "city"]
    assert "groupby" in found["df"]["attrs"]
    assert found["config"]["keys"] == ["lr", "layers"]  # str keys only
    assert found["train"]["arity"] == {
        "min": 2,
        "max": 3,
        "signature": "(model, data, epochs=10, *, lr=0.01, name='run', verbose=None, **extra)",
    }
    assert "norm" in found["np.linalg"]["attrs"]
    assert kernel_probe.details(ns, ["missing", "trap.n"], {}) == {}  # no attribute access


async def test_live_details_leave_no_trace(tmp_path):
    async with kernel(tmp_path) as (km, kid, user):
        assert (await execute(user, TRAPS + DATA))[0]["status"] == "ok"
        await execute(user, "42")
        await execute(user, "1/0")
        await execute(user, "armed = True")
        _, before = await execute(user, TRACE)
        reader = KernelStateReader(km, debounce=0.1)
        try:
            assert reader.start_watching(kid)
            found = await reader.details(kid, ["df", "trap", "nope"])
            assert found["df"]["keys"] == ["id", "price", "city"]
            assert "fit" in found["trap"]["attrs"] and "nope" not in found
            assert await reader.details("no-such-kernel", ["df"]) == {}
            _, after = await execute(user, TRACE)
            b, a = json.loads(before), json.loads(after)
            assert a["calls"] == []
            assert (a["count"], a["In"], a["db"]) == (b["count"] + 1, b["In"] + 1, b["db"] + 1)
            assert (a["_"], a["last"], a["Out"], a["names"]) == (
                b["_"],
                b["last"],
                b["Out"],
                b["names"],
            )
        finally:
            await reader.close()


def test_kernel_info_decides_whether_the_probe_runs():
    from jupyter_spark.kernel import MIN_PYTHON, runs_probe

    oldest = ".".join(map(str, MIN_PYTHON))
    assert runs_probe({"name": "python", "version": f"{oldest}.1"})
    assert runs_probe({"name": "Python", "version": "3.13.0"})
    assert not runs_probe({"name": "python", "version": f"{MIN_PYTHON[0]}.{MIN_PYTHON[1] - 1}"})
    assert not runs_probe({"name": "R", "version": "4.4.0"})
    assert not runs_probe({"name": "python", "version": "dev"})
    assert not runs_probe({})


def test_a_snapshot_without_some_members_is_incomplete():
    from types import MappingProxyType

    from jupyter_spark.kernel import KernelState, KernelVar, Members, members_missing

    df = KernelVar("df", "DataFrame", "DataFrame 3x1: a:int64")
    n = KernelVar("n", "int", "3")
    bare = KernelState(variables=(df, n), modules=(), taken_at=0.0)
    assert members_missing(bare)
    full = KernelState((df, n), (), 0.0, MappingProxyType({"df": Members(kind="DataFrame")}))
    assert not members_missing(full)
    assert not members_missing(KernelState((n,), (), 0.0))  # an int has no members to miss


def test_iopub_status_is_tracked_and_only_the_users_runs_count():
    from jupyter_spark.server.kernel_watch import RESTARTED, USER_RUN_DONE, Watch, observe

    w = Watch(client=None, session_id="ours", incarnation=())

    def msg(kind, session, msg_id, **content):
        return {
            "msg_type": kind,
            "parent_header": {"session": session, "msg_id": msg_id},
            "content": content,
        }

    assert observe(w, msg("execute_input", "user", "run1")) is None
    assert observe(w, msg("status", "user", "run1", execution_state="busy")) is None
    assert w.state == "busy" and not w.unbusy.is_set()
    assert observe(w, msg("status", "ours", "probe", execution_state="idle")) is None
    assert w.state == "busy"  # our own request's status is not the kernel's
    assert observe(w, msg("status", "user", "run1", execution_state="idle")) == USER_RUN_DONE
    assert w.unbusy.is_set() and not w.user_runs
    assert observe(w, msg("status", "user", "other", execution_state="idle")) is None
    w.python, w.pending = True, "late"
    assert observe(w, msg("status", "", "", execution_state="starting")) == RESTARTED
    assert w.python is None and w.pending is None
