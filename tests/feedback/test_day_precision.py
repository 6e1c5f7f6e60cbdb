"""Issue #18, finding 3: a public submission stores no time finer than its day.

The time of a request could be matched to an access log or to a rate limit
key's remaining lifetime; so every time written by the public form (the
feedback, its contact, the workflow start and its audit event, anything
else) is midnight in Berlin of the day.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import event, select

from netzwerk.audit.models import AuditEvent
from netzwerk.extensions import db
from netzwerk.feedback import services
from netzwerk.feedback.models import Feedback, day_start
from netzwerk.timeutil import local_today, to_local

from .conftest import form_data, receipt_code, status_page, submit


def _rows() -> set[tuple[str, tuple[Any, ...]]]:
    rows = set()
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(select(table)).all():
            rows.add((table.name, tuple(row)))
    return rows


def _finer_than_a_day(value: Any) -> bool:
    return isinstance(value, datetime) and to_local(value).time() != time(0)


@pytest.mark.calendar
def test_the_public_form_writes_no_time_finer_than_the_day(app, client, seeded, clock):
    clock.shift(timedelta(minutes=7, seconds=13))  # not on a full minute either
    with app.app_context():
        submit()  # the definition version is stored once, by the first feedback
        before = _rows()
        engine = db.engine
    statements: list[str] = []

    def _seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(" ".join(statement.split()).lower())

    event.listen(engine, "before_cursor_execute", _seen)
    try:
        response = client.post(
            "/rueckmeldung/ar/",
            data=form_data(app, contact_consent="y", contact_email="x@example.org"),
        )
    finally:
        event.remove(engine, "before_cursor_execute", _seen)
    # Written once: no UPDATE (whose old row version would keep a time of day).
    assert any(s.startswith("insert into feedback ") for s in statements)
    assert not [s for s in statements if s.startswith("update feedback")]
    code = receipt_code(response.get_data(as_text=True))
    with app.app_context():
        written = _rows() - before
        feedback = db.session.scalar(
            select(Feedback).where(Feedback.receipt_code == services.normalise_code(code))
        )
        assert feedback is not None and feedback.contact is not None
        today = day_start()
        assert to_local(today).date() == local_today() and to_local(today).time() == time(0)
        assert feedback.created_at == today
        assert feedback.state_entered_at == today and feedback.updated_at == today
        assert feedback.contact.consent_at == today
        start = db.session.scalar(
            select(AuditEvent).where(
                AuditEvent.object_type == "feedback", AuditEvent.object_id == feedback.id
            )
        )
        assert start is not None and start.created_at == today
    tables = {name for name, _row in written}
    assert {"feedback", "feedback_contact", "audit_event"} <= tables
    columns = {table.name: [c.name for c in table.columns] for table in db.metadata.sorted_tables}
    finer = [
        f"{name}.{column} = {value.isoformat()}"
        for name, row in written
        for column, value in zip(columns[name], row, strict=True)
        if _finer_than_a_day(value)
    ]
    assert not finer, f"times of day stored by a public submission: {finer}"
    # The receipt page and the export say the day.
    assert "وردت بتاريخ" in status_page(client, "ar", code).get_data(as_text=True)


def test_feedback_of_one_day_is_listed_newest_first_by_id(app_ctx, seeded):
    first, second, third = (submit(text=t) for t in ("eins", "zwei", "drei"))
    assert first.created_at == second.created_at == third.created_at
    items, total = services.list_feedback(services.TriageFilter())
    assert total == 3 and [f.id for f in items] == [third.id, second.id, first.id]
