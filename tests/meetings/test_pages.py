"""Meeting pages: public view, members' view, bad input, flat query counts."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from netzwerk.extensions import db
from netzwerk.meetings import agenda, attendance, invitations
from netzwerk.meetings.models import AgendaItem, Attendance, Meeting

from .helpers import OFFICE, body, fresh, invite_and_open, meeting, user


def test_public_meeting_shows_only_public_items_to_anonymous(client_as, app):
    with app.app_context():
        public = meeting("BK", days=30, public=True)
        agenda.add_free_item(user(OFFICE), public, title="Offener Punkt")
        agenda.add_free_item(user(OFFICE), public, title="Geheimer Punkt", public=False)
        invitations.send_invitations(user(OFFICE), fresh(public.id))
        closed = meeting("VK", days=30, public=False)
        invitations.send_invitations(user(OFFICE), fresh(closed.id), reason="x")
        public_id, closed_id = public.id, closed.id
    anonymous = app.test_client()
    listing = anonymous.get("/sitzungen/oeffentlich/").get_data(as_text=True)
    assert f"/sitzungen/oeffentlich/{public_id}" in listing
    assert f"/sitzungen/oeffentlich/{closed_id}" not in listing
    html = anonymous.get(f"/sitzungen/oeffentlich/{public_id}").get_data(as_text=True)
    assert "Offener Punkt" in html and "Geheimer Punkt" not in html
    assert anonymous.get(f"/sitzungen/oeffentlich/{closed_id}").status_code == 404
    response = anonymous.get(f"/sitzungen/{public_id}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_my_meetings_lists_upcoming_with_agenda(client_as, app):
    with app.app_context():
        m = meeting("VK", days=10)
        agenda.add_free_item(user(OFFICE), m, title="Haushaltsberatung")
        invitations.send_invitations(user(OFFICE), fresh(m.id))
        bk = meeting("BK", days=10)
        invitations.send_invitations(user(OFFICE), fresh(bk.id), reason="x")
        number, bk_number = fresh(m.id).display_title, fresh(bk.id).display_title
        vk_id = m.id
    html = client_as("member").get("/sitzungen/meine").get_data(as_text=True)
    assert number in html and "Haushaltsberatung" in html
    lead = client_as("lead")  # sits in the BK, not in the VK
    html = lead.get("/sitzungen/meine").get_data(as_text=True)
    assert bk_number in html and number not in html
    assert lead.get(f"/sitzungen/{vk_id}").status_code == 403


def test_bad_meeting_form_input_never_500_nor_written(client_as, app):
    office = client_as("office")
    with app.app_context():
        vk = str(body("VK").id)

    @settings(
        max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
    )
    @given(
        body_id=st.one_of(st.just(vk), st.text(max_size=6)),
        date=st.one_of(st.just("2031-02-30"), st.just("2031-03-01"), st.text(max_size=12)),
        start=st.one_of(st.just("25:00"), st.just("16:00"), st.text(max_size=6)),
        end=st.one_of(st.just(""), st.just("15:00"), st.text(max_size=6)),
        link=st.one_of(st.just(""), st.just("javascript:alert(1)"), st.text(max_size=40)),
    )
    def check(body_id, date, start, end, link):
        with app.app_context():
            before = db.session.scalar(select(func.count(Meeting.id)))
        response = office.post(
            "/sitzungen/neu",
            data={
                "body_id": body_id,
                "date": date,
                "start_time": start,
                "end_time": end,
                "location_id": "",
                "online_link": link,
                "title": "T",
            },
        )
        assert response.status_code in (302, 422)
        with app.app_context():
            after = db.session.scalar(select(func.count(Meeting.id)))
        assert after == before + (1 if response.status_code == 302 else 0)

    check()


def test_bad_agenda_and_attendance_input_never_500(client_as, app):
    office = client_as("office")
    with app.app_context():
        m = invite_and_open(meeting("VK", days=20))
        meeting_id = m.id
        seat = attendance.roster(m)[0].membership.id

    @settings(
        max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
    )
    @given(
        title=st.text(max_size=320),
        parent=st.one_of(st.just(""), st.text(max_size=5), st.integers(-5, 10**12).map(str)),
        status=st.one_of(
            st.sampled_from(["present", "excused", "absent", ""]), st.text(max_size=8)
        ),
    )
    def check(title, parent, status):
        with app.app_context():
            before = db.session.scalar(select(func.count(AgendaItem.id)))
        response = office.post(
            f"/sitzungen/{meeting_id}/tagesordnung/frei",
            data={"free-title": title, "free-parent_id": parent, "free-public": "y"},
        )
        assert response.status_code in (302, 422)
        with app.app_context():
            after = db.session.scalar(select(func.count(AgendaItem.id)))
        assert after == before + (1 if response.status_code == 302 else 0)
        response = office.post(
            f"/sitzungen/{meeting_id}/anwesenheit", data={f"status-{seat}": status}
        )
        assert response.status_code in (302, 422)
        with app.app_context():
            row = db.session.scalar(select(Attendance).where(Attendance.membership_id == seat))
            if response.status_code == 422:
                assert row is None or row.status in ("present", "excused", "absent")
            elif status:
                assert row is not None and row.status == status

    check()


def test_meeting_list_query_count_is_flat(client_as, app, count_queries):
    office = client_as("office")
    with app.app_context():
        meeting("VK", days=5)
    with count_queries() as few:
        office.get("/sitzungen/")
    with app.app_context():
        for i in range(8):
            meeting("BK" if i % 2 else "VK", days=6 + i)
    with count_queries() as many:
        office.get("/sitzungen/")
    assert many.count <= few.count


def test_meeting_page_query_count_is_flat(client_as, app, count_queries):
    office = client_as("office")
    member = client_as("member")
    with app.app_context():
        m = invite_and_open(meeting("VK", days=20))
        meeting_id = m.id
        agenda.add_free_item(user(OFFICE), m, title="Eins")
    with count_queries() as few:
        office.get(f"/sitzungen/{meeting_id}")
    with count_queries() as few_member:
        member.get(f"/sitzungen/{meeting_id}")
    with app.app_context():
        for i in range(25):
            parent = agenda.add_free_item(
                user(OFFICE), fresh(meeting_id), title=f"Punkt {i}", public=bool(i % 3)
            )
            agenda.add_free_item(
                user(OFFICE), fresh(meeting_id), title=f"Unterpunkt {i}", parent_id=parent.id
            )
    with count_queries() as many:
        response = office.get(f"/sitzungen/{meeting_id}")
    assert "Unterpunkt 24" in response.get_data(as_text=True)
    with count_queries() as many_member:
        member.get(f"/sitzungen/{meeting_id}")
    assert many.count <= few.count
    assert many_member.count <= few_member.count
