"""Cell fixes: kernel-aware fixes for runtime errors, notebook-aware diagnostics, modernization.

Entry point: ``FixService`` (service.py). The rules for errors are in rules.py (with syntax.py
and values.py; toolkit.py and edit.py are what they share), ruff's diagnostics and modernize
refactor in ruff.py, the model's part in model.py, the kernel as the rules see it in
inspector.py, IPython syntax and compile checks in source.py.
"""

from .inspector import KernelInspector, NamespaceInspector
from .rules import needed_details
from .service import FixService, check_source
from .types import Diagnostic, Edit, ErrorInfo, Fix, FixError, FixRequest, Inspector

__all__ = [
    "Diagnostic",
    "Edit",
    "ErrorInfo",
    "Fix",
    "FixError",
    "FixRequest",
    "FixService",
    "Inspector",
    "KernelInspector",
    "NamespaceInspector",
    "check_source",
    "needed_details",
]
