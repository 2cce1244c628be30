"""Held-out benchmark cases for the notebook-fix assistant.

These cases were written from the error messages users post (Stack Overflow questions and
GitHub issue style situations), blind to the project's fix rules: nothing under
``jupyter_spark/`` was read while writing them. Each case gives the kernel state (``setup``,
run first in a fresh IPython kernel), the buggy cell as a user would type it (it fails with
the family's error after the setup), and a ``check`` that passes only once the fixed cell does
what the user obviously meant.

Case names are ``"<family>: <situation>"``. Written against Python 3.11, numpy 2.x and
pandas 3.x; only the standard library, numpy and pandas are used. In the
``pandas-chained-assignment`` family the buggy cell raises nothing under copy-on-write: pandas
emits ``ChainedAssignmentError`` (a warning) and leaves the original frame unchanged, so the
check fails until the assignment goes through ``.loc`` (or the column is reassigned).
"""

from cases import Case

HELDOUT: list[Case] = [
    # -- 1 NameError: stdlib module used without import --------------------------------------------
    Case(
        name="name-stdlib-module: json.loads on an API payload without import json",
        setup='payload = \'{"user": "ana", "roles": ["admin", "dev"]}\'',
        cell='data = json.loads(payload)\nroles = data["roles"]',
        check='assert roles == ["admin", "dev"]',
    ),
    Case(
        name="name-stdlib-module: os.listdir to find csv files without import os",
        setup=(
            "import tempfile\n"
            "workdir = tempfile.mkdtemp()\n"
            'open(workdir + "/a.csv", "w").close()\n'
            'open(workdir + "/b.txt", "w").close()'
        ),
        cell='csv_files = [f for f in os.listdir(workdir) if f.endswith(".csv")]',
        check='assert csv_files == ["a.csv"]',
    ),
    Case(
        name="name-stdlib-module: re.search on a log line without import re",
        setup='log_line = "2024-03-01 ERROR code=503 path=/api/v1"',
        cell='code = int(re.search(r"code=(\\d+)", log_line).group(1))',
        check="assert code == 503",
    ),
    Case(
        name="name-stdlib-module: math.pi for a circle area without import math",
        setup="radius_cm = 2.5",
        cell="area_cm2 = math.pi * radius_cm ** 2",
        check="assert abs(area_cm2 - 19.6349540849) < 1e-6",
    ),
    Case(
        name="name-stdlib-module: random.sample to deal a hand without import random",
        setup="deck = list(range(52))",
        cell="random.seed(7)\nhand = random.sample(deck, 5)",
        check="assert len(hand) == 5 and len(set(hand)) == 5 and all(c in deck for c in hand)",
    ),
    Case(
        name="name-stdlib-module: datetime.datetime.strptime without import datetime",
        setup='stamps = ["2024-01-15", "2024-02-20"]',
        cell=(
            'parsed = [datetime.datetime.strptime(s, "%Y-%m-%d") for s in stamps]\n'
            "gap_days = (parsed[1] - parsed[0]).days"
        ),
        check="assert gap_days == 36",
    ),
    Case(
        name="name-stdlib-module: collections.Counter for a vote tally without import collections",
        setup='votes = ["red", "blue", "red", "green", "red", "blue"]',
        cell="tally = collections.Counter(votes)\nwinner = tally.most_common(1)[0][0]",
        check='assert winner == "red" and tally["blue"] == 2',
    ),
    Case(
        name="name-stdlib-module: itertools.combinations for matchups without import itertools",
        setup='players = ["ann", "bob", "cy", "dee"]',
        cell="matchups = list(itertools.combinations(players, 2))",
        check='assert len(matchups) == 6 and ("ann", "bob") in matchups',
    ),
    Case(
        name="name-stdlib-module: time.perf_counter timing a loop without import time",
        setup="n_terms = 1000",
        cell=(
            "t0 = time.perf_counter()\n"
            "sum_sq = sum(i * i for i in range(n_terms))\n"
            "elapsed = time.perf_counter() - t0"
        ),
        check="assert sum_sq == 332833500 and elapsed >= 0",
    ),
    Case(
        name="name-stdlib-module: statistics.median of latencies without import statistics",
        setup="latencies_ms = [12, 15, 11, 40, 13]",
        cell="median_latency = statistics.median(latencies_ms)",
        check="assert median_latency == 13",
    ),
    Case(
        name="name-stdlib-module: pathlib.Path to write a report without import pathlib",
        setup="import tempfile\nreport_dir = tempfile.mkdtemp()",
        cell='out_file = pathlib.Path(report_dir) / "summary.txt"\nout_file.write_text("ok")',
        check='import os\nassert open(os.path.join(report_dir, "summary.txt")).read() == "ok"',
    ),
    # -- 2 NameError: numpy / pandas alias used without import -------------------------------------
    Case(
        name="name-package-alias: np.mean and np.std on a list, numpy never imported",
        setup="heights = [1.62, 1.75, 1.80, 1.68]",
        cell="mean_height = np.mean(heights)\nstd_height = np.std(heights)",
        check="assert abs(mean_height - 1.7125) < 1e-9 and 0.06 < std_height < 0.07",
    ),
    Case(
        name="name-package-alias: pd.DataFrame from a list of dicts, pandas never imported",
        setup='rows = [{"sku": "A1", "qty": 3}, {"sku": "B2", "qty": 5}]',
        cell='inventory = pd.DataFrame(rows)\ntotal_qty = inventory["qty"].sum()',
        check='assert total_qty == 8 and list(inventory.columns) == ["sku", "qty"]',
    ),
    Case(
        name="name-package-alias: np.sqrt on a Series when only pandas was imported",
        setup="import pandas as pd\nareas = pd.Series([4.0, 9.0, 16.0])",
        cell="sides = np.sqrt(areas)",
        check="assert list(sides) == [2.0, 3.0, 4.0]",
    ),
    Case(
        name="name-package-alias: pd.DataFrame from a numpy matrix when only numpy was imported",
        setup="import numpy as np\nmatrix = np.arange(6).reshape(3, 2)",
        cell='frame = pd.DataFrame(matrix, columns=["x", "y"])',
        check='assert frame["y"].tolist() == [1, 3, 5]',
    ),
    Case(
        name="name-package-alias: pd.to_datetime on date strings, pandas never imported",
        setup='date_strings = ["2023-05-01", "2023-05-03"]',
        cell="dates = pd.to_datetime(date_strings)\nspan = (dates.max() - dates.min()).days",
        check="assert span == 2",
    ),
    Case(
        name="name-package-alias: np.zeros for a histogram, numpy never imported",
        setup="n_bins = 4",
        cell="histogram = np.zeros(n_bins)\nhistogram[2] += 1",
        check="assert histogram.tolist() == [0, 0, 1, 0]",
    ),
    # -- 3 NameError: a well-known from-import name used without importing it ----------------------
    Case(
        name="name-from-import: defaultdict(list) used without from collections import",
        setup='pairs = [("fruit", "apple"), ("veg", "leek"), ("fruit", "pear")]',
        cell="groups = defaultdict(list)\nfor kind, item in pairs:\n    groups[kind].append(item)",
        check='assert dict(groups) == {"fruit": ["apple", "pear"], "veg": ["leek"]}',
    ),
    Case(
        name="name-from-import: Counter on words used without import",
        setup='text = "the cat and the hat and the bat"',
        cell="word_counts = Counter(text.split())",
        check='assert word_counts["the"] == 3 and word_counts["and"] == 2',
    ),
    Case(
        name="name-from-import: Path used to build a config path without import",
        setup="import tempfile\nproject_root = tempfile.mkdtemp()",
        cell=(
            'config_path = Path(project_root) / "config.toml"\n'
            'config_path.write_text("debug = true")'
        ),
        check=(
            "import os\n"
            'assert open(os.path.join(project_root, "config.toml")).read() == "debug = true"'
        ),
    ),
    Case(
        name="name-from-import: @dataclass decorator used without import",
        setup="raw_points = [(1, 2), (3, 4)]",
        cell=(
            "@dataclass\n"
            "class Point:\n"
            "    x: int\n"
            "    y: int\n"
            "\n"
            "pts = [Point(*p) for p in raw_points]"
        ),
        check="assert pts[1].y == 4 and pts[0] == Point(1, 2)",
    ),
    Case(
        name="name-from-import: datetime.strptime (the class) used without import",
        setup='release = "2021-07-04 09:30"',
        cell='release_dt = datetime.strptime(release, "%Y-%m-%d %H:%M")',
        check="assert (release_dt.year, release_dt.hour, release_dt.minute) == (2021, 9, 30)",
    ),
    Case(
        name="name-from-import: namedtuple for records used without import",
        setup='records = [("alice", 31), ("bob", 27)]',
        cell=(
            'Person = namedtuple("Person", ["name", "age"])\n'
            "people = [Person(*r) for r in records]\n"
            "youngest = min(people, key=lambda p: p.age).name"
        ),
        check='assert youngest == "bob" and people[0].age == 31',
    ),
    Case(
        name="name-from-import: partial to fix an exponent used without import",
        setup="def power(base, exponent):\n    return base ** exponent",
        cell="square = partial(power, exponent=2)\nsquares = [square(v) for v in range(5)]",
        check="assert squares == [0, 1, 4, 9, 16]",
    ),
    Case(
        name="name-from-import: reduce for a product used without import (py2 builtin)",
        setup="factors = [2, 3, 5, 7]",
        cell="product = reduce(lambda a, b: a * b, factors)",
        check="assert product == 210",
    ),
    Case(
        name="name-from-import: deepcopy of a nested config used without import",
        setup='base_config = {"model": {"layers": 2, "dropout": 0.1}, "lr": 0.01}',
        cell='experiment = deepcopy(base_config)\nexperiment["model"]["layers"] = 4',
        check='assert experiment["model"]["layers"] == 4 and base_config["model"]["layers"] == 2',
    ),
    Case(
        name="name-from-import: sqrt for a euclidean distance used without import",
        setup="dx, dy = 3.0, 4.0",
        cell="distance = sqrt(dx ** 2 + dy ** 2)",
        check="assert distance == 5.0",
    ),
    Case(
        name="name-from-import: chain.from_iterable to flatten batches used without import",
        setup="batches_nested = [[1, 2], [3], [4, 5]]",
        cell="flat = list(chain.from_iterable(batches_nested))",
        check="assert flat == [1, 2, 3, 4, 5]",
    ),
    Case(
        name="name-from-import: timedelta added to a date used without import",
        setup="import datetime as dt\nstart_date = dt.date(2024, 2, 27)",
        cell="deadline = start_date + timedelta(days=3)",
        check="assert deadline == dt.date(2024, 3, 1)",
    ),
    # -- 4 NameError: typo of a name defined earlier in the notebook -------------------------------
    Case(
        name="name-typo: list variable missing its last letter",
        setup="monthly_revenue = [1200, 1350, 980]",
        cell="q1_total = sum(monthly_revenu)",
        check="assert q1_total == 3530",
    ),
    Case(
        name="name-typo: British spelling of a helper defined with z",
        setup="def normalize_name(s):\n    return s.strip().title()",
        cell='clean = [normalise_name(n) for n in ["  ada lovelace", "alan TURING "]]',
        check='assert clean == ["Ada Lovelace", "Alan Turing"]',
    ),
    Case(
        name="name-typo: singular DataFrame name instead of plural",
        setup=(
            "import pandas as pd\n"
            'customers_df = pd.DataFrame({"id": [1, 2, 3], "country": ["FR", "DE", "FR"]})'
        ),
        cell='fr_count = (customer_df["country"] == "FR").sum()',
        check="assert fr_count == 2",
    ),
    Case(
        name="name-typo: lowercase x_train when X_train was defined",
        setup="import numpy as np\nX_train = np.ones((10, 3))",
        cell="n_features = x_train.shape[1]",
        check="assert n_features == 3",
    ),
    Case(
        name="name-typo: epoch instead of epochs inside range",
        setup="learning_rate = 0.001\nepochs = 20",
        cell="schedule = [learning_rate * 0.9 ** e for e in range(epoch)]",
        check="assert len(schedule) == 20 and schedule[0] == 0.001",
    ),
    Case(
        name="name-typo: result used under a different name than assigned",
        setup="def compute_bmi(weight_kg, height_m):\n    return weight_kg / height_m ** 2",
        cell='bmi = compute_bmi(70, 1.75)\nbmi_label = f"BMI: {bmi_value:.1f}"',
        check='assert bmi_label == "BMI: 22.9"',
    ),
    Case(
        name="name-typo: transposed letters in a dict variable",
        setup='thresholds = {"low": 10, "high": 90}',
        cell='alerts = [v for v in [5, 50, 95] if v > threhsolds["high"] or v < thresholds["low"]]',
        check="assert alerts == [5, 95]",
    ),
    Case(
        name="name-typo: misspelled class name on instantiation",
        setup=(
            "class Inventory:\n"
            "    def __init__(self):\n"
            "        self.items = {}\n"
            "\n"
            "    def add(self, name, qty):\n"
            "        self.items[name] = self.items.get(name, 0) + qty"
        ),
        cell='store = Invetory()\nstore.add("bolts", 40)',
        check='assert store.items == {"bolts": 40}',
    ),
    # -- 5 TypeError: unexpected keyword argument --------------------------------------------------
    Case(
        name="type-unexpected-kwarg: sorted(reversed=True) instead of reverse",
        setup="scores = [88, 92, 75, 99]",
        cell="ranked = sorted(scores, reversed=True)",
        check="assert ranked == [99, 92, 88, 75]",
    ),
    Case(
        name="type-unexpected-kwarg: typo in the keyword of a user function",
        setup="def resample_signal(values, factor=2):\n    return values[::factor]",
        cell="down = resample_signal(list(range(10)), factr=3)",
        check="assert down == [0, 3, 6, 9]",
    ),
    Case(
        name="type-unexpected-kwarg: sort_values(ascend=False)",
        setup=(
            "import pandas as pd\n"
            'league = pd.DataFrame({"team": ["A", "B", "C"], "points": [30, 45, 38]})'
        ),
        cell='table = league.sort_values("points", ascend=False)',
        check='assert table["team"].tolist() == ["B", "C", "A"]',
    ),
    Case(
        name="type-unexpected-kwarg: np.linspace(num_points=...) instead of num",
        setup="import numpy as np",
        cell="grid = np.linspace(0, 1, num_points=5)",
        check="assert grid.tolist() == [0, 0.25, 0.5, 0.75, 1.0]",
    ),
    Case(
        name="type-unexpected-kwarg: read_csv(seperator=';') misspelled sep",
        setup='import io\nimport pandas as pd\nraw_csv = "name;score\\nann;3\\nbo;5\\n"',
        cell='scores_df = pd.read_csv(io.StringIO(raw_csv), seperator=";")',
        check='assert scores_df["score"].sum() == 8',
    ),
    Case(
        name="type-unexpected-kwarg: str.split(separator=',')",
        setup='header = "id,name,email"',
        cell='fields = header.split(separator=",")',
        check='assert fields == ["id", "name", "email"]',
    ),
    Case(
        name="type-unexpected-kwarg: wrong parameter name for a user function",
        setup='def make_greeting(name, punctuation="!"):\n    return f"Hello, {name}{punctuation}"',
        cell='msg = make_greeting(username="Mia")',
        check='assert msg == "Hello, Mia!"',
    ),
    Case(
        name="type-unexpected-kwarg: DataFrame.rename(column=...) singular",
        setup='import pandas as pd\nraw_temps = pd.DataFrame({"Temp (C)": [20.1, 22.4]})',
        cell='clean_temps = raw_temps.rename(column={"Temp (C)": "temp_c"})',
        check='assert list(clean_temps.columns) == ["temp_c"]',
    ),
    Case(
        name="type-unexpected-kwarg: round(x, digits=2)",
        setup="pi_estimate = 3.14159265",
        cell="pi_2dp = round(pi_estimate, digits=2)",
        check="assert pi_2dp == 3.14",
    ),
    # -- 6 TypeError: missing / too many positional arguments --------------------------------------
    Case(
        name="type-positional-args: conversion rate argument forgotten",
        setup=(
            "def convert_currency(amount, rate):\n"
            "    return round(amount * rate, 2)\n"
            "\n"
            "eur_usd = 1.08"
        ),
        cell="usd_prices = [convert_currency(p) for p in [10, 25]]",
        check="assert usd_prices == [10.8, 27.0]",
    ),
    Case(
        name="type-positional-args: square area called with two sides",
        setup="def area_of_square(side):\n    return side * side",
        cell="floor_area = area_of_square(4, 4)",
        check="assert floor_area == 16",
    ),
    Case(
        name="type-positional-args: method called on the class instead of the instance",
        setup=(
            "class Thermometer:\n"
            "    def __init__(self, celsius):\n"
            "        self.celsius = celsius\n"
            "\n"
            "    def to_fahrenheit(self):\n"
            "        return self.celsius * 9 / 5 + 32"
        ),
        cell="reading = Thermometer(100)\nfahrenheit = Thermometer.to_fahrenheit()",
        check="assert fahrenheit == 212.0",
    ),
    Case(
        name="type-positional-args: upper bound forgotten in a clip helper",
        setup=(
            "def clip(value, lo, hi):\n"
            "    return max(lo, min(value, hi))\n"
            "\n"
            "LOWER, UPPER = 0, 10\n"
            "raw_signal = [-5, 3, 12, 7]"
        ),
        cell="clipped = [clip(v, LOWER) for v in raw_signal]",
        check="assert clipped == [0, 3, 10, 7]",
    ),
    Case(
        name="type-positional-args: coordinates passed unpacked to a function taking points",
        setup=(
            "def distance(p, q):\n"
            "    return ((p[0] - q[0]) ** 2 + (p[1] - q[1]) ** 2) ** 0.5\n"
            "\n"
            "origin = (0, 0)\n"
            "target = (6, 8)"
        ),
        cell="d = distance(0, 0, 6, 8)",
        check="assert d == 10.0",
    ),
    Case(
        name="type-positional-args: constructor called without the opening balance",
        setup=(
            "class BankAccount:\n"
            "    def __init__(self, owner, balance):\n"
            "        self.owner = owner\n"
            "        self.balance = balance"
        ),
        cell='acct = BankAccount("Noor")\nacct.balance += 50',
        check='assert acct.owner == "Noor" and acct.balance == 50',
    ),
    Case(
        name="type-positional-args: one-argument lambda mapped over two lists",
        setup="unit_prices = [10, 20]\nquantities = [3, 1]",
        cell="line_totals = list(map(lambda p: p * q, unit_prices, quantities))",
        check="assert line_totals == [30, 20]",
    ),
    # -- 7 AttributeError: module has no attribute (and json.load/loads mix-ups) -------------------
    Case(
        name="attr-module: math.sqr instead of math.sqrt",
        setup="import math\nside_lengths = [4, 9, 16]",
        cell="roots = [math.sqr(x) for x in side_lengths]",
        check="assert roots == [2.0, 3.0, 4.0]",
    ),
    Case(
        name="attr-module: np.arrange instead of np.arange",
        setup="import numpy as np",
        cell="hours = np.arrange(0, 24, 6)",
        check="assert hours.tolist() == [0, 6, 12, 18]",
    ),
    Case(
        name="attr-module: os.path.exsts typo",
        setup=(
            'import os\nimport tempfile\ncache_file = os.path.join(tempfile.mkdtemp(), "cache.pkl")'
        ),
        cell='if not os.path.exsts(cache_file):\n    open(cache_file, "wb").close()',
        check="assert os.path.exists(cache_file)",
    ),
    Case(
        name="attr-module: json.load given a string instead of json.loads",
        setup='import json\nresponse_text = \'{"status": "ok", "items": [1, 2, 3]}\'',
        cell='response = json.load(response_text)\nn_items = len(response["items"])',
        check='assert n_items == 3 and response["status"] == "ok"',
    ),
    Case(
        name="attr-module: json.parse (JavaScript habit)",
        setup="import json\nbody = '{\"id\": 42}'",
        cell="record = json.parse(body)",
        check='assert record == {"id": 42}',
    ),
    Case(
        name="attr-module: pd.Dataframe lowercase f",
        setup="import pandas as pd",
        cell='grid_df = pd.Dataframe({"row": [1, 2], "col": [3, 4]})',
        check='assert grid_df.shape == (2, 2) and grid_df["col"].sum() == 7',
    ),
    Case(
        name="attr-module: random.randInt camel case",
        setup="import random\nrandom.seed(0)",
        cell="dice = [random.randInt(1, 6) for _ in range(10)]",
        check="assert len(dice) == 10 and all(1 <= d <= 6 for d in dice)",
    ),
    Case(
        name="attr-module: np.concatinate misspelled",
        setup="import numpy as np\nleft_half = np.array([1, 2])\nright_half = np.array([3, 4])",
        cell="whole = np.concatinate([left_half, right_half])",
        check="assert whole.tolist() == [1, 2, 3, 4]",
    ),
    Case(
        name="attr-module: datetime.now() on the datetime module",
        setup="import datetime",
        cell="current_year = datetime.now().year",
        check="assert current_year >= 2024",
    ),
    # -- 8 ImportError: cannot import name ---------------------------------------------------------
    Case(
        name="import-name: from collections import defaultdic",
        setup='word_list = ["a", "bb", "cc"]',
        cell=(
            "from collections import defaultdic\n"
            "by_len = defaultdic(list)\n"
            "for w in word_list:\n"
            "    by_len[len(w)].append(w)"
        ),
        check='assert dict(by_len) == {1: ["a"], 2: ["bb", "cc"]}',
    ),
    Case(
        name="import-name: from itertools import combination (singular)",
        setup='toppings = ["ham", "olive", "basil"]',
        cell="from itertools import combination\ntopping_pairs = list(combination(toppings, 2))",
        check='assert len(topping_pairs) == 3 and ("ham", "olive") in topping_pairs',
    ),
    Case(
        name="import-name: from datetime import Datetime capitalised",
        setup="launch_year = 2030",
        cell="from datetime import Datetime\nlaunch = Datetime(launch_year, 1, 1)",
        check="assert launch.year == 2030 and launch.month == 1",
    ),
    Case(
        name="import-name: from collections import Mapping (moved to collections.abc)",
        setup='cfg = {"a": 1}',
        cell="from collections import Mapping\nis_mapping = isinstance(cfg, Mapping)",
        check="assert is_mapping is True",
    ),
    Case(
        name="import-name: from pandas import Dataframe",
        setup="debits = [5, 0]\ncredits = [0, 7]",
        cell=(
            'from pandas import Dataframe\nledger = Dataframe({"debit": debits, "credit": credits})'
        ),
        check='assert ledger["credit"].sum() == 7',
    ),
    Case(
        name="import-name: from statistics import avg",
        setup="session_lengths = [3, 5, 7]",
        cell="from statistics import avg\nsession_avg = avg(session_lengths)",
        check="assert session_avg == 5",
    ),
    Case(
        name="import-name: from string import letters (Python 2 name)",
        setup='secret = "abc123"',
        cell="from string import letters\nalpha_chars = [ch for ch in secret if ch in letters]",
        check='assert alpha_chars == ["a", "b", "c"]',
    ),
    Case(
        name="import-name: from numpy import arrange",
        setup="n_steps = 4",
        cell="from numpy import arrange\nstep_ids = arrange(n_steps)",
        check="assert step_ids.tolist() == [0, 1, 2, 3]",
    ),
    # -- 9 ModuleNotFoundError: typo in a module name ----------------------------------------------
    Case(
        name="module-not-found: import nump as np",
        setup="samples = [0.5, 1.5, 2.5]",
        cell="import nump as np\ncentered = np.array(samples) - np.mean(samples)",
        check="assert centered.tolist() == [-1.0, 0.0, 1.0]",
    ),
    Case(
        name="module-not-found: import colections",
        setup="stream_values = range(5)",
        cell=(
            "import colections\n"
            "window = colections.deque(maxlen=3)\n"
            "for v in stream_values:\n"
            "    window.append(v)"
        ),
        check="assert list(window) == [2, 3, 4]",
    ),
    Case(
        name="module-not-found: import panda as pd",
        setup='orders = {"id": [1, 2], "total": [9.5, 20.0]}',
        cell="import panda as pd\norders_df = pd.DataFrame(orders)",
        check='assert orders_df["total"].sum() == 29.5',
    ),
    Case(
        name="module-not-found: import itertool",
        setup="bits = [0, 1]",
        cell="import itertool\ngrid_points = list(itertool.product(bits, repeat=2))",
        check="assert grid_points == [(0, 0), (0, 1), (1, 0), (1, 1)]",
    ),
    Case(
        name="module-not-found: import Pandas capitalised",
        setup='week_labels = ["w1", "w2", "w3"]',
        cell="import Pandas as pd\nweekly = pd.Series([4, 6, 5], index=week_labels)",
        check='assert weekly["w2"] == 6',
    ),
    Case(
        name="module-not-found: import statistic (missing s)",
        setup="measurements = [2, 4, 4, 4, 5, 5, 7, 9]",
        cell="import statistic\nspread = statistic.stdev(measurements)",
        check="assert abs(spread - 2.13809) < 1e-4",
    ),
    Case(
        name="module-not-found: from maths import floor (British)",
        setup="ages = [5, 15, 27]",
        cell="from maths import floor\ndecades = [floor(a / 10) for a in ages]",
        check="assert decades == [0, 1, 2]",
    ),
    # -- 10 AttributeError: typo / Python 2 / JavaScript method on a builtin value -----------------
    Case(
        name="attr-builtin-method: list.apend",
        setup='queue_items = ["job1"]',
        cell='queue_items.apend("job2")',
        check='assert queue_items == ["job1", "job2"]',
    ),
    Case(
        name="attr-builtin-method: str.uper",
        setup='country_code = "fr"',
        cell="code_upper = country_code.uper()",
        check='assert code_upper == "FR"',
    ),
    Case(
        name="attr-builtin-method: dict.iteritems (Python 2)",
        setup='stock = {"apples": 3, "pears": 0, "plums": 7}',
        cell="in_stock = [k for k, v in stock.iteritems() if v > 0]",
        check='assert in_stock == ["apples", "plums"]',
    ),
    Case(
        name="attr-builtin-method: dict.has_key (Python 2)",
        setup='user_prefs = {"lang": "en", "tz": "UTC"}',
        cell=(
            'if user_prefs.has_key("lang"):\n'
            '    language = user_prefs["lang"]\n'
            "else:\n"
            '    language = "default"'
        ),
        check='assert language == "en"',
    ),
    Case(
        name="attr-builtin-method: str.startwith missing s",
        setup='filenames = ["img_001.png", "doc.txt", "img_002.png"]',
        cell='images = [f for f in filenames if f.startwith("img_")]',
        check='assert images == ["img_001.png", "img_002.png"]',
    ),
    Case(
        name="attr-builtin-method: list.length (JavaScript habit)",
        setup='guests = ["ana", "ben", "cho"]',
        cell="guest_count = guests.length",
        check="assert guest_count == 3",
    ),
    Case(
        name="attr-builtin-method: str.trim (JavaScript habit)",
        setup='raw_title = "   Quarterly Report  "',
        cell="title = raw_title.trim()",
        check='assert title == "Quarterly Report"',
    ),
    Case(
        name="attr-builtin-method: set.push",
        setup="seen_ids = {1, 2}",
        cell="seen_ids.push(3)",
        check="assert seen_ids == {1, 2, 3}",
    ),
    Case(
        name="attr-builtin-method: list.extends",
        setup="all_rows = [1, 2]\nnew_rows = [3, 4]",
        cell="all_rows.extends(new_rows)",
        check="assert all_rows == [1, 2, 3, 4]",
    ),
    # -- 11 AttributeError: DataFrame column-as-attribute or method typo ---------------------------
    Case(
        name="attr-dataframe: column accessed as attribute with extra s",
        setup=(
            "import pandas as pd\n"
            'flights = pd.DataFrame({"origin": ["JFK", "LAX"], "delay_min": [12, 30]})'
        ),
        cell="avg_delay = flights.delay_mins.mean()",
        check="assert avg_delay == 21",
    ),
    Case(
        name="attr-dataframe: dropNA camel case",
        setup='import pandas as pd\nsensor = pd.DataFrame({"temp": [20.0, None, 22.0]})',
        cell="sensor_clean = sensor.dropNA()",
        check='assert len(sensor_clean) == 2 and sensor_clean["temp"].tolist() == [20.0, 22.0]',
    ),
    Case(
        name="attr-dataframe: groupBy camel case (Spark habit)",
        setup=(
            'import pandas as pd\ntx = pd.DataFrame({"shop": ["a", "b", "a"], "amount": [5, 7, 3]})'
        ),
        cell='per_shop = tx.groupBy("shop")["amount"].sum()',
        check='assert per_shop["a"] == 8 and per_shop["b"] == 7',
    ),
    Case(
        name="attr-dataframe: attribute access with the wrong case of a column",
        setup=(
            "import pandas as pd\n"
            'patients = pd.DataFrame({"Age": [34, 51, 29], "ward": ["A", "B", "A"]})'
        ),
        cell="seniors = patients[patients.age > 40]",
        check='assert len(seniors) == 1 and seniors["Age"].iloc[0] == 51',
    ),
    Case(
        name="attr-dataframe: sort_value missing s",
        setup=(
            "import pandas as pd\n"
            'movies = pd.DataFrame({"title": ["X", "Y", "Z"], "rating": [7.1, 8.4, 6.0]})'
        ),
        cell='best_first = movies.sort_value("rating", ascending=False)',
        check='assert best_first["title"].tolist() == ["Y", "X", "Z"]',
    ),
    Case(
        name="attr-dataframe: df.colums typo",
        setup='import pandas as pd\nsurvey = pd.DataFrame({"q1": [1], "q2": [2], "q3": [3]})',
        cell="question_cols = list(survey.colums)",
        check='assert question_cols == ["q1", "q2", "q3"]',
    ),
    Case(
        name="attr-dataframe: valuecounts without underscore",
        setup=(
            "import pandas as pd\n"
            'tickets = pd.DataFrame({"priority": ["high", "low", "high", "mid"]})'
        ),
        cell="priority_counts = tickets.priority.valuecounts()",
        check='assert priority_counts["high"] == 2 and priority_counts["low"] == 1',
    ),
    # -- 12 KeyError: DataFrame column typo or wrong case ------------------------------------------
    Case(
        name="key-column: capitalised column name",
        setup=(
            "import pandas as pd\n"
            'employees = pd.DataFrame({"name": ["A", "B"], "salary": [50000, 62000]})'
        ),
        cell='payroll = employees["Salary"].sum()',
        check="assert payroll == 112000",
    ),
    Case(
        name="key-column: misspelled column in a filter",
        setup=(
            "import pandas as pd\n"
            'weather = pd.DataFrame({"date": ["d1", "d2"], "precipitation": [0.0, 5.2]})'
        ),
        cell='rainy_days = weather[weather["precipitaton"] > 0]',
        check='assert len(rainy_days) == 1 and rainy_days["date"].iloc[0] == "d2"',
    ),
    Case(
        name="key-column: CSV header with a space after the comma",
        setup=(
            "import io\n"
            "import pandas as pd\n"
            'imported = pd.read_csv(io.StringIO("product, price\\nA, 3\\nB, 4\\n"))'
        ),
        cell='avg_price = imported["price"].mean()',
        check="assert avg_price == 3.5",
    ),
    Case(
        name="key-column: one wrong name in a list of feature columns",
        setup=(
            "import pandas as pd\n"
            'houses = pd.DataFrame({"sqft": [800, 1200], "bedrooms": [2, 3], "price": '
            "[200, 310]})"
        ),
        cell='features = houses[["sqft", "bedroom"]]',
        check='assert features.shape == (2, 2) and list(features.columns) == ["sqft", "bedrooms"]',
    ),
    Case(
        name="key-column: underscore instead of space in a column name",
        setup=(
            "import pandas as pd\n"
            'students = pd.DataFrame({"student id": [1, 2], "final grade": [88, 93]})'
        ),
        cell='top_student = students.loc[students["final_grade"].idxmax(), "student id"]',
        check="assert top_student == 2",
    ),
    Case(
        name="key-column: abbreviated column name in arithmetic",
        setup=(
            "import pandas as pd\n"
            'cart = pd.DataFrame({"unit_price": [2.5, 4.0], "quantity": [4, 2]})'
        ),
        cell='cart["line_total"] = cart["unit_price"] * cart["qty"]',
        check='assert cart["line_total"].tolist() == [10.0, 8.0]',
    ),
    Case(
        name="key-column: singular column name inside .loc",
        setup=(
            "import pandas as pd\n"
            'planets = pd.DataFrame({"planet": ["Mars", "Venus"], "moons": [2, '
            '0]}).set_index("planet")'
        ),
        cell='mars_moons = planets.loc["Mars", "moon"]',
        check="assert mars_moons == 2",
    ),
    # -- 13 KeyError: dict key ---------------------------------------------------------------------
    Case(
        name="key-dict: hostname vs host in a config dict",
        setup='db_config = {"host": "localhost", "port": 5432, "user": "admin"}',
        cell="conn_str = f\"{db_config['user']}@{db_config['hostname']}:{db_config['port']}\"",
        check='assert conn_str == "admin@localhost:5432"',
    ),
    Case(
        name="key-dict: lowercase country key",
        setup='capitals = {"France": "Paris", "Japan": "Tokyo"}',
        cell='jp_capital = capitals["japan"]',
        check='assert jp_capital == "Tokyo"',
    ),
    Case(
        name="key-dict: singular key in a nested API response",
        setup='api_response = {"data": {"results": [{"id": 1}, {"id": 2}]}, "meta": {"count": 2}}',
        cell='result_ids = [r["id"] for r in api_response["data"]["result"]]',
        check="assert result_ids == [1, 2]",
    ),
    Case(
        name="key-dict: incrementing a count for a key never initialised",
        setup='colors_seen = ["red", "blue", "red"]',
        cell="color_counts = {}\nfor c in colors_seen:\n    color_counts[c] += 1",
        check='assert color_counts == {"red": 2, "blue": 1}',
    ),
    Case(
        name="key-dict: batchsize vs batch_size in hyperparameters",
        setup='hparams = {"learning_rate": 3e-4, "batch_size": 64}',
        cell='steps_per_epoch = 50000 // hparams["batchsize"]',
        check="assert steps_per_epoch == 781",
    ),
    Case(
        name="key-dict: lowercase key on a JSON object with capitalised keys",
        setup='weather_json = {"Temperature": 18.5, "Humidity": 0.6}',
        cell='temp_f = weather_json["temperature"] * 9 / 5 + 32',
        check="assert abs(temp_f - 65.3) < 1e-9",
    ),
    # -- 14 KeyError: column renamed by groupby / agg / merge / reset_index ------------------------
    Case(
        name="key-renamed-column: merge added _x/_y suffixes, user expected custom ones",
        setup=(
            "import pandas as pd\n"
            'budget = pd.DataFrame({"dept": ["ops", "r&d"], "amount": [100, 200]})\n'
            'actual = pd.DataFrame({"dept": ["ops", "r&d"], "amount": [120, 180]})'
        ),
        cell=(
            'comparison = budget.merge(actual, on="dept")\n'
            'comparison["overspend"] = comparison["amount_actual"] - '
            'comparison["amount_budget"]'
        ),
        check='assert comparison["overspend"].tolist() == [20, -20]',
    ),
    Case(
        name="key-renamed-column: value_counts().reset_index() no longer has an 'index' column",
        setup=(
            "import pandas as pd\n"
            'browsers = pd.Series(["chrome", "firefox", "chrome", "safari", "chrome"], '
            'name="browser")'
        ),
        cell='usage = browsers.value_counts().reset_index()\ntop_browser = usage.loc[0, "index"]',
        check='assert top_browser == "chrome"',
    ),
    Case(
        name="key-renamed-column: named aggregation renamed the column",
        setup=(
            "import pandas as pd\n"
            'rides = pd.DataFrame({"driver": ["d1", "d2", "d1"], "fare": [10.0, 8.0, 12.0]})'
        ),
        cell=(
            'per_driver = rides.groupby("driver").agg(total_fare=("fare", '
            '"sum")).reset_index()\n'
            'best_driver = per_driver.sort_values("fare", ascending=False).iloc[0]["driver"]'
        ),
        check='assert best_driver == "d1"',
    ),
    Case(
        name="key-renamed-column: groupby().size().reset_index() column is 0, not count",
        setup='import pandas as pd\nvisits = pd.DataFrame({"page": ["home", "about", "home"]})',
        cell=(
            'page_hits = visits.groupby("page").size().reset_index()\n'
            'popular = page_hits[page_hits["count"] > 1]["page"].tolist()'
        ),
        check='assert popular == ["home"]',
    ),
    Case(
        name="key-renamed-column: both frames had a name column, merge split it into name_x/name_y",
        setup=(
            "import pandas as pd\n"
            'authors = pd.DataFrame({"author_id": [1, 2], "name": ["Le Guin", "Borges"]})\n'
            'books = pd.DataFrame({"author_id": [1, 2, 1], "name": ["Earthsea", '
            '"Ficciones", "Dispossessed"]})'
        ),
        cell=(
            'catalog = books.merge(authors, on="author_id")\n'
            'le_guin_books = catalog[catalog["name"] == "Le Guin"]'
        ),
        check="assert len(le_guin_books) == 2",
    ),
    Case(
        name="key-renamed-column: groupby key moved to the index, reset_index forgotten",
        setup=(
            "import pandas as pd\n"
            'laps = pd.DataFrame({"runner": ["r1", "r1", "r2"], "seconds": [61.0, 59.0, 64.0]})'
        ),
        cell=(
            'avg_lap = laps.groupby("runner")["seconds"].mean().to_frame()\n'
            'r1_avg = avg_lap.loc[avg_lap["runner"] == "r1", "seconds"].iloc[0]'
        ),
        check="assert r1_avg == 60.0",
    ),
    # -- 15 TypeError: 'NoneType' object is not subscriptable --------------------------------------
    Case(
        name="type-none-subscript: list.sort() result assigned",
        setup="lap_times = [62.1, 59.8, 61.4]",
        cell="ordered = lap_times.sort()\nbest_two = ordered[:2]",
        check="assert best_two == [59.8, 61.4]",
    ),
    Case(
        name="type-none-subscript: helper prints its result instead of returning it",
        setup="leaderboard_scores = [5, 9, 2, 7]",
        cell=(
            "def top_n(items, n):\n"
            "    result = sorted(items, reverse=True)[:n]\n"
            "    print(result)\n"
            "\n"
            "leaders = top_n(leaderboard_scores, 2)\n"
            "first_place = leaders[0]"
        ),
        check="assert leaders == [9, 7] and first_place == 9",
    ),
    Case(
        name="type-none-subscript: re.match anchored at the start returns None",
        setup='import re\norder_note = "Order number 48213 shipped"',
        cell='order_no = re.match(r"\\d+", order_note)[0]',
        check='assert order_no == "48213"',
    ),
    Case(
        name="type-none-subscript: dict.get with wrong-case key returns None",
        setup='profiles = {"u1": {"email": "a@x.org"}, "u2": {"email": "b@y.org"}}',
        cell='domain = profiles.get("U1")["email"].split("@")[1]',
        check='assert domain == "x.org"',
    ),
    Case(
        name="type-none-subscript: list.append() result assigned",
        setup='base_tags = ["python", "pandas"]',
        cell='tags = base_tags.append("numpy")\nlast_tag = tags[-1]',
        check='assert last_tag == "numpy" and len(tags) == 3',
    ),
    Case(
        name="type-none-subscript: sort_values(inplace=True) result assigned",
        setup='import pandas as pd\nrankings = pd.DataFrame({"club": ["X", "Y"], "pts": [10, 14]})',
        cell=(
            'ranked_df = rankings.sort_values("pts", ascending=False, inplace=True)\n'
            'leader = ranked_df["club"].iloc[0]'
        ),
        check='assert leader == "Y"',
    ),
    Case(
        name="type-none-subscript: random.shuffle() result assigned",
        setup="import random\nrandom.seed(1)\nquestions = list(range(1, 11))",
        cell="shuffled = random.shuffle(questions)\nfirst_q = shuffled[0]",
        check="assert sorted(shuffled) == list(range(1, 11)) and first_q == shuffled[0]",
    ),
    # -- 16 TypeError: 'int' object is not iterable ------------------------------------------------
    Case(
        name="type-int-iterable: for i in len(xs)",
        setup="readings = [3.2, 4.8, 5.1]",
        cell="scaled = []\nfor i in len(readings):\n    scaled.append(readings[i] * 10)",
        check="assert [round(v, 6) for v in scaled] == [32.0, 48.0, 51.0]",
    ),
    Case(
        name="type-int-iterable: for r in n_rounds",
        setup="n_rounds = 4",
        cell='round_log = []\nfor r in n_rounds:\n    round_log.append(f"round {r + 1}")',
        check='assert round_log == ["round 1", "round 2", "round 3", "round 4"]',
    ),
    Case(
        name="type-int-iterable: inner loop over a count value",
        setup='inventory_counts = {"bolts": 3, "nuts": 2}',
        cell=(
            "parts = []\n"
            "for name, count in inventory_counts.items():\n"
            "    for _ in count:\n"
            "        parts.append(name)"
        ),
        check='assert parts.count("bolts") == 3 and parts.count("nuts") == 2 and len(parts) == 5',
    ),
    Case(
        name="type-int-iterable: nested comprehension over a grid size",
        setup="grid_size = 3",
        cell="coords = [(r, c) for r in grid_size for c in grid_size]",
        check="assert len(coords) == 9 and coords[0] == (0, 0) and coords[-1] == (2, 2)",
    ),
    Case(
        name="type-int-iterable: for i in df.shape[0]",
        setup='import pandas as pd\nledger_df = pd.DataFrame({"amount": [5, -3, 8]})',
        cell=(
            "running = 0\n"
            "balances = []\n"
            "for i in ledger_df.shape[0]:\n"
            '    running += ledger_df["amount"].iloc[i]\n'
            "    balances.append(running)"
        ),
        check="assert balances == [5, 2, 10]",
    ),
    # -- 17 TypeError: 'X' object is not callable --------------------------------------------------
    Case(
        name="type-not-callable: sum shadowed by an accumulator",
        setup="sum = 0\nfor v in [1, 2, 3]:\n    sum += v\nbasket = [4.5, 2.0, 3.5]",
        cell="basket_total = sum(basket)",
        check="assert basket_total == 10.0",
    ),
    Case(
        name="type-not-callable: list shadowed by a shopping list",
        setup='list = ["milk", "eggs"]\nword_chars = "abc"',
        cell="chars = list(word_chars)",
        check='assert chars == ["a", "b", "c"]',
    ),
    Case(
        name="type-not-callable: list indexed with parentheses",
        setup="weights = [0.2, 0.5, 0.3]",
        cell="second_weight = weights(1)",
        check="assert second_weight == 0.5",
    ),
    Case(
        name="type-not-callable: DataFrame column selected with parentheses",
        setup='import pandas as pd\nmatch_stats = pd.DataFrame({"goals": [1, 3, 2]})',
        cell='max_goals = match_stats("goals").max()',
        check="assert max_goals == 3",
    ),
    Case(
        name="type-not-callable: str shadowed by a report name",
        setup='str = "report"\nyear = 2024',
        cell='filename = str(year) + ".csv"',
        check='assert filename == "2024.csv"',
    ),
    Case(
        name="type-not-callable: df.shape() called like a method",
        setup='import pandas as pd\nclicks = pd.DataFrame({"ts": [1, 2, 3, 4]})',
        cell="n_clicks = clicks.shape()[0]",
        check="assert n_clicks == 4",
    ),
    Case(
        name="type-not-callable: implicit multiplication 3(x + 2)",
        setup="x_val = 4",
        cell="y_val = 3(x_val + 2)",
        check="assert y_val == 18",
    ),
    Case(
        name="type-not-callable: max shadowed by a config value",
        setup="max = 100  # max allowed score\nround_scores = [40, 95, 70]",
        cell="best_round = max(round_scores)",
        check="assert best_round == 95",
    ),
    # -- 18 UnboundLocalError: global modified inside a function -----------------------------------
    Case(
        name="unbound-local: counter += 1 in a function without global",
        setup="counter = 0",
        cell="def record_event():\n    counter += 1\n\nfor _ in range(3):\n    record_event()",
        check="assert counter == 3",
    ),
    Case(
        name="unbound-local: api call counter incremented inside a helper",
        setup="api_calls = 0",
        cell=(
            "def call_api(endpoint):\n"
            "    api_calls += 1\n"
            '    return f"GET {endpoint}"\n'
            "\n"
            'responses = [call_api(e) for e in ["/a", "/b"]]'
        ),
        check='assert api_calls == 2 and responses == ["GET /a", "GET /b"]',
    ),
    Case(
        name="unbound-local: balance read then decremented in a function",
        setup="balance = 100.0",
        cell=(
            "def withdraw(amount):\n"
            "    if amount > balance:\n"
            '        raise ValueError("insufficient funds")\n'
            "    balance -= amount\n"
            "\n"
            "withdraw(30)"
        ),
        check="assert balance == 70.0",
    ),
    Case(
        name="unbound-local: last seen status compared then reassigned",
        setup="request_log = []\nlast_status = None",
        cell=(
            "def handle(status):\n"
            "    request_log.append(status)\n"
            "    if last_status != status:\n"
            '        print("status changed")\n'
            "    last_status = status\n"
            "\n"
            "handle(200)\n"
            "handle(404)"
        ),
        check="assert last_status == 404 and request_log == [200, 404]",
    ),
    Case(
        name="unbound-local: word counter incremented in a nested loop",
        setup='words_processed = 0\ncorpus = ["a b c", "d e"]',
        cell=(
            "def process(doc):\n"
            "    for w in doc.split():\n"
            "        words_processed += 1\n"
            "\n"
            "for doc in corpus:\n"
            "    process(doc)"
        ),
        check="assert words_processed == 5",
    ),
    # -- 19 ZeroDivisionError: empty group; the check expects 0 for it -----------------------------
    Case(
        name="zero-division: average rating per dish, one dish has no reviews",
        setup='ratings = {"pizza": [4, 5, 3], "sushi": [], "tacos": [5]}',
        cell="avg_rating = {dish: sum(r) / len(r) for dish, r in ratings.items()}",
        check='assert avg_rating == {"pizza": 4.0, "sushi": 0, "tacos": 5.0}',
    ),
    Case(
        name="zero-division: mean helper applied to batches including an empty one",
        setup="batches = [[2, 4], [], [9]]",
        cell=(
            "def mean(xs):\n"
            "    return sum(xs) / len(xs)\n"
            "\n"
            "batch_means = [mean(b) for b in batches]"
        ),
        check="assert batch_means == [3.0, 0, 9.0]",
    ),
    Case(
        name="zero-division: click-through rate on a day with no impressions",
        setup=(
            'clicks_by_day = {"mon": (5, 100), "tue": (0, 0), "wed": (3, 60)}  # (clicks, '
            "impressions)"
        ),
        cell="ctr = {day: c / imp for day, (c, imp) in clicks_by_day.items()}",
        check='assert ctr == {"mon": 0.05, "tue": 0, "wed": 0.05}',
    ),
    Case(
        name="zero-division: success rate when nothing was attempted yet",
        setup="attempts = 0\nsuccesses = 0",
        cell="success_rate = successes / attempts * 100",
        check="assert success_rate == 0",
    ),
    Case(
        name="zero-division: average order value for a customer with no orders",
        setup=(
            'customers = [{"name": "Ann", "spent": 120.0, "orders": 3},\n'
            '             {"name": "Raj", "spent": 0.0, "orders": 0}]'
        ),
        cell='aov = {c["name"]: c["spent"] / c["orders"] for c in customers}',
        check='assert aov == {"Ann": 40.0, "Raj": 0}',
    ),
    # -- 20 TypeError: unsupported operand / can only concatenate ----------------------------------
    Case(
        name="type-operand: str + int in a message",
        setup="user_age = 29",
        cell='message = "You are " + user_age + " years old"',
        check='assert message == "You are 29 years old"',
    ),
    Case(
        name="type-operand: form value is a string, repeated then added to an int",
        setup='qty_field = "3"  # value read from a web form\nunit_cost = 4',
        cell="order_cost = qty_field * unit_cost + 2",
        check="assert order_cost == 14",
    ),
    Case(
        name="type-operand: list + int to add one more day",
        setup="daily_steps = [4000, 5200]",
        cell="daily_steps = daily_steps + 6100",
        check="assert daily_steps == [4000, 5200, 6100]",
    ),
    Case(
        name="type-operand: int + None from dict.get without default",
        setup='bonuses = {"ana": 500}',
        cell='leo_pay = 3000 + bonuses.get("leo")',
        check="assert leo_pay == 3000",
    ),
    Case(
        name="type-operand: subtracting ISO date strings",
        setup='from datetime import date\ncheck_in = "2024-06-10"\ncheck_out = "2024-06-14"',
        cell="nights = (check_out - check_in).days",
        check="assert nights == 4",
    ),
    Case(
        name="type-operand: string price column plus a numeric fee",
        setup='import pandas as pd\nlisting = pd.DataFrame({"price": ["100", "250"]})',
        cell='listing["price_with_fee"] = listing["price"] + 15',
        check='assert listing["price_with_fee"].tolist() == [115, 265]',
    ),
    # -- 21 ValueError: numpy shape mismatch (matmul, broadcasting, reshape) -----------------------
    Case(
        name="numpy-shape: X @ X instead of X.T @ X for a feature covariance",
        setup=(
            "import numpy as np\n"
            "features_m = np.array([[1, 2], [3, 4], [5, 6]])  # 3 samples x 2 features"
        ),
        cell="feature_cov = features_m @ features_m",
        check=(
            "assert feature_cov.shape == (2, 2) and feature_cov[0, 0] == 35 and "
            "feature_cov[0, 1] == 44"
        ),
    ),
    Case(
        name="numpy-shape: row-vector coefficients need a transpose",
        setup=(
            "import numpy as np\n"
            "samples_x = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])  # 2 samples x 3 "
            "features\n"
            "coef = np.array([[0.5, 0.0, 1.0]])  # shape (1, 3)"
        ),
        cell="preds = samples_x @ coef",
        check="assert preds.ravel().tolist() == [3.5, 8.0]",
    ),
    Case(
        name="numpy-shape: subtracting row means needs a column shape",
        setup=(
            "import numpy as np\n"
            "scores_2d = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])  # one row per student\n"
            "row_means = scores_2d.mean(axis=1)"
        ),
        cell="centered_scores = scores_2d - row_means",
        check="assert centered_scores.tolist() == [[-1.0, 0.0, 1.0], [-1.0, 0.0, 1.0]]",
    ),
    Case(
        name="numpy-shape: reshape of flat RGB pixels forgot the channel axis",
        setup="import numpy as np\nflat_rgb = np.arange(24)\nh, w = 2, 4",
        cell="img = flat_rgb.reshape(h, w)",
        check="assert img.shape == (2, 4, 3) and img[1, 3, 2] == 23",
    ),
    Case(
        name="numpy-shape: portfolio weights on the wrong side of @",
        setup=(
            "import numpy as np\n"
            "portfolio_w = np.array([0.6, 0.4])\n"
            "asset_returns = np.array([[0.01, 0.02], [0.03, -0.01], [0.00, 0.04]])  # days "
            "x assets"
        ),
        cell="daily_return = portfolio_w @ asset_returns",
        check="assert np.allclose(daily_return, [0.014, 0.014, 0.016])",
    ),
    Case(
        name="numpy-shape: elementwise * where a rotation matmul was meant",
        setup=(
            "import numpy as np\n"
            "rot90 = np.array([[0, -1], [1, 0]])\n"
            "corners = np.array([[1, 0], [0, 1], [1, 1]]).T  # 2 x 3, one point per column"
        ),
        cell="rotated = rot90 * corners",
        check="assert rotated.tolist() == [[0, -1, -1], [1, 0, 1]]",
    ),
    # -- 22 IndexError: off-by-one -----------------------------------------------------------------
    Case(
        name="index-range: pairwise differences run one past the end",
        setup="temps_c = [18, 21, 19, 23]",
        cell="diffs = [temps_c[i + 1] - temps_c[i] for i in range(len(temps_c))]",
        check="assert diffs == [3, -2, 4]",
    ),
    Case(
        name="index-range: xs[len(xs)] for the last element",
        setup='checkpoints = ["ckpt_1", "ckpt_2", "ckpt_3"]',
        cell="latest = checkpoints[len(checkpoints)]",
        check='assert latest == "ckpt_3"',
    ),
    Case(
        name="index-range: range(len(xs) + 1)",
        setup='chars_list = ["a", "b", "c"]',
        cell="upper = [chars_list[i].upper() for i in range(len(chars_list) + 1)]",
        check='assert upper == ["A", "B", "C"]',
    ),
    Case(
        name="index-range: 1-based places used as list indices",
        setup='podium = ["gold_team", "silver_team", "bronze_team"]',
        cell='announcements = [f"{place}: {podium[place]}" for place in range(1, 4)]',
        check='assert announcements == ["1: gold_team", "2: silver_team", "3: bronze_team"]',
    ),
    Case(
        name="index-range: iloc[4] for the fourth quarter",
        setup=(
            "import pandas as pd\n"
            'quarterly = pd.DataFrame({"q": ["Q1", "Q2", "Q3", "Q4"], "rev": [10, 12, 9, 15]})'
        ),
        cell='q4_rev = quarterly["rev"].iloc[4]',
        check="assert q4_rev == 15",
    ),
    # -- 23 pandas chained assignment (a warning under copy-on-write; frame unchanged) -------------
    Case(
        name="pandas-chained-assignment: boolean filter then column assignment",
        setup=(
            "import pandas as pd\n"
            'products = pd.DataFrame({"name": ["a", "b", "c"], "stock": [0, 5, 2], '
            '"status": ["ok", "ok", "ok"]})'
        ),
        cell='products[products["stock"] == 0]["status"] = "sold out"',
        check='assert products["status"].tolist() == ["sold out", "ok", "ok"]',
    ),
    Case(
        name="pandas-chained-assignment: column then boolean mask assignment",
        setup=(
            "import pandas as pd\n"
            'grades_df = pd.DataFrame({"student": ["x", "y"], "score": [55, 80]})'
        ),
        cell='grades_df["score"][grades_df["student"] == "x"] = 60',
        check='assert grades_df["score"].tolist() == [60, 80]',
    ),
    Case(
        name="pandas-chained-assignment: fillna(inplace=True) on a selected column",
        setup=(
            "import numpy as np\n"
            "import pandas as pd\n"
            'readings_df = pd.DataFrame({"sensor": ["s1", "s2", "s3"], "value": [1.5, '
            "np.nan, 2.5]})"
        ),
        cell='readings_df["value"].fillna(0, inplace=True)',
        check='assert readings_df["value"].tolist() == [1.5, 0.0, 2.5]',
    ),
    Case(
        name="pandas-chained-assignment: .loc[mask] then ['col'] assignment",
        setup=(
            "import pandas as pd\n"
            'staff = pd.DataFrame({"dept": ["eng", "ops", "eng"], "bonus": [0, 0, 0]})'
        ),
        cell='staff.loc[staff["dept"] == "eng"]["bonus"] = 1000',
        check='assert staff["bonus"].tolist() == [1000, 0, 1000]',
    ),
    Case(
        name="pandas-chained-assignment: iloc row then column assignment",
        setup=(
            "import pandas as pd\n"
            'shipments = pd.DataFrame({"order": [101, 102], "status": ["pending", "pending"]})'
        ),
        cell='shipments.iloc[0]["status"] = "shipped"',
        check='assert shipments["status"].tolist() == ["shipped", "pending"]',
    ),
    # -- 24 TypeError / ValueError: string formatting ----------------------------------------------
    Case(
        name="type-format: %d with a string parsed from text",
        setup='item_count = "12"  # parsed from a text file',
        cell='summary = "Items: %d" % item_count',
        check='assert summary == "Items: 12"',
    ),
    Case(
        name="type-format: float format spec on a string value",
        setup='price_text = "19.5"',
        cell='label = f"Price: {price_text:.2f} EUR"',
        check='assert label == "Price: 19.50 EUR"',
    ),
    Case(
        name="type-format: % formatting with two values not in a tuple",
        setup='city_name = "Lyon"\npopulation = 522000',
        cell='line = "%s has %d inhabitants" % city_name, population',
        check='assert line == "Lyon has 522000 inhabitants"',
    ),
    Case(
        name="type-format: input() string plus one",
        setup='age_input = "41"  # what input() returned',
        cell="next_year_age = age_input + 1",
        check="assert next_year_age == 42",
    ),
    Case(
        name="type-format: {} placeholders used with the % operator",
        setup="run_id = 7\nloss_value = 0.3456",
        cell='tag = "run{} loss={:.2f}" % (run_id, loss_value)',
        check='assert tag == "run7 loss=0.35"',
    ),
    Case(
        name="type-format: str.join over ints",
        setup="port_numbers = [80, 443, 8080]",
        cell='ports_csv = ", ".join(port_numbers)',
        check='assert ports_csv == "80, 443, 8080"',
    ),
    # -- 25 SyntaxError ----------------------------------------------------------------------------
    Case(
        name="syntax: missing colon after for",
        setup="temperatures = [12, 25, 31]",
        cell="hot_days = 0\nfor t in temperatures\n    if t > 24:\n        hot_days += 1",
        check="assert hot_days == 2",
    ),
    Case(
        name="syntax: unclosed parenthesis around sum()",
        setup="widths = [3, 4]\nheights_list = [5, 6]",
        cell="total_area = sum(w * h for w, h in zip(widths, heights_list)",
        check="assert total_area == 39",
    ),
    Case(
        name="syntax: = instead of == in an if",
        setup='mode = "debug"',
        cell='if mode = "debug":\n    log_level = 10\nelse:\n    log_level = 20',
        check="assert log_level == 10",
    ),
    Case(
        name="syntax: Python 2 print statement",
        setup='greeting_name = "world"',
        cell='banner = "hello " + greeting_name\nprint banner',
        check='assert banner == "hello world"',
    ),
    Case(
        name="syntax: missing comma between dict entries",
        setup='base_url = "https://api.example.com"',
        cell=(
            "endpoints = {\n"
            '    "users": base_url + "/users"\n'
            '    "orders": base_url + "/orders",\n'
            "}"
        ),
        check=(
            'assert endpoints == {"users": "https://api.example.com/users", "orders": '
            '"https://api.example.com/orders"}'
        ),
    ),
    Case(
        name="syntax: unterminated string literal",
        setup="month_no = 3",
        cell='title_text = "Monthly report\nheader = title_text + " #" + str(month_no)',
        check='assert header == "Monthly report #3"',
    ),
    Case(
        name="syntax: else if instead of elif",
        setup="score_val = 75",
        cell=(
            "if score_val > 90:\n"
            '    tier = "gold"\n'
            "else if score_val > 70:\n"
            '    tier = "silver"\n'
            "else:\n"
            '    tier = "bronze"'
        ),
        check='assert tier == "silver"',
    ),
    # -- 26 IndentationError -----------------------------------------------------------------------
    Case(
        name="indentation: loop body not indented",
        setup='inventory_list = ["a", "b"]',
        cell="labels_out = []\nfor item in inventory_list:\nlabels_out.append(item.upper())",
        check='assert labels_out == ["A", "B"]',
    ),
    Case(
        name="indentation: unexpected indent on the second line",
        setup="base_salary = 50000",
        cell="raise_pct = 0.05\n    new_salary = base_salary * (1 + raise_pct)",
        check="assert abs(new_salary - 52500) < 1e-6",
    ),
    Case(
        name="indentation: function body not indented",
        setup="water_boil_c = 100",
        cell=(
            "def celsius_to_kelvin(c):\n"
            "return c + 273.15\n"
            "\n"
            "boiling_k = celsius_to_kelvin(water_boil_c)"
        ),
        check="assert abs(boiling_k - 373.15) < 1e-9",
    ),
    Case(
        name="indentation: unindent does not match an outer level",
        setup="sample_values = [2, 4, 6]",
        cell=(
            "def summarize(values):\n"
            "    total = sum(values)\n"
            "  return total / len(values)\n"
            "\n"
            "mean_val = summarize(sample_values)"
        ),
        check="assert mean_val == 4",
    ),
    Case(
        name="indentation: if body left empty except a comment",
        setup="debug_mode = True\ndebug_lines = []",
        cell='if debug_mode:\n# log that debugging is on\ndebug_lines.append("debug on")',
        check='assert debug_lines == ["debug on"]',
    ),
    # -- 27 ValueError: invalid literal for int() with base 10 -------------------------------------
    Case(
        name="value-int-literal: int() on half-star ratings",
        setup='rating_strings = ["4", "3.5", "5"]',
        cell="avg_stars = sum(int(r) for r in rating_strings) / len(rating_strings)",
        check="assert abs(avg_stars - 12.5 / 3) < 1e-9",
    ),
    Case(
        name="value-int-literal: int() on numbers with thousands separators",
        setup='population_fields = ["1,200", "950", "3,400"]',
        cell="total_pop = sum(int(p) for p in population_fields)",
        check="assert total_pop == 5550",
    ),
    Case(
        name="value-int-literal: int() on prices with a currency sign",
        setup='price_tags = ["$45", "$12", "$8"]',
        cell="budget_used = sum(int(p) for p in price_tags)",
        check="assert budget_used == 65",
    ),
    Case(
        name="value-int-literal: int() on an empty form field meaning zero",
        setup='form_values = {"age": "34", "children": ""}',
        cell='n_children = int(form_values["children"])',
        check="assert n_children == 0",
    ),
    Case(
        name="value-int-literal: int() on a float-formatted year from a CSV",
        setup='year_field = "2019.0"',
        cell="year_int = int(year_field)",
        check="assert year_int == 2019",
    ),
    Case(
        name="value-int-literal: int() on a size with a unit suffix",
        setup='file_size = "250MB"',
        cell="size_mb = int(file_size)",
        check="assert size_mb == 250",
    ),
    # -- 28 pandas API removed or renamed in pandas 2 / 3 ------------------------------------------
    Case(
        name="pandas-removed-api: DataFrame.append a dict row",
        setup=(
            "import pandas as pd\n"
            'log_df = pd.DataFrame({"step": [1, 2], "loss": [0.9, 0.7]})\n'
            'new_row = {"step": 3, "loss": 0.55}'
        ),
        cell="log_df = log_df.append(new_row, ignore_index=True)",
        check=(
            'assert len(log_df) == 3 and log_df["loss"].iloc[-1] == 0.55 and '
            'log_df["step"].iloc[-1] == 3'
        ),
    ),
    Case(
        name="pandas-removed-api: Series.iteritems",
        setup='import pandas as pd\ntotals_s = pd.Series({"north": 10, "south": 7})',
        cell='region_lines = [f"{region}={val}" for region, val in totals_s.iteritems()]',
        check='assert region_lines == ["north=10", "south=7"]',
    ),
    Case(
        name="pandas-removed-api: fillna(method='ffill')",
        setup=(
            "import numpy as np\n"
            "import pandas as pd\n"
            "prices_ts = pd.Series([100.0, np.nan, np.nan, 103.0])"
        ),
        cell='filled_prices = prices_ts.fillna(method="ffill")',
        check="assert filled_prices.tolist() == [100.0, 100.0, 100.0, 103.0]",
    ),
    Case(
        name="pandas-removed-api: DataFrame.applymap",
        setup=(
            'import pandas as pd\nraw_cells = pd.DataFrame({"a": [" x ", "y "], "b": [" z", "w"]})'
        ),
        cell="trimmed = raw_cells.applymap(str.strip)",
        check='assert trimmed.values.tolist() == [["x", "z"], ["y", "w"]]',
    ),
    Case(
        name="pandas-removed-api: DataFrame.iteritems over columns",
        setup=(
            "import pandas as pd\n"
            'metrics = pd.DataFrame({"precision": [0.8, 0.9], "recall": [0.7, 0.6]})'
        ),
        cell="col_means = {name: col.mean() for name, col in metrics.iteritems()}",
        check=(
            'assert abs(col_means["precision"] - 0.85) < 1e-9 and abs(col_means["recall"] '
            "- 0.65) < 1e-9"
        ),
    ),
    Case(
        name="pandas-removed-api: Series.append",
        setup="import pandas as pd\njan = pd.Series([1, 2])\nfeb = pd.Series([3])",
        cell="jan_feb = jan.append(feb, ignore_index=True)",
        check="assert jan_feb.tolist() == [1, 2, 3]",
    ),
    Case(
        name="pandas-removed-api: date_range freq='H' alias",
        setup="import pandas as pd",
        cell='hourly_index = pd.date_range("2024-01-01", periods=24, freq="H")',
        check=(
            "assert len(hourly_index) == 24 and hourly_index[1] - hourly_index[0] == "
            "pd.Timedelta(hours=1)"
        ),
    ),
    Case(
        name="pandas-removed-api: read_csv(delim_whitespace=True)",
        setup='import io\nimport pandas as pd\nfixed_width_text = "id  value\\n1   10\\n2   20\\n"',
        cell="parsed_df = pd.read_csv(io.StringIO(fixed_width_text), delim_whitespace=True)",
        check='assert parsed_df["value"].tolist() == [10, 20]',
    ),
    Case(
        name="pandas-removed-api: Series.is_monotonic",
        setup="import pandas as pd\nevent_times = pd.Series([1, 3, 7, 9])",
        cell="ordered_ok = event_times.is_monotonic",
        check="assert bool(ordered_ok) is True",
    ),
    Case(
        name="pandas-removed-api: to_csv(line_terminator=...)",
        setup=(
            "import os\n"
            "import tempfile\n"
            "import pandas as pd\n"
            'export_df = pd.DataFrame({"k": [1, 2]})\n'
            'export_path = os.path.join(tempfile.mkdtemp(), "out.csv")'
        ),
        cell='export_df.to_csv(export_path, index=False, line_terminator="\\n")',
        check='assert open(export_path, newline="").read() == "k\\n1\\n2\\n"',
    ),
]
