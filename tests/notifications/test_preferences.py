"""Mail preferences: at once or a daily digest, topics switched off;
invitations and reset links go out whatever the preference."""

from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import demo_user
from sqlalchemy import select

from netzwerk.database import write_transaction
from netzwerk.extensions import db
from netzwerk.mail.models import OutboxMail
from netzwerk.notifications import preferences, services
from netzwerk.notifications.digest import send_digests
from netzwerk.notifications.models import Notification
from netzwerk.scheduler import JOBS

MEMBER = "mitglied@osnabrueck.example"


def member_id() -> int:
    return demo_user(MEMBER).person_id


def notify(kind: str = "workflow_state", n: int = 1) -> list[Notification]:
    with write_transaction():
        return services.notify(
            [member_id()],
            kind=kind,
            object_type="paper",
            object_id=n,
            message=f"„Vorlage {n}“: eingereicht",
            url=f"/vorlagen/{n}",
        )


def mails() -> list[OutboxMail]:
    return list(db.session.scalars(select(OutboxMail).order_by(OutboxMail.id)))


def test_without_a_choice_every_notification_is_mailed_at_once(app_ctx, demo):
    notify()
    assert len(mails()) == 1
    assert preferences.preference_of(member_id()).delivery == "immediate"


def test_the_digest_collects_a_day_in_one_mail(app_ctx, demo, clock):
    preferences.save_preference(member_id(), "digest", preferences.TOPICS)
    notify(n=1)
    notify("poll_reminder", n=2)
    assert mails() == []  # nothing at once
    assert send_digests() == 1
    [digest] = mails()
    assert digest.subject == "Netzwerk: 2 neue Benachrichtigungen"
    assert "„Vorlage 1“" in digest.body and "„Vorlage 2“" in digest.body
    assert "http://127.0.0.1:5000/vorlagen/1" in digest.body
    assert "/konto/benachrichtigungen" in digest.body
    # Sent once: the notifications wait no more, a second run sends nothing.
    assert send_digests() == 0
    assert db.session.scalar(select(Notification.id).where(Notification.digest_pending)) is None
    # What arrives later the same day waits for the next day's digest.
    notify(n=3)
    assert send_digests() == 0
    clock.shift(timedelta(days=1))
    assert send_digests() == 1
    assert "„Vorlage 3“" in mails()[-1].body


def test_a_muted_topic_is_not_mailed_but_listed(app_ctx, demo):
    wanted = [topic for topic in preferences.TOPICS if topic != "votes"]
    preferences.save_preference(member_id(), "immediate", wanted)
    notify("poll_reminder", n=1)
    notify("workflow_state", n=2)
    assert [m.body.splitlines()[0] for m in mails()] == ["„Vorlage 2“: eingereicht"]
    assert services.list_for(member_id()).total == 2


def test_topics_of_kinds():
    assert preferences.topic_of("poll_reminder") == "votes"
    assert preferences.topic_of("workflow_reminder") == "reminders"
    assert preferences.topic_of("action_item_overdue") == "reminders"
    assert preferences.topic_of("workflow_state") == "workflow"
    assert preferences.topic_of("minutes_approved") == "workflow"
    assert preferences.topic_of("minutes_correction_request") == "workflow"
    assert preferences.topic_of("minutes_correction_answered") == "workflow"
    assert preferences.topic_of("poll_ended") == "votes"
    assert preferences.topic_of("something_new") == "other"


def test_invitations_and_reset_links_ignore_the_preference(app_ctx, demo):
    from meetings.helpers import meeting

    from netzwerk.auth import recovery
    from netzwerk.meetings import invitations

    preferences.save_preference(member_id(), "digest", [])  # every topic muted
    recovery.issue_reset(demo_user(MEMBER))
    invitations.send_invitations(demo_user("buero@osnabrueck.example"), meeting("VK", days=20))
    to_member = [m for m in mails() if m.recipient == MEMBER]
    assert any("Passwort" in m.subject for m in to_member)
    assert any(m.subject.startswith("Einladung:") for m in to_member)


@pytest.mark.parametrize(
    ("delivery", "topics", "field"),
    [("weekly", [], "delivery"), ("immediate", ["gossip"], "topics")],
)
def test_a_bad_preference_is_refused(app_ctx, demo, delivery, topics, field):
    with pytest.raises(preferences.PreferenceError) as refused:
        preferences.save_preference(member_id(), delivery, topics)
    assert refused.value.field == field
    assert preferences.preference_of(member_id()).delivery == "immediate"


def test_the_digest_is_a_job_of_the_scheduler(app):
    assert "notifications.digest" in JOBS
    assert JOBS["notifications.digest"].trigger == "cron"


# --- the page -------------------------------------------------------------------------------


def test_the_page_saves_the_choice_and_reshows_bad_input(client_as, app):
    client = client_as("member")
    page = client.get("/konto/benachrichtigungen")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Mail-Einstellungen" in html and 'value="digest"' in html
    bad = client.post("/konto/benachrichtigungen", data={"delivery": "weekly", "topics": "votes"})
    assert bad.status_code == 200
    assert 'aria-invalid="true"' in bad.get_data(as_text=True) or "has-error" in bad.get_data(
        as_text=True
    )
    bad = client.post(
        "/konto/benachrichtigungen", data={"delivery": "digest", "topics": ["votes", "gossip"]}
    )
    assert bad.status_code == 200 and "has-error" in bad.get_data(as_text=True)
    saved = client.post(
        "/konto/benachrichtigungen", data={"delivery": "digest", "topics": ["votes", "workflow"]}
    )
    assert saved.status_code == 302
    with app.app_context():
        preference = preferences.preference_of(member_id())
        assert preference.delivery == "digest"
        assert preference.muted == {"reminders", "partners", "other"}
        db.session.remove()
    assert client_as("member").get("/konto/benachrichtigungen").status_code == 200


def test_the_page_needs_a_login(client):
    response = client.get("/konto/benachrichtigungen")
    assert response.status_code in (302, 401)


def test_saving_again_replaces_the_choice(app_ctx, demo):
    person = member_id()
    preferences.save_preference(person, "digest", ["votes"])
    assert preferences.preference_of(person).delivery == "digest"  # loaded into the session
    preferences.save_preference(person, "immediate", preferences.TOPICS)
    assert preferences.preference_of(person) == preferences.Preference("immediate", frozenset())
