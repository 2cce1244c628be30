"""Diagnostics as you type and the modernize refactor, from ruff, made notebook-aware.

ruff runs as a subprocess on the cell (stdin, ``--isolated`` so a project's config cannot
change what users see) after IPython syntax is masked line for line. Undefined names that
another cell defines, the kernel holds, or IPython provides are dropped; rules that are noise in
a notebook (an import used in another cell, a last expression that displays) are not selected.
"""

from __future__ import annotations

import ast
import contextlib
import copy
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterable
from concurrent.futures import Future
from functools import cache
from pathlib import Path

from .source import (
    ANY_NAME,
    BUILTIN_NAMES,
    IPYTHON_HISTORY_NAME,
    IPYTHON_NAMES,
    MASK_COMMENT,
    RUN_MAGIC,
    defined_names,
    is_cell_magic,
    mask_ipython,
    parse,
)
from .toolkit import certain
from .types import Diagnostic, Fix, FixError, edits_between

# Checks shown as you type: real bugs and syntax errors, not style.
DIAGNOSTIC_RULES = "F,E9,E711,E712,E721,W605,B006,B008,B015,B017,PLE"
# pyflakes checks that misfire in notebooks: unused import / variable (used in a later cell),
# redefinition (re-running a cell), await outside a function (top-level await is fine).
# F403/F405: a star import is common in notebooks and says nothing about this cell.
NOTEBOOK_IGNORES = "F401,F403,F405,F811,F841,F704,PLE1142"
# "Useless expression" checks, wrong for a cell's last expression (IPython displays it).
DISPLAY_CODES = frozenset({"B015", "B018"})
# The modernize refactor: pyupgrade and a few safe simplifications.
MODERNIZE_RULES = "UP,C4,SIM105,SIM110,SIM118,RUF005"
# The oldest Python modernized code must run on (the kernel's, not ours).
TARGET_VERSION = "py310"
# A cell ruff takes longer than this on is given up on (seconds).
RUFF_TIMEOUT_S = 5.0
# Cells whose diagnostics findings are kept (by masked text; see _findings).
MAX_KEPT_FINDINGS = 32
_FINDINGS: dict[str, Future[list[dict]]] = {}
_FINDINGS_LOCK = threading.Lock()


@cache
def ruff_binary() -> str:
    """The ``ruff`` executable the ``ruff`` package installed next to this Python."""
    try:
        from ruff.__main__ import find_ruff_bin

        return os.fsdecode(find_ruff_bin())
    except (ImportError, FileNotFoundError):
        pass
    candidate = Path(sys.executable).parent / "ruff"
    if candidate.exists():
        return str(candidate)
    raise FixError("ruff_missing", "ruff is not installed (pip install ruff)")


def _run(args: list[str], source: str) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            [ruff_binary(), *args, "--isolated", "--no-cache", "--stdin-filename", "cell.py", "-"],
            input=source,
            capture_output=True,
            text=True,
            timeout=RUFF_TIMEOUT_S,
        )
    except subprocess.TimeoutExpired:
        raise FixError("timeout", "ruff took too long on this cell") from None


def prefetch(source: str) -> None:
    """Run ruff on the cell now (its findings are kept for :func:`diagnose`): a Fix starts
    it while the kernel is read, so ruff's 10-15 ms are spent waiting for the kernel."""
    if not is_cell_magic(source) and source.strip():
        with contextlib.suppress(FixError):
            _findings(mask_ipython(source))


def _findings(masked: str) -> list[dict]:
    """ruff's JSON findings on the masked cell, run once per text: the last few are kept
    (diagnostics as you type, then a Fix, ask for the same cell; so do a Fix's prefetch and
    its fix), and a caller asking while ruff runs on it waits for that run."""
    with _FINDINGS_LOCK:
        future = _FINDINGS.get(masked)
        mine = future is None
        if mine:
            future = _FINDINGS[masked] = Future()
            while len(_FINDINGS) > MAX_KEPT_FINDINGS:
                _FINDINGS.pop(next(iter(_FINDINGS)))
    if not mine:
        return copy.deepcopy(future.result())
    try:
        items = _check(masked)
    except BaseException as e:
        with _FINDINGS_LOCK:
            if _FINDINGS.get(masked) is future:
                del _FINDINGS[masked]  # (a timeout is not kept: the next asks again)
        future.set_exception(e)
        raise
    future.set_result(items)
    return copy.deepcopy(items)


def _check(masked: str) -> list[dict]:
    proc = _run(
        [
            "check",
            "--output-format",
            "json",
            "--exit-zero",
            "--select",
            DIAGNOSTIC_RULES,
            "--ignore",
            NOTEBOOK_IGNORES,
            "--target-version",
            TARGET_VERSION,
        ],
        masked,
    )
    try:
        items = json.loads(proc.stdout or "[]")
    except json.JSONDecodeError:
        raise FixError("ruff_failed", (proc.stderr or "ruff gave no output").strip()) from None
    return items if isinstance(items, list) else []


def diagnose(source: str, known_names: Iterable[str] = ()) -> list[Diagnostic]:
    """ruff's findings on the cell; ``known_names``: names other cells or the kernel define."""
    if is_cell_magic(source) or not source.strip():
        return []
    masked = mask_ipython(source)
    items = _findings(masked)
    tree = parse(source)
    known = set(known_names) | BUILTIN_NAMES | IPYTHON_NAMES
    # This cell's own star import or %run.
    if RUN_MAGIC.search(source) or (tree is not None and ANY_NAME in defined_names(tree)):
        known.add(ANY_NAME)
    own = defined_names(tree) if tree is not None else set()  # (what the cell binds)
    shown = _displayed_rows(tree)
    dead = _dead_rows(tree)
    masked_lines = masked.split("\n")
    out = []
    for item in items:
        code = item.get("code") or "syntax-error"
        message = item.get("message", "")
        if code in DISPLAY_CODES and _pos(item.get("location"))[0] in shown:
            continue  # the cell's last expression: IPython displays it, it is not pointless
        fixes = None
        if code == "F821":
            if _pos(item.get("location"))[0] in dead:
                continue  # under ``if False:``: never runs, so nothing is missing
            name = _undefined_name(message)
            if ANY_NAME in known or name in known or IPYTHON_HISTORY_NAME.match(name):
                continue
            right = certain(name, known | own)
            if right is not None:  # ``total_revenu`` where only ``total_revenue`` is close
                message += f"; did you mean {right!r}?"
                rename = {**item, "fix": {"applicability": "safe", "message": f"Use {right!r}"}}
                rename["fix"]["edits"] = [
                    {
                        "content": right,
                        "location": item.get("location"),
                        "end_location": item.get("end_location"),
                    }
                ]
                fixes = _ruff_fix(source, masked, rename)
        start = _pos(item.get("location"))
        end = _pos(item.get("end_location"))
        if start[0] < len(masked_lines) and MASK_COMMENT in masked_lines[start[0]]:
            continue  # a masked IPython line
        if fixes is None:
            fixes = _ruff_fix(source, masked, item)
        out.append(Diagnostic(message, code, start, end, fixes))
    return out


def _displayed_rows(tree: ast.Module | None) -> set[int]:
    """0-based lines of the cell's last statement if it is an expression (shown as output)."""
    if tree is None or not tree.body or not isinstance(tree.body[-1], ast.Expr):
        return set()
    last = tree.body[-1]
    return set(range(last.lineno - 1, (last.end_lineno or last.lineno)))


def _dead_rows(tree: ast.Module | None) -> set[int]:
    """0-based lines of blocks that never run: the body of ``if False:`` / ``if 0:`` (and
    ``while False:``), a common way to keep debugging code in a cell."""
    rows: set[int] = set()
    for node in ast.walk(tree) if tree is not None else ():
        if (
            isinstance(node, ast.If | ast.While)
            and isinstance(node.test, ast.Constant)
            and not node.test.value
            and node.body
        ):
            rows |= set(range(node.body[0].lineno - 1, node.body[-1].end_lineno or 0))
    return rows


def _undefined_name(message: str) -> str:
    # "Undefined name `foo`"
    return message.split("`")[1] if message.count("`") >= 2 else ""


def _pos(loc: dict | None) -> tuple[int, int]:
    loc = loc or {}
    return (max(0, int(loc.get("row", 1)) - 1), max(0, int(loc.get("column", 1)) - 1))


# Confidence of a ruff fix by its applicability (unsafe ones may change behaviour: the user
# sees the diff before accepting).
FIX_CONFIDENCE = {"safe": 0.7, "unsafe": 0.5}


def _ruff_fix(source: str, masked: str, item: dict) -> tuple[Fix, ...]:
    fix = item.get("fix")
    confidence = FIX_CONFIDENCE.get((fix or {}).get("applicability", ""))
    if not fix or confidence is None:
        return ()
    edits = fix.get("edits") or []
    src_lines, masked_lines = source.split("\n"), masked.split("\n")
    try:
        rows = {int(e[k]["row"]) - 1 for e in edits for k in ("location", "end_location")}
    except (KeyError, ValueError, TypeError):
        return ()
    if any(r >= len(src_lines) or src_lines[r] != masked_lines[r] for r in rows):
        return ()  # it touches a masked IPython line
    new = _apply(source, edits)
    if new is None or new == source:
        return ()
    title = fix.get("message") or f"Fix {item.get('code')}"
    explanation = item.get("message", "")
    return (Fix(title, explanation, "diagnostic", new, edits_between(source, new), confidence),)


def _apply(source: str, edits: list[dict]) -> str | None:
    lines = source.split("\n")

    def offset(loc: dict) -> int:
        row, col = int(loc["row"]) - 1, int(loc["column"]) - 1
        return sum(len(x) + 1 for x in lines[:row]) + col

    try:
        spans = sorted(
            (
                (offset(e["location"]), offset(e["end_location"]), e.get("content", ""))
                for e in edits
            ),
            reverse=True,
        )
    except (KeyError, ValueError, TypeError):
        return None
    out = source
    for a, b, text in spans:
        out = out[:a] + text + out[b:]
    return out


def modernize(source: str) -> list[Fix]:
    """The cell rewritten with ruff's safe pyupgrade-style fixes, or nothing if already modern."""
    if is_cell_magic(source) or not source.strip():
        return []
    masked = mask_ipython(source)
    proc = _run(
        [
            "check",
            "--fix-only",
            "--exit-zero",
            "--select",
            MODERNIZE_RULES,
            "--target-version",
            TARGET_VERSION,
        ],
        masked,
    )
    fixed = proc.stdout
    if proc.returncode != 0 or not fixed or fixed == masked:
        return []
    new = _unmask(source, masked, fixed)
    if new is None or new == source:
        return []
    return [
        Fix(
            "Modernize the cell",
            f"Rewritten in modern Python ({TARGET_VERSION.replace('py3', 'Python 3.')}+) by "
            "ruff's safe fixes: pyupgrade rules, comprehension and simplification rules.",
            "modernize",
            new,
            edits_between(source, new),
            0.6,
        )
    ]


def _unmask(source: str, masked: str, fixed: str) -> str | None:
    """Put the original IPython lines back where the masked placeholders survived."""
    if source == masked:
        return fixed
    originals = [o for o, m in zip(source.split("\n"), masked.split("\n"), strict=True) if o != m]
    out = []
    for line in fixed.split("\n"):
        if line.endswith(MASK_COMMENT):
            if not originals:
                return None
            out.append(originals.pop(0))
        else:
            out.append(line)
    return None if originals else "\n".join(out)
