"""Context work per completion request on a huge notebook: sync of a one-cell change + build.

Why: the prompt is built on the server's IO loop for every keystroke, before the model runs, so
it must cost a few milliseconds even on a notebook far larger than the prompt. We build a
~2000-cell, ~200k-token notebook from real code (stdlib modules' source, split the way people
split scripts into cells, with markdown from docstrings and some IPython lines), sync it once,
then time what the server does per request:

- keystroke: the client syncs the cell being typed in, then asks for a completion;
- edit elsewhere: another cell changed since the last request, so the cached selection is void
  and cells are ranked and packed again;
- cold build: the first request for a cell with token counts not yet cached (a new counter).

Run: ``python benchmarks/context_build.py [--keystrokes 300] [--tokenizer tokenizer.json]``.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import inspect
import random
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path

if __package__ in (None, ""):  # `python benchmarks/context_build.py`
    import common  # type: ignore[import-not-found, no-redef]
else:  # `python -m benchmarks.context_build`
    from . import common

from jupyter_spark.context import (
    Cell,
    ContextBuilder,
    KernelState,
    KernelVar,
    NotebookStore,
    estimate_tokens,
)

TARGET_MS = 5.0
NOTEBOOK_CELLS = 2000
# Target size of the notebook, by the counter in use (the default estimate unless --tokenizer).
NOTEBOOK_TOKENS = 200_000
# Cells longer than this many lines are split, as people split long scripts.
MAX_CELL_LINES = 10
# A markdown cell (a docstring) after about every this many code cells; IPython lines too.
MARKDOWN_EVERY = 7
IPYTHON_EVERY = 23
MODULES = (
    "argparse", "ast", "asyncio.base_events", "asyncio.tasks", "calendar", "collections",
    "configparser", "csv", "dataclasses", "datetime", "decimal", "difflib", "email.message",
    "email.utils", "enum", "fractions", "ftplib", "functools", "gettext", "gzip", "heapq",
    "http.client", "http.cookiejar", "http.server", "imaplib", "inspect", "ipaddress",
    "json.decoder", "json.encoder", "logging", "logging.handlers", "mailbox", "argparse",
    "pathlib", "pickle", "pprint", "pydoc", "random", "shutil", "smtplib", "statistics",
    "string", "subprocess", "tarfile", "tempfile", "textwrap", "threading", "tokenize",
    "traceback", "typing", "urllib.parse", "urllib.request", "uuid", "zipfile",
)  # fmt: skip
OUT = common.RESULTS_DIR / "context_build.json"


def _segments(source: str) -> Iterator[str]:
    """Top-level statements of a module, long classes split into their (dedented) members."""
    tree = ast.parse(source)
    lines = source.splitlines()
    for node in tree.body:
        start = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
        text = "\n".join(lines[start - 1 : node.end_lineno])
        if isinstance(node, ast.ClassDef) and text.count("\n") > MAX_CELL_LINES:
            yield text.split("\n", 1)[0]  # `class X(Base):` alone, like a half-written cell
            for member in node.body:
                mstart = min(
                    [member.lineno, *(d.lineno for d in getattr(member, "decorator_list", []))]
                )
                yield textwrap.dedent("\n".join(lines[mstart - 1 : member.end_lineno]))
        else:
            yield text


def _chunks(text: str) -> Iterator[str]:
    """Cells of at most MAX_CELL_LINES lines."""
    lines = text.split("\n")
    for i in range(0, len(lines), MAX_CELL_LINES):
        yield "\n".join(lines[i : i + MAX_CELL_LINES])


def synthetic_notebook(count: Callable[[str], int]) -> list[Cell]:
    """About NOTEBOOK_CELLS cells and NOTEBOOK_TOKENS tokens of real code, markdown, magics."""
    per_cell = NOTEBOOK_TOKENS / NOTEBOOK_CELLS
    cells: list[Cell] = []
    pending: list[str] = []
    for name in MODULES * 4:  # the list is cycled if the modules run out
        module = importlib.import_module(name)
        if module.__doc__:
            cells.append(Cell(f"md{len(cells)}", "markdown", module.__doc__.strip()[:600]))
        for segment in _segments(inspect.getsource(module)):
            for chunk in _chunks(segment):
                pending.append(chunk)
                text = "\n\n".join(pending)
                if count(text) < per_cell * 0.6:  # glue small statements (imports, constants)
                    continue
                pending.clear()
                n = len(cells)
                if n % IPYTHON_EVERY == 0:
                    text = f"%time\n{text}\n!ls -la | head"
                cells.append(Cell(f"c{n}", "code", text))
                if n % MARKDOWN_EVERY == 0:
                    cells.append(Cell(f"md{n}", "markdown", f"## Step {n}\nNext: `{name}`."))
                if len(cells) >= NOTEBOOK_CELLS:
                    return cells
    return cells


def _time(fn: Callable[..., object], *args: object, **kwargs: object) -> float:
    """Milliseconds of one call."""
    t = time.perf_counter()
    fn(*args, **kwargs)
    return (time.perf_counter() - t) * 1000


def _row(label: str, ms: list[float]) -> dict:
    p95 = common.percentile(ms, 95)
    return {
        "scenario": label,
        "n": len(ms),
        "p50_ms": common.percentile(ms, 50),
        "p95_ms": p95,
        "max_ms": max(ms),
        "target_ms": TARGET_MS,
        "pass": p95 <= TARGET_MS,
    }


def _kernel() -> KernelState:
    variables = [
        KernelVar("df", "DataFrame", "DataFrame 1000x3: id:int64, price:float64, city:object"),
        *(KernelVar(f"var_{i}", "list", f"list len {i}") for i in range(30)),
    ]
    return KernelState(tuple(variables), (("np", "numpy"), ("pd", "pandas")), time.time())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--keystrokes", type=int, default=300)
    ap.add_argument("--edits", type=int, default=200, help="builds after an edit elsewhere")
    ap.add_argument("--tokenizer", type=Path, help="count with this tokenizer.json")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    info = common.machine_info()
    count: Callable[[str], int] = estimate_tokens
    if args.tokenizer:
        from tokenizers import Tokenizer

        tok = Tokenizer.from_file(str(args.tokenizer))

        def count(text: str) -> int:
            return len(tok.encode(text, add_special_tokens=False).ids)

    rng = random.Random(args.seed)
    cells = synthetic_notebook(count)
    total_tokens = sum(count(c.source) for c in cells)
    store, path, kernel = NotebookStore(), "big.ipynb", _kernel()
    sync_ms = _time(store.replace, path, cells)
    nb = store.get(path)
    assert nb is not None
    builder = ContextBuilder(count_tokens=count)

    def source_of(cell_id: str) -> str:
        cell = nb.cell(cell_id)
        assert cell is not None
        return cell.source

    # The current cell: a code cell mid-notebook; we type a new line of real code at its end
    # (code from a cell far above, so the names it uses link to definers across the notebook).
    code_ids = [c.id for c in cells if c.cell_type == "code"]
    current = code_ids[len(code_ids) // 2]
    base = source_of(current) + "\n"
    typed = (source_of(code_ids[len(code_ids) // 3]) * 3)[: args.keystrokes]
    builder.build(prefix=base, notebook=nb, cell_id=current, kernel=kernel)  # warm, as after sync

    def keystroke_request(source: str) -> None:
        store.apply_changes(path, [{"id": current, "source": source}], None)
        p = builder.build(prefix=source, notebook=nb, cell_id=current, kernel=kernel)
        stables.add(p.prefix[: len(p.prefix) - len(source)])

    def edit_request(other: str, source: str) -> None:
        store.apply_changes(path, [{"id": other, "source": source}], None)
        builder.build(prefix=base, notebook=nb, cell_id=current, kernel=kernel)

    stables: set[str] = set()
    keystroke = [_time(keystroke_request, base + typed[:i]) for i in range(1, len(typed) + 1)]
    elsewhere = []
    for _ in range(args.edits):
        other = rng.choice(code_ids)
        edited = source_of(other) + f"\nx_{rng.randrange(10**6)} = 1"
        elsewhere.append(_time(edit_request, other, edited))
    cold = []
    for cid in rng.sample(code_ids, min(50, len(code_ids))):
        fresh = ContextBuilder(count_tokens=lambda text: count(text))  # a new counter: no caches
        cold.append(
            _time(fresh.build, prefix=source_of(cid), notebook=nb, cell_id=cid, kernel=kernel)
        )

    rows = [
        _row("keystroke: sync current cell + build", keystroke),
        _row("edit elsewhere: sync other cell + build", elsewhere),
        _row("cold build (token counts not cached)", cold),
    ]
    counter = f"tokenizer {args.tokenizer}" if args.tokenizer else "estimate len//3+1"
    print(
        f"notebook: {len(cells)} cells, {total_tokens} tokens ({counter}); "
        f"first sync {sync_ms:.0f} ms; stable part changed {len(stables) - 1} times "
        f"over {len(typed)} keystrokes"
    )
    print(
        common.table(
            ["scenario", "n", "p50 ms", "p95 ms", "max ms", "target", "result"],
            [
                [
                    r["scenario"],
                    str(r["n"]),
                    common.fmt(r["p50_ms"], 3),
                    common.fmt(r["p95_ms"], 3),
                    common.fmt(r["max_ms"], 3),
                    f"p95 <= {TARGET_MS:g}",
                    "PASS" if r["pass"] else "FAIL",
                ]
                for r in rows
            ],
        )
    )
    note = common.load_note(info)
    if note:
        print(note)
    common.write_json(
        OUT,
        {
            "benchmark": "context_build",
            "machine": info,
            "counter": counter,
            "notebook": {"cells": len(cells), "tokens": total_tokens, "first_sync_ms": sync_ms},
            "stable_part_changes": len(stables) - 1,
            "keystrokes": len(typed),
            "rows": rows,
        },
    )
    print(f"wrote {OUT.relative_to(common.REPO_ROOT)}")


if __name__ == "__main__":
    main()
