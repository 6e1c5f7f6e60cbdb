"""The visibility policy (``netzwerk/visibility.py``): for every rule, the SQL
filter selects exactly the objects the Python check allows, for every kind of
viewer; and what the rules say for a few telling cases.

The rows are built directly (no services, no demo network): two bodies, one
public and one not; for each, meetings public and not in every kind of state
(also in a definition with a second planned state, and in an older version of
the default definition where a state name means something else), agenda items
of the public and the non-public part, papers public or not and submitted or
not, consultations, decisions, action items, polls in every state on every
kind of subject, minutes drafted and approved, projects, counselling cases and
offers.  The viewers: anybody, a member of either body, a former member,
somebody signed in without a seat, an inactive account, the office, an
administrator and counselling staff.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import yaml
from conftest import load_once
from flask import Flask
from sqlalchemy import func, select

from netzwerk import visibility as vis
from netzwerk.auth.models import User
from netzwerk.counselling.models import CounsellingCase, CounsellingStaff, Offer
from netzwerk.decisions.models import ActionItem, Decision
from netzwerk.extensions import db
from netzwerk.governance.models import ActionField, Body, Membership, Organisation, Person
from netzwerk.meetings.models import MEETING_FLAGS, AgendaItem, Location, Meeting
from netzwerk.minutes.models import Minutes
from netzwerk.papers.models import Consultation, Paper, PaperAttachment
from netzwerk.projects.models import Project
from netzwerk.timeutil import local_today
from netzwerk.voting.models import Poll
from netzwerk.workflow.catalog import get_catalog
from netzwerk.workflow.definition import WorkflowDefinition, content_hash
from netzwerk.workflow.models import WorkflowDefinitionVersion

MARK = "GEHEIM"  # in the title of everything of the non-public body

# The kinds of meeting state, by flags (never by name).
MEETING_KINDS = ("planned", "invited", "in_session", "closed", "cancelled")

USERS = ("pub", "priv", "former", "none", "inactive", "office", "admin", "counselling")


# --- building the matrix --------------------------------------------------------------------


def _default(slot: str) -> WorkflowDefinition:
    found = get_catalog().default_for(slot)
    assert found is not None, slot
    return found


def _meeting_state(definition: WorkflowDefinition, kind: str) -> str:
    for name, state in definition.states.items():
        flags = state.flags & MEETING_FLAGS
        if kind == "planned" and not flags:
            return name
        if kind == "invited" and flags == {"invited"}:
            return name
        if kind != "planned" and kind in flags and kind != "invited":
            return name
    raise AssertionError(f"{definition.name} has no {kind} state")


def _state(definition: WorkflowDefinition, *, flag: str | None = None, final: bool = False) -> str:
    for name, state in definition.states.items():
        if flag is not None and flag not in state.flags:
            continue
        if flag is None and state.flags:
            continue
        if final and not state.final:
            continue
        return name
    raise AssertionError(f"{definition.name}: no state with {flag!r} final={final}")


def _workflow(definition: WorkflowDefinition, state: str) -> dict[str, Any]:
    return {"workflow_name": definition.name, "workflow_hash": definition.hash, "state": state}


def _older_meeting_version(current: WorkflowDefinition) -> tuple[WorkflowDefinition, str]:
    """A stored older version of the default meeting definition in which the
    state that means "invited" today carries no flag (it was a planned state
    then): its name means two things, so SQL must ask per version."""
    invited = _meeting_state(current, "invited")
    data = yaml.safe_load(current.source)
    data["states"][invited].pop("flags", None)
    data["description"] = "An older version."
    source = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    hash_ = content_hash(source)
    db.session.add(
        WorkflowDefinitionVersion(
            name=current.name,
            hash=hash_,
            applies_to="meeting",
            file_name="older.yaml",
            source=source,
        )
    )
    db.session.flush()
    return get_catalog().version(current.name, hash_), invited


def build_matrix() -> None:
    today = local_today()
    when = datetime(2026, 6, 20, 16, 0, tzinfo=UTC)

    pub = Body(name="Öffentliches Gremium", short_name="PUB", kind="board", public=True)
    priv = Body(name=f"{MARK} Gremium", short_name="PRIV", kind="board", public=False)
    db.session.add_all([pub, priv])
    field = ActionField(name="Übergänge", slug="uebergaenge")
    org = Organisation(name="Schule am Markt", kind="school")
    gone_org = Organisation(name="Ehemalige Schule", kind="school", active=False)
    db.session.add_all([field, org, gone_org])
    db.session.flush()

    def person(key: str) -> Person:
        found = Person(first_name=key.title(), last_name="Muster", email=f"{key}@example.org")
        db.session.add(found)
        db.session.flush()
        return found

    def seat(who: Person, body: Body, start: date, end: date | None = None) -> None:
        db.session.add(
            Membership(
                person_id=who.id, body_id=body.id, role="member", start_date=start, end_date=end
            )
        )

    people = {key: person(key) for key in (*USERS, "nouser", "future", "loner")}
    seat(people["pub"], pub, today - timedelta(days=100))
    seat(people["priv"], priv, today - timedelta(days=100))
    seat(people["former"], priv, today - timedelta(days=400), today - timedelta(days=1))
    seat(people["inactive"], priv, today - timedelta(days=100))
    seat(people["nouser"], priv, today - timedelta(days=100))
    seat(people["future"], pub, today + timedelta(days=10))
    for key in USERS:
        db.session.add(
            User(
                person_id=people[key].id,
                email=f"{key}@example.org",
                password_hash="x",
                is_office=key == "office",
                is_admin=key == "admin",
                active=key != "inactive",
            )
        )
    db.session.flush()
    counselling_user = db.session.scalar(
        select(User).where(User.email == "counselling@example.org")
    )
    assert counselling_user is not None
    db.session.add(CounsellingStaff(user_id=counselling_user.id))

    places = {
        key: Location(name=f"{'' if key == 'pub' else MARK} Ort {key}".strip())
        for key in ("pub", "priv", "planned", "unused")
    }
    db.session.add_all(places.values())
    db.session.flush()

    # Meetings: body x public x kind of state, in the default definition; one
    # per body in the second planned state of another definition; two in an
    # older version of the default definition.
    default = _default("meeting")
    other = next(
        d
        for d in get_catalog().for_object_type("meeting")
        if d.name != default.name
        and sum(1 for s in d.states.values() if not s.flags & MEETING_FLAGS) > 1
    )
    other_planned = next(
        n for n, s in other.states.items() if not s.flags & MEETING_FLAGS and n != other.initial
    )
    older, invited_then_planned = _older_meeting_version(default)
    seqs = {pub.id: 0, priv.id: 0}

    def meeting(body: Body, public: bool, label: str, workflow: dict[str, Any]) -> Meeting:
        seqs[body.id] += 1
        if body is priv or not public:
            place = places["priv"]
        else:
            place = places["planned" if label.startswith("planned") else "pub"]
        mark = "" if body is pub else f"{MARK} "
        found = Meeting(
            body_id=body.id,
            year=2026,
            seq=seqs[body.id],
            title=f"{mark}{body.short_name} {'public' if public else 'internal'} {label}",
            starts_at=when + timedelta(days=seqs[body.id]),
            public=public,
            location_id=place.id,
            **workflow,
        )
        db.session.add(found)
        return found

    meetings: list[Meeting] = []
    for body in (pub, priv):
        for public in (True, False):
            for kind in MEETING_KINDS:
                state = _meeting_state(default, kind)
                meetings.append(meeting(body, public, kind, _workflow(default, state)))
        meetings.append(
            meeting(body, True, "planned (second state)", _workflow(other, other_planned))
        )
        meetings.append(
            meeting(body, True, "planned (older version)", _workflow(older, invited_then_planned))
        )
        meetings.append(
            meeting(
                body,
                True,
                "in_session (older version)",
                _workflow(older, _meeting_state(older, "in_session")),
            )
        )
    db.session.flush()

    # Agenda: a public and a non-public main item, a public sub-item of each,
    # a withdrawn public item.
    for m in meetings:
        mark = m.title or ""
        top = AgendaItem(meeting_id=m.id, position=0, title=f"{mark}: public item", public=True)
        hidden = AgendaItem(meeting_id=m.id, position=1, title=f"{mark}: hidden item", public=False)
        db.session.add_all([top, hidden])
        db.session.flush()
        db.session.add_all(
            [
                AgendaItem(
                    meeting_id=m.id, parent_id=top.id, title=f"{mark}: public sub-item", public=True
                ),
                AgendaItem(
                    meeting_id=m.id,
                    parent_id=hidden.id,
                    title=f"{mark}: public sub-item of the hidden part",
                    public=True,
                ),
                AgendaItem(
                    meeting_id=m.id,
                    position=2,
                    title=f"{mark}: withdrawn item",
                    public=True,
                    withdrawn=True,
                ),
            ]
        )

    # Papers: body x public x submitted (numbered); authors alternate.
    resolution = _default("paper:resolution")
    papers: list[Paper] = []
    for body in (pub, priv):
        for public in (True, False):
            for numbered in (True, False):
                n = len(papers) + 1
                author = people["none"] if n % 2 else people["priv"]
                mark = "" if body is pub and public and numbered else f"{MARK} "
                paper = Paper(
                    number=f"V-{n:03d}/2026" if numbered else None,
                    title=f"{mark}Vorlage {n}",
                    kind="resolution",
                    author_person_id=author.id,
                    body_id=body.id,
                    public=public,
                    **_workflow(resolution, resolution.initial),
                )
                db.session.add(paper)
                papers.append(paper)
    db.session.flush()
    for paper in papers:
        digest = hashlib.sha256(str(paper.id).encode()).hexdigest()
        db.session.add(
            PaperAttachment(
                paper_id=paper.id,
                filename="anlage.txt",
                content_type="text/plain",
                size=1,
                sha256=digest,
            )
        )
        for body in (pub, priv):
            db.session.add(Consultation(paper_id=paper.id, body_id=body.id, role="deciding"))

    # Decisions and their action items.
    action = _default("action_item")
    decision_seq = 0
    for body in (pub, priv):
        for subject_public in (True, False):
            decision_seq += 1
            decision = Decision(
                body_id=body.id,
                year=2026,
                seq=decision_seq,
                number=f"{body.short_name}/2026/{decision_seq:03d}",
                title=f"Beschluss {decision_seq}",
                outcome="adopted",
                yes_count=3,
                no_count=0,
                abstain_count=0,
                voting_members=3,
                majority_rule="simple",
                subject_public=subject_public,
            )
            db.session.add(decision)
            db.session.flush()
            db.session.add_all(
                [
                    ActionItem(
                        decision_id=decision.id,
                        title="Umsetzen (Person)",
                        responsible_person_id=people["none"].id,
                        **_workflow(action, action.initial),
                    ),
                    ActionItem(
                        decision_id=decision.id,
                        title="Umsetzen (Organisation)",
                        responsible_organisation_id=org.id,
                        **_workflow(action, action.initial),
                    ),
                ]
            )

    # Projects: public x (draft, a public state, neither) x lead.
    project_def = _default("project")
    project_states = {
        "draft": _state(project_def, flag="editable_by_author"),
        "public": _state(project_def, flag="public"),
        "neither": _state(project_def, final=True),
    }
    projects: list[Project] = []
    for public in (True, False):
        for label, state in project_states.items():
            for lead in ("none", "pub"):
                project = Project(
                    title=f"Projekt {label} {'public' if public else 'internal'} {lead}",
                    action_field_id=field.id,
                    lead_person_id=people[lead].id,
                    created_by_person_id=people[lead].id,
                    public=public,
                    **_workflow(project_def, state),
                )
                db.session.add(project)
                projects.append(project)
    db.session.flush()

    # Polls: body x state x subject.
    items = {i.title: i for i in db.session.scalars(select(AgendaItem))}
    pub_public_meeting = meetings[MEETING_KINDS.index("closed")]
    pub_closed_meeting = meetings[len(MEETING_KINDS) + MEETING_KINDS.index("closed")]
    subjects: list[tuple[str, int | None]] = [
        ("paper", papers[0].id),  # public, submitted, public body
        ("paper", papers[2].id),  # not public
        ("paper", papers[4].id),  # public paper of the non-public body
        ("agenda_item", items[f"{pub_public_meeting.title}: public item"].id),
        ("agenda_item", items[f"{pub_public_meeting.title}: hidden item"].id),
        ("agenda_item", items[f"{pub_closed_meeting.title}: public item"].id),
        ("meeting", pub_public_meeting.id),
        ("meeting", pub_closed_meeting.id),
        ("project", projects[1].id),  # public
        ("project", projects[-1].id),  # internal
        ("free", None),
    ]
    opened = when - timedelta(days=3)
    for body in (pub, priv):
        for state in ("draft", "open", "closed"):
            for subject_type, subject_id in subjects:
                extra: dict[str, Any] = {}
                if state != "draft":
                    extra["opened_at"] = opened
                if state == "closed":
                    extra |= {
                        "closed_at": opened + timedelta(days=1),
                        "result": "passed",
                        "yes_count": 3,
                        "no_count": 1,
                        "abstain_count": 0,
                    }
                db.session.add(
                    Poll(
                        body_id=body.id,
                        subject_type=subject_type,
                        subject_id=subject_id,
                        title=f"{body.short_name} {state} {subject_type} {subject_id}",
                        mode="circular",
                        majority_rule="simple",
                        quorum_rule="more_than_half",
                        state=state,
                        closes_at=when,
                        **extra,
                    )
                )

    # Minutes: a draft and an approved version of every meeting.
    minutes_def = _default("minutes")
    approved = _state(minutes_def, final=True, flag="public")
    for m in meetings:
        db.session.add_all(
            [
                Minutes(
                    meeting_id=m.id, version_no=1, **_workflow(minutes_def, minutes_def.initial)
                ),
                Minutes(
                    meeting_id=m.id,
                    version_no=2,
                    approved_at=when,
                    **_workflow(minutes_def, approved),
                ),
            ]
        )

    # Counselling.
    db.session.add_all([CounsellingCase(code="K-0001"), CounsellingCase(code="K-0002")])
    for organisation in (org, gone_org):
        for active in (True, False):
            db.session.add(Offer(organisation_id=organisation.id, title="Beratung", active=active))
    db.session.commit()


@pytest.fixture
def matrix(app: Flask, instant: datetime) -> Iterator[None]:
    load_once(app, build_matrix, instant)
    yield


@pytest.fixture
def ctx(app: Flask, matrix: None) -> Iterator[None]:
    with app.app_context():
        yield
        db.session.remove()


def viewers() -> dict[str, vis.Viewer]:
    found = {"anonymous": vis.viewer(None)}
    for key in USERS:
        user = db.session.scalar(select(User).where(User.email == f"{key}@example.org"))
        found[key] = vis.viewer(user)
    return found


def by_sql(rule: vis.Rule, viewer: vis.Viewer) -> set[int]:
    return set(db.session.scalars(select(rule.model.id).where(rule.sql(viewer))))


def by_check(rule: vis.Rule, viewer: vis.Viewer) -> set[int]:
    return {obj.id for obj in db.session.scalars(select(rule.model)) if rule.check(viewer, obj)}


# --- the two forms agree ----------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(vis.RULES))
def test_sql_filter_and_python_check_agree(ctx: None, kind: str) -> None:
    rule = vis.RULES[kind]
    total = db.session.scalar(select(func.count()).select_from(rule.model))
    seen_by: dict[str, int] = {}
    for name, viewer in viewers().items():
        allowed = by_check(rule, viewer)
        assert by_sql(rule, viewer) == allowed, f"{kind}: SQL and Python differ for {name}"
        seen_by[name] = len(allowed)
    # The matrix tells the viewers apart: somebody sees something, nobody but
    # staff or counselling staff sees everything of a kind that has a hidden part.
    assert total and max(seen_by.values()) > 0, seen_by
    assert min(seen_by.values()) < total, f"{kind}: everybody sees everything {seen_by}"


def test_every_rule_is_in_the_matrix(ctx: None) -> None:
    for kind, rule in vis.RULES.items():
        assert db.session.scalar(select(rule.model.id).limit(1)) is not None, kind


# --- what the rules say ----------------------------------------------------------------------


def _titles(model: Any, viewer: vis.Viewer, sql: Any) -> set[str]:
    return set(db.session.scalars(select(model.title).where(sql(viewer))))


def test_anybody_sees_public_meetings_of_public_bodies_once_out_of_planning(ctx: None) -> None:
    seen = _titles(Meeting, vis.ANONYMOUS, vis.meeting_filter)
    assert seen == {
        "PUB public invited",
        "PUB public in_session",
        "PUB public closed",
        "PUB public cancelled",
        "PUB public in_session (older version)",
    }


def test_members_see_their_bodies_meetings_in_full_and_nothing_more(ctx: None) -> None:
    v = viewers()
    full = _titles(Meeting, v["priv"], vis.meeting_in_full_filter)
    assert full and all(t.startswith(MARK) for t in full)
    assert len(full) == len(MEETING_KINDS) * 2 + 3
    assert _titles(Meeting, v["former"], vis.meeting_filter) == _titles(
        Meeting, vis.ANONYMOUS, vis.meeting_filter
    )
    assert _titles(Meeting, v["inactive"], vis.meeting_filter) == _titles(
        Meeting, vis.ANONYMOUS, vis.meeting_filter
    )
    assert _titles(Meeting, v["none"], vis.meeting_in_full_filter) == set()


def test_anybody_sees_only_the_public_part_of_public_meetings(ctx: None) -> None:
    seen = _titles(AgendaItem, vis.ANONYMOUS, vis.agenda_item_filter)
    assert seen and not any(MARK in t for t in seen)
    assert not any(t.endswith(("hidden item", "of the hidden part")) for t in seen)
    assert "PUB public closed: public sub-item" in seen
    assert "PUB public closed: withdrawn item" in seen  # shown struck out / as a stub


def test_papers_public_only_when_flagged_submitted_and_of_a_public_body(ctx: None) -> None:
    v = viewers()
    assert _titles(Paper, vis.ANONYMOUS, vis.paper_filter) == {"Vorlage 1"}
    by_author = _titles(Paper, v["none"], vis.paper_filter)  # authored the odd ones
    assert by_author == {"Vorlage 1", f"{MARK} Vorlage 3", f"{MARK} Vorlage 5", f"{MARK} Vorlage 7"}
    # the public one, the four of the own body, the own ones (2, 4, 6, 8)
    assert len(_titles(Paper, v["priv"], vis.paper_filter)) == 7


def test_poll_results_public_only_for_public_bodies_and_subjects(ctx: None) -> None:
    seen = _titles(Poll, vis.ANONYMOUS, vis.poll_result_filter)
    paper_id = db.session.scalar(select(Paper.id).where(Paper.title == "Vorlage 1"))
    assert all(t.startswith("PUB closed") for t in seen)
    assert f"PUB closed paper {paper_id}" in seen
    assert not any(" free " in t for t in seen)
    # the public paper and the public paper of the other body (the subject's own
    # flag counts, as in the decisions register), the public item, the public
    # meeting and the public project
    assert len(seen) == 5
    assert _titles(Poll, viewers()["counselling"], vis.poll_filter) == set()


def test_counselling_only_for_counselling_staff(ctx: None) -> None:
    for name, viewer in viewers().items():
        seen = by_sql(vis.RULES["counselling_case"], viewer)
        assert bool(seen) == (name == "counselling"), name


def test_contact_data_only_for_oneself_and_staff(ctx: None) -> None:
    v = viewers()
    everybody = db.session.scalar(select(func.count()).select_from(Person))
    assert by_sql(vis.RULES["contact_data"], vis.ANONYMOUS) == set()
    assert len(by_sql(vis.RULES["contact_data"], v["pub"])) == 1
    assert len(by_sql(vis.RULES["contact_data"], v["office"])) == everybody


def test_a_user_and_its_viewer_see_the_same(ctx: None) -> None:
    user = db.session.scalar(select(User).where(User.email == "priv@example.org"))
    meeting = db.session.scalar(
        select(Meeting).where(Meeting.title == f"{MARK} PRIV internal planned")
    )
    assert meeting is not None
    assert vis.may_see_meeting(user, meeting) and vis.may_see_meeting(vis.viewer(user), meeting)
    assert not vis.may_see_meeting(None, meeting)


# --- a public meeting of a NON-public body stays out of every public channel ---------------


def _hidden_public_meeting() -> Meeting:
    found = db.session.scalar(select(Meeting).where(Meeting.title == f"{MARK} PRIV public closed"))
    assert found is not None
    return found


def test_public_meeting_of_a_non_public_body_not_in_oparl_feeds_or_exports(
    app: Flask, matrix: None, client: Any
) -> None:
    with app.app_context():
        meeting = _hidden_public_meeting()
        meeting_id, body_id = meeting.id, meeting.body_id
        item_id = db.session.scalar(
            select(AgendaItem.id).where(AgendaItem.title == f"{meeting.title}: public item")
        )
    # the control: the same meeting of the public body is published
    assert client.get("/oparl/v1/body/1/meeting").status_code == 200
    answers = [
        client.get("/oparl/v1/body/1/meeting?elementsPerPage=100"),
        client.get("/oparl/v1/body/1/agenda-item?elementsPerPage=100"),
        client.get("/oparl/v1/body/1/organization?elementsPerPage=100"),
        client.get("/oparl/v1/body/1/location?elementsPerPage=100"),
        client.get("/offene-daten/abstimmungen.csv"),
    ]
    for answer in answers:
        assert answer.status_code == 200, answer.request.path
        assert MARK not in answer.get_data(as_text=True), answer.request.path
    assert "PUB public closed" in answers[0].get_data(as_text=True)
    # a state name that meant "planned" in the version the meeting is pinned to
    assert "PUB public planned" not in answers[0].get_data(as_text=True)
    for url in (
        f"/oparl/v1/meeting/{meeting_id}",
        f"/oparl/v1/agenda-item/{item_id}",
        f"/oparl/v1/organization/gremium/{body_id}",
        f"/oparl/v1/organization/gremium/{body_id}/meeting",
        f"/kalender/sitzung/{meeting_id}.ics",
        f"/kalender/gremium/{body_id}.ics",
    ):
        assert client.get(url).status_code == 404, url


def test_public_meeting_of_a_non_public_body_not_on_the_public_meeting_pages(
    app: Flask, matrix: None, client: Any
) -> None:
    with app.app_context():
        meeting_id = _hidden_public_meeting().id
    listing = client.get("/sitzungen/oeffentlich/")
    assert listing.status_code == 200
    assert "PUB public closed" in listing.get_data(as_text=True)
    assert MARK not in listing.get_data(as_text=True)
    assert "PUB public planned" not in listing.get_data(as_text=True)
    assert client.get(f"/sitzungen/oeffentlich/{meeting_id}").status_code == 404
    assert client.get(f"/sitzungen/oeffentlich/{meeting_id}/einladung.pdf").status_code == 404


def test_minutes_of_a_non_public_body_not_on_the_public_minutes_pages(
    app: Flask, matrix: None, client: Any
) -> None:
    with app.app_context():
        meeting_id = _hidden_public_meeting().id
        minutes_id = db.session.scalar(
            select(Minutes.id).where(Minutes.meeting_id == meeting_id, Minutes.version_no == 2)
        )
    listing = client.get("/oeffentlich/protokolle/")
    assert listing.status_code == 200
    assert MARK not in listing.get_data(as_text=True)
    assert client.get(f"/oeffentlich/protokolle/{minutes_id}").status_code == 404


def test_no_rule_is_written_twice_in_the_api_package() -> None:
    """The api package asks the policy; it spells no public flag itself."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "netzwerk" / "api"
    pattern = re.compile(r"\.public\b")
    offences = [
        f"{path.name}:{number}: {line.strip()}"
        for path in sorted(root.glob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert offences == []


def test_exports_select_what_the_policy_allows(ctx: None) -> None:
    from netzwerk.api import exports

    v = viewers()
    # the person responsible for an item sees it, as on the item's page,
    # though they hold no seat in the decision's body
    responsible = {i.id for i in exports.visible_action_items(v["none"])}
    assert len(responsible) == 4
    assert responsible == by_check(vis.RULES["action_item"], v["none"])
    assert exports.visible_action_items(None) == []
    for name in ("anonymous", "priv", "former", "office"):
        polls = {p.id for p in exports.visible_poll_results(v[name])}
        assert polls == by_check(vis.RULES["poll_result"], v[name]), name
