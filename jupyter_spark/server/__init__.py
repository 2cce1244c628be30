"""Jupyter server extension: the warm model, notebook and kernel context, streamed over a websocket.

Entry point: ``SparkExtension`` (extension.py); handlers.py has the routes, service.py the logic.
"""

from .extension import SparkExtension

__all__ = ["SparkExtension"]
