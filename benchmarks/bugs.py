"""Kernel-aware diagnostics: are real bugs found as the user types, and is correct code left alone?

Each notebook below is a small analysis as people write them. Its setup cells run in a real
kernel through a real `jupyter server` (the extension, the default model: the server needs one
to start, `diagnose` does not use it). Then, per case, the notebook is synced with one more cell
that is NOT run (the cell under test) and `spark/ws` is asked to `diagnose` it with path, cell
id and kernel id, as JupyterLab does while the user types. About half the cells hold ONE real
bug of a kind the kernel-aware checks report (`missing-key`, `missing-attribute`, `bad-call`,
`undefined-name` (ruff's F821 counts as it), `shape-mismatch`, `removed-api`); the others are
correct code that looks like it (the column assigned before use, `cfg.get('batch')`, a guard,
`try/except KeyError`, `if False:`, a class with `__getattr__`, `**kwargs`, shapes that
broadcast, modern APIs) and must get no item of those six kinds (ruff's other codes, F401 and
the like, are ignored).

Scored per kind: precision (of the items of that kind reported, how many are on a buggy cell of
that kind at the bug's line), recall (buggy cells of that kind found at the right line), fix
accuracy (where the right fix is certain: the top fix's `new_source` contains the expected
text, e.g. `orders['revenue']`), and the false positives on clean cells. Timing: p50 per
`diagnose` request, and p50 on the >= 50-line cells (each also sent --repeat more times with a
different trailing comment, as typing does). An error reply or a timeout counts as a miss.

How the cases were written: from the notebook user's side, the way such cells are typed, by
someone who did not write the checks and did not read their code, at the time the checks were
being built (before they were finished; some of their code was in the tree, unread). Each
bug's line is where running the cell fails; `--check` proves it without the server: it runs
every case in a plain kernel (namespace reset, setup and unrun cells, then the cell) and checks
that a buggy cell raises the kind's exception (KeyError, AttributeError, TypeError, NameError,
ValueError; for removed-api the AttributeError/TypeError of the removed API or, for a
deprecated one, its DeprecationWarning/FutureWarning turned into an error) at that line, and
that a clean cell runs. Cases for libraries not installed (matplotlib, scikit-learn) are skipped,
never installed.

    python benchmarks/bugs.py [--model PATH] [--verbose] [--only NOTEBOOK] [--repeat N]
    python benchmarks/bugs.py --check      # validate the cases in a plain kernel, no server
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.metadata
import json
import os
import re
import tempfile
import textwrap
import time
from dataclasses import dataclass, field

if __package__ in (None, ""):  # python benchmarks/bugs.py
    import common  # type: ignore[import-not-found, no-redef]
    from e2e_ws import Server, http, run_cell  # type: ignore[import-not-found]
else:  # python -m benchmarks.bugs
    from . import common
    from .e2e_ws import Server, http, run_cell

RESULTS = common.RESULTS_DIR / "bugs.json"
TARGET_PRECISION = 0.95
TARGET_RECALL = 0.85
TARGET_LONG_P50_MS = 30.0
LONG_LINES = 50  # a cell this long or longer is a "long cell" for the timing
REPLY_TIMEOUT_S = 10.0
SNAPSHOT_WAIT_S = 2.0  # the server snapshots the kernel after executions (debounced)

KINDS = (
    "missing-key",
    "missing-attribute",
    "bad-call",
    "undefined-name",
    "shape-mismatch",
    "removed-api",
)
ALIASES = {"F821": "undefined-name"}  # ruff's undefined name counts as the kernel's

# What running a buggy cell of each kind raises (for --check).
EXPECTED_ERRORS = {
    "missing-key": ("KeyError",),
    "missing-attribute": ("AttributeError",),
    "bad-call": ("TypeError",),
    "undefined-name": ("NameError",),
    "shape-mismatch": ("ValueError",),
    "removed-api": (
        "AttributeError",
        "TypeError",
        "ImportError",
        "DeprecationWarning",
        "FutureWarning",
        "MatplotlibDeprecationWarning",
        "OSError",  # matplotlib: a style that is no longer shipped
    ),
}


def src(text: str) -> str:
    return textwrap.dedent(text).strip("\n")


@dataclass(frozen=True)
class Case:
    kind: str  # the bug's kind; for a clean cell, the kind it resembles
    source: str  # the cell under test (not run)
    at: str | None = None  # a buggy cell: text on the bug's line (its first line holding it)
    fix: str | None = None  # text the top fix's new_source must contain, where it is certain

    def __post_init__(self) -> None:
        assert self.kind in KINDS, self.kind
        assert self.at is None or self.at in self.source, (self.at, self.source)
        assert self.fix is None or self.fix not in self.source, (self.fix, self.source)

    @property
    def bug(self) -> bool:
        return self.at is not None

    @property
    def line(self) -> int | None:
        if self.at is None:
            return None
        return next(i for i, ln in enumerate(self.source.splitlines()) if self.at in ln)


def bug(kind: str, source: str, at: str, fix: str | None = None) -> Case:
    return Case(kind, src(source), at, fix)


def ok(kind: str, source: str) -> Case:
    return Case(kind, src(source))


@dataclass(frozen=True)
class Notebook:
    name: str
    cells: tuple[str, ...]  # run in the kernel, in order
    cases: tuple[Case, ...]
    static: tuple[str, ...] = ()  # cells in the notebook that were never run
    requires: tuple[tuple[str, str], ...] = ()  # (distribution, minimum version)


LONG_BUGGY = src(
    """
    # Monthly KPI report for the sales review
    import datetime as dt

    report_month = orders['order_date'].dt.to_period('M')
    orders['month'] = report_month.astype(str)
    orders['margin'] = orders['revenue'] - orders['unit_cost']
    orders['margin_pct'] = orders['margin'] / orders['revenue']


    def summarize_month(frame):
        \"\"\"Revenue, margin and order count of one month.\"\"\"
        return {
            'orders': len(frame),
            'revenue': frame['revenue'].sum(),
            'margin': frame['margin'].sum(),
            'best_region': frame.groupby('region')['revenue'].sum().idxmax(),
        }


    def flag_outliers(frame, column, z=2.0):
        values = frame[column]
        spread = values.std() or 1.0
        return frame[(values - values.mean()).abs() / spread > z]


    kpis = {}
    for month, frame in orders.groupby('month'):
        kpis[month] = summarize_month(frame)

    kpi_table = pd.DataFrame(kpis).T
    kpi_table['revenue_growth'] = kpi_table['revenue'].astype(float).pct_change()

    outliers = flag_outliers(orders, 'revenue')
    print(f'{len(outliers)} outlier orders')

    customers = orders.groupby('customer_id').agg(
        n_orders=('order_id', 'count'),
        total_revenue=('revenue', 'sum'),
    )
    repeat_share = (customers['n_orders'] > 1).mean()

    cost_share = orders['unit_cst'].sum() / orders['revenue'].sum()
    print(f'cost share: {cost_share:.1%}')

    region_mix = (
        orders.pivot_table(index='month', columns='region', values='revenue', aggfunc='sum')
        .fillna(0.0)
        .round(2)
    )
    today = dt.date.today().isoformat()
    summary_lines = [
        f'report generated {today}',
        f'months covered: {len(kpi_table)}',
        f'repeat customers: {repeat_share:.0%}',
    ]
    print('\\n'.join(summary_lines))
    print(region_mix)
    """
)

LONG_CLEAN = src(
    """
    # Customer segments for the retention deck
    import numpy as np

    orders['net_revenue'] = orders['revenue'] * (1 - orders['region'].map(regions))
    orders['order_month'] = orders['order_date'].dt.month
    first_seen = orders.groupby('customer_id')['order_date'].transform('min')
    orders['days_since_first'] = (orders['order_date'] - first_seen).dt.days

    segments = {}
    thresholds = {'gold': 200.0, 'silver': 100.0}


    def segment_of(total):
        if total >= thresholds['gold']:
            return 'gold'
        if total >= thresholds['silver']:
            return 'silver'
        return 'bronze'


    per_customer = orders.groupby('customer_id')['net_revenue'].sum()
    for customer, total in per_customer.items():
        segments[customer] = segment_of(total)

    orders['segment'] = orders['customer_id'].map(segments)
    segment_sizes = orders['segment'].value_counts()

    if 'discount' in orders.columns:
        orders['net_revenue'] -= orders['discount']

    weights = np.linspace(0.5, 1.0, num=len(orders))
    weighted = orders['net_revenue'].to_numpy() * weights
    score = weighted.sum() / weights.sum()

    retention = (
        orders.assign(returning=orders['days_since_first'] > 0)
        .groupby('order_month')['returning']
        .mean()
    )
    best_month = retention.idxmax()
    lookup = orders.set_index('order_id')
    first_order = lookup.loc[1001, 'revenue']
    labels = [f'{c} ({s})' for c, s in segments.items()]
    notes = []
    try:
        notes.append(f"top tier: {thresholds['platinum']}")
    except KeyError:
        notes.append('no platinum tier yet')
    report = {
        'segments': segment_sizes.to_dict(),
        'score': round(float(score), 2),
        'best_month': int(best_month),
        'first_order': float(first_order),
    }
    print(report, labels, notes)
    """
)

NOTEBOOKS = (
    Notebook(
        "orders",
        (
            "import pandas as pd\nimport numpy as np",
            src(
                """
                orders = pd.DataFrame({
                    'order_id': [1001, 1002, 1003, 1004],
                    'customer_id': ['C-17', 'C-02', 'C-17', 'C-33'],
                    'revenue': [120.0, 75.5, 310.2, 42.0],
                    'unit_cost': [80.0, 50.0, 200.0, 30.0],
                    'order_date': pd.to_datetime(
                        ['2024-01-03', '2024-01-05', '2024-02-11', '2024-02-20']),
                    'region': ['north', 'south', 'north', 'east'],
                })
                """
            ),
            src(
                """
                regions = pd.Series({'north': 0.21, 'south': 0.19, 'east': 0.23}, name='vat_rate')
                monthly = orders.set_index('order_date')['revenue']
                """
            ),
            src(
                """
                new_row = pd.DataFrame([{
                    'order_id': 1005, 'customer_id': 'C-40', 'revenue': 99.0, 'unit_cost': 60.0,
                    'order_date': pd.Timestamp('2024-03-01'), 'region': 'south',
                }])
                rows = []
                """
            ),
        ),
        (
            bug(
                "missing-key",
                """
                total = orders['revenu'].sum()
                print(f'total: {total:.2f}')
                """,
                "orders['revenu']",
                "orders['revenue'].sum()",
            ),
            ok(
                "missing-key",
                """
                orders['margin'] = orders['revenue'] - orders['unit_cost']
                orders['margin'].describe()
                """,
            ),
            bug(
                "missing-key",
                """
                orders['margin'] = orders['revenue'] - orders['unit_cost']
                orders['margin_pct'] = orders['margn'] / orders['revenue']
                """,
                "orders['margn']",
                "= orders['margin'] /",
            ),
            bug(
                "missing-key",
                "north = orders.loc[orders['regoin'] == 'north', 'revenue']",
                "regoin",
                "orders['region'] ==",
            ),
            bug(
                "missing-key",
                "print(orders[['order_id', 'custmer_id']].head())",
                "custmer_id",
                "'customer_id'",
            ),
            bug(
                "missing-key",
                """
                vat = regions['west']
                print(vat)
                """,
                "regions['west']",
            ),
            ok("missing-key", "vat = regions.get('west', 0.2)"),
            ok(
                "missing-key",
                """
                if 'discount' in orders.columns:
                    orders['net'] = orders['revenue'] - orders['discount']
                else:
                    orders['net'] = orders['revenue']
                """,
            ),
            ok(
                "missing-key",
                """
                orders = orders.assign(net=orders['revenue'] * 0.8)
                print(orders['net'].sum())
                """,
            ),
            ok(
                "missing-key",
                """
                renamed = orders.rename(columns={'revenue': 'sales'})
                renamed['sales'].mean()
                """,
            ),
            ok(
                "missing-key",
                """
                by_region = orders.groupby('region')['revenue'].sum()
                by_region['north']
                """,
            ),
            ok(
                "missing-attribute",  # columns as attributes: DataFrame has __getattr__
                """
                avg = orders.revenue.mean()
                print(orders.region.unique())
                """,
            ),
            ok(
                "missing-key",
                """
                if False:
                    print(orders['discount'])
                """,
            ),
            bug(
                "bad-call",
                "ranked = orders.sort_values(by='revenue', ascend=False)",
                "ascend=",
                "ascending=False",
            ),
            ok("bad-call", "ranked = orders.sort_values(by='revenue', ascending=False).head(3)"),
            bug(
                "removed-api",
                "orders = orders.append(new_row, ignore_index=True)",
                "orders.append",
                "pd.concat(",
            ),
            ok("removed-api", "orders = pd.concat([orders, new_row], ignore_index=True)"),
            bug(
                "removed-api",
                """
                for region, rate in regions.iteritems():
                    print(region, rate)
                """,
                "iteritems",
                "regions.items()",
            ),
            ok(
                "removed-api",
                """
                for region, rate in regions.items():
                    print(f'{region}: {rate:.0%}')
                """,
            ),
            bug(
                "removed-api",
                "upper = orders.applymap(lambda v: str(v).upper())",
                "applymap",
                "orders.map(",
            ),
            ok("removed-api", "upper = orders.map(lambda v: str(v).upper())"),
            ok(
                "removed-api",  # a list's append, not DataFrame.append
                """
                rows.append({'order_id': 1006, 'revenue': 12.5})
                extra = pd.DataFrame(rows)
                """,
            ),
            Case("missing-key", LONG_BUGGY, "orders['unit_cst']", "orders['unit_cost'].sum()"),
            Case("missing-key", LONG_CLEAN),
        ),
    ),
    Notebook(
        "training-config",
        (
            "import json\nfrom collections import Counter, defaultdict\n"
            "from functools import partial",
            src(
                """
                cfg = json.loads('''{
                  "batch_size": 64,
                  "learning_rate": 0.001,
                  "epochs": 20,
                  "optimizer": {"name": "adam", "beta1": 0.9, "weight_decay": 0.01},
                  "data_dir": "/data/train"
                }''')
                """
            ),
            src(
                '''
                def train(model, data, epochs=10, lr=1e-3, *, verbose=False):
                    """Fit ``model`` on ``data``; returns the loss history."""
                    return [lr / (e + 1) for e in range(epochs)]
                '''
            ),
            src(
                """
                def load_split(path, sep=',', encoding='utf-8', limit=None):
                    return path, sep, encoding, limit


                def log_metrics(step, **metrics):
                    print(step, metrics)


                def describe(df, by, metric='revenue'):
                    return by, metric
                """
            ),
            src(
                """
                net = object()
                batches = [[1, 2], [3, 4]]
                opts = {'epochs': 3, 'lr': 0.01}
                word_counts = Counter('the cat sat on the mat'.split())
                seen = defaultdict(int)
                """
            ),
        ),
        (
            bug(
                "missing-key",
                """
                bs = cfg['batch']
                print(bs)
                """,
                "cfg['batch']",
                "cfg['batch_size']",
            ),
            bug("missing-key", "lr = cfg['learning_rat']", "learning_rat", "cfg['learning_rate']"),
            bug("missing-key", "beta = cfg['optimizer']['beta_1']", "beta_1", "['beta1']"),
            bug(
                "missing-key",
                """
                for epoch in range(cfg['epoch']):
                    pass
                """,
                "cfg['epoch']",
                "cfg['epochs']",
            ),
            bug("missing-key", "dropout = cfg['dropout']", "cfg['dropout']"),
            bug(
                "missing-key",
                """
                opt_name = cfg['optimizer']['name']
                wd = cfg['optimizer']['weigth_decay']
                print(opt_name, wd)
                """,
                "weigth_decay",
                "['weight_decay']",
            ),
            ok("missing-key", "bs = cfg.get('batch', 32)"),
            ok(
                "missing-key",
                """
                if 'batch' in cfg:
                    bs = cfg['batch']
                else:
                    bs = cfg['batch_size']
                """,
            ),
            ok(
                "missing-key",
                """
                try:
                    warmup = cfg['warmup']
                except KeyError:
                    warmup = 0
                """,
            ),
            ok(
                "missing-key",
                """
                cfg['warmup'] = 100
                print(cfg['warmup'])
                """,
            ),
            ok(
                "missing-key",
                """
                cfg.setdefault('seed', 42)
                print(cfg['seed'])
                """,
            ),
            ok(
                "missing-key",
                """
                cfg.update(dropout=0.1)
                print(cfg['dropout'])
                """,
            ),
            ok(
                "missing-key",
                """
                for key in cfg:
                    print(key, cfg[key])
                """,
            ),
            ok(
                "missing-key",
                """
                params = {**cfg, 'seed': 1}
                print(params['seed'])
                """,
            ),
            ok(
                "missing-key",
                """
                cfg = {'batch': 32}
                print(cfg['batch'])
                """,
            ),
            ok(
                "missing-key",  # a defaultdict and a Counter have every key
                """
                seen['unseen_word'] += 1
                print(word_counts['zebra'])
                """,
            ),
            ok(
                "missing-key",
                """
                if False:
                    print(cfg['batch'])
                """,
            ),
            bug(
                "bad-call",
                "history = train(net, batches, epoch=5)",
                "epoch=5",
                "epochs=5",
            ),
            bug("bad-call", "history = train(net, batches, 20, 1e-3, True)", "train("),
            bug("bad-call", "history = train(net)", "train("),
            bug("bad-call", "history = train(net, batches, 20, epochs=30)", "train("),
            bug("bad-call", "rows = load_split('train.csv', delimiter=';')", "delimiter"),
            bug("bad-call", "summary = describe(batches)", "describe("),
            bug("bad-call", "text = json.dumps(cfg, indnet=2)", "indnet", "indent=2"),
            bug(
                "bad-call",
                """
                history = train(net, batches, lr=3e-4, verbos=True)
                print(history[-1])
                """,
                "verbos=",
                "verbose=True",
            ),
            ok("bad-call", "history = train(net, batches, epochs=5, verbose=True)"),
            ok("bad-call", "log_metrics(10, loss=0.31, accuracy=0.92)"),
            ok("bad-call", "history = train(net, batches, **opts)"),
            ok(
                "bad-call",
                """
                fast = partial(train, lr=0.01)
                history = fast(net, batches)
                """,
            ),
            ok(
                "bad-call",
                """
                def describe(df, by, metric='revenue', top=None):
                    return by, metric, top


                summary = describe(batches, 'region', top=3)
                """,
            ),
            ok(
                "bad-call",
                """
                args = (net, batches)
                history = train(*args, epochs=2)
                """,
            ),
            ok("bad-call", "text = json.dumps(cfg, indent=2, sort_keys=True)"),
            ok("bad-call", "rows = load_split('train.csv', ';', 'latin-1')"),
        ),
    ),
    Notebook(
        "arrays",
        (
            "import numpy as np\nrng = np.random.default_rng(0)",
            src(
                """
                X = rng.normal(size=(200, 16))
                W = rng.normal(size=(32, 8))
                V = rng.normal(size=(16, 8))
                b = np.zeros(8)
                """
            ),
            src(
                """
                img = rng.random((64, 64, 3))
                mask = rng.random((64, 32)) > 0.5
                signal = np.arange(100, dtype=float)
                temps = rng.normal(15, 5, size=365)
                """
            ),
            "sizes = np.array([3, 4, 5])\nids = np.array([1, 2, 3, 4])\nkeep = np.array([2, 4])",
        ),
        (
            bug("shape-mismatch", "h = X @ W", "X @ W"),
            bug(
                "shape-mismatch",
                """
                out = X @ V
                out = X + b
                """,
                "X + b",
            ),
            bug("shape-mismatch", "frames = signal.reshape(12, 10)", "reshape"),
            bug("shape-mismatch", "masked = img * mask", "img * mask"),
            bug("shape-mismatch", "flat = img.reshape(64, 64)", "reshape"),
            bug("shape-mismatch", "resid = X - W", "X - W"),
            ok("shape-mismatch", "h = X @ V + b"),
            ok("shape-mismatch", "centered = X - X.mean(axis=0)"),
            ok(
                "shape-mismatch",
                """
                frames = signal.reshape(10, 10)
                weeks = signal.reshape(-1, 4)
                """,
            ),
            ok("shape-mismatch", "gray = img @ np.array([0.299, 0.587, 0.114])"),
            ok(
                "shape-mismatch",
                """
                W = rng.normal(size=(16, 8))
                h = X @ W
                """,
            ),
            ok(
                "shape-mismatch",
                """
                gram = X @ X.T
                scaled = img * 1.5
                """,
            ),
            ok("shape-mismatch", "tinted = img * np.array([1.0, 0.9, 0.8])"),
            ok("shape-mismatch", "h = X @ W[:16]"),
            ok(
                "shape-mismatch",
                """
                if X.shape[1] == W.shape[0]:
                    h = X @ W
                else:
                    h = X @ V
                """,
            ),
            bug("missing-attribute", "avg = temps.mena()", "temps.mena", "temps.mean()"),
            bug("missing-attribute", "vec = X.flaten()", "X.flaten", "X.flatten()"),
            ok("missing-attribute", "print(temps.mean(), temps.std(), X.T.shape, X.flatten()[:3])"),
            bug("bad-call", "grid = np.linspace(0, 1, nums=50)", "nums=", "num=50"),
            ok("bad-call", "grid = np.linspace(0, 1, num=50, endpoint=False)"),
            bug("removed-api", "total = np.product(sizes)", "np.product", "np.prod(sizes)"),
            bug("removed-api", "temps[temps < -50] = np.NaN", "np.NaN", "np.nan"),
            bug("removed-api", "found = np.in1d(ids, keep)", "np.in1d", "np.isin("),
            bug("removed-api", "area = np.trapz(temps)", "np.trapz", "np.trapezoid("),
            bug(
                "removed-api",
                "stacked = np.row_stack([X[:2], X[2:4]])",
                "np.row_stack",
                "np.vstack(",
            ),
            bug("removed-api", "ratios = temps.astype(np.float)", "np.float"),
            ok(
                "removed-api",
                """
                total = np.prod(sizes)
                temps[temps < -50] = np.nan
                """,
            ),
            ok(
                "removed-api",
                """
                found = np.isin(ids, keep)
                area = np.trapezoid(temps)
                """,
            ),
            ok(
                "removed-api",
                """
                ratios = temps.astype(np.float64)
                stacked = np.vstack([X[:2], X[2:4]])
                """,
            ),
            ok("removed-api", "flags = np.zeros(3, dtype=np.bool)"),  # NumPy 2 has np.bool again
        ),
    ),
    Notebook(
        "objects",
        (
            src(
                """
                from collections import Counter
                from dataclasses import dataclass, field
                from datetime import datetime
                from pathlib import Path
                from types import SimpleNamespace
                """
            ),
            src(
                """
                class ChurnModel:
                    def __init__(self, threshold=0.5):
                        self.threshold = threshold
                        self.coef_ = [0.2, -1.3]

                    def fit(self, X, y):
                        return self

                    def predict(self, X):
                        return [x > self.threshold for x in X]

                    def predict_proba(self, X, calibrated=True):
                        return X
                """
            ),
            src(
                """
                @dataclass
                class RunConfig:
                    learning_rate: float = 3e-4
                    warmup_steps: int = 500
                    tags: list = field(default_factory=list)

                    @property
                    def total_steps(self):
                        return self.warmup_steps * 10
                """
            ),
            src(
                '''
                class Settings:
                    """Reads any option from the environment on first access."""

                    def __init__(self, **defaults):
                        self._values = dict(defaults)

                    def __getattr__(self, name):
                        return self._values.get(name, f'<{name} from env>')
                '''
            ),
            src(
                """
                model = ChurnModel()
                run = RunConfig()
                settings = Settings(region='eu-west-1')
                data_dir = Path('/tmp')
                start = datetime(2024, 1, 3, 9, 30)
                opts_ns = SimpleNamespace(lr=0.01, epochs=3)
                title = 'quarterly revenue'
                names = ['ada', 'grace']
                scores = [0.2, 0.7, 0.9]
                counts = Counter('abracadabra')
                """
            ),
        ),
        (
            bug(
                "missing-attribute",
                "preds = model.predcit(scores)",
                "predcit",
                "model.predict(scores)",
            ),
            bug("missing-attribute", "lr = run.learning_rte", "learning_rte", "run.learning_rate"),
            bug("missing-attribute", "day = start.weekdya()", "weekdya", "start.weekday()"),
            bug(
                "missing-attribute",
                """
                if data_dir.exist():
                    print('data is there')
                """,
                "exist()",
                "data_dir.exists()",
            ),
            bug(
                "missing-attribute",
                "top = counts.most_comon(2)",
                "most_comon",
                "counts.most_common(2)",
            ),
            bug("missing-attribute", "names.push('katherine')", "push"),
            bug("missing-attribute", "heading = title.uppercase()", "uppercase"),
            bug(
                "missing-attribute",
                "p = model.predict_prob(scores)",
                "predict_prob",
                "model.predict_proba(scores)",
            ),
            bug(
                "missing-attribute",
                """
                run.tags.append('baseline')
                steps = run.total_step
                print(steps)
                """,
                "total_step",
                "run.total_steps",
            ),
            ok(
                "missing-attribute",
                """
                region = settings.region
                bucket = settings.s3_bucket
                """,
            ),
            ok(
                "missing-attribute",
                """
                model.calibrated = True
                print(model.calibrated)
                """,
            ),
            ok(
                "missing-attribute",
                """
                if hasattr(model, 'classes_'):
                    print(model.classes_)
                """,
            ),
            ok("missing-attribute", "n_iter = getattr(model, 'n_iter_', None)"),
            ok(
                "missing-attribute",
                """
                try:
                    intercept = model.intercept_
                except AttributeError:
                    intercept = None
                """,
            ),
            ok("missing-attribute", "print(run.total_steps, run.warmup_steps, opts_ns.lr)"),
            ok(
                "missing-attribute",
                """
                opts_ns.momentum = 0.9
                print(opts_ns.momentum)
                """,
            ),
            ok(
                "missing-attribute",
                """
                heading = title.upper().replace('Q', 'q')
                names.append('katherine')
                """,
            ),
            ok(
                "missing-attribute",
                """
                if False:
                    model.explain()
                """,
            ),
            ok(
                "missing-attribute",
                """
                class Scorer(ChurnModel):
                    def explain(self):
                        return 'threshold rule'


                scorer = Scorer()
                print(scorer.explain())
                """,
            ),
            bug(
                "bad-call",
                "probs = model.predict_proba(scores, calibrate=False)",
                "calibrate=",
                "calibrated=False",
            ),
            bug(
                "bad-call",
                "cfg2 = RunConfig(learning_rate=1e-3, warmup=100)",
                "warmup=",
                "warmup_steps=100",
            ),
            ok(
                "bad-call",
                """
                probs = model.predict_proba(scores, calibrated=False)
                cfg2 = RunConfig(1e-3, 100)
                """,
            ),
            ok("bad-call", "settings2 = Settings(region='us-east-1', retries=3)"),
        ),
    ),
    Notebook(
        "report",
        (
            "import os\nimport statistics",
            "total_revenue = 1234.5\nmonthly_totals = [100.0, 230.5, 904.0]",
            src(
                """
                def prepare(values):
                    cleaned = [v for v in values if v > 0]
                    return cleaned
                """
            ),
            # the kernel holds these names; no cell assigns them
            "for _name in ['alpha_cutoff', 'beta_cutoff']:\n    globals()[_name] = 0.05",
        ),
        (
            bug(
                "undefined-name",
                "print(f'{total_revenu:.2f}')",
                "total_revenu",
                "{total_revenue:.2f}",
            ),
            bug("undefined-name", "plt.plot(monthly_totals)", "plt"),
            bug(
                "undefined-name",
                """
                values = prepare(monthly_totals)
                print(len(cleaned))
                """,
                "cleaned",
            ),
            bug(
                "undefined-name",
                """
                squares = [m * m for m in monthly_totals]
                print(m)
                """,
                "print(m)",
            ),
            bug("undefined-name", "root = math.sqrt(total_revenue)", "math"),
            bug("undefined-name", "stamp = datetime.now().isoformat()", "datetime"),
            bug("undefined-name", "df = pd.DataFrame({'total': monthly_totals})", "pd."),
            bug(
                "undefined-name",
                """
                mean = statistics.mean(monthly_totals)
                spread = statistics.stdev(monthly_totals)
                print(f'{mean:.1f} +/- {sprad:.1f}')
                """,
                "sprad",
                "{spread:.1f}",
            ),
            bug("undefined-name", "print(REPORT_TITLE, report_date)", "report_date"),
            ok("undefined-name", "print(alpha_cutoff, beta_cutoff)"),
            ok("undefined-name", "print(REPORT_TITLE)"),  # a cell defines it (not run yet)
            ok(
                "undefined-name",
                """
                from math import *
                print(sqrt(total_revenue), pi)
                """,
            ),
            ok(
                "undefined-name",
                """
                display(monthly_totals)
                ip = get_ipython()
                """,
            ),
            ok("undefined-name", "print(len(In), type(Out))"),
            ok(
                "undefined-name",
                """
                %timeit sum(monthly_totals)
                !ls /tmp | head -3
                """,
            ),
            ok(
                "undefined-name",
                """
                with open(os.devnull, 'w') as fh:
                    fh.write(str(total_revenue))
                """,
            ),
            ok(
                "undefined-name",
                """
                try:
                    import ujson as jsonlib
                except ImportError:
                    import json as jsonlib
                print(jsonlib.dumps(monthly_totals))
                """,
            ),
            ok(
                "undefined-name",
                """
                if (n := len(monthly_totals)) > 2:
                    print(n)
                try:
                    1 / 0
                except ZeroDivisionError as err:
                    print(err)
                """,
            ),
            ok(
                "undefined-name",
                """
                def growth(series):
                    return [b / a for a, b in zip(series, series[1:])]


                rates = growth(monthly_totals)
                print(rates)
                """,
            ),
            ok(
                "undefined-name",
                """
                import datetime
                print(datetime.date.today())
                """,
            ),
        ),
        static=("REPORT_TITLE = 'Q1 revenue'",),
    ),
    Notebook(
        "plots",  # only where matplotlib is installed (it is not installed for you)
        (
            "import matplotlib\nmatplotlib.use('Agg')\nimport matplotlib.pyplot as plt",
            "import numpy as np\nxs = np.linspace(0, 10, 50)",
        ),
        (
            bug("removed-api", "plt.style.use('seaborn')", "seaborn", "seaborn-v0_8"),
            ok("removed-api", "plt.style.use('ggplot')\nplt.plot(xs, np.sin(xs))"),
            bug("removed-api", "cmap = matplotlib.cm.get_cmap('viridis')", "get_cmap"),
            ok("removed-api", "cmap = matplotlib.colormaps['viridis']"),
        ),
        requires=(("matplotlib", "3.9"),),
    ),
    Notebook(
        "sklearn",  # only where scikit-learn is installed
        (
            src(
                """
                import numpy as np
                from sklearn.metrics import mean_squared_error
                from sklearn.preprocessing import OneHotEncoder
                y_true = np.array([1.0, 2.0, 3.0])
                y_pred = np.array([1.1, 1.9, 3.2])
                """
            ),
        ),
        (
            bug(
                "removed-api",
                "rmse = mean_squared_error(y_true, y_pred, squared=False)",
                "squared=False",
                "root_mean_squared_error",
            ),
            ok(
                "removed-api",
                """
                from sklearn.metrics import root_mean_squared_error
                rmse = root_mean_squared_error(y_true, y_pred)
                """,
            ),
            bug("removed-api", "enc = OneHotEncoder(sparse=False)", "sparse=", "sparse_output="),
            ok("removed-api", "enc = OneHotEncoder(sparse_output=False, handle_unknown='ignore')"),
        ),
        requires=(("scikit-learn", "1.6"),),
    ),
)


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def _vtuple(v: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", v)[:3])


def missing_requirement(nb: Notebook) -> str | None:
    """Why ``nb`` cannot run here (a library not installed or too old), or None."""
    for dist, minimum in nb.requires:
        v = _version(dist)
        if v is None:
            return f"{dist} not installed"
        if _vtuple(v) < _vtuple(minimum):
            return f"{dist} {v} < {minimum}"
    return None


def selected(only: str | None) -> tuple[list[Notebook], dict[str, str]]:
    run, skipped = [], {}
    for nb in NOTEBOOKS:
        if only and only not in nb.name:
            continue
        why = missing_requirement(nb)
        if why:
            skipped[nb.name] = why
        else:
            run.append(nb)
    return run, skipped


# --- the benchmark against spark/ws --------------------------------------------------------


@dataclass
class Row:
    notebook: str
    index: int
    kind: str
    bug: bool
    line: int | None
    fix: str | None
    n_lines: int
    source: str
    ms: float | None = None
    error: str | None = None
    items: list[dict] = field(default_factory=list)  # the items of the six kinds
    other_codes: list[str] = field(default_factory=list)  # ruff's other findings (ignored)
    timing_ms: list[float] = field(default_factory=list)  # repeats of a long cell

    def matches(self, item: dict) -> bool:
        """An item of this case's kind on its bug's line."""
        return (
            self.bug
            and item["kind"] == self.kind
            and self.line is not None
            and item["line"] <= self.line <= item["end_line"]
        )

    @property
    def found(self) -> dict | None:
        return next((it for it in self.items if self.matches(it)), None)

    @property
    def fix_ok(self) -> bool | None:
        if not self.bug or self.fix is None:
            return None
        it = self.found
        return bool(it and it["top_fix"] is not None and self.fix in it["top_fix"])


def _item(raw: dict) -> dict | None:
    code = str(raw.get("code", ""))
    kind = ALIASES.get(code, code)
    if kind not in KINDS:
        return None
    start, end = raw.get("start") or [-1, 0], raw.get("end") or raw.get("start") or [-1, 0]
    fixes = raw.get("fixes") or []
    top = fixes[0].get("new_source") if fixes and isinstance(fixes[0], dict) else None
    return {
        "kind": kind,
        "code": code,
        "line": int(start[0]),
        "end_line": max(int(start[0]), int(end[0])),
        "message": raw.get("message", ""),
        "top_fix": top,
        "n_fixes": len(fixes),
    }


async def _request(ws, rid: str, message: dict, timeout: float) -> tuple[float, dict]:
    """Send ``message`` and wait for the reply with its id: (ms, reply)."""
    sent = time.perf_counter()
    ws.write_message(json.dumps({**message, "id": rid}))
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"no reply to {rid} in {timeout:.0f} s")
        raw = await asyncio.wait_for(ws.read_message(), left)
        if raw is None:
            raise ConnectionError("the websocket closed")
        with contextlib.suppress(ValueError):
            m = json.loads(raw)
            if isinstance(m, dict) and m.get("id") == rid:
                return (time.perf_counter() - sent) * 1000, m


async def _notebook(server: Server, nb: Notebook, repeat: int) -> list[Row]:
    rows = [
        Row(nb.name, j, c.kind, c.bug, c.line, c.fix, len(c.source.splitlines()), c.source)
        for j, c in enumerate(nb.cases)
    ]
    kernel_id = None
    try:
        kernel_id = http(server.base + "api/kernels", server.token, "POST", {"name": "python3"})[
            "id"
        ]
        for code in nb.cells:
            await run_cell(server.base_ws, server.token, kernel_id, code)
    except Exception as e:  # a miss for every case, not a crash
        for r in rows:
            r.error = f"setup failed: {type(e).__name__}: {str(e)[:200]}"
        if kernel_id:
            with contextlib.suppress(Exception):
                http(server.base + f"api/kernels/{kernel_id}", server.token, "DELETE")
        return rows
    await asyncio.sleep(SNAPSHOT_WAIT_S)
    path = f"bugs-{nb.name}.ipynb"
    cells = [
        {"id": f"c{i}", "cell_type": "code", "source": s}
        for i, s in enumerate([*nb.cells, *nb.static])
    ]
    ws = None
    for j, (case, row) in enumerate(zip(nb.cases, rows, strict=True)):
        cell_id = f"t{j}"
        try:
            if ws is None:
                ws = await server.spark_ws()
            cur = {"id": cell_id, "cell_type": "code", "source": case.source}
            ws.write_message(json.dumps({"type": "sync", "path": path, "cells": [*cells, cur]}))
            req = {
                "type": "diagnose",
                "source": case.source,
                "path": path,
                "cell_id": cell_id,
                "kernel_id": kernel_id,
            }
            ms, reply = await _request(ws, f"{nb.name}-{j}", req, REPLY_TIMEOUT_S)
            row.ms = ms
            if reply.get("type") != "diagnostics":
                row.error = f"{reply.get('type')}: {reply.get('code')}: {reply.get('message')}"
                continue
            for raw in reply.get("items") or []:
                it = _item(raw) if isinstance(raw, dict) else None
                if it is not None:
                    row.items.append(it)
                elif isinstance(raw, dict):
                    row.other_codes.append(str(raw.get("code")))
            if row.n_lines >= LONG_LINES:
                row.timing_ms.append(ms)
                for k in range(repeat):  # as typing does: the same cell, a little different
                    typed = f"{case.source}\n# draft {k}"
                    t_ms, t_reply = await _request(
                        ws, f"{nb.name}-{j}-r{k}", {**req, "source": typed}, REPLY_TIMEOUT_S
                    )
                    if t_reply.get("type") == "diagnostics":
                        row.timing_ms.append(t_ms)
        except Exception as e:  # a timeout, a closed socket: a miss; reconnect for the next
            row.error = row.error or f"{type(e).__name__}: {str(e)[:200]}"
            if ws is not None:
                with contextlib.suppress(Exception):
                    ws.close()
            ws = None
    if ws is not None:
        ws.close()
    with contextlib.suppress(Exception):  # (204: no body)
        http(server.base + f"api/kernels/{kernel_id}", server.token, "DELETE")
    return rows


async def bench(args: argparse.Namespace, notebooks: list[Notebook]) -> list[Row]:
    server = Server(args.model, root=tempfile.mkdtemp(prefix="spark-bugs-"))
    rows: list[Row] = []
    try:
        await server.ready()
        for nb in notebooks:
            rows.extend(await _notebook(server, nb, args.repeat))
    finally:
        server.stop()
    return rows


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x:.0%}"


def score(rows: list[Row]) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for kind in [*KINDS, "all"]:
        mine = [r for r in rows if kind in ("all", r.kind)]
        buggy = [r for r in mine if r.bug]
        clean = [r for r in mine if not r.bug]
        reported = tp = fp_clean = 0
        for r in rows:
            for it in r.items:
                if kind not in ("all", it["kind"]):
                    continue
                reported += 1
                tp += r.matches(it)
                fp_clean += not r.bug
        found = sum(r.found is not None for r in buggy)
        with_fix = [r for r in buggy if r.fix is not None]
        fixes_ok = sum(bool(r.fix_ok) for r in with_fix)
        found_with_fix = sum(r.found is not None for r in with_fix)
        out[kind] = {
            "buggy": len(buggy),
            "clean": len(clean),
            "reported": reported,
            "true_positives": tp,
            "precision": tp / reported if reported else None,
            "recall": found / len(buggy) if buggy else None,
            "found": found,
            "with_fix": len(with_fix),
            "fixes_ok": fixes_ok,
            "fix_accuracy": fixes_ok / len(with_fix) if with_fix else None,
            "fix_accuracy_found": fixes_ok / found_with_fix if found_with_fix else None,
            "fp_items_on_clean": fp_clean,
            "clean_cells_flagged": sum(
                any(kind in ("all", it["kind"]) for it in r.items) for r in rows if not r.bug
            ),
            "errors": sum(r.error is not None for r in mine),
        }
    return out


def _verdict(s: dict) -> str:
    p_ok = s["precision"] is None or s["precision"] >= TARGET_PRECISION
    r_ok = s["recall"] is not None and s["recall"] >= TARGET_RECALL
    return "PASS" if p_ok and r_ok else "FAIL"


def _line_of(source: str, line: int) -> str:
    lines = source.splitlines()
    return lines[line].strip() if 0 <= line < len(lines) else ""


def report_verbose(rows: list[Row]) -> None:
    print("\nmisses (buggy cells not found at the bug's line with its kind):")
    for r in rows:
        if r.bug and r.found is None:
            got = ", ".join(f"{it['kind']}@{it['line']}" for it in r.items) or "nothing"
            err = f" [{r.error}]" if r.error else ""
            print(
                f"  [{r.kind}] {r.notebook}#{r.index} line {r.line}: "
                f"{_line_of(r.source, r.line or 0)!r} -> {got}{err}"
            )
    print("\nfalse positives (items of the six kinds not on a bug's line with its kind):")
    for r in rows:
        for it in r.items:
            if not r.matches(it):
                where = f"buggy {r.kind}@{r.line}" if r.bug else f"clean ({r.kind})"
                print(
                    f"  [{it['kind']}] {r.notebook}#{r.index} {where} line {it['line']}: "
                    f"{_line_of(r.source, it['line'])!r}: {it['message']}"
                )
    print("\nwrong fixes (found, but the top fix lacks the expected text):")
    for r in rows:
        if r.fix_ok is False and r.found is not None:
            top = r.found["top_fix"]
            shown = _line_of(top, r.line or 0) if top else "(no fix)"
            print(f"  [{r.kind}] {r.notebook}#{r.index}: want {r.fix!r}, top fix: {shown!r}")
    errors = [r for r in rows if r.error]
    if errors:
        print("\nerrors and timeouts (counted as misses):")
        for r in errors:
            print(f"  {r.notebook}#{r.index}: {r.error}")


def run_bench(args: argparse.Namespace) -> None:
    notebooks, skipped = selected(args.only)
    if not notebooks:
        raise SystemExit("no notebook to run" + (f" (skipped: {skipped})" if skipped else ""))
    t0 = time.monotonic()
    rows = asyncio.run(bench(args, notebooks))
    elapsed = time.monotonic() - t0
    stats = score(rows)
    table = []
    for kind in [*KINDS, "all"]:
        s = stats[kind]
        fix = f"{s['fixes_ok']}/{s['with_fix']}" if s["with_fix"] else "-"
        table.append(
            [
                kind,
                str(s["buggy"]),
                str(s["clean"]),
                str(s["reported"]),
                _pct(s["precision"]),
                _pct(s["recall"]),
                fix,
                str(s["fp_items_on_clean"]),
                _verdict(s) if kind != "all" else "",
            ]
        )
    n_clean = sum(not r.bug for r in rows)
    print(
        f"\nKernel-aware diagnostics: {len(rows)} cells ({sum(r.bug for r in rows)} buggy, "
        f"{n_clean} clean) in {len(notebooks)} notebooks, real kernel"
    )
    if skipped:
        print("skipped: " + "; ".join(f"{k} ({v})" for k, v in skipped.items()))
    head = ["kind", "buggy", "clean", "reported", "precision", "recall", "fix ok", "FP clean", ""]
    print(common.table(head, table))
    all_ms = [r.ms for r in rows if r.ms is not None and r.error is None]
    long_ms = [ms for r in rows for ms in r.timing_ms]
    long_p50 = common.median(long_ms)
    a = stats["all"]
    print(
        f"clean cells flagged: {a['clean_cells_flagged']} of {n_clean} "
        f"({a['fp_items_on_clean']} items); errors/timeouts: {a['errors']}"
    )
    print(
        f"diagnose p50: {common.fmt(common.median(all_ms))} ms ({len(all_ms)} requests), "
        f">= {LONG_LINES}-line cells: {common.fmt(long_p50)} ms ({len(long_ms)} requests)"
    )
    long_ok = long_ms and long_p50 <= TARGET_LONG_P50_MS
    print(
        f"targets: precision >= {TARGET_PRECISION:.0%}, recall >= {TARGET_RECALL:.0%} per kind; "
        f"p50 <= {TARGET_LONG_P50_MS:.0f} ms on a {LONG_LINES}-line cell "
        f"({'PASS' if long_ok else 'FAIL'}); {elapsed:.0f} s"
    )
    if args.verbose:
        report_verbose(rows)
    info = common.machine_info()
    load = common.load_note(info)
    if load:
        print(load)
    versions = {d: _version(d) for d in ("pandas", "numpy", "matplotlib", "scikit-learn", "ruff")}
    common.write_json(
        RESULTS,
        {
            "machine": info,
            "versions": versions,
            "skipped": skipped,
            "elapsed_s": elapsed,
            "targets": {
                "precision": TARGET_PRECISION,
                "recall": TARGET_RECALL,
                "long_p50_ms": TARGET_LONG_P50_MS,
            },
            "timing": {
                "p50_ms": common.median(all_ms),
                "p95_ms": common.percentile(all_ms, 95),
                "long_p50_ms": long_p50,
                "long_requests": len(long_ms),
            },
            "scores": stats,
            "cases": [
                {
                    "notebook": r.notebook,
                    "index": r.index,
                    "kind": r.kind,
                    "bug": r.bug,
                    "line": r.line,
                    "fix": r.fix,
                    "n_lines": r.n_lines,
                    "source": r.source,
                    "ms": r.ms,
                    "error": r.error,
                    "found": r.found is not None,
                    "fix_ok": r.fix_ok,
                    "items": r.items,
                    "other_codes": r.other_codes,
                    "timing_ms": r.timing_ms,
                }
                for r in rows
            ],
        },
    )
    print(f"wrote {RESULTS}")


# --- --check: the cases themselves, in a plain kernel ----------------------------------------

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
RESET = "get_ipython().run_line_magic('reset', '-f')"
WARNINGS_ON = (
    "import warnings\n"
    "warnings.filterwarnings('error', category=DeprecationWarning)\n"
    "warnings.filterwarnings('error', category=FutureWarning)"
)
WARNINGS_OFF = (
    "import warnings\nwarnings.filters[:] = [f for f in warnings.filters if f[0] != 'error']"
)


def run_check(args: argparse.Namespace) -> None:
    from queue import Empty

    from jupyter_client.manager import start_new_kernel

    notebooks, skipped = selected(args.only)
    if skipped:
        print("skipped: " + "; ".join(f"{k} ({v})" for k, v in skipped.items()))
    km, kc = start_new_kernel(kernel_name="python3")

    def execute(code: str) -> dict:
        msg_id = kc.execute(code, allow_stdin=False)
        while True:
            try:
                reply = kc.get_shell_msg(timeout=60)
            except Empty:
                return {"status": "error", "ename": "Timeout", "evalue": "", "traceback": []}
            if reply["parent_header"].get("msg_id") == msg_id:
                return reply["content"]

    bad = n = 0
    try:
        for nb in notebooks:
            for j, case in enumerate(nb.cases):
                n += 1
                execute(RESET)
                setup_errors = [
                    c["ename"]
                    for c in (execute(code) for code in (*nb.cells, *nb.static))
                    if c["status"] != "ok"
                ]
                if setup_errors:
                    bad += 1
                    print(f"  {nb.name}#{j}: setup failed: {setup_errors}")
                    continue
                if case.kind == "removed-api":
                    execute(WARNINGS_ON)
                c = execute(case.source)
                if case.kind == "removed-api":
                    execute(WARNINGS_OFF)
                problem = None
                if not case.bug:
                    if c["status"] != "ok":
                        problem = f"clean cell raised {c.get('ename')}: {c.get('evalue')}"
                elif c["status"] == "ok":
                    problem = "buggy cell ran"
                else:
                    tb = ANSI.sub("", "\n".join(c.get("traceback", [])))
                    m = re.search(rf"Cell In\[{c.get('execution_count')}\], line (\d+)", tb)
                    line = int(m.group(1)) - 1 if m else None
                    if c.get("ename") not in EXPECTED_ERRORS[case.kind]:
                        problem = f"raised {c.get('ename')}: {c.get('evalue')}"
                    elif line != case.line:
                        problem = f"fails at line {line}, expected {case.line}"
                if problem:
                    bad += 1
                    print(f"  [{case.kind}] {nb.name}#{j}: {problem}")
                elif args.verbose:
                    print(f"  ok [{case.kind}] {nb.name}#{j} {'buggy' if case.bug else 'clean'}")
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    print(f"--check: {n - bad} of {n} cases behave as labelled")
    if bad:
        raise SystemExit(1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=None, help="model dir/GGUF (default: the default model)")
    ap.add_argument("--verbose", action="store_true", help="print every miss and false positive")
    ap.add_argument("--only", metavar="NOTEBOOK", help="only the notebooks whose name has this")
    ap.add_argument(
        "--repeat",
        type=int,
        default=10,
        help="extra diagnose requests per long cell, for its timing (default 10)",
    )
    ap.add_argument(
        "--check",
        action="store_true",
        help="run the cases in a plain kernel and check their labels (no server, no model)",
    )
    args = ap.parse_args()
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    if args.check:
        run_check(args)
    else:
        run_bench(args)


if __name__ == "__main__":
    main()
