"""``%spark`` / ``%%spark`` (and the same under ``%jspark``): complete, fix, modernize, status.

Subcommands are parsed with IPython's ``magic_arguments``; ``%spark`` alone or an unknown
subcommand prints the usage. Nothing here changes what the user sees beyond the magic's own
output: the last error is read from our own record of failed cells (or ``sys.last_*``), never
re-raised or reset.
"""

from __future__ import annotations

import difflib
import linecache
import sys
from typing import Any

from IPython.core.magic import Magics, line_cell_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring
from traitlets import Bool, Int, Unicode

from ..engine.config import EngineConfig
from ..fixes import ErrorInfo, FixError, FixRequest, FixService, NamespaceInspector
from ..grounding import Knowledge
from .session import NotReady, SparkSession, namespace_state

# The name sparkmagic also uses: ours is registered under it only when it is free.
PRIMARY_NAME = "spark"
# Always registered, so the magics are reachable next to sparkmagic.
SECOND_NAME = "jspark"
# How long a magic waits for the model on first use before saying it is still loading.
FIRST_USE_WAIT_S = 20.0
# Generated tokens of one %spark completion, line or block: the editor's line limit
# (EngineConfig.max_tokens_line) and a third more, because a magic's answer is printed once and
# read whole, not typed through as ghost text is, so a line cut short costs more there.
MAX_TOKENS = EngineConfig.max_tokens_line * 4 // 3

USAGE = """\
Usage: %{name} SUBCOMMAND [options]    (also %%{name} for a cell)

  complete CODE        complete CODE with the local model, using this session's variables
  check [CODE]         bugs this session's values show in CODE before it runs (missing
                       keys, columns, attributes, keywords, shapes, removed APIs) and fixes;
                       %%{name} check checks a whole cell; no CODE: the previous cell
  fix [-n N] [--apply] the top fix(es) of the last failed cell, as a diff
  modernize [N]        the modernize refactor of cell N (default: the previous one)
  status               model, warm or not, latency so far
  model [PATH]         show the model, or switch to PATH (GGUF, ONNX dir or registry name)
  autosuggest on|off   ghost-text suggestions from the model in terminal IPython

%%{name} [-i] [--block]  complete the cell body; -i puts body + completion in the next cell
"""


@magics_class
class SparkMagics(Magics):
    """The ``%spark`` magics. Configurable: ``c.SparkMagics.model``, ``.autosuggest``."""

    model = Unicode(
        "", help="Model for the magics: a GGUF, an ONNX dir or a registry name ('' = default)."
    ).tag(config=True)
    autosuggest = Bool(
        False, help="Ghost-text suggestions from the model in terminal IPython."
    ).tag(config=True)
    max_tokens = Int(MAX_TOKENS, help="Upper bound on generated tokens for %spark complete.").tag(
        config=True
    )

    def __init__(self, shell: Any = None, **kwargs: Any) -> None:
        super().__init__(shell=shell, **kwargs)
        self.session = SparkSession(self.model or None)
        self.fixes = FixService()
        self.name = PRIMARY_NAME
        self.failures: list[tuple[int, str, BaseException | None]] = []

    # -- dispatch ------------------------------------------------------------------------------

    @line_cell_magic
    def spark(self, line: str, cell: str | None = None) -> Any:
        if cell is not None:
            if line.strip() == "check":
                return self._check_source(cell)
            return self._cell(line, cell)
        sub, _, rest = line.strip().partition(" ")
        handler = {
            "complete": self._complete,
            "check": self._check,
            "fix": self._fix,
            "modernize": self._modernize,
            "status": self._status,
            "model": self._model,
            "autosuggest": self._autosuggest,
        }.get(sub)
        if handler is None:
            if sub not in ("", "help", "-h", "--help"):
                print(f"Unknown subcommand {sub!r}.\n")
            print(USAGE.format(name=self.name))
            return None
        return handler(rest)

    # -- complete ------------------------------------------------------------------------------

    def _ready(self) -> bool:
        if self.session.wait_ready(FIRST_USE_WAIT_S if self.session.state != "error" else 0):
            return True
        print(f"Spark: {NotReady(self.session.state, self.session.error)}")
        return False

    def _history(self) -> list[str]:
        hist = self.shell.user_ns.get("In") if self.shell is not None else None
        return [h for h in hist[1:-1] if isinstance(h, str)] if isinstance(hist, list) else []

    def _run_completion(self, prefix: str, mode: str) -> str | None:
        if not self._ready():
            return None
        try:
            result = self.session.complete(
                prefix,
                "",
                mode=mode,
                namespace=self.shell.user_ns,
                history=self._history(),
                max_tokens=self.max_tokens,
            )
        except NotReady as e:
            print(f"Spark: {e}")
            return None
        return result.text

    def _complete(self, rest: str) -> None:
        if not rest.strip():
            print(f"Usage: %{self.name} complete CODE")
            return
        text = self._run_completion(rest, "line")
        if text is not None:
            print(rest + text)

    @magic_arguments()
    @argument("-i", "--insert", action="store_true", help="put body + completion in the next cell")
    @argument("--block", action="store_true", help="complete whole lines to the end of the block")
    def _cell(self, line: str, cell: str) -> None:
        """%%spark: complete the cell body."""
        args = parse_argstring(self._cell, line)
        body = cell.rstrip("\n") + ("\n" if args.block else "")
        text = self._run_completion(body, "block" if args.block else "line")
        if text is None:
            return
        if args.insert:
            self.shell.set_next_input(body + text, replace=False)
        else:
            print(body + text)

    # -- fix / modernize -------------------------------------------------------------------------

    def record(self, result: Any) -> None:
        """post_run_cell hook: remember failed cells (source and exception) of this session."""
        if result is None or result.success:
            return
        exc = result.error_in_exec or result.error_before_exec
        raw = getattr(result.info, "raw_cell", None) if result.info else None
        if isinstance(raw, str) and not raw.lstrip().startswith(("%spark", "%jspark")):
            count = result.execution_count or 0
            self.failures = [*self.failures[-9:], (count, raw, exc)]

    def _last_failure(self) -> tuple[str, ErrorInfo] | None:
        if self.failures:
            _, source, exc = self.failures[-1]
            if exc is not None:
                return source, error_info(exc)
        # Loaded after the failure: sys.last_* and the cell's source from linecache.
        exc = getattr(sys, "last_value", None)
        tb = getattr(sys, "last_traceback", None)
        if exc is None:
            return None
        filename = getattr(exc, "filename", None) if isinstance(exc, SyntaxError) else None
        while filename is None and tb is not None:
            filename = tb.tb_frame.f_code.co_filename
            tb = tb.tb_next if "ipykernel" not in filename and "<ipython" not in filename else None
        source = "".join(linecache.getlines(filename)) if filename else ""
        return (source, error_info(exc)) if source else None

    @magic_arguments()
    @argument("-n", type=int, default=1, help="how many alternatives to show")
    @argument("--apply", action="store_true", help="put the fixed cell in the next input")
    def _fix_args(self, line: str) -> None:
        """%spark fix: the top fix(es) of the last failed cell."""

    def _fix(self, rest: str) -> None:
        args = parse_argstring(self._fix_args, rest)
        failure = self._last_failure()
        if failure is None:
            print("Spark: no failed cell in this session to fix.")
            return
        source, error = failure
        try:
            fixes = self.fixes.fix(
                FixRequest(
                    source,
                    error,
                    cells=self._history(),
                    inspector=NamespaceInspector(self.shell.user_ns),
                    max_fixes=max(1, args.n),
                    knowledge=self._knowledge(source),
                )
            )
        except FixError as e:
            print(f"Spark: {e}")
            return
        if not fixes:
            print(f"Spark: no fix found for {error.ename}: {error.evalue}")
            return
        for i, f in enumerate(fixes[: max(1, args.n)], start=1):
            print(f"[{i}] {f.title}  (confidence {f.confidence:.2f})\n    {f.explanation}")
            print(unified(source, f.new_source))
        if args.apply:
            self.shell.set_next_input(fixes[0].new_source, replace=False)

    def _check(self, rest: str) -> None:
        if rest.strip():
            self._check_source(rest)
            return
        hist = self._history()
        if not hist:
            print(f"Usage: %{self.name} check CODE  (or %%{self.name} check for a cell)")
            return
        self._check_source(hist[-1])

    def _knowledge(self, source: str) -> Knowledge:
        """This session's namespace (the same safe probe), its history, the project."""
        return Knowledge(
            kernel=namespace_state(self.shell.user_ns),
            cell_sources=tuple(self._history()),
            current=source,
            project=self.session.project,
        )

    def _check_source(self, source: str) -> None:
        """Print the findings of ``source`` (not run), each with its fix as a diff."""
        try:
            found = self.fixes.diagnose(
                source, tuple(self._history()), tuple(self.shell.user_ns), self._knowledge(source)
            )
        except FixError as e:
            print(f"Spark: {e}")
            return
        if not found:
            print("Spark: no problems found.")
            return
        for d in found:
            print(f"line {d.start[0] + 1}: {d.message} [{d.code}]")
            if d.fixes:
                print(unified(source, d.fixes[0].new_source))

    def _modernize(self, rest: str) -> None:
        hist = self.shell.user_ns.get("In") or []
        try:
            n = int(rest) if rest.strip() else len(hist) - 2
            source = hist[n]
        except (ValueError, IndexError):
            print(f"Usage: %{self.name} modernize [CELL_NUMBER] (a number from In[...])")
            return
        try:
            fixes = self.fixes.modernize(source, self._knowledge(source))
        except FixError as e:
            print(f"Spark: {e}")
            return
        if not fixes:
            print(f"Spark: In[{n}] is already modern.")
            return
        print(f"{fixes[0].title}: {fixes[0].explanation}")
        print(unified(source, fixes[0].new_source))

    # -- status / model / autosuggest -------------------------------------------------------------

    def _status(self, rest: str) -> None:
        s = self.session.status()
        print(f"Spark model: {s['model']} ({s['state']})")
        if s["error"]:
            print(f"  error: {s['error']}")
        if s["completions"]:
            print(
                f"  {s['completions']} completions; time to first token p50 {s['ttft_ms_p50']} "
                f"ms, total p50 {s['total_ms_p50']} ms"
            )
        print(f"  autosuggest: {'on' if self.autosuggest else 'off'}")
        p = s["project"]
        if p.get("enabled"):
            skipped = sum(p["skipped"].values())
            print(
                f"  project index of {p['root']}: {p['state']}, {p['files']} files, "
                f"{p['symbols']} symbols, {p['tokens']} tokens"
                + (f", {skipped} skipped" if skipped else "")
                + f" (watching: {p['watcher']})"
            )

    def _model(self, rest: str) -> None:
        if not rest.strip():
            self._status("")
            return
        self.session.switch(rest.strip())
        print(f"Spark: loading {rest.strip()} in the background (see %{self.name} status).")

    def _autosuggest(self, rest: str) -> None:
        choice = rest.strip().lower()
        if choice not in ("on", "off"):
            print(f"Usage: %{self.name} autosuggest on|off")
            return
        from .autosuggest import install, uninstall

        if choice == "on":
            if install(self.shell, self.session):
                self.autosuggest = True
                self.session.ensure_loading()
                print("Spark: ghost-text suggestions on (Right / End / Ctrl-F accept).")
            else:
                print("Spark: autosuggestions need terminal IPython (prompt_toolkit).")
        else:
            uninstall(self.shell)
            self.autosuggest = False
            print("Spark: ghost-text suggestions off (history suggestions stay on).")


def error_info(exc: BaseException) -> ErrorInfo:
    """ename/evalue without running user code: ``str()`` only for built-in exception types."""
    t = type(exc)
    evalue = ""
    if t.__module__ == "builtins":
        try:
            evalue = str(exc)
        except Exception:
            evalue = ""
    return ErrorInfo(t.__name__, evalue)


def unified(old: str, new: str) -> str:
    diff = difflib.unified_diff(old.splitlines(), new.splitlines(), "cell", "fixed", lineterm="")
    return "\n".join(diff)
