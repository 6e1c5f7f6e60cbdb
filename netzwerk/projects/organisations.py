"""Partners as organisations of the network.

A project lead proposes a new partner organisation for their project
(:func:`propose`): it is stored inactive (it appears in no choice list)
until the Bildungsbüro confirms it (:func:`confirm`), which activates it and
adds it as a partner of the proposing project with the proposed role.
A partner organisation's page shows every project it is part of and their
reach across the network (:func:`partner_overview`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ..audit.services import record
from ..auth.models import User
from ..database import utcnow, write_transaction
from ..extensions import db
from ..governance.models import Organisation, OrganisationKind, Person
from ..rules import checked_text
from .models import OrganisationProposal, Project, ProjectPartner
from .services import ProjectError, may_manage
from .vocab import REACH_CODE

KINDS = {k.value for k in OrganisationKind}


def propose(
    user: User,
    project: Project,
    *,
    name: str,
    kind: str,
    role: str = "",
    website: str = "",
    email: str = "",
) -> OrganisationProposal:
    if not may_manage(user, project):
        raise ProjectError(_("You cannot change this project."))
    clean_name = checked_text(name, "name", 200, error=ProjectError, required=True)
    if kind not in KINDS:
        raise ProjectError(_("Please choose the kind of organisation."), "kind")
    clean_role = checked_text(role, "role", 100, error=ProjectError)
    clean_website = checked_text(website, "website", 300, error=ProjectError)
    clean_email = checked_text(email, "email", 254, error=ProjectError)
    if clean_email and ("@" not in clean_email or " " in clean_email):
        raise ProjectError(_("Please enter a valid e-mail address."), "email")
    exists = db.session.scalar(
        select(Organisation.id).where(func.lower(Organisation.name) == clean_name.lower())
    )
    if exists is not None:
        raise ProjectError(
            _("An organisation of this name exists already: please choose it."), "name"
        )
    project_id = project.id
    with write_transaction():
        organisation = Organisation(
            name=clean_name,
            kind=kind,
            website=clean_website or None,
            email=clean_email or None,
            active=False,
        )
        db.session.add(organisation)
        db.session.flush()
        proposal = OrganisationProposal(
            organisation_id=organisation.id,
            project_id=project_id,
            role=clean_role or None,
            proposed_by_id=user.id,
        )
        db.session.add(proposal)
        db.session.flush()
        record(
            "project.organisation_proposed",
            "project",
            project_id,
            actor_id=user.id,
            data={"organisation_id": organisation.id, "name": clean_name},
        )
    return proposal


def open_proposals() -> Sequence[OrganisationProposal]:
    return db.session.scalars(
        select(OrganisationProposal)
        .options(joinedload(OrganisationProposal.organisation))
        .where(OrganisationProposal.confirmed_at.is_(None))
        .order_by(OrganisationProposal.proposed_at, OrganisationProposal.id)
    ).all()


def proposals_of_project(project_id: int) -> Sequence[OrganisationProposal]:
    return db.session.scalars(
        select(OrganisationProposal)
        .options(joinedload(OrganisationProposal.organisation))
        .where(
            OrganisationProposal.project_id == project_id,
            OrganisationProposal.confirmed_at.is_(None),
        )
    ).all()


def confirm(user: User, proposal_id: int) -> OrganisationProposal:
    """The Bildungsbüro confirms: the organisation becomes active and a
    partner of the proposing project."""
    if not user.is_staff:
        raise ProjectError(_("Only the Bildungsbüro confirms organisations."))
    if not 0 < proposal_id < 2**31:
        raise ProjectError(_("This proposal is not open (any more)."))
    with write_transaction():
        proposal = db.session.get(OrganisationProposal, proposal_id, with_for_update=True)
        if proposal is None or proposal.confirmed_at is not None:
            raise ProjectError(_("This proposal is not open (any more)."))
        proposal.confirmed_at = utcnow()
        proposal.confirmed_by_id = user.id
        organisation = proposal.organisation
        organisation.active = True
        if proposal.project_id is not None:
            already = db.session.scalar(
                select(ProjectPartner.id).where(
                    ProjectPartner.project_id == proposal.project_id,
                    ProjectPartner.organisation_id == organisation.id,
                )
            )
            if already is None:
                db.session.add(
                    ProjectPartner(
                        project_id=proposal.project_id,
                        organisation_id=organisation.id,
                        role=proposal.role or organisation.kind_label,
                    )
                )
        record(
            "project.organisation_confirmed",
            "organisation",
            organisation.id,
            actor_id=user.id,
            data={"proposal_id": proposal.id, "project_id": proposal.project_id},
        )
    return proposal


def contact_choices(organisation_id: int | None) -> list[tuple[int, str]]:
    """Active persons of one organisation (the partner form's contact list)."""
    if organisation_id is None:
        return []
    rows = db.session.execute(
        select(Person.id, Person.first_name, Person.last_name)
        .where(Person.organisation_id == organisation_id, Person.active)
        .order_by(Person.last_name, Person.first_name)
    ).all()
    return [(r.id, f"{r.last_name}, {r.first_name}") for r in rows]


def contacts_by_organisation() -> dict[str, list[tuple[str, str]]]:
    """Every active person, grouped by their active organisation (optgroups)."""
    rows = db.session.execute(
        select(Person.id, Person.first_name, Person.last_name, Organisation.name)
        .join(Organisation, Person.organisation_id == Organisation.id)
        .where(Person.active, Organisation.active)
        .order_by(Organisation.name, Person.last_name, Person.first_name)
    ).all()
    groups: dict[str, list[tuple[str, str]]] = {}
    for r in rows:
        groups.setdefault(r.name, []).append((str(r.id), f"{r.last_name}, {r.first_name}"))
    return groups


@dataclass(frozen=True)
class PartnerOverview:
    projects: int
    reach: int
    reach_of: dict[int, int]


def partner_overview(user: Any, rows: Sequence[tuple[ProjectPartner, Project]]) -> PartnerOverview:
    """How many (visible) projects and how many people they reached in all."""
    from .portfolio import latest_values

    ids = [project.id for _partner, project in rows]
    values = latest_values(ids) if ids else {}
    reach_of = {pid: values.get(pid, {}).get(REACH_CODE, 0) for pid in ids}
    return PartnerOverview(len(ids), sum(reach_of.values()), reach_of)
