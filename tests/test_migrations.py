"""`flask db upgrade` on an empty database yields exactly the models.

Runs the migrations on an empty SQLite file and on a freshly created, empty
PostgreSQL database (when NETZWERK_TEST_DATABASE_URL points at PostgreSQL),
then lets Alembic compare the schema with ``db.metadata``: the diff must be
empty.  A failure lists the differences; the fix is a new migration
(``flask --app wsgi db migrate -m "..."``), never a change to this test.
"""

from __future__ import annotations

import ast
import logging
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from conftest import IN_CI, PG_URL, make_test_app
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from netzwerk.extensions import db

ENV_PY = Path(__file__).resolve().parent.parent / "migrations" / "env.py"


def _external_tables() -> set[str]:
    """EXTERNAL_TABLES of migrations/env.py (read, not imported: importing runs it)."""
    tree = ast.parse(ENV_PY.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "EXTERNAL_TABLES" for t in node.targets
        ):
            return set(ast.literal_eval(node.value))
    return set()


EXTERNAL_TABLES = _external_tables()


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """The same filter as migrations/env.py."""
    return not (type_ == "table" and name in EXTERNAL_TABLES)


@contextmanager
def _logging_preserved() -> Iterator[None]:
    """Alembic's env.py calls logging.config.fileConfig, which disables every
    existing logger; restore them so later tests still see their logs."""
    root = logging.getLogger()
    saved_root = (root.level, list(root.handlers))
    saved = {
        name: (lg.disabled, lg.level, list(lg.handlers), lg.propagate)
        for name, lg in logging.root.manager.loggerDict.items()
        if isinstance(lg, logging.Logger)
    }
    try:
        yield
    finally:
        root.setLevel(saved_root[0])
        root.handlers[:] = saved_root[1]
        for name, lg in logging.root.manager.loggerDict.items():
            if not isinstance(lg, logging.Logger):
                continue
            if name in saved:
                lg.disabled, lg.level, handlers, lg.propagate = saved[name]
                lg.handlers[:] = handlers
            else:
                lg.disabled = False


def upgrade_and_diff(database_url: str) -> tuple[list[str], list[Any]]:
    """Run `flask db upgrade` on the (empty) database; return its tables before
    the upgrade and Alembic's diff against the models afterwards."""
    from flask_migrate import upgrade

    app = make_test_app(database_url)
    try:
        with app.app_context():
            tables_before = inspect(db.engine).get_table_names()
            if tables_before:
                return tables_before, []
            with _logging_preserved():
                upgrade()
            with db.engine.connect() as conn:
                context = MigrationContext.configure(
                    conn,
                    opts={"compare_type": True, "include_object": include_object},
                )
                diff = compare_metadata(context, db.metadata)
            assert "alembic_version" in inspect(db.engine).get_table_names()
            return tables_before, diff
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def _format(diff: list[Any]) -> str:
    return "\n".join(f"  {entry!r}" for entry in diff)


def test_include_object_matches_env_py():
    assert "apscheduler_jobs" in EXTERNAL_TABLES
    assert not include_object(None, "apscheduler_jobs", "table", True, None)
    assert include_object(None, "user_account", "table", True, None)


def test_upgrade_on_empty_sqlite_yields_exactly_the_models(tmp_path):
    url = f"sqlite:///{tmp_path / 'migrations.sqlite'}"
    tables_before, diff = upgrade_and_diff(url)
    assert tables_before == []
    assert diff == [], "migrations differ from the models:\n" + _format(diff)


@pytest.fixture
def empty_postgres_url() -> Iterator[str]:
    if not PG_URL or not make_url(PG_URL).get_backend_name().startswith("postgresql"):
        if IN_CI and os.environ.get("NETZWERK_REQUIRE_POSTGRES") == "1":
            pytest.fail("CI requires NETZWERK_TEST_DATABASE_URL (PostgreSQL)")
        pytest.skip("NETZWERK_TEST_DATABASE_URL is not a PostgreSQL URL")
    server_url = make_url(PG_URL)
    name = f"netzwerk_migr_{secrets.token_hex(6)}"
    admin = create_engine(server_url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield server_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.mark.postgres
def test_upgrade_on_empty_postgresql_yields_exactly_the_models(empty_postgres_url):
    tables_before, diff = upgrade_and_diff(empty_postgres_url)
    assert tables_before == []
    assert diff == [], "migrations differ from the models:\n" + _format(diff)


def test_comparison_detects_a_missing_table(tmp_path):
    """The check is not vacuous: a table the migrations lack is reported."""
    url = f"sqlite:///{tmp_path / 'partial.sqlite'}"
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            db.metadata.create_all(conn)
            victim = db.metadata.sorted_tables[-1].name
            conn.execute(text(f'DROP TABLE "{victim}"'))
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "include_object": include_object}
            )
            diff = compare_metadata(context, db.metadata)
    finally:
        engine.dispose()
    assert ("add_table", victim) in [(d[0], getattr(d[1], "name", None)) for d in diff]


def _trigger_names(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                rows = conn.execute(text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"))
            else:
                rows = conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'"))
            return {row[0] for row in rows}
    finally:
        engine.dispose()


def _create_all_triggers(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            db.metadata.create_all(conn)
    finally:
        engine.dispose()
    return _trigger_names(url)


def test_migration_installs_the_same_triggers_as_the_models_on_sqlite(tmp_path):
    """Append-only audit and closed-poll guards exist after `db upgrade` too."""
    migrated = f"sqlite:///{tmp_path / 'migrated.sqlite'}"
    upgrade_and_diff(migrated)
    expected = _create_all_triggers(f"sqlite:///{tmp_path / 'models.sqlite'}")
    assert expected, "the models define SQLite triggers"
    assert _trigger_names(migrated) == expected


@pytest.mark.postgres
def test_migration_installs_the_same_triggers_as_the_models_on_postgresql(empty_postgres_url):
    upgrade_and_diff(empty_postgres_url)
    migrated = _trigger_names(empty_postgres_url)
    assert "audit_event_append_only" in migrated
    engine = create_engine(empty_postgres_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()
    assert _create_all_triggers(empty_postgres_url) == migrated


@contextmanager
def _upgraded_to(database_url: str, revision: str) -> Iterator[None]:
    """An app context on the database upgraded to an older revision; the
    test writes that revision's data and then runs ``_upgrade()``."""
    from flask_migrate import upgrade

    app = make_test_app(database_url)
    try:
        with app.app_context():
            with _logging_preserved():
                upgrade(revision=revision)
            yield
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def _upgrade() -> None:
    from flask_migrate import upgrade

    with _logging_preserved():
        upgrade()


def _continue_trail_after_upgrade(database_url: str) -> None:
    """An audit trail written before the chain had its head row continues
    unbroken after `db upgrade`: the head starts at the last event."""
    from netzwerk.audit.models import AuditEvent
    from netzwerk.audit.services import GENESIS, compute_hash, record, verify_chain
    from netzwerk.database import utcnow, write_transaction

    with _upgraded_to(database_url, "5beae225a4e8"):
        prev = GENESIS
        with db.engine.begin() as conn:
            for event_id in (1, 2):
                event = AuditEvent(
                    id=event_id,
                    created_at=utcnow(),
                    action="created",
                    object_type="paper",
                    object_id=event_id,
                    prev_hash=prev,
                )
                event.hash = compute_hash(event)
                conn.execute(
                    AuditEvent.__table__.insert(),
                    {c.name: getattr(event, c.name) for c in AuditEvent.__table__.columns},
                )
                prev = event.hash
        _upgrade()
        with write_transaction():
            record("transition", "paper", 2, from_state="a", to_state="b")
        events = db.session.scalars(db.select(AuditEvent).order_by(AuditEvent.id)).all()
        assert [e.id for e in events] == [1, 2, 3]
        assert events[2].prev_hash == prev
        assert verify_chain() is None


def test_upgrade_continues_an_existing_audit_trail_on_sqlite(tmp_path):
    _continue_trail_after_upgrade(f"sqlite:///{tmp_path / 'trail.sqlite'}")


@pytest.mark.postgres
def test_upgrade_continues_an_existing_audit_trail_on_postgresql(empty_postgres_url):
    _continue_trail_after_upgrade(empty_postgres_url)


def _insert(conn: Any, table: str, **values: Any) -> None:
    """One row of an older revision's table, written without the models."""
    names = ", ".join(values)
    conn.execute(
        text(f"INSERT INTO {table} ({names}) VALUES ({', '.join(':' + n for n in values)})"),
        values,
    )


def _cleared_at_from_trail_after_upgrade(database_url: str) -> None:
    """Cases whose waiting-loop mark was cleared before the column existed
    take the time of their last clearing from the audit trail."""
    from datetime import timedelta

    from netzwerk.audit.models import AuditEvent
    from netzwerk.audit.services import record
    from netzwerk.counselling.models import CounsellingCase
    from netzwerk.database import utcnow, write_transaction

    cleared = "case_waiting_loop_cleared"
    with _upgraded_to(database_url, "7c1d2e3f4a5b"):
        with db.engine.begin() as conn:
            for case_id in (1, 2):
                _insert(
                    conn, "counselling_case", id=case_id, code=f"C-{case_id}", created_at=utcnow()
                )
        with write_transaction():
            record(cleared, "counselling_case", 1, comment="erste Klärung")
            record(cleared, "counselling_case", 1, comment="zweite Klärung")
            record(cleared, "paper", 2, comment="another object with the same id")
        _upgrade()
        last = db.session.scalar(
            db.select(db.func.max(AuditEvent.created_at)).where(AuditEvent.object_type != "paper")
        )
        cases = {c.id: c for c in db.session.scalars(db.select(CounsellingCase))}
        assert cases[1].waiting_loop_cleared_at == last
        assert abs(utcnow() - last) < timedelta(minutes=1)
        assert cases[2].waiting_loop_cleared_at is None


def test_upgrade_takes_waiting_loop_clearings_from_the_trail_on_sqlite(tmp_path):
    _cleared_at_from_trail_after_upgrade(f"sqlite:///{tmp_path / 'cleared.sqlite'}")


@pytest.mark.postgres
def test_upgrade_takes_waiting_loop_clearings_from_the_trail_on_postgresql(empty_postgres_url):
    _cleared_at_from_trail_after_upgrade(empty_postgres_url)


def _report_corrections_from_trail_after_upgrade(database_url: str) -> None:
    """Status reports corrected before the columns existed show their last
    correction (time and person) from the audit trail."""
    from datetime import date

    from netzwerk.audit.services import record
    from netzwerk.database import utcnow, write_transaction
    from netzwerk.projects.models import StatusReport

    with _upgraded_to(database_url, "8d2e4f6a7b8c"):
        now = utcnow()
        stamps = {"created_at": now, "updated_at": now}
        with db.engine.begin() as conn:
            for person_id, last in ((1, "Lead"), (2, "Büro")):
                _insert(conn, "person", id=person_id, first_name="A", last_name=last,
                        active=True, **stamps)  # fmt: skip
                _insert(conn, "user_account", id=10 + person_id, person_id=person_id,
                        email=f"u{person_id}@example.org", password_hash="x",
                        is_admin=False, is_office=False, active=True, created_at=now)  # fmt: skip
            _insert(conn, "action_field", id=1, name="Übergänge", slug="uebergaenge",
                    position=1, active=True, **stamps)  # fmt: skip
            _insert(conn, "project", id=1, title="P", goals="G", action_field_id=1,
                    lead_person_id=1, public=False, weight=1, report_interval_months=0,
                    workflow_name="projekt", workflow_hash="0" * 64, state="laufend",
                    version=1, state_entered_at=now, **stamps)  # fmt: skip
            for report_id in (1, 2):
                _insert(conn, "project_status_report", id=report_id, project_id=1,
                        report_date=date(2026, 3, 1), text="T", author_person_id=1,
                        created_at=now)  # fmt: skip
        with write_transaction():
            record("project.report_updated", "project", 1, actor_id=11, data={"report_id": 1})
            record("project.report_updated", "project", 1, actor_id=12, data={"report_id": 1})
            record("project.report_added", "project", 1, actor_id=11, data={"report_id": 2})
        _upgrade()
        reports = {r.id: r for r in db.session.scalars(db.select(StatusReport))}
        assert reports[1].updated_by_person_id == 2  # the last correction counts
        assert reports[1].updated_at is not None and reports[1].updated_at >= now
        assert reports[2].updated_at is None and reports[2].updated_by_person_id is None


def test_upgrade_takes_report_corrections_from_the_trail_on_sqlite(tmp_path):
    _report_corrections_from_trail_after_upgrade(f"sqlite:///{tmp_path / 'reports.sqlite'}")


@pytest.mark.postgres
def test_upgrade_takes_report_corrections_from_the_trail_on_postgresql(empty_postgres_url):
    _report_corrections_from_trail_after_upgrade(empty_postgres_url)
