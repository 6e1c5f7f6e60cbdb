"""Benchmark: the monitoring dashboard over 10,000 feedback entries (SQLite).

Run by hand: ``.venv/bin/python -m bench.feedback_bench`` (or
``python bench/feedback_bench.py``).  It prints the dashboard's time against
a bare COUNT/GROUP BY over the same data in the same run, and the number of
SQL statements for 1,000 and for 10,000 entries (they must be equal).
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
LIMIT_SECONDS = 1.0


def _generate(n: int, start_id: int) -> None:
    from netzwerk.feedback.models import CHANNELS, Feedback, FeedbackChoice
    from netzwerk.feedback.services import new_receipt_code

    rnd = random.Random(start_id)
    ids: dict[str, list[int]] = {}
    for choice in db.session.scalars(select(FeedbackChoice)):
        ids.setdefault(choice.kind, []).append(choice.id)
    base = datetime(2024, 1, 1, tzinfo=UTC)
    rows = [
        {
            "receipt_code": new_receipt_code(),
            "created_at": base + timedelta(minutes=rnd.randrange(0, 60 * 24 * 900)),
            "channel": rnd.choice(CHANNELS),
            "language": rnd.choice(["de", "de", "de", "ls", "en", "tr", "ar", "ru", "uk"]),
            "category_id": rnd.choice(ids["category"]),
            "rating": rnd.randint(1, 5),
            "text": "Generated feedback text for the benchmark.",
            "district_id": rnd.choice(ids["district"] + [None]),
            "target_group_id": rnd.choice(ids["target_group"] + [None]),
            "languages_spoken": "",
            "updated_at": base,
        }
        for _ in range(n)
    ]
    db.session.execute(insert(Feedback), rows)
    db.session.commit()


def _timed(fn: Any) -> float:
    times = []
    for _ in range(ROUNDS):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> int:
    from netzwerk.demo import DEMO_PASSWORD, load_demo
    from netzwerk.feedback.models import Feedback
    from netzwerk.feedback.services import ensure_default_choices

    workdir = tempfile.mkdtemp(prefix="netzwerk-feedback-bench-")
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
        _generate(1_000, 0)
    client = app.test_client()
    client.post("/login", data={"email": "buero@osnabrueck.example", "password": DEMO_PASSWORD})

    statements: list[str] = []

    def count_statement(_c: Any, _cur: Any, statement: str, *_a: Any) -> None:
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA")):
            statements.append(statement)

    def dashboard() -> None:
        response = client.get("/monitoring/")
        assert response.status_code == 200, response.status_code

    with app.app_context():
        engine = db.engine
    dashboard()
    event.listen(engine, "before_cursor_execute", count_statement)
    dashboard()
    queries_small = len(statements)
    event.remove(engine, "before_cursor_execute", count_statement)

    with app.app_context():
        _generate(9_000, 1)
        total = db.session.scalar(select(func.count(Feedback.id)))
    statements.clear()
    event.listen(engine, "before_cursor_execute", count_statement)
    dashboard()
    queries_large = len(statements)
    event.remove(engine, "before_cursor_execute", count_statement)

    def bare() -> None:
        with app.app_context():
            db.session.execute(
                select(Feedback.category_id, func.count(Feedback.id)).group_by(Feedback.category_id)
            ).all()
            db.session.remove()

    bare()
    t_dashboard = _timed(dashboard)
    t_bare = _timed(bare)
    print(f"feedback entries:            {total}")
    print(f"dashboard (median of {ROUNDS}):   {t_dashboard * 1000:8.1f} ms")
    print(f"bare COUNT/GROUP BY:         {t_bare * 1000:8.1f} ms")
    print(f"ratio dashboard / bare:      {t_dashboard / t_bare:8.1f}")
    print(f"SQL statements, 1,000 rows:  {queries_small}")
    print(f"SQL statements, 10,000 rows: {queries_large}")
    ok = t_dashboard < LIMIT_SECONDS and queries_small == queries_large
    print("OK" if ok else "FAILED: slower than 1 s or query count grows with the data")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
