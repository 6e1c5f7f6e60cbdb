def test_login_and_start_page(client_as):
    client = client_as("member")
    response = client.get("/")
    assert response.status_code == 200
    assert "Ahlers" in response.get_data(as_text=True)


def test_my_bodies_lists_vorstandskonferenz_members(client_as):
    client = client_as("member")
    html = client.get("/meine-gremien").get_data(as_text=True)
    assert "Vorstandskonferenz" in html
    assert "Feldkamp" in html


def _vk_poll_and_meeting(app):
    from datetime import timedelta

    from sqlalchemy import select

    from netzwerk.auth.models import User
    from netzwerk.database import utcnow
    from netzwerk.extensions import db
    from netzwerk.governance.models import Body
    from netzwerk.meetings import planning
    from netzwerk.voting import services as voting
    from netzwerk.workflow import services as workflow

    with app.app_context():
        office = db.session.scalar(select(User).where(User.email == "buero@osnabrueck.example"))
        vk = db.session.scalar(select(Body).where(Body.short_name == "VK"))
        voting.start_circular_resolution(
            body_id=vk.id,
            subject_type="paper",
            subject_id=None,
            title="Schulwegsicherung im Umlauf",
            question=None,
            closes_at=utcnow() + timedelta(days=3),
            actor=office,
        )
        meeting = planning.create_meeting(
            office,
            body_id=vk.id,
            starts_at=utcnow() + timedelta(days=10),
            online_link="https://meet.osnabrueck.example/vk",
            title="Vorstandskonferenz im Dezember",
        )
        definition = workflow.definition_of(meeting)
        invite = next(t for t in definition.transitions.values() if t.to == "eingeladen")
        workflow.fire(office, meeting, invite.name, comment="Einladung")


def test_start_page_shows_open_votes_and_next_meetings(app, client_as):
    client = client_as("member")
    _vk_poll_and_meeting(app)
    html = client.get("/").get_data(as_text=True)
    assert "Offene Abstimmungen" in html
    assert "Schulwegsicherung im Umlauf" in html
    assert "Vorstandskonferenz im Dezember" in html
    assert "Nächste Sitzungen" in html


def test_start_page_without_anything_to_do(client_as):
    html = client_as("member").get("/").get_data(as_text=True)
    assert "Zurzeit steht keine Abstimmung an." in html
    assert "Für Ihre Gremien sind keine Sitzungen angesetzt." in html


def test_start_page_shows_the_newest_unread_notifications(app, client_as):
    from sqlalchemy import select

    from netzwerk.auth.models import User
    from netzwerk.database import write_transaction
    from netzwerk.extensions import db
    from netzwerk.notifications import services as notifications

    client = client_as("member")
    with app.app_context():
        person_id = db.session.scalar(
            select(User.person_id).where(User.email == "mitglied@osnabrueck.example")
        )
        with write_transaction():
            for n in range(7):
                notifications.notify(
                    [person_id],
                    kind="test",
                    object_type="paper",
                    object_id=n,
                    message=f"Hinweis Nummer {n}",
                    url=f"/vorlagen/{n}",
                )
        first = notifications.list_for(person_id).items[-1]
        notifications.mark_read(person_id, [first.id])
    html = client.get("/").get_data(as_text=True)
    assert "Hinweis Nummer 6" in html and 'href="/vorlagen/6"' in html
    assert "Hinweis Nummer 1" not in html  # only the five newest unread
    assert 'href="/benachrichtigungen"' in html
