"""Members' and staff pages of voting."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from netzwerk.database import utcnow
from netzwerk.extensions import db
from netzwerk.timeutil import LOCAL_TZ, local_today, to_local
from netzwerk.voting import services
from netzwerk.voting.models import Ballot, Poll

from .helpers import body, make_decidable_paper, seat_persons, start_poll


def _vk_poll(app, **kwargs) -> int:  # type: ignore[no-untyped-def]
    with app.app_context():
        poll_id = start_poll(body("VK").id, title="Lernorte", **kwargs).id
        db.session.remove()
        return poll_id


def test_member_votes_in_two_clicks_and_sees_confirmation(app, client_as):
    client = client_as("member")
    poll_id = _vk_poll(app)
    page = client.get("/abstimmungen/offen").get_data(as_text=True)
    assert "Lernorte" in page
    assert 'type="radio"' in page and f'name="poll{poll_id}-value"' in page
    assert "0 von 8 haben abgestimmt" in page
    response = client.post(
        f"/abstimmungen/{poll_id}/abstimmen",
        data={f"poll{poll_id}-value": "yes", f"poll{poll_id}-seat": "", "next": "open"},
    )
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Ihre Stimme wurde gezählt" in page
    assert "1 von 8 haben abgestimmt" in page
    assert "result-heading" not in page  # no result while open
    assert client.get(f"/abstimmungen/{poll_id}/stand").get_json() == {
        "voted": 1,
        "eligible": 8,
        "state": "open",
    }
    # A second vote is refused politely.
    again = client.post(
        f"/abstimmungen/{poll_id}/abstimmen",
        data={f"poll{poll_id}-value": "no", f"poll{poll_id}-seat": ""},
    )
    assert again.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Ballot.value).where(Ballot.poll_id == poll_id)) == "yes"


def test_missing_choice_shows_error_next_to_field(app, client_as):
    client = client_as("member")
    poll_id = _vk_poll(app)
    response = client.post(f"/abstimmungen/{poll_id}/abstimmen", data={f"poll{poll_id}-seat": ""})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'class="error"' in html and "Bitte wählen Sie eine Möglichkeit" in html


def test_thanks_only_after_a_stored_ballot(app, client_as):
    client = client_as("member")
    poll_id = _vk_poll(app)
    # The confirmation cannot be conjured up by the address alone.
    page = client.get(f"/abstimmungen/{poll_id}?abgestimmt=1").get_data(as_text=True)
    assert "Ihre Stimme wurde gezählt" not in page
    response = client.post(
        f"/abstimmungen/{poll_id}/abstimmen",
        data={f"poll{poll_id}-value": "no", f"poll{poll_id}-seat": ""},
    )
    assert response.status_code == 302 and "abgestimmt=1" in response.headers["Location"]
    # No flash message: the session cookie is not written again for a ballot.
    assert "Set-Cookie" not in response.headers
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Ihre Stimme wurde gezählt" in page


def test_refused_ballots_get_the_same_answers_as_before(app, client_as):
    client = client_as("member")
    poll_id = _vk_poll(app)
    missing = client.post("/abstimmungen/999999/abstimmen", data={"poll999999-value": "yes"})
    assert missing.status_code == 404
    bad = client.post(
        f"/abstimmungen/{poll_id}/abstimmen",
        data={f"poll{poll_id}-value": "maybe", f"poll{poll_id}-seat": ""},
    )
    assert bad.status_code == 422
    assert 'class="error"' in bad.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Ballot.id).where(Ballot.poll_id == poll_id)) is None
        services.close_poll(poll_id, now=utcnow() + timedelta(hours=49), by_scheduler=True)
        db.session.remove()
    late = client.post(
        f"/abstimmungen/{poll_id}/abstimmen",
        data={f"poll{poll_id}-value": "yes", f"poll{poll_id}-seat": ""},
    )
    assert late.status_code == 302 and "abgestimmt" not in late.headers["Location"]
    assert "nicht geöffnet" in client.get(late.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Ballot.id).where(Ballot.poll_id == poll_id)) is None


def test_outsider_cannot_see_or_vote(app, client_as):
    poll_id = _vk_poll(app)
    client = client_as("lead")  # not a member of the VK
    assert client.get(f"/abstimmungen/{poll_id}").status_code == 403
    response = client.post(
        f"/abstimmungen/{poll_id}/abstimmen", data={f"poll{poll_id}-value": "yes"}
    )
    assert response.status_code == 403


def test_anonymous_is_sent_to_login(app, client, demo):
    poll_id = _vk_poll(app)
    response = client.get(f"/abstimmungen/{poll_id}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_results_appear_after_close(app, client_as):
    poll_id = _vk_poll(app)
    with app.app_context():
        for person in seat_persons(body("VK").id):
            services.cast_ballot(poll_id, person, "yes")
    office = client_as("office")
    assert office.post(f"/abstimmungen/{poll_id}/schliessen").status_code == 302
    html = client_as("member").get(f"/abstimmungen/{poll_id}").get_data(as_text=True)
    assert "Angenommen" in html and "Namentliche Stimmen" in html


def test_office_cannot_close_early_before_everyone_voted(app, client_as):
    poll_id = _vk_poll(app)
    office = client_as("office")
    office.post(f"/abstimmungen/{poll_id}/schliessen")
    with app.app_context():
        assert db.session.get(Poll, poll_id).state == "open"


@pytest.mark.calendar
def test_office_starts_circular_resolution_from_form(app, client_as):
    with app.app_context():
        paper = make_decidable_paper()
        paper_id, vk_id = paper.id, body("VK").id
        db.session.remove()
    office = client_as("office")
    page = office.get(f"/verwaltung/abstimmungen/umlauf/neu?paper={paper_id}")
    assert page.status_code == 200
    # The deadline is typed as Berlin wall-clock time (three days on: over a
    # switch of daylight saving time at the DST instants).
    day = local_today() + timedelta(days=3)
    deadline = f"{day.isoformat()}T18:00"
    response = office.post(
        "/verwaltung/abstimmungen/umlauf/neu",
        data={
            "body_id": vk_id,
            "subject_id": paper_id,
            "title": "Lernorte",
            "question": "Ja?",
            "closes_at": deadline,
            "kind": "secret",
            "options": "yes_no",
            "majority_rule": "",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        poll = db.session.scalar(select(Poll))
        assert poll.kind == "secret" and poll.subject_id == paper_id and poll.eligible_count == 8
        assert poll.closes_at == datetime.combine(day, time(18, 0), LOCAL_TZ)
    # A deadline in the past is refused next to the field, nothing written.
    past = to_local(utcnow() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    response = office.post(
        "/verwaltung/abstimmungen/umlauf/neu",
        data={
            "body_id": vk_id,
            "subject_id": paper_id,
            "title": "x",
            "closes_at": past,
            "kind": "open",
            "options": "yes_no",
        },
    )
    assert response.status_code == 422


def test_member_cannot_start_circular_resolution(client_as):
    assert client_as("member").get("/verwaltung/abstimmungen/umlauf/neu").status_code == 403


@settings(max_examples=50, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    value=st.one_of(st.text(max_size=20), st.sampled_from(["yes", "no", "abstain", ""])),
    seat=st.one_of(st.text(max_size=10), st.integers().map(str)),
    extra_key=st.text(min_size=1, max_size=15),
)
def test_bad_vote_input_never_500(vote_setup, value, seat, extra_key):
    app, client, poll_id = vote_setup
    data = {f"poll{poll_id}-value": value, f"poll{poll_id}-seat": seat, extra_key: value}
    response = client.post(f"/abstimmungen/{poll_id}/abstimmen", data=data)
    assert response.status_code in (302, 400, 403, 422)
    with app.app_context():
        count = db.session.scalar(
            select(db.func.count()).select_from(Ballot).where(Ballot.poll_id == poll_id)
        )
        db.session.remove()
    assert count <= 1
    if count == 1:
        with app.app_context():
            assert db.session.scalar(select(Ballot.value)) in ("yes", "no", "abstain")
            db.session.remove()
    assert re.match(r"^\d+$", str(poll_id))
