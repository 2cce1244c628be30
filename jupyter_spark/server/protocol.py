"""Protocol v1 messages (docs/protocol.md), both directions: requests parsed and validated,
replies built (the websocket, the REST endpoints and the CLI send only what is built here).

Every way a frame can be wrong becomes a ``ProtocolError`` with a stable ``code`` the client
can act on; the connection stays usable. Unknown fields are ignored so clients can be newer.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from ..context import Cell
from ..engine.config import MAX_TOKENS_LIMIT
from ..fixes.types import DEFAULT_KINDS, KINDS, ErrorInfo

PROTOCOL_VERSION = 1
MODES = ("line", "block")
CELL_TYPES = ("code", "markdown", "raw")
# Cells of one notebook (a sync or a request's ``cells``): bounds the work of one message.
MAX_CELLS = 10_000
# The default of the largest message accepted, in UTF-8 bytes: a websocket frame or REST body
# (``SparkExtension.max_message_bytes``), a ``jupyter spark serve`` body. A 4 MiB notebook sync
# is ~100k lines of code; anything larger is a client bug or an attack, answered ``too_large``.
MAX_MESSAGE_BYTES = 4 * 1024 * 1024


class ProtocolError(Exception):
    """A client message that cannot be served; ``code`` is machine-readable."""

    def __init__(self, code: str, message: str, request_id: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.request_id = request_id

    def to_message(self) -> dict[str, Any]:
        return error_reply(self.code, self.message, self.request_id)


@dataclass(frozen=True)
class CompleteRequest:
    id: str
    prefix: str
    suffix: str = ""
    path: str | None = None
    cell_id: str | None = None
    kernel_id: str | None = None
    cells: tuple[Cell, ...] | None = None
    mode: str = "line"
    max_tokens: int | None = None
    context_budget: int | None = None  # prompt tokens; None: the server's context_budget
    # "warm": prefill this prompt ahead of the next keystroke, generate nothing (the reply is
    # a `done` with stop_reason "warm"); the server re-warms it when the kernel's state changes.
    warm: bool = False
    # With "warm": a suggestion was just accepted here, so also generate what follows it (the
    # next line or block, in `mode`) for the next request to stream at once (engine/ahead.py).
    ahead: bool = False
    # Show the suggestion only if the model is confident of it (a fresh top-level line at the
    # end of a cell: the user may well be done); it then comes whole, or not at all.
    confident: bool = False
    # Grounded completions for this request (None: the server's SparkExtension.grounding).
    grounding: bool | None = None
    # The project index (other files' definitions in the prompt and the candidate sets) for
    # this request (None: the server's SparkExtension.project_index).
    project: bool | None = None


# Bounds of a client's per-request context budget (tokens).
MIN_CONTEXT_BUDGET, MAX_CONTEXT_BUDGET = 64, 32768


@dataclass(frozen=True)
class CancelRequest:
    id: str


@dataclass(frozen=True)
class SyncRequest:
    path: str
    cells: tuple[Cell, ...] | None = None
    changes: tuple[dict, ...] | None = None
    order: tuple[str, ...] | None = None


@dataclass(frozen=True)
class FixMessage:
    """``fix`` (ranked fixes of a cell) or ``diagnose`` (ruff's findings as you type)."""

    type: str  # "fix" | "diagnose"
    id: str
    source: str
    error: ErrorInfo | None = None
    path: str | None = None
    cell_id: str | None = None
    kernel_id: str | None = None
    cells: tuple[Cell, ...] | None = None
    kinds: tuple[str, ...] = DEFAULT_KINDS
    max_fixes: int = 5


Request = CompleteRequest | CancelRequest | SyncRequest | FixMessage


def text_problem(text: str) -> str | None:
    """Why ``text`` cannot be stored or tokenized (a lone surrogate, a NUL), or None.

    JSON can carry both (``"\\ud800"``, ``"\\u0000"``) and Python decodes them, but UTF-8
    cannot encode a surrogate (the tokenizer, ruff and every later reply would fail on it) and
    no text cell holds NUL. Checked once where a message enters, before anything is stored.
    """
    if "\x00" in text:
        return "holds a NUL character"
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as e:
            return f"holds a lone surrogate (U+{ord(text[e.start]):04X}) at index {e.start}"
    return None


def check_text(text: str, what: str, rid: str | None, code: str = "bad_text") -> str:
    problem = text_problem(text)
    if problem is not None:
        raise ProtocolError(code, f"{what} {problem}: not valid Unicode text", rid)
    return text


def _get(
    msg: dict,
    key: str,
    kind: type | tuple[type, ...],
    rid: str | None,
    required: bool = False,
    default: Any = None,
    text_code: str = "bad_text",
) -> Any:
    if key not in msg or msg[key] is None:
        if required:
            raise ProtocolError("missing_field", f"field {key!r} is required", rid)
        return default
    value = msg[key]
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
        names = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
        raise ProtocolError("bad_field", f"field {key!r} must be {names}", rid)
    if isinstance(value, str):
        check_text(value, f"field {key!r}", rid, text_code)
    return value


def _request_id(msg: dict) -> str | None:
    """The message's id if it is usable text (echoed in errors), else None."""
    rid = msg.get("id")
    return rid if isinstance(rid, str) and text_problem(rid) is None else None


def _bounded_list(raw: Any, key: str, rid: str | None) -> list:
    """Field ``key`` as a list of at most ``MAX_CELLS`` entries (the work of one message)."""
    if not isinstance(raw, list):
        raise ProtocolError("bad_field", f"field {key!r} must be a list", rid)
    if len(raw) > MAX_CELLS:
        raise ProtocolError("too_large", f"{len(raw)} {key}; the limit is {MAX_CELLS}", rid)
    return raw


def _cells(raw: Any, rid: str | None, text_code: str = "bad_text") -> tuple[Cell, ...]:
    cells = []
    for i, c in enumerate(_bounded_list(raw, "cells", rid)):
        if not isinstance(c, dict):
            raise ProtocolError("bad_field", f"cells[{i}] must be an object", rid)
        cid = _get(c, "id", str, rid, required=True)
        ctype = _get(c, "cell_type", str, rid, default="code")
        if ctype not in CELL_TYPES:
            raise ProtocolError(
                "bad_field", f"cells[{i}].cell_type must be one of {CELL_TYPES}", rid
            )
        source = _get(c, "source", str, rid, default="", text_code=text_code)
        cells.append(Cell(cid, ctype, source))
    return tuple(cells)


def _changes(raw: Any, rid: str | None) -> tuple[dict, ...]:
    out = []
    for i, ch in enumerate(_bounded_list(raw, "changes", rid)):
        if not isinstance(ch, dict) or not isinstance(ch.get("id"), str):
            raise ProtocolError(
                "bad_field", f"changes[{i}] must be an object with a string id", rid
            )
        check_text(ch["id"], f"changes[{i}].id", rid)
        if ch.get("deleted") is True:
            out.append({"id": ch["id"], "deleted": True})
            continue
        source = _get(ch, "source", str, rid, required=True)
        change = {"id": ch["id"], "source": source}
        if isinstance(ch.get("cell_type"), str) and ch["cell_type"] in CELL_TYPES:
            change["cell_type"] = ch["cell_type"]
        out.append(change)
    return tuple(out)


def utf8_size(text: str) -> int:
    """Bytes of ``text`` in UTF-8 (a lone surrogate counts 3, as surrogatepass writes it)."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-8", "surrogatepass"))


def check_size(size: int, max_bytes: int) -> None:
    if size > max_bytes:
        raise ProtocolError(
            "too_large", f"message of {size} bytes exceeds the limit of {max_bytes} bytes"
        )


def decode_json(data: str | bytes) -> Any:
    """``json.loads`` with every way it fails as ``bad_json``: syntax, invalid UTF-8, an integer
    of more than 4,300 digits (``ValueError``), nesting deeper than the recursion limit."""
    try:
        return json.loads(data)
    except (ValueError, RecursionError, MemoryError) as e:  # JSONDecodeError is a ValueError
        raise ProtocolError("bad_json", f"not valid JSON: {str(e)[:200]}") from None


def parse(frame: str | bytes, max_bytes: int) -> Request:
    """Decode one websocket text frame into a request, or raise ``ProtocolError``."""
    if isinstance(frame, bytes):
        raise ProtocolError(
            "binary_frame", "binary frames are not part of the protocol; send JSON text frames"
        )
    # A character is 1 to 4 bytes: only a frame near the limit needs its UTF-8 size measured.
    if len(frame) * 4 > max_bytes:
        check_size(len(frame) if len(frame) > max_bytes else utf8_size(frame), max_bytes)
    return parse_message(decode_json(frame))


def parse_message(msg: Any) -> Request:
    """Validate an already-decoded message (the REST endpoint shares this)."""
    if not isinstance(msg, dict):
        raise ProtocolError("bad_message", "a message must be a JSON object")
    rid = _request_id(msg)
    mtype = msg.get("type")
    if mtype in ("complete", "warm"):
        rid = _get(msg, "id", str, rid, required=True)
        mode = _get(msg, "mode", str, rid, default="line")
        if mode not in MODES:
            raise ProtocolError("bad_field", f"mode must be one of {MODES}", rid)
        max_tokens = _get(msg, "max_tokens", int, rid)
        if max_tokens is not None and not 1 <= max_tokens <= MAX_TOKENS_LIMIT:
            raise ProtocolError(
                "bad_field", f"max_tokens must be between 1 and {MAX_TOKENS_LIMIT}", rid
            )
        budget = _get(msg, "context_budget", int, rid)
        if budget is not None and not MIN_CONTEXT_BUDGET <= budget <= MAX_CONTEXT_BUDGET:
            raise ProtocolError(
                "bad_field",
                f"context_budget must be between {MIN_CONTEXT_BUDGET} and {MAX_CONTEXT_BUDGET}",
                rid,
            )
        cells = msg.get("cells")
        ahead = _get(msg, "ahead", bool, rid, default=False)
        return CompleteRequest(
            id=rid,
            prefix=_get(msg, "prefix", str, rid, required=True),
            suffix=_get(msg, "suffix", str, rid, default=""),
            path=_get(msg, "path", str, rid),
            cell_id=_get(msg, "cell_id", str, rid),
            kernel_id=_get(msg, "kernel_id", str, rid),
            cells=None if cells is None else _cells(cells, rid),
            mode=mode,
            max_tokens=max_tokens,
            context_budget=budget,
            warm=mtype == "warm",
            ahead=mtype == "warm" and ahead,
            confident=_get(msg, "confident", bool, rid, default=False),
            grounding=_get(msg, "grounding", bool, rid),
            project=_get(msg, "project", bool, rid),
        )
    if mtype == "cancel":
        return CancelRequest(_get(msg, "id", str, rid, required=True))
    if mtype == "sync":
        path = _get(msg, "path", str, rid, required=True)
        if "cells" in msg:
            return SyncRequest(path, cells=_cells(msg["cells"], rid))
        if "changes" not in msg:
            raise ProtocolError("missing_field", "sync needs 'cells' or 'changes'", rid)
        order = msg.get("order")
        if order is not None and not (
            isinstance(order, list)
            and len(order) <= MAX_CELLS
            and all(isinstance(o, str) and text_problem(o) is None for o in order)
        ):
            raise ProtocolError("bad_field", "order must be a list of cell ids", rid)
        return SyncRequest(
            path,
            changes=_changes(msg["changes"], rid),
            order=None if order is None else tuple(order),
        )
    if mtype in ("fix", "diagnose"):
        return _fix_message(msg, mtype)
    if not isinstance(mtype, str):
        raise ProtocolError("bad_message", "field 'type' (a string) is required", rid)
    raise ProtocolError("unknown_type", f"unknown message type {mtype!r}", rid)


def _fix_message(msg: dict, mtype: str) -> FixMessage:
    rid = _get(msg, "id", str, _request_id(msg), required=True)
    error = None
    raw = msg.get("error")
    if raw is not None:
        if not isinstance(raw, dict):
            raise ProtocolError("bad_field", "field 'error' must be an object", rid)
        tb = raw.get("traceback", [])
        if not isinstance(tb, list) or not all(
            isinstance(t, str) and text_problem(t) is None for t in tb
        ):
            tb = []  # a traceback in an unexpected shape is not needed to fix the cell
        error = ErrorInfo(
            _get(raw, "ename", str, rid, required=True),
            _get(raw, "evalue", str, rid, default=""),
            tuple(tb),
        )
    kinds = msg.get("kinds")
    if kinds is None:
        kinds = DEFAULT_KINDS
    elif not (isinstance(kinds, list) and kinds and all(k in KINDS for k in kinds)):
        raise ProtocolError("bad_field", f"kinds must be a non-empty list of {KINDS}", rid)
    max_fixes = _get(msg, "max_fixes", int, rid, default=5)
    if not 1 <= max_fixes <= 20:
        raise ProtocolError("bad_field", "max_fixes must be between 1 and 20", rid)
    cells = msg.get("cells")
    return FixMessage(
        type=mtype,
        id=rid,
        source=_get(msg, "source", str, rid, required=True, text_code="bad_source"),
        error=error,
        path=_get(msg, "path", str, rid),
        cell_id=_get(msg, "cell_id", str, rid),
        kernel_id=_get(msg, "kernel_id", str, rid),
        cells=None if cells is None else _cells(cells, rid, "bad_source"),
        kinds=tuple(kinds),
        max_fixes=max_fixes,
    )


# -- replies (server to client) -------------------------------------------------------------


class _Reportable(Protocol):
    """A fix or a diagnostic: what a ``fixes`` / ``diagnostics`` reply lists."""

    def to_dict(self) -> dict[str, Any]: ...


def error_reply(code: str, message: str, request_id: str | None = None) -> dict[str, Any]:
    """``error``: a request (``request_id``) or a frame (no id) that could not be served."""
    msg: dict[str, Any] = {"type": "error", "code": code, "message": message}
    if request_id is not None:
        msg["id"] = request_id
    return msg


def internal_error_reply(e: BaseException, request_id: str | None) -> dict[str, Any]:
    """``error`` with code ``internal``: a failure of ours (the caller logs it)."""
    return error_reply("internal", f"{type(e).__name__}: {e}"[:500], request_id)


def chunk_reply(request_id: str, text: str) -> dict[str, Any]:
    """``chunk``: the whole completion so far (not a delta)."""
    return {"type": "chunk", "id": request_id, "text": text}


# The stats of a completion cancelled before it started.
_NO_STATS = {"ttft_ms": 0, "total_ms": 0, "tokens": 0, "cached_tokens": 0}


def done_reply(
    request_id: str, text: str, cancelled: bool, stats: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """``done``: the final text and its stats (``None``: cancelled before it started)."""
    return {
        "type": "done",
        "id": request_id,
        "text": text,
        "cancelled": cancelled,
        "stats": dict(_NO_STATS if stats is None else stats),
    }


def fix_reply(kind: str, request_id: str | None, found: Iterable[_Reportable]) -> dict[str, Any]:
    """The answer to a ``fix`` (``fixes``) or ``diagnose`` (``diagnostics``) message of type
    ``kind``; ``request_id`` None (the CLI's output) leaves the id out."""
    rtype, key = ("diagnostics", "items") if kind == "diagnose" else ("fixes", "fixes")
    msg: dict[str, Any] = {"type": rtype}
    if request_id is not None:
        msg["id"] = request_id
    msg[key] = [f.to_dict() for f in found]
    return msg


def status_reply(
    *,
    state: str,
    percent: float,
    model: str | None,
    backend: Mapping[str, Any],
    grounding: bool,
    project: Mapping[str, Any],
    error: str | None,
    error_code: str | None,
    since: float,
    latency: Mapping[str, Any],
) -> dict[str, Any]:
    """GET spark/status: the model's state and load progress, the backend, the switches, the
    last error and recent latency percentiles."""
    return {
        "state": state,
        "percent": percent,
        "model": model,
        "backend": dict(backend),
        "grounding": grounding,
        "project": dict(project),
        "error": error,
        "error_code": error_code,
        "since": since,
        "latency": dict(latency),
    }
