"""Benchmark: monitoring by district over 100,000 feedback entries (SQLite).

Run by hand: ``.venv/bin/python -m bench.district_bench`` (or
``python bench/district_bench.py``).  It fills 23 districts with 10,000 and
then 100,000 feedback entries and prints, for the district page (map and
table) and for the feedback dashboard, the median answer time and the number
of SQL statements at both sizes (they must be equal).  The goal: the district
page and the dashboard under 300 ms at 100,000 entries.

The machine may be shared: each round times, beside every page, two
baselines in the same moment: a bare ``SELECT count(*), avg(rating)`` over
the same 100,000 rows (what one scan of the data costs here) and the bare
Flask page of ``bench/baseline.py`` (a 200-row Jinja table, through the
test client).  The ratios (median over the rounds of each round's ratio)
stay comparable when the machine gets busier; the absolute times do not.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("NETZWERK_INSTANCE_PATH", tempfile.mkdtemp(prefix="netzwerk-bench-"))

from sqlalchemy import event, func, insert, select  # noqa: E402

from netzwerk import create_app  # noqa: E402
from netzwerk.extensions import db  # noqa: E402

ROUNDS = 7
LIMIT_SECONDS = 0.3
PAGES = {
    "district page": "/monitoring/stadtteile?was=feedback",
    "district page, one year": "/monitoring/stadtteile?was=feedback&jahr=2025",
    "feedback dashboard": "/monitoring/",
}


def _generate(n: int, seed: int) -> None:
    from netzwerk.feedback.models import CHANNELS, Feedback, FeedbackChoice
    from netzwerk.feedback.services import new_receipt_code

    rnd = random.Random(seed)
    ids: dict[str, list[int]] = {}
    for choice in db.session.scalars(select(FeedbackChoice)):
        ids.setdefault(choice.kind, []).append(choice.id)
    assert len(ids["district"]) == 23
    base = datetime(2024, 1, 1, tzinfo=UTC)
    for chunk in range(0, n, 10_000):
        rows = [
            {
                "receipt_code": new_receipt_code(),
                "created_at": base + timedelta(days=rnd.randrange(0, 900)),
                "channel": rnd.choice(CHANNELS),
                "language": rnd.choice(["de", "de", "de", "ls", "en", "tr", "ar", "ru", "uk"]),
                "category_id": rnd.choice(ids["category"]),
                "rating": rnd.randint(1, 5),
                "text": "",
                "district_id": rnd.choice(ids["district"] + [None]),
                "target_group_id": rnd.choice(ids["target_group"] + [None]),
                "migration": rnd.choice(["self", "parents", "no", None]),
                "languages_spoken": "",
                "updated_at": base,
            }
            for _ in range(min(10_000, n - chunk))
        ]
        db.session.execute(insert(Feedback), rows)
        db.session.commit()


def _once(fn: Any) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def _interleaved(fns: dict[str, Any]) -> dict[str, list[float]]:
    """Each round times every function once, one after the other."""
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(ROUNDS):
        for name, fn in fns.items():
            times[name].append(_once(fn))
    return times


def main() -> int:
    from netzwerk.demo import DEMO_PASSWORD, load_demo
    from netzwerk.feedback.models import Feedback
    from netzwerk.feedback.services import ensure_default_choices

    workdir = tempfile.mkdtemp(prefix="netzwerk-district-bench-")
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir}/bench.sqlite",
            "RATELIMIT_ENABLED": False,
            "WTF_CSRF_ENABLED": False,
            "SECRET_KEY": "bench",
            # Staff log in with a password only (no second factor) for the bench.
            "NETZWERK_REQUIRE_2FA": False,
        }
    )
    with app.app_context():
        db.create_all()
        load_demo()
        ensure_default_choices()
        _generate(10_000, 0)
    client = app.test_client()
    client.post("/login", data={"email": "buero@osnabrueck.example", "password": DEMO_PASSWORD})
    with app.app_context():
        engine = db.engine

    statements: list[str] = []

    def count_statement(_c: Any, _cur: Any, statement: str, *_a: Any) -> None:
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA")):
            statements.append(statement)

    def get(url: str) -> None:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)

    def count(url: str) -> int:
        get(url)
        statements.clear()
        event.listen(engine, "before_cursor_execute", count_statement)
        get(url)
        event.remove(engine, "before_cursor_execute", count_statement)
        return len(statements)

    small = {name: count(url) for name, url in PAGES.items()}
    with app.app_context():
        _generate(90_000, 1)
        total = db.session.scalar(select(func.count(Feedback.id)))
    large = {name: count(url) for name, url in PAGES.items()}

    from bench.baseline import app as baseline_app

    baseline_client = baseline_app.test_client()

    def bare_scan() -> None:
        with app.app_context():
            db.session.execute(select(func.count(Feedback.id), func.avg(Feedback.rating))).one()
            db.session.remove()

    def bare_page() -> None:
        assert baseline_client.get("/").status_code == 200

    fns: dict[str, Any] = {"bare scan": bare_scan, "bare page": bare_page}
    fns.update({name: (lambda url=url: get(url)) for name, url in PAGES.items()})
    for fn in fns.values():  # warm up
        fn()
    times = _interleaved(fns)
    median = {name: statistics.median(values) for name, values in times.items()}

    def ratio(name: str, base: str) -> float:
        return statistics.median(
            page / ref for page, ref in zip(times[name], times[base], strict=True)
        )

    print(f"feedback entries: {total}, districts: 23, rounds: {ROUNDS}")
    print(f"bare SELECT count(*), avg(rating) over them: {median['bare scan'] * 1000:8.1f} ms")
    print(f"bare Flask page, 200-row table (baseline.py): {median['bare page'] * 1000:7.1f} ms")
    print(
        f"{'page':28} {'median ms':>10} {'/ scan':>7} {'/ page':>7} {'SQL 10k':>8} {'SQL 100k':>9}"
    )
    for name in PAGES:
        print(
            f"{name:28} {median[name] * 1000:10.1f} {ratio(name, 'bare scan'):7.1f} "
            f"{ratio(name, 'bare page'):7.1f} {small[name]:8d} {large[name]:9d}"
        )
    flat = all(small[name] == large[name] for name in PAGES)
    fast = median["district page"] < LIMIT_SECONDS and median["feedback dashboard"] < LIMIT_SECONDS
    print(
        "OK"
        if flat and fast
        else "FAILED: a page over 300 ms (see the ratios on a busy machine) or statements grow"
    )
    return 0 if flat and fast else 1


if __name__ == "__main__":
    raise SystemExit(main())
