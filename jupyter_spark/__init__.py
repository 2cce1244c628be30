"""jupyter-spark: real-time code suggestions in Jupyter from a local model held warm."""

__version__ = "0.1.0"


def _jupyter_server_extension_points() -> list[dict]:
    """Lets `jupyter server extension list` find and load the server extension."""
    from .server import SparkExtension

    return [{"module": "jupyter_spark", "app": SparkExtension}]


def _jupyter_labextension_paths() -> list[dict]:
    """Where the built frontend sits in the package, so that `jupyter labextension develop
    --overwrite .` can link it for development (a wheel installs it under share/jupyter)."""
    return [{"src": "labextension", "dest": "jupyter-spark-assist"}]


def load_ipython_extension(ip) -> None:
    """``%load_ext jupyter_spark``: the %spark magics (see jupyter_spark/ipython)."""
    from .ipython import load

    load(ip)


def unload_ipython_extension(ip) -> None:
    from .ipython import unload

    unload(ip)
