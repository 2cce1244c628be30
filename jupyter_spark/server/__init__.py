"""Jupyter server extension: the warm model, notebook and kernel context, streamed over a websocket.

Entry point: ``SparkExtension`` (extension.py); handlers.py has the routes, service.py the logic.
"""

from typing import Any

__all__ = ["SparkExtension"]


def __getattr__(name: str) -> Any:
    # Lazy: importing a submodule (kernel_state in the benchmarks) need not load jupyter_server.
    if name == "SparkExtension":
        from .extension import SparkExtension

        return SparkExtension
    raise AttributeError(name)
