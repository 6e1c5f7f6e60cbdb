"""Demo projects of the Osnabrück network, led by projekt@osnabrueck.example.

Idempotent: when "MINT-Forscherwerkstatt" exists, nothing is changed.  The
MINT project goes the real way: submitted, reviewed, decided by the
Vorstandskonferenz in a circular resolution (decision in the register),
approved and started, with milestones and a first status report.
"Demokratie-Theater" is submitted and waits for the Bildungsbüro.

The demo names no state or transition: it moves a project or paper, as a
given user, along the shortest path of its definition into a state with a
given flag (:func:`advance`), taking only the steps the user may take.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from ..auth.models import User
from ..database import utcnow
from ..extensions import db
from ..governance.models import ActionField, Body, Membership, Organisation
from ..papers.models import Paper
from ..timeutil import local_today
from ..voting import services as voting
from ..workflow import services as workflow
from ..workflow.definition import State, Transition
from . import approval, services
from .models import Project

LEAD_EMAIL = "projekt@osnabrueck.example"
OFFICE_EMAIL = "buero@osnabrueck.example"


def _user(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email))


def _org(name: str) -> int | None:
    return db.session.scalar(select(Organisation.id).where(Organisation.name == name))


def _field(slug: str) -> int | None:
    return db.session.scalar(select(ActionField.id).where(ActionField.slug == slug))


def load_projects_demo() -> bool:
    if db.session.scalar(select(Project.id).where(Project.title == "MINT-Forscherwerkstatt")):
        return False
    lead, office = _user(LEAD_EMAIL), _user(OFFICE_EMAIL)
    mint_field, culture_field = _field("wirtschaft-umwelt-technik"), _field("demokratie-kultur")
    if lead is None or office is None or mint_field is None or culture_field is None:
        return False
    today = local_today()

    mint = _new_project(
        lead,
        "MINT-Forscherwerkstatt",
        "Kinder und Jugendliche aus dem Schinkel bauen mit einem Solartechnik-"
        "Unternehmen kleine Solaranlagen, messen Erträge und stellen ihre Ergebnisse "
        "aus. Ziel: Interesse an Naturwissenschaft und Technik wecken und Wege in "
        "MINT-Ausbildungen zeigen.",
        mint_field,
        (-60, 300),
        (
            ("Hasetal Solartechnik GmbH", "KMU-Partner"),
            ("Gesamtschule Schinkel", "Schulpartner"),
            ("Hochschule Osnabrück", "Hochschulpartner"),
        ),
        budget="18500,00",
        report_interval_months=3,
        target_groups=["children", "young_people", "migration"],
    )
    school_id = _org("Gesamtschule Schinkel")
    for title, days, weight, progress, owner in (
        ("Werkstattraum und Material beschafft", -30, 1, 100, None),
        ("Erste Forscherwoche mit 3 Klassen", 20, 3, 40, school_id),
        ("Ausstellung der Ergebnisse", 240, 2, 0, None),
    ):
        services.add_milestone(
            lead,
            mint,
            title=title,
            due_date=today + timedelta(days=days),
            weight=weight,
            progress=progress,
            partner_organisation_id=owner,
        )
    mint_id = mint.id
    if _apply(lead, office, mint_id):
        # The closed vote approved the project in its own transaction.
        advance(lead, _reload(mint_id), flag("running"), _fire_project)
        services.add_report(
            lead,
            _reload(mint_id),
            report_date=today - timedelta(days=5),
            text=(
                "Die Werkstatt ist eingerichtet; die erste Forscherwoche läuft mit zwei "
                "Klassen der Gesamtschule Schinkel."
            ),
            values={"participants": 48, "events": 4, "schools": 1},
        )
        _partner_portal_demo(lead, mint_id, school_id)

    theatre = _new_project(
        lead,
        "Demokratie-Theater",
        "Schülerinnen und Schüler entwickeln mit der Theaterpädagogik ein Stück über "
        "Mitbestimmung in ihrer Stadt und spielen es vor dem Stadtrat.",
        culture_field,
        (30, 270),
        (("Theater Osnabrück", "Kulturpartner"), ("Ratsgymnasium Osnabrück", "Schulpartner")),
        report_interval_months=6,
        target_groups=["young_people", "pupils"],
    )
    services.add_milestone(
        lead,
        theatre,
        title="Stückentwicklung abgeschlossen",
        due_date=today + timedelta(days=120),
        weight=2,
    )
    _submit(lead, theatre.id)
    _more_projects(lead, office, mint_field, culture_field)
    return True


def _new_project(
    lead: User,
    title: str,
    goals: str,
    field_id: int,
    days: tuple[int, int],
    partners: tuple[tuple[str, str], ...],
    **extra: Any,
) -> Project:
    today = local_today()
    project = services.create_project(
        lead,
        services.ProjectData(
            title=title,
            goals=goals,
            action_field_id=field_id,
            lead_person_id=lead.person_id,
            start_date=today + timedelta(days=days[0]),
            end_date=today + timedelta(days=days[1]),
            public=True,
            **extra,
        ),
    )
    for org_name, role in partners:
        org_id = _org(org_name)
        if org_id is not None:
            services.add_partner(lead, project, organisation_id=org_id, role=role)
    return project


def _more_projects(lead: User, office: User, tech_field: int, culture_field: int) -> None:
    """The other stages: a finished project (approved, run, reported, closed),
    one approved in a circular resolution still open, and an idea."""
    today = local_today()
    museum = _new_project(
        lead,
        "Stadtgeschichte(n) – Jugendliche führen durchs Museumsquartier",
        "Schülerinnen und Schüler erarbeiten mit dem Museumsquartier eigene Führungen "
        "zur Geschichte des Westfälischen Friedens und führen Gäste durch die Ausstellung.",
        culture_field,
        (-330, -30),
        (
            ("Museumsquartier Osnabrück", "Kulturpartner"),
            ("Ratsgymnasium Osnabrück", "Schulpartner"),
            ("Universität Osnabrück", "Wissenschaftliche Begleitung"),
        ),
        budget="9800,00",
        report_interval_months=6,
        target_groups=["young_people", "pupils"],
    )
    services.add_milestone(
        lead,
        museum,
        title="Erste öffentliche Führung",
        due_date=today - timedelta(days=120),
        weight=2,
        progress=100,
    )
    museum_id = museum.id
    if _apply(lead, office, museum_id):
        advance(lead, _reload(museum_id), flag("running"), _fire_project)
        for days, text, values in (
            (-200, "Zwölf Jugendliche sind als Guides ausgebildet.", {"participants": 12}),
            (
                -35,
                "Zwanzig Führungen mit rund 400 Gästen; das Museum übernimmt das Format.",
                {"participants": 400, "events": 20, "schools": 1},
            ),
        ):
            services.add_report(
                lead,
                _reload(museum_id),
                report_date=today + timedelta(days=days),
                text=text,
                values=values,
            )
        advance(lead, _reload(museum_id), _finished, _fire_project)

    lab = _new_project(
        lead,
        "Umweltlabor macht Schule",
        "Ein Umweltlabor, die Hochschule und zwei Grundschulen untersuchen mit Kindern "
        "Wasserqualität und Artenvielfalt an der Hase; ein Metallbaubetrieb baut die "
        "Messstationen mit Auszubildenden.",
        tech_field,
        (45, 500),
        (
            ("Grünfeld Umweltlabor GmbH", "KMU-Partner"),
            ("Werkstatt Wüste Metallbau GmbH", "KMU-Partner"),
            ("Hochschule Osnabrück", "Hochschulpartner"),
            ("Grundschule Widukindland", "Schulpartner"),
        ),
        budget="24000,00",
        target_groups=["children"],
    )
    _apply(lead, office, lab.id, ballots=4)  # the circular resolution runs

    _new_project(
        lead,
        "Klimadetektive Hasetal",
        "Idee: Jugendliche messen mit einem Solartechnik-Unternehmen den Energieverbrauch "
        "ihrer Schule und schlagen Einsparungen vor.",
        tech_field,
        (120, 480),
        (("Hasetal Solartechnik GmbH", "KMU-Partner"),),
        target_groups=["young_people"],
    )


def _apply(lead: User, office: User, project_id: int, ballots: int | None = None) -> bool:
    """The lead applies, the Bildungsbüro reviews and the Vorstandskonferenz
    decides in a circular resolution (see :func:`_decide`); True when decided."""
    _submit(lead, project_id)
    advance(office, _reload(project_id), flag("open_for_voting"), _fire_project)
    paper_id = _reload(project_id).paper_id
    return paper_id is not None and _decide(paper_id, office, ballots) and ballots is None


def _finished(state: State) -> bool:
    """Closed after it ran: final and still approved."""
    return state.final and "approved" in state.flags


def _partner_portal_demo(lead: User, project_id: int, school_id: int | None) -> None:
    """The school's contact person is invited to the partner portal and has
    sent participant numbers that wait for the lead.  The link's token is
    only in the invitation mail (the demo's mail folder), never printed."""
    from ..governance.models import Person
    from . import partner_portal

    project = _reload(project_id)
    partner = next((p for p in project.partners if p.organisation_id == school_id), None)
    contact = db.session.scalar(
        select(Person.id).where(Person.organisation_id == school_id, Person.email.is_not(None))
    )
    if partner is None or contact is None:
        return
    invitation, _token = partner_portal.invite(
        lead, project, partner_id=partner.id, contact_person_id=contact
    )
    today = local_today()
    partner_portal.record_participants(
        invitation,
        period_start=today - timedelta(days=30),
        period_end=today - timedelta(days=1),
        participants=23,
        note="Zweite Forscherwoche mit der Klasse 6b.",
    )


# --- moving along the workflow by flags ----------------------------------------------------

COMMENT = "Vollständig, ohne Vorberatung."


def flag(name: str) -> Callable[[State], bool]:
    """A wanted state: one that carries the flag ``name``."""
    return lambda state: name in state.flags


def _submitted(state: State) -> bool:
    """Out of the author's draft and still under way."""
    return not state.final and "editable_by_author" not in state.flags


def _fire_project(user: User, obj: Any, transition: Transition, comment: str | None) -> Any:
    return approval.fire_project_transition(user, obj, transition.name, comment=comment)


def _fire(user: User, obj: Any, transition: Transition, comment: str | None) -> Any:
    return workflow.fire(user, obj, transition.name, comment=comment)


def advance(
    user: User,
    obj: Any,
    wanted: Callable[[State], bool],
    fire: Callable[[User, Any, Transition, str | None], Any] = _fire,
) -> bool:
    """Take, as ``user``, the steps the user may take along the shortest path
    into a state ``wanted`` accepts (the engine's ``fire_to_flag``; a step
    that requires a comment gets the demo's); True when the object is in one."""

    def step(person: User, target: Any, transition: Transition, comment: str | None) -> Any:
        result = fire(person, target, transition, comment if transition.comment_required else None)
        db.session.expire_all()
        return result

    try:
        obj = workflow.fire_to_flag(user, obj, wanted, comment=COMMENT, fire_step=step)
    except workflow.WorkflowError:
        return False
    return wanted(workflow.definition_of(obj).states[obj.state])


def _submit(lead: User, project_id: int) -> bool:
    return advance(lead, _reload(project_id), _submitted, _fire_project)


def _reload(project_id: int) -> Project:
    db.session.expire_all()
    project = db.session.get(Project, project_id)
    assert project is not None
    return project


def _decide(paper_id: int, office: User, ballots: int | None = None) -> bool:
    """The Bildungsbüro puts the paper before its body in a circular
    resolution; every member votes yes and it is closed – or, with
    ``ballots``, only so many have voted and it is still open."""
    paper = db.session.get(Paper, paper_id)
    if paper is None:
        return False
    try:
        if not advance(office, paper, flag("open_for_voting")):
            return False
    except (workflow.WorkflowError, LookupError):
        return False
    paper = db.session.get(Paper, paper_id)
    assert paper is not None
    body_id = paper.body_id
    poll = voting.start_circular_resolution(
        body_id=body_id,
        subject_type="paper",
        subject_id=paper_id,
        title=paper.title,
        question="Die Vorstandskonferenz genehmigt das Projekt.",
        closes_at=utcnow() + timedelta(days=7),
        actor=office,
    )
    voters = db.session.scalars(
        select(Membership.person_id)
        .join(Body, Membership.body_id == Body.id)
        .where(Membership.body_id == body_id, Membership.voting_right)
    ).all()
    for person_id in voters[:ballots]:
        voting.cast_ballot(poll.id, person_id, "yes")
    if ballots is None:
        voting.close_poll(poll.id, office)
    return True
