"""jupyter_spark.context: syncing notebooks, analysing cells, ranking and packing the prompt."""

from __future__ import annotations

import pytest

from jupyter_spark.context import (
    Cell,
    ContextBuilder,
    KernelState,
    KernelVar,
    Notebook,
    NotebookStore,
    UnknownNotebook,
    analyze,
)


def chars(text: str) -> int:
    """A counter that is exactly additive, so budget checks are exact."""
    return len(text)


def words(text: str) -> int:
    return len(text.split())


def code(cid: str, source: str) -> Cell:
    return Cell(cid, "code", source)


def filler(i: int) -> Cell:
    """A cell unrelated to everything else, about 60 characters."""
    return code(f"f{i}", f"unrelated_{i} = [n * {i} for n in range(10)]\nprint(unrelated_{i})")


def notebook(*cells: Cell) -> Notebook:
    store = NotebookStore()
    store.replace("nb.ipynb", list(cells))
    nb = store.get("nb.ipynb")
    assert nb is not None
    return nb


def stable_part(prompt_prefix: str, cell_prefix: str) -> str:
    assert prompt_prefix.endswith(cell_prefix)
    return prompt_prefix[: len(prompt_prefix) - len(cell_prefix)]


HELPER = code(
    "helper", "def normalize(xs):\n    total = sum(xs)\n    return [x / total for x in xs]"
)
CURRENT = code("cur", "weights = normalize(raw)")


# -- ranking and packing ---------------------------------------------------------------------


def test_definer_far_away_is_included_and_unrelated_far_cells_dropped() -> None:
    nb = notebook(HELPER, *(filler(i) for i in range(40)), CURRENT)
    builder = ContextBuilder(budget_tokens=400, count_tokens=chars)
    p = builder.build(prefix="weights = normalize(", suffix="raw)", notebook=nb, cell_id="cur")
    assert "helper" in p.included_cells
    assert "def normalize(xs):" in p.prefix
    assert "f0" not in p.included_cells  # unrelated and 40 cells away: no room for it
    assert "f39" in p.included_cells  # the adjacent cell still fits
    assert p.tokens_estimate <= 400


def test_nearest_definer_above_wins_when_a_name_is_rebound() -> None:
    early, late = code("early", "df = load('a.csv')"), code("late", "df = load('b.csv')")
    cells = [early, *(filler(i) for i in range(10)), late, *(filler(i) for i in range(10, 20))]
    nb = notebook(*cells, code("cur", "df.plot()"))
    p = ContextBuilder(budget_tokens=110, count_tokens=chars).build(  # room for one of them
        prefix="df.", notebook=nb, cell_id="cur"
    )
    assert "late" in p.included_cells and "early" not in p.included_cells


def test_markdown_as_comments_raw_skipped_outputs_absent() -> None:
    nb = notebook(
        Cell("md", "markdown", "# Prices\nAll prices are in EUR.\n\nNo VAT."),
        Cell("raw", "raw", "RAW-CELL-TEXT"),
        code("cur", "x = 1"),
    )
    p = ContextBuilder().build(prefix="x = ", notebook=nb, cell_id="cur")
    assert "# %% [markdown]\n# # Prices\n# All prices are in EUR.\n#\n# No VAT.\n\n" in p.prefix
    assert "RAW-CELL-TEXT" not in p.prefix and "raw" not in p.included_cells


def test_cells_emitted_in_notebook_order_with_percent_markers() -> None:
    nb = notebook(
        code("a", "import math"),
        code("b", "def area(r):\n    return math.pi * r * r"),
        code("cur", "print(area(2))"),
        code("below", "def perimeter(r):\n    return 2 * math.pi * r"),
    )
    p = ContextBuilder().build(prefix="print(area(", notebook=nb, cell_id="cur")
    assert p.included_cells == ("a", "b", "below")
    assert (
        p.prefix.index("import math") < p.prefix.index("def area") < p.prefix.index("def perimeter")
    )
    assert "\n\n# %% (cell below)\ndef perimeter" in p.prefix
    assert p.prefix.endswith("\n\n# %%\nprint(area(")


def test_kernel_block_comes_first_with_dataframe_columns() -> None:
    kernel = KernelState(
        variables=(
            KernelVar("df", "DataFrame", "DataFrame 1000x3: id:int64, price:float64, city:object"),
            KernelVar("n", "int", "int"),
        ),
        modules=(("np", "numpy"), ("os", "os")),
        taken_at=1.0,
    )
    nb = notebook(code("a", "import numpy as np"), code("cur", "df['price']"))
    p = ContextBuilder().build(prefix="df['", notebook=nb, cell_id="cur", kernel=kernel)
    assert p.prefix.startswith("# Kernel state:\n# df: DataFrame 1000x3: id:int64, price:float64")
    assert "# np = numpy\n" in p.prefix and "# os: module\n" in p.prefix
    assert p.prefix.index("# Kernel state:") < p.prefix.index("import numpy")
    # A new snapshot time alone does not change the text (the KV prefix survives a refresh).
    later = KernelState(kernel.variables, kernel.modules, taken_at=2.0)
    again = ContextBuilder().build(prefix="df['", notebook=nb, cell_id="cur", kernel=later)
    assert again.prefix == p.prefix


def test_kernel_block_keeps_used_variables_first_within_its_budget() -> None:
    many = tuple(KernelVar(f"v{i}", "int", f"int {i}") for i in range(50))
    kernel = KernelState((*many, KernelVar("target", "list", "list len 3")), (), 0.0)
    builder = ContextBuilder(count_tokens=chars, kernel_budget_tokens=120)
    p = builder.build(prefix="target.", kernel=kernel)
    block = p.prefix[: p.prefix.index("\n\n")]
    assert "# target: list len 3" in block and chars(block) <= 120


@pytest.mark.parametrize("count", [chars, words])
@pytest.mark.parametrize("budget", [60, 200, 700])
def test_budget_respected(count, budget: int) -> None:
    nb = notebook(
        Cell("md", "markdown", "Some notes " * 20),
        HELPER,
        *(filler(i) for i in range(30)),
        CURRENT,
        *(filler(i) for i in range(30, 40)),
    )
    kernel = KernelState((KernelVar("raw", "list", "list len 10: [1, 2, 3, ...]"),), (), 0.0)
    builder = ContextBuilder(
        budget_tokens=budget, count_tokens=count, suffix_budget_tokens=budget // 8
    )
    prefix, suffix = "weights = normalize(", "raw)\n" + "print(weights)\n" * 30
    p = builder.build(prefix=prefix, suffix=suffix, notebook=nb, cell_id="cur", kernel=kernel)
    assert count(p.prefix) + count(p.suffix) <= budget
    assert p.tokens_estimate == count(p.prefix) + count(p.suffix)
    assert p.prefix.endswith(prefix) and suffix.startswith(p.suffix) and p.suffix


def test_huge_current_prefix_keeps_its_end() -> None:
    prefix = "".join(f"line_{i} = {i}\n" for i in range(500)) + "total = line_1 + line_"
    nb = notebook(HELPER, code("cur", prefix))
    builder = ContextBuilder(budget_tokens=300, count_tokens=chars)
    p = builder.build(prefix=prefix, notebook=nb, cell_id="cur")
    assert prefix.endswith(p.prefix) and chars(p.prefix) <= 300
    assert p.prefix.startswith("line_")  # cut at a line start
    assert p.included_cells == ()
    # Typing on: the cut stays where it was while the rest still fits (the KV prefix survives).
    p2 = builder.build(prefix=prefix + "4", notebook=nb, cell_id="cur")
    assert p2.prefix == p.prefix + "4"


def test_single_huge_line_keeps_its_end() -> None:
    prefix = "x = '" + "a" * 5000
    p = ContextBuilder(budget_tokens=100, count_tokens=chars).build(prefix=prefix)
    assert prefix.endswith(p.prefix) and 0 < chars(p.prefix) <= 100


def test_without_context_the_prompt_is_the_cell() -> None:
    p = ContextBuilder().build(prefix="import o", suffix="\n")
    assert (p.prefix, p.suffix, p.included_cells) == ("import o", "\n", ())


# -- stability for the KV cache --------------------------------------------------------------


def test_stable_part_identical_across_keystrokes() -> None:
    nb = notebook(HELPER, *(filler(i) for i in range(20)), CURRENT, filler(99))
    builder = ContextBuilder(budget_tokens=500, count_tokens=chars)
    typed = "weights = normalize(raw)\nscaled = [w * 100 for w in weights]"
    stables = set()
    for i in range(1, len(typed) + 1):
        p = builder.build(prefix=typed[:i], notebook=nb, cell_id="cur")
        stables.add(stable_part(p.prefix, typed[:i]))
    assert len(stables) == 1 and "def normalize" in stables.pop()


def test_stable_part_survives_syncs_of_the_current_cell() -> None:
    """The client syncs the cell it types in: the stable part must not move per keystroke."""
    store = NotebookStore()
    store.replace("nb", [HELPER, *(filler(i) for i in range(20)), CURRENT])
    nb = store.get("nb")
    assert nb is not None
    builder = ContextBuilder(budget_tokens=500, count_tokens=chars)
    base = "weights = normalize(raw)\n"
    stables = set()
    for i in range(1, 30):
        source = base + "zz"[: i % 3] + "q" * i
        store.apply_changes("nb", [{"id": "cur", "source": source}], None)
        p = builder.build(prefix=source, notebook=nb, cell_id="cur")
        stables.add(stable_part(p.prefix, source))
    assert len(stables) == 1


def test_editing_an_included_cell_updates_the_stable_part() -> None:
    store = NotebookStore()
    store.replace("nb", [HELPER, filler(1), CURRENT])
    nb = store.get("nb")
    assert nb is not None
    builder = ContextBuilder()
    before = builder.build(prefix="weights = ", notebook=nb, cell_id="cur").prefix
    store.apply_changes("nb", [{"id": "f1", "source": "threshold = 0.5"}], None)
    after = builder.build(prefix="weights = ", notebook=nb, cell_id="cur").prefix
    assert "threshold = 0.5" in after and "unrelated_1" not in after
    assert after.split("# %%")[1] == before.split("# %%")[1]  # the helper, first, is untouched


def test_new_use_in_the_current_cell_brings_its_definer() -> None:
    store = NotebookStore()
    store.replace(
        "nb",
        [
            code("lib", "def scale(x):\n    return x * 2"),
            *(filler(i) for i in range(30)),
            code("cur", ""),
        ],
    )
    nb = store.get("nb")
    assert nb is not None
    builder = ContextBuilder(budget_tokens=300, count_tokens=chars)
    assert "lib" not in builder.build(prefix="", notebook=nb, cell_id="cur").included_cells
    store.apply_changes("nb", [{"id": "cur", "source": "y = scale(3)"}], None)
    assert "lib" in builder.build(prefix="y = scale(", notebook=nb, cell_id="cur").included_cells


def test_the_word_being_typed_does_not_link() -> None:
    """``pr`` on the way to ``print`` must not pull in (and then drop) a cell defining ``pr``."""
    store = NotebookStore()
    far = [code("pr", "pr = 0.3"), *(filler(i) for i in range(40))]  # beyond the window
    store.replace("nb", [*far, code("cur", "")])
    nb = store.get("nb")
    assert nb is not None
    builder = ContextBuilder(budget_tokens=300, count_tokens=chars)
    for typed in ("p", "pr", "pri", "prin", "print"):
        store.apply_changes("nb", [{"id": "cur", "source": typed}], None)
        assert "pr" not in builder.build(prefix=typed, notebook=nb, cell_id="cur").included_cells
    store.apply_changes("nb", [{"id": "cur", "source": "y = pr * 2\nz = pr"}], None)
    p = builder.build(prefix="y = pr * 2\nz = pr", notebook=nb, cell_id="cur")
    assert "pr" in p.included_cells  # used elsewhere in the cell: a real link


# -- sync ------------------------------------------------------------------------------------


def test_sync_replace_changes_deletes_and_order() -> None:
    store = NotebookStore()
    store.replace("p", [code("a", "a = 1"), code("b", "b = a"), Cell("c", "markdown", "hi")])
    nb = store.get("p")
    assert nb is not None and [c.id for c in nb.cells] == ["a", "b", "c"]
    assert nb.definers("a") == {"a"}

    store.apply_changes("p", [{"id": "a", "source": "renamed = 1"}], None)
    assert nb.definers("a") == set() and nb.definers("renamed") == {"a"}
    assert nb.cell("a") == code("a", "renamed = 1")

    store.apply_changes("p", [{"id": "c", "source": "x = 2", "cell_type": "code"}], None)
    assert nb.cell("c") == code("c", "x = 2") and nb.definers("x") == {"c"}

    store.apply_changes("p", [{"id": "b", "deleted": True}, {"id": "zz", "deleted": True}], None)
    assert [c.id for c in nb.cells] == ["a", "c"]

    store.apply_changes("p", [{"id": "new", "source": "y = 3"}], ["new", "c", "a"])
    assert [c.id for c in nb.cells] == ["new", "c", "a"]
    assert nb.position("a") == 2 and nb.cell("new") == code("new", "y = 3")

    store.apply_changes("p", [], ["a"])  # cells the order leaves out keep their relative order
    assert [c.id for c in nb.cells] == ["a", "new", "c"]

    store.apply_changes("p", [{"id": "tail", "source": ""}], None)  # no order: appended
    assert nb.order[-1] == "tail"


def test_replace_keeps_unchanged_cells_and_bumps_versions_only_on_change() -> None:
    store = NotebookStore()
    cells = [code("a", "a = 1"), code("b", "b = 2")]
    store.replace("p", cells)
    nb = store.get("p")
    assert nb is not None
    version, info = nb.version, nb.info("a")
    store.replace("p", list(cells))
    assert nb.version == version and store.get("p") is nb
    store.replace("p", [code("b", "b = 2"), code("a", "a = 1")])
    assert nb.order == ("b", "a") and nb.info("a") is info and nb.version > version
    store.replace("p", [code("b", "b = 3")])
    assert nb.order == ("b",) and nb.definers("a") == set()


def test_unknown_path_and_drop() -> None:
    store = NotebookStore()
    with pytest.raises(UnknownNotebook) as e:
        store.apply_changes("never.ipynb", [{"id": "a", "source": ""}], None)
    assert isinstance(e.value, KeyError) and e.value.path == "never.ipynb"
    store.replace("p", [])
    store.drop("p")
    assert store.get("p") is None
    store.drop("p")  # dropping twice is harmless


# -- cell analysis ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        "%matplotlib inline\nimport pandas as pd\ndf = pd.read_csv(path)",
        "!pip install pandas\nfiles = !ls\ndf = load(files)",
        "%%time\ndf = load(path)",
        "%%bash\necho $HOME",
        "df?\npd.read_csv??",
        "def broken(:\n    df = load(",  # a half-typed cell
        "x = ('unterminated",
        "\x00 nul",
        "",
    ],
)
def test_ipython_and_broken_cells_do_not_crash(source: str) -> None:
    info = analyze("code", source)
    assert isinstance(info.defines, frozenset) and isinstance(info.uses, frozenset)
    nb = notebook(code("a", source), code("cur", "df.head()"))
    ContextBuilder().build(prefix="df.", notebook=nb, cell_id="cur")


def test_ipython_cells_still_yield_names() -> None:
    info = analyze("code", "%matplotlib inline\nfiles = !ls\ndf = load(path)\ndf?")
    assert {"files", "df"} <= info.defines and {"load", "path"} <= info.uses
    assert analyze("code", "%%time\nmodel = fit(data)").defines == {"model"}
    assert analyze("code", "%%bash\nmodel=1").defines == frozenset()
    broken = analyze(
        "code", "import numpy as np\nfrom os import path as p\nfor i, j in pairs:\n  y = f("
    )
    assert {"np", "p", "i", "j", "y"} <= broken.defines and {"pairs", "f"} <= broken.uses
    # the statements before the one being typed are still parsed exactly (scopes included)
    half = analyze("code", "def g(a):\n    return a + b\n\nresult = g(")
    assert half.defines == {"g", "result"} and half.uses == {"b"}


def test_analysis_scopes_defines_and_uses() -> None:
    info = analyze(
        "code",
        "import os.path\n"
        "from collections import OrderedDict as OD\n"
        "class Model(Base):\n"
        "    size = 3\n"
        "    def fit(self, data, *, lr=default_lr):\n"
        "        local = [row for row in data if keep(row)]\n"
        "        return helper(local, self.size)\n"
        "with open(name) as fh:\n"
        "    text = fh.read()\n"
        "total = sum(x for x in items)\n"
        "try:\n"
        "    pass\n"
        "except ValueError as err:\n"
        "    pass\n",
    )
    assert info.defines == {"os", "OD", "Model", "fh", "text", "total", "err"}
    # parameters, comprehension targets, class attributes and builtins are not uses
    assert info.uses == {"Base", "default_lr", "keep", "helper", "name", "items"}
