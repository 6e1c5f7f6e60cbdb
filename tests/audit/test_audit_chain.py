import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text

from netzwerk.audit.models import AuditChainHead, AuditEvent
from netzwerk.audit.services import (
    GENESIS,
    ChainBreak,
    ChainHeadMissing,
    _canonical,
    compute_hash,
    hash_text_parts,
    record,
    verify_chain,
)
from netzwerk.database import utcnow, write_transaction
from netzwerk.extensions import db


def _three_events():
    with write_transaction():
        record("created", "paper", 1, to_state="entwurf")
        record("transition", "paper", 1, from_state="entwurf", to_state="eingereicht")
        record("transition", "paper", 1, from_state="eingereicht", to_state="geprueft")


@pytest.mark.calendar
def test_intact_chain_verifies(app_ctx, clock):
    """The chain verifies at any instant and across the hour after it (on
    the autumn night Berlin's clock repeats an hour; the trail counts UTC)."""
    _three_events()
    assert verify_chain() is None
    assert db.session.query(AuditEvent).count() == 3
    clock.shift(timedelta(hours=1))
    _three_events()
    assert verify_chain() is None
    db.session.expire_all()
    times = db.session.scalars(select(AuditEvent.created_at).order_by(AuditEvent.id)).all()
    assert times == sorted(times) and len(set(times)) == 6
    assert times[3] - times[2] >= timedelta(hours=1)
    assert abs(times[-1] - utcnow()) < timedelta(minutes=1)


def test_changed_row_is_detected(app_ctx, app):
    _three_events()
    if db.engine.dialect.name == "postgresql":
        # The trigger refuses the change; tampering must go around it.
        with db.engine.begin() as conn:
            conn.execute(text("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only"))
            conn.execute(text("UPDATE audit_event SET to_state = 'beschlossen' WHERE id = 2"))
            conn.execute(text("ALTER TABLE audit_event ENABLE TRIGGER audit_event_append_only"))
    else:
        with db.engine.begin() as conn:
            conn.execute(text("UPDATE audit_event SET to_state = 'beschlossen' WHERE id = 2"))
    db.session.expire_all()
    broken = verify_chain()
    assert broken is not None
    assert broken.event_id == 2


def test_cli_verify_exits_1_on_tampering(app):
    with app.app_context():
        _three_events()
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(
                    text("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only")
                )
            conn.execute(text("UPDATE audit_event SET comment = 'x' WHERE id = 1"))
            if conn.dialect.name == "postgresql":
                conn.execute(text("ALTER TABLE audit_event ENABLE TRIGGER audit_event_append_only"))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["netzwerk", "audit", "verify"])
    assert result.exit_code == 1
    assert "event 1" in result.output


def test_cli_verify_ok(app):
    with app.app_context():
        _three_events()
    result = app.test_cli_runner().invoke(args=["netzwerk", "audit", "verify"])
    assert result.exit_code == 0, result.output


def test_postgres_trigger_refuses_update_and_delete(app_ctx):
    from sqlalchemy.exc import DBAPIError

    if db.engine.dialect.name != "postgresql":
        pytest.skip("the trigger exists on PostgreSQL only")
    _three_events()
    for statement in ("UPDATE audit_event SET comment = 'x'", "DELETE FROM audit_event"):
        with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as conn:
            conn.execute(text(statement))


# --- the chain link is hashed by the database ----------------------------------

_texts = st.one_of(st.none(), st.text(max_size=40))


@settings(max_examples=200, deadline=None)
@given(
    event_id=st.integers(min_value=1, max_value=10**12),
    prev_hash=st.text(alphabet="0123456789abcdef", min_size=64, max_size=64),
    actor_id=st.one_of(st.none(), st.integers(min_value=1, max_value=10**9)),
    action=st.text(min_size=1, max_size=60),
    object_type=st.text(min_size=1, max_size=40),
    object_id=st.one_of(st.none(), st.integers(min_value=-(10**9), max_value=10**9)),
    from_state=_texts,
    to_state=_texts,
    comment=_texts,
    data=st.one_of(st.none(), st.dictionaries(st.text(max_size=8), _texts, max_size=3)),
    created_at=st.datetimes(min_value=datetime(2000, 1, 1), timezones=st.just(UTC)),
)
def test_hash_text_parts_are_the_hashed_text(
    event_id,
    prev_hash,
    actor_id,
    action,
    object_type,
    object_id,
    from_state,
    to_state,
    comment,
    data,
    created_at,
):
    """head + id + middle + prev_hash + tail is exactly the text compute_hash
    hashes, whatever the values hold (quotes, backslashes, any script)."""
    values = {
        "created_at": created_at,
        "actor_id": actor_id,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "from_state": from_state,
        "to_state": to_state,
        "comment": comment,
        "data": _canonical(data) if data is not None else None,
    }
    head, middle, tail = hash_text_parts(values)
    event = AuditEvent(id=event_id, prev_hash=prev_hash, **values)
    expected = compute_hash(event)
    assert (
        hashlib.sha256((head + str(event_id) + middle + prev_hash + tail).encode()).hexdigest()
        == expected
    )


def test_database_hashes_any_text_as_python_does(app_ctx):
    """The link the database computes verifies for text in any script,
    with quotes, backslashes, control characters and emoji."""
    odd = 'Çağ "quote" \\ back\nline\ttab – ملاحظة — Привіт 🗳️ \u200f'
    with write_transaction():
        record("created", "paper", 7, comment=odd, data={"text": odd, "n": [1, 2]})
        record("transition", "paper", 7, from_state=odd, to_state="x", actor_id=None)
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [e.id for e in events] == [1, 2]
    assert events[0].prev_hash == GENESIS
    assert events[1].prev_hash == events[0].hash
    assert all(compute_hash(e) == e.hash for e in events)
    assert verify_chain() is None


def test_first_link_starts_from_genesis_after_earlier_links(app_ctx):
    """Each link follows the last one, also across transactions."""
    _three_events()
    with write_transaction():
        record("created", "paper", 2)
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [e.id for e in events] == [1, 2, 3, 4]
    assert events[3].prev_hash == events[2].hash
    assert verify_chain() is None


def test_concurrent_writers_extend_one_unbroken_chain(app, app_ctx):
    """Forty transactions append at once (each with a second event after
    a pause): every event is stored once, ids have no gap, the chain holds –
    on PostgreSQL, where links are serialised by the chain's head row, and
    on SQLite, by its write lock."""
    import time

    from voting.helpers import run_threads

    def work(i: int) -> int:
        with write_transaction():
            record("created", "paper", i)
            time.sleep(0.001)
            record("transition", "paper", i, from_state="a", to_state="b")
        return i

    results, errors = run_threads(app, 40, work)
    assert errors == []
    assert sorted(results) == list(range(40))
    db.session.expire_all()
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [e.id for e in events] == list(range(1, 81))
    for i in range(40):
        mine = [e.action for e in events if e.object_id == i]
        assert mine == ["created", "transition"]
    assert verify_chain() is None


def test_links_of_rolled_back_transactions_leave_no_gap(app, app_ctx):
    """Thirty writers at once, every third rolls back after its link: the
    head moves back with it, so the stored links have consecutive ids and
    the chain holds (a sequence would leave gaps)."""
    from voting.helpers import run_threads

    class Abandoned(Exception):
        pass

    def work(i: int) -> int:
        try:
            with write_transaction():
                record("created", "paper", i)
                if i % 3 == 0:
                    raise Abandoned
        except Abandoned:
            return -1
        return i

    results, errors = run_threads(app, 30, work)
    assert errors == []
    kept = sorted(r for r in results if r >= 0)
    assert kept == [i for i in range(30) if i % 3]
    db.session.expire_all()
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [e.id for e in events] == list(range(1, 21))
    assert sorted(e.object_id for e in events) == kept
    assert verify_chain() is None
    head = db.session.get(AuditChainHead, 1)
    assert (head.event_id, head.hash) == (20, events[-1].hash)


def test_without_a_head_nothing_is_written(app_ctx):
    """The head is part of the chain: without it record() refuses loudly
    rather than writing an event that no chain holds."""
    _three_events()
    db.session.execute(text("DELETE FROM audit_chain_head"))
    db.session.commit()
    with pytest.raises(ChainHeadMissing), write_transaction():
        record("created", "paper", 9)
    assert db.session.query(AuditEvent).count() == 3
    assert verify_chain() == ChainBreak(4, "chain head missing")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ("event_id = event_id + 1", ChainBreak(4, "event missing (deleted)")),
        ("event_id = event_id - 1", ChainBreak(2, "chain head does not match the last event")),
        ("hash = prev_hash", ChainBreak(3, "chain head does not match the last event")),
    ],
)
def test_verify_checks_the_head_against_the_last_event(app_ctx, change, expected):
    """Events cut off at the end leave the head ahead of the trail; a head
    that was changed no longer matches the last event."""
    _three_events()
    assert verify_chain() is None
    db.session.execute(text(f"UPDATE audit_chain_head SET {change}"))
    db.session.commit()
    assert verify_chain() == expected
