"""Issue #18, finding 1: staff send a reset link to the account's own
address; nobody sets another person's password."""

from __future__ import annotations

from datetime import timedelta

from conftest import ROLE_EMAILS

from netzwerk.demo import DEMO_PASSWORD

from .conftest import PERSONS, STRONG

MEMBER = ROLE_EMAILS["member"]
ADMIN = ROLE_EMAILS["admin"]
CHAIR = ROLE_EMAILS["chair"]


def _logged_in(client) -> bool:  # type: ignore[no-untyped-def]
    return client.get("/meine-gremien").status_code == 200


def _can_log_in(app, email: str, password: str) -> bool:  # type: ignore[no-untyped-def]
    response = app.test_client().post("/login", data={"email": email, "password": password})
    return response.status_code == 302


def _make_counselling_staff(app, accounts, email: str) -> None:  # type: ignore[no-untyped-def]
    from netzwerk.counselling.services import add_counselling_staff

    with app.app_context():
        add_counselling_staff(email, accounts.user_id(ADMIN))


def test_office_cannot_set_a_password_directly(app, client_as, accounts):
    office = client_as("office")
    before = accounts.password_hash(MEMBER)
    url = f"{PERSONS}{accounts.person_id(MEMBER)}/zugang/passwort"
    page = office.get(url).get_data(as_text=True)
    assert 'type="password"' not in page  # no field to type a password into
    response = office.post(url, data={"password": STRONG, "confirm": STRONG})
    assert response.status_code == 302
    assert accounts.password_hash(MEMBER) == before
    assert not _can_log_in(app, MEMBER, STRONG)
    assert _can_log_in(app, MEMBER, DEMO_PASSWORD)
    # What happened instead: a link went to the member's own address.
    assert accounts.link_to(MEMBER).startswith("/passwort-zuruecksetzen/")


def test_office_cannot_reset_an_administrator_or_counselling_staff(app, client_as, accounts):
    _make_counselling_staff(app, accounts, CHAIR)
    office = client_as("office")
    for email in (ADMIN, CHAIR):
        url = f"{PERSONS}{accounts.person_id(email)}/zugang/passwort"
        response = office.post(url, data={})
        assert response.status_code == 302
        assert office.get(url).status_code == 302  # not even the form
        assert accounts.mails_to(email) == []
    assert accounts.audit("user.password_reset_sent") == []
    # An administrator may send counselling staff a link.
    admin = client_as("admin")
    admin.post(f"{PERSONS}{accounts.person_id(CHAIR)}/zugang/passwort", data={})
    assert accounts.link_to(CHAIR)


def test_office_resets_a_member_through_a_link_that_works_once(app, client_as, accounts):
    member_device = client_as("member")
    office = client_as("office")
    office_name = accounts.person_name(ROLE_EMAILS["office"])
    response = office.post(f"{PERSONS}{accounts.person_id(MEMBER)}/zugang/passwort", data={})
    assert response.status_code == 302
    # Recorded, with who sent it.
    sent = accounts.audit("user.password_reset_sent")
    assert [(e["actor_id"], e["object_id"]) for e in sent] == [
        (accounts.user_id(ROLE_EMAILS["office"]), accounts.user_id(MEMBER))
    ]
    # The owner is told who sent it; the password stays until the link is used.
    subject, body = accounts.mails_to(MEMBER)[-1]
    assert office_name in body
    assert "Passwort" in subject
    assert _logged_in(member_device)

    link = accounts.link_to(MEMBER)
    anonymous = app.test_client()
    assert anonymous.get(link).status_code == 200
    response = anonymous.post(link, data={"password": STRONG, "confirm": STRONG})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/login")
    # Every session of the account ended; the new password works, the old not.
    assert not _logged_in(member_device)
    assert _can_log_in(app, MEMBER, STRONG)
    assert not _can_log_in(app, MEMBER, DEMO_PASSWORD)
    # The link works once.
    assert anonymous.get(link).status_code == 404
    again = anonymous.post(link, data={"password": STRONG + "!", "confirm": STRONG + "!"})
    assert again.status_code == 404
    assert _can_log_in(app, MEMBER, STRONG)
    # Using it is recorded too, and the owner gets a second mail.
    done = accounts.audit("user.password_reset")
    assert [e["object_id"] for e in done] == [accounts.user_id(MEMBER)]
    subjects = [s for s, _b in accounts.mails_to(MEMBER)]
    assert subjects[-1] == "Netzwerk: Ihr Passwort wurde geändert"


def test_reset_link_expires_after_an_hour(app, client_as, accounts, clock):
    client_as("admin").post(f"{PERSONS}{accounts.person_id(MEMBER)}/zugang/passwort", data={})
    link = accounts.link_to(MEMBER)
    anonymous = app.test_client()
    clock.shift(timedelta(minutes=59))
    assert anonymous.get(link).status_code == 200
    clock.shift(timedelta(minutes=2))
    assert anonymous.get(link).status_code == 404
    response = anonymous.post(link, data={"password": STRONG, "confirm": STRONG})
    assert response.status_code == 404
    assert _can_log_in(app, MEMBER, DEMO_PASSWORD)
    assert not _can_log_in(app, MEMBER, STRONG)


def test_a_new_link_replaces_the_older_one(app, client_as, accounts):
    admin = client_as("admin")
    url = f"{PERSONS}{accounts.person_id(MEMBER)}/zugang/passwort"
    admin.post(url, data={})
    first = accounts.link_to(MEMBER)
    admin.post(url, data={})
    second = accounts.link_to(MEMBER)
    assert first != second
    anonymous = app.test_client()
    assert anonymous.get(first).status_code == 404
    assert anonymous.get(second).status_code == 200


def test_only_the_hash_of_a_link_is_stored(app, client_as, accounts):
    from sqlalchemy import select

    from netzwerk.auth.models import PasswordResetToken
    from netzwerk.extensions import db

    client_as("admin").post(f"{PERSONS}{accounts.person_id(MEMBER)}/zugang/passwort", data={})
    token = accounts.link_to(MEMBER).rsplit("/", 1)[1]
    with app.app_context():
        stored = db.session.scalars(select(PasswordResetToken.token_hash)).all()
    assert len(stored) == 1 and token not in stored[0] and len(stored[0]) == 64


def test_login_may_not_be_reset_by_a_member(client_as, accounts):
    member = client_as("member")
    url = f"{PERSONS}{accounts.person_id(ROLE_EMAILS['lead'])}/zugang/passwort"
    assert member.post(url, data={}).status_code == 403
    assert accounts.mails_to(ROLE_EMAILS["lead"]) == []


def test_expired_reset_links_are_purged_after_a_day(app, client_as, accounts, clock):
    from sqlalchemy import func, select

    from netzwerk.auth.jobs import purge_sessions
    from netzwerk.auth.models import PasswordResetToken
    from netzwerk.extensions import db

    client_as("admin").post(f"{PERSONS}{accounts.person_id(MEMBER)}/zugang/passwort", data={})

    def links() -> int:
        with app.app_context():
            try:
                return int(db.session.scalar(select(func.count(PasswordResetToken.id))))
            finally:
                db.session.remove()

    with app.app_context():
        clock.shift(timedelta(hours=2))
        purge_sessions()
        assert links() == 1  # expired, but kept for a day
        clock.shift(timedelta(days=1))
        purge_sessions()
        db.session.remove()
    assert links() == 0
