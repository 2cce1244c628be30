"""The one entry point of ``fix`` and ``diagnose``: the websocket, POST spark/fix and
``jupyter spark fix`` all answer a parsed ``FixMessage`` here, so the three cannot drift.

Synchronous (ruff is a subprocess, a rule may ask the model for a rewrite): the server calls it
in a fix thread, the CLI directly. What differs between callers is only what they know: the
server passes the kernel's inspector and the notebook's knowledge, the CLI neither.
"""

from __future__ import annotations

from typing import Any

from ..fixes import FixError, FixRequest, FixService, KernelInspector
from ..grounding import Knowledge
from .protocol import FixMessage, ProtocolError, fix_reply


def answer_fix(
    fixes: FixService,
    req: FixMessage,
    others: tuple[str, ...],
    kernel: KernelInspector | None = None,
    knowledge: Knowledge | None = None,
    *,
    with_id: bool = True,
) -> dict[str, Any]:
    """The ``fixes`` or ``diagnostics`` reply to ``req`` (``with_id`` False: without the
    request's id, as the CLI prints it); a ``FixError`` becomes a ``ProtocolError`` with its
    code (``bad_source``, ``too_large``, ``timeout``, ``ruff_missing``)."""
    try:
        if req.type == "diagnose":
            known = tuple(kernel.names()) if kernel is not None else ()
            found: list[Any] = fixes.diagnose(req.source, others, known, knowledge)
        else:
            request = FixRequest(
                req.source, req.error, others, kernel, req.kinds, req.max_fixes,
                knowledge=knowledge,
            )  # fmt: skip
            found = fixes.fix(request)
    except FixError as e:
        raise ProtocolError(e.code, str(e), req.id) from None
    return fix_reply(req.type, req.id if with_id else None, found)
