"""Benchmark harness of Netzwerk (``make bench`` = ``python -m bench``)."""
