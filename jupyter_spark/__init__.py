"""jupyter-spark: real-time code suggestions in Jupyter from a local model held warm."""

__version__ = "0.1.0"
