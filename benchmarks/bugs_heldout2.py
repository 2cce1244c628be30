"""Second held-out set of notebooks for the kernel-aware diagnostics benchmark (bugs.py).

How these were written: on 2026-12-03, as a second held-out set, from the error messages and
situations users post (Stack Overflow questions, GitHub issues about pandas/numpy upgrades),
from the notebook user's side, the way such cells are typed, by someone who did not read the
project's rules or checks (nothing under ``jupyter_spark/`` nor its git history was read). Of
bugs.py only its first 265 lines (docstring, Case/Notebook/bug/ok helpers, KINDS,
EXPECTED_ERRORS, the two long example cells), its ``--check`` logic (``run_check``,
``selected``) and one existing notebook ("holdout-churn") were read, for the format; no case is
copied from them.

Six notebooks in domains the first sets do not cover (freight logistics, a hospital ward, a web
server log, a finance ledger, smart-meter load arrays in numpy, support-ticket text). About half
of the cases hold ONE real bug of the six kinds, at the line given by ``at``; the others are
correct cells that look like them. Two cells are long (>= 50 lines): a month-end close with one
bug deep in it (ledger) and a clean load report (energy). ``fix`` is given only where the
correct fix is certain. Every case was checked in a plain kernel with bugs.py's ``--check``
logic (namespace reset, setup cells, then the cell): each buggy cell raises its kind's
exception at the ``at`` line and each clean cell runs. Only the standard library, numpy (2.4)
and pandas (3.1) are used.
"""

from __future__ import annotations

from bugs import Notebook, bug, ok, src

NOTEBOOKS2: list[Notebook] = [
    # --- freight logistics -----------------------------------------------------------------
    Notebook(
        "holdout2-logistics",
        (
            "import pandas as pd\nimport numpy as np",
            src(
                """
                shipments = pd.DataFrame({
                    'shipment_id': ['S1', 'S2', 'S3', 'S4', 'S5', 'S6'],
                    'origin': ['RTM', 'HAM', 'RTM', 'ANR', 'HAM', 'RTM'],
                    'destination': ['MUC', 'PRG', 'LYS', 'MUC', 'VIE', 'PRG'],
                    'weight_kg': [1200.0, 850.5, 430.0, 2100.0, 640.0, 980.0],
                    'distance_km': [830, 640, 1050, 780, 910, 880],
                    'shipped_at': pd.to_datetime([
                        '2025-04-01 08:00', '2025-04-01 11:30', '2025-04-02 07:15',
                        '2025-04-03 09:00', '2025-04-03 16:45', '2025-04-04 06:30',
                    ]),
                    'delivered_at': pd.to_datetime([
                        '2025-04-02 14:00', '2025-04-02 09:00', '2025-04-04 10:00',
                        '2025-04-04 12:30', '2025-04-05 08:00', '2025-04-05 07:00',
                    ]),
                    'carrier': ['DHL', 'DSV', 'DHL', 'Kuehne', 'DSV', 'DHL'],
                })
                depots = {
                    'RTM': {'city': 'Rotterdam', 'docks': 12},
                    'HAM': {'city': 'Hamburg', 'docks': 9},
                    'ANR': {'city': 'Antwerp', 'docks': 7},
                }
                rate_card = {'DHL': 0.11, 'DSV': 0.095, 'Kuehne': 0.102}  # EUR per tonne-km
                """
            ),
            src(
                """
                def freight_cost(weight_kg, distance_km, rate, *, fuel_surcharge=0.08):
                    return weight_kg / 1000 * distance_km * rate * (1 + fuel_surcharge)


                class Truck:
                    def __init__(self, plate, capacity_kg, depot='RTM'):
                        self.plate = plate
                        self.capacity_kg = capacity_kg
                        self.depot = depot
                        self.loads = []

                    def load(self, shipment_id, weight_kg):
                        if self.used_kg + weight_kg > self.capacity_kg:
                            raise ValueError('over capacity')
                        self.loads.append((shipment_id, weight_kg))
                        return self

                    @property
                    def used_kg(self):
                        return sum(w for _, w in self.loads)

                    def utilisation(self):
                        return self.used_kg / self.capacity_kg


                fleet = [Truck('NL-01-AB', 2500), Truck('DE-HH-77', 1800, depot='HAM')]
                lane_names = ['RTM', 'HAM', 'ANR']
                lane_km = np.array([[0, 460, 100], [460, 0, 540], [100, 540, 0]])
                """
            ),
        ),
        (
            bug(
                "missing-key",
                "transit = shipments['delivered'] - shipments['shipped_at']",
                "shipments['delivered']",
                "shipments['delivered_at']",
            ),
            ok(
                "missing-key",
                """
                shipments['transit_h'] = (
                    shipments['delivered_at'] - shipments['shipped_at']
                ).dt.total_seconds() / 3600
                slow = shipments[shipments['transit_h'] > 40]
                """,
            ),
            ok(
                "missing-key",
                """
                docks = {code: d.get('docks', 0) for code, d in depots.items()}
                lyon = depots.get('LYS', {}).get('docks')
                """,
            ),
            bug(
                "missing-key",
                "by_carrier = shipments.groupby('carrier_name')['weight_kg'].sum()",
                "carrier_name",
                "groupby('carrier')",
            ),
            ok(
                "missing-key",
                """
                try:
                    ups_rate = rate_card['UPS']
                except KeyError:
                    ups_rate = float(np.mean(list(rate_card.values())))
                """,
            ),
            bug(
                "missing-attribute",
                "print(fleet[0].load('S1', 1200.0).utilization())",
                "utilization",
                "fleet[0].load('S1', 1200.0).utilisation()",
            ),
            bug(
                "missing-attribute",
                "shipments['origin_code'] = shipments['origin'].str.lowercase()",
                "lowercase",
                "str.lower()",
            ),
            ok(
                "missing-attribute",
                """
                truck = fleet[1]
                truck.load('S2', 850.5)
                print(truck.used_kg, truck.utilisation(), truck.depot)
                truck.driver = 'Jonas'
                """,
            ),
            bug(
                "bad-call",
                "cost = freight_cost(1200.0, 830, 0.11, 0.05)",
                "freight_cost(",
                "fuel_surcharge=0.05",
            ),
            ok(
                "bad-call",
                "cost = freight_cost(1200.0, 830, rate_card['DHL'], fuel_surcharge=0.05)",
            ),
            bug(
                "bad-call",
                "spare = Truck('NL-02-CD', capacity=2000)",
                "capacity=",
                "capacity_kg=2000",
            ),
            ok("bad-call", "spare = Truck('NL-02-CD', 2000, 'ANR')\nfleet.append(spare)"),
            bug(
                "undefined-name",
                """
                shipments['cost'] = freight_cost(
                    shipments['weight_kg'],
                    shipments['distance_km'],
                    shipments['carrier'].map(rate_cards),
                )
                """,
                "rate_cards",
                "map(rate_card)",
            ),
            ok(
                "undefined-name",
                """
                def eur(x):
                    return f'{x:,.2f} EUR'


                labels = [eur(freight_cost(w, d, 0.1)) for w, d in
                          zip(shipments['weight_kg'], shipments['distance_km'])]
                """,
            ),
            bug(
                "shape-mismatch",
                "lane_cost = lane_km * np.array([0.11, 0.095])",
                "lane_km *",
            ),
            ok(
                "shape-mismatch",
                "lane_cost = lane_km * np.array([0.11, 0.095, 0.102])[:, None]",
            ),
            bug(
                "removed-api",
                """
                for col, values in shipments.iteritems():
                    print(col, values.dtype)
                """,
                "iteritems",
                "shipments.items()",
            ),
            ok(
                "removed-api",
                """
                daily = shipments.set_index('shipped_at').resample('D')['weight_kg'].sum()
                monthly = shipments.set_index('shipped_at').resample('ME')['weight_kg'].sum()
                """,
            ),
        ),
    ),
    # --- hospital ward ----------------------------------------------------------------------
    Notebook(
        "holdout2-hospital",
        (
            "import pandas as pd\nimport numpy as np\nfrom dataclasses import dataclass, field",
            src(
                """
                admissions = pd.DataFrame({
                    'patient_id': [5001, 5002, 5003, 5004, 5005, 5006, 5007],
                    'ward': ['cardio', 'ortho', 'cardio', 'neuro', 'ortho', 'icu', 'cardio'],
                    'admitted': pd.to_datetime([
                        '2025-03-01', '2025-03-02', '2025-03-02', '2025-03-04',
                        '2025-03-05', '2025-03-05', '2025-03-07',
                    ]),
                    'discharged': pd.to_datetime([
                        '2025-03-05', '2025-03-09', None, '2025-03-06',
                        '2025-03-12', None, '2025-03-08',
                    ]),
                    'age': [67, 45, 72, 58, 33, 80, 61],
                    'triage': ['b', 'c', 'a', 'b', 'c', 'a', 'b'],
                })
                vitals = pd.DataFrame({
                    'patient_id': [5001, 5002, 5003, 5005, 5006],
                    'hr': [88, 72, 121, 64, 134],
                    'sbp': [135, 118, 96, 122, 88],
                    'spo2': [96, 98, 91, 99, 89],
                })
                ward_beds = {'cardio': 24, 'ortho': 18, 'neuro': 12, 'icu': 8}
                """
            ),
            src(
                """
                @dataclass
                class Ward:
                    name: str
                    beds: int
                    patients: list = field(default_factory=list)

                    def admit(self, patient_id):
                        self.patients.append(patient_id)

                    def occupancy(self):
                        return len(self.patients) / self.beds


                def news_score(hr, sbp, spo2, *, on_oxygen=False):
                    score = (hr > 110) * 2 + (sbp < 100) * 2 + (spo2 < 92) * 3
                    return score + (2 if on_oxygen else 0)


                cardio = Ward('cardio', ward_beds['cardio'])
                # potassium, sodium, creatinine for the 4 patients with a lab draw today
                lab_panel = np.array([
                    [4.1, 140, 0.9],
                    [5.2, 135, 1.4],
                    [3.8, 142, 1.1],
                    [4.6, 138, 2.0],
                ])
                ref_low = np.array([3.5, 135, 0.6])
                ref_high = np.array([5.0, 145, 1.2])
                """
            ),
        ),
        (
            bug(
                "missing-key",
                "los = (admissions['discharge'] - admissions['admitted']).dt.days",
                "admissions['discharge']",
                "admissions['discharged']",
            ),
            ok(
                "missing-key",
                """
                admissions['los_days'] = (admissions['discharged'] - admissions['admitted']).dt.days
                still_in = admissions[admissions['discharged'].isna()]
                """,
            ),
            bug(
                "missing-key",
                """
                merged = admissions.merge(vitals, on='patient')
                merged.head()
                """,
                "on='patient'",
                "on='patient_id'",
            ),
            ok(
                "missing-key",
                """
                merged = admissions.merge(vitals, on='patient_id', how='left')
                merged['spo2'] = merged['spo2'].fillna(merged['spo2'].median())
                """,
            ),
            ok(
                "missing-key",
                """
                if 'maternity' in ward_beds:
                    print(ward_beds['maternity'])
                total_beds = sum(ward_beds.values())
                """,
            ),
            bug(
                "missing-attribute",
                "cardio.admit_patient(5001)",
                "admit_patient",
                "cardio.admit(5001)",
            ),
            bug(
                "missing-attribute",
                "triage_mix = admissions['triage'].str.upper().value_count()",
                "value_count(",
                "value_counts()",
            ),
            ok(
                "missing-attribute",
                """
                cardio.admit(5003)
                print(f'{cardio.name}: {cardio.occupancy():.0%}')
                cardio.nurse_in_charge = 'R. Okafor'
                """,
            ),
            bug(
                "bad-call",
                "score = news_score(118, 95, 90, True)",
                "news_score(",
                "on_oxygen=True",
            ),
            ok(
                "bad-call",
                """
                merged = admissions.merge(vitals, on='patient_id')
                merged['news'] = news_score(
                    merged['hr'], merged['sbp'], merged['spo2'], on_oxygen=False
                )
                """,
            ),
            bug("bad-call", "icu = Ward('icu')", "Ward('icu')"),
            ok(
                "bad-call",
                "icu = Ward('icu', ward_beds['icu'], patients=[5006])\nprint(icu.occupancy())",
            ),
            bug(
                "undefined-name",
                "flags = (lab_panel < ref_lo) | (lab_panel > ref_high)",
                "ref_lo)",
                "ref_low",
            ),
            ok(
                "undefined-name",
                """
                abnormal = (lab_panel < ref_low) | (lab_panel > ref_high)
                n_abnormal = abnormal.sum(axis=0)
                for i, analyte in enumerate(['K', 'Na', 'Cr']):
                    print(analyte, n_abnormal[i])
                """,
            ),
            bug(
                "shape-mismatch",
                "admissions['creatinine'] = lab_panel[:, 2]",
                "lab_panel[:, 2]",
            ),
            ok(
                "shape-mismatch",
                """
                z = (lab_panel - lab_panel.mean(axis=0)) / lab_panel.std(axis=0)
                out_of_range = (lab_panel > ref_high).any(axis=1)
                print(z.shape, out_of_range)
                """,
            ),
            bug(
                "removed-api",
                "admissions['weekday'] = admissions['admitted'].dt.weekday_name",
                "weekday_name",
                "dt.day_name()",
            ),
            ok(
                "removed-api",
                """
                admissions['weekday'] = admissions['admitted'].dt.day_name()
                ward_counts = admissions.groupby('ward', observed=True).size()
                """,
            ),
        ),
    ),
    # --- web server log ---------------------------------------------------------------------
    Notebook(
        "holdout2-weblog",
        (
            "import re\nfrom collections import Counter\nimport numpy as np\nimport pandas as pd",
            src(
                r"""
                raw_log = [
                    '203.0.113.5 - - [12/Mar/2025:10:01:22 +0000] "GET / HTTP/1.1" 200 5120',
                    '203.0.113.5 - - [12/Mar/2025:10:02:10 +0000] "GET /pricing HTTP/1.1" 200 8311',
                    '198.51.100.7 - - [12/Mar/2025:10:05:41 +0000] "GET / HTTP/1.1" 200 5120',
                    '198.51.100.7 - - [12/Mar/2025:10:06:03 +0000] "POST /signup HTTP/1.1" 302 0',
                    '192.0.2.10 - - [12/Mar/2025:11:15:00 +0000] "GET /pricing HTTP/1.1" 200 8311',
                    '192.0.2.10 - - [12/Mar/2025:11:16:30 +0000] "GET /api/plans HTTP/1.1" 500 230',
                    '203.0.113.5 - - [12/Mar/2025:13:40:02 +0000] "GET /docs HTTP/1.1" 404 150',
                    '198.51.100.7 - - [12/Mar/2025:14:02:55 +0000] "GET /pricing HTTP/1.1" 200 811',
                ]
                LOG_RE = re.compile(
                    r'(?P<ip>\S+) \S+ \S+ \[(?P<ts>[^\]]+)\] "(?P<method>\S+) (?P<path>\S+) \S+" '
                    r'(?P<status>\d{3}) (?P<bytes>\d+)'
                )
                hits = pd.DataFrame([LOG_RE.match(line).groupdict() for line in raw_log])
                hits['status'] = hits['status'].astype(int)
                hits['bytes'] = hits['bytes'].astype(int)
                hits['ts'] = pd.to_datetime(hits['ts'], format='%d/%b/%Y:%H:%M:%S %z')
                sessions = {
                    '203.0.113.5': {'ua': 'Firefox', 'country': 'DE'},
                    '198.51.100.7': {'ua': 'Safari', 'country': 'FR'},
                    '192.0.2.10': {'ua': 'curl', 'country': 'US'},
                }
                """
            ),
            src(
                """
                def parse_line(line, pattern=LOG_RE):
                    m = pattern.match(line)
                    return m.groupdict() if m else None


                def funnel(df, steps, *, by='ip'):
                    reached = [df.loc[df['path'] == step, by].nunique() for step in steps]
                    return pd.Series(reached, index=steps)


                class Sessionizer:
                    def __init__(self, gap_minutes=30):
                        self.gap = pd.Timedelta(minutes=gap_minutes)

                    def assign(self, df):
                        df = df.sort_values(['ip', 'ts'])
                        gaps = df.groupby('ip')['ts'].diff().gt(self.gap)
                        new = gaps | df['ip'].ne(df['ip'].shift())
                        return df.assign(session=new.cumsum())


                hourly_counts = np.zeros(24, dtype=int)
                size_weights = np.array([1.0, 0.5, 2.0])
                """
            ),
        ),
        (
            bug(
                "missing-key",
                "errors = hits[hits['status_code'] >= 500]",
                "hits['status_code']",
                "hits['status']",
            ),
            ok(
                "missing-key",
                "hits['is_error'] = hits['status'] >= 500\nerror_rate = hits['is_error'].mean()",
            ),
            ok(
                "missing-key",
                "agents = Counter(s.get('ua', 'unknown') for s in sessions.values())",
            ),
            bug(
                "missing-key",
                "by_path = hits.pivot_table(index='page', values='bytes', aggfunc='sum')",
                "index='page'",
                "index='path'",
            ),
            ok(
                "missing-key",
                "parsed = parse_line(raw_log[3])\nprint(parsed['path'], parsed['status'])",
            ),
            bug(
                "missing-attribute",
                """
                m = LOG_RE.match(raw_log[0])
                print(m.group('path'), m.groupdicts())
                """,
                "groupdicts",
                "m.groupdict()",
            ),
            bug(
                "missing-attribute",
                """
                hits['hour'] = hits['ts'].dt.hours
                busiest = hits.groupby('hour').size().idxmax()
                """,
                "dt.hours",
                "dt.hour\n",
            ),
            ok(
                "missing-attribute",
                """
                hits['hour'] = hits['ts'].dt.hour
                hits['path_depth'] = hits['path'].str.count('/')
                """,
            ),
            bug(
                "bad-call",
                "steps = funnel(hits, ['/', '/pricing', '/signup'], 'ip')",
                "funnel(",
                "by='ip'",
            ),
            ok(
                "bad-call",
                """
                steps = funnel(hits, ['/', '/pricing', '/signup'], by='ip')
                conversion = steps.iloc[-1] / steps.iloc[0]
                """,
            ),
            bug(
                "bad-call",
                "sess = Sessionizer(gap=20)",
                "gap=20",
                "gap_minutes=20",
            ),
            ok(
                "bad-call",
                "sess = Sessionizer(20).assign(hits)\nn_sessions = sess['session'].nunique()",
            ),
            bug(
                "undefined-name",
                """
                top = Counter(hits['path']).most_common(3)
                print(top_pages)
                """,
                "top_pages",
            ),
            ok(
                "undefined-name",
                """
                for lineno, line in enumerate(raw_log, 1):
                    rec = parse_line(line)
                print(lineno, rec['ip'])
                """,
            ),
            bug(
                "shape-mismatch",
                "weighted_bytes = hits['bytes'].to_numpy() * size_weights",
                "size_weights",
            ),
            ok(
                "shape-mismatch",
                """
                hourly = np.bincount(hits['ts'].dt.hour, minlength=24)
                hourly_counts += hourly
                """,
            ),
            bug(
                "removed-api",
                """
                hits = hits.append({'ip': '10.0.0.1', 'path': '/health', 'status': 200},
                                   ignore_index=True)
                """,
                ".append(",
                "pd.concat(",
            ),
            ok(
                "removed-api",
                """
                extra = pd.DataFrame([{'ip': '10.0.0.1', 'path': '/health', 'status': 200}])
                hits = pd.concat([hits, extra], ignore_index=True)
                """,
            ),
        ),
    ),
    # --- finance ledger ---------------------------------------------------------------------
    Notebook(
        "holdout2-ledger",
        (
            "import pandas as pd\nimport numpy as np",
            src(
                """
                ledger = pd.DataFrame({
                    'entry_id': range(1, 9),
                    'date': pd.to_datetime([
                        '2025-01-03', '2025-01-03', '2025-01-15', '2025-01-31',
                        '2025-02-02', '2025-02-14', '2025-02-28', '2025-02-28',
                    ]),
                    'account': ['4000-sales', '1200-ar', '6100-rent', '1000-cash',
                                '4000-sales', '6200-payroll', '1000-cash', '6100-rent'],
                    'debit': [0.0, 1500.0, 2200.0, 1500.0, 0.0, 5400.0, 3100.0, 2200.0],
                    'credit': [1500.0, 0.0, 0.0, 0.0, 3100.0, 0.0, 0.0, 0.0],
                    'currency': ['EUR', 'EUR', 'EUR', 'EUR', 'USD', 'EUR', 'USD', 'EUR'],
                    'memo': ['Invoice 1001', 'Invoice 1001', 'Office rent Jan', 'Payment 1001',
                             'Invoice 1002', 'Payroll Feb', 'Payment 1002', 'Office Rent Feb'],
                })
                fx_rates = {'EUR': 1.0, 'USD': 0.92, 'GBP': 1.17}
                chart_of_accounts = {
                    '1000-cash': 'asset', '1200-ar': 'asset', '4000-sales': 'revenue',
                    '6100-rent': 'expense', '6200-payroll': 'expense',
                }
                """
            ),
            src(
                """
                def to_eur(amount, currency, rates=fx_rates):
                    return amount * rates[currency]


                def trial_balance(df, *, by='account', as_of=None):
                    if as_of is not None:
                        df = df[df['date'] <= as_of]
                    tb = df.groupby(by)[['debit', 'credit']].sum()
                    tb['balance'] = tb['debit'] - tb['credit']
                    return tb


                class Budget:
                    def __init__(self, year, lines=None):
                        self.year = year
                        self.lines = dict(lines or {})

                    def set_line(self, account, amount):
                        self.lines[account] = amount

                    def variance(self, actuals):
                        return {a: actuals.get(a, 0.0) - amt for a, amt in self.lines.items()}


                budget = Budget(2025, {'6100-rent': 4400.0, '6200-payroll': 10000.0})
                # rent, payroll budget per month for Q1; actuals so far for Jan and Feb
                monthly_budget = np.array([[2200.0, 5000.0], [2200.0, 5000.0], [2200.0, 5200.0]])
                actual_monthly = np.array([[2200.0, 0.0], [2200.0, 5400.0]])
                """
            ),
        ),
        (
            bug(
                "missing-key",
                "ledger['amount'] = ledger['debit'] - ledger['credits']",
                "ledger['credits']",
                "ledger['credit']",
            ),
            ok(
                "missing-key",
                """
                ledger['amount'] = ledger['debit'] - ledger['credit']
                ledger['amount_eur'] = ledger['amount'] * ledger['currency'].map(fx_rates)
                """,
            ),
            ok(
                "missing-key",
                """
                rate = fx_rates.get('CHF', 1.0)
                ledger['type'] = ledger['account'].map(chart_of_accounts)
                """,
            ),
            bug(
                "missing-key",
                """
                tb = trial_balance(ledger)
                print(tb.loc['1100-bank', 'balance'])
                """,
                "tb.loc['1100-bank'",
            ),
            ok(
                "missing-key",
                """
                tb = trial_balance(ledger, as_of='2025-01-31')
                print(tb.loc['1000-cash', 'balance'])
                """,
            ),
            bug(
                "missing-attribute",
                "budget.set_lines('4000-sales', -9000.0)",
                "set_lines",
                "budget.set_line(",
            ),
            ok(
                "missing-attribute",
                """
                budget.set_line('4000-sales', -9000.0)
                actuals = trial_balance(ledger)['balance'].to_dict()
                print(budget.variance(actuals))
                """,
            ),
            bug(
                "missing-attribute",
                "rent_rows = ledger[ledger['memo'].str.contain('rent', case=False)]",
                "str.contain(",
                "str.contains(",
            ),
            ok(
                "missing-attribute",
                """
                rent_rows = ledger[ledger['memo'].str.contains('rent', case=False)]
                budget.owner = 'finance'
                print(len(rent_rows), budget.owner, budget.year)
                """,
            ),
            bug(
                "bad-call",
                "jan_tb = trial_balance(ledger, 'account', '2025-01-31')",
                "trial_balance(",
                "as_of='2025-01-31'",
            ),
            bug("bad-call", "usd_in_eur = to_eur(250.0)", "to_eur("),
            ok(
                "bad-call",
                """
                usd_in_eur = to_eur(250.0, 'USD')
                gbp_in_eur = to_eur(100.0, currency='GBP', rates={'GBP': 1.2})
                """,
            ),
            bug(
                "undefined-name",
                "q1 = trial_balance(ledger, as_of=quarter_end)",
                "quarter_end",
            ),
            ok(
                "undefined-name",
                """
                quarter_end = pd.Timestamp('2025-03-31')
                q1 = trial_balance(ledger, as_of=quarter_end)
                """,
            ),
            bug(
                "shape-mismatch",
                "variance = actual_monthly - monthly_budget",
                "actual_monthly - monthly_budget",
            ),
            ok(
                "shape-mismatch",
                """
                variance = actual_monthly - monthly_budget[: len(actual_monthly)]
                over_budget = variance.sum(axis=0) > 0
                """,
            ),
            bug(
                "removed-api",
                "is_sorted = ledger['date'].is_monotonic",
                "is_monotonic",
                "is_monotonic_increasing",
            ),
            ok(
                "removed-api",
                """
                is_sorted = ledger['date'].is_monotonic_increasing
                monthly = ledger.groupby(ledger['date'].dt.to_period('M'))['debit'].sum()
                """,
            ),
            bug(
                "missing-key",
                """
                # Month-end close pack for the controller
                import datetime as dt

                close_date = pd.Timestamp('2025-02-28')
                ledger['amount'] = ledger['debit'] - ledger['credit']
                ledger['amount_eur'] = ledger['amount'] * ledger['currency'].map(fx_rates)
                ledger['type'] = ledger['account'].map(chart_of_accounts)
                ledger['period'] = ledger['date'].dt.to_period('M').astype(str)


                def pnl(frame):
                    \"\"\"Revenue, expenses and result of one period (sales are credits).\"\"\"
                    revenue = -frame.loc[frame['type'] == 'revenue', 'amount_eur'].sum()
                    expenses = frame.loc[frame['type'] == 'expense', 'amount_eur'].sum()
                    return {'revenue': revenue, 'expenses': expenses, 'result': revenue - expenses}


                def unmatched(frame, prefix='Invoice'):
                    invoices = frame['memo'].str.extract(r'(\\d{4})', expand=False)
                    billed = set(invoices[frame['memo'].str.startswith(prefix)])
                    paid = set(invoices[frame['memo'].str.startswith('Payment')])
                    return sorted(billed - paid)


                periods = {}
                for period, frame in ledger.groupby('period'):
                    periods[period] = pnl(frame)
                pnl_table = pd.DataFrame(periods).T
                pnl_table['margin'] = pnl_table['result'] / pnl_table['revenue']

                tb = trial_balance(ledger, as_of=close_date)
                cash = tb.loc['1000-cash', 'balance']
                open_items = unmatched(ledger)

                by_type = ledger.pivot_table(
                    index='period', columns='type', values='amount_eur', aggfunc='sum', fill_value=0
                )
                account_share = (
                    ledger.groupby('acount')['amount_eur'].sum().abs()
                    / ledger['amount_eur'].abs().sum()
                )
                budget.set_line('4000-sales', -4500.0)
                actuals = tb['balance'].to_dict()
                variances = budget.variance(actuals)
                worst = max(variances, key=lambda a: abs(variances[a]))

                lines = [
                    f'close date: {close_date:%d %b %Y}',
                    f'cash: {cash:,.2f} EUR',
                    f'open invoices: {", ".join(open_items) or "none"}',
                    f'largest variance: {worst} ({variances[worst]:+,.2f})',
                    f'prepared {dt.date(2025, 3, 3).isoformat()}',
                ]
                print('\\n'.join(lines))
                print(pnl_table.round(2))
                print(by_type)
                print(account_share.round(3))
                """,
                "groupby('acount')",
                "groupby('account')",
            ),
        ),
    ),
    # --- smart-meter load arrays (numpy) ----------------------------------------------------
    Notebook(
        "holdout2-energy",
        (
            "import numpy as np\nimport pandas as pd\nrng = np.random.default_rng(42)",
            src(
                """
                n_meters, n_hours = 5, 48
                load_kw = rng.gamma(2.0, 1.5, size=(n_meters, n_hours))  # meters x hours
                meter_ids = np.array(['M-01', 'M-02', 'M-03', 'M-04', 'M-05'])
                tariff = np.where(np.arange(n_hours) % 24 >= 17, 0.32, 0.18)  # EUR/kWh per hour
                capacity_kw = np.array([6.0, 8.0, 6.0, 10.0, 8.0])
                meta = {'site': 'Depot North', 'interval_min': 60,
                        'units': {'load': 'kW', 'price': 'EUR/kWh'}}
                readings = pd.DataFrame({
                    'meter': np.repeat(meter_ids, n_hours),
                    'hour': np.tile(np.arange(n_hours), n_meters),
                    'kw': load_kw.ravel(),
                })
                """
            ),
            src(
                """
                def peak_shave(load, limit, *, battery_kwh=10.0):
                    excess = np.clip(load - limit, 0, None)
                    return load - excess, excess.sum()


                def moving_avg(x, window=3):
                    kernel = np.ones(window) / window
                    return np.convolve(x, kernel, mode='valid')


                class Meter:
                    def __init__(self, meter_id, series):
                        self.meter_id = meter_id
                        self.series = np.asarray(series)

                    def daily_totals(self):
                        return self.series.reshape(-1, 24).sum(axis=1)

                    def peak(self):
                        return float(self.series.max())


                m1 = Meter('M-01', load_kw[0])
                """
            ),
        ),
        (
            bug("shape-mismatch", "cost = load_kw * tariff[:24]", "tariff[:24]"),
            ok(
                "shape-mismatch",
                "cost = (load_kw * tariff).sum(axis=1)\nworst = meter_ids[cost.argmax()]",
            ),
            bug(
                "shape-mismatch",
                "over = load_kw > capacity_kw",
                "load_kw > capacity_kw",
                "capacity_kw[:, None]",
            ),
            ok(
                "shape-mismatch",
                "over = load_kw > capacity_kw[:, np.newaxis]\nhours_over = over.sum(axis=1)",
            ),
            bug("shape-mismatch", "by_day = load_kw.reshape(5, 24, 3)", "reshape(5, 24, 3)"),
            ok(
                "shape-mismatch",
                "by_day = load_kw.reshape(n_meters, -1, 24).sum(axis=2)",
            ),
            ok(
                "missing-key",
                "unit = meta['units'].get('energy', 'kWh')\nsite = meta['site']",
            ),
            bug(
                "missing-key",
                "per_meter = readings.groupby('meter_id')['kw'].max()",
                "meter_id",
                "groupby('meter')",
            ),
            ok(
                "missing-key",
                """
                per_meter = readings.groupby('meter')['kw'].agg(['mean', 'max'])
                print(per_meter.loc['M-03', 'max'])
                """,
            ),
            bug(
                "missing-attribute",
                "print(m1.daily_total())",
                "daily_total(",
                "m1.daily_totals()",
            ),
            ok(
                "missing-attribute",
                """
                print(m1.peak(), m1.daily_totals().round(1), m1.series.shape)
                m1.label = 'north-gate'
                """,
            ),
            bug(
                "bad-call",
                "shaved, cut = peak_shave(load_kw[0], 6.0, 12.0)",
                "peak_shave(",
                "battery_kwh=12.0",
            ),
            ok(
                "bad-call",
                """
                smooth = moving_avg(load_kw[1], 4)
                shaved, cut = peak_shave(load_kw[1], limit=capacity_kw[1], battery_kwh=5.0)
                """,
            ),
            bug(
                "undefined-name",
                "spikes = np.argwhere(load_kw > threshold_kw)",
                "threshold_kw",
            ),
            ok(
                "undefined-name",
                """
                threshold_kw = np.percentile(load_kw, 95)
                spikes = np.argwhere(load_kw > threshold_kw)
                """,
            ),
            bug(
                "removed-api",
                "energy_kwh = np.trapz(load_kw, dx=1.0, axis=1)",
                "np.trapz",
                "np.trapezoid(",
            ),
            bug(
                "removed-api",
                "clean = np.where(load_kw > 50, np.NaN, load_kw)",
                "np.NaN",
                "np.nan",
            ),
            ok(
                "removed-api",
                """
                energy_kwh = np.trapezoid(load_kw, dx=1.0, axis=1)
                first_two = np.vstack([load_kw[:1], load_kw[1:2]])
                clean = np.where(load_kw > 50, np.nan, load_kw)
                """,
            ),
            ok(
                "shape-mismatch",
                """
                # Weekly load report for the depot (two days of hourly data so far)
                hours_per_day = 24
                n_days = n_hours // hours_per_day
                by_day = load_kw.reshape(n_meters, n_days, hours_per_day)
                daily_kwh = by_day.sum(axis=2)  # meters x days
                daily_cost = (by_day * tariff.reshape(n_days, hours_per_day)).sum(axis=2)


                def load_factor(profile):
                    peak = profile.max()
                    return profile.mean() / peak if peak else 0.0


                def top_hours(profile, k=3):
                    order = np.argsort(profile)[::-1]
                    return sorted(int(h) % hours_per_day for h in order[:k])


                factors = np.array([load_factor(row) for row in load_kw])
                over_cap = load_kw > capacity_kw[:, None]
                hours_over = over_cap.sum(axis=1)
                headroom = capacity_kw - load_kw.max(axis=1)

                mean_profile = by_day.mean(axis=1)  # meters x 24
                site_profile = mean_profile.sum(axis=0)
                evening = site_profile[17:].sum() / site_profile.sum()

                zscores = (load_kw - load_kw.mean(axis=1, keepdims=True)) / load_kw.std(
                    axis=1, keepdims=True
                )
                anomalies = np.argwhere(np.abs(zscores) > 3)

                shaved_total = 0.0
                for i, mid in enumerate(meter_ids):
                    _, cut = peak_shave(load_kw[i], capacity_kw[i], battery_kwh=8.0)
                    shaved_total += cut

                smooth = np.vstack([moving_avg(row, 4) for row in load_kw])
                summary = pd.DataFrame({
                    'meter': meter_ids,
                    'kwh_day1': daily_kwh[:, 0].round(1),
                    'kwh_day2': daily_kwh[:, 1].round(1),
                    'cost_eur': daily_cost.sum(axis=1).round(2),
                    'load_factor': factors.round(2),
                    'hours_over': hours_over,
                    'headroom_kw': headroom.round(2),
                })
                summary['peak_hours'] = [top_hours(row) for row in load_kw]
                worst = summary.sort_values('cost_eur', ascending=False).iloc[0]

                lines = [
                    f"site: {meta['site']}",
                    f"evening share: {evening:.0%}",
                    f"anomalies: {len(anomalies)}",
                    f"shaved: {shaved_total:.1f} kWh",
                    f"smoothed shape: {smooth.shape}",
                    f"most expensive meter: {worst['meter']}",
                ]
                print('\\n'.join(lines))
                print(summary)
                """,
            ),
        ),
    ),
    # --- support-ticket text ----------------------------------------------------------------
    Notebook(
        "holdout2-tickets",
        (
            "import re\nimport string\nfrom collections import Counter, defaultdict\n"
            "import pandas as pd",
            src(
                """
                tickets = pd.DataFrame({
                    'ticket_id': [901, 902, 903, 904, 905, 906],
                    'subject': ['Login fails after update', 'Refund not received',
                                'App crashes on start', 'Cannot reset password',
                                'Invoice shows wrong VAT', 'Crash when uploading photo'],
                    'body': ['Since the 3.2 update I cannot log in!',
                             'I returned the shoes 3 weeks ago, still no refund.',
                             'The app crashes right after the splash screen.',
                             'Reset link expired twice, help?',
                             'VAT is 25% on my invoice but should be 15%.',
                             'Uploading a photo from the gallery crashes the app.'],
                    'channel': ['email', 'chat', 'email', 'phone', 'email', 'chat'],
                    'priority': ['high', 'medium', 'high', 'low', 'medium', 'high'],
                })
                STOPWORDS = {'the', 'a', 'an', 'on', 'when', 'after', 'not', 'to', 'is', 'my',
                             'i', 'it', 'and', 'of', 'for', 'in', 'from', 'but'}
                synonyms = {'crash': 'crash', 'crashes': 'crash', 'fails': 'fail',
                            'failing': 'fail', 'refund': 'refund'}
                """
            ),
            src(
                '''
                def tokenize(text, *, lower=True, drop_stop=True):
                    if lower:
                        text = text.lower()
                    words = re.findall(r"[A-Za-z0-9']+", text)
                    return [w for w in words if not (drop_stop and w.lower() in STOPWORDS)]


                class Vocabulary:
                    def __init__(self, min_count=1):
                        self.min_count = min_count
                        self.counts = Counter()

                    def fit(self, docs):
                        for doc in docs:
                            self.counts.update(doc)
                        return self

                    def tokens(self):
                        return sorted(t for t, c in self.counts.items() if c >= self.min_count)

                    def __len__(self):
                        return len(self.tokens())


                class Settings:
                    """Pipeline options; an option that was never set reads as None."""

                    def __init__(self, **values):
                        self.__dict__.update(values)

                    def __getattr__(self, name):
                        return None


                settings = Settings(max_len=280, language='en')
                vocab = Vocabulary().fit(tickets['subject'].map(tokenize))
                '''
            ),
        ),
        (
            ok(
                "missing-key",
                """
                tickets['text'] = tickets['subject'] + '. ' + tickets['body']
                tickets['n_words'] = tickets['text'].str.split().str.len()
                """,
            ),
            bug(
                "missing-key",
                "canon = [synonyms[w] for w in tokenize('App crashes and login fails')]",
                "synonyms[w]",
            ),
            ok(
                "missing-key",
                "canon = [synonyms.get(w, w) for w in tokenize('App crashes and login fails')]",
            ),
            bug(
                "missing-key",
                "urgent = tickets[tickets['Priority'] == 'high']",
                "tickets['Priority']",
                "tickets['priority']",
            ),
            ok(
                "missing-key",
                """
                by_channel = defaultdict(list)
                for row in tickets.itertuples():
                    by_channel[row.channel].append(row.ticket_id)
                print(by_channel['sms'], by_channel['email'])
                """,
            ),
            ok(
                "missing-key",
                """
                owners = {'chat': 'ana', 'phone': 'li'}
                try:
                    owner = owners[tickets.loc[4, 'channel']]
                except KeyError:
                    owner = 'triage'
                """,
            ),
            bug(
                "missing-attribute",
                "words = tickets['subject'].str.lower().str.splt()",
                "str.splt",
                "str.split()",
            ),
            bug(
                "missing-attribute",
                "clean = tickets['body'].str.strip(string.punctuations)",
                "string.punctuations",
                "string.punctuation)",
            ),
            ok(
                "missing-attribute",
                """
                if settings.strip_urls:
                    print('stripping urls')
                max_len = settings.max_len or 500
                lang = settings.language
                """,
            ),
            bug(
                "bad-call",
                "toks = tokenize(tickets.loc[0, 'body'], False)",
                "tokenize(",
                "lower=False",
            ),
            ok(
                "bad-call",
                """
                docs = tickets['body'].map(lambda t: tokenize(t, drop_stop=True))
                vocab = Vocabulary(2).fit(docs)
                print(len(vocab), vocab.tokens()[:5])
                """,
            ),
            bug(
                "undefined-name",
                "tickets['tokens'] = tickets['body'].map(tokenise)",
                "tokenise",
                "map(tokenize)",
            ),
            ok(
                "undefined-name",
                """
                def normalise(text):
                    return ' '.join(tokenize(text))


                tickets['norm'] = tickets['body'].map(normalise)
                """,
            ),
            ok(
                "undefined-name",
                """
                if False:
                    debug_dump(tickets)
                summary = tickets.groupby('priority').size()
                """,
            ),
            bug(
                "shape-mismatch",
                "tickets['sentiment'] = [0.2, -0.5, 0.1]",
                "tickets['sentiment']",
            ),
            ok(
                "shape-mismatch",
                """
                scores = pd.Series([0.2, -0.5, 0.1], index=[901, 903, 905])
                tickets['sentiment'] = tickets['ticket_id'].map(scores)
                """,
            ),
            bug(
                "removed-api",
                "lengths = tickets.applymap(lambda v: len(str(v)))",
                "applymap",
                "tickets.map(",
            ),
            ok(
                "removed-api",
                """
                lengths = tickets[['subject', 'body']].map(len)
                longest = lengths.max().to_dict()
                """,
            ),
        ),
    ),
]
