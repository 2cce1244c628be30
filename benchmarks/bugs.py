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
The "holdout-" notebooks were written later, after the checks were built, by someone who had
not read the checks' code, as a held-out set.

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
HELDOUT_PREFIX = "holdout-"  # notebooks written after the checks, blind to their code
HELDOUT2_PREFIX = "holdout2-"  # a second such set (bugs_heldout2.py, 2026-12-03)
HELDOUT3_PREFIX = "holdout3-"  # a third, written after the rules for the second (same day)
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
    # --- held-out notebooks (written after the checks were built, without reading them) ---
    Notebook(
        "holdout-churn",
        (
            "import pandas as pd\nimport numpy as np",
            src(
                """
                customers = pd.DataFrame({
                    'customer_id': ['A-100', 'A-101', 'A-102', 'A-103', 'A-104', 'A-105'],
                    'plan': ['basic', 'pro', 'pro', 'basic', 'enterprise', 'pro'],
                    'tenure_months': [3, 26, 14, 1, 48, 7],
                    'monthly_charges': [19.9, 49.0, 49.0, 19.9, 199.0, 45.0],
                    'support_calls': [4, 0, 1, 6, 2, 3],
                    'signup_date': pd.to_datetime([
                        '2024-04-02', '2022-05-17', '2023-06-30',
                        '2024-06-11', '2020-07-01', '2023-12-24',
                    ]),
                    'churned': [True, False, False, True, False, True],
                })
                invoices = pd.DataFrame({
                    'customer_id': ['A-100', 'A-101', 'A-101', 'A-104', 'A-105'],
                    'amount': [19.9, 49.0, 49.0, 199.0, 45.0],
                    'paid': [False, True, True, True, False],
                })
                plan_prices = {'basic': 19.9, 'pro': 49.0, 'enterprise': 199.0}
                thresholds = {'risk': {'high': 0.7, 'medium': 0.4}, 'tenure': {'new': 6}}
                """
            ),
            src(
                '''
                def churn_rate(df, by='plan', *, min_size=1):
                    """Share of churned customers per group (groups of min_size or more)."""
                    grouped = df.groupby(by)['churned']
                    rates = grouped.mean()
                    return rates[grouped.size() >= min_size]


                def risk_score(calls, tenure, weight_calls=0.15, weight_tenure=0.02):
                    return np.clip(calls * weight_calls - tenure * weight_tenure + 0.3, 0, 1)


                class RetentionCampaign:
                    def __init__(self, name, budget, channel='email'):
                        self.name = name
                        self.budget = budget
                        self.channel = channel
                        self.targets = []

                    def add_targets(self, ids, priority='normal'):
                        self.targets.extend(ids)
                        return self

                    def cost_per_target(self):
                        return self.budget / max(len(self.targets), 1)

                    @property
                    def size(self):
                        return len(self.targets)
                '''
            ),
            src(
                """
                campaign = RetentionCampaign('winback-q3', budget=5000)
                plan_summary = customers.groupby('plan').agg(
                    n=('customer_id', 'count'),
                    avg_charge=('monthly_charges', 'mean'),
                )
                at_risk_ids = ['A-100', 'A-103']
                """
            ),
        ),
        (
            bug(
                "missing-key",
                """
                by_plan = customers.groupby('plan_type')['churned'].mean()
                print(by_plan)
                """,
                "plan_type",
            ),
            ok(
                "missing-key",
                """
                customers['plan_type'] = customers['plan'].str.title()
                by_plan = customers.groupby('plan_type')['churned'].mean()
                """,
            ),
            bug(
                "missing-key",
                "longest = customers.sort_values('tenure_month', ascending=False).head(3)",
                "tenure_month'",
                "sort_values('tenure_months'",
            ),
            ok(
                "missing-key",
                """
                longest = (
                    customers.sort_values(['plan', 'tenure_months'], ascending=[True, False])
                    .groupby('plan')
                    .head(1)
                )
                """,
            ),
            bug(
                "missing-key",
                "features = customers.drop(columns=['customer_id', 'support_call', 'churned'])",
                "support_call'",
                "'support_calls'",
            ),
            ok("missing-key", "features = customers.drop(columns=['customer_id', 'churned'])"),
            bug(
                "missing-key",
                """
                billed = customers.merge(invoices, on='customerid', how='left')
                unpaid = billed[~billed['paid'].fillna(False)]
                """,
                "on='customerid'",
                "on='customer_id'",
            ),
            ok(
                "missing-key",
                """
                billed = customers.merge(invoices, on='customer_id', how='left')
                owed = billed.groupby('customer_id')['amount'].sum().sort_values()
                """,
            ),
            bug(
                "missing-key",
                """
                high = thresholds['risk']['hihg']
                risk = risk_score(customers['support_calls'], customers['tenure_months'])
                flagged = customers[risk > high]
                """,
                "['hihg']",
                "['high']",
            ),
            ok(
                "missing-key",
                """
                critical = thresholds['risk'].get('critical', 0.9)
                new_cutoff = thresholds.get('tenure', {}).get('new', 3)
                """,
            ),
            bug(
                "missing-key",
                "print(f\"premium customers: {plan_summary.loc['premium', 'n']}\")",
                "plan_summary.loc['premium'",
            ),
            ok(
                "missing-key",
                """
                if 'premium' in plan_summary.index:
                    print(plan_summary.loc['premium', 'n'])
                print(f"pro customers: {plan_summary.loc['pro', 'n']}")
                """,
            ),
            bug(
                "missing-key",
                """
                expected = {p: plan_prices[p] * 12 for p in ['basic', 'pro']}
                expected['premium'] = plan_prices['premium'] * 12
                """,
                "plan_prices['premium']",
            ),
            bug(
                "missing-key",
                "cols = customers[['customer_id', 'tenure', 'churned']]",
                "'tenure'",
            ),
            ok(
                "missing-key",
                """
                try:
                    price = plan_prices['premium']
                except KeyError:
                    price = max(plan_prices.values())
                """,
            ),
            bug(
                "missing-attribute",
                "rate = customers.churned.means()",
                "means()",
                "customers.churned.mean()",
            ),
            bug(
                "missing-attribute",
                "campaign.add_target(at_risk_ids, priority='high')",
                "add_target(",
                "campaign.add_targets(",
            ),
            bug(
                "missing-attribute",
                """
                campaign.add_targets(at_risk_ids)
                print(f'{campaign.name}: {campaign.cost_per_targets():.2f} per customer')
                """,
                "cost_per_targets",
                "campaign.cost_per_target()",
            ),
            bug(
                "missing-attribute",
                "customers['plan_label'] = customers.plan.str.capitalise()",
                "capitalise",
                "str.capitalize()",
            ),
            ok(
                "missing-attribute",
                """
                campaign.add_targets(at_risk_ids, priority='high')
                print(campaign.size, campaign.cost_per_target(), campaign.channel)
                customers['plan_label'] = customers.plan.str.capitalize()
                """,
            ),
            ok(
                "missing-attribute",
                """
                campaign.owner = 'crm-team'
                print(campaign.owner, customers.churned.mean())
                """,
            ),
            bug(
                "bad-call",
                "rates = churn_rate(customers, 'plan', 2)",
                "churn_rate(",
            ),
            ok("bad-call", "rates = churn_rate(customers, 'plan', min_size=2)"),
            bug(
                "bad-call",
                "customers['risk'] = risk_score(customers['support_calls'], weight_calls=0.2)",
                "risk_score(",
            ),
            ok(
                "bad-call",
                """
                customers['risk'] = risk_score(
                    customers['support_calls'], customers['tenure_months'], weight_tenure=0.03
                )
                """,
            ),
            bug(
                "bad-call",
                "sms = RetentionCampaign('promo-sms', budget=800, chanel='sms')",
                "chanel=",
                "channel='sms'",
            ),
            ok("bad-call", "sms = RetentionCampaign('promo-sms', 800, 'sms')"),
            bug(
                "bad-call",
                "campaign.add_targets(at_risk_ids, 'high', True)",
                "add_targets(",
            ),
            bug(
                "bad-call",
                "ranked = customers.sort_values('monthly_charges', reverse=True)",
                "reverse=True",
            ),
            bug(
                "removed-api",
                "customers = customers.fillna(method='ffill')",
                "method='ffill'",
                "customers.ffill()",
            ),
            ok("removed-api", "customers = customers.ffill().bfill()"),
            bug(
                "removed-api",
                "customers['signup_week'] = customers['signup_date'].dt.weekofyear",
                "weekofyear",
                "dt.isocalendar().week",
            ),
            ok(
                "removed-api",
                "customers['signup_week'] = customers['signup_date'].dt.isocalendar().week",
            ),
            bug(
                "removed-api",
                "plan_counts = pd.value_counts(customers['plan'])",
                "pd.value_counts",
                "customers['plan'].value_counts()",
            ),
            ok("removed-api", "plan_counts = customers['plan'].value_counts(normalize=True)"),
            ok(
                "missing-attribute",
                """
                if hasattr(campaign, 'launch'):
                    campaign.launch()
                owner = getattr(campaign, 'owner', 'unassigned')
                print(f'{campaign.name} owned by {owner}')
                """,
            ),
            ok(
                "removed-api",
                """
                recent = customers.set_index('signup_date').sort_index().loc['2023':]
                plan_avg = customers.groupby('plan')['monthly_charges'].transform('mean')
                """,
            ),
            ok(
                "bad-call",
                """
                def export(df, path='churn.csv', **to_csv_kwargs):
                    return path, sorted(to_csv_kwargs)


                export(customers, index=False, sep=';', float_format='%.2f')
                args = (customers['support_calls'], customers['tenure_months'])
                scores = risk_score(*args, 0.1)
                """,
            ),
            ok(
                "missing-key",
                """
                pro = customers.loc[customers['plan'] == 'pro', ['customer_id', 'tenure_months']]
                yearly = {plan: price * 12 for plan, price in plan_prices.items()}
                print(yearly['enterprise'], pro.shape)
                """,
            ),
            ok(
                "undefined-name",
                """
                import datetime as dt

                for i, row in enumerate(customers.itertuples()):
                    last_seen = row.signup_date
                print(i, last_seen.date(), dt.date.today() > last_seen.date())
                """,
            ),
            bug(
                "undefined-name",
                "print(churn_rte(customers, by='plan'))",
                "churn_rte",
                "churn_rate(customers",
            ),
            ok(
                "undefined-name",
                """
                def label_for(row):
                    return PLAN_LABELS[row['plan']]


                PLAN_LABELS = {'basic': 'Basic', 'pro': 'Pro', 'enterprise': 'Enterprise'}
                customers['label'] = customers.apply(label_for, axis=1)
                print(REPORT_DATE)
                """,
            ),
            Case(
                "bad-call",
                src(
                    """
                    # Churn deep-dive for the quarterly business review
                    import datetime as dt

                    snapshot = pd.Timestamp('2024-07-01')
                    customers['tenure_days'] = (snapshot - customers['signup_date']).dt.days
                    customers['is_new'] = customers['tenure_months'] < thresholds['tenure']['new']
                    customers['list_price'] = customers['plan'].map(plan_prices)
                    customers['discount'] = 1 - customers.eval('monthly_charges / list_price')


                    def bucket(months):
                        if months < 6:
                            return '0-6m'
                        if months < 24:
                            return '6-24m'
                        return '24m+'


                    def summarize(frame):
                        return {
                            'customers': len(frame),
                            'churned': int(frame['churned'].sum()),
                            'mrr': round(frame['monthly_charges'].sum(), 2),
                            'calls': frame['support_calls'].mean(),
                        }


                    customers['tenure_bucket'] = customers['tenure_months'].apply(bucket)
                    buckets = {
                        name: summarize(frame)
                        for name, frame in customers.groupby('tenure_bucket')
                    }
                    bucket_table = pd.DataFrame(buckets).T.sort_index()

                    active = customers[~customers['churned'] | customers['is_new']]
                    lost_mrr = customers.loc[customers['churned'], 'monthly_charges'].sum()
                    print(f'lost MRR: {lost_mrr:,.2f}')

                    customers['risk'] = risk_score(
                        customers['support_calls'], customers['tenure_months']
                    )
                    watchlist = (
                        customers.query('risk > @thresholds["risk"]["medium"]')
                        .sort_values('risk', ascending=False)
                        .loc[:, ['customer_id', 'plan', 'risk']]
                    )
                    campaign.add_targets(watchlist['customer_id'].tolist(), priority='high')

                    summary = churn_rate(active, by='plan', min_count=2)
                    print(summary.round(2))

                    paid_share = invoices.groupby('customer_id')['paid'].mean()
                    customers['paid_share'] = customers['customer_id'].map(paid_share).fillna(0.0)
                    lines = [
                        f'review date: {dt.date(2024, 7, 1):%d %b %Y}',
                        f'campaign targets: {campaign.size}',
                        f'cost per target: {campaign.cost_per_target():.2f}',
                        f'new customers: {int(customers["is_new"].sum())}',
                    ]
                    print('\\n'.join(lines))
                    print(bucket_table)
                    """
                ),
                "min_count=",
                "min_size=2",
            ),
            Case(
                "missing-key",
                src(
                    """
                    # Same review, the version that ran
                    report = {}
                    customers['list_price'] = customers['plan'].map(plan_prices)
                    customers['discount'] = 1 - customers.eval('monthly_charges / list_price')
                    customers['risk'] = risk_score(
                        customers['support_calls'], customers['tenure_months']
                    )
                    segments = {'high': [], 'medium': [], 'low': []}


                    def segment(score):
                        if score >= thresholds['risk']['high']:
                            return 'high'
                        if score >= thresholds['risk']['medium']:
                            return 'medium'
                        return 'low'


                    for row in customers.itertuples(index=False):
                        segments[segment(row.risk)].append(row.customer_id)

                    report['segments'] = {k: len(v) for k, v in segments.items()}
                    report['by_plan'] = churn_rate(customers, by='plan', min_size=1).to_dict()
                    report['mrr'] = float(customers['monthly_charges'].sum())

                    if 'region' in customers.columns:
                        report['by_region'] = churn_rate(customers, by='region').to_dict()
                    else:
                        report['by_region'] = {}

                    try:
                        report['vip_price'] = plan_prices['vip']
                    except KeyError:
                        report['vip_price'] = None

                    billed = customers.merge(invoices, on='customer_id', how='left')
                    billed['amount'] = billed['amount'].fillna(0.0)
                    unpaid = (
                        billed.loc[~billed['paid'].fillna(True).astype(bool)]
                        .groupby('customer_id', as_index=False)['amount']
                        .sum()
                        .rename(columns={'amount': 'unpaid'})
                    )
                    customers = customers.merge(unpaid, on='customer_id', how='left')
                    customers['unpaid'] = customers['unpaid'].fillna(0.0)
                    report['unpaid_total'] = float(customers['unpaid'].sum())

                    campaign.add_targets(segments['high'], priority='high')
                    campaign.add_targets(segments['medium'])
                    report['campaign'] = {
                        'name': campaign.name,
                        'targets': campaign.size,
                        'cost_per_target': round(campaign.cost_per_target(), 2),
                    }
                    weekly = customers['signup_date'].dt.isocalendar().week
                    report['signup_weeks'] = sorted(set(weekly.astype(int)))
                    highlights = [f'{k}: {v}' for k, v in report['segments'].items()]
                    print(report)
                    print('; '.join(highlights))
                    """
                ),
            ),
        ),
        static=("REPORT_DATE = '2024-07-01'",),
    ),
    Notebook(
        "holdout-sensors",
        (
            "import numpy as np\nimport pandas as pd\nrng = np.random.default_rng(7)",
            src(
                """
                readings = rng.normal(20.0, 2.0, size=(24, 6))  # 24 hours x 6 sensors
                calib = np.full(6, 0.98)
                offsets = rng.normal(0.0, 0.1, size=(6, 1))
                coords = rng.uniform(0, 100, size=(6, 2))
                raw = rng.normal(size=1440)  # one day at one sample a minute
                window = np.ones(5) / 5
                """
            ),
            src(
                """
                idx = pd.date_range('2024-03-01', periods=24, freq='h')
                ts = pd.DataFrame(readings, index=idx, columns=[f's{i}' for i in range(6)])
                meta = pd.DataFrame({
                    'sensor': [f's{i}' for i in range(6)],
                    'room': ['lab', 'lab', 'hall', 'hall', 'roof', 'roof'],
                    'model': ['TMP36', 'TMP36', 'DS18B20', 'DS18B20', 'SHT31', 'SHT31'],
                }).set_index('sensor')
                station = {
                    'name': 'north-1',
                    'sensors': {f's{i}': {'unit': 'C', 'floor': i // 2} for i in range(6)},
                    'sampling': {'period_s': 60, 'jitter_ms': 15},
                }
                """
            ),
            src(
                '''
                class SensorBuffer:
                    """Keeps the last ``capacity`` readings of one sensor."""

                    def __init__(self, capacity=100):
                        self.capacity = capacity
                        self._data = []

                    def push(self, value, stamp=None):
                        self._data.append(value)
                        del self._data[:-self.capacity]

                    def mean(self):
                        return sum(self._data) / len(self._data) if self._data else float('nan')

                    def __len__(self):
                        return len(self._data)


                def smooth(x, width=5, mode='same'):
                    return np.convolve(x, np.ones(width) / width, mode=mode)


                def detect_spikes(series, z=3.0, *, min_gap=1):
                    scores = (series - series.mean()) / series.std()
                    return series[scores.abs() > z].index[::min_gap]


                buf = SensorBuffer(capacity=10)
                '''
            ),
        ),
        (
            bug("shape-mismatch", "calibrated = readings * offsets", "readings * offsets"),
            ok(
                "shape-mismatch",
                """
                calibrated = readings * calib - offsets.T
                zscores = (readings - readings.mean(axis=0)) / readings.std(axis=0)
                """,
            ),
            bug(
                "shape-mismatch",
                """
                # distance-weighted average per hour
                weights = coords @ readings
                """,
                "coords @ readings",
            ),
            ok(
                "shape-mismatch",
                "hourly_xy = readings @ coords / readings.sum(axis=1, keepdims=True)",
            ),
            bug(
                "shape-mismatch",
                """
                per_hour = raw.reshape(24, 61)
                print(per_hour.mean(axis=1))
                """,
                "raw.reshape",
            ),
            ok(
                "shape-mismatch",
                """
                per_hour = raw.reshape(24, 60)
                per_quarter = raw.reshape(-1, 15).max(axis=1)
                """,
            ),
            bug(
                "shape-mismatch",
                "table = np.concatenate([readings, coords], axis=0)",
                "np.concatenate",
            ),
            ok("shape-mismatch", "table = np.concatenate([readings, coords.T], axis=0)"),
            bug(
                "shape-mismatch",
                """
                daily_mean = readings.mean(axis=1)
                anomalies = readings - daily_mean
                """,
                "readings - daily_mean",
            ),
            ok(
                "shape-mismatch",
                """
                daily_mean = readings.mean(axis=1)
                anomalies = readings - daily_mean[:, None]
                """,
            ),
            bug("missing-key", "print(ts['s6'].describe())", "ts['s6']"),
            bug(
                "missing-key",
                "daily = ts.resample('D').agg({'s0': 'mean', 's1': 'max', 's9': 'min'})",
                "resample",
            ),
            ok(
                "missing-key",
                """
                ts['s6'] = ts[['s4', 's5']].mean(axis=1)
                daily = ts.resample('D').agg({'s0': 'mean', 's1': 'max', 's6': 'min'})
                """,
            ),
            bug(
                "missing-key",
                "per_room = meta.groupby('rooms').size()",
                "'rooms'",
                "groupby('room')",
            ),
            ok(
                "missing-key",
                """
                per_room = meta.groupby('room').size()
                enriched = meta.join(ts.mean().rename('avg_temp'))
                print(enriched.loc['s3', 'avg_temp'])
                """,
            ),
            bug("missing-key", "where = meta.loc['s3', 'location']", "'location'"),
            bug(
                "missing-key",
                """
                for sensor, info in station['sensors'].items():
                    print(f"{sensor}: {info['unit']}")
                unit = station['sensors']['s2']['units']
                """,
                "['units']",
                "['s2']['unit']",
            ),
            ok(
                "missing-key",
                """
                unit = station['sensors'].get('s9', {}).get('unit', 'C')
                period = station['sampling']['period_s']
                print(f"{station['name']}: every {period}s in {unit}")
                """,
            ),
            bug("missing-attribute", "hours = ts.index.hours", "hours"),
            ok("missing-attribute", "by_hour = ts.groupby(ts.index.hour).mean()"),
            bug("missing-attribute", "avg = readings.average(axis=0)", "average"),
            bug(
                "missing-attribute",
                """
                for value in raw[:20]:
                    buf.append(value)
                """,
                "buf.append",
            ),
            bug("missing-attribute", "print(buf.means())", "means", "buf.mean()"),
            ok(
                "missing-attribute",
                """
                for value in raw[:20]:
                    buf.push(value)
                print(len(buf), buf.mean(), buf.capacity, np.average(readings, axis=0))
                """,
            ),
            bug(
                "bad-call",
                "trend = smooth(raw, 7, 'valid', True)",
                "smooth(",
            ),
            ok("bad-call", "trend = smooth(raw, 7, mode='valid')"),
            bug(
                "bad-call",
                "spikes = detect_spikes(ts['s0'], 2.5, 3)",
                "detect_spikes(",
            ),
            ok("bad-call", "spikes = detect_spikes(ts['s0'], 2.5, min_gap=3)"),
            bug(
                "bad-call",
                "rolling = ts.rolling(window=3, min_period=1).mean()",
                "min_period=",
                "min_periods=1",
            ),
            ok("bad-call", "rolling = ts.rolling(window=3, min_periods=1, center=True).mean()"),
            bug("bad-call", "noise = rng.normal(0, 0.05, shape=24)", "shape=", "size=24"),
            bug("bad-call", "buf.push()", "buf.push("),
            bug(
                "bad-call",
                "big = SensorBuffer(capacity=1000, dtype=float)",
                "dtype=float",
            ),
            ok("bad-call", "big = SensorBuffer(1000)\nbig.push(21.5, stamp=idx[0])"),
            bug("removed-api", "ceiling = np.Inf", "np.Inf", "np.inf"),
            bug(
                "removed-api",
                "spread = readings.ptp(axis=0)",
                "readings.ptp",
            ),
            bug("removed-api", "payload = raw.tostring()", "tostring", "raw.tobytes()"),
            bug(
                "removed-api",
                "p95 = np.percentile(raw, 95, interpolation='nearest')",
                "interpolation=",
                "method='nearest'",
            ),
            bug("removed-api", "first_six = ts.first('6h')", "ts.first"),
            ok(
                "removed-api",
                """
                ceiling = np.inf
                spread = np.ptp(readings, axis=0)
                payload = raw.tobytes()
                p95 = np.percentile(raw, 95, method='nearest')
                first_six = ts.loc[: ts.index[0] + pd.Timedelta('5h')]
                """,
            ),
            bug(
                "undefined-name",
                "peaks, _ = signal.find_peaks(raw, height=2.0)",
                "signal.",
            ),
            bug(
                "undefined-name",
                "hot = readigs[readings > 24].size",
                "readigs",
                "readings[readings > 24]",
            ),
            bug(
                "undefined-name",
                """
                for sensor in sensor_ids:
                    print(sensor, ts[sensor].max())
                """,
                "sensor_ids",
            ),
            ok(
                "undefined-name",
                """
                sensor_ids = list(ts.columns)
                for sensor in sensor_ids:
                    print(sensor, ts[sensor].max() > ALERT_C)
                """,
            ),
            ok(
                "missing-attribute",
                """
                weekday = ts.index.dayofweek
                print(ts.s0.max(), readings.T.ravel()[:3], weekday[:2])
                """,
            ),
            ok(
                "removed-api",
                """
                six_hourly = ts.resample('6h').mean()
                values = np.asarray([1, 2, 3], dtype=np.float64)
                print(np.isinf(values).any(), six_hourly.shape)
                """,
            ),
            ok(
                "bad-call",
                """
                trend = np.convolve(raw, window, mode='valid')
                clipped = np.clip(readings, 15, 25)
                fine = rng.normal(0, 0.05, size=24)
                """,
            ),
            ok(
                "undefined-name",
                """
                for col in ts:
                    last = col
                windows = np.lib.stride_tricks.sliding_window_view(raw, 5)
                print(last, windows.shape)
                """,
            ),
            ok(
                "shape-mismatch",
                """
                outer = calib[:, None] * calib[None, :]
                flat = readings.reshape(-1)
                back = flat.reshape(readings.shape)
                """,
            ),
            Case(
                "shape-mismatch",
                src(
                    """
                    # Nightly QA of the sensor grid
                    from math import isclose

                    night = ts.between_time('00:00', '05:00')
                    day = ts.between_time('08:00', '18:00')
                    drift = (day.mean() - night.mean()).abs()
                    meta['drift'] = drift
                    noisy = meta[meta['drift'] > drift.median()].index.tolist()


                    def zscore(block):
                        centered = block - block.mean(axis=0)
                        return centered / block.std(axis=0)


                    def hourly_profile(values, minutes=60):
                        return values.reshape(-1, minutes).mean(axis=1)


                    profile = hourly_profile(raw)
                    smoothed = smooth(profile, width=3)
                    scores = zscore(readings)
                    flags = np.abs(scores) > 2.5

                    gain = np.linspace(0.95, 1.05, num=6)
                    corrected = readings * gain + offsets.T
                    residual = corrected - readings
                    assert residual.shape == (24, 6)

                    # inverse-distance weights between the six sensors
                    diff = coords[:, None, :] - coords[None, :, :]
                    dist = np.sqrt((diff ** 2).sum(axis=-1)) + np.eye(6)
                    inv = 1.0 / dist
                    inv /= inv.sum(axis=1, keepdims=True)
                    neighbour_mean = readings @ inv.T

                    hour_weights = np.linspace(1.0, 2.0, num=24)
                    weighted = readings * hour_weights

                    per_room = {
                        room: readings[:, [int(s[1:]) for s in group.index]].mean()
                        for room, group in meta.groupby('room')
                    }
                    for value in corrected[:, 0]:
                        buf.push(value)

                    summary = {
                        'noisy': noisy,
                        'flags': int(flags.sum()),
                        'buffer_mean': round(buf.mean(), 3),
                        'stable': isclose(smoothed.mean(), profile.mean(), abs_tol=0.5),
                        'rooms': per_room,
                    }
                    print(summary)
                    print(f"{station['name']}: {len(buf)} values buffered")
                    """
                ),
                "readings * hour_weights",
            ),
            Case(
                "shape-mismatch",
                src(
                    """
                    # Nightly QA, fixed: weights per hour go down the rows
                    from math import isclose

                    night = ts.between_time('00:00', '05:00')
                    day = ts.between_time('08:00', '18:00')
                    drift = (day.mean() - night.mean()).abs()
                    meta['drift'] = drift
                    noisy = meta[meta['drift'] > drift.median()].index.tolist()


                    def zscore(block):
                        centered = block - block.mean(axis=0)
                        return centered / block.std(axis=0)


                    def hourly_profile(values, minutes=60):
                        return values.reshape(-1, minutes).mean(axis=1)


                    profile = hourly_profile(raw)
                    smoothed = smooth(profile, width=3)
                    scores = zscore(readings)
                    flags = np.abs(scores) > 2.5

                    gain = np.linspace(0.95, 1.05, num=6)
                    corrected = readings * gain + offsets.T
                    residual = corrected - readings
                    assert residual.shape == (24, 6)

                    # inverse-distance weights between the six sensors
                    diff = coords[:, None, :] - coords[None, :, :]
                    dist = np.sqrt((diff ** 2).sum(axis=-1)) + np.eye(6)
                    inv = 1.0 / dist
                    inv /= inv.sum(axis=1, keepdims=True)
                    neighbour_mean = readings @ inv.T

                    hour_weights = np.linspace(1.0, 2.0, num=24)
                    weighted = readings * hour_weights[:, np.newaxis]

                    per_room = {
                        room: readings[:, [int(s[1:]) for s in group.index]].mean()
                        for room, group in meta.groupby('room')
                    }
                    for value in corrected[:, 0]:
                        buf.push(value)

                    summary = {
                        'noisy': noisy,
                        'flags': int(flags.sum()),
                        'buffer_mean': round(buf.mean(), 3),
                        'stable': isclose(smoothed.mean(), profile.mean(), abs_tol=0.5),
                        'rooms': per_room,
                    }
                    print(summary)
                    print(f"{station['name']}: {len(buf)} values buffered")
                    """
                ),
            ),
        ),
        static=("ALERT_C = 24.0",),
    ),
    Notebook(
        "holdout-nlp",
        (
            src(
                """
                import re
                from collections import Counter

                import numpy as np
                import pandas as pd
                """
            ),
            src(
                """
                reviews = pd.DataFrame({
                    'review_id': [1, 2, 3, 4, 5, 6],
                    'text': [
                        'The battery life is great and the screen is sharp',
                        'Terrible support, the app was slow and crashed twice',
                        'Good value, fast shipping',
                        'Bad fit, returned it after a week',
                        'Great sound and a great price',
                        'It is fine but the manual is confusing',
                    ],
                    'stars': [5, 1, 4, 2, 5, 3],
                    'lang': ['en'] * 6,
                })
                stopwords = {'the', 'a', 'and', 'is', 'it', 'to', 'was', 'but', 'after'}
                label_map = {'pos': 1, 'neg': 0}
                lexicon_cfg = {'weights': {'great': 1.0, 'good': 0.5, 'bad': -0.5}, 'version': 2}
                doc = reviews['text'][0]
                """
            ),
            src(
                '''
                def tokenize(text, lower=True, *, keep_stop=False):
                    words = re.findall(r"[A-Za-z']+", text)
                    if lower:
                        words = [w.lower() for w in words]
                    if not keep_stop:
                        words = [w for w in words if w.lower() not in stopwords]
                    return words


                def ngrams(tokens, n=2):
                    return [tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1)]


                class TextPipeline:
                    def __init__(self, steps, name='nlp'):
                        self.steps = list(steps)
                        self.name = name

                    def add_step(self, fn, position=None):
                        if position is None:
                            self.steps.append(fn)
                        else:
                            self.steps.insert(position, fn)
                        return self

                    def run(self, text, verbose=False):
                        for step in self.steps:
                            text = step(text)
                        return text


                class Lexicon:
                    """Sentiment of a word as an attribute: ``lex.great``; unknown words are 0."""

                    def __init__(self, **scores):
                        self._scores = scores

                    def __getattr__(self, word):
                        return self._scores.get(word, 0.0)
                '''
            ),
            src(
                """
                import matplotlib
                matplotlib.use('Agg')
                import matplotlib.pyplot as plt
                from sklearn.feature_extraction.text import TfidfVectorizer
                from sklearn.linear_model import LogisticRegression

                tokens = tokenize(doc)
                counts = Counter(t for text in reviews['text'] for t in tokenize(text))
                pipe = TextPipeline([str.strip, str.lower])
                lex = Lexicon(great=1.0, terrible=-1.0)
                vec = TfidfVectorizer(min_df=1)
                X = vec.fit_transform(reviews['text'])
                y = (reviews['stars'] >= 4).astype(int)
                clf = LogisticRegression(max_iter=200).fit(X, y)
                bow = X.toarray()
                emb = np.random.default_rng(0).normal(size=(bow.shape[1], 16))
                """
            ),
        ),
        (
            bug(
                "missing-key",
                "reviews['n_words'] = reviews['review'].str.split().str.len()",
                "reviews['review']",
            ),
            ok(
                "missing-key",
                """
                reviews['n_words'] = reviews['text'].str.split().str.len()
                reviews['n_chars'] = reviews['text'].str.len()
                """,
            ),
            bug(
                "missing-key",
                "avg_len = reviews.groupby('star')['text'].apply(lambda s: s.str.len().mean())",
                "'star'",
                "groupby('stars')",
            ),
            bug("missing-key", "positive = label_map['positive']", "label_map['positive']"),
            ok(
                "missing-key",
                """
                positive = label_map.get('positive', label_map['pos'])
                label_map['neutral'] = 2
                print(label_map['neutral'])
                """,
            ),
            bug(
                "missing-key",
                "col = vec.vocabulary_['batery']",
                "'batery'",
                "vocabulary_['battery']",
            ),
            ok(
                "missing-key",
                """
                col = vec.vocabulary_['battery']
                idf = dict(zip(vec.get_feature_names_out(), vec.idf_))
                print(f"idf of 'battery': {idf['battery']:.3f}")
                """,
            ),
            bug(
                "missing-key",
                """
                reviews['sentiment'] = np.where(reviews['stars'] >= 4, 'pos', 'neg')
                table = reviews.pivot_table(index='lang', columns='sentiment', values='star')
                """,
                "values='star'",
                "values='stars'",
            ),
            ok(
                "missing-key",
                """
                reviews['sentiment'] = np.where(reviews['stars'] >= 4, 'pos', 'neg')
                table = reviews.pivot_table(index='lang', columns='sentiment', values='stars')
                """,
            ),
            bug(
                "missing-key",
                "bad_weight = lexicon_cfg['weights']['terrible']",
                "['terrible']",
            ),
            ok(
                "missing-key",
                """
                weights = lexicon_cfg['weights']
                score = sum(weights.get(t, 0.0) for t in tokens)
                print(counts['zzz'], weights.get('terrible', -1.0))
                """,
            ),
            bug(
                "missing-attribute",
                "if doc.startwith('The'):\n    print('starts with an article')",
                "startwith",
                "doc.startswith('The')",
            ),
            bug("missing-attribute", "clean = tokens.lower()", "tokens.lower"),
            bug(
                "missing-attribute",
                """
                top = counts.most_common(5)
                print(list(top.keys()))
                """,
                "top.keys",
            ),
            bug("missing-attribute", "weights = clf.coefs_[0]", "coefs_", "clf.coef_[0]"),
            bug("missing-attribute", "out = pipe.run_all(doc)", "run_all"),
            ok(
                "missing-attribute",
                """
                top = dict(counts.most_common(5))
                print(list(top.keys()), clf.coef_[0][:3], doc.startswith('The'))
                out = pipe.run(doc)
                """,
            ),
            ok(
                "missing-attribute",
                """
                sentiment = lex.great + lex.amazing - lex.terrible
                if hasattr(vec, 'stop_words_'):
                    print(len(vec.stop_words_))
                """,
            ),
            bug("bad-call", "words = tokenize(doc, False, True)", "tokenize("),
            ok("bad-call", "words = tokenize(doc, False, keep_stop=True)"),
            bug("bad-call", "pairs = ngrams(tokens, n=2, pad=True)", "pad=True"),
            ok("bad-call", "pairs = ngrams(tokens, 3) + ngrams(tokens)"),
            bug(
                "bad-call",
                "head, rest = doc.split(' ', maxsplits=1)",
                "maxsplits=",
                "maxsplit=1",
            ),
            bug(
                "bad-call",
                "longest = sorted(tokens, key=len, reversed=True)[:3]",
                "reversed=True",
                "reverse=True",
            ),
            ok(
                "bad-call",
                """
                head, rest = doc.split(' ', maxsplit=1)
                longest = sorted(tokens, key=len, reverse=True)[:3]
                """,
            ),
            bug("bad-call", "pipe2 = TextPipeline(name='titles')", "TextPipeline("),
            bug("bad-call", "pipe.add_step(str.title, 0, True)", "add_step("),
            ok(
                "bad-call",
                "pipe2 = TextPipeline([str.title], name='titles').add_step(str.strip, 0)",
            ),
            bug(
                "bad-call",
                "bigrams = TfidfVectorizer(ngram=(1, 2)).fit(reviews['text'])",
                "ngram=",
                "ngram_range=(1, 2)",
            ),
            ok(
                "bad-call",
                "bigrams = TfidfVectorizer(ngram_range=(1, 2), min_df=1).fit(reviews['text'])",
            ),
            bug(
                "removed-api",
                "terms = vec.get_feature_names()",
                "get_feature_names",
                "vec.get_feature_names_out()",
            ),
            bug(
                "removed-api",
                "clf2 = LogisticRegression(multi_class='multinomial', max_iter=300).fit(X, y)",
                "multi_class=",
            ),
            bug(
                "removed-api",
                """
                fig, ax = plt.subplots(figsize=(6, 3))
                groups = [reviews.loc[reviews['stars'] == s, 'text'].str.len() for s in (1, 5)]
                ax.boxplot(groups, labels=['1 star', '5 stars'])
                """,
                "labels=",
                "tick_labels=",
            ),
            bug(
                "removed-api",
                "plt.style.use('seaborn-darkgrid')",
                "seaborn-darkgrid",
                "seaborn-v0_8-darkgrid",
            ),
            ok(
                "removed-api",
                """
                plt.style.use('seaborn-v0_8-darkgrid')
                fig, ax = plt.subplots(figsize=(6, 3))
                groups = [reviews.loc[reviews['stars'] == s, 'text'].str.len() for s in (1, 5)]
                ax.boxplot(groups, tick_labels=['1 star', '5 stars'])
                ax.set_title(f'{len(reviews)} reviews')
                plt.close(fig)
                """,
            ),
            ok(
                "removed-api",
                """
                terms = vec.get_feature_names_out()
                clf2 = LogisticRegression(C=0.5, max_iter=300).fit(X, y)
                """,
            ),
            bug("shape-mismatch", "doc_vecs = bow @ emb.T", "bow @ emb.T"),
            ok("shape-mismatch", "doc_vecs = bow @ emb\nsims = doc_vecs @ doc_vecs.T"),
            bug("shape-mismatch", "logits = bow @ clf.coef_", "bow @ clf.coef_"),
            ok(
                "shape-mismatch",
                """
                logits = bow @ clf.coef_.T + clf.intercept_
                contrib = bow * clf.coef_
                """,
            ),
            bug(
                "undefined-name",
                """
                by_first = defaultdict(list)
                for t in tokens:
                    by_first[t[0]].append(t)
                """,
                "defaultdict",
            ),
            bug(
                "undefined-name",
                "content = [t for t in tokenize(doc, keep_stop=True) if t not in stop_words]",
                "stop_words",
                "not in stopwords]",
            ),
            ok(
                "undefined-name",
                """
                from collections import defaultdict

                by_first = defaultdict(list)
                for t in tokens:
                    by_first[t[0]].append(t)
                content = [t for t in tokenize(doc, keep_stop=True) if t not in stopwords]
                vocab_size = len({t for text in reviews['text'] for t in tokenize(text)})
                """,
            ),
            ok(
                "missing-attribute",
                """
                titled = reviews.text.str.title()
                print(' '.join(tokens).title(), counts.total())
                """,
            ),
            ok(
                "bad-call",
                """
                squashed = re.sub(r'\\s+', ' ', doc, count=1)
                ranked = sorted(counts, key=counts.get, reverse=True)[:5]
                """,
            ),
            ok(
                "removed-api",
                """
                labels = np.array(['pos', 'neg'], dtype=np.str_)
                cmap = plt.get_cmap('viridis')
                """,
            ),
            ok(
                "undefined-name",
                """
                try:
                    from nltk.stem import PorterStemmer
                    stem = PorterStemmer().stem
                except ImportError:
                    stem = lambda word: word.rstrip('s')
                stems = [stem(t) for t in tokens]
                """,
            ),
            ok(
                "missing-key",
                """
                by_stars = reviews.set_index('review_id')
                print(by_stars.loc[3, 'text'], by_stars.loc[[1, 2], 'stars'].sum())
                """,
            ),
            Case(
                "missing-key",
                src(
                    """
                    # Review dashboard: keywords, sentiment and a small classifier report
                    import string

                    punct = re.compile(f'[{re.escape(string.punctuation)}]')
                    reviews['clean'] = reviews['text'].map(lambda s: punct.sub(' ', s).lower())
                    reviews['tokens'] = reviews['clean'].map(tokenize)
                    reviews['n_tokens'] = reviews['tokens'].str.len()


                    def lexicon_score(words):
                        weights = lexicon_cfg['weights']
                        return sum(weights.get(w, 0.0) for w in words)


                    def top_terms(row_vector, k=3):
                        order = np.argsort(row_vector)[::-1][:k]
                        return [terms[i] for i in order if row_vector[i] > 0]


                    terms = vec.get_feature_names_out()
                    reviews['lex_score'] = reviews['tokens'].map(lexicon_score)
                    reviews['keywords'] = [top_terms(row) for row in bow]

                    proba = clf.predict_proba(X)[:, 1]
                    reviews['p_positive'] = proba
                    reviews['predicted'] = np.where(proba >= 0.5, 'pos', 'neg')
                    reviews['actual'] = np.where(reviews['stars'] >= 4, 'pos', 'neg')
                    accuracy = (reviews['predicted'] == reviews['actual']).mean()

                    confusion = pd.crosstab(reviews['actual'], reviews['predicted'])
                    if 'neg' in confusion.columns and 'neg' in confusion.index:
                        true_neg = confusion.loc['neg', 'neg']
                    else:
                        true_neg = 0

                    bigram_counts = Counter(
                        pair for words in reviews['tokens'] for pair in ngrams(words)
                    )
                    common_pairs = [' '.join(p) for p, _ in bigram_counts.most_common(3)]

                    doc_vecs = bow @ emb
                    norms = np.linalg.norm(doc_vecs, axis=1, keepdims=True)
                    sims = (doc_vecs / norms) @ (doc_vecs / norms).T
                    np.fill_diagonal(sims, -1.0)
                    nearest = sims.argmax(axis=1)

                    per_star = reviews.groupby('stars').agg(
                        n=('review_id', 'count'),
                        tokens=('n_tokens', 'mean'),
                        lex=('lex_score', 'mean'),
                    )
                    sentiment = {w: getattr(lex, w) for w in ('great', 'terrible', 'meh')}
                    lines = [
                        f'accuracy: {accuracy:.0%}',
                        f'true negatives: {true_neg}',
                        f"common pairs: {', '.join(common_pairs)}",
                        f'nearest to review 1: {int(nearest[0]) + 1}',
                        f"lexicon v{lexicon_cfg['version']}: {sentiment}",
                    ]
                    print('\\n'.join(lines))
                    print(per_star)
                    """
                ),
            ),
        ),
        requires=(("scikit-learn", "1.6"), ("matplotlib", "3.9")),
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


def all_notebooks() -> list[Notebook]:
    """This file's notebooks and the later held-out sets (bugs_heldout2.py, bugs_heldout3.py,
    imported here: they import this module's helpers, so a top-level import would load this
    script twice)."""
    out = list(NOTEBOOKS)
    for module, name in (("bugs_heldout2", "NOTEBOOKS2"), ("bugs_heldout3", "NOTEBOOKS3")):
        with contextlib.suppress(ImportError):  # (a set not in the tree)
            qualified = f"{__package__}.{module}" if __package__ else module
            out += getattr(importlib.import_module(qualified), name)
    return out


def selected(only: str | None) -> tuple[list[Notebook], dict[str, str]]:
    run, skipped = [], {}
    for nb in all_notebooks():
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
    held = [r for r in rows if r.notebook.startswith(HELDOUT_PREFIX)]
    held2 = [r for r in rows if r.notebook.startswith(HELDOUT2_PREFIX)]
    held3 = [r for r in rows if r.notebook.startswith(HELDOUT3_PREFIX)]
    if held or held2 or held3:  # the held-out sets apart
        split = []
        prefixes = (HELDOUT_PREFIX, HELDOUT2_PREFIX, HELDOUT3_PREFIX)
        written = [r for r in rows if not r.notebook.startswith(prefixes)]
        parts = (("written with the checks", written), ("held out", held),
                 ("held out, second set", held2), ("held out, third set", held3))  # fmt: skip
        for label, part in parts:
            if not part:
                continue
            s = score(part)["all"]
            split.append([label, str(s["buggy"]), str(s["clean"]), _pct(s["precision"]),
                          _pct(s["recall"]), str(s["clean_cells_flagged"])])  # fmt: skip
        print(common.table(["cases", "buggy", "clean", "precision", "recall", "clean flagged"],
                           split))  # fmt: skip
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
