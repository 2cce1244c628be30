"""Grounded completions: hit rate where only the kernel or another cell knows the answer.

Each notebook below is a small analysis as people write them: its cells run in a real kernel
through a real `jupyter server` (the default model), then the benchmark types a new cell up to
a cursor whose right continuation is a name the kernel or the cells hold (a column, a key, an
attribute, a keyword, a module) and asks `spark/ws` for a completion as JupyterLab does (sync,
then `complete` with path, cell id and kernel id). Each cursor is asked twice, with the
request's `grounding` on and off: same server, same prompt, same engine. A hit is a suggestion
that starts with the right name (and, for keys, its closing quote); where nothing is typed yet
and the notebook does not say which name comes next, any name that exists counts (a DataFrame's
columns after `x = df['`): the failure measured is a name that does not exist.

How the cases were written: from the notebook user's side (what one types next in such a
notebook), with names a model cannot guess (`unit_price_eur`, `warmup_steps`), not from the
rules. They were written by the engineer who wrote the rules, after them, because the
independent write-up planned for it did not arrive; the unseen suites run against `spark/ws`
are the independent check.

    python benchmarks/grounded.py [--model PATH] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
import time
from dataclasses import dataclass

if __package__ in (None, ""):  # python benchmarks/grounded.py
    import common  # type: ignore[import-not-found, no-redef]
    from e2e_ws import Server, first_chunk, http, run_cell  # type: ignore[import-not-found]
else:  # python -m benchmarks.grounded
    from . import common
    from .e2e_ws import Server, first_chunk, http, run_cell

RESULTS = common.RESULTS_DIR / "grounded.json"
TARGET_HIT = 0.90  # with grounding
TARGET_RATIO = 2.0  # with / without


@dataclass(frozen=True)
class Case:
    kind: str  # the site kind, for the table
    prefix: str  # the new cell up to the cursor
    expect: tuple[str, ...]  # a hit starts with one of these


@dataclass(frozen=True)
class Notebook:
    name: str
    cells: tuple[str, ...]  # run in the kernel, in order
    static: tuple[str, ...]  # cells in the notebook that were not run
    cases: tuple[Case, ...]


SHIPMENT_COLUMNS = (
    "origin_port'",
    "dest_port'",
    "weight_kg'",
    "eta_days'",
    "carrier_code'",
    "cost_per_kg'",
)

NOTEBOOKS = (
    Notebook(
        "shipping",
        (
            "import pandas as pd\nimport numpy as np",
            "shipments = pd.DataFrame({\n"
            "    'origin_port': ['Rotterdam', 'Hamburg', 'Antwerp'],\n"
            "    'dest_port': ['Shanghai', 'Singapore', 'Busan'],\n"
            "    'weight_kg': [1200.5, 830.0, 2210.2],\n"
            "    'eta_days': [31, 27, 35],\n"
            "    'carrier_code': ['MSK', 'CMA', 'HLC'],\n"
            "})",
            "shipments['cost_per_kg'] = shipments['weight_kg'] * 0.12",
        ),
        (),
        (
            Case("column", "heavy = shipments[shipments['", ("weight_kg'",)),
            Case("column", "late = shipments[shipments['", ("eta_days'",)),
            Case(
                "column",
                "shipments.groupby('carrier_code')['",
                ("weight_kg'", "eta_days'", "cost_per_kg'"),
            ),
            Case("column", "shipments.loc[:, '", SHIPMENT_COLUMNS),
            Case(
                "column",
                "ports = shipments[['origin_port', '",
                ("dest_port'", "weight_kg'", "eta_days'", "carrier_code'", "cost_per_kg'"),
            ),
            Case("column", "by_carrier = shipments.groupby('carr", ("ier_code'",)),
            Case("column", "mean_weight = shipments['weight", ("_kg'",)),
            Case(
                "column",
                "x = shipments['",
                (
                    "origin_port'",
                    "dest_port'",
                    "weight_kg'",
                    "eta_days'",
                    "carrier_code'",
                    "cost_per_kg'",
                ),
            ),
            Case("attr_object", "shipments.eta", ("_days",)),
            Case("name", "print(shipm", ("ents",)),
        ),
    ),
    Notebook(
        "training",
        (
            "import json\n"
            "config = json.loads('''{\n"
            '  "learning_rate": 0.0003,\n'
            '  "warmup_steps": 500,\n'
            '  "optimizer": {"name": "adamw", "beta_two": 0.999, "weight_decay": 0.01},\n'
            '  "data": {"train_path": "train.jsonl", "max_seq_len": 512}\n'
            "}''')",
            "history = {'train_loss': [2.1, 1.7, 1.4], 'val_loss': [2.2, 1.9, 1.8]}",
            "def cosine_schedule(step, total_steps, warmup_steps=0, min_lr_ratio=0.1):\n"
            "    return step / max(1, total_steps)",
        ),
        (),
        (
            Case("dict_key", "lr = config['", ("learning_rate'",)),
            Case("dict_key", "steps = config['", ("warmup_steps'",)),
            Case("nested_key", "wd = config['optimizer']['", ("weight_decay'",)),
            Case("nested_key", "b2 = config['optimizer']['beta", ("_two'",)),
            Case("nested_key", "seq = config['data']['", ("max_seq_len'", "train_path'")),
            Case("dict_key", "plt_data = history['", ("val_loss'", "train_loss'")),
            Case("dict_key", "best = min(history['train", ("_loss'",)),
            Case("kwarg", "lr_now = cosine_schedule(10, 1000, warm", ("up_steps=",)),
            Case(
                "kwarg", "lr_now = cosine_schedule(10, 1000, warmup_steps=50, min", ("_lr_ratio=",)
            ),
            Case("name", "sched = cosine_sch", ("edule",)),
        ),
    ),
    Notebook(
        "sensors",
        (
            "import numpy as np\nimport pandas as pd",
            "readings = pd.Series([21.4, 19.8, 23.1],\n"
            "                     index=['boiler_room', 'north_wing', 'atrium'])",
            "import io\nbuf = io.BytesIO()\n"
            "np.savez(buf, calibration_matrix=np.eye(3), drift_offsets=np.zeros(3))\n"
            "buf.seek(0)\narchive = np.load(buf)",
            "thresholds = {'boiler_room': 25.0, 'north_wing': 22.0, 'atrium': 24.0}",
        ),
        (),
        (
            Case("series_label", "t = readings['", ("boiler_room'", "north_wing'", "atrium'")),
            Case("series_label", "t2 = readings.loc['nor", ("th_wing'",)),
            Case("npz_key", "m = archive['", ("calibration_matrix'", "drift_offsets'")),
            Case("npz_key", "d = archive['dri", ("ft_offsets'",)),
            Case("dict_key", "limit = thresholds['", ("boiler_room'", "north_wing'", "atrium'")),
            Case("attr_module", "x = np.linsp", ("ace",)),
            Case("attr_module", "q = np.percen", ("tile",)),
            Case("attr_module", "inv = np.linalg.pi", ("nv",)),
            Case("name", "over = readings > thresh", ("olds",)),
        ),
    ),
    Notebook(
        "fleet",
        (
            "from dataclasses import dataclass",
            "@dataclass\nclass Vessel:\n    imo_number: int\n    capacity_teu: int\n"
            "    flag_state: str = 'NL'\n\n"
            "    def utilisation(self, loaded_teu):\n        return loaded_teu / self.capacity_teu",
            "class Voyage:\n    def __init__(self, vessel, departure_port, arrival_port):\n"
            "        self.vessel = vessel\n        self.departure_port = departure_port\n"
            "        self.arrival_port = arrival_port\n        self.legs_completed = 0\n\n"
            "    def advance_leg(self):\n        self.legs_completed += 1",
            "ever_given = Vessel(9811000, 20124)\n"
            "trip = Voyage(ever_given, 'Tanjung Pelepas', 'Rotterdam')",
        ),
        (),
        (
            Case("attr_object", "u = ever_given.utili", ("sation",)),
            Case(
                "attr_object",
                "cap = ever_given.",
                ("capacity_teu", "imo_number", "flag_state", "utilisation"),
            ),
            Case(
                "attr_object",
                "print(trip.",
                ("vessel", "departure_port", "arrival_port", "legs_completed", "advance_leg"),
            ),
            Case("attr_object", "trip.advance", ("_leg",)),
            Case("attr_object", "n = trip.legs", ("_completed",)),
            Case("kwarg", "v2 = Vessel(9000001, capacity_teu=8000, fla", ("g_state=",)),
            Case("kwarg", "t2 = Voyage(ever_given, arrival", ("_port=",)),
            Case("name", "ships = [ever_", ("given",)),
        ),
    ),
    Notebook(
        "unrun-cells",  # the defining cells are in the notebook but were never run
        ("import pandas as pd",),
        (
            "SEGMENT_RULES = {'high_value': 1000, 'churn_risk': 0.35, 'dormant_days': 90}",
            "class CustomerProfile:\n    def __init__(self, customer_id, signup_channel):\n"
            "        self.customer_id = customer_id\n"
            "        self.signup_channel = signup_channel\n"
            "        self.lifetime_value = 0.0\n\n"
            "    def add_order(self, amount_eur):\n        self.lifetime_value += amount_eur",
            "def score_customer(profile, recency_days, frequency, monetary_eur):\n    return 0",
            "alice = CustomerProfile('c-001', 'newsletter')",
        ),
        (
            Case(
                "dict_key",
                "cutoff = SEGMENT_RULES['",
                ("high_value'", "churn_risk'", "dormant_days'"),
            ),
            Case("dict_key", "risk = SEGMENT_RULES['churn", ("_risk'",)),
            Case("attr_cell_class", "alice.add", ("_order",)),
            Case("attr_cell_class", "ltv = alice.lifet", ("ime_value",)),
            Case(
                "attr_cell_class",
                "ch = alice.",
                ("customer_id", "signup_channel", "lifetime_value", "add_order"),
            ),
            Case("kwarg", "s = score_customer(alice, 12, 3, monet", ("ary_eur=",)),
            Case("kwarg", "s = score_customer(alice, recency_days=3, freq", ("uency=",)),
            Case("name", "p = CustomerPro", ("file",)),
        ),
    ),
    Notebook(
        "imports",
        ("import os",),
        (),
        (
            Case("import", "import itertoo", ("ls",)),
            Case("import", "import collec", ("tions",)),
            Case("import", "import stati", ("stics",)),
            Case("from_import", "from collections import Orde", ("redDict",)),
            Case("from_import", "from itertools import combina", ("tions",)),
            Case("from_import", "from pathlib import Pa", ("th",)),
            Case("import", "import os.pa", ("th",)),
            Case("attr_module", "cwd = os.getc", ("wd",)),
        ),
    ),
    Notebook(
        "retail",
        (
            "import pandas as pd",
            "sales = pd.DataFrame({'store_id': [1, 2], 'unit_price_eur': [2.5, 3.1],\n"
            "                      'n_returns': [0, 3], 'promo_flag': [True, False]})",
            "def margin(df, cost_col='unit_cost_eur', price_col='unit_price_eur', *,\n"
            "           vat_rate=0.21):\n"
            "    return df[price_col]",
            "store_names = {1: 'Utrecht Centraal', 2: 'Amsterdam Zuid'}\n"
            "regions = {'Utrecht Centraal': 'midden', 'Amsterdam Zuid': 'noord'}",
        ),
        (),
        (
            Case("column", "returned = sales[sales['", ("n_returns'",)),
            Case("column", "promo = sales.loc[sales['promo", ("_flag'",)),
            Case("column", "avg_price = sales['", ("unit_price_eur'",)),
            Case("kwarg", "m = margin(sales, vat", ("_rate=",)),
            Case("kwarg", "m = margin(sales, price_col='unit_price_eur', cost", ("_col=",)),
            Case("dict_key", "r = regions['Amster", ("dam Zuid'",)),
            Case("attr_object", "sales.n_ret", ("urns",)),
            Case("name", "print(store_na", ("mes",)),
        ),
    ),
    Notebook(
        "strings-and-quotes",
        (
            "lookup = {\"first name\": 'Ada', \"last name\": 'Lovelace', 'born_year': 1815}",
            "import pandas as pd\n"
            "people = pd.DataFrame({'full name': ['Ada L'], 'birth place': ['London']})",
        ),
        (),
        (
            Case("dict_key", 'fn = lookup["first', (' name"',)),
            Case("dict_key", "yr = lookup['", ("born_year'", "first name'", "last name'")),
            Case("column", "place = people['birth", (" place'",)),
            Case("column", 'nm = people["full', (' name"',)),
        ),
    ),
)


def _hit(case: Case, text: str) -> bool:
    return text.startswith(case.expect)


async def _notebook(server: Server, nb: Notebook) -> list[dict]:
    kernel_id = http(server.base + "api/kernels", server.token, "POST", {"name": "python3"})["id"]
    for code in nb.cells:
        await run_cell(server.base_ws, server.token, kernel_id, code)
    await asyncio.sleep(1.5)  # the server snapshots the kernel after executions (debounced)
    ws = await server.spark_ws()
    path = f"{nb.name}.ipynb"
    sources = [*nb.cells, *nb.static]
    cells = [{"id": f"c{i}", "cell_type": "code", "source": s} for i, s in enumerate(sources)]
    out = []
    for j, case in enumerate(nb.cases):
        cur = {"id": "cur", "cell_type": "code", "source": case.prefix}
        ws.write_message(json.dumps({"type": "sync", "path": path, "cells": [*cells, cur]}))
        row = {"notebook": nb.name, "kind": case.kind, "prefix": case.prefix}
        # off first, then on: the second request of a cursor finds the prompt cached, so the
        # order is swapped every other case to keep the time comparison fair
        sides = ("off", "on") if j % 2 == 0 else ("on", "off")
        for side in sides:
            req = {
                "type": "complete",
                "prefix": case.prefix,
                "suffix": "",
                "path": path,
                "cell_id": "cur",
                "kernel_id": kernel_id,
                "grounding": side == "on",
            }
            _, done = await first_chunk(ws, f"{nb.name}-{j}-{side}", req)
            row[side] = {
                "text": done.get("text", ""),
                "hit": _hit(case, done.get("text", "")),
                "ttft_ms": done.get("stats", {}).get("ttft_ms"),
                "grounded": done.get("stats", {}).get("grounded", ""),
            }
        out.append(row)
    ws.close()
    with contextlib.suppress(ValueError):  # (204: no body)
        http(server.base + f"api/kernels/{kernel_id}", server.token, "DELETE")
    return out


async def bench(args: argparse.Namespace) -> list[dict]:
    server = Server(args.model)
    rows: list[dict] = []
    try:
        await server.ready()
        for nb in NOTEBOOKS:
            rows.extend(await _notebook(server, nb))
    finally:
        server.stop()
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=None, help="model dir/GGUF (default: the default model)")
    ap.add_argument("--json", action="store_true", help="print the rows as JSON too")
    ap.add_argument("--misses", action="store_true", help="list the grounded misses")
    args = ap.parse_args()
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    t0 = time.monotonic()
    rows = asyncio.run(bench(args))
    table, on, off = common.ab_rows(rows)
    print(f"\nGrounded completions: {len(rows)} cursors in {len(NOTEBOOKS)} notebooks, real kernel")
    head = ["site kind", "cases", "hit grounded", "hit free", "TTFT p50 ms on", "off"]
    print(common.table(head, table))
    ratio = on / off if off else float("inf")
    print(
        f"targets: >= {TARGET_HIT:.0%} grounded ({'PASS' if on >= TARGET_HIT else 'FAIL'}), "
        f">= {TARGET_RATIO:.0f}x free ({ratio:.1f}x: {'PASS' if ratio >= TARGET_RATIO else 'FAIL'})"
        f"; {time.monotonic() - t0:.0f} s"
    )
    if args.misses:
        for r in rows:
            if not r["on"]["hit"]:
                print(f"  miss [{r['kind']}] {r['prefix']!r} -> {r['on']['text']!r}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(rows, indent=1))
    if args.json:
        json.dump(rows, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
