"""The fixes service: one entry point for errors, diagnostics and modernization.

Candidates come from the rules (rules.py) and ruff (ruff.py); every candidate must compile (as
IPython would run the cell) and differ from the cell; duplicates keep their best rank. Nothing
here runs user code: the kernel is only read through an ``Inspector``.
"""

from __future__ import annotations

import contextlib
import re
from typing import Any

from ..grounding import Knowledge
from .checks import kernel_checks
from .model import rerank, rewrite
from .ruff import diagnose as ruff_diagnose
from .ruff import modernize as ruff_modernize
from .ruff import prefetch as ruff_prefetch
from .rules import Context, error_fixes
from .source import MAX_SOURCE_CHARS, compiles, names_in_cells
from .toolkit import failing_line
from .types import KINDS, Diagnostic, Fix, FixError, FixRequest, make_fix

# The kernel checks whose findings explain an exception of each type.
CHECKS_FOR_ERROR = {
    "TypeError": ("bad-call", "removed-api"),
    "KeyError": ("missing-key",),
    "AttributeError": ("missing-attribute", "removed-api"),
    "ValueError": ("shape-mismatch",),
}

# Removed APIs rewritten in one modernize at most (each rewrite re-reads the cell).
MAX_API_REWRITES = 20

# Let the model reorder close candidates. Off: on benchmarks/fixes (44 cells) it lowered top-1
# from 44 to 42 (the rules' confidences already order them well); kept for bigger models.
RANK_WITH_MODEL = False


def check_source(source: Any) -> str:
    """The cell source, or a FixError saying why it cannot be looked at."""
    if not isinstance(source, str):
        raise FixError("bad_source", "source must be text")
    if "\x00" in source:
        raise FixError("bad_source", "source holds NUL bytes: not a text cell")
    if not source.isascii():
        try:
            source.encode("utf-8")
        except UnicodeEncodeError as e:  # a lone surrogate: ruff and the tokenizer would fail
            raise FixError("bad_source", f"source holds a lone surrogate at {e.start}") from None
    if len(source) > MAX_SOURCE_CHARS:
        raise FixError(
            "too_large", f"the cell has {len(source)} characters; the limit is {MAX_SOURCE_CHARS}"
        )
    return source


class FixService:
    """Stateless apart from the optional engine; safe to share between threads.

    ``engine``: the warm model (embedded ``Engine`` or a remote backend), used to rank close
    candidates and to rewrite a failing line no rule matches. Without it, rules and ruff only.
    """

    def __init__(self, engine: Any = None, rank_with_model: bool = RANK_WITH_MODEL) -> None:
        self.engine = engine
        self.rank_with_model = rank_with_model

    def fix(self, req: FixRequest) -> list[Fix]:
        """Ranked fixes (best first) of the kinds asked for."""
        source = check_source(req.source)
        kinds = [k for k in req.kinds if k in KINDS]
        candidates: list[Fix] = []
        if req.error is not None and "error" in kinds:
            kernel = getattr(req.knowledge, "kernel", None)
            summaries = {v.name: v.summary for v in (kernel.variables if kernel else ())}
            modules = tuple(kernel.modules) if kernel else ()
            ctx = Context(tuple(req.cells), req.inspector, summaries, modules)
            found = error_fixes(source, req.error, ctx)
            found += self._checked(source, req)
            if not found and req.use_model:
                facts, known = _kernel_facts(source, req)
                found = rewrite(self.engine, source, req.error, req.cells, facts, known)
            candidates += found
        if "diagnostic" in kinds:
            known = names_in_cells(req.cells)
            if req.inspector is not None:
                known |= req.inspector.names()
            for d in ruff_diagnose(source, known):
                candidates += d.fixes
            if req.error is None and req.knowledge is not None:
                # a cell that ran but did not do what it says (chained assignment): the
                # kernel checks' certain fixes, as the editor shows them before the run
                found = kernel_checks(source, req.knowledge, others=tuple(req.cells))
                candidates += [f for d in found for f in d.fixes]
        if "modernize" in kinds:
            candidates += ruff_modernize(source)
        ranked = rank(source, candidates, req.max_fixes)
        if req.use_model and self.rank_with_model:
            ranked = rerank(self.engine, ranked)
        return ranked

    def prefetch(self, source: str, kinds: tuple[str, ...]) -> None:
        """What :meth:`fix` will ask of ruff, asked now (the server calls this in a fix thread
        while it reads the kernel); nothing is returned and nothing raised."""
        if "diagnostic" in kinds:
            with contextlib.suppress(Exception):  # (fix() reports the source's trouble)
                ruff_prefetch(check_source(source))

    def _checked(self, source: str, req: FixRequest) -> list[Fix]:
        """The kernel checks' certain fixes for what the error says at the line it failed on
        (``TypeError: f() got an unexpected keyword argument 'epoch'`` -> ``epochs=``)."""
        if req.knowledge is None or req.error is None:
            return []
        codes = CHECKS_FOR_ERROR.get(req.error.ename)
        line = failing_line(source, req.error)
        if codes is None or line is None:
            return []
        found = kernel_checks(source, req.knowledge, others=tuple(req.cells))
        return [f for d in found if d.code in codes and d.start[0] == line for f in d.fixes]

    def diagnose(
        self,
        source: str,
        cells: tuple[str, ...] = (),
        known_names: tuple[str, ...] = (),
        knowledge: Knowledge | None = None,
    ) -> list[Diagnostic]:
        """ruff's findings, without undefined-name reports for names defined elsewhere; with
        ``knowledge`` (the kernel's snapshot, the cells, the project) also the bugs the kernel
        sees before the cell runs (checks.py)."""
        source = check_source(source)
        found = ruff_diagnose(source, set(known_names) | names_in_cells(cells))
        if knowledge is not None:
            found += kernel_checks(source, knowledge, others=cells)
        return found

    def modernize(self, source: str, knowledge: Knowledge | None = None) -> list[Fix]:
        """ruff's safe modernizations, then the APIs the installed pandas / NumPy /
        scikit-learn removed, spelled anew (with ``knowledge``: which values are DataFrames)."""
        source = check_source(source)
        found = ruff_modernize(source)
        new = found[0].new_source if found else source
        renamed = 0
        for _ in range(MAX_API_REWRITES):
            k = knowledge if knowledge is not None else Knowledge()
            fixes = [f for d in kernel_checks(new, k) if d.code == "removed-api" for f in d.fixes]
            if not fixes:
                break
            new, renamed = fixes[0].new_source, renamed + 1
        if not renamed:
            return found
        what = "ruff's safe fixes and " if found else ""
        return [
            make_fix(
                "Modernize the cell",
                f"Rewritten with {what}{renamed} API(s) the installed libraries removed or "
                "deprecated, spelled as they are now.",
                "modernize",
                source,
                new,
                0.6,
            )
        ]


def _kernel_facts(source: str, req: FixRequest) -> tuple[list[str], set[str] | None]:
    """What the kernel holds of the failing line's names (``name: summary``), and every name
    the kernel and the notebook define (None: no kernel, so a new name cannot be judged)."""
    row = failing_line(source, req.error) if req.error is not None else None
    line = source.split("\n")[row] if row is not None else source
    words = set(re.findall(r"[A-Za-z_]\w*", line))
    kernel = getattr(req.knowledge, "kernel", None)
    facts = [f"{v.name}: {v.summary}" for v in (kernel.variables if kernel else ())
             if v.name in words and v.summary]  # fmt: skip
    if req.inspector is None and kernel is None:
        return facts, None
    known = names_in_cells(req.cells)
    if req.inspector is not None:
        known |= req.inspector.names()
    if kernel is not None:
        known |= {v.name for v in kernel.variables} | {a for a, _ in kernel.modules}
    return facts, known


def rank(source: str, candidates: list[Fix], limit: int) -> list[Fix]:
    """Compiling, distinct candidates by confidence (stable for ties: rule order)."""
    best: dict[str, Fix] = {}
    for fix in candidates:
        if fix.new_source == source or not compiles(fix.new_source):
            continue
        if fix.new_source not in best or fix.confidence > best[fix.new_source].confidence:
            best[fix.new_source] = fix
    ordered = sorted(best.values(), key=lambda f: -f.confidence)
    return ordered[: max(0, limit)]
