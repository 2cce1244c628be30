"""``jupyter spark serve``: the warm embedded engine behind an OpenAI-compatible API.

Entry point: :func:`serve` (app.py). One machine can serve a small team, and the remote
backend (engine/remote.py) has a real peer in tests.
"""

from .app import make_app, serve

__all__ = ["make_app", "serve"]
