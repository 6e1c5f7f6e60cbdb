"""Issue #18: TOTP secrets are stored encrypted (netzwerk/auth/sealed.py),
bound to their account, opened with the secret key (or a fallback key);
migration d20d4e5f6a7b encrypts the secrets stored in plain text before."""

from __future__ import annotations

import pyotp
from conftest import ROLE_EMAILS, login, make_test_app
from sqlalchemy import select, text

from netzwerk.auth import sealed, twofactor
from netzwerk.auth.models import User
from netzwerk.database import write_transaction
from netzwerk.demo import DEMO_PASSWORD
from netzwerk.extensions import db

MEMBER = ROLE_EMAILS["member"]
OFFICE = ROLE_EMAILS["office"]
ENROL = "/konto/zwei-faktor"
PLAIN = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def _user(email: str) -> User:
    found = db.session.scalar(select(User).where(User.email == email))
    assert found is not None
    return found


def _rows_as_text(app) -> str:  # type: ignore[no-untyped-def]
    with app.app_context():
        rows = db.session.execute(text("SELECT * FROM user_account")).all()
        db.session.remove()
    return repr(rows)


def test_the_database_holds_no_secret_and_enrolment_and_login_work(app, client_as, clock):
    client = client_as("member")
    page = client.get(ENROL).get_data(as_text=True)
    shown = page.split('<code class="secret">', 1)[1].split("</code>", 1)[0].replace(" ", "")
    assert len(shown) == 32
    stored = _rows_as_text(app)
    assert shown not in stored and shown.lower() not in stored
    with app.app_context():
        assert _user(MEMBER).totp_secret_sealed.startswith("v1:")
        db.session.remove()
    # Enrolment with the app's code, then a login with the next one.
    assert "recovery-codes" in client.post(ENROL, data={"code": pyotp.TOTP(shown).now()}).get_data(
        as_text=True
    )
    assert shown not in _rows_as_text(app)
    clock.shift(30)
    browser = app.test_client()
    login(browser, MEMBER, DEMO_PASSWORD)
    response = browser.post("/login/code", data={"code": pyotp.TOTP(shown).now()})
    assert response.headers["Location"].endswith("/")


def test_a_sealed_secret_opens_only_for_its_account_and_with_the_key(app, demo, monkeypatch):
    with app.app_context():
        member, office = _user(MEMBER), _user(OFFICE)
        secret = twofactor.pending_secret(member)
        with write_transaction():  # copied into another account's row
            office.totp_secret_sealed = member.totp_secret_sealed
        assert twofactor.secret_of(member) == secret
        assert twofactor.secret_of(office) is None
        db.session.remove()
    old_key = app.config["SECRET_KEY"]
    # A new secret key with the old one kept as a fallback: the secret
    # opens, and is sealed again with the new key.
    monkeypatch.setitem(app.config, "SECRET_KEY", "a-new-secret-key")
    monkeypatch.setitem(app.config, "SECRET_KEY_FALLBACKS", [old_key])
    with app.app_context():
        member = _user(MEMBER)
        before = member.totp_secret_sealed
        assert twofactor.secret_of(member) == secret
        assert member.totp_secret_sealed != before
        db.session.remove()
    monkeypatch.setitem(app.config, "SECRET_KEY_FALLBACKS", [])
    with app.app_context():
        assert twofactor.secret_of(_user(MEMBER)) == secret
        db.session.remove()
    # Without the key the stored value is of no use.
    monkeypatch.setitem(app.config, "SECRET_KEY", old_key)
    with app.app_context():
        assert twofactor.secret_of(_user(MEMBER)) is None
        db.session.remove()


def test_the_migration_encrypts_the_secrets_stored_before(tmp_path):
    """The schema as before (today's tables, the secret in plain text),
    stamped at the revision before; then only this migration runs."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    from flask_migrate import downgrade, stamp, upgrade
    from test_migrations import ENV_PY, _logging_preserved

    config = Config()
    config.set_main_option("script_location", str(ENV_PY.parent))
    before = ScriptDirectory.from_config(config).get_revision("d20d4e5f6a7b").down_revision
    migrated = make_test_app(f"sqlite:///{tmp_path / 'sealing.sqlite'}")
    try:
        with migrated.app_context(), _logging_preserved():
            db.create_all()
            with db.engine.begin() as conn:
                conn.execute(text("ALTER TABLE user_account DROP COLUMN totp_secret_sealed"))
                conn.execute(text("ALTER TABLE user_account ADD COLUMN totp_secret VARCHAR(64)"))
                conn.execute(
                    text(
                        "INSERT INTO person (id, first_name, last_name, active, created_at, "
                        "updated_at) VALUES (7, 'Ada', 'Alt', 1, '2026-01-01', '2026-01-01')"
                    )
                )
                conn.execute(
                    text(
                        "INSERT INTO user_account (id, person_id, email, password_hash, "
                        "is_admin, is_office, active, created_at, totp_secret) VALUES "
                        "(3, 7, 'ada@example.org', 'x', 0, 0, 1, '2026-01-01', :secret)"
                    ),
                    {"secret": PLAIN},
                )
            stamp(revision=before)
            upgrade(revision="d20d4e5f6a7b")
            with db.engine.connect() as conn:
                row = conn.execute(text("SELECT * FROM user_account")).mappings().one()
            assert "totp_secret" not in row and PLAIN not in repr(dict(row))
            assert sealed.unseal(row["totp_secret_sealed"], "user:3:totp") == (PLAIN, False)
            downgrade(revision="-1")
            with db.engine.connect() as conn:
                back = conn.execute(text("SELECT totp_secret FROM user_account")).scalar()
            assert back == PLAIN
    finally:
        with migrated.app_context():
            db.session.remove()
            db.engine.dispose()
