"""Protocol v1 messages (docs/protocol.md): parse and validate, nothing else.

Every way a frame can be wrong becomes a ``ProtocolError`` with a stable ``code`` the client
can act on; the connection stays usable. Unknown fields are ignored so clients can be newer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ..context import Cell
from ..fixes.types import DEFAULT_KINDS, KINDS, ErrorInfo

PROTOCOL_VERSION = 1
MODES = ("line", "block")
CELL_TYPES = ("code", "markdown", "raw")


class ProtocolError(Exception):
    """A client message that cannot be served; ``code`` is machine-readable."""

    def __init__(self, code: str, message: str, request_id: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.request_id = request_id

    def to_message(self) -> dict[str, Any]:
        msg: dict[str, Any] = {"type": "error", "code": self.code, "message": self.message}
        if self.request_id is not None:
            msg["id"] = self.request_id
        return msg


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
    # Grounded completions for this request (None: the server's SparkExtension.grounding).
    grounding: bool | None = None


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


def _get(
    msg: dict,
    key: str,
    kind: type | tuple[type, ...],
    rid: str | None,
    required: bool = False,
    default: Any = None,
) -> Any:
    if key not in msg or msg[key] is None:
        if required:
            raise ProtocolError("missing_field", f"field {key!r} is required", rid)
        return default
    value = msg[key]
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
        names = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
        raise ProtocolError("bad_field", f"field {key!r} must be {names}", rid)
    return value


def _cells(raw: Any, rid: str | None) -> tuple[Cell, ...]:
    if not isinstance(raw, list):
        raise ProtocolError("bad_field", "field 'cells' must be a list", rid)
    cells = []
    for i, c in enumerate(raw):
        if not isinstance(c, dict):
            raise ProtocolError("bad_field", f"cells[{i}] must be an object", rid)
        cid = _get(c, "id", str, rid, required=True)
        ctype = _get(c, "cell_type", str, rid, default="code")
        if ctype not in CELL_TYPES:
            raise ProtocolError(
                "bad_field", f"cells[{i}].cell_type must be one of {CELL_TYPES}", rid
            )
        cells.append(Cell(cid, ctype, _get(c, "source", str, rid, default="")))
    return tuple(cells)


def _changes(raw: Any, rid: str | None) -> tuple[dict, ...]:
    if not isinstance(raw, list):
        raise ProtocolError("bad_field", "field 'changes' must be a list", rid)
    out = []
    for i, ch in enumerate(raw):
        if not isinstance(ch, dict) or not isinstance(ch.get("id"), str):
            raise ProtocolError(
                "bad_field", f"changes[{i}] must be an object with a string id", rid
            )
        if ch.get("deleted") is True:
            out.append({"id": ch["id"], "deleted": True})
            continue
        source = _get(ch, "source", str, rid, required=True)
        change = {"id": ch["id"], "source": source}
        if isinstance(ch.get("cell_type"), str) and ch["cell_type"] in CELL_TYPES:
            change["cell_type"] = ch["cell_type"]
        out.append(change)
    return tuple(out)


def parse(frame: str | bytes, max_bytes: int) -> Request:
    """Decode one websocket text frame into a request, or raise ``ProtocolError``."""
    if isinstance(frame, bytes):
        raise ProtocolError(
            "binary_frame", "binary frames are not part of the protocol; send JSON text frames"
        )
    if len(frame) > max_bytes:  # characters >= bytes/4; the exact byte check costs an encode
        raise ProtocolError(
            "too_large",
            f"message of {len(frame)} characters exceeds the limit of {max_bytes} bytes",
        )
    try:
        msg = json.loads(frame)
    except (json.JSONDecodeError, RecursionError) as e:
        raise ProtocolError("bad_json", f"not valid JSON: {e}") from None
    return parse_message(msg)


def parse_message(msg: Any) -> Request:
    """Validate an already-decoded message (the REST endpoint shares this)."""
    if not isinstance(msg, dict):
        raise ProtocolError("bad_message", "a message must be a JSON object")
    rid = msg.get("id") if isinstance(msg.get("id"), str) else None
    mtype = msg.get("type")
    if mtype in ("complete", "warm"):
        rid = _get(msg, "id", str, None, required=True)
        mode = _get(msg, "mode", str, rid, default="line")
        if mode not in MODES:
            raise ProtocolError("bad_field", f"mode must be one of {MODES}", rid)
        max_tokens = _get(msg, "max_tokens", int, rid)
        if max_tokens is not None and not 1 <= max_tokens <= 1024:
            raise ProtocolError("bad_field", "max_tokens must be between 1 and 1024", rid)
        budget = _get(msg, "context_budget", int, rid)
        if budget is not None and not MIN_CONTEXT_BUDGET <= budget <= MAX_CONTEXT_BUDGET:
            raise ProtocolError(
                "bad_field",
                f"context_budget must be between {MIN_CONTEXT_BUDGET} and {MAX_CONTEXT_BUDGET}",
                rid,
            )
        cells = msg.get("cells")
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
            grounding=_get(msg, "grounding", bool, rid),
        )
    if mtype == "cancel":
        return CancelRequest(_get(msg, "id", str, None, required=True))
    if mtype == "sync":
        path = _get(msg, "path", str, rid, required=True)
        if "cells" in msg:
            return SyncRequest(path, cells=_cells(msg["cells"], rid))
        if "changes" not in msg:
            raise ProtocolError("missing_field", "sync needs 'cells' or 'changes'", rid)
        order = msg.get("order")
        if order is not None and not (
            isinstance(order, list) and all(isinstance(o, str) for o in order)
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
    rid = _get(msg, "id", str, None, required=True)
    error = None
    raw = msg.get("error")
    if raw is not None:
        if not isinstance(raw, dict):
            raise ProtocolError("bad_field", "field 'error' must be an object", rid)
        tb = raw.get("traceback", [])
        if not isinstance(tb, list) or not all(isinstance(t, str) for t in tb):
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
        source=_get(msg, "source", str, rid, required=True),
        error=error,
        path=_get(msg, "path", str, rid),
        cell_id=_get(msg, "cell_id", str, rid),
        kernel_id=_get(msg, "kernel_id", str, rid),
        cells=None if cells is None else _cells(cells, rid),
        kinds=tuple(kinds),
        max_fixes=max_fixes,
    )
