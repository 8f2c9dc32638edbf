"""Benchmarks (issue 11): `python -m bench.run`; per-area scripts alongside."""
