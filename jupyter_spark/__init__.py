"""jupyter-spark: real-time code suggestions in Jupyter from a local model held warm."""

__version__ = "0.1.0"


def _jupyter_server_extension_points() -> list[dict]:
    """Lets `jupyter server extension list` find and load the server extension."""
    from .server import SparkExtension

    return [{"module": "jupyter_spark", "app": SparkExtension}]
