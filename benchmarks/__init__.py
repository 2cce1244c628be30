"""Benchmarks of the warm engine (latency, accuracy); run as scripts or ``python -m``."""
