"""Third held-out set of notebooks for the kernel-aware diagnostics benchmark (bugs.py).

How these were written: on 2026-12-03, as a third held-out set, from the error messages and
situations users post (Stack Overflow questions, GitHub issues about the pandas 3 / numpy 2
upgrades), from the notebook user's side, the way such cells are typed, by someone who read
neither the project's rules nor its checks (nothing under ``jupyter_spark/``, no git history or
diffs, nothing under ``tests/`` was read). For the format only, these were read: bugs.py lines
1-140 (docstring, Case/Notebook/bug/ok helpers, KINDS, EXPECTED_ERRORS), its ``run_check``,
``selected`` and ``all_notebooks`` functions, and the docstring and first notebook
("holdout2-logistics") of bugs_heldout2.py; no other notebook was read and no case is copied
or varied from them.

Four notebooks in new domains (a school grade book, an e-commerce returns analysis, a weather
station study in numpy arrays, an HR/payroll table), 18 cases each, 72 in all. Half of them (36)
hold ONE real bug of the six kinds, at the line given by ``at``; the others are correct cells
that look like them (a column assigned before use, ``dict.get``, ``try/except KeyError``,
``if False:``, a class with ``__getattr__``, ``**kwargs``, groupby on an index level name,
shapes that broadcast, Series arithmetic that aligns on the index, modern APIs, names defined
earlier in the cell). ``fix`` is given only where the correct fix is certain (28 cases).
Every case was checked in a plain kernel with bugs.py's ``run_check`` (namespace reset, setup
cells, then the cell): each buggy cell raises its kind's exception at the ``at`` line and each
clean cell runs. Only the standard library, numpy (2.4) and pandas (3.1) are used.
"""

from __future__ import annotations

from bugs import Notebook, bug, ok, src

NOTEBOOKS3: list[Notebook] = [
    # --- school grade book ----------------------------------------------------------------
    Notebook(
        "holdout3-gradebook",
        (
            "import pandas as pd\nimport numpy as np",
            src(
                """
                grades = pd.DataFrame({
                    'student_id': [101, 102, 103, 104, 105, 106, 107, 108],
                    'name': ['Ava Lind', 'Ben Okafor', 'Chloe Park', 'Dev Rao',
                             'Ema Novak', 'Finn Walsh', 'Gia Rossi', 'Hugo Brandt'],
                    'homeroom': ['7A', '7B', '7A', '7C', '7B', '7A', '7C', '7B'],
                    'math': [88, 72, 95, 64, 79, 91, 58, 83],
                    'english': [92, 68, 89, 75, 84, 77, 70, 90],
                    'science': [85, 80, 97, 60, 73, 88, 66, 79],
                    'absences': [2, 5, 0, 9, 3, 1, 7, 4],
                })
                teachers = {'7A': 'Ms. Ortega', '7B': 'Mr. Haddad', '7C': 'Mrs. Kim'}
                weights = {'math': 0.4, 'english': 0.35, 'science': 0.25}
                """
            ),
            src(
                """
                def letter_grade(score, cutoffs=(90, 80, 70, 60)):
                    for letter, cut in zip('ABCD', cutoffs):
                        if score >= cut:
                            return letter
                    return 'F'


                def weighted_average(row, weights, *, round_to=1):
                    total = sum(row[subj] * w for subj, w in weights.items())
                    return round(total / sum(weights.values()), round_to)


                class Gradebook:
                    def __init__(self, term, df):
                        self.term = term
                        self.df = df
                        self.comments = {}

                    def add_comment(self, student_id, text):
                        self.comments.setdefault(student_id, []).append(text)

                    def top(self, subject, n=3):
                        return self.df.nlargest(n, subject)[['name', subject]]

                    @property
                    def roster_size(self):
                        return len(self.df)


                book = Gradebook('Fall 2025', grades)
                # 8 students x 4 quizzes, out of 10
                quiz_scores = np.array([
                    [8, 9, 7, 10], [6, 7, 5, 8], [10, 10, 9, 9], [5, 6, 4, 7],
                    [7, 8, 8, 6], [9, 9, 10, 8], [4, 5, 6, 5], [8, 7, 9, 9],
                ])
                quiz_weights = np.array([0.2, 0.2, 0.3, 0.3])
                """
            ),
        ),
        (
            ok(
                "missing-key",
                """
                grades['avg'] = grades[['math', 'english', 'science']].mean(axis=1).round(1)
                honor_roll = grades.loc[grades['avg'] >= 85, ['name', 'homeroom', 'avg']]
                honor_roll
                """,
            ),
            bug(
                "missing-key",
                "by_room = grades.groupby('home_room')['math'].mean()",
                "home_room",
                "groupby('homeroom')",
            ),
            bug(
                "missing-key",
                """
                ranked = grades.sort_values(['homeroom', 'Math'], ascending=[True, False])
                ranked.head()
                """,
                "'Math'",
                "['homeroom', 'math']",
            ),
            ok(
                "missing-key",
                """
                grades['teacher'] = grades['homeroom'].map(teachers)
                room_7d = teachers.get('7D', 'unassigned')
                print(room_7d)
                """,
            ),
            ok(
                "missing-key",
                """
                try:
                    art_weight = weights['art']
                except KeyError:
                    art_weight = 0.0
                print(f'art counts for {art_weight:.0%}')
                """,
            ),
            bug(
                "missing-attribute",
                "book.add_comments(103, 'Excellent lab report, very thorough.')",
                "add_comments",
                "book.add_comment(",
            ),
            ok(
                "missing-attribute",
                """
                book.add_comment(103, 'Excellent lab report, very thorough.')
                book.add_comment(107, 'Missed two quizzes.')
                print(book.term, book.roster_size, len(book.comments))
                book.top('science', n=2)
                """,
            ),
            bug(
                "missing-attribute",
                "grades['display_name'] = grades['name'].str.capitalise()",
                "capitalise",
                "str.capitalize()",
            ),
            ok(
                "missing-attribute",
                """
                if not hasattr(book, 'final_exam'):
                    book.final_exam = {'date': '2025-12-12', 'room': 'Gym'}
                print(book.final_exam['room'], grades['name'].str.title().str.len().max())
                """,
            ),
            bug(
                "bad-call",
                "print(weighted_average(grades.iloc[0], weights, 2))",
                "weighted_average(",
                "round_to=2",
            ),
            ok(
                "bad-call",
                """
                grades['weighted'] = grades.apply(weighted_average, axis=1, args=(weights,),
                                                  round_to=2)
                grades['letter'] = grades['weighted'].apply(letter_grade, cutoffs=(85, 75, 65, 55))
                """,
            ),
            bug(
                "undefined-name",
                "grades['math_letter'] = grades['math'].map(letter_grades)",
                "letter_grades",
                "map(letter_grade)",
            ),
            ok(
                "undefined-name",
                """
                def pass_fail(score, threshold=60):
                    return 'pass' if score >= threshold else 'fail'


                for subject in weights:
                    grades[f'{subject}_pf'] = grades[subject].map(pass_fail)
                print(subject, grades.filter(like='_pf').eq('fail').sum().sum())
                """,
            ),
            bug(
                "shape-mismatch",
                "quiz_avg = (quiz_scores * np.array([0.25, 0.25, 0.5])).sum(axis=1)",
                "quiz_scores *",
            ),
            bug(
                "shape-mismatch",
                "grades['best_quiz'] = quiz_scores.max(axis=0)",
                "max(axis=0)",
                "max(axis=1)",
            ),
            ok(
                "shape-mismatch",
                """
                grades['quiz'] = quiz_scores @ quiz_weights * 10
                curved = np.minimum(quiz_scores + np.array([1, 0, 0, 1]), 10)
                grades['quiz_curved'] = curved.mean(axis=1)
                """,
            ),
            bug(
                "removed-api",
                "report = grades[['math', 'english', 'science']].applymap(letter_grade)",
                "applymap",
                "].map(letter_grade)",
            ),
            ok(
                "removed-api",
                """
                report = grades[['math', 'english', 'science']].map(letter_grade)
                for subject, col in report.items():
                    print(subject, col.value_counts().to_dict())
                """,
            ),
        ),
    ),
    # --- e-commerce returns ---------------------------------------------------------------
    Notebook(
        "holdout3-returns",
        (
            "import numpy as np\nimport pandas as pd\nfrom datetime import date, timedelta",
            src(
                """
                orders = pd.DataFrame({
                    'order_id': [5001, 5002, 5003, 5004, 5005, 5006, 5007],
                    'customer_id': ['C9', 'C3', 'C9', 'C7', 'C1', 'C3', 'C4'],
                    'sku': ['TS-RED-M', 'JN-BLU-32', 'SH-WHT-42', 'TS-BLK-L', 'JK-GRN-M',
                            'TS-RED-S', 'JN-BLK-30'],
                    'price': [19.99, 59.0, 89.5, 19.99, 120.0, 19.99, 62.0],
                    'qty': [2, 1, 1, 3, 1, 1, 2],
                    'ordered_on': pd.to_datetime(['2025-10-02', '2025-10-03', '2025-10-03',
                                                  '2025-10-05', '2025-10-06', '2025-10-08',
                                                  '2025-10-09']),
                })
                returns = pd.DataFrame({
                    'return_id': ['R1', 'R2', 'R3', 'R4'],
                    'order_id': [5002, 5003, 5005, 5007],
                    'reason': ['too small', 'damaged', 'changed mind', 'too small'],
                    'received_on': pd.to_datetime(['2025-10-12', '2025-10-10', '2025-10-20',
                                                   '2025-10-15']),
                    'refund': [59.0, 89.5, 108.0, 62.0],
                })
                customers = pd.DataFrame({
                    'customer_id': ['C1', 'C3', 'C4', 'C7', 'C9'],
                    'segment': ['vip', 'new', 'regular', 'regular', 'vip'],
                    'country': ['DE', 'FR', 'DE', 'NL', 'FR'],
                })
                restocking_fee = {'changed mind': 0.10, 'too small': 0.0, 'damaged': 0.0}
                """
            ),
            src(
                """
                from dataclasses import dataclass, field


                @dataclass
                class ReturnPolicy:
                    window_days: int = 30
                    free_return_segments: tuple = ('vip',)
                    exceptions: list = field(default_factory=list)

                    def is_eligible(self, ordered_on, received_on):
                        return (received_on - ordered_on).days <= self.window_days

                    def fee_rate(self, reason, segment):
                        if segment in self.free_return_segments:
                            return 0.0
                        return restocking_fee.get(reason, 0.15)


                def refund_amount(price, qty, fee_rate=0.0, **extras):
                    shipping = extras.get('shipping', 0.0)
                    return round(price * qty * (1 - fee_rate) - shipping, 2)


                class ApiRecord:
                    \"\"\"A JSON payload from the shop API, fields as attributes.\"\"\"

                    def __init__(self, payload):
                        self._payload = payload

                    def __getattr__(self, name):
                        try:
                            return self._payload[name]
                        except KeyError:
                            raise AttributeError(name) from None


                policy = ReturnPolicy()
                rec = ApiRecord({'order_id': 5004, 'status': 'in_transit', 'carrier': 'UPS'})
                """
            ),
        ),
        (
            bug(
                "missing-key",
                "merged = returns.merge(orders, on='order')",
                "on='order'",
                "on='order_id'",
            ),
            ok(
                "missing-key",
                """
                merged = (returns.merge(orders, on='order_id', how='left')
                          .merge(customers, on='customer_id', how='left'))
                merged['days_to_return'] = (merged['received_on'] - merged['ordered_on']).dt.days
                merged[['return_id', 'segment', 'days_to_return']]
                """,
            ),
            bug(
                "missing-key",
                "totals = returns.pivot_table(index='reason', values='refund_eur', aggfunc='sum')",
                "refund_eur",
                "values='refund'",
            ),
            ok(
                "missing-key",
                """
                restocking_fee.setdefault('wrong item', 0.0)
                returns['fee_rate'] = returns['reason'].map(restocking_fee).fillna(0.15)
                if 'refund_net' not in returns.columns:
                    returns['refund_net'] = returns['refund'] * (1 - returns['fee_rate'])
                returns.sort_values('refund_net', ascending=False)
                """,
            ),
            bug(
                "missing-attribute",
                "cutoff = date.today() - timedelta(days=policy.window)",
                "policy.window",
                "policy.window_days",
            ),
            ok(
                "missing-attribute",
                """
                print(rec.order_id, rec.status, rec.carrier)
                eta = getattr(rec, 'eta', 'unknown')
                policy.exceptions.append('JK-GRN-M')
                """,
            ),
            bug(
                "missing-attribute",
                "orders['ordered_on'] = pd.to_datetim(orders['ordered_on'])",
                "pd.to_datetim(",
                "pd.to_datetime(",
            ),
            ok(
                "missing-attribute",
                """
                returns['day'] = returns['received_on'].dt.day
                returns['weekday'] = returns['received_on'].dt.day_name()
                orders['colour'] = orders['sku'].str.split('-').str[1].str.lower()
                """,
            ),
            bug(
                "bad-call",
                """
                first = orders.loc[1]
                print(policy.is_eligible(first['ordered_on']))
                """,
                "is_eligible(",
            ),
            ok(
                "bad-call",
                """
                r = refund_amount(59.0, 1, 0.1, shipping=4.95, note='label printed')
                strict = ReturnPolicy(window_days=14, exceptions=['JK-GRN-M'])
                print(r, strict.fee_rate('changed mind', 'new'))
                """,
            ),
            bug(
                "bad-call",
                "top_orders = orders.sort_values('price', descending=True).head(3)",
                "descending=True",
                "ascending=False",
            ),
            ok(
                "bad-call",
                """
                top_orders = orders.sort_values('price', ascending=False).head(3)
                first = orders.loc[1]
                print(policy.is_eligible(first['ordered_on'], returns.loc[0, 'received_on']))
                """,
            ),
            bug(
                "undefined-name",
                """
                total_refund = returns['refund'].sum()
                share = (returns.groupby('reason')['refund'].sum() / total_refunds).round(3)
                """,
                "total_refunds",
                "/ total_refund)",
            ),
            ok(
                "undefined-name",
                """
                import re

                late = [r.return_id for r in returns.itertuples()
                        if (waited := (r.received_on - pd.Timestamp('2025-10-01')).days) > 10]
                sizes = [m.group(1) for s in orders['sku'] if (m := re.search(r'-([SML])$', s))]
                print(late, waited, sizes)
                """,
            ),
            bug(
                "shape-mismatch",
                "orders['discount'] = [0.10, 0.0, 0.05]",
                "orders['discount']",
            ),
            ok(
                "shape-mismatch",
                """
                refund_by_order = returns.set_index('order_id')['refund']
                gross = orders.set_index('order_id')['price'] * orders.set_index('order_id')['qty']
                net = gross.sub(refund_by_order, fill_value=0)
                net.round(2)
                """,
            ),
            bug(
                "removed-api",
                """
                new_row = {'order_id': 5008, 'customer_id': 'C7', 'sku': 'TS-RED-L',
                           'price': 19.99, 'qty': 1, 'ordered_on': pd.Timestamp('2025-10-11')}
                orders = orders.append(new_row, ignore_index=True)
                """,
                "orders.append(",
                "pd.concat(",
            ),
            ok(
                "removed-api",
                """
                new_row = pd.DataFrame([{'order_id': 5008, 'customer_id': 'C7', 'price': 19.99,
                                         'qty': 1, 'ordered_on': pd.Timestamp('2025-10-11')}])
                orders = pd.concat([orders, new_row], ignore_index=True)
                weekly = returns.set_index('received_on').resample('W')['refund'].sum()
                returns['iso_week'] = returns['received_on'].dt.isocalendar().week
                """,
            ),
        ),
    ),
    # --- weather stations (numpy) ---------------------------------------------------------
    Notebook(
        "holdout3-weather",
        (
            "import numpy as np\nimport math",
            src(
                """
                rng = np.random.default_rng(7)
                stations = ['Bergen', 'Oslo', 'Tromso', 'Stavanger', 'Bodo']
                temps = np.round(rng.normal(8.0, 4.0, size=(5, 30)), 1)  # station x day, deg C
                rain_mm = np.round(rng.gamma(2.0, 3.0, size=(5, 30)), 1)
                wind = rng.uniform(0, 18, size=(5, 30, 24))  # station x day x hour, m/s
                elevation_m = np.array([12, 94, 10, 9, 11])
                lat_lon = np.array([[60.39, 5.32], [59.91, 10.75], [69.65, 18.96],
                                    [58.97, 5.73], [67.28, 14.40]])
                calib = {'Bergen': 0.2, 'Oslo': -0.1, 'Tromso': 0.0, 'Stavanger': 0.15}
                """
            ),
            src(
                """
                def feels_like(t, wind_speed, /, *, units='C'):
                    v = np.asarray(wind_speed) * 3.6
                    wc = 13.12 + 0.6215 * t - 11.37 * v ** 0.16 + 0.3965 * t * v ** 0.16
                    return wc if units == 'C' else wc * 9 / 5 + 32


                class Station:
                    def __init__(self, name, lat, lon):
                        self.name = name
                        self.lat = lat
                        self.lon = lon

                    def distance_to(self, other):
                        p1, p2 = math.radians(self.lat), math.radians(other.lat)
                        dl = math.radians(other.lon - self.lon)
                        a = (math.sin((p2 - p1) / 2) ** 2
                             + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2)
                        return 2 * 6371 * math.asin(math.sqrt(a))

                    def __repr__(self):
                        return f'Station({self.name!r})'


                network = [Station(n, lat, lon) for n, (lat, lon) in zip(stations, lat_lon)]
                """
            ),
        ),
        (
            bug(
                "shape-mismatch",
                "corrected = temps + elevation_m * 0.0065",
                "temps + elevation_m",
            ),
            ok(
                "shape-mismatch",
                """
                corrected = temps + elevation_m[:, None] * 0.0065
                station_mean = corrected.mean(axis=1)
                anomaly = corrected - station_mean.reshape(-1, 1)
                """,
            ),
            bug(
                "shape-mismatch",
                """
                daily_wind = wind.mean(axis=2)
                stormy = (daily_wind > 12) & (rain_mm.T > 10)
                """,
                "rain_mm.T",
                "(rain_mm > 10)",
            ),
            ok(
                "shape-mismatch",
                """
                weekly = temps[:, :28].reshape(5, 4, 7).mean(axis=2)
                gust_anom = wind - wind.mean(axis=(1, 2), keepdims=True)
                dist = np.hypot(*(lat_lon[:, None, :] - lat_lon[None, :, :]).transpose(2, 0, 1))
                """,
            ),
            ok(
                "shape-mismatch",
                """
                stacked = np.concatenate([temps, rain_mm], axis=0)
                profile = np.stack([temps, rain_mm], axis=-1)
                hourly = wind.reshape(5, -1)
                print(stacked.shape, profile.shape, hourly.shape)
                """,
            ),
            bug(
                "missing-key",
                """
                for name in stations:
                    print(name, calib[name])
                """,
                "calib[name]",
            ),
            ok(
                "missing-key",
                """
                offsets = np.array([calib.get(s, 0.0) for s in stations])
                temps_cal = temps + offsets[:, None]
                """,
            ),
            bug(
                "missing-attribute",
                "station_means = temps.nanmean(axis=1)",
                "temps.nanmean",
                "np.nanmean(temps",
            ),
            bug(
                "missing-attribute",
                "km = network[2].distance(network[1])",
                ".distance(",
                "network[2].distance_to(network[1])",
            ),
            ok(
                "missing-attribute",
                """
                km = network[2].distance_to(network[1])
                network[0].elevation = int(elevation_m[0])
                print(f'{network[2].name} -> {network[1].name}: {km:.0f} km', network[0])
                """,
            ),
            ok(
                "missing-attribute",
                """
                station_means = np.nanmean(temps, axis=1)
                km_deg = math.dist(lat_lon[0], lat_lon[1]) * 111.0
                wettest_day = rain_mm.argmax(axis=1)
                """,
            ),
            bug(
                "bad-call",
                "chill = feels_like(t=temps, wind_speed=wind.mean(axis=2))",
                "feels_like(",
                "feels_like(temps, wind.mean(axis=2))",
            ),
            ok(
                "bad-call",
                "chill_f = feels_like(temps, wind.mean(axis=2), units='F')",
            ),
            bug(
                "undefined-name",
                """
                for i, name in enumerate(station):
                    print(f'{name:<10} {temps[i].min():6.1f} {temps[i].max():6.1f}')
                """,
                "enumerate(station)",
                "enumerate(stations)",
            ),
            ok(
                "undefined-name",
                """
                wettest = stations[int(rain_mm.sum(axis=1).argmax())]
                if False:
                    print(undefined_debug_helper(wettest))
                print(f'wettest: {wettest}')
                """,
            ),
            bug(
                "removed-api",
                "total_rain = np.trapz(rain_mm, axis=1)",
                "np.trapz",
                "np.trapezoid(",
            ),
            bug(
                "removed-api",
                "p90 = np.percentile(temps, 90, axis=1, interpolation='nearest')",
                "interpolation=",
                "method='nearest'",
            ),
            ok(
                "removed-api",
                """
                total_rain = np.trapezoid(rain_mm, axis=1)
                temp_range = np.ptp(temps, axis=1)
                p90 = np.percentile(temps, 90, axis=1, method='nearest')
                coastal = np.isin(stations, ['Bergen', 'Stavanger', 'Bodo'])
                temps_masked = np.where(temps < -30, np.nan, temps).astype(np.float64)
                """,
            ),
        ),
    ),
    # --- HR / payroll ---------------------------------------------------------------------
    Notebook(
        "holdout3-payroll",
        (
            "import pandas as pd\nimport numpy as np",
            src(
                """
                staff = pd.DataFrame({
                    'emp_id': ['E01', 'E02', 'E03', 'E04', 'E05', 'E06'],
                    'full_name': ['Amara Nwosu', 'Lars Eriksen', 'Priya Shah', 'Tom Becker',
                                  'Sofia Moreno', 'Kenji Ito'],
                    'dept': ['Eng', 'Eng', 'Sales', 'Ops', 'Sales', 'Eng'],
                    'grade': ['L3', 'L5', 'L2', 'L4', 'L3', 'L2'],
                    'base_salary': [72000, 115000, 48000, 88000, 61000, 52000],
                    'hired': pd.to_datetime(['2019-03-01', '2015-09-14', '2023-01-09',
                                             '2017-06-19', '2021-11-01', '2024-02-05']),
                    'fte': [1.0, 1.0, 0.8, 1.0, 0.6, 1.0],
                }).set_index('emp_id')
                timesheets = pd.DataFrame({
                    'emp_id': ['E01', 'E02', 'E03', 'E01', 'E02', 'E03'],
                    'week': [1, 1, 1, 2, 2, 2],
                    'hours': [40.0, 42.5, 32.0, 38.0, None, 30.5],
                    'overtime': [0.0, 2.5, 0.0, 0.0, None, 0.0],
                })
                tax_bands = [(0, 12570, 0.0), (12570, 50270, 0.2), (50270, 125140, 0.4),
                             (125140, float('inf'), 0.45)]
                grade_bonus = {'L2': 0.03, 'L3': 0.05, 'L4': 0.08, 'L5': 0.12}
                """
            ),
            src(
                """
                def income_tax(gross, bands=tax_bands):
                    tax = 0.0
                    for lo, hi, rate in bands:
                        if gross > lo:
                            tax += (min(gross, hi) - lo) * rate
                    return round(tax, 2)


                def net_pay(gross, *, pension_rate=0.05, tax_fn=income_tax):
                    pension = gross * pension_rate
                    return round(gross - pension - tax_fn(gross - pension), 2)


                class Employee:
                    __slots__ = ('emp_id', 'name', 'salary')

                    def __init__(self, emp_id, name, salary):
                        self.emp_id = emp_id
                        self.name = name
                        self.salary = salary

                    def monthly(self):
                        return round(self.salary / 12, 2)

                    def raise_by(self, pct):
                        self.salary *= 1 + pct
                        return self


                class PayrollRun:
                    def __init__(self, period, **options):
                        self.period = period
                        self.options = options
                        self.lines = []

                    def add(self, emp_id, amount, note=''):
                        self.lines.append((emp_id, amount, note))

                    def total(self):
                        return sum(amount for _, amount, _ in self.lines)


                payroll = PayrollRun('2026-01')
                """
            ),
        ),
        (
            bug(
                "missing-key",
                "staff['monthly'] = staff['salary'] / 12",
                "staff['salary']",
                "staff['base_salary']",
            ),
            ok(
                "missing-key",
                """
                staff['bonus'] = staff['grade'].map(grade_bonus) * staff['base_salary']
                staff['total_comp'] = staff['base_salary'] + staff['bonus']
                staff.sort_values('total_comp', ascending=False).head(3)
                """,
            ),
            ok(
                "missing-key",
                """
                fte_by_emp = staff.groupby('emp_id')['fte'].sum()
                dept_cost = staff.groupby('dept', as_index=False)['base_salary'].sum()
                dept_cost.sort_values('base_salary')
                """,
            ),
            bug(
                "missing-key",
                """
                team = staff.reset_index()
                joined = team.merge(timesheets, on='employee_id', how='left')
                """,
                "on='employee_id'",
                "on='emp_id'",
            ),
            ok(
                "missing-key",
                """
                joined = staff.reset_index().merge(timesheets, on='emp_id', how='left')
                hours = joined.pivot_table(index='emp_id', columns='week', values='hours',
                                           aggfunc='sum')
                print(staff.loc['E07', 'base_salary'] if 'E07' in staff.index else 'no E07')
                """,
            ),
            bug(
                "missing-attribute",
                "staff['tenure_years'] = (pd.Timestamp('2026-01-01') - staff['hired']).dt.years",
                "dt.years",
            ),
            bug(
                "missing-attribute",
                """
                e = Employee('E07', 'Nora Quinn', 58000)
                e.department = 'Ops'
                """,
                "e.department",
            ),
            ok(
                "missing-attribute",
                """
                payroll.approved_by = 'CFO'
                e = Employee('E07', 'Nora Quinn', 58000).raise_by(0.04)
                staff['first_name'] = staff['full_name'].str.split().str.get(0)
                print(e.monthly(), payroll.approved_by)
                """,
            ),
            bug(
                "bad-call",
                "print(net_pay(5200 * 12, 0.06))",
                "net_pay(",
                "pension_rate=0.06",
            ),
            ok(
                "bad-call",
                """
                run = PayrollRun('2026-02', currency='GBP', rounding=2, dry_run=True)
                for emp_id, row in staff.iterrows():
                    run.add(emp_id, row['base_salary'] / 12, note='regular')
                print(run.total(), run.options['currency'])
                """,
            ),
            ok(
                "bad-call",
                """
                print(income_tax(60000), income_tax(60000, bands=tax_bands[:2]))
                print(net_pay(60000, pension_rate=0.06, tax_fn=lambda g: 0.0))
                """,
            ),
            bug(
                "undefined-name",
                "print(income_tax(60000, bands=tax_band))",
                "tax_band)",
                "bands=tax_bands",
            ),
            bug(
                "undefined-name",
                """
                by_dept = defaultdict(list)
                for emp_id, dept in staff['dept'].items():
                    by_dept[dept].append(emp_id)
                """,
                "defaultdict(list)",
                "from collections import defaultdict",
            ),
            ok(
                "undefined-name",
                """
                from collections import Counter

                grade_mix = Counter(staff['grade'])
                net = {emp_id: net_pay(s) for emp_id, s in staff['base_salary'].items()}
                print(grade_mix.most_common(2), max(net, key=net.get))
                """,
            ),
            bug(
                "shape-mismatch",
                """
                raises = np.array([0.03, 0.05, 0.04])
                new_salaries = staff['base_salary'].to_numpy() * (1 + raises)
                """,
                "new_salaries =",
            ),
            ok(
                "shape-mismatch",
                """
                adjust = pd.Series({'E01': 1.05, 'E03': 1.02, 'E06': 1.04})
                proposed = (staff['base_salary'] * adjust).fillna(staff['base_salary'])
                staff['proposed'] = proposed.round(-2)
                """,
            ),
            bug(
                "removed-api",
                "timesheets = timesheets.fillna(method='ffill')",
                "method='ffill'",
                "timesheets.ffill()",
            ),
            ok(
                "removed-api",
                """
                timesheets = timesheets.ffill()
                staff['hire_week'] = staff['hired'].dt.isocalendar().week
                for col, values in staff.items():
                    print(col, values.dtype)
                """,
            ),
        ),
    ),
]
