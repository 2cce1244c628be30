"""Kernel-aware checks: bugs the kernel's real values show before the cell runs, each with a fix
only where it is certain; and no finding on code that looks alike but is right."""

from __future__ import annotations

import asyncio
import json

import pytest
import test_server
from conftest import recv
from test_server import _start_kernel

from jupyter_spark.fixes.checks import kernel_checks
from jupyter_spark.grounding import Knowledge
from jupyter_spark.kernel import PROBE_LIMITS, probe, state_from_probe

pd = pytest.importorskip("pandas")
np = pytest.importorskip("numpy")

jp_server_config = test_server.jp_server_config
service = test_server.service


class Trip:
    def __init__(self):
        self.km = 1.0
        self.fare_eur = 2.5

    def cost(self, rate):
        return rate


class Dynamic:
    def __getattr__(self, name):
        return name


def train(model, data, epochs=3, *, lr=0.1):
    return model


def train_any(model, **options):
    return model


@pytest.fixture(scope="module")
def state():
    ns = {
        "sales": pd.DataFrame({"revenue": [1.0], "region": ["n"], "units_sold": [3]}),
        "cfg": {"batch_size": 32, "learning_rate": 0.1},
        "trip": Trip(),
        "dyn": Dynamic(),
        "a": np.zeros((3, 4)),
        "b": np.zeros((5, 2)),
        "v": np.zeros(4),
        "train": train,
        "train_any": train_any,
        "np": np,
        "pd": pd,
        "s": pd.Series([1, 2]),
    }
    return state_from_probe(json.loads(probe.run(ns, PROBE_LIMITS)))


def findings(state, source: str, cells: tuple[str, ...] = ()):
    return kernel_checks(source, Knowledge(kernel=state, cell_sources=cells, current=source))


BUGS = [
    # (cell, code, line, the fixed cell contains; None: no certain fix)
    ("total = sales['revenu'].sum()", "missing-key", 0, "sales['revenue']"),
    ("x = 1\nbs = cfg['batch']", "missing-key", 1, None),
    ("m = sales.revenu.mean()", "missing-attribute", 0, "sales.revenue.mean()"),
    ("print(trip.fare_euro)", "missing-attribute", 0, "trip.fare_eur"),
    ("train(m, d, epoch=4)", "bad-call", 0, "epochs=4"),
    ("train(m, d, learning_rate=2)", "bad-call", 0, None),
    ("r = a @ b", "shape-mismatch", 0, None),
    ("r = a + b", "shape-mismatch", 0, None),
    ("x = np.float(3)", "removed-api", 0, "x = float(3)"),
    ("for k, v in s.iteritems():\n    print(k)", "removed-api", 0, "s.items()"),
    ("both = sales.append(sales)", "removed-api", 0, None),
]


@pytest.mark.parametrize(("cell", "code", "line", "fixed"), BUGS)
def test_bugs_are_found_with_a_fix_where_certain(state, cell, code, line, fixed):
    found = [d for d in findings(state, cell) if d.code == code]
    assert len(found) == 1, findings(state, cell)
    d = found[0]
    assert d.start[0] == line
    if fixed is None:
        assert not d.fixes
    else:
        assert d.fixes and fixed in d.fixes[0].new_source
        compile(d.fixes[0].new_source, "<cell>", "exec")


CLEAN = [
    "sales['margin'] = sales['revenue'] * 0.2\nprint(sales['margin'])",
    "bs = cfg.get('batch', 16)",
    "if 'batch' in cfg:\n    bs = cfg['batch']",
    "try:\n    bs = cfg['batch']\nexcept KeyError:\n    bs = 16",
    "if False:\n    sales['nope']",
    "cfg['batch'] = 64\nprint(cfg['batch'])",
    "cfg.update(batch=3)\nprint(cfg['batch'])",
    "dyn.anything_at_all",
    "train_any(m, whatever=1)",
    "train(m, d, epochs=4, lr=0.2)",
    "r = a @ np.zeros((4, 2))\nq = a @ v\nw = a + v",
    "sales = pd.read_csv('other.csv')\nsales['anything']",
    "def f(sales):\n    return sales['zzz']",
    "f = lambda cfg: cfg['zzz']",
    "vals = [cfg['x'] for cfg in configs]",
    "x = np.float64(3) + float(2)",
    "for k, v in s.items():\n    print(k)",
    "if hasattr(trip, 'speed'):\n    print(trip.speed)",
    "trip.speed = 3\nprint(trip.speed)",
    "n = sales['revenue'].sum() if 'revenue' in sales else 0",
]


@pytest.mark.parametrize("cell", CLEAN)
def test_lookalike_correct_code_is_not_flagged(state, cell):
    assert findings(state, cell) == []


def test_keys_another_cell_adds_are_known(state):
    assert findings(state, "x = cfg['warmup']", ("cfg['warmup'] = 10",)) == []


async def test_diagnose_over_the_websocket_with_a_real_kernel(
    service, jp_fetch, jp_ws_fetch, jp_serverapp
):
    kid, kc = await _start_kernel(jp_fetch, jp_serverapp)
    try:
        await kc.execute_interactive(
            "import pandas as pd\norders = pd.DataFrame({'unit_price_eur': [1.0], 'qty': [2]})",
            timeout=60,
        )
        for _ in range(150):
            st = service.kernel_reader.get(kid)
            if st is not None and "orders" in st.members:
                break
            await asyncio.sleep(0.1)
        ws = await jp_ws_fetch("spark", "ws")
        source = "total = orders['unit_price_euro'] * orders['qty']"
        ws.write_message(
            json.dumps({"type": "diagnose", "id": "d", "source": source, "kernel_id": kid})
        )
        reply = await recv(ws)
        assert reply["type"] == "diagnostics", reply
        [item] = [i for i in reply["items"] if i["code"] == "missing-key"]
        assert item["start"] == [0, 15] and "unit_price_eur" in item["message"]
        assert item["fixes"][0]["new_source"] == "total = orders['unit_price_eur'] * orders['qty']"
        assert item["fixes"][0]["edits"]
        ws.close()
    finally:
        kc.stop_channels()
        await jp_serverapp.kernel_manager.shutdown_kernel(kid, now=True)


def test_modernize_spells_removed_apis_anew(state):
    from jupyter_spark.fixes import FixService

    source = "x = np.float(3)\nfor k, v in s.iteritems():\n    print('%s' % k)"
    [fix] = FixService().modernize(source, Knowledge(kernel=state, current=source))
    assert "x = float(3)" in fix.new_source and "s.items()" in fix.new_source
    assert "f'{k}'" in fix.new_source or "'{}'.format" in fix.new_source or "%" in fix.new_source
    compile(fix.new_source, "<cell>", "exec")
