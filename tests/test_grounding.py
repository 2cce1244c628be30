"""Grounded completions: sites in incomplete code, candidate sets, the constrained walk over every
tokenizer the project supports, and the whole chain in a real server with a real kernel."""

from __future__ import annotations

import asyncio
import json
import keyword
import string
from pathlib import Path

import numpy as np
import pytest
import test_server
from conftest import until_done
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_server import _start_kernel, complete

from jupyter_spark.engine.grounded import Choices, GroundedDecoder
from jupyter_spark.engine.healing import Healer
from jupyter_spark.grounding import Knowledge, find_site, ground
from jupyter_spark.grounding.modules import top_level_modules
from jupyter_spark.kernel import PROBE_LIMITS, probe, state_from_probe

# The server fixtures of test_server (the tiny model, one thread).
jp_server_config = test_server.jp_server_config
service = test_server.service

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))

names = st.from_regex(r"[a-z_][a-z0-9_]{0,12}", fullmatch=True).filter(
    lambda n: not keyword.iskeyword(n)
)


# -- sites ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prefix", "kind", "typed", "root"),
    [
        ("x = df['uni", "key", "uni", "df"),
        ('y = df["', "key", "", "df"),
        ("df[df['", "key", "", "df"),
        ("df.loc[:, 'pr", "key", "pr", "df"),
        ("df.groupby('city')['", "key", "", "df"),
        ("df[['a', '", "key", "", "df"),
        ("print(cfg['model']['", "key", "", "cfg"),
        ("np.lin", "attr", "lin", "np"),
        ("total = obj.", "attr", "", "obj"),
        ("print(cust", "kwarg", "cust", "print"),
        ("f(1, radius=2, ", "kwarg", "", "f"),
        ("    ret", "name", "ret", None),
        ("import pa", "module", "pa", None),
        ("from os import pa", "from", "pa", None),
    ],
)
def test_sites_in_incomplete_code(prefix, kind, typed, root):
    site = find_site(prefix)
    assert site is not None and site.kind == kind and site.typed == typed
    if root is not None:
        assert site.target is not None and site.target.root == root


@pytest.mark.parametrize(
    "prefix",
    [
        "# df['",  # a comment
        "s = 'df['",  # inside a plain string
        'doc = """\nx = df[\'',  # inside a docstring
        "def cust",  # a new function name
        "for cust",  # a new loop variable
        "class Ma",  # a new class name
        "x = 1.5",  # a number
        "import numpy as n",  # a new alias
        "f'{df['",  # inside an f-string
    ],
)
def test_no_site_where_a_new_name_or_no_code_is_typed(prefix):
    assert find_site(prefix) is None


@SETTINGS
@given(st.text(alphabet=string.printable + "éü€\u00a0", max_size=300))
def test_site_analysis_never_fails_on_any_text(text):
    site = find_site(text, text[::-1])
    assert site is None or site.kind in ("key", "attr", "name", "module", "from", "kwarg")


@SETTINGS
@given(
    head=st.sampled_from(["", "x = ", "print(", "foo(a, ", "    y = 2 * ", "z = [1, 2]\n"]),
    root=names,
    keys=st.lists(names, max_size=3),
    typed=st.from_regex(r"[A-Za-z0-9_ ]{0,8}", fullmatch=True),
    quote=st.sampled_from(["'", '"']),
)
def test_key_site_of_any_subscript(head, root, keys, typed, quote):
    """``root['k1']['k2']['typed`` is a key site of root with path k1, k2 and that typed text."""
    path = "".join(f"[{quote}{k}{quote}]" for k in keys)
    site = find_site(f"{head}{root}{path}[{quote}{typed}")
    assert site is not None and site.kind == "key"
    assert site.target is not None and site.target.root == root
    assert [s.value for s in site.target.steps] == keys
    assert site.typed == typed and site.quote == quote


# -- candidates ----------------------------------------------------------------------------


class Trap:
    """Every way of running user code writes a file."""

    def __init__(self, path: str) -> None:
        self.path = path

    def _hit(self, what: str) -> None:
        Path(self.path + "." + what).write_text("ran")

    def __getattr__(self, name):
        self._hit("getattr")
        return 1

    def __dir__(self):
        self._hit("dir")
        return ["x"]

    def __repr__(self):
        self._hit("repr")
        return "Trap"

    @property
    def prop(self):
        self._hit("property")
        return 1


def _knowledge(ns: dict, cells: tuple[str, ...] = (), current: str = "") -> Knowledge:
    state = state_from_probe(json.loads(probe.run(ns, PROBE_LIMITS)))
    return Knowledge(kernel=state, cell_sources=cells, current=current)


def test_candidates_from_kernel_and_cells(tmp_path):
    pd = pytest.importorskip("pandas")
    ns = {
        "__name__": "__main__",
        "orders": pd.DataFrame({"unit_price_eur": [1.0], "n_returns": [2], "city": ["x"]}),
        "cfg": {"model": {"hidden_dim": 3}, "warmup_steps": 10},
        "np": np,
        "trap": Trap(str(tmp_path / "trap")),
    }
    cells = (
        "class Trip:\n    def __init__(self, km, *, driver=None):\n        self.km = km\n"
        "        self.fare_eur = 2.5\n\n    def cost(self):\n        return 1\n\nt = Trip(3)\n",
        "settings = {'batch_size': 32, 'optim': {'lr': 0.1}}\nsettings['seed'] = 0\n",
    )

    def choices(prefix: str) -> Choices | None:
        return ground(prefix, "", _knowledge(ns, cells, prefix))

    assert set(choices("x = orders['").texts) == {"unit_price_eur'", "n_returns'", "city'"}
    assert choices("orders[orders['n").texts == ("_returns'",)
    assert set(choices("orders[['city', '").texts) == {"unit_price_eur'", "n_returns'"}
    # arguments of DataFrame methods that name columns: the frame's columns
    assert choices("g = orders.groupby('ci").texts == ("ty'",)
    assert set(choices("orders.drop(columns=['city', '").texts) == {"unit_price_eur'", "n_returns'"}
    assert choices("orders.sort_values(by='n_").texts == ("returns'",)
    assert choices("orders.merge(other, on='") is None  # (the other frame's columns count too)
    assert choices("cfg['model']['").texts == ("hidden_dim'",)
    assert set(choices("y = settings['").texts) == {"batch_size'", "optim'", "seed'"}
    assert choices("y = settings['optim']['").texts == ("lr'",)
    assert set(choices("t.").texts) == {"km", "fare_eur", "cost"}
    assert choices("Trip(3, dr").texts == ("iver=",)
    assert "space" in choices("np.lin").texts
    # typed past every candidate, an assignment target, a positional place: no set
    assert choices("orders['zzz") is None
    assert ground("orders['", "'] = 0", _knowledge(ns, cells, "orders['")) is None
    assert choices("Trip(3, ") is None
    # a type that computes attributes gives no closed set, and nothing ran
    assert choices("trap.") is None
    assert not list(tmp_path.glob("trap.*"))


def test_import_sites_offer_installed_and_stdlib_modules():
    top_level_modules()
    k = Knowledge()
    assert "n'" not in (ground("import jso", "", k).texts)
    assert "n" in ground("import jso", "", k).texts
    assert "rderedDict" in ground("from collections import O", "", k).texts


# -- the walk over real tokenizers ---------------------------------------------------------


def _walk_property(healer: Healer, data) -> None:
    """Whatever the model's logits, the walk spells a choice (behind the healed tail) and,
    after a word choice, never goes on with the word."""
    decoder = GroundedDecoder(healer)
    word = data.draw(st.booleans())
    texts = data.draw(st.lists(names if word else names.map(lambda n: n + "'"), min_size=1))
    heal = data.draw(st.sampled_from(["", "Ġ", "['", "Ġcu", "('"]))
    walk = decoder.start(Choices(tuple(texts), word=word), heal)
    assert walk is not None
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    out, vocab = "", int(healer.ids.max()) + 1
    for _ in range(64):
        allowed = walk.allowed(frozenset())
        assert len(allowed)
        logits = rng.normal(size=vocab)
        tok = int(allowed[np.argmax(logits[allowed])])
        piece = healer.id_to_string[tok]
        walk.advance(piece)
        out += piece
        if walk.free:
            break
    assert walk.free
    spelled = [heal + Healer.to_bytes_string(t) for t in texts]
    done = [s for s in spelled if out.startswith(s)]
    assert done, (out, spelled)
    longest = max(done, key=len)
    rest = out[len(longest) :]
    if word and rest and longest[-1:].isalnum():
        assert GroundedDecoder.is_boundary(rest), (out, longest)


@SETTINGS
@given(data=st.data())
def test_walk_spells_a_choice_with_the_tiny_tokenizer(tiny_engine, data):
    _walk_property(tiny_engine.healer, data)


@pytest.mark.real_model
@SETTINGS
@given(data=st.data())
def test_walk_spells_a_choice_with_the_real_tokenizer(real_engine, data):
    _walk_property(real_engine.healer, data)


@pytest.mark.real_model
def test_real_model_picks_a_column_only_the_kernel_knows(real_engine):
    prefix = "import pandas as pd\norders = pd.read_csv('orders.csv')\ntotal = orders['"
    choices = Choices(("unit_price_eur'", "n_returns'", "customer_id'"), word=False, site="key")
    r = real_engine.complete(prefix, choices=choices).wait()
    assert any(r.text.startswith(c) for c in choices.texts), r.text
    assert r.grounded == "key"
    free = real_engine.complete(prefix).wait()
    assert free.grounded == ""


@SETTINGS
@given(texts=st.lists(names, min_size=1, max_size=5), typed=st.sampled_from(["", "a", "x_"]))
def test_engine_output_starts_with_a_choice(tiny_engine, texts, typed):
    """The tiny model's logits are noise: only the constraint makes the text a choice."""
    prefix = "value = compute(1)\nresult = " + typed
    r = tiny_engine.complete(
        prefix, choices=Choices(tuple(texts), site="name"), max_tokens=24
    ).wait()
    assert r.grounded or not tiny_engine.grounder.enabled
    if r.stop_reason in ("max_tokens", "time"):
        assert any(t.startswith(r.text) or r.text.startswith(t) for t in texts), r.text
    else:
        assert any(r.text.startswith(t) for t in texts), (r.text, texts)


# -- the whole chain: a real server, a real kernel -------------------------------------------

KERNEL_CODE = """
import json
orders = __import__('pandas').DataFrame({'unit_price_eur': [1.0], 'n_returns': [2]})
config = {'warmup_steps': 500, 'optimizer': {'beta_two': 0.99}}

class Trap:
    def __getattr__(self, name):
        open(TRAP + '.getattr', 'w').write('ran'); return 1
    def __dir__(self):
        open(TRAP + '.dir', 'w').write('ran'); return []
    def __repr__(self):
        open(TRAP + '.repr', 'w').write('ran'); return 'Trap'
    @property
    def prop(self):
        open(TRAP + '.prop', 'w').write('ran'); return 1

trap = Trap()
"""


async def _snapshot_with(service, kid: str, name: str) -> None:
    for _ in range(150):
        state = service.kernel_reader.get(kid)
        if state is not None and name in state.members:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"no snapshot with {name}")


async def _done(ws, rid: str, prefix: str, **extra) -> dict:
    ws.write_message(complete(rid, prefix, max_tokens=40, **extra))
    _, done = await until_done(ws, rid)
    assert done["type"] == "done", done
    return done


async def test_grounded_over_the_websocket_with_a_real_kernel(
    service, jp_fetch, jp_ws_fetch, jp_serverapp, tmp_path
):
    kid, kc = await _start_kernel(jp_fetch, jp_serverapp)
    try:
        pytest.importorskip("pandas")
        trap = str(tmp_path / "trap")
        await kc.execute_interactive(f"TRAP = {trap!r}\n" + KERNEL_CODE, timeout=60)
        await _snapshot_with(service, kid, "config")
        ws = await jp_ws_fetch("spark", "ws")
        cases = [
            ("x = orders['", ("unit_price_eur'", "n_returns'")),
            ("orders[orders['n_", ("returns'",)),
            ("lr = config['optimizer']['", ("beta_two'",)),
            ("steps = config['warm", ("up_steps'",)),
        ]
        for i, (prefix, allowed) in enumerate(cases):
            done = await _done(ws, f"g{i}", prefix, kernel_id=kid)
            assert done["stats"]["grounded"] == "key", (prefix, done)
            assert any(done["text"].startswith(a) for a in allowed), (prefix, done["text"])
            off = await _done(ws, f"u{i}", prefix, kernel_id=kid, grounding=False)
            assert off["stats"]["grounded"] == ""
        done = await _done(ws, "t", "y = trap.", kernel_id=kid)
        assert done["stats"]["grounded"] == ""  # computed attributes: no closed set
        assert not list(tmp_path.glob("trap.*")), "the probe ran user code"

        # Busy for 30 s: grounded suggestions keep coming from the last snapshot.
        kc.execute("import time; time.sleep(30)")
        await asyncio.sleep(0.3)
        done = await _done(ws, "busy", "x = orders['", kernel_id=kid)
        assert done["stats"]["grounded"] == "key"

        # Dead kernel: ungrounded suggestions, no error.
        await jp_serverapp.kernel_manager.shutdown_kernel(kid, now=True)
        done = await _done(ws, "dead", "x = orders['", kernel_id=kid)
        assert done["stats"]["grounded"] == ""
        ws.close()
    finally:
        kc.stop_channels()
        if kid in jp_serverapp.kernel_manager:
            await jp_serverapp.kernel_manager.shutdown_kernel(kid, now=True)


async def test_grounded_from_cells_not_run_yet(service, jp_ws_fetch):
    cells = [
        {"id": "a", "cell_type": "code", "source": "hyper = {'dropout_rate': 0.1, 'n_heads': 8}"},
        {"id": "b", "cell_type": "code", "source": "x = hyper['"},
    ]
    ws = await jp_ws_fetch("spark", "ws")
    ws.write_message(json.dumps({"type": "sync", "path": "g.ipynb", "cells": cells}))
    done = await _done(ws, "c", "x = hyper['", path="g.ipynb", cell_id="b")
    assert done["stats"]["grounded"] == "key"
    assert done["text"].startswith(("dropout_rate'", "n_heads'")), done["text"]
    ws.close()
