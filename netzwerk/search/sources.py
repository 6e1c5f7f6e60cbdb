"""What can be found, kind by kind: how a document is made from an object,
which changes touch it, who may see it, and where it links to.

Each :class:`Source` reads its package's models; who may see a result is
the visibility policy's filter for that kind (``netzwerk.visibility``), the
same one the pages, exports, OParl and feeds use.  Feedback is for staff
only, counselling is never indexed.

On PostgreSQL a source names its match paths (``pg_paths``, declared in
:data:`.models.MATCH_PATHS`): the tables whose columns hold its text, found
through their expression indexes.  What a document holds beyond them (a
minutes entry's title) is stored as a vector; a kind without paths stores
the vector of its whole document.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import false, select, true
from sqlalchemy.orm import selectinload

from .. import visibility
from ..decisions.models import ActionItem, Decision
from ..extensions import db
from ..feedback.models import Feedback, FeedbackWorkingTranslation
from ..meetings.models import AgendaItem, Meeting
from ..minutes.models import Minutes, MinutesEntry
from ..papers.models import Paper, PaperAttachment
from ..projects.models import Project, ProjectPartner, StatusReport
from ..timeutil import LOCAL_TZ
from ..workflow import services as workflow
from .models import MATCH_PATHS
from .postgres import MatchPath


@dataclass
class Document:
    """What the index holds of one object."""

    object_id: int
    title: str
    text: str
    body_id: int | None = None
    year: int | None = None
    action_field_id: int | None = None
    state: str | None = None
    # (SHA-256, content type) of each attached file, whose text is indexed too.
    file_shas: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Source:
    kind: str
    label: Any  # lazy German label (facet, result list)
    model: type[Any]
    documents: Callable[[Sequence[int]], list[Document]]
    # The ids of this kind's objects the viewer may see (the policy's filter).
    visible_ids: Callable[[visibility.Viewer], Any]
    # Where a result links to: (object id, the viewer is signed in) -> URL.
    url: Callable[[int, bool], str]
    # Models whose change touches documents of this kind -> their ids.
    touched_by: dict[type, Callable[[Any], Iterable[int]]]
    # OParl type for public results (None: not in OParl).
    oparl: str | None = None
    # PostgreSQL: where this kind's text is matched in the tables it lives
    # in (models.MATCH_PATHS; their expression indexes).  A kind without
    # paths is matched by the stored vector of its whole document.
    pg_paths: tuple[MatchPath, ...] = ()
    # With paths: the title is stored as a vector too (it is made of other
    # tables' parts, which no path reaches).
    pg_stores_title: bool = False

    @property
    def pg_stored(self) -> str:
        """PostgreSQL: what of a document ``search_document.tsv`` holds:
        ``"document"`` (title and text), ``"title"`` or ``"nothing"``."""
        if not self.pg_paths:
            return "document"
        return "title" if self.pg_stores_title else "nothing"


def _year(value: datetime | None) -> int | None:
    return value.astimezone(LOCAL_TZ).year if value is not None else None


def _state(obj: Any) -> str | None:
    try:
        return str(workflow.definition_of(obj).state_title(obj.state))
    except LookupError:
        return None


def _load(model: type[Any], ids: Sequence[int], *options: Any) -> list[Any]:
    if not ids:
        return []
    return list(db.session.scalars(select(model).where(model.id.in_(ids)).options(*options)))


# --- papers ----------------------------------------------------------------


def _paper_documents(ids: Sequence[int]) -> list[Document]:
    docs = []
    papers = _load(Paper, ids)
    files: dict[int, list[tuple[str, str]]] = {}
    if papers:
        for paper_id, sha, content_type in db.session.execute(
            select(PaperAttachment.paper_id, PaperAttachment.sha256, PaperAttachment.content_type)
            .where(PaperAttachment.paper_id.in_([p.id for p in papers]))
            .order_by(PaperAttachment.id)
        ):
            files.setdefault(paper_id, []).append((sha, content_type))
    for paper in papers:
        title = f"{paper.number} {paper.title}" if paper.number else paper.title
        docs.append(
            Document(
                paper.id,
                title,
                paper.text or "",
                body_id=paper.body_id,
                year=_year(paper.created_at),
                state=_state(paper),
                file_shas=files.get(paper.id, []),
            )
        )
    return docs


# --- decisions and action items --------------------------------------------


def _decision_documents(ids: Sequence[int]) -> list[Document]:
    return [
        Document(
            d.id,
            f"{d.number} {d.title}",
            "\n".join(filter(None, [d.subject_title, d.text])),
            body_id=d.body_id,
            year=d.year,
            state=str(d.outcome_label),
        )
        for d in _load(Decision, ids)
    ]


def _action_item_documents(ids: Sequence[int]) -> list[Document]:
    return [
        Document(
            item.id,
            item.title,
            item.notes or "",
            body_id=item.decision.body_id if item.decision else None,
            year=_year(item.created_at),
            state=_state(item),
        )
        for item in _load(ActionItem, ids, selectinload(ActionItem.decision))
    ]


# --- meetings, agenda items, minutes ----------------------------------------


def _meeting_documents(ids: Sequence[int]) -> list[Document]:
    docs = []
    for meeting in _load(Meeting, ids, selectinload(Meeting.body)):
        title = " ".join(filter(None, [meeting.body.name, meeting.number, meeting.title]))
        docs.append(
            Document(
                meeting.id,
                title,
                meeting.title or "",
                body_id=meeting.body_id,
                year=meeting.year,
                state=_state(meeting),
            )
        )
    return docs


def _agenda_item_documents(ids: Sequence[int]) -> list[Document]:
    return [
        Document(
            item.id,
            item.title,
            item.text or "",
            body_id=item.meeting.body_id,
            year=item.meeting.year,
        )
        for item in _load(AgendaItem, ids, selectinload(AgendaItem.meeting))
    ]


def _minutes_entry_documents(ids: Sequence[int]) -> list[Document]:
    if not ids:
        return []
    rows = db.session.execute(
        select(MinutesEntry, Minutes, AgendaItem, Meeting)
        .join(Minutes, Minutes.id == MinutesEntry.minutes_id)
        .join(AgendaItem, AgendaItem.id == MinutesEntry.agenda_item_id)
        .join(Meeting, Meeting.id == Minutes.meeting_id)
        .where(MinutesEntry.id.in_(ids))
    ).all()
    return [
        Document(
            entry.id,
            f"{minutes.title}: {item.title}",
            entry.summary or "",
            body_id=meeting.body_id,
            year=meeting.year,
            state=_state(minutes),
        )
        for entry, minutes, item, meeting in rows
    ]


def _minutes_entry_ids(who: visibility.Viewer) -> Any:
    return (
        select(MinutesEntry.id)
        .join(Minutes, Minutes.id == MinutesEntry.minutes_id)
        .join(AgendaItem, AgendaItem.id == MinutesEntry.agenda_item_id)
        .where(visibility.minutes_filter(who), visibility.agenda_item_filter(who))
    )


# --- projects ----------------------------------------------------------------


def _project_documents(ids: Sequence[int]) -> list[Document]:
    docs = []
    projects = _load(
        Project,
        ids,
        selectinload(Project.partners).selectinload(ProjectPartner.organisation),
    )
    reports: dict[int, list[str]] = {}
    if projects:
        for project_id, text in db.session.execute(
            select(StatusReport.project_id, StatusReport.text)
            .where(StatusReport.project_id.in_([p.id for p in projects]))
            .order_by(StatusReport.report_date)
        ):
            reports.setdefault(project_id, []).append(text)
    for project in projects:
        partners = [p.organisation.name for p in project.partners]
        docs.append(
            Document(
                project.id,
                project.title,
                "\n".join([project.goals or "", *partners, *reports.get(project.id, [])]),
                body_id=project.deciding_body_id,
                year=project.start_date.year if project.start_date else _year(project.created_at),
                action_field_id=project.action_field_id,
                state=_state(project),
            )
        )
    return docs


# --- feedback (staff only) ---------------------------------------------------


def _feedback_documents(ids: Sequence[int]) -> list[Document]:
    """A feedback's text, its German working translation (not while it is
    stale: a redaction of the original after it was saved may have removed
    what it still holds) and the answer."""
    from ..feedback.working import is_stale

    return [
        Document(
            fb.id,
            fb.category.label("de") if fb.category else fb.receipt_code,
            "\n".join(
                filter(
                    None,
                    [
                        fb.text,
                        None
                        if fb.working_translation is None or is_stale(fb)
                        else fb.working_translation.text,
                        fb.answer,
                    ],
                )
            ),
            year=_year(fb.created_at),
            state=_state(fb),
        )
        for fb in _load(
            Feedback,
            ids,
            selectinload(Feedback.category),
            selectinload(Feedback.working_translation),
        )
    ]


def _translated_feedback(item: Any) -> list[int]:
    return [item.feedback_id]


def _feedback_ids(who: visibility.Viewer) -> Any:
    # Feedback is read by the Bildungsbüro (and administrators) only.
    return select(Feedback.id).where(true() if who.is_staff else false())


def _self(obj: Any) -> list[int]:
    return [obj.id]


def build_sources() -> dict[str, Source]:
    """Every kind the search knows, in the order the facets list them."""
    sources = [
        Source(
            "paper",
            _l("Papers"),
            Paper,
            _paper_documents,
            lambda who: select(Paper.id).where(visibility.paper_filter(who)),
            lambda object_id, _signed_in: url_for("papers.paper", paper_id=object_id),
            {Paper: _self, PaperAttachment: lambda a: [a.paper_id]},
            oparl="paper",
            pg_paths=MATCH_PATHS["paper"],
        ),
        Source(
            "decision",
            _l("Decisions"),
            Decision,
            _decision_documents,
            lambda who: select(Decision.id).where(visibility.decision_filter(who)),
            lambda object_id, _signed_in: url_for("decisions.detail", decision_id=object_id),
            {Decision: _self},
            pg_paths=MATCH_PATHS["decision"],
        ),
        Source(
            "action_item",
            _l("Action items"),
            ActionItem,
            _action_item_documents,
            lambda who: select(ActionItem.id).where(visibility.action_item_filter(who)),
            lambda object_id, _signed_in: url_for("decisions.action_item", item_id=object_id),
            {ActionItem: _self},
        ),
        Source(
            "minutes",
            _l("Minutes (by agenda item)"),
            MinutesEntry,
            _minutes_entry_documents,
            _minutes_entry_ids,
            _minutes_url,
            {MinutesEntry: _self},
            pg_paths=MATCH_PATHS["minutes"],
            pg_stores_title=True,
        ),
        Source(
            "meeting",
            _l("Meetings"),
            Meeting,
            _meeting_documents,
            lambda who: select(Meeting.id).where(visibility.meeting_filter(who)),
            _meeting_url,
            {Meeting: _self},
            oparl="meeting",
        ),
        Source(
            "agenda_item",
            _l("Agenda items"),
            AgendaItem,
            _agenda_item_documents,
            lambda who: select(AgendaItem.id).where(visibility.agenda_item_filter(who)),
            _agenda_item_url,
            {AgendaItem: _self},
            oparl="agenda-item",
            pg_paths=MATCH_PATHS["agenda_item"],
        ),
        Source(
            "project",
            _l("Projects"),
            Project,
            _project_documents,
            lambda who: select(Project.id).where(visibility.project_filter(who)),
            lambda object_id, _signed_in: url_for("projects.detail", project_id=object_id),
            {
                Project: _self,
                ProjectPartner: lambda p: [p.project_id],
                StatusReport: lambda r: [r.project_id],
            },
        ),
        Source(
            "feedback",
            _l("Feedback (staff only)"),
            Feedback,
            _feedback_documents,
            _feedback_ids,
            lambda object_id, _signed_in: url_for("feedback.detail", feedback_id=object_id),
            {Feedback: _self, FeedbackWorkingTranslation: _translated_feedback},
        ),
    ]
    return {source.kind: source for source in sources}


def _meeting_url(object_id: int, signed_in: bool) -> str:
    if signed_in:
        return url_for("meetings.meeting", meeting_id=object_id)
    return url_for("meetings.public_meeting", meeting_id=object_id)


def _agenda_item_url(object_id: int, signed_in: bool) -> str:
    meeting_id = db.session.scalar(select(AgendaItem.meeting_id).where(AgendaItem.id == object_id))
    return _meeting_url(meeting_id or 0, signed_in) + "#agenda"


def _minutes_url(object_id: int, signed_in: bool) -> str:
    row = db.session.execute(
        select(Minutes.id, Minutes.meeting_id)
        .join(MinutesEntry, MinutesEntry.minutes_id == Minutes.id)
        .where(MinutesEntry.id == object_id)
    ).first()
    if row is None:
        return url_for("search.search")
    if signed_in:
        return url_for("minutes.minutes_page", meeting_id=row.meeting_id)
    return url_for("minutes.public_page", minutes_id=row.id)
