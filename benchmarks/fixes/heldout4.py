"""Fourth held-out set of failing cells for the notebook-fix assistant.

How these were written: on 2026-12-03, as a fourth held-out set, from the error messages and
situations users actually post (Stack Overflow questions, GitHub issues, pandas 2/3 and numpy 2
upgrade reports), by someone who read neither the project's fix rules nor its checks: nothing
under ``jupyter_spark/``, no git history or diffs and nothing under ``tests/`` was read. For the
format only, lines 1-20 of ``cases.py`` (the ``Case`` dataclass) and the module docstring and
first cases of ``heldout3.py`` (its lines 1-60) were read; no other case of any set was read,
and no cell is copied or varied from them.

Forty-eight cases in 34 families (the part of the name before the colon). Each case gives the
kernel state (``setup``, run first), the buggy cell as a user would type it (it fails with the
family's error after the setup), and a ``check`` that passes only once the fixed cell did what
the user obviously meant; checks test the result, not the wording of the fix, so that every
correct fix passes. Every case was validated before it was kept, each step in its own fresh
Python process: the setup runs; setup + cell raises the intended exception; setup + check
raises (the check is not already satisfied); and setup + an intended fixed cell (kept outside
this file) + check passes -- 48/48. Written against Python 3.11, numpy 2.4 and pandas 3.1;
only the standard library, numpy and pandas are used.
"""

# ruff: noqa: E501  (cell text is kept as a user would type it, long lines included)
from cases import Case

HELDOUT4: list[Case] = [
    # -- name-missing-import ------------------------------------------------------------------
    Case(
        name=(
            "name-missing-import: Counter for the most frequent words, collections never imported"
        ),
        setup='text = "the cat and the hat and the bat"',
        cell=("words = text.split()\ntop = Counter(words).most_common(2)"),
        check='assert top == [("the", 3), ("and", 2)]',
    ),
    Case(
        name="name-missing-import: json.dumps of the run parameters in a fresh kernel",
        setup='params = {"lr": 0.01, "epochs": 20, "layers": [64, 32]}',
        cell=("payload = json.dumps(params, sort_keys=True)\nprint(len(payload))"),
        check=(
            "import json as _json\n"
            "assert isinstance(payload, str)\n"
            "assert _json.loads(payload) == params\n"
            "assert payload.index('\"epochs\"') < payload.index('\"layers\"') < payload.index('\"lr\"')"
        ),
    ),
    Case(
        name="name-missing-import: np.where in a notebook that only imported pandas",
        setup=(
            "import pandas as pd\n"
            "\n"
            'exam = pd.DataFrame({"student": ["kim", "lea", "max", "noa"], "score": [45, 78, 91, 60]})'
        ),
        cell=('exam["passed"] = np.where(exam["score"] >= 60, "yes", "no")\nexam.head()'),
        check='assert list(exam["passed"]) == ["no", "yes", "yes", "yes"]',
    ),
    # -- name-typo ----------------------------------------------------------------------------
    Case(
        name="name-typo: British spelling of a helper defined with a z",
        setup=(
            "def normalize_name(s):\n"
            '    return " ".join(s.strip().split()).title()\n'
            "\n"
            'raw_names = ["  alice  smith", "BOB jones ", "carol   de la cruz"]'
        ),
        cell=("clean = [normalise_name(r) for r in raw_names]\nclean"),
        check='assert clean == ["Alice Smith", "Bob Jones", "Carol De La Cruz"]',
    ),
    Case(
        name="name-typo: df_sales typed for the sales_df loaded earlier",
        setup=(
            "import pandas as pd\n"
            "\n"
            'sales_df = pd.DataFrame({"month": ["Jan", "Feb", "Mar", "Apr"], "units": [120, 95, 143, 110]})'
        ),
        cell=('best_month = df_sales.loc[df_sales["units"].idxmax(), "month"]\nprint(best_month)'),
        check='assert best_month == "Mar"',
    ),
    # -- attribute-module ---------------------------------------------------------------------
    Case(
        name="attribute-module: np.arrange for a grid of sample points",
        setup="import numpy as np",
        cell=("x = np.arrange(0, 1, 0.25)\ny = x ** 2"),
        check=(
            "import numpy as _np\n"
            "assert _np.allclose(x, [0, 0.25, 0.5, 0.75])\n"
            "assert _np.allclose(y, [0, 0.0625, 0.25, 0.5625])"
        ),
    ),
    # -- attribute-object ---------------------------------------------------------------------
    Case(
        name="attribute-object: JavaScript push on a Python list",
        setup=('queue = ["job-1", "job-2"]\nincoming = ["job-3", "job-4"]'),
        cell=("for job in incoming:\n    queue.push(job)\nlen(queue)"),
        check='assert queue == ["job-1", "job-2", "job-3", "job-4"]',
    ),
    # -- attribute-dataframe-typo -------------------------------------------------------------
    Case(
        name="attribute-dataframe-typo: sort_value without the s to rank the players",
        setup=(
            "import pandas as pd\n"
            "\n"
            'players = pd.DataFrame({"name": ["Ana", "Ben", "Cy", "Dee"], "points": [31, 47, 28, 44]})'
        ),
        cell=(
            'ranked = players.sort_value("points", ascending=False)\n'
            'top2 = ranked.head(2)["name"].tolist()'
        ),
        check=(
            'assert top2 == ["Ben", "Dee"]\nassert ranked["points"].tolist() == [47, 44, 31, 28]'
        ),
    ),
    # -- key-column ---------------------------------------------------------------------------
    Case(
        name="key-column: misspelt column name when computing the order total",
        setup=(
            "import pandas as pd\n"
            "\n"
            'orders = pd.DataFrame({"order_id": [1, 2, 3], "quantity": [2, 1, 5], "unit_price": [9.5, 20.0, 3.0]})'
        ),
        cell=('orders["total"] = orders["quantity"] * orders["unit_prise"]\norders'),
        check='assert orders["total"].tolist() == [19.0, 20.0, 15.0]',
    ),
    Case(
        name="key-column: lower-case column for a frame whose headers are capitalised",
        setup=(
            "import pandas as pd\n"
            "\n"
            'weather = pd.DataFrame({"City": ["Oslo", "Rome", "Oslo", "Lima"], "Temp": [18, 31, 21, 19]})'
        ),
        cell='warm_cities = weather[weather["temp"] > 20]["City"].tolist()',
        check='assert warm_cities == ["Rome", "Oslo"]',
    ),
    Case(
        name="key-column: CSV header with a space after each comma",
        setup=(
            "import io\n"
            "import pandas as pd\n"
            "\n"
            'raw = "id, name, amount\\n1, Ann, 10.5\\n2, Bo, 7.25\\n3, Cid, 4.0\\n"\n'
            "budget = pd.read_csv(io.StringIO(raw))"
        ),
        cell=('total_amount = budget["amount"].sum()\ntotal_amount'),
        check="assert abs(total_amount - 21.75) < 1e-9",
    ),
    # -- key-column-renamed -------------------------------------------------------------------
    Case(
        name="key-column-renamed: 'count' column expected after groupby().size().reset_index()",
        setup=(
            "import pandas as pd\n"
            "\n"
            'tickets = pd.DataFrame({"city": ["Lyon", "Nice", "Lyon", "Metz", "Nice", "Lyon"],\n'
            '                        "severity": [2, 1, 3, 1, 2, 2]})'
        ),
        cell=(
            'per_city = tickets.groupby("city").size().reset_index()\n'
            'per_city = per_city.sort_values("count", ascending=False)\n'
            "per_city"
        ),
        check=(
            'assert per_city["city"].tolist() == ["Lyon", "Nice", "Metz"]\n'
            'assert per_city["count"].tolist() == [3, 2, 1]'
        ),
    ),
    Case(
        name="key-column-renamed: price_old / price_new after a merge that produced _x and _y",
        setup=(
            "import pandas as pd\n"
            "\n"
            'old_prices = pd.DataFrame({"sku": ["A", "B", "C"], "price": [10, 20, 30]})\n'
            'new_prices = pd.DataFrame({"sku": ["A", "B", "C"], "price": [11, 20, 27]})'
        ),
        cell=(
            'cmp = old_prices.merge(new_prices, on="sku")\n'
            'cmp["change"] = cmp["price_new"] - cmp["price_old"]\n'
            "cmp"
        ),
        check=(
            'assert cmp["sku"].tolist() == ["A", "B", "C"]\n'
            'assert cmp["change"].tolist() == [1, 0, -3]'
        ),
    ),
    # -- key-dict-missing ---------------------------------------------------------------------
    Case(
        name="key-dict-missing: counting tags into an empty dict with +=",
        setup='tags = ["python", "pandas", "python", "numpy", "python", "pandas"]',
        cell=("freq = {}\nfor t in tags:\n    freq[t] += 1\nfreq"),
        check='assert dict(freq) == {"python": 3, "pandas": 2, "numpy": 1}',
    ),
    # -- type-unexpected-keyword --------------------------------------------------------------
    Case(
        name="type-unexpected-keyword: sorted(..., reversed=True) for a leaderboard",
        setup='scores = {"ana": 88, "ben": 92, "cy": 75, "dan": 81}',
        cell=("leaders = sorted(scores, key=scores.get, reversed=True)\nleaders[:3]"),
        check='assert list(leaders) == ["ben", "ana", "dan", "cy"]',
    ),
    Case(
        name="type-unexpected-keyword: DataFrame.rename(column=...) to tidy exported headers",
        setup=(
            "import pandas as pd\n"
            "\n"
            'export = pd.DataFrame({"Unnamed: 0": [0, 1, 2], "val": [3.2, 4.1, 5.0]})'
        ),
        cell=(
            'export = export.rename(column={"Unnamed: 0": "idx", "val": "value"})\nexport.head()'
        ),
        check=(
            'assert list(export.columns) == ["idx", "value"]\n'
            'assert export["value"].tolist() == [3.2, 4.1, 5.0]'
        ),
    ),
    # -- type-missing-argument ----------------------------------------------------------------
    Case(
        name="type-missing-argument: method defined without self",
        setup="opening_balance = 100",
        cell=(
            "class Account:\n"
            "    def __init__(self, balance):\n"
            "        self.balance = balance\n"
            "\n"
            "    def deposit(amount):\n"
            "        self.balance += amount\n"
            "\n"
            "acct = Account(opening_balance)\n"
            "acct.deposit(50)"
        ),
        check="assert acct.balance == 150",
    ),
    Case(
        name="type-missing-argument: str.replace given only the text to remove",
        setup='phones = ["555-0142", "555-0199", "555-0123"]',
        cell=('digits = [p.replace("-") for p in phones]\nids = [int(d) for d in digits]'),
        check=(
            'assert digits == ["5550142", "5550199", "5550123"]\n'
            "assert ids == [5550142, 5550199, 5550123]"
        ),
    ),
    # -- type-not-callable --------------------------------------------------------------------
    Case(
        name="type-not-callable: builtin sum shadowed by a running total from an earlier cell",
        setup=("sum = 0\nfor v in [3, 4, 5]:\n    sum += v\n\nprices = [19.99, 5.01, 25.0]"),
        cell=("avg_price = sum(prices) / len(prices)\nround(avg_price, 2)"),
        check="assert abs(avg_price - 50.0 / 3) < 1e-9",
    ),
    # -- type-none-subscript ------------------------------------------------------------------
    Case(
        name="type-none-subscript: slicing the result of list.sort()",
        setup="latencies = [120, 85, 300, 95, 210]",
        cell=("ordered = latencies.sort()\nfastest3 = ordered[:3]"),
        check="assert list(fastest3) == [85, 95, 120]",
    ),
    Case(
        name="type-none-subscript: cleaning helper that never returns its frame",
        setup=(
            "import pandas as pd\n"
            "\n"
            'survey = pd.DataFrame({"age": [31, None, 45], "rating": [4, 5, None]})'
        ),
        cell=(
            "def fill_missing(frame):\n"
            "    out = frame.fillna(0)\n"
            "\n"
            "clean = fill_missing(survey)\n"
            'clean["age"].sum()'
        ),
        check=(
            "assert int(clean.isna().sum().sum()) == 0\n"
            'assert clean["age"].tolist() == [31.0, 0.0, 45.0]\n'
            'assert clean["rating"].tolist() == [4.0, 5.0, 0.0]'
        ),
    ),
    # -- type-int-not-iterable ----------------------------------------------------------------
    Case(
        name="type-int-not-iterable: for i in len(names)",
        setup=('regions = ["north", "south", "east"]\nrevenue = [10, 20, 30]'),
        cell=(
            'labels = []\nfor i in len(regions):\n    labels.append(f"{regions[i]}={revenue[i]}")'
        ),
        check='assert labels == ["north=10", "south=20", "east=30"]',
    ),
    # -- type-str-operand ---------------------------------------------------------------------
    Case(
        name="type-str-operand: adding the lines of a file of numbers to an int total",
        setup=('import io\n\nfh = io.StringIO("12\\n7\\n30\\n")'),
        cell=("total = 0\nfor line in fh:\n    total += line.strip()\ntotal"),
        check="assert total == 49",
    ),
    # -- type-sequence-multiply ---------------------------------------------------------------
    Case(
        name="type-sequence-multiply: applying a tax rate to a plain list of prices",
        setup="net_prices = [4.0, 2.5, 10.0]",
        cell=("with_tax = net_prices * 1.2\nwith_tax"),
        check=(
            "assert len(with_tax) == 3\n"
            "assert [round(float(v), 6) for v in with_tax] == [4.8, 3.0, 12.0]"
        ),
    ),
    # -- format-string ------------------------------------------------------------------------
    Case(
        name="format-string: .2f applied to a price that is still a string",
        setup='row = {"item": "coffee", "price": "3.5"}',
        cell=("line = f\"{row['item']}: ${row['price']:.2f}\"\nprint(line)"),
        check='assert line == "coffee: $3.50"',
    ),
    # -- unbound-local ------------------------------------------------------------------------
    Case(
        name="unbound-local: incrementing a module-level call counter inside a function",
        setup="calls = 0",
        cell=(
            "def fetch(url):\n"
            "    calls += 1\n"
            "    return url.upper()\n"
            "\n"
            'pages = [fetch(u) for u in ["a.com", "b.org"]]'
        ),
        check=('assert pages == ["A.COM", "B.ORG"]\nassert calls == 2'),
    ),
    # -- zero-division ------------------------------------------------------------------------
    Case(
        name="zero-division: mean of a filtered list that came out empty (wrong case)",
        setup=(
            'results = [{"grade": "A", "score": 93}, {"grade": "B", "score": 81}, {"grade": "A", "score": 97}]'
        ),
        cell=(
            'a_scores = [r["score"] for r in results if r["grade"] == "a"]\n'
            "mean_a = sum(a_scores) / len(a_scores)"
        ),
        check="assert mean_a == 95",
    ),
    # -- index-off-by-one ---------------------------------------------------------------------
    Case(
        name="index-off-by-one: differences between consecutive readings run past the end",
        setup="readings = [3, 7, 12, 20]",
        cell=(
            "deltas = []\n"
            "for i in range(len(readings)):\n"
            "    deltas.append(readings[i + 1] - readings[i])"
        ),
        check="assert list(deltas) == [4, 5, 8]",
    ),
    # -- value-broadcast-shape ----------------------------------------------------------------
    Case(
        name="value-broadcast-shape: * used where the matrix product was meant",
        setup=(
            "import numpy as np\n"
            "\n"
            "weights = np.array([[0.2, 0.8, 0.0], [0.5, 0.25, 0.25]])\n"
            "features = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])"
        ),
        cell=("out = weights * features\nout"),
        check=(
            "import numpy as _np\n"
            "assert _np.shape(out) == (2, 2)\n"
            "assert _np.allclose(out, [[2.6, 3.6], [2.5, 3.5]])"
        ),
    ),
    # -- value-reshape ------------------------------------------------------------------------
    Case(
        name="value-reshape: reshape(len(a), 3) for flattened xyz coordinates",
        setup=("import numpy as np\n\nxyz = np.arange(12.0)  # x, y, z of four points, flattened"),
        cell=("points = xyz.reshape(len(xyz), 3)\ncentroid = points.mean(axis=0)"),
        check=(
            "import numpy as _np\n"
            "assert _np.shape(points) == (4, 3)\n"
            "assert _np.allclose(centroid, [4.5, 5.5, 6.5])"
        ),
    ),
    # -- value-truth-ambiguous ----------------------------------------------------------------
    Case(
        name="value-truth-ambiguous: combining two boolean masks with and",
        setup=(
            "import pandas as pd\n"
            "\n"
            'flights = pd.DataFrame({"code": ["AF1", "BA2", "LH3", "KL4", "IB5"],\n'
            '                        "delay": [5, 40, 22, 60, 18],\n'
            '                        "distance": [1500, 800, 2100, 1200, 600]})'
        ),
        cell=(
            'long_and_late = flights[(flights["delay"] > 15) and (flights["distance"] > 1000)]\n'
            "long_and_late"
        ),
        check='assert long_and_late["code"].tolist() == ["LH3", "KL4"]',
    ),
    # -- value-conversion ---------------------------------------------------------------------
    Case(
        name="value-conversion: astype(float) on prices formatted with $ and thousands commas",
        setup=(
            "import pandas as pd\n"
            "\n"
            'catalog = pd.DataFrame({"item": ["desk", "lamp", "chair"], "price": ["$1,200.50", "$35.00", "$149.99"]})'
        ),
        cell=(
            'catalog["price"] = catalog["price"].astype(float)\n'
            'catalog_total = catalog["price"].sum()'
        ),
        check=(
            'assert catalog["price"].dtype.kind == "f"\n'
            'assert catalog["price"].tolist() == [1200.5, 35.0, 149.99]\n'
            "assert abs(catalog_total - 1385.49) < 1e-6"
        ),
    ),
    # -- import-cannot-name -------------------------------------------------------------------
    Case(
        name="import-cannot-name: Mapping imported from collections instead of collections.abc",
        setup='payloads = [{"a": 1}, [1, 2], "x", {}]',
        cell=(
            "from collections import Mapping\n"
            "\n"
            "is_mapping = [isinstance(v, Mapping) for v in payloads]"
        ),
        check="assert is_mapping == [True, False, False, True]",
    ),
    Case(
        name="import-cannot-name: json_normalize from pandas.io.json in a pandas 2+ kernel",
        setup=(
            "import pandas as pd\n"
            "\n"
            'records = [{"id": 1, "user": {"name": "ana", "country": "PT"}},\n'
            '           {"id": 2, "user": {"name": "bo", "country": "SE"}}]'
        ),
        cell=(
            "from pandas.io.json import json_normalize\n"
            "\n"
            "flat = json_normalize(records)\n"
            "flat.columns.tolist()"
        ),
        check=(
            'assert sorted(flat.columns) == ["id", "user.country", "user.name"]\n'
            'assert flat["user.name"].tolist() == ["ana", "bo"]'
        ),
    ),
    # -- syntax-missing-colon -----------------------------------------------------------------
    Case(
        name="syntax-missing-colon: def line without its colon",
        setup="temps_f = [32, 98.6, 212]",
        cell=(
            "def to_celsius(f)\n"
            "    return (f - 32) * 5 / 9\n"
            "\n"
            "temps_c = [round(to_celsius(t), 1) for t in temps_f]"
        ),
        check="assert temps_c == [0.0, 37.0, 100.0]",
    ),
    # -- syntax-unclosed-bracket --------------------------------------------------------------
    Case(
        name="syntax-unclosed-bracket: agg({...} missing its closing parenthesis",
        setup=(
            "import pandas as pd\n"
            "\n"
            'matches = pd.DataFrame({"team": ["red", "red", "blue", "blue", "blue"],\n'
            '                        "goals": [2, 1, 0, 3, 1], "assists": [1, 0, 2, 1, 1]})'
        ),
        cell=(
            'summary = matches.groupby("team").agg({"goals": "sum", "assists": "mean"}\n'
            "summary = summary.round(2)\n"
            "summary"
        ),
        check=(
            'assert summary.loc["red", "goals"] == 3 and summary.loc["blue", "goals"] == 4\n'
            'assert abs(summary.loc["red", "assists"] - 0.5) < 1e-9\n'
            'assert abs(summary.loc["blue", "assists"] - 1.33) < 1e-9'
        ),
    ),
    # -- syntax-assign-in-condition -----------------------------------------------------------
    Case(
        name="syntax-assign-in-condition: if status = 404 inside a counting loop",
        setup="statuses = [200, 404, 200, 500, 404, 404]",
        cell=("not_found = 0\nfor s in statuses:\n    if s = 404:\n        not_found += 1"),
        check="assert not_found == 3",
    ),
    # -- indentation --------------------------------------------------------------------------
    Case(
        name="indentation: second line pasted with a stray indent",
        setup=(
            "import pandas as pd\n"
            "\n"
            'sales = pd.DataFrame({"region": ["East", "West", "East", "West", "North"],\n'
            '                      "amount": [100, 250, 80, 120, 90]})'
        ),
        cell=(
            'by_region = sales.groupby("region")["amount"].sum()\n'
            "    top_region = by_region.idxmax()\n"
            "top_region"
        ),
        check=('assert top_region == "West"\nassert by_region["East"] == 180'),
    ),
    # -- pandas-removed-api -------------------------------------------------------------------
    Case(
        name="pandas-removed-api: DataFrame.append in a training-log loop",
        setup=('import pandas as pd\n\nhistory = pd.DataFrame({"epoch": [0], "loss": [1.0]})'),
        cell=(
            "for epoch, loss in [(1, 0.8), (2, 0.65)]:\n"
            '    history = history.append({"epoch": epoch, "loss": loss}, ignore_index=True)\n'
            "history"
        ),
        check=(
            'assert history["epoch"].tolist() == [0, 1, 2]\n'
            'assert history["loss"].tolist() == [1.0, 0.8, 0.65]\n'
            "assert list(history.index) == [0, 1, 2]"
        ),
    ),
    Case(
        name="pandas-removed-api: Series.iteritems to list the products in stock",
        setup=('import pandas as pd\n\nstock = pd.Series({"apples": 3, "pears": 0, "plums": 7})'),
        cell="in_stock = [name for name, qty in stock.iteritems() if qty > 0]",
        check='assert in_stock == ["apples", "plums"]',
    ),
    Case(
        name="pandas-removed-api: .ix from an old tutorial to read one cell",
        setup=(
            "import pandas as pd\n"
            "\n"
            'cities = pd.DataFrame({"city": ["Porto", "Graz", "Turku", "Ghent"],\n'
            '                       "population": [232000, 291000, 195000, 263000]})'
        ),
        cell=('turku_pop = cities.ix[2, "population"]\nturku_pop'),
        check="assert turku_pop == 195000",
    ),
    Case(
        name="pandas-removed-api: Series.mad for the mean absolute deviation",
        setup=("import pandas as pd\n\nwait_times = pd.Series([2.0, 4.0, 4.0, 5.0, 10.0])"),
        cell=('spread = wait_times.mad()\nprint(f"mean absolute deviation: {spread:.2f}")'),
        check="assert abs(float(spread) - 2.0) < 1e-12",
    ),
    # -- pandas-groupby-nonnumeric ------------------------------------------------------------
    Case(
        name="pandas-groupby-nonnumeric: groupby().mean() over a frame that has a text column",
        setup=(
            "import pandas as pd\n"
            "\n"
            'staff = pd.DataFrame({"dept": ["ops", "ops", "dev", "dev"],\n'
            '                      "name": ["Al", "Bea", "Cal", "Dot"],\n'
            '                      "salary": [50, 54, 70, 80]})'
        ),
        cell=('dept_avg = staff.groupby("dept").mean()\nops_avg = dept_avg.loc["ops", "salary"]'),
        check="assert ops_avg == 52",
    ),
    # -- numpy-removed-alias ------------------------------------------------------------------
    Case(
        name="numpy-removed-alias: dtype=np.float when parsing strings to an array",
        setup=('import numpy as np\n\nraw_values = ["1.5", "2.25", "3"]'),
        cell=("arr = np.array(raw_values, dtype=np.float)\narr_total = arr.sum()"),
        check=('assert arr.dtype.kind == "f"\nassert abs(arr_total - 6.75) < 1e-12'),
    ),
    Case(
        name="numpy-removed-alias: np.NaN to blank out a -999 sentinel",
        setup=(
            "import numpy as np\n"
            "import pandas as pd\n"
            "\n"
            'sensor = pd.DataFrame({"reading": [12.0, -999.0, 15.5, -999.0]})'
        ),
        cell=(
            'sensor["reading"] = sensor["reading"].replace(-999.0, np.NaN)\n'
            'n_valid = sensor["reading"].count()'
        ),
        check=(
            "assert n_valid == 2\n"
            'assert int(sensor["reading"].isna().sum()) == 2\n'
            'assert sensor["reading"].dropna().tolist() == [12.0, 15.5]'
        ),
    ),
    # -- json-misuse --------------------------------------------------------------------------
    Case(
        name="json-misuse: json.loads given the open file instead of its text",
        setup=(
            "import json\n"
            "import os\n"
            "import tempfile\n"
            "\n"
            'cfg_path = os.path.join(tempfile.mkdtemp(), "config.json")\n'
            'with open(cfg_path, "w") as f:\n'
            '    json.dump({"batch_size": 32, "model": "resnet"}, f)'
        ),
        cell=(
            "with open(cfg_path) as f:\n"
            "    config = json.loads(f)\n"
            'batch_size = config["batch_size"]'
        ),
        check=('assert config == {"batch_size": 32, "model": "resnet"}\nassert batch_size == 32'),
    ),
    # -- datetime-misuse ----------------------------------------------------------------------
    Case(
        name="datetime-misuse: month-first format for day-first dates",
        setup=(
            "from datetime import datetime\n"
            "\n"
            'invoice_dates = ["03/12/2026", "25/11/2026", "14/10/2026"]'
        ),
        cell='parsed = [datetime.strptime(d, "%m/%d/%Y") for d in invoice_dates]',
        check=(
            "assert [(_p.year, _p.month, _p.day) for _p in parsed] == [(2026, 12, 3), (2026, 11, 25), (2026, 10, 14)]"
        ),
    ),
    # -- attribute-none-match -----------------------------------------------------------------
    Case(
        name="attribute-none-match: re.match used to find a code in the middle of a log line",
        setup=(
            'import re\n\nlog_line = "2026-12-03 17:02:11 ERROR disk quota exceeded (code=507)"'
        ),
        cell=('code = int(re.match(r"code=(\\d+)", log_line).group(1))\ncode'),
        check="assert code == 507",
    ),
]
