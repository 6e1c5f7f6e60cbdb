"""The minutes take every kind of vote as it was taken (issue #19, part B):
show of hands, mixed, the quorum at each opening, amendments with their
outcome, elections with their rounds; the register shows how."""

from __future__ import annotations

import re

from sqlalchemy import select
from voting.helpers import meeting_in_session, user

from netzwerk.decisions.models import Decision
from netzwerk.extensions import db
from netzwerk.meetings import access, agenda
from netzwerk.minutes.render import compose_minutes, minutes_html
from netzwerk.voting import amendments, elections, hands, services
from netzwerk.voting.meeting import open_meeting_poll
from netzwerk.voting.models import PollEligibility


def test_minutes_and_register_show_how_each_vote_was_taken(app_ctx, demo, client_as):
    office, chair = user("office"), user("chair")
    meeting = meeting_in_session("VK")
    first = agenda.add_free_item(office, meeting, title="Lernorte")
    second = agenda.add_free_item(office, access.get_meeting(meeting.id), title="Sprecherwahl")
    meeting = access.get_meeting(meeting.id)
    # An amendment, adopted by show of hands, before the main motion (mixed).
    amendment = amendments.create_amendment(
        office, meeting, first.id, text="Fünf Lernorte statt drei.", proposer="AG Übergang"
    )
    vote = amendments.open_amendment_vote(office, meeting, amendment.id, method="hands")
    hands.enter_counts(office, vote.id, yes=5, no=2, abstain=1)
    services.close_poll(vote.id, office)
    main = open_meeting_poll(
        office, access.get_meeting(meeting.id), first.id, title="Lernorte", method="mixed"
    )
    voter = db.session.scalar(
        select(PollEligibility.person_id).where(PollEligibility.poll_id == main.id)
    )
    services.cast_ballot(main.id, voter, "yes")
    hands.enter_counts(office, main.id, yes=4, no=1)
    services.close_poll(main.id, office)
    # An election of one person with a run-off.
    election = elections.create_election(
        chair,
        access.get_meeting(meeting.id),
        second.id,
        title="Sprecher der AG",
        seats=1,
        names=["Anna Alt", "Bernd Berg", "Carla Cramer"],
    )
    a, b, c = (x.id for x in election.candidates)
    seats = list(
        db.session.scalars(
            select(elections.ElectionSeat.person_id).where(
                elections.ElectionSeat.round_id == elections.current_round(election).id
            )
        )
    )
    for person, choice in zip(seats[:5], [a, a, b, b, c], strict=True):
        elections.cast_election_ballot(election.id, person, [choice])
    elections.close_round(chair, election.id)
    db.session.expire_all()
    for person in seats[:3]:
        elections.cast_election_ballot(election.id, person, [b])
    elections.close_round(chair, election.id)
    db.session.expire_all()

    snapshot = compose_minutes(
        access.get_meeting(meeting.id),
        summaries={},
        minute_taker="Protokoll",
        version_no=1,
        state_title=None,
        approved_at=None,
        corrects=None,
        public_only=False,
    )
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", minutes_html(snapshot)))
    assert "Änderungsantrag 1 (AG Übergang): Fünf Lernorte statt drei. – Angenommen" in text
    assert "(durch Handzeichen)" in text
    assert "(gemischt (Handzeichen und elektronisch))" in text
    assert "Beschlussfähigkeit bei Eröffnung:" in text
    assert "Wahl: Sprecher der AG" in text
    assert "1. Wahlgang: Anna Alt 2, Bernd Berg 2, Carla Cramer 1" in text
    assert "Stichwahl (2. Wahlgang): Bernd Berg 3" in text
    assert "Gewählt: Bernd Berg" in text
    decision = db.session.scalar(select(Decision).where(Decision.poll_id == main.id))
    assert decision.text == "Fünf Lernorte statt drei."
    assert decision.yes_count == 5 and decision.no_count == 1
    decision_id = decision.id
    db.session.remove()
    page = client_as("office").get("/beschluesse/").get_data(as_text=True)
    assert "gemischt (Handzeichen und elektronisch)" in page and "Wahl, geheim" in page
    detail = client_as("office").get(f"/beschluesse/{decision_id}").get_data(as_text=True)
    assert "Fünf Lernorte statt drei." in detail and "Angenommen" in detail


def test_the_demo_register_shows_a_vote_by_show_of_hands(app, demo, client_as):
    from netzwerk.minutes.demo import HANDS_ITEM, hold_demo_meeting

    with app.app_context():
        assert hold_demo_meeting(items=HANDS_ITEM + 1) is not None
        db.session.remove()
    page = client_as("office").get("/beschluesse/").get_data(as_text=True)
    row = re.search(r"<tr>(?:(?!</tr>).)*Sprachförderung in Kitas.*?</tr>", page, re.S)
    assert row, "the demo's decision on the language support is in the register"
    assert "durch Handzeichen" in row.group(0) and "6 / 0 / 0" in row.group(0)
