"""How the fixes see a live kernel: its names, and details of one value, never running user code.

``NamespaceInspector`` reads a namespace in this process (the IPython magics pass
``shell.user_ns``); ``KernelInspector`` holds what the server read from a kernel process (the
cached snapshot plus a targeted probe). Both go through the same safe probe code
(``kernel/probe.py``: identity type checks, C-level dict access, no ``repr``, no
properties), so a name's details mean the same whichever side asked.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..kernel import KernelState
from ..kernel import probe as kernel_probe


class NamespaceInspector:
    """A live namespace in this process (``shell.user_ns`` in the magics)."""

    def __init__(self, ns: Mapping[str, Any]) -> None:
        self._ns = ns

    def names(self) -> set[str]:
        keys = dict.keys(self._ns) if isinstance(self._ns, dict) else ()
        return {k for k in keys if type(k) is str and not k.startswith("_")}

    def details(self, name: str) -> dict[str, Any] | None:
        if not isinstance(self._ns, dict):
            return None
        try:
            return kernel_probe.details(self._ns, [name], {}).get(name)
        except Exception:  # library code on an odd value: no details rather than a crash
            return None


class KernelInspector:
    """What the server knows of a kernel: its snapshot, and details fetched for one request."""

    def __init__(
        self, state: KernelState | None, details: Mapping[str, dict[str, Any]] | None = None
    ) -> None:
        self._state = state
        self._details = dict(details or {})

    def names(self) -> set[str]:
        if self._state is None:
            return set(self._details)
        return {v.name for v in self._state.variables} | {a for a, _ in self._state.modules}

    def details(self, name: str) -> dict[str, Any] | None:
        """The probe's details; else the snapshot's type name (a busy kernel answers no probe,
        but "``d`` is a dict" already picks ``d.items()`` over ``enumerate(d)``)."""
        found = self._details.get(name)
        if found is not None or self._state is None:
            return found
        kind = next((v.kind for v in self._state.variables if v.name == name), None)
        return {"type": kind, "attrs": []} if kind else None
