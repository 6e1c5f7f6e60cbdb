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
    from netzwerk.meetings import meeting_services
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
        meeting = meeting_services.create_meeting(
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
