"""Project completions: hit rate where only another file of the project knows the answer.

Each project below is a small one as people keep them on disk (a geo analysis with a settings
module and a subfolder of its own helpers, an ML training folder, a retail package with
subpackages and no src/, a notebook-heavy survey project with a src/ layout). Its files are
written to a temporary folder that becomes the root of a real `jupyter server` (the default
model), a few of them only after the server started (then the benchmark waits 2 s: the index
has to see them on disk). Per notebook a real kernel is started through `api/sessions` (its
cwd is the notebook's folder), the notebook's run cells execute in it, and the benchmark types
a new cell up to a cursor whose right continuation is a name defined in ANOTHER file of the
project: a module's function or constant, a submodule, a class's field or `self.` attribute, a
function's keyword, a function of another notebook, a module written after the server started.
Some imports were run in the kernel, some only sit in the notebook unrun. Each cursor is asked
twice through `spark/ws` (sync, then `complete` with path, cell id and kernel id), with the
request's `project` on and off: same server, same kernel, same prompt otherwise; the order
alternates from cursor to cursor. A hit is a suggestion that starts with the right name (for
keywords, with its `=`); where nothing is typed yet and nothing decides, any public name of the
module counts. A request that ends in an error is a miss, its error code kept in the rows.

How the cases were written: from the notebook user's side (what one types next in such a
project), with names a model cannot guess (`haversine_km`, `DEFAULT_BBOX_WGS84`,
`TrainerSettings.grad_clip_norm`, `normalise_sku_codes`), by an engineer who did not write the
project index and did not read its code or rules (jupyter_spark/project/), before running the
benchmark; no case was changed after seeing its results. With the project off, the kernel (for
run imports) and the notebook's own cells may still ground a name: that is in the off column.

    python benchmarks/project_hits.py [--model PATH] [--json] [--verbose] [--only NAME]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):  # python benchmarks/project_hits.py
    import common  # type: ignore[import-not-found, no-redef]
    from e2e_ws import Server, http, run_cell  # type: ignore[import-not-found]
else:  # python -m benchmarks.project_hits
    from . import common
    from .e2e_ws import Server, http, run_cell

RESULTS = common.RESULTS_DIR / "project_hits.json"
TARGET_HIT = 0.80  # with the project on
LATE_WAIT_S = 2.0  # after writing a file while the server runs, before asking
ASK_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class Case:
    kind: str  # the site kind, for the table
    prefix: str  # the new cell up to the cursor
    expect: tuple[str, ...]  # a hit starts with one of these


@dataclass(frozen=True)
class Notebook:
    path: str  # relative to the project root; its folder is the kernel's cwd
    cells: tuple[str, ...]  # run in the kernel, in order
    static: tuple[str, ...]  # cells in the notebook that were never run
    cases: tuple[Case, ...]
    late: tuple[tuple[str, str], ...] = ()  # (path, text) written after the server started


@dataclass(frozen=True)
class Project:
    name: str
    files: tuple[tuple[str, str], ...]  # (path, text) written before the server starts
    notebooks: tuple[Notebook, ...]


def ipynb(*cells: tuple[str, str]) -> str:
    """A notebook file (nbformat 4.5) of (cell_type, source) cells, as JupyterLab saves it."""
    out = []
    for i, (cell_type, source) in enumerate(cells):
        cell: dict = {
            "cell_type": cell_type,
            "id": f"cell-{i:03d}",
            "metadata": {},
            "source": source.splitlines(keepends=True),
        }
        if cell_type == "code":
            cell |= {"execution_count": None, "outputs": []}
        out.append(cell)
    nb = {
        "cells": out,
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return json.dumps(nb, indent=1) + "\n"


# --------------------------------------------------------------------------- geo analysis

GEO_UTILS = '''"""Geodesy helpers used across the trip notebooks (WGS84, kilometres, degrees)."""

from __future__ import annotations

import math

EARTH_RADIUS_KM = 6371.0088


def _to_rad(deg: float) -> float:
    return deg * math.pi / 180.0


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance between two points, in kilometres."""
    dlat = _to_rad(lat2 - lat1)
    dlon = _to_rad(lon2 - lon1)
    a = (
        math.sin(dlat / 2) ** 2
        + math.cos(_to_rad(lat1)) * math.cos(_to_rad(lat2)) * math.sin(dlon / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def bearing_deg(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Initial bearing from point 1 to point 2, degrees clockwise from north."""
    y = math.sin(_to_rad(lon2 - lon1)) * math.cos(_to_rad(lat2))
    x = math.cos(_to_rad(lat1)) * math.sin(_to_rad(lat2)) - math.sin(_to_rad(lat1)) * math.cos(
        _to_rad(lat2)
    ) * math.cos(_to_rad(lon2 - lon1))
    return (math.degrees(math.atan2(y, x)) + 360.0) % 360.0


def clip_to_bbox(points, bbox):
    """The (lat, lon) points inside ``bbox`` = (min_lon, min_lat, max_lon, max_lat)."""
    min_lon, min_lat, max_lon, max_lat = bbox
    return [(la, lo) for la, lo in points if min_lat <= la <= max_lat and min_lon <= lo <= max_lon]
'''

GEO_SETTINGS = '''"""Settings shared by the trip notebooks. Change them here, not in a notebook."""

from pathlib import Path

DATA_ROOT = Path(__file__).resolve().parent / "data"
RAW_TRIPS_DIR = DATA_ROOT / "raw" / "trips"
# min_lon, min_lat, max_lon, max_lat of the study area (Amsterdam within the A10 + margin)
DEFAULT_BBOX_WGS84 = (4.728, 52.278, 5.079, 52.431)
TRIP_GAP_MINUTES = 12  # a pause longer than this starts a new trip
SPEED_CAP_KMH = 130.0  # faster fixes are GPS noise
'''

GEO_TRIP_LOADING = '''"""Reading the raw GPS exports (one CSV per month) into trip segments."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import datetime

import geo_utils


@dataclass
class TripSegment:
    vehicle_ref: str
    started_at: datetime
    ended_at: datetime
    distance_km: float
    mean_speed_kmh: float

    @property
    def duration_s(self) -> float:
        return (self.ended_at - self.started_at).total_seconds()


def load_trip_segments(path, min_duration_s=60, drop_stationary=True, tz_name="Europe/Amsterdam"):
    """The segments between consecutive fixes of the export at ``path``.

    Segments shorter than ``min_duration_s`` are dropped, and so are the ones that did not
    move when ``drop_stationary``. Timestamps are read as local time of ``tz_name``.
    """
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    segments = []
    for prev, cur in zip(rows, rows[1:]):
        t0 = datetime.fromisoformat(prev["ts"])
        t1 = datetime.fromisoformat(cur["ts"])
        km = geo_utils.haversine_km(
            float(prev["lat"]), float(prev["lon"]), float(cur["lat"]), float(cur["lon"])
        )
        secs = (t1 - t0).total_seconds()
        if secs < min_duration_s or (drop_stationary and km == 0.0):
            continue
        segments.append(TripSegment(cur["vehicle"], t0, t1, km, km / (secs / 3600.0)))
    return segments
'''

GEO_HOUR_BINNING = '''"""Local-time slots for the peak-hour analysis (this folder's notebooks)."""

from __future__ import annotations

from datetime import datetime

PEAK_WINDOWS_LOCAL = {"morning": (7, 9), "evening": (16, 19)}


def bin_by_quarter_hour(timestamps, tz_name="Europe/Amsterdam"):
    """Counts per quarter-hour slot ("08:15") of naive local ``timestamps``."""
    counts: dict[str, int] = {}
    for ts in timestamps:
        slot = f"{ts.hour:02d}:{ts.minute // 15 * 15:02d}"
        counts[slot] = counts.get(slot, 0) + 1
    return counts


def is_peak_slot(ts: datetime, windows=None) -> bool:
    """Whether ``ts`` falls in one of the peak windows (hours, end excluded)."""
    windows = windows or PEAK_WINDOWS_LOCAL
    return any(start <= ts.hour < end for start, end in windows.values())
'''

GEO_ROUTE_SNAPPING = '''"""Snapping GPS fixes to the road graph (OSM extract of the study area)."""

ROAD_CLASSES_KEPT = ("primary", "secondary", "tertiary", "residential", "busway")


def snap_to_road_graph(points, max_snap_m=25, road_classes=ROAD_CLASSES_KEPT):
    """The points moved onto the nearest kept road within ``max_snap_m`` (others as they are)."""
    return list(points)
'''

GEO_EXPLORE = ipynb(
    ("markdown", "# Exploring the March trips\n\nFirst look at the raw export."),
    ("code", "import csv\nfrom pathlib import Path"),
    (
        "code",
        "def h3ish_cell_id(lat, lon, res_m=250):\n"
        '    """A square grid cell id ("r{row}c{col}") of about res_m metres."""\n'
        "    row = int(lat * 111_320 // res_m)\n"
        "    col = int(lon * 68_000 // res_m)\n"
        '    return f"r{row}c{col}"',
    ),
    (
        "code",
        "with open('data/raw/trips/2024-03.csv') as f:\n"
        "    fixes = list(csv.DictReader(f))\n"
        "cells = {h3ish_cell_id(float(r['lat']), float(r['lon'])) for r in fixes}\n"
        "len(cells)",
    ),
)

GEO = Project(
    "geo",
    (
        ("geo_utils.py", GEO_UTILS),
        ("settings.py", GEO_SETTINGS),
        ("trip_loading.py", GEO_TRIP_LOADING),
        ("analysis/hour_binning.py", GEO_HOUR_BINNING),
        ("explore_trips.ipynb", GEO_EXPLORE),
        ("README.md", "# Trip analysis\n\nGPS trips of the city buses, March 2024.\n"),
    ),
    (
        Notebook(
            "trips.ipynb",  # the imports were run
            (
                "import geo_utils\nimport settings",
                "from trip_loading import load_trip_segments, TripSegment",
                "path = settings.RAW_TRIPS_DIR / '2024-03.csv'",
            ),
            (),
            (
                Case("mod_attr", "d = geo_utils.hav", ("ersine_km",)),
                Case("mod_attr", "heading = geo_utils.bear", ("ing_deg",)),
                Case("constant", "bbox = settings.DEFAULT_BB", ("OX_WGS84",)),
                Case("constant", "gap = settings.TRIP_GAP", ("_MINUTES",)),
                Case("kwarg", "segs = load_trip_segments(path, min_dura", ("tion_s=",)),
                Case(
                    "kwarg",
                    "segs = load_trip_segments(path, min_duration_s=120, drop",
                    ("_stationary=",),
                ),
                Case("from_import", "from geo_utils import clip_to", ("_bbox",)),
            ),
        ),
        Notebook(
            "speeds.ipynb",  # the imports are in the notebook but were never run
            ("import math",),
            (
                "import geo_utils\nimport settings",
                "from trip_loading import load_trip_segments, TripSegment",
                "from datetime import datetime\n"
                "seg = TripSegment('bus-12', datetime(2024, 3, 4, 8, 0), "
                "datetime(2024, 3, 4, 8, 9), 3.4, 22.7)",
                "pts = [(52.37, 4.89), (52.36, 4.91), (52.50, 4.70)]",
            ),
            (
                Case("mod_attr", "km = geo_utils.hav", ("ersine_km",)),
                Case(
                    "mod_attr",
                    "x = geo_utils.",
                    ("haversine_km", "bearing_deg", "clip_to_bbox", "EARTH_RADIUS_KM"),
                ),
                Case("constant", "cap = settings.SPEED_CA", ("P_KMH",)),
                Case(
                    "constant",
                    "inside = geo_utils.clip_to_bbox(pts, settings.",
                    ("DEFAULT_BBOX_WGS84",),
                ),
                Case("class_attr", "v = seg.mean_sp", ("eed_kmh",)),
                Case("class_attr", "bus = seg.vehicle", ("_ref",)),
                Case("kwarg", "segs = load_trip_segments('march.csv', tz", ("_name=",)),
                Case("other_notebook", "cell = h3ish_ce", ("ll_id",)),
            ),
        ),
        Notebook(
            "quick_checks.ipynb",  # imports nothing of the project yet
            ("lat0, lon0 = 52.3702, 4.8952\nlat1, lon1 = 52.0907, 5.1214",),
            (),
            (
                Case("import_module", "import geo_ut", ("ils",)),
                Case("import_module", "import trip_lo", ("ading",)),
                Case("no_import_yet", "dist = haversi", ("ne_km",)),
            ),
        ),
        Notebook(
            "analysis/peak_hours.ipynb",  # its own helper module, in the same folder
            (
                "import hour_binning",
                "from datetime import datetime\n"
                "stamps = [datetime(2024, 3, 4, 8, 5), datetime(2024, 3, 4, 17, 40)]",
            ),
            (),
            (
                Case("relative", "slots = hour_binning.bin_by_q", ("uarter_hour",)),
                Case("relative", "from hour_binning import PEAK_", ("WINDOWS_LOCAL",)),
                Case(
                    "relative", "slots = hour_binning.bin_by_quarter_hour(stamps, tz", ("_name=",)
                ),
            ),
        ),
        Notebook(
            "analysis/weekday_split.ipynb",  # unrun import of the folder's module
            (),
            ("import hour_binning as hb", "from datetime import datetime"),
            (
                Case("relative", "peak = hb.is_peak", ("_slot",)),
                Case("relative", "import hour_bi", ("nning",)),
            ),
        ),
        Notebook(
            "snapping.ipynb",  # route_snapping.py is written after the server started
            ("import route_snapping", "pts = [(52.37, 4.89), (52.38, 4.90)]"),
            (),
            (
                Case("new_file", "snapped = route_snapping.snap_to", ("_road_graph",)),
                Case("new_file", "from route_snapping import ROAD_CL", ("ASSES_KEPT",)),
                Case(
                    "new_file",
                    "snapped = route_snapping.snap_to_road_graph(pts, max_sn",
                    ("ap_m=",),
                ),
            ),
            late=(("route_snapping.py", GEO_ROUTE_SNAPPING),),
        ),
    ),
)

# --------------------------------------------------------------------------- ML training

ML_MODELS = '''"""Configuration objects of the training runs (the network code is in nets/)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class TrainerSettings:
    learning_rate: float = 3e-4
    grad_clip_norm: float = 1.0
    warmup_ratio: float = 0.06
    eval_every_steps: int = 250
    checkpoint_dir: str = "checkpoints/"
    mixed_precision: bool = True


@dataclass
class ConvEncoderSpec:
    channels: tuple[int, ...] = field(default=(32, 64, 128))
    kernel_size: int = 5
    dropout_p: float = 0.1


class EarlyStopper:
    """Stops when the eval metric has not improved by ``min_delta`` for ``patience_evals``."""

    def __init__(self, patience_evals=5, min_delta=1e-3):
        self.patience_evals = patience_evals
        self.min_delta = min_delta
        self.best_metric = None
        self.bad_evals_seen = 0

    def should_stop(self, metric: float) -> bool:
        if self.best_metric is None or metric < self.best_metric - self.min_delta:
            self.best_metric = metric
            self.bad_evals_seen = 0
        else:
            self.bad_evals_seen += 1
        return self.bad_evals_seen >= self.patience_evals
'''

ML_FEATURIZE = '''"""Second version of the text featurizer (v1 lives on the archive branch)."""

from __future__ import annotations

import random
import zlib

STOPWORDS_NL_EXTRA = frozenset({"eigenlijk", "gewoon", "nou", "toch"})


def hashed_ngram_ids(text, n_buckets=2**18, ngram_range=(1, 2)):
    """Bucket ids of the word n-grams of ``text``."""
    words = text.lower().split()
    ids = []
    for n in range(ngram_range[0], ngram_range[1] + 1):
        for i in range(len(words) - n + 1):
            ids.append(zlib.crc32(" ".join(words[i : i + n]).encode()) % n_buckets)
    return ids


def build_token_batches(
    texts, tokenizer, max_tokens_per_batch=4096, shuffle_seed=17, pad_to_multiple=8
):
    """Batches of tokenized texts of at most ``max_tokens_per_batch`` tokens (padded)."""
    order = list(range(len(texts)))
    random.Random(shuffle_seed).shuffle(order)
    batches, cur, size = [], [], 0
    for i in order:
        toks = tokenizer(texts[i])
        n = -(-len(toks) // pad_to_multiple) * pad_to_multiple
        if cur and size + n > max_tokens_per_batch:
            batches.append(cur)
            cur, size = [], 0
        cur.append(toks)
        size += n
    return batches + ([cur] if cur else [])
'''

ML_SCHEDULES = '''"""Learning-rate schedules (multipliers of the base rate)."""

import math


def linear_warmup_cosine(step, total_steps, warmup_steps, floor_lr_ratio=0.05):
    if step < warmup_steps:
        return step / max(1, warmup_steps)
    progress = (step - warmup_steps) / max(1, total_steps - warmup_steps)
    return floor_lr_ratio + (1 - floor_lr_ratio) * 0.5 * (1 + math.cos(math.pi * progress))


def inverse_sqrt_decay(step, warmup_steps=4000):
    return min((step + 1) / warmup_steps, (warmup_steps / (step + 1)) ** 0.5)
'''

# schedules.py as it is after an edit made while the server runs (a function added)
ML_SCHEDULES_EDITED = (
    ML_SCHEDULES
    + """

def step_decay_with_restarts(step, drop_every=2000, drop_factor=0.5, restart_every=10000):
    return drop_factor ** ((step % restart_every) // drop_every)
"""
)

ML_AUGMENT = '''"""SpecAugment-style masking of log-mel frames (lists of lists, frames x mels)."""

import random


def time_mask_frames(frames, max_mask_frames=30, n_masks=2, seed=None):
    """A copy of ``frames`` with ``n_masks`` runs of frames zeroed."""
    rng = random.Random(seed)
    out = [list(f) for f in frames]
    for _ in range(n_masks):
        width = rng.randint(0, max_mask_frames)
        start = rng.randint(0, max(0, len(out) - width))
        for t in range(start, min(len(out), start + width)):
            out[t] = [0.0] * len(out[t])
    return out
'''

ML_EDA = ipynb(
    ("markdown", "## Label EDA\n\nHow balanced are the annotator labels?"),
    ("code", "import json\nimport random\nfrom collections import Counter"),
    (
        "code",
        "def stratified_label_sample(rows, per_label_n=50, seed=0):\n"
        "    by_label = {}\n"
        "    for r in rows:\n"
        "        by_label.setdefault(r['label'], []).append(r)\n"
        "    rng = random.Random(seed)\n"
        "    return [x for rs in by_label.values() for x in rng.sample(rs, min(per_label_n, "
        "len(rs)))]",
    ),
    (
        "code",
        "class LabelAudit:\n"
        "    def __init__(self, rows):\n"
        "        self.rows = rows\n"
        "        self.disagreement_rate = sum(r['a1'] != r['a2'] for r in rows) / len(rows)\n"
        "        self.ambiguous_ids = [r['id'] for r in rows if r['a1'] != r['a2']]",
    ),
    (
        "code",
        "rows = [json.loads(line) for line in open('labels.jsonl')]\n"
        "Counter(r['label'] for r in rows)",
    ),
)

ML = Project(
    "ml",
    (
        ("models.py", ML_MODELS),
        ("featurize_v2.py", ML_FEATURIZE),
        ("schedules.py", ML_SCHEDULES),
        ("eda_labels.ipynb", ML_EDA),
        ("requirements.txt", "numpy\ntorch\n"),
    ),
    (
        Notebook(
            "train.ipynb",  # the imports and the objects were run
            (
                "from models import TrainerSettings, EarlyStopper",
                "cfg = TrainerSettings()\nstopper = EarlyStopper()",
                "import featurize_v2\nfrom featurize_v2 import build_token_batches\n"
                "from schedules import linear_warmup_cosine\n"
                "texts = ['de kat zat', 'op de mat']\ntok = str.split\nstep = 0",
            ),
            (),
            (
                Case("class_attr", "clip = cfg.grad_cl", ("ip_norm",)),
                Case("class_attr", "every = cfg.eval_every", ("_steps",)),
                Case(
                    "class_attr",
                    "if stopper.bad_evals_seen > stopper.pati",
                    ("ence_evals",),
                ),
                Case(
                    "kwarg",
                    "batches = build_token_batches(texts, tok, max_tok",
                    ("ens_per_batch=",),
                ),
                Case(
                    "kwarg", "lr = linear_warmup_cosine(step, 10_000, 600, floor", ("_lr_ratio=",)
                ),
                Case("mod_attr", "ids = featurize_v2.hashed_", ("ngram_ids",)),
                Case("from_import", "from schedules import inverse_sq", ("rt_decay",)),
            ),
        ),
        Notebook(
            "sweep.ipynb",  # the same imports, never run
            ("import itertools",),
            (
                "from models import TrainerSettings, EarlyStopper, ConvEncoderSpec",
                "cfg = TrainerSettings(learning_rate=1e-4)\n"
                "es = EarlyStopper(patience_evals=3)\nspec = ConvEncoderSpec()",
                "import schedules",
            ),
            (
                Case("class_attr", "amp = cfg.mixed_pre", ("cision",)),
                Case("class_attr", "drop = spec.dropout", ("_p",)),
                Case("class_attr", "ckpt = cfg.", ("checkpoint_dir",)),
                Case(
                    "class_attr",
                    "class PatientStopper(EarlyStopper):\n"
                    "    def should_stop(self, metric):\n"
                    "        if self.bad_ev",
                    ("als_seen",),
                ),
                Case("mod_attr", "lr = schedules.linear_w", ("armup_cosine",)),
                Case("kwarg", "es2 = EarlyStopper(patience_evals=8, min_", ("delta=",)),
                Case("import_module", "import featurize_", ("v2",)),
                Case("other_notebook", "sample = stratified_lab", ("el_sample",)),
                Case(
                    "other_notebook",
                    "audit = LabelAudit(rows)\nprint(audit.disagree",
                    ("ment_rate",),
                ),
            ),
        ),
        Notebook(
            "augment.ipynb",  # augment_specaug.py new, schedules.py edited, after the start
            (),
            ("import augment_specaug", "x = [[0.1] * 80 for _ in range(400)]"),
            (
                Case("new_file", "masked = augment_specaug.time_mask", ("_frames",)),
                Case("new_file", "from augment_specaug import time_ma", ("sk_frames",)),
                Case(
                    "new_file",
                    "masked = augment_specaug.time_mask_frames(x, max_mask",
                    ("_frames=",),
                ),
                Case("new_file", "from schedules import step_decay_w", ("ith_restarts",)),
                Case("no_import_yet", "stopper = EarlyStop", ("per",)),
            ),
            late=(("augment_specaug.py", ML_AUGMENT), ("schedules.py", ML_SCHEDULES_EDITED)),
        ),
    ),
)

# --------------------------------------------------------------------------- retail package

SHOP_DISCOUNTS = '''"""Discount rules of the 2024 price list."""

from __future__ import annotations

# (minimum quantity, discount) per tier, ascending
BULK_TIER_THRESHOLDS = ((10, 0.05), (50, 0.12), (200, 0.18))


def apply_tiered_discount(unit_price_eur, quantity, tiers=BULK_TIER_THRESHOLDS, *,
                          round_to_cents=True):
    """The line total after the bulk discount of the highest tier reached."""
    rate = 0.0
    for min_qty, r in tiers:
        if quantity >= min_qty:
            rate = r
    total = unit_price_eur * quantity * (1 - rate)
    return round(total, 2) if round_to_cents else total


def loyalty_multiplier(years_as_member, cap=0.15):
    """Extra discount of a loyal customer: 1 % per year, capped."""
    return 1.0 - min(cap, 0.01 * years_as_member)
'''

SHOP_VAT = '''"""VAT by country (EU, 2024)."""

VAT_RATES_BY_COUNTRY = {"NL": 0.21, "BE": 0.21, "DE": 0.19, "FR": 0.20}
REDUCED_RATE_CATEGORIES = frozenset({"books", "food"})


def gross_from_net(net_eur, country_code, category=None):
    rate = VAT_RATES_BY_COUNTRY[country_code]
    if category in REDUCED_RATE_CATEGORIES:
        rate = 0.09
    return round(net_eur * (1 + rate), 2)
'''

SHOP_INVENTORY = '''"""Stock per warehouse."""

from __future__ import annotations


class StockLedger:
    """On-hand units per SKU of one warehouse."""

    def __init__(self, warehouse_code: str, reorder_point: int = 25) -> None:
        self.warehouse_code = warehouse_code
        self.reorder_point = reorder_point
        self.on_hand_units: dict[str, int] = {}
        self.pending_transfers: list[tuple[str, int]] = []

    def record_receipt(self, sku: str, units: int) -> None:
        self.on_hand_units[sku] = self.on_hand_units.get(sku, 0) + units

    def units_below_reorder(self) -> list[str]:
        return [s for s, n in self.on_hand_units.items() if n < self.reorder_point]
'''

SHOP_BARCODE = '''"""GS1 barcodes: GTIN check digits and element strings."""


def gtin14_check_digit(body13: str) -> int:
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body13)))
    return (10 - total % 10) % 10


def parse_gs1_element_string(raw: str) -> dict[str, str]:
    """(01)GTIN(17)expiry(10)batch -> {"01": ..., "17": ..., "10": ...}."""
    out = {}
    for part in raw.split("(")[1:]:
        ai, _, value = part.partition(")")
        out[ai] = value
    return out
'''

SHOP_SKU_NB = ipynb(
    ("markdown", "# SKU clean-up\n\nThe supplier feeds spell SKUs five different ways."),
    ("code", "import re"),
    ("code", "SKU_PATTERN_STRICT = re.compile(r'^[A-Z]{3}-\\d{5}$')"),
    (
        "code",
        "def normalise_sku_codes(raw_codes, strip_prefix='SKU-', upper=True):\n"
        "    out = []\n"
        "    for code in raw_codes:\n"
        "        code = code.strip()\n"
        "        code = code.upper() if upper else code\n"
        "        if code.startswith(strip_prefix):\n"
        "            code = code[len(strip_prefix):]\n"
        "        out.append(code)\n"
        "    return out",
    ),
    ("code", "normalise_sku_codes([' sku-00123 ', 'SKU-00999'])"),
)

SHOP = Project(
    "shop",
    (
        ("shop/__init__.py", '"""Retail analytics of the webshop."""\n\n__version__ = "0.4.1"\n'),
        ("shop/pricing/__init__.py", '"""Prices: discounts and VAT."""\n'),
        ("shop/pricing/discounts.py", SHOP_DISCOUNTS),
        ("shop/pricing/vat.py", SHOP_VAT),
        ("shop/inventory.py", SHOP_INVENTORY),
        ("shop/catalog/__init__.py", ""),
        ("shop/catalog/barcode_gs1.py", SHOP_BARCODE),
        ("sku_cleanup.ipynb", SHOP_SKU_NB),
        ("pyproject.toml", '[project]\nname = "shop"\nversion = "0.4.1"\n'),
    ),
    (
        Notebook(
            "margins.ipynb",
            (
                "import shop.inventory\nfrom shop.pricing import discounts",
                "ledger = shop.inventory.StockLedger('AMS-2')",
                "raw = [' sku-00123 ', 'SKU-00999']",
            ),
            ("from shop.pricing import vat",),
            (
                Case(
                    "from_import", "from shop.pricing.discounts import appl", ("y_tiered_discount",)
                ),
                Case("from_import", "from shop.pricing.vat import gross_", ("from_net",)),
                Case(
                    "from_import",
                    "from shop.catalog.barcode_gs1 import gtin",
                    ("14_check_digit",),
                ),
                Case("mod_attr", "price = discounts.apply_t", ("iered_discount",)),
                Case("constant", "tiers = discounts.BULK_", ("TIER_THRESHOLDS",)),
                Case("constant", "rate = vat.VAT_RA", ("TES_BY_COUNTRY",)),
                Case("class_attr", "low = ledger.units_be", ("low_reorder",)),
                Case("class_attr", "ledger.reorder", ("_point",)),
                Case("class_attr", "stock = ledger.on_hand", ("_units",)),
                Case(
                    "kwarg",
                    "p = discounts.apply_tiered_discount(4.99, 120, round",
                    ("_to_cents=",),
                ),
                Case("other_notebook", "clean = normalise_sku_co", ("des",)),
                Case(
                    "other_notebook",
                    "codes = normalise_sku_codes(raw, strip_pre",
                    ("fix=",),
                ),
            ),
        ),
        Notebook(
            "returns.ipynb",  # imports nothing of the package yet
            ("returns = [('SKU-00123', 2), ('SKU-00999', 1)]",),
            (),
            (
                Case("import_module", "from shop.pricing import disc", ("ounts",)),
                Case("import_module", "import shop.inven", ("tory",)),
                Case("import_module", "from shop.catalog import barcode_", ("gs1",)),
                Case("no_import_yet", "m = loyalty_", ("multiplier",)),
            ),
        ),
    ),
)

# --------------------------------------------------------------------------- survey project

SURVEY_WEIGHTS = '''"""Survey weights: raking to population margins, trimming."""

from __future__ import annotations


def rake_weights(df, margins, max_iter=50, convergence_tol=1e-6):
    """Iterative proportional fitting of weights to ``margins`` ({column: {level: share}})."""
    w = [1.0] * len(df)
    for _ in range(max_iter):
        worst = 0.0
        for col, shares in margins.items():
            total = sum(w)
            for level, share in shares.items():
                idx = [i for i, v in enumerate(df[col]) if v == level]
                have = sum(w[i] for i in idx) / total
                if have:
                    for i in idx:
                        w[i] *= share / have
                worst = max(worst, abs(have - share))
        if worst < convergence_tol:
            break
    return w


def trim_extreme_weights(weights, upper_quantile=0.99):
    cut = sorted(weights)[int(upper_quantile * (len(weights) - 1))]
    return [min(w, cut) for w in weights]
'''

SURVEY_CODEBOOK = '''"""Codebook of the panel questionnaire."""

LIKERT_FIVE_LABELS = (
    "helemaal oneens", "oneens", "neutraal", "eens", "helemaal eens",
)
MISSING_CODES = frozenset({-9, -8, 99})


def recode_likert(values, reverse=False):
    """1..5 answers as 0..4 (reversed for negatively worded items); missing codes -> None."""
    out = []
    for v in values:
        if v in MISSING_CODES:
            out.append(None)
        else:
            out.append(5 - v if reverse else v - 1)
    return out
'''

SURVEY_PLOT_STYLE = '''"""The house style of the report figures (this folder's notebooks)."""

PALETTES = {"tol_bright": ["#4477AA", "#EE6677", "#228833", "#CCBB44"]}


def apply_house_style(ax, palette_name="tol_bright", grid=True):
    ax.set_prop_cycle(color=PALETTES[palette_name])
    ax.grid(grid, alpha=0.3)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return ax
'''

SURVEY_LOAD = ipynb(
    ("markdown", "# 01 Load the wave exports"),
    ("code", "import csv"),
    (
        "code",
        "def read_wave_export(path, wave_label, encoding='cp1252'):\n"
        "    with open(path, encoding=encoding, newline='') as f:\n"
        "        rows = list(csv.DictReader(f, delimiter=';'))\n"
        "    for r in rows:\n"
        "        r['wave'] = wave_label\n"
        "    return rows",
    ),
    ("code", "wave1 = read_wave_export('exports/wave1.csv', 'W1')\nlen(wave1)"),
)

SURVEY_WEIGHTING = ipynb(
    ("markdown", "# 02 Weighting"),
    ("code", "import sys\nsys.path.insert(0, '../src')\nfrom survey_tools import weights"),
    (
        "code",
        "class WeightingReport:\n"
        "    def __init__(self, w):\n"
        "        n = len(w)\n"
        "        self.effective_n = sum(w) ** 2 / sum(x * x for x in w)\n"
        "        self.design_effect = n / self.effective_n\n"
        "        self.max_weight = max(w)",
    ),
)

SURVEY = Project(
    "survey",
    (
        ("src/survey_tools/__init__.py", '"""Tools of the panel survey analysis."""\n'),
        ("src/survey_tools/weights.py", SURVEY_WEIGHTS),
        ("src/survey_tools/codebook.py", SURVEY_CODEBOOK),
        ("notebooks/plot_style.py", SURVEY_PLOT_STYLE),
        ("notebooks/01_load.ipynb", SURVEY_LOAD),
        ("notebooks/02_weighting.ipynb", SURVEY_WEIGHTING),
        ("pyproject.toml", '[project]\nname = "survey-tools"\nversion = "0.1.0"\n'),
    ),
    (
        Notebook(
            "notebooks/03_report.ipynb",
            (
                "import sys\nsys.path.insert(0, '../src')",
                "from survey_tools import weights\nimport plot_style",
                "df = {'gender': ['m', 'v', 'v'], 'region': ['n', 'z', 'z']}\n"
                "margins = {'gender': {'m': 0.49, 'v': 0.51}}",
            ),
            (),
            (
                Case("mod_attr", "w = weights.trim_ex", ("treme_weights",)),
                Case("kwarg", "w = weights.rake_weights(df, margins, conv", ("ergence_tol=",)),
                Case("from_import", "from survey_tools.codebook import LIKERT_", ("FIVE_LABELS",)),
                Case("import_module", "from survey_tools import codeb", ("ook",)),
                Case("relative", "ax = plot_style.apply_house", ("_style",)),
                Case("other_notebook", "wave2 = read_wave_ex", ("port",)),
                Case(
                    "other_notebook",
                    "wave3 = read_wave_export('exports/wave3.csv', 'W3', enc",
                    ("oding=",),
                ),
                Case("no_import_yet", "answers = recode_lik", ("ert",)),
            ),
        ),
        Notebook(
            "notebooks/04_appendix.ipynb",  # `%run` of another notebook, never run here
            (),
            ("%run ./02_weighting.ipynb", "w = [1.0, 0.8, 1.4]"),
            (
                Case("other_notebook", "rep = WeightingRep", ("ort",)),
                Case(
                    "other_notebook",
                    "rep = WeightingReport(w)\nprint(rep.design_",
                    ("effect",),
                ),
                Case("relative", "import plot_st", ("yle",)),
            ),
        ),
    ),
)

PROJECTS = (GEO, ML, SHOP, SURVEY)


def _hit(case: Case, text: str) -> bool:
    return text.startswith(case.expect)


def _write(root: Path, files: tuple[tuple[str, str], ...]) -> None:
    for rel, text in files:
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")


async def _ask(ws, rid: str, message: dict) -> tuple[float | None, dict]:
    """Send a complete; (ms to its first chunk or end, its done or error message).

    Unlike e2e_ws.first_chunk this does not assert: an error (with our id, or with none: a
    message the server could not read) and a timeout come back as the end message.
    """
    sent = time.perf_counter()
    ws.write_message(json.dumps({**message, "id": rid}))
    first = None
    deadline = time.monotonic() + ASK_TIMEOUT_S
    while True:
        left = deadline - time.monotonic()
        try:
            raw = await asyncio.wait_for(ws.read_message(), max(0.1, left))
        except TimeoutError:
            return first, {"type": "error", "code": "timeout", "message": "no done in time"}
        if raw is None:
            return first, {"type": "error", "code": "closed", "message": "websocket closed"}
        m = json.loads(raw)
        ours = m.get("id") == rid or (m.get("type") == "error" and "id" not in m)
        if not ours:
            continue
        if first is None and m.get("type") in ("chunk", "done", "error"):
            first = (time.perf_counter() - sent) * 1000
        if m.get("type") in ("done", "error"):
            return first, m


async def _notebook(server: Server, root: Path, project: str, nb: Notebook, turn: int):
    if nb.late:  # written while the server runs: the index must notice them on disk
        _write(root, nb.late)
        await asyncio.sleep(LATE_WAIT_S)
    name = nb.path.rsplit("/", 1)[-1]
    session = http(
        server.base + "api/sessions",
        server.token,
        "POST",
        {"path": nb.path, "type": "notebook", "name": name, "kernel": {"name": "python3"}},
    )
    kernel_id = session["kernel"]["id"]
    for code in nb.cells:
        await run_cell(server.base_ws, server.token, kernel_id, code)
    await asyncio.sleep(1.5)  # the server snapshots the kernel after executions (debounced)
    ws = await server.spark_ws()
    sources = [*nb.cells, *nb.static]
    cells = [{"id": f"c{i}", "cell_type": "code", "source": s} for i, s in enumerate(sources)]
    out = []
    for j, case in enumerate(nb.cases):
        cur = {"id": "cur", "cell_type": "code", "source": case.prefix}
        ws.write_message(json.dumps({"type": "sync", "path": nb.path, "cells": [*cells, cur]}))
        row = {
            "project": project,
            "notebook": nb.path,
            "kind": case.kind,
            "prefix": case.prefix,
            "expect": list(case.expect),
            "run": bool(nb.cells),
        }
        # the second request of a cursor finds the prompt cached: the order alternates
        sides = ("off", "on") if (turn + j) % 2 == 0 else ("on", "off")
        for side in sides:
            req = {
                "type": "complete",
                "prefix": case.prefix,
                "suffix": "",
                "path": nb.path,
                "cell_id": "cur",
                "kernel_id": kernel_id,
                "project": side == "on",
            }
            first_ms, end = await _ask(ws, f"{project}-{nb.path}-{j}-{side}", req)
            text = end.get("text", "") if end.get("type") == "done" else ""
            stats = end.get("stats", {}) or {}
            row[side] = {
                "text": text,
                "hit": end.get("type") == "done" and _hit(case, text),
                "ttft_ms": stats.get("ttft_ms"),
                "first_ms": first_ms,
                "grounded": stats.get("grounded", ""),
                "error": None if end.get("type") == "done" else end.get("code", "error"),
                "error_message": None if end.get("type") == "done" else end.get("message"),
            }
        out.append(row)
    ws.close()
    with contextlib.suppress(ValueError, OSError):  # (204: no body)
        http(server.base + f"api/sessions/{session['id']}", server.token, "DELETE")
    return out


async def _project(args: argparse.Namespace, project: Project, turn: int) -> tuple[list, dict]:
    root = Path(tempfile.mkdtemp(prefix=f"spark-project-{project.name}-"))
    sources = [
        (nb.path, ipynb(*(("code", s) for s in (*nb.cells, *nb.static))))
        for nb in project.notebooks
    ]
    _write(root, (*project.files, *sources))  # all before the server starts
    server = Server(args.model, root=str(root))
    rows: list[dict] = []
    try:
        await server.ready()
        await asyncio.sleep(LATE_WAIT_S)  # the first index build runs in the background
        status = http(server.base + "spark/status", server.token).get("project")
        for nb in project.notebooks:
            rows.extend(await _notebook(server, root, project.name, nb, turn + len(rows)))
        status_end = http(server.base + "spark/status", server.token).get("project")
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
    return rows, {"start": status, "end": status_end}


async def bench(args: argparse.Namespace) -> tuple[list[dict], dict]:
    rows: list[dict] = []
    statuses = {}
    for project in PROJECTS:
        if args.only and project.name not in args.only:
            continue
        rs, statuses[project.name] = await _project(args, project, len(rows))
        rows.extend(rs)
    return rows, statuses


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=None, help="model dir/GGUF (default: the default model)")
    ap.add_argument("--json", action="store_true", help="print the rows as JSON too")
    ap.add_argument("--verbose", action="store_true", help="list the misses, on and off text")
    ap.add_argument(
        "--only",
        action="append",
        choices=[p.name for p in PROJECTS],
        help="run only this project (repeatable)",
    )
    args = ap.parse_args()
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    t0 = time.monotonic()
    rows, statuses = asyncio.run(bench(args))
    table, on, off = common.ab_rows(rows)
    n_nb = sum(len(p.notebooks) for p in PROJECTS if not args.only or p.name in args.only)
    print(
        f"\nProject completions: {len(rows)} cursors in {n_nb} notebooks of "
        f"{len(statuses)} projects, real server and kernels"
    )
    head = ["site kind", "cases", "hit project on", "hit off", "TTFT p50 ms on", "off"]
    print(common.table(head, table))
    errors = {side: sum(1 for r in rows if r[side]["error"]) for side in ("on", "off")}
    if any(errors.values()):
        codes = sorted({r[s]["error"] for r in rows for s in ("on", "off") if r[s]["error"]})
        print(f"errors: {errors['on']} on, {errors['off']} off ({', '.join(codes)})")
    print(
        f"overall: {on:.0%} with the project on, {off:.0%} off; target >= {TARGET_HIT:.0%} on "
        f"({'PASS' if on >= TARGET_HIT else 'FAIL'}); {time.monotonic() - t0:.0f} s"
    )
    if args.verbose:
        for r in rows:
            if not r["on"]["hit"] or not r["off"]["hit"]:
                err = {s: r[s]["error"] for s in ("on", "off") if r[s]["error"]}
                print(
                    f"  {'miss' if not r['on']['hit'] else 'off-miss'} [{r['kind']}] "
                    f"{r['project']}/{r['notebook']} {r['prefix']!r} (want {r['expect'][0]!r})\n"
                    f"      on: {r['on']['text']!r}\n     off: {r['off']['text']!r}"
                    + (f"\n     errors: {err}" if err else "")
                )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    summary = {
        "cases": len(rows),
        "hit_on": on,
        "hit_off": off,
        "target_on": TARGET_HIT,
        "by_kind": {t[0]: {"n": int(t[1]), "on": t[2], "off": t[3]} for t in table},
        "index_status": statuses,
    }
    RESULTS.write_text(json.dumps({"summary": summary, "rows": rows}, indent=1))
    if args.json:
        json.dump(rows, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
