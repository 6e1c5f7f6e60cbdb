"""The notification centre: notify (dedup, mail once), list, mark read, access."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from netzwerk.auth.models import User
from netzwerk.database import write_transaction
from netzwerk.extensions import db
from netzwerk.governance.models import Person
from netzwerk.mail.models import OutboxMail
from netzwerk.notifications import services
from netzwerk.notifications.models import Notification

MEMBER = "mitglied@osnabrueck.example"
OFFICE = "buero@osnabrueck.example"


def person_of(email: str) -> int:
    person_id = db.session.scalar(select(User.person_id).where(User.email == email))
    assert person_id is not None
    return person_id


def notify(person_ids: list[int], n: int = 1, **kwargs: object) -> list[Notification]:
    values: dict[str, object] = {
        "kind": "test",
        "object_type": "paper",
        "object_id": n,
        "message": f"Vorlage {n} wartet",
        "url": f"/vorlagen/{n}",
    }
    values.update(kwargs)
    with write_transaction():
        created = services.notify(person_ids, **values)  # type: ignore[arg-type]
        return list(created)


def test_notify_dedups_per_person_and_queues_one_mail_each(app_ctx, demo):
    member, office = person_of(MEMBER), person_of(OFFICE)
    assert len(notify([member, office], dedup_key="paper:1:due")) == 2
    assert notify([member, office], dedup_key="paper:1:due") == []
    assert len(notify([member], dedup_key="paper:1:later")) == 1
    counts = dict(
        db.session.execute(
            select(Notification.person_id, func.count()).group_by(Notification.person_id)
        ).all()
    )
    assert counts == {member: 2, office: 1}
    mails = db.session.scalars(select(OutboxMail).order_by(OutboxMail.id)).all()
    assert [m.reason for m in mails] == ["paper:1:due", "paper:1:due", "paper:1:later"]
    assert "Vorlage 1 wartet" in mails[0].subject and "/vorlagen/1" in mails[0].body


def test_without_dedup_key_every_call_notifies_and_mails(app_ctx, demo):
    member = person_of(MEMBER)
    first = notify([member])
    second = notify([member])
    assert len(first) == len(second) == 1
    reasons = set(db.session.scalars(select(OutboxMail.reason)))
    assert reasons == {f"notification:{first[0].id}", f"notification:{second[0].id}"}


def test_mail_goes_to_the_account_address_when_the_person_has_none(app_ctx, demo):
    member = person_of(MEMBER)
    with write_transaction():
        db.session.get(Person, member).email = None  # type: ignore[union-attr]
    notify([member])
    assert db.session.scalar(select(OutboxMail.recipient)) == MEMBER


def test_no_mail_without_an_address_or_when_not_wanted(app_ctx, demo):
    with write_transaction():
        person = Person(first_name="Ohne", last_name="Adresse")
        db.session.add(person)
    assert len(notify([person.id])) == 1
    assert len(notify([person_of(MEMBER)], email=False)) == 1
    assert db.session.scalar(select(func.count(OutboxMail.id))) == 0


def test_notify_runs_in_the_callers_transaction(app_ctx, demo):
    member = person_of(MEMBER)
    with pytest.raises(RuntimeError), write_transaction():
        services.notify(
            [member], kind="test", object_type="paper", object_id=1, message="x", url=None
        )
        raise RuntimeError("the producer fails")
    assert db.session.scalar(select(func.count(Notification.id))) == 0
    assert db.session.scalar(select(func.count(OutboxMail.id))) == 0


def test_unread_list_and_mark_read(app_ctx, demo):
    member, office = person_of(MEMBER), person_of(OFFICE)
    for n in range(3):
        notify([member, office], n)
    unread = services.unread_for(member, 2)
    assert [n.message for n in unread] == ["Vorlage 2 wartet", "Vorlage 1 wartet"]
    assert services.mark_read(member, [unread[0].id]) == 1
    assert services.mark_read(member, [unread[0].id]) == 0  # already read
    assert services.unread_count(member) == 2
    assert services.mark_read(member, "all") == 2
    assert services.unread_for(member) == []
    assert services.unread_count(office) == 3  # the others' stay unread


def test_marking_someone_elses_notification_changes_nothing(app_ctx, demo):
    member, office = person_of(MEMBER), person_of(OFFICE)
    mine = notify([member])[0]
    theirs = notify([office])[0]
    with pytest.raises(services.NotificationNotFound):
        services.mark_read(member, [mine.id, theirs.id])
    db.session.expire_all()
    assert services.unread_count(member) == 1 and services.unread_count(office) == 1


def test_list_is_paginated_newest_first(app_ctx, demo):
    member = person_of(MEMBER)
    for n in range(services.PAGE_SIZE + 3):
        notify([member], n)
    first = services.list_for(member, 1)
    assert (first.total, first.pages, len(first.items)) == (services.PAGE_SIZE + 3, 2, 20)
    assert first.items[0].message == f"Vorlage {services.PAGE_SIZE + 2} wartet"
    last = services.list_for(member, 99)  # clamped to the last page
    assert last.page == 2 and [n.message for n in last.items][-1] == "Vorlage 0 wartet"


# --- the page ------------------------------------------------------------------------


def test_page_lists_only_ones_own_notifications(app, client_as):
    with app.app_context():
        notify([person_of(MEMBER)], 1, message="Für das Mitglied")
        notify([person_of(OFFICE)], 2, message="Für das Büro")
    html = client_as("member").get("/benachrichtigungen").get_data(as_text=True)
    assert "<h1>Benachrichtigungen</h1>" in html
    assert "Für das Mitglied" in html and 'href="/vorlagen/1"' in html
    assert "Für das Büro" not in html
    assert "1 ungelesene Benachrichtigung" in html


def test_page_marks_one_and_all_as_read(app, client_as):
    with app.app_context():
        ids = [notify([person_of(MEMBER)], n)[0].id for n in range(3)]
    client = client_as("member")
    response = client.post(f"/benachrichtigungen/{ids[0]}/gelesen")
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Notification, ids[0]).read_at is not None  # type: ignore[union-attr]
        assert db.session.get(Notification, ids[1]).read_at is None  # type: ignore[union-attr]
    assert client.post("/benachrichtigungen").status_code == 302
    with app.app_context():
        assert services.unread_count(person_of(MEMBER)) == 0
    html = client.get("/benachrichtigungen").get_data(as_text=True)
    assert "Alle als gelesen markieren" not in html


def test_page_refuses_others_notifications_and_missing_csrf(app, client_as):
    with app.app_context():
        theirs = notify([person_of(OFFICE)])[0].id
        mine = notify([person_of(MEMBER)])[0].id
    client = client_as("member")
    assert client.post(f"/benachrichtigungen/{theirs}/gelesen").status_code == 404
    assert client.post("/benachrichtigungen/999999/gelesen").status_code == 404
    assert client.post(f"/benachrichtigungen/{mine}/gelesen", csrf=False).status_code == 400
    assert client.post("/benachrichtigungen", csrf=False).status_code == 400
    with app.app_context():
        assert db.session.get(Notification, theirs).read_at is None  # type: ignore[union-attr]
        assert db.session.get(Notification, mine).read_at is None  # type: ignore[union-attr]


def test_page_paginates(app, client_as):
    with app.app_context():
        for n in range(services.PAGE_SIZE + 1):
            notify([person_of(MEMBER)], n)
    client = client_as("member")
    html = client.get("/benachrichtigungen").get_data(as_text=True)
    assert "Seite 1 von 2" in html and 'href="/benachrichtigungen?seite=2"' in html
    assert "Vorlage 0 wartet" not in html
    html = client.get("/benachrichtigungen?seite=2").get_data(as_text=True)
    assert "Vorlage 0 wartet" in html and 'rel="prev"' in html


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(page=st.text(max_size=12))
def test_page_survives_any_page_parameter(client_as, page):
    response = client_as("member").get("/benachrichtigungen", query_string={"seite": page})
    assert response.status_code == 200


def test_page_requires_login(client):
    response = client.get("/benachrichtigungen")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
