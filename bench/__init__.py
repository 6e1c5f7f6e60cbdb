"""Benchmark harness of Netzwerk (``make bench`` = ``python -m bench``)."""

import os

# The benchmarks run the application as production does (on PostgreSQL it
# then needs the address the links in mails start with); their servers, run
# as subprocesses, inherit it.
os.environ.setdefault("NETZWERK_BASE_URL", "http://127.0.0.1:5000")
