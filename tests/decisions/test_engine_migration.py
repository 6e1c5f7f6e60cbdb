"""Revision b17c2d3e4f5a puts existing action items and feedback on the engine.

The rows written before the revision (statuses, nullable timestamps) come
out in the states whose flags say the same, pinned to a definition version
the catalog can read, and the application works on them afterwards.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from conftest import PG_URL, make_test_app
from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.engine import make_url

from netzwerk.extensions import db

PARENT = "a17b1c2d3e4f"
REVISION = "b17c2d3e4f5a"
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
T1 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
T2 = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
T3 = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)

# The old rows: (id, status) of action items; feedback by its facts.
ITEMS = {1: "open", 2: "in_progress", 3: "done", 4: "dropped"}


@contextmanager
def _quiet_alembic() -> Iterator[None]:
    """Alembic's env.py reconfigures logging; put the loggers back."""
    saved = {
        name: (lg.disabled, lg.level, list(lg.handlers), lg.propagate)
        for name, lg in logging.root.manager.loggerDict.items()
        if isinstance(lg, logging.Logger)
    }
    root = logging.getLogger()
    root_saved = (root.level, list(root.handlers))
    try:
        yield
    finally:
        root.setLevel(root_saved[0])
        root.handlers[:] = root_saved[1]
        for name, lg in logging.root.manager.loggerDict.items():
            if isinstance(lg, logging.Logger):
                if name in saved:
                    lg.disabled, lg.level, handlers, lg.propagate = saved[name]
                    lg.handlers[:] = handlers
                else:
                    lg.disabled = False


def _old_rows(conn: Any) -> None:
    ts = {"t0": T0, "t1": T1, "t2": T2, "t3": T3}
    conn.execute(
        text(
            "INSERT INTO person (id, first_name, last_name, active, created_at, updated_at) "
            "VALUES (1, 'Erika', 'Muster', :yes, :t0, :t0)"
        ),
        {"yes": True, **ts},
    )
    conn.execute(
        text(
            "INSERT INTO body (id, name, short_name, kind, notice_days, quorum_rule, "
            "majority_rule, public, active, created_at, updated_at) VALUES (1, 'Lenkung', "
            "'LK', 'board', 7, 'more_than_half', 'simple', :yes, :yes, :t0, :t0)"
        ),
        {"yes": True, **ts},
    )
    conn.execute(
        text(
            "INSERT INTO decision (id, body_id, year, seq, number, title, outcome, yes_count, "
            "no_count, abstain_count, voting_members, majority_rule, subject_public, "
            "decided_at, created_at) VALUES (1, 1, 2026, 1, 'LK/2026/001', 'Beschluss', "
            "'adopted', 3, 0, 0, 3, 'simple', :no, :t0, :t0)"
        ),
        {"no": False, **ts},
    )
    for item_id, status in ITEMS.items():
        conn.execute(
            text(
                "INSERT INTO decision_action_item (id, decision_id, title, "
                "responsible_person_id, status, created_at, updated_at) "
                "VALUES (:id, 1, :title, 1, :status, :t0, :t1)"
            ),
            {"id": item_id, "title": f"Maßnahme {item_id}", "status": status, **ts},
        )
    conn.execute(
        text(
            "INSERT INTO feedback_choice (id, kind, code, position, active) "
            "VALUES (1, 'category', 'school', 0, :yes)"
        ),
        {"yes": True},
    )
    # 1 new, 2 considered, 3 passed, 4 duplicate of 1, 5 passed and answered.
    feedback = {
        1: (None, None, None, None),
        2: (T1, None, None, None),
        3: (T1, None, None, None),
        4: (T1, None, None, 1),
        5: (T1, "Danke, wird umgesetzt.", T3, None),
    }
    for fb_id, (considered, answer, answered, duplicate_of) in feedback.items():
        conn.execute(
            text(
                "INSERT INTO feedback (id, receipt_code, created_at, channel, language, "
                "category_id, rating, text, languages_spoken, considered_at, answer, "
                "answered_at, duplicate_of_id, updated_at) VALUES (:id, :code, :t0, 'online', "
                "'de', 1, 3, 'Text', '', :considered, :answer, :answered, :dup, :t0)"
            ),
            {
                "id": fb_id,
                "code": f"ACDEFHJKMNP{fb_id}",
                "considered": considered,
                "answer": answer,
                "answered": answered,
                "dup": duplicate_of,
                **ts,
            },
        )
    for fb_id in (3, 5):
        conn.execute(
            text(
                "INSERT INTO feedback_referral (feedback_id, body_id, passed_at) "
                "VALUES (:id, 1, :t2)"
            ),
            {"id": fb_id, **ts},
        )


def _database_urls(tmp_path: Any) -> list[str]:
    urls = [f"sqlite:///{tmp_path / 'migration.sqlite'}"]
    if PG_URL and PG_URL.startswith("postgresql"):
        base = make_url(PG_URL)
        name = f"{base.database}_b17"
        admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        urls.append(base.set(database=name).render_as_string(hide_password=False))
    return urls


@pytest.mark.postgres
def test_migration_maps_old_statuses_and_timestamps_to_states(tmp_path):
    from flask_migrate import downgrade, upgrade

    from netzwerk.decisions import services as decisions
    from netzwerk.decisions.models import ActionItem
    from netzwerk.feedback.models import Feedback
    from netzwerk.workflow import services as workflow

    for url in _database_urls(tmp_path):
        app = make_test_app(url)
        try:
            with app.app_context():
                assert inspect(db.engine).get_table_names() == []
                with _quiet_alembic():
                    upgrade(revision=PARENT)
                with db.engine.begin() as conn:
                    _old_rows(conn)
                with _quiet_alembic():
                    upgrade(revision=REVISION)
                columns = {
                    c["name"] for c in inspect(db.engine).get_columns("decision_action_item")
                }
                assert "status" not in columns and {"state", "version"} <= columns
                # The feedback's times as this revision left them (a later
                # one dates feedback to the day), read by column.
                fb = Feedback.__table__.c
                times = {
                    row.id: row
                    for row in db.session.execute(
                        select(fb.id, fb.state_entered_at, fb.answered_at, fb.considered_at)
                    )
                }
                assert {i: r.state_entered_at for i, r in times.items()} == {
                    1: T0,
                    2: T1,
                    3: T2,
                    4: T1,
                    5: T3,
                }
                # The timestamps the receipt page shows are untouched.
                assert times[5].answered_at == T3 and times[2].considered_at == T1
                db.session.remove()
                # The models are today's: read the rows through them at the
                # head (later revisions keep these states).
                with _quiet_alembic():
                    upgrade()

                items = {i.id: i for i in db.session.query(ActionItem)}
                flags = {
                    i: (workflow.has_flag(item, "pending"), workflow.has_flag(item, "done"))
                    for i, item in items.items()
                }
                assert flags == {
                    1: (True, False),
                    2: (True, False),
                    3: (False, True),
                    4: (False, False),
                }
                assert workflow.has_flag(items[4], "dropped")
                definition = workflow.definition_of(items[1])
                assert items[1].state == definition.initial
                assert items[2].state != definition.initial
                assert all(i.version == 0 and i.state_entered_at == T1 for i in items.values())
                assert [i.id for i in decisions.open_action_items()] == [1, 2]

                fbs = {f.id: f for f in db.session.query(Feedback)}
                wanted = {1: "new", 2: "in_triage", 3: "passed", 4: "duplicate", 5: "answered"}
                for fb_id, flag in wanted.items():
                    assert workflow.has_flag(fbs[fb_id], flag), (fb_id, fbs[fb_id].state)

                # Back and forth: the old statuses come back from the flags.
                db.session.remove()
                with _quiet_alembic():
                    downgrade(revision=PARENT)
                with db.engine.connect() as conn:
                    statuses = dict(
                        conn.execute(text("SELECT id, status FROM decision_action_item")).all()
                    )
                assert statuses == ITEMS
                with _quiet_alembic():
                    upgrade()
                assert [i.id for i in decisions.open_action_items()] == [1, 2]
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
