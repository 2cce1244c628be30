"""Kernel-aware checks: bugs the kernel's real values show before the cell runs, each with a fix
only where it is certain; and no finding on code that looks alike but is right."""

from __future__ import annotations

import asyncio
import datetime
import functools
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

    @staticmethod
    def scale(factor, /, offset=0.0):
        return factor


class Dynamic:
    def __getattr__(self, name):
        return name


def train(model, data, epochs=3, *, lr=0.1):
    return model


def train_any(model, **options):
    return model


def logged(f):
    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        return f(*args, **kwargs)

    return wrapper


@logged
def fit_logged(model, data, epochs=3):
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
        "fit_logged": fit_logged,
        "np": np,
        "pd": pd,
        "s": pd.Series([1, 2]),
        "title": "report",
        "names": ["ada"],
        "start": datetime.datetime(2024, 1, 1),
        "by_region": pd.DataFrame({"region": ["n"], "revenue": [1.0]}).set_index("region"),
        "events": pd.DataFrame({"when": pd.to_datetime(["2024-01-01"]), "name": ["x"]}),
        "visits": pd.DataFrame({"n": [1, 2, 3]}),
        "ts": pd.DataFrame({"s0": [1.0]}, index=pd.to_datetime(["2024-01-01"])),
    }
    return state_from_probe(json.loads(probe.run(ns, PROBE_LIMITS)))


def findings(state, source: str, cells: tuple[str, ...] = ()):
    return kernel_checks(source, Knowledge(kernel=state, cell_sources=cells, current=source))


BUGS = [
    # (cell, code, line, the fixed cell contains; None: no certain fix)
    ("total = sales['revenu'].sum()", "missing-key", 0, "sales['revenue']"),
    ("x = 1\nbs = cfg['batch']", "missing-key", 1, "cfg['batch_size']"),
    ("m = sales.revenu.mean()", "missing-attribute", 0, "sales.revenue.mean()"),
    # a name longer or shorter by whole words: the one it extends
    ("r = sales['region_name']", "missing-key", 0, "sales['region']"),
    ("f = trip.fare", "missing-attribute", 0, "trip.fare_eur"),
    ("print(trip.fare_euro)", "missing-attribute", 0, "trip.fare_eur"),
    ("train(m, d, epoch=4)", "bad-call", 0, "epochs=4"),
    ("train(m, d, learning_rate=2)", "bad-call", 0, None),
    ("r = a @ b", "shape-mismatch", 0, None),
    # a column is a Series, its .str / .dt an accessor, a date index a DatetimeIndex
    ("n = events.name.uniqe()", "missing-attribute", 0, "events.name.unique()"),
    ("m = sales['revenue'].means()", "missing-attribute", 0, "sales['revenue'].mean()"),
    ("x = events['name'].str.capitalise()", "missing-attribute", 0, ".str.capitalize()"),
    ("h = events['when'].dt.hours", "missing-attribute", 0, ".dt.hour"),
    ("h = ts.index.hours", "missing-attribute", 0, "ts.index.hour"),
    # a Series method or a .str method gives a Series again
    ("x = events['name'].str.lower().str.splt()", "missing-attribute", 0, ".str.split()"),
    ("x = events['name'].str.upper().value_count()", "missing-attribute", 0, "value_counts()"),
    ("x = sales['revenue'].dropna().means()", "missing-attribute", 0, ".dropna().mean()"),
    # shapes the cell makes: a reduction, a constructor, a join of arrays
    ("m = a.mean(axis=1)\nd = a - m", "shape-mismatch", 1, "d = a - m[:, None]"),
    ("d = a.sum(axis=1) / a", "shape-mismatch", 0, "d = a.sum(axis=1)[:, None] / a"),
    ("w = np.linspace(0, 1, num=3)\nr = a * w", "shape-mismatch", 1, "r = a * w[:, None]"),
    ("t = np.concatenate([a, b], axis=0)", "shape-mismatch", 0, None),
    ("t = np.vstack([a, b])", "shape-mismatch", 0, None),
    ("r = v * np.array([0.5, 2.0])", "shape-mismatch", 0, None),
    ("r = a[:, :3] + v", "shape-mismatch", 0, None),
    ("hot = a > v[:2]", "shape-mismatch", 0, None),
    ("w = visits['n'].to_numpy() * v", "shape-mismatch", 0, None),
    ("w = visits.n.values + np.zeros(2)", "shape-mismatch", 0, None),
    ("sales['score'] = [0.1, 0.2]", "shape-mismatch", 0, None),
    ("sales['first'] = a[:, 0]", "shape-mismatch", 0, None),
    # merge keys: ``on`` in both frames, ``left_on`` / ``right_on`` in their side
    ("both = sales.merge(by_region, on='regoin')", "missing-key", 0, "on='region'"),
    (
        "both = pd.merge(sales, events, left_on='region', right_on='nmae')",
        "missing-key",
        0,
        "right_on='name'",
    ),
    ("r = a + b", "shape-mismatch", 0, None),
    ("x = np.float(3)", "removed-api", 0, "x = float(3)"),
    ("for k, v in s.iteritems():\n    print(k)", "removed-api", 0, "s.items()"),
    ("both = sales.append(sales)", "removed-api", 0, None),
    # how arguments bind to the real signature: too many, missing, twice
    ("train(m, d, 5, 6, 7)", "bad-call", 0, None),
    # one extra positional for the one keyword-only parameter: it goes by keyword
    ("train(m, d, 5, 0.3)", "bad-call", 0, "train(m, d, 5, lr=0.3)"),
    ("train(m, d, epochs_total=2)", "bad-call", 0, "train(m, d, epochs=2)"),
    ("train(m, d, ep=2)", "bad-call", 0, None),
    ("h = trip.cost(rate_per_km=2)", "bad-call", 0, "trip.cost(rate=2)"),
    ("history = train(m)", "bad-call", 0, None),
    ("train(m, d, 5, epochs=6)", "bad-call", 0, None),
    ("trip.cost()", "bad-call", 0, None),  # a method of the instance's class
    ("fit_logged(m)", "bad-call", 0, None),  # through a pass-through decorator's __wrapped__
    ("trip.scale()", "bad-call", 0, None),  # a staticmethod: nothing bound
    ("trip.scale(factor=2)", "bad-call", 0, None),  # positional-only given by keyword
    ("ranked = sales.sort_values(by='revenue', ascend=False)", "bad-call", 0, "ascending=False"),
    ("g = np.linspace(0, 1, nums=5)", "bad-call", 0, "num=5"),  # a NumPy dispatcher
    # a list of columns, the attributes of builtin and datetime values
    ("print(sales[['revenue', 'regon']])", "missing-key", 0, "'region'"),
    ("t = title.uppercase()", "missing-attribute", 0, None),
    ("names.push('bob')", "missing-attribute", 0, None),
    ("d = start.weekdya()", "missing-attribute", 0, "start.weekday()"),
    # builtins and the C methods of builtin values, by this Python's signatures
    ("xs = sorted(names, reversed=True)", "bad-call", 0, "reverse=True"),
    ("parts = title.split(sepp=',')", "bad-call", 0, "sep=','"),
    ("n = len()", "bad-call", 0, None),
    # column names as method arguments and in .loc's column position
    ("g = sales.groupby('regoin')['revenue'].sum()", "missing-key", 0, "groupby('region')"),
    ("sales.drop(columns=['units_sold', 'revnue'])", "missing-key", 0, "'revenue'"),
    ("top = sales.sort_values(by=['region', 'units'])", "missing-key", 0, "'units_sold'"),
    ("x = sales.loc[sales['revenue'] > 0, 'regon']", "missing-key", 0, "'region'"),
    ("x = sales.loc[:, ['revenue', 'unit_sold']]", "missing-key", 0, "'units_sold'"),
    # a name the imported module lacks (NumPy's module __getattr__: only a certain typo)
    ("x = np.arrange(3)", "missing-attribute", 0, "np.arange(3)"),
    ("df = pd.read_cvs('o.csv')", "missing-attribute", 0, "pd.read_csv('o.csv')"),
    # sizes a reshape cannot reach
    ("flat = a.reshape(5, 3)", "shape-mismatch", 0, None),
    ("r = a.T @ a.T", "shape-mismatch", 0, "r = a.T @ a"),
    # a chained assignment writes to a copy: the kernel's frame is left as it was
    (
        "sales[sales['revenue'] > 1]['region'] = 's'",
        "chained-assignment",
        0,
        "sales.loc[sales['revenue'] > 1, 'region'] = 's'",
    ),
    (
        "x = 1\nsales['units_sold'][sales['region'] == 'n'] = 0",
        "chained-assignment",
        1,
        "sales.loc[sales['region'] == 'n', 'units_sold'] = 0",
    ),
    ("r = np.dot(a, b)", "shape-mismatch", 0, None),
    ("flat = np.reshape(a, (5, -1))", "shape-mismatch", 0, None),
    # passed to a function of the cell that only reads it: its columns are still known
    (
        "def peek(frame):\n    return frame[frame['revenue'] > 0]\n\nx = peek(sales)\n"
        "y = sales['revenu']",
        "missing-key",
        4,
        "sales['revenue']",
    ),
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
    "sales.loc[sales['revenue'] > 1, 'region'] = 's'",
    "sales['region'][0]",
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
    "m = a.mean(axis=1)\nd = a - m[:, None]\ne = a - a.mean(axis=0)\nk = a - a.sum(axis=1, "
    "keepdims=True)\nz = a * np.linspace(0, 1, 4) + np.zeros((3, 1))",
    "t = np.concatenate([a, b.T.reshape(2, 5)[:, :4]], axis=0)\nu = np.vstack([a, v])\n"
    "h = np.hstack([a, a])\ns2 = np.stack([v, v])\nc = np.concatenate([a, a.T.T], axis=1)",
    # (Series align on their index: no shape to match)
    "r = v * np.array([1, 2, 3, 4])\nq = a[:, :4] + v[-4:]\nhot = a > v\nsales['one'] = [1]\n"
    "sales['x'] = a[:1, 0]\nsales['r'] = sales['revenue'] * by_region['revenue']\n"
    "sales['y'] = by_region['revenue']\nw = visits['n'].to_numpy() * a[:, 0]",
    "if cond:\n    m = a.mean(axis=1)\nelse:\n    m = a.mean(axis=1)[:, None]\nd = a - m",
    "for i in range(3):\n    m = a.mean(axis=1)\n    m = m[:, None]\nd = a - m",
    "sales = pd.read_csv('other.csv')\nsales['anything']",
    "def f(sales):\n    return sales['zzz']",
    "f = lambda cfg: cfg['zzz']",
    "vals = [cfg['x'] for cfg in configs]",
    "x = np.float64(3) + float(2)",
    "for k, v in s.items():\n    print(k)",
    "if hasattr(trip, 'speed'):\n    print(trip.speed)",
    "trip.speed = 3\nprint(trip.speed)",
    "n = sales['revenue'].sum() if 'revenue' in sales else 0",
    "train(m, d)\ntrain(m, data=d, epochs=2, lr=1)\ntrain(*args)\ntrain(m, **kw)",
    "trip.cost(3)\ntrip.scale(2)\ntrip.scale(2, offset=1)",
    "fit_logged(m, d)\nfit_logged(m, d, epochs=2)",
    "sales.sort_values('revenue', ascending=False)\nnp.linspace(0, 1, num=5)",
    "print(sales[['revenue', 'region']])",
    "xs = sorted(names, key=len, reverse=True)\nprint(1, 2, sep='')\ntitle.split(',', 1)",
    "def sorted(xs, reversed=False):\n    return xs\n\nsorted(names, reversed=True)",
    "sales.groupby('region').sum()\nsales.sort_values(['region', 'revenue'])\n"
    "sales.drop(columns='units_sold')\nsales.pivot_table(index='region', values='revenue')",
    "sales.loc[sales['revenue'] > 0, 'region']\nsales.loc[:, ['revenue', 'region']]",
    "by_region.groupby('region').sum()",  # the index's name is a valid groupby key
    # typed columns and accessors, used right (``events.at``: the frame's indexer)
    "events['name'].str.upper()\nevents['when'].dt.hour\nts.index.hour\nsales.revenue.mean()\n"
    "sales['revenue'].apply(str).anything\nevents['when'].dt.isocalendar().week\n"
    "events.at[0, 'name']\nevents.at.obj\nevents['name'].str.len().mean()\n"
    "events['name'].astype('category').cat.codes\nsales['revenue'].map(str).str.upper()",
    "sales.merge(by_region, on='region')\npd.merge(sales, events, left_on='region', "
    "right_on='name')\nsales.merge(events, how='cross')",
    "sales.groupby(['region', pd.Grouper(freq='D')])",  # one computed element: unknown
    "sales['score'] = 1\nsales.sort_values('score')",
    "title.upper()\nnames.append('bob')\nstart.weekday()",
    "x = np.arange(3)\nn = np.linalg.norm(x)\nt = np.testing\np = pd.api.types",
    "r = a.T @ a\nq = np.dot(a, v)\nw = a @ a.T\nm = np.matmul(a.T, a)",
    "a.reshape(2, 6)\na.reshape(-1)\nnp.reshape(a, (4, -1))\nv.reshape((2, 2))",
    # a function that adds the column, or hands its argument back: the frame may have it
    "def add(frame):\n    frame['new'] = 1\n\nadd(sales)\nprint(sales['new'])",
    "def same(frame):\n    return frame\n\nsame(sales)['x'] = 1\nprint(sales['x'])",
    "def store(frame):\n    frames.append(frame)\n\nstore(sales)\nprint(sales['x'])",
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


def test_a_signature_seen_in_the_kernel_and_in_a_cell_binds_as_the_kernel_says(state):
    """The cell that defined ``train`` is in the notebook too: its static reading must not
    replace the kernel's (the call is still checked against the real signature)."""
    cell = "def train(model, data, epochs=3, *, lr=0.1):\n    return model"
    assert [d.code for d in findings(state, "history = train(m)", (cell,))] == ["bad-call"]
    assert findings(state, "history = train(m, d)", (cell,)) == []


@pytest.mark.parametrize(
    ("cell", "versions", "fixed"),
    [
        (
            "enc = OneHotEncoder(sparse=False)",
            {"scikit-learn": "1.5.2"},
            "enc = OneHotEncoder(sparse_output=False)",
        ),
        (
            "rmse = mean_squared_error(y, p, squared=False)",
            {"scikit-learn": "1.6.0"},
            "from sklearn.metrics import root_mean_squared_error\n"
            "rmse = root_mean_squared_error(y, p)",
        ),
        (
            "rmse = metrics.mean_squared_error(y, p, squared=False, sample_weight=w)",
            {"scikit-learn": "1.7"},
            "rmse = metrics.root_mean_squared_error(y, p, sample_weight=w)",
        ),
        (
            "plt.style.use('seaborn-whitegrid')",
            {"matplotlib": "3.8.4"},
            "plt.style.use('seaborn-v0_8-whitegrid')",
        ),
    ],
)
def test_arguments_the_installed_release_removed(cell, versions, fixed):
    """Arguments a release removed or renamed, found through the cells' imports (the kernel
    need not have run them) against the installed version, with the new spelling as the fix."""
    imports = (
        "from sklearn.preprocessing import OneHotEncoder\n"
        "from sklearn.metrics import mean_squared_error\n"
        "from sklearn import metrics\nimport matplotlib.pyplot as plt"
    )
    k = Knowledge(cell_sources=(imports,), current=cell)
    found = kernel_checks(cell, k, versions)
    assert [d.code for d in found] == ["removed-api"], found
    assert found[0].fixes[0].new_source == fixed
    compile(fixed, "<cell>", "exec")
    older = {name: "1.0" for name in versions}  # before the removal: nothing to say
    assert kernel_checks(cell, Knowledge(cell_sources=(imports,), current=cell), older) == []


def test_removed_argument_rules_leave_the_current_spelling_alone():
    imports = "from sklearn.metrics import mean_squared_error\nimport matplotlib.pyplot as plt"
    versions = {"scikit-learn": "1.6", "matplotlib": "3.9"}
    for cell in (
        "mse = mean_squared_error(y, p, squared=True)",
        "mse = mean_squared_error(y, p)",
        "plt.style.use('seaborn-v0_8')\nplt.style.use('ggplot')",
    ):
        assert kernel_checks(cell, Knowledge(cell_sources=(imports,), current=cell), versions) == []


def test_an_error_the_checks_explain_gets_their_fix(state):
    """The cell ran and failed on a misspelt keyword of a user function or a library method (no
    error rule knows the signature): the checks' certain fix, for the line the error is on."""
    from jupyter_spark.fixes import FixRequest, FixService
    from jupyter_spark.fixes.types import ErrorInfo

    service = FixService()
    cases = [
        ("x = 1\nm = train(x, x, epoch=5)", "TypeError",
         "train() got an unexpected keyword argument 'epoch'", 2, "train(x, x, epochs=5)"),
        ("ranked = sales.sort_values(by='revenue', ascend=False)", "TypeError",
         "DataFrame.sort_values() got an unexpected keyword argument 'ascend'", 1,
         "ascending=False"),
    ]  # fmt: skip
    for source, ename, evalue, lineno, fixed in cases:
        k = Knowledge(kernel=state, current=source)
        error = ErrorInfo(ename, evalue, lineno=lineno)
        fixes = service.fix(FixRequest(source, error, knowledge=k, use_model=False))
        assert fixes and fixed in fixes[0].new_source, (source, fixes)
        without = service.fix(FixRequest(source, error, use_model=False))  # (rules alone)
        assert all(fixed not in f.new_source for f in without), without


@pytest.mark.parametrize(
    ("cell", "fixed"),
    [
        ("sales = sales.fillna(method='ffill')", "sales = sales.ffill()"),
        ("s2 = s.fillna(method='backfill', limit=2)", "s2 = s.bfill(limit=2)"),
        ("x = sales.pad()", "x = sales.ffill()"),
        (
            "sales.to_csv('o.csv', line_terminator='\\n')",
            "sales.to_csv('o.csv', lineterminator='\\n')",
        ),
        ("sales.groupby('region', axis=1)", None),
    ],
)
def test_pandas_methods_and_arguments_gone_in_the_installed_release(state, cell, fixed):
    """Methods and arguments of the kernel's frames that pandas 2.x deprecated and 3.0 removed:
    one removed-api finding (not also a bad-call), with the modern spelling where it is one."""
    found = kernel_checks(cell, Knowledge(kernel=state, current=cell), {"pandas": "3.0.0"})
    assert [d.code for d in found] == ["removed-api"], found
    if fixed is None:
        assert not found[0].fixes
    else:
        assert found[0].fixes[0].new_source == fixed


@pytest.mark.parametrize(
    ("cell", "fixed"),
    [
        ("spread = a.ptp(axis=0)", None),
        ("payload = v.tostring()", "payload = v.tobytes()"),
        ("x = np.string_('a')", "x = np.bytes_('a')"),
        ("x = -np.NINF", None),
        ("p95 = np.percentile(v, 95, interpolation='nearest')", "method='nearest'"),
        ("counts = pd.value_counts(sales['region'])", None),
        ("week = events['when'].dt.weekofyear", "events['when'].dt.isocalendar().week"),
        ("week = events['when'].dt.week", "events['when'].dt.isocalendar().week"),
        ("weeks = ts.index.weekofyear", "ts.index.isocalendar().week"),
        ("up = s.is_monotonic", "up = s.is_monotonic_increasing"),
        ("m = sales.as_matrix()", "m = sales.to_numpy()"),
    ],
)
def test_apis_the_installed_numpy_and_pandas_removed(state, cell, fixed):
    """NumPy 2's removed aliases and ndarray methods, removed pandas accessors of a column or a
    date index, and a removed keyword: one removed-api finding (not a missing attribute or a
    bad call), with the modern spelling where it is the same call."""
    versions = {"pandas": "3.0.0", "numpy": "2.3.0"}
    found = kernel_checks(cell, Knowledge(kernel=state, current=cell), versions)
    assert [d.code for d in found] == ["removed-api"], found
    if fixed is None:
        assert not found[0].fixes
    else:
        assert fixed in found[0].fixes[0].new_source
    older = {"pandas": "0.19", "numpy": "1.10"}  # before the removal: the removed-api rule is quiet
    assert all(
        d.code != "removed-api"
        for d in kernel_checks(cell, Knowledge(kernel=state, current=cell), older)
    )


def test_an_undefined_name_in_code_that_never_runs_is_not_reported():
    """Debugging code kept under ``if False:`` names what it likes; the same line live is
    still an undefined name."""
    from jupyter_spark.fixes import FixService

    service = FixService()
    dead = "if False:\n    debug_dump(1)\nn = 1"
    assert [d.code for d in service.diagnose(dead)] == []
    live = "if True:\n    debug_dump(1)\nn = 1"
    assert [d.code for d in service.diagnose(live)] == ["F821"]
