"""List pages and "Meine Gremien" send as many queries for much data as for little."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from netzwerk.extensions import db
from netzwerk.governance.bodies import create_body
from netzwerk.governance.memberships import add_membership
from netzwerk.governance.models import Body, Membership, Person
from netzwerk.governance.organisations import create_organisation
from netzwerk.governance.persons import create_person


def _queries(client, count_queries, url: str) -> int:  # type: ignore[no-untyped-def]
    with count_queries() as counter:
        response = client.get(url)
    assert response.status_code == 200
    return counter.count


def _add_organisations(app, start: int, n: int) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        for i in range(start, start + n):
            org = create_organisation({"name": f"Testverein {i:03d}", "kind": "other"})
            for k in range(2):
                create_person(
                    {"first_name": f"P{k}", "last_name": f"Verein{i}", "organisation_id": org.id}
                )
        db.session.remove()


def test_organisation_list_stays_flat(client_as, app, count_queries):
    client = client_as("office")
    _add_organisations(app, 0, 3)
    url = "/verwaltung/organisationen/?q=Testverein"
    few = _queries(client, count_queries, url)
    _add_organisations(app, 3, 30)
    many = _queries(client, count_queries, url)
    assert "Testverein 024" in client.get(url).get_data(as_text=True)
    assert many == few
    assert _queries(client, count_queries, url + "&page=2") == few


def test_person_and_body_lists_stay_flat(client_as, app, count_queries):
    client = client_as("office")
    persons_few = _queries(client, count_queries, "/verwaltung/personen/")
    bodies_few = _queries(client, count_queries, "/verwaltung/gremien/")
    _add_organisations(app, 0, 20)
    with app.app_context():
        for i in range(10):
            create_body(
                {
                    "name": f"AG Test {i}",
                    "short_name": f"T{i}",
                    "kind": "working_group",
                    "notice_days": 7,
                    "quorum_rule": "none",
                    "majority_rule": "simple",
                    "parent_id": db.session.scalar(select(Body.id).where(Body.short_name == "BK")),
                }
            )
        db.session.remove()
    assert _queries(client, count_queries, "/verwaltung/personen/") == persons_few
    assert _queries(client, count_queries, "/verwaltung/gremien/") == bodies_few


def test_my_bodies_stays_flat(client_as, app, count_queries, lookup):
    client = client_as("member")
    few = _queries(client, count_queries, "/meine-gremien")
    person = lookup.person("Ahlers")
    with app.app_context():
        bodies = db.session.scalars(
            select(Body.id).where(Body.short_name.in_(["AG ÜSB", "AG UT", "AG DK", "AG BM"]))
        ).all()
        others = db.session.scalars(select(Person.id).where(Person.id != person)).all()
        for body_id in bodies:
            add_membership(
                body_id,
                {"person_id": person, "role": "member", "start_date": date(2026, 1, 1)},
            )
            taken = set(
                db.session.scalars(
                    select(Membership.person_id).where(Membership.body_id == body_id)
                )
            )
            for other in [p for p in others if p not in taken][:6]:
                add_membership(
                    body_id,
                    {"person_id": other, "role": "guest", "start_date": date(2026, 1, 1)},
                )
        db.session.remove()
    html = client.get("/meine-gremien").get_data(as_text=True)
    assert "AG Bildungsmonitoring" in html and "Vorstandskonferenz" in html
    many = _queries(client, count_queries, "/meine-gremien")
    assert many == few


def test_my_bodies_shows_members_and_roles(client_as):
    html = client_as("member").get("/meine-gremien").get_data(as_text=True)
    assert "Vorstandskonferenz" in html and "Bildungskonferenz" in html
    assert "Markus Feldkamp" in html
    assert "Vorsitz" in html and "Geschäftsstelle" in html
    assert "Ihre Rolle: Stellvertretender Vorsitz" in html
    assert "Stellvertretung von Olena Kovalenko" in html
