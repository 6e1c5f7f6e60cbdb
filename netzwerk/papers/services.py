"""Papers: who may see and create them, creating, editing, numbering, consultations."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from .. import visibility
from ..audit.services import record
from ..auth.models import User
from ..database import utcnow, write_transaction
from ..extensions import db
from ..governance.memberships import current_filter
from ..governance.models import Body, Membership
from ..rules import RuleError, without_bidi_controls
from ..timeutil import local_today, to_local
from ..workflow import services as workflow
from .models import Consultation, ConsultationResult, ConsultationRole, Paper, PaperKind

PAPER_LOCK_BASE = 0x50415000  # "PAP" + body id: serialises numbering per body


class PaperError(RuleError):
    """A paper rule was broken."""


def _my_body_ids(user: User) -> list[int]:
    return list(
        db.session.scalars(
            select(Membership.body_id).where(
                Membership.person_id == user.person_id, current_filter()
            )
        )
    )


def creatable_bodies(user: User) -> Sequence[Body]:
    """Staff may submit to every active body, others to the bodies they sit in."""
    stmt = select(Body).where(Body.active).order_by(Body.name)
    if not user.is_staff:
        stmt = stmt.where(Body.id.in_(_my_body_ids(user)))
    return db.session.scalars(stmt).all()


def visible_papers_query(user: User) -> Select[tuple[Paper]]:
    """The papers the user may see (the visibility policy's rule)."""
    stmt = (
        select(Paper)
        .options(joinedload(Paper.body), joinedload(Paper.author))
        .where(visibility.paper_filter(user))
    )
    return stmt.order_by(Paper.created_at.desc(), Paper.id.desc())


def may_view(user: User, paper: Paper) -> bool:
    return visibility.may_see_paper(user, paper)


def may_edit(user: User, paper: Paper) -> bool:
    """The author may edit while the state allows it (flag editable_by_author)."""
    if paper.author_person_id != user.person_id:
        return False
    state = workflow.definition_of(paper).states.get(paper.state)
    return bool(state and "editable_by_author" in state.flags)


def is_decided(paper: Paper) -> bool:
    """The paper's workflow has ended (decided, recommended, noted, rejected
    or withdrawn: a state the definition marks final).  Its text and
    attachments are then final too."""
    return workflow.is_final(paper)


def decided_message(paper: Paper) -> str:
    return _(
        "This paper is concluded (%(state)s); its attachments can no longer be changed.",
        state=workflow.definition_of(paper).state_title(paper.state),
    )


def _clean(title: str, body_text: str) -> tuple[str, str]:
    title = without_bidi_controls(title or "").strip()
    if not title:
        raise PaperError(_("Please enter a title."), "title")
    if len(title) > 300:
        raise PaperError(_("The title is too long (at most 300 characters)."), "title")
    return title, (body_text or "").strip()


def create_paper(
    user: User,
    *,
    body_id: int,
    kind: str,
    title: str,
    text: str = "",
    public: bool = False,
    now: datetime | None = None,
) -> Paper:
    """Create a paper in the first state of the workflow its body chose
    (``now``: when, for papers entered afterwards, as the demo's year)."""
    title, body_text = _clean(title, text)
    try:
        paper_kind = PaperKind(kind)
    except ValueError:
        raise PaperError(_("Please choose a kind of paper."), "kind") from None
    if body_id not in {b.id for b in creatable_bodies(user)}:
        raise PaperError(_("You cannot submit papers to this body."), "body_id")
    with write_transaction():
        paper = add_paper(
            user,
            author_person_id=user.person_id,
            body_id=body_id,
            kind=paper_kind,
            title=title,
            text=body_text,
            public=public,
            now=now,
        )
    return paper


def add_paper(
    actor: User | None,
    *,
    author_person_id: int,
    body_id: int,
    kind: PaperKind,
    title: str,
    text: str,
    public: bool = False,
    now: datetime | None = None,
) -> Paper:
    """Add a paper and start its workflow inside the caller's transaction.

    For other packages that create a paper as part of a larger change (a
    project proposal, feedback passed to a body): the caller checks who may
    do it and owns the transaction.
    """
    definition = workflow.workflow_for(body_id, kind.slot)
    paper = Paper(
        title=title,
        kind=kind.value,
        text=text,
        author_person_id=author_person_id,
        body_id=body_id,
        public=public,
        workflow_name=definition.name,
        workflow_hash=definition.hash,
        state=definition.initial,
        created_at=now or utcnow(),
    )
    db.session.add(paper)
    db.session.flush()
    workflow.start(paper, definition, actor, at=now)
    return paper


def update_paper(user: User, paper: Paper, *, title: str, text: str, public: bool) -> Paper:
    if not may_edit(user, paper):
        raise PaperError(_("This paper cannot be edited in its current state."))
    title, body_text = _clean(title, text)
    paper_id, state = paper.id, paper.state
    with write_transaction():
        # Edit only while the paper is still in the state the author saw.
        current = db.session.scalar(select(Paper).where(Paper.id == paper_id).with_for_update())
        if current is None or current.state != state:
            raise PaperError(_("The paper has changed its state in the meantime."))
        current.title = title
        current.text = body_text
        current.public = public
    return current


def assign_paper_number(paper: Paper, now: datetime | None = None) -> str:
    """Give the paper the next number of its body and year, e.g. VK/2026/007
    (the local year of ``now``, the instant of the step that numbers it)."""
    if paper.number:
        return paper.number
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(
            text("SELECT pg_advisory_xact_lock(:k)"), {"k": PAPER_LOCK_BASE + paper.body_id}
        )
    short_name = db.session.scalar(select(Body.short_name).where(Body.id == paper.body_id))
    year = to_local(now).year if now is not None else local_today().year
    prefix = f"{short_name}/{year}/"
    count = db.session.scalar(
        select(func.count(Paper.id)).where(Paper.number.like(prefix.replace("%", r"\%") + "%"))
    )
    number = f"{prefix}{(count or 0) + 1:03d}"
    paper.number = number
    db.session.flush()
    return number


def get_paper(paper_id: int) -> Paper | None:
    return db.session.scalar(
        select(Paper)
        .options(joinedload(Paper.body), joinedload(Paper.author))
        .where(Paper.id == paper_id)
    )


def paper_kind_choices() -> list[tuple[str, Any]]:
    return [(k.value, k.label) for k in PaperKind]


def state_titles(papers: Sequence[Paper]) -> dict[tuple[str, str, str], str]:
    """{(workflow, hash, state): title} for a list page (no queries per row)."""
    result = {}
    for paper in papers:
        key = (paper.workflow_name, paper.workflow_hash, paper.state)
        if key not in result:
            result[key] = workflow.definition_of(paper).state_title(paper.state)
    return result


# --- consultations ----------------------------------------------------------------


def consultations_of(paper_id: int) -> list[Consultation]:
    return list(
        db.session.scalars(
            select(Consultation)
            .options(joinedload(Consultation.body), joinedload(Consultation.meeting))
            .where(Consultation.paper_id == paper_id)
            .order_by(Consultation.role.desc(), Consultation.id)
        )
    )


def add_consultation(user: User, paper: Paper, *, body_id: int, role: str) -> Consultation:
    """Staff name a body that deals with the paper, preliminary or deciding."""
    if not user.is_staff:
        raise PaperError(_("Only the Bildungsbüro can plan consultations."))
    try:
        role = ConsultationRole(role).value
    except ValueError:
        raise PaperError(_("Please choose a role."), "role") from None
    body = db.session.get(Body, body_id)
    if body is None or not body.active:
        raise PaperError(_("Please choose a body."), "body_id")
    paper_id = paper.id
    try:
        with write_transaction():
            consultation = Consultation(paper_id=paper_id, body_id=body_id, role=role)
            db.session.add(consultation)
            db.session.flush()
            record(
                "paper.consultation_added",
                "paper",
                paper_id,
                actor_id=user.id,
                data={"body_id": body_id, "role": role},
            )
    except IntegrityError:
        raise PaperError(
            _("This body already deals with the paper in this role."), "body_id"
        ) from None
    return consultation


def set_consultation_result(
    consultation_id: int, result: str, *, actor: User | None = None, now: datetime | None = None
) -> Consultation:
    """Record the result of one consultation (by hand or when a poll closes)."""
    try:
        result = ConsultationResult(result).value
    except ValueError:
        raise PaperError(_("Please choose a result."), "result") from None
    if actor is not None and not actor.is_staff:
        raise PaperError(_("Only the Bildungsbüro can record results."))
    with write_transaction():
        consultation = db.session.get(Consultation, consultation_id)
        if consultation is None:
            raise PaperError(_("This consultation does not exist."))
        store_consultation_result(consultation, result, now or utcnow())
        record(
            "paper.consultation_result",
            "paper",
            consultation.paper_id,
            actor_id=actor.id if actor else None,
            data={"consultation_id": consultation_id, "result": result},
        )
    return consultation


def store_consultation_result(consultation: Consultation, result: str, now: datetime) -> None:
    """Inside the caller's transaction."""
    consultation.result = ConsultationResult(result).value
    consultation.result_at = now
    db.session.flush()


def consultation_for(paper_id: int, body_id: int) -> Consultation | None:
    """The open consultation of a paper in a body (deciding first)."""
    return db.session.scalar(
        select(Consultation)
        .where(Consultation.paper_id == paper_id, Consultation.body_id == body_id)
        .order_by(Consultation.result.is_not(None), Consultation.role.asc(), Consultation.id)
        .limit(1)
    )


def consultation_role_choices() -> list[tuple[str, Any]]:
    return [(r.value, r.label) for r in ConsultationRole]


def consultation_result_choices() -> list[tuple[str, Any]]:
    return [(r.value, r.label) for r in ConsultationResult]
