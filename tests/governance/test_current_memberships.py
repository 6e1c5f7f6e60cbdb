"""Who is a current member changes at midnight in Berlin.

A membership runs from its start date to its end date, both days included.
At midnight after New Year's Eve, UTC still has the old day and year: the
change must follow Berlin's day, in SQL filters and Python checks alike.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest

from netzwerk.extensions import db
from netzwerk.governance.member_lists import member_counts
from netzwerk.governance.memberships import add_membership, current_members, current_memberships_of
from netzwerk.governance.models import Membership
from netzwerk.timeutil import LOCAL_TZ, local_today

from .conftest import Lookup

pytestmark = pytest.mark.calendar


def test_memberships_turn_over_at_midnight_in_berlin(app, client_as, lookup: Lookup, clock):
    bk = lookup.body("BK")
    leaving, joining = lookup.person("Meyerhoff"), lookup.person("Lüdeke")
    today = local_today()
    with app.test_request_context():
        before = member_counts([bk])[bk]
        ends_today = add_membership(
            bk,
            {
                "person_id": leaving,
                "role": "member",
                "start_date": today - timedelta(days=1),
                "end_date": today,
            },
        ).id
        starts_tomorrow = add_membership(
            bk,
            {"person_id": joining, "role": "member", "start_date": today + timedelta(days=1)},
        ).id
        db.session.remove()

    def current() -> tuple[set[int], int, dict[int, bool], str]:
        with app.app_context():
            members = {m.person_id for m in current_members(bk)}
            count = member_counts([bk])[bk]
            seats = {
                person: any(m.body_id == bk for m in current_memberships_of(person))
                for person in (leaving, joining)
            }
            flags = {
                m.person_id: m.is_current()
                for m in (
                    db.session.get(Membership, ends_today),
                    db.session.get(Membership, starts_tomorrow),
                )
            }
            assert seats == flags, "SQL and Python agree on who is a member today"
            db.session.remove()
        # A fresh login: midnight may lie beyond a login's lifetime.
        html = client_as("member").get(f"/gremien/{bk}").get_data(as_text=True)
        return members & {leaving, joining}, count, flags, html

    members, count, flags, html = current()
    assert members == {leaving} and count == before + 1
    assert flags == {leaving: True, joining: False}
    assert "Meyerhoff" in html and "Lüdeke" not in html

    # A minute past midnight in Berlin: the last day is over, the first has begun.
    clock.move_to(datetime.combine(today + timedelta(days=1), time(0, 1), LOCAL_TZ))
    members, count, flags, html = current()
    assert members == {joining} and count == before + 1
    assert flags == {leaving: False, joining: True}
    assert "Lüdeke" in html and "Meyerhoff" not in html
