"""Third held-out set of failing cells for the notebook-fix assistant.

How these were written: on 2026-12-03, as a third held-out set, from the error messages and
situations users post (Stack Overflow questions, GitHub issues about the pandas 3 / numpy 2
upgrades), by someone who read neither the project's fix rules nor its checks: nothing under
``jupyter_spark/``, no git history or diffs and nothing under ``tests/`` was read. For the
format only, lines 1-20 of ``cases.py`` (the ``Case`` dataclass) and the module docstring and
first four cases of ``heldout2.py`` (its lines 1-55) were read; no other case of any set was
read, and no cell is copied or varied from them.

Forty cases in 27 families (the part of the name before the colon). Each case gives the
kernel state (``setup``, run first), the buggy cell as a user would type it (it fails with the
family's error after the setup), and a ``check`` that passes only once the fixed cell did what
the user obviously meant; checks test the result, not the wording of the fix, so that every
correct fix passes. Every case was validated before it was added, each in its own Python
process: the cell raises after the setup, the check fails on the setup alone, and an intended
fixed cell (kept outside this file) makes the check pass. Written against Python 3.11,
numpy 2.4 and pandas 3.1; only the standard library, numpy and pandas are used.
"""

from cases import Case

HELDOUT3: list[Case] = [
    # -- name-missing-import ---------------------------------------------------------------------
    Case(
        name="name-missing-import: datetime.now() to stamp a log entry",
        setup="log = []",
        cell='stamp = datetime.now().strftime("%Y-%m-%d")\nlog.append(stamp)',
        check="import datetime as _d\nassert log == [_d.date.today().isoformat()]",
    ),
    Case(
        name="name-missing-import: Path.glob to list the exported CSV files",
        setup=(
            "import os\n"
            "import tempfile\n"
            "\n"
            "root = tempfile.mkdtemp()\n"
            "for n in ['a.csv', 'b.csv', 'c.txt']:\n"
            "    open(os.path.join(root, n), 'w').close()"
        ),
        cell='csv_files = sorted(p.name for p in Path(root).glob("*.csv"))',
        check="assert csv_files == ['a.csv', 'b.csv']",
    ),
    # -- name-typo -------------------------------------------------------------------------------
    Case(
        name="name-typo: singular for the list of temperatures",
        setup="temperatures = [21.5, 23.0, 19.8, 22.4]",
        cell="mean_temp = sum(temperatures) / len(temperature)",
        check="assert abs(mean_temp - 21.675) < 1e-9",
    ),
    # -- type-str-operand ------------------------------------------------------------------------
    Case(
        name="type-str-operand: concatenating an int row count into a message",
        setup="n_rows = 1284",
        cell='msg = "Loaded " + n_rows + " rows"',
        check='assert msg == "Loaded 1284 rows"',
    ),
    # -- type-call-arguments ---------------------------------------------------------------------
    Case(
        name="type-call-arguments: helper called without its second argument",
        setup=(
            "def bmi(weight_kg, height_m):\n"
            "    return round(weight_kg / height_m ** 2, 1)\n"
            "\n"
            "\n"
            "patient = {'weight_kg': 72.0, 'height_m': 1.80}"
        ),
        cell="score = bmi(patient['weight_kg'])",
        check="assert score == 22.2",
    ),
    Case(
        name="type-call-arguments: keyword name guessed wrong (size for window)",
        setup=(
            "def moving_average(values, window=3):\n"
            "    return [sum(values[i:i + window]) / window for i in range(len(values) - "
            "window + 1)]\n"
            "\n"
            "\n"
            "prices = [10, 12, 11, 13, 15, 14]"
        ),
        cell="ma = moving_average(prices, size=2)",
        check="assert ma == [11.0, 11.5, 12.0, 14.0, 14.5]",
    ),
    # -- type-missing-self -----------------------------------------------------------------------
    Case(
        name="type-missing-self: method defined without self",
        setup="",
        cell=(
            "class Account:\n"
            "    def __init__(self, balance):\n"
            "        self.balance = balance\n"
            "\n"
            "    def deposit(amount):\n"
            "        self.balance += amount\n"
            "\n"
            "\n"
            "acct = Account(100)\n"
            "acct.deposit(50)"
        ),
        check="assert acct.balance == 150",
    ),
    # -- type-not-callable -----------------------------------------------------------------------
    Case(
        name="type-not-callable: DataFrame.shape called like a method",
        setup="import pandas as pd\n\ndf = pd.DataFrame({'a': range(5), 'b': range(5)})",
        cell="n_rows, n_cols = df.shape()",
        check="assert (n_rows, n_cols) == (5, 2)",
    ),
    # -- type-unhashable -------------------------------------------------------------------------
    Case(
        name="type-unhashable: counting list pairs with a dict",
        setup="pairs = [['a', 'b'], ['b', 'c'], ['a', 'b']]",
        cell="counts = {}\nfor p in pairs:\n    counts[p] = counts.get(p, 0) + 1",
        check="assert len(counts) == 2 and sorted(counts.values()) == [1, 2]",
    ),
    # -- type-int-not-iterable -------------------------------------------------------------------
    Case(
        name="type-int-not-iterable: for i in len(words)",
        setup="words = ['kernel', 'cell', 'notebook']",
        cell="lengths = {}\nfor i in len(words):\n    lengths[words[i]] = len(words[i])",
        check="assert lengths == {'kernel': 6, 'cell': 4, 'notebook': 8}",
    ),
    # -- none-from-mutator -----------------------------------------------------------------------
    Case(
        name="none-from-mutator: list.sort() result sliced",
        setup="scores = [88, 92, 75, 64, 99]",
        cell="ranked = scores.sort(reverse=True)\ntop3 = ranked[:3]",
        check="assert top3 == [99, 92, 88]",
    ),
    Case(
        name="none-from-mutator: dropna(inplace=True) assigned back",
        setup=(
            "import numpy as np\n"
            "import pandas as pd\n"
            "\n"
            "df = pd.DataFrame({'x': [1.0, np.nan, 3.0], 'y': ['a', 'b', None]})"
        ),
        cell="df = df.dropna(inplace=True)\nprint(df.shape)",
        check="assert isinstance(df, pd.DataFrame) and df['x'].tolist() == [1.0]",
    ),
    # -- attribute-typo --------------------------------------------------------------------------
    Case(
        name="attribute-typo: str.title_case() for names",
        setup="names = ['  alice SMITH', 'BOB jones  ']",
        cell="clean = [n.strip().title_case() for n in names]",
        check="assert clean == ['Alice Smith', 'Bob Jones']",
    ),
    # -- attribute-wrong-type --------------------------------------------------------------------
    Case(
        name="attribute-wrong-type: .dt.year on a column of date strings",
        setup=(
            "import pandas as pd\n"
            "\n"
            "ev = pd.DataFrame({'when': ['2024-12-31', '2025-01-15', '2025-03-02']})"
        ),
        cell="ev['year'] = ev['when'].dt.year",
        check="assert ev['year'].tolist() == [2024, 2025, 2025]",
    ),
    # -- keyerror-column -------------------------------------------------------------------------
    Case(
        name="keyerror-column: lowercase names for capitalised columns",
        setup=(
            "import pandas as pd\n"
            "\n"
            "sales = pd.DataFrame({'Region': ['N', 'S', 'N'], 'Revenue': [100, 80, 50]})"
        ),
        cell="by_region = sales.groupby('region')['revenue'].sum()",
        check="assert by_region.to_dict() == {'N': 150, 'S': 80}",
    ),
    Case(
        name="keyerror-column: CSV header with spaces after the commas",
        setup=(
            "import io\n"
            "\n"
            "import pandas as pd\n"
            "\n"
            "df = pd.read_csv(io.StringIO('id, name, score\\n1, ann, 90\\n2, bo, 85'))"
        ),
        cell="avg = df['score'].mean()",
        check="assert avg == 87.5",
    ),
    # -- keyerror-dict ---------------------------------------------------------------------------
    Case(
        name="keyerror-dict: singular key for the epochs setting",
        setup="config = {'learning_rate': 0.01, 'epochs': 20, 'batch_size': 32}",
        cell="steps = config['epoch'] * 100 // config['batch_size']",
        check="assert steps == 62",
    ),
    # -- index-out-of-range ----------------------------------------------------------------------
    Case(
        name="index-out-of-range: pairwise differences run one past the end",
        setup="sales = [120, 95, 130, 110, 150]",
        cell="changes = [sales[i + 1] - sales[i] for i in range(len(sales))]",
        check="assert changes == [-25, 35, -20, 40]",
    ),
    # -- index-float -----------------------------------------------------------------------------
    Case(
        name="index-float: median element picked with len(vals) / 2",
        setup="import numpy as np\n\nvals = np.sort(np.array([7, 1, 5, 3, 9]))",
        cell="middle = vals[len(vals) / 2]",
        check="assert middle == 5",
    ),
    # -- zerodivision ----------------------------------------------------------------------------
    Case(
        name="zerodivision: views per day for a page live zero days",
        setup=(
            "visits = {'home': (1200, 30), 'blog': (300, 0), 'shop': (450, 15)}  # (views, "
            "days live)"
        ),
        cell="rate = {page: views / days for page, (views, days) in visits.items()}",
        check=(
            "import math as _m\n"
            "\n"
            "assert rate['home'] == 40.0 and rate['shop'] == 30.0\n"
            "_b = rate.get('blog')\n"
            "assert _b is None or _b == 0 or (isinstance(_b, float) and _m.isnan(_b))"
        ),
    ),
    # -- value-parse -----------------------------------------------------------------------------
    Case(
        name="value-parse: int() on counts with thousands separators",
        setup="raw_counts = ['1,204', '987', '12,050']",
        cell="total = sum(int(c) for c in raw_counts)",
        check="assert total == 14241",
    ),
    Case(
        name="value-parse: float() on prices with a decimal comma",
        setup="prices_eu = ['12,50', '3,99', '100,00']",
        cell="prices = [float(p) for p in prices_eu]",
        check="assert prices == [12.5, 3.99, 100.0]",
    ),
    Case(
        name="value-parse: strptime format does not match ISO dates",
        setup="from datetime import datetime\n\nraw_dates = ['2025-03-04', '2025-11-30']",
        cell="parsed = [datetime.strptime(d, '%d/%m/%Y') for d in raw_dates]",
        check="assert [p.date().isoformat() for p in parsed] == raw_dates",
    ),
    # -- value-unpack ----------------------------------------------------------------------------
    Case(
        name="value-unpack: iterating a dict as if it gave pairs",
        setup="inventory = {'apples': 12, 'pears': 0, 'plums': 7}",
        cell="in_stock = [name for name, qty in inventory if qty > 0]",
        check="assert in_stock == ['apples', 'plums']",
    ),
    # -- value-ambiguous-truth -------------------------------------------------------------------
    Case(
        name="value-ambiguous-truth: `and` between two boolean Series",
        setup=(
            "import pandas as pd\n"
            "\n"
            "emp = pd.DataFrame({'age': [25, 41, 33, 58], 'salary': [40000, 85000, 52000, 61000]})"
        ),
        cell="mid = emp[(emp['age'] > 30) and (emp['salary'] < 70000)]",
        check="assert mid.index.tolist() == [2, 3]",
    ),
    # -- value-merge-dtype -----------------------------------------------------------------------
    Case(
        name="value-merge-dtype: merge keys int64 vs str",
        setup=(
            "import pandas as pd\n"
            "\n"
            "users = pd.DataFrame({'user_id': [1, 2, 3], 'plan': ['free', 'pro', 'free']})\n"
            "events = pd.DataFrame({'user_id': ['1', '3', '3'], 'event': ['login', 'login', "
            "'export']})"
        ),
        cell="joined = events.merge(users, on='user_id')",
        check="assert len(joined) == 3 and joined['plan'].tolist() == ['free', 'free', 'free']",
    ),
    # -- import-moved ----------------------------------------------------------------------------
    Case(
        name="import-moved: Mapping from collections",
        setup="settings = {'a': 1}",
        cell="from collections import Mapping\n\nis_map = isinstance(settings, Mapping)",
        check="assert is_map is True",
    ),
    Case(
        name="import-moved: assert_frame_equal from pandas.util.testing",
        setup="import pandas as pd\n\na = pd.DataFrame({'x': [1, 2]})\nb = a.copy()",
        cell=(
            "from pandas.util.testing import assert_frame_equal\n"
            "\n"
            "assert_frame_equal(a, b)\n"
            "same = True"
        ),
        check="assert same is True",
    ),
    # -- unboundlocal ----------------------------------------------------------------------------
    Case(
        name="unboundlocal: counter incremented inside a function",
        setup="calls = 0\nlog = []",
        cell=(
            "def track(event):\n"
            "    calls += 1\n"
            "    log.append((calls, event))\n"
            "\n"
            "\n"
            "track('open')\n"
            "track('save')"
        ),
        check="assert calls == 2 and log == [(1, 'open'), (2, 'save')]",
    ),
    # -- type-json-serializable ------------------------------------------------------------------
    Case(
        name="type-json-serializable: numpy int64 in json.dumps",
        setup="import json\n\nimport numpy as np\n\ncounts = np.bincount([0, 1, 1, 3])",
        cell="payload = json.dumps({'max_count': counts.max(), 'n_bins': len(counts)})",
        check="assert json.loads(payload) == {'max_count': 2, 'n_bins': 4}",
    ),
    # -- pandas-string-column --------------------------------------------------------------------
    Case(
        name="pandas-string-column: subtracting date columns read as text",
        setup=(
            "import pandas as pd\n"
            "\n"
            "trips = pd.DataFrame({'start': ['2025-01-03', '2025-02-10'], 'end': "
            "['2025-01-07', '2025-02-11']})"
        ),
        cell="trips['days'] = (trips['end'] - trips['start']).dt.days",
        check="assert trips['days'].tolist() == [4, 1]",
    ),
    Case(
        name="pandas-string-column: arithmetic on prices stored as '$1.50'",
        setup=(
            "import pandas as pd\n"
            "\n"
            "items = pd.DataFrame({'item': ['pen', 'pad'], 'price': ['$1.50', '$3.25']})"
        ),
        cell="items['price_with_tax'] = items['price'] * 1.2",
        check="assert items['price_with_tax'].round(3).tolist() == [1.8, 3.9]",
    ),
    # -- pandas-removed-api ----------------------------------------------------------------------
    Case(
        name="pandas-removed-api: DataFrame.append to log an epoch",
        setup="import pandas as pd\n\nhist = pd.DataFrame({'epoch': [1, 2], 'loss': [0.9, 0.7]})",
        cell="hist = hist.append({'epoch': 3, 'loss': 0.55}, ignore_index=True)",
        check=(
            "assert hist['epoch'].tolist() == [1, 2, 3] and hist['loss'].tolist() == [0.9, "
            "0.7, 0.55]\n"
            "assert hist.index.tolist() == [0, 1, 2]"
        ),
    ),
    Case(
        name="pandas-removed-api: fillna(method='ffill')",
        setup=(
            "import numpy as np\n"
            "import pandas as pd\n"
            "\n"
            "s = pd.Series([1.0, np.nan, np.nan, 4.0, np.nan])"
        ),
        cell="filled = s.fillna(method='ffill')",
        check="assert filled.tolist() == [1.0, 1.0, 1.0, 4.0, 4.0]",
    ),
    Case(
        name="pandas-removed-api: Series.iteritems in a loop",
        setup="import pandas as pd\n\nstock = pd.Series({'apples': 12, 'pears': 0, 'plums': 7})",
        cell=(
            "empty = []\n"
            "for fruit, qty in stock.iteritems():\n"
            "    if qty == 0:\n"
            "        empty.append(fruit)"
        ),
        check="assert empty == ['pears']",
    ),
    # -- numpy-removed-api -----------------------------------------------------------------------
    Case(
        name="numpy-removed-api: np.product for compound growth",
        setup="import numpy as np\n\ngrowth = [1.05, 1.02, 0.98, 1.10]",
        cell="total_growth = np.product(growth)",
        check="assert abs(total_growth - 1.05 * 1.02 * 0.98 * 1.10) < 1e-12",
    ),
    Case(
        name="numpy-removed-api: np.NaN to mask sentinel readings",
        setup="import numpy as np\n\nsensor = np.array([12.1, -999.0, 13.4, -999.0, 12.8])",
        cell="sensor[sensor == -999.0] = np.NaN\nmean_reading = np.nanmean(sensor)",
        check="assert np.isnan(sensor).sum() == 2 and abs(mean_reading - 38.3 / 3) < 1e-9",
    ),
    # -- numpy-shape -----------------------------------------------------------------------------
    Case(
        name="numpy-shape: weights stored as a row vector in X @ w",
        setup=(
            "import numpy as np\n"
            "\n"
            "X = np.arange(12, dtype=float).reshape(4, 3)  # 4 samples, 3 features\n"
            "w = np.array([[0.5, 1.0, -0.5]])  # 1 x 3"
        ),
        cell="pred = X @ w",
        check="assert np.allclose(np.ravel(pred), X @ np.array([0.5, 1.0, -0.5]))",
    ),
    Case(
        name="numpy-shape: subtracting each row's mean",
        setup="import numpy as np\n\nM = np.arange(6, dtype=float).reshape(2, 3)",
        cell="row_centered = M - M.mean(axis=1)",
        check=(
            "assert row_centered.shape == (2, 3) and np.allclose(row_centered.mean(axis=1), 0)\n"
            "assert np.allclose(row_centered, [[-1, 0, 1], [-1, 0, 1]])"
        ),
    ),
    Case(
        name="numpy-shape: hourly week reshaped to days with the wrong width",
        setup="import numpy as np\n\nreadings = np.arange(168.0)  # one week of hourly readings",
        cell="daily = readings.reshape(7, 12).mean(axis=1)",
        check="assert daily.shape == (7,) and np.allclose(daily, np.arange(7) * 24 + 11.5)",
    ),
]
