"""gunicorn settings of the benchmarks (``-c bench/gunicorn_ready.py``).

Every worker leaves a file in ``$BENCH_READY_DIR`` once it has loaded the
application, so that a benchmark starts its clock when all workers serve:
without it the first requests wait for workers still importing the
application, and that start-up time would count as request time.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


def post_worker_init(worker: Any) -> None:
    ready_dir = os.environ.get("BENCH_READY_DIR")
    if ready_dir:
        Path(ready_dir, str(os.getpid())).touch()
