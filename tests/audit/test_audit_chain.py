from sqlalchemy import text

from netzwerk.audit.models import AuditEvent
from netzwerk.audit.services import record, verify_chain
from netzwerk.database import write_transaction
from netzwerk.extensions import db


def _three_events():
    with write_transaction():
        record("created", "paper", 1, to_state="entwurf")
        record("transition", "paper", 1, from_state="entwurf", to_state="eingereicht")
        record("transition", "paper", 1, from_state="eingereicht", to_state="geprueft")


def test_intact_chain_verifies(app_ctx):
    _three_events()
    assert verify_chain() is None
    assert db.session.query(AuditEvent).count() == 3


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
    import pytest
    from sqlalchemy.exc import DBAPIError

    if db.engine.dialect.name != "postgresql":
        pytest.skip("the trigger exists on PostgreSQL only")
    _three_events()
    for statement in ("UPDATE audit_event SET comment = 'x'", "DELETE FROM audit_event"):
        with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as conn:
            conn.execute(text(statement))
