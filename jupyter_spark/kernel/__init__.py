"""The user's kernel as the product reads it, without running the user's code.

``probe.py`` runs inside the kernel (sent as source text; stdlib only); ``state.py`` holds what
it answers (``KernelState``, ``Members``), its limits and the expression that runs it. The
server's reader (``server/kernel_state.py``), the fixes and the ``%spark`` magics import this
package, never each other.
"""

from . import probe
from .state import (
    EXPR_KEY,
    MEMBER_KINDS,
    MIN_PYTHON,
    PROBE_LIMITS,
    KernelState,
    KernelVar,
    Members,
    expression_json,
    members_missing,
    parse_reply,
    probe_expression,
    runs_probe,
    state_from_probe,
)

__all__ = [
    "EXPR_KEY",
    "MEMBER_KINDS",
    "MIN_PYTHON",
    "PROBE_LIMITS",
    "KernelState",
    "KernelVar",
    "Members",
    "expression_json",
    "members_missing",
    "parse_reply",
    "probe",
    "probe_expression",
    "runs_probe",
    "state_from_probe",
]
