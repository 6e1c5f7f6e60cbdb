"""OParl 1.1: which data is public and how each object looks.

The whole network is ONE ``Body`` (its name is configuration:
``NETZWERK_NETWORK_NAME``); each Gremium is an ``Organization`` of the kind
"Gremium", each partner institution an ``Organization`` of the kind
"Institution".

What anyone can read here is what :mod:`netzwerk.visibility` lets anybody
see (privacy by design, the same rules as the public pages); every list and
object below selects its rows with the policy's filter for the anonymous
viewer:

* Organizations: bodies marked public; partner institutions (names, kind,
  website; never their e-mail addresses or phone numbers).
* Memberships: only in public bodies (role, voting right, term, on behalf of
  which institution).
* Persons: only people with a membership in a public body, and of them only
  the name, academic title and those memberships: no e-mail address, phone
  number, function or organisation of their own.
* Meetings: public meetings of public bodies once invited (never planned
  ones); their public agenda items; places used by such meetings.
* Papers: public, numbered (submitted) papers of public bodies, their
  attachments and their consultations by public bodies.
* Files: the attachments of those papers and whatever file providers
  (``providers.py``, e.g. approved public minutes) publish.

Deleted objects: a deactivated body, person or institution stays as
``{"id", "type", "created", "modified", "deleted": true}``; an agenda item
withdrawn after the invitation is left out of its meeting (a sub-object) and
appears as such a stub in the agenda item list and at its URL.  Cancelled
meetings stay with ``cancelled: true``.  Objects that are (or became)
non-public are not shown at all: publishing even a stub would tell that they
exist.

``modified`` is the latest of the object's own timestamps and the audit
events recorded for it (every change of a meeting's agenda, status and
attendance, of a paper's attachments and consultations is audited; a
meeting's includes the edits of its place, which it embeds), so the
``modified_since`` filter finds changed sub-objects through their parent.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import current_app, url_for
from flask_babel import gettext as _
from sqlalchemy import Select, func, select, type_coerce
from sqlalchemy.orm import joinedload
from sqlalchemy.sql.elements import ColumnElement

from .. import visibility
from ..audit.models import AuditEvent
from ..database import UTCDateTime, is_sqlite, utcnow
from ..extensions import db
from ..forms import optional_id
from ..governance.models import Body, Membership, Organisation, Person
from ..meetings import access, agenda
from ..meetings.models import AgendaItem, Location, Meeting
from ..papers.models import Consultation, ConsultationRole, Paper, PaperAttachment
from ..timeutil import to_local
from ..visibility import ANONYMOUS
from . import providers

OPARL_VERSION = "https://schema.oparl.org/1.1/"
NETWORK_ID = 1
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 100
GREMIUM, INSTITUTION, ATTACHMENT = "gremium", "institution", "attachment"


def oparl_type(name: str) -> str:
    return OPARL_VERSION + name


# --- configuration -------------------------------------------------------------


def setting(name: str, default: Any = None) -> Any:
    """A setting from the app config, else from the environment, else the default."""
    value = current_app.config.get(name)
    if value is None or value == "":
        value = os.environ.get(name)
    return default if value is None or value == "" else value


def network_name() -> str:
    return str(setting("NETZWERK_NETWORK_NAME", "Netzwerk"))


def page_size_default() -> int:
    try:
        size = int(setting("NETZWERK_OPARL_PAGE_SIZE", DEFAULT_PAGE_SIZE))
    except (TypeError, ValueError):
        size = DEFAULT_PAGE_SIZE
    return min(max(size, 1), MAX_PAGE_SIZE)


# --- errors and request parameters -------------------------------------------------


class OParlError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


FILTER_NAMES = ("created_since", "created_until", "modified_since", "modified_until")
_SPACE_FOR_PLUS = re.compile(r" (\d{2}(?::?\d{2})?)$")


def parse_datetime(name: str, raw: str) -> datetime:
    """An ISO 8601 date-time with time zone, as UTC; OParlError(400) otherwise."""
    value = raw.strip()
    # A "+01:00" sent unencoded arrives as " 01:00".
    value = _SPACE_FOR_PLUS.sub(r"+\1", value)
    message = _(
        "%(name)s must be a date and time with time zone (ISO 8601), "
        "e.g. 2024-01-31T18:00:00+01:00.",
        name=name,
    )
    if "T" not in value.upper() or len(value) > 64:
        raise OParlError(400, message)
    try:
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None or parsed.utcoffset() is None:
            raise ValueError("no time zone")
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError, TypeError):
        raise OParlError(400, message) from None


def _floor_second(value: datetime) -> datetime:
    return value.replace(microsecond=0)


@dataclass(frozen=True)
class ListParams:
    """Page, page size and the date filters of an OParl list request.

    The filters compare at the resolution the API shows (whole seconds):
    ``*_since`` includes everything from that second on, ``*_until``
    everything up to the end of that second.
    """

    page: int = 1
    per_page: int = DEFAULT_PAGE_SIZE
    per_page_given: bool = False
    created_since: datetime | None = None
    created_until: datetime | None = None
    modified_since: datetime | None = None
    modified_until: datetime | None = None
    omit_internal: bool = False
    raw_filters: dict[str, str] = field(default_factory=dict)

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    def link_args(self, page: int) -> dict[str, str]:
        args = dict(self.raw_filters)
        if self.omit_internal:
            args["omit_internal"] = "true"
        if self.per_page_given:
            args["elementsPerPage"] = str(self.per_page)
        if page > 1:
            args["page"] = str(page)
        return args

    def matches(self, created: datetime | None, modified: datetime | None) -> bool:
        """The filters applied to an object built in Python."""
        checks = (
            (self.created_since, created, True),
            (self.created_until, created, False),
            (self.modified_since, modified, True),
            (self.modified_until, modified, False),
        )
        for bound, value, since in checks:
            if bound is None:
                continue
            if value is None:
                return False
            if since and value < _floor_second(bound):
                return False
            if not since and value >= _upper(bound):
                return False
        return True


def _upper(bound: datetime) -> datetime:
    try:
        return _floor_second(bound) + timedelta(seconds=1)
    except OverflowError:
        return datetime.max.replace(tzinfo=UTC)


_TRUE = {"", "1", "true", "yes", "on"}


def parse_list_params(args: Any) -> ListParams:
    """From the query string; unknown parameters are ignored."""
    values: dict[str, Any] = {}
    raw: dict[str, str] = {}
    for name in FILTER_NAMES:
        value = args.get(name)
        if value is not None:
            values[name] = parse_datetime(name, value)
            raw[name] = value
    page = 1
    if "page" in args:
        page = optional_id(args["page"]) or -1  # -1: garbage, < 1 or beyond MAX_ID
        if page < 1:
            raise OParlError(400, _("page must be a whole number from 1."))
    per_page = page_size_default()
    per_page_given = "elementsPerPage" in args
    if per_page_given:
        asked = optional_id(args["elementsPerPage"]) or -1
        if asked < 1:
            raise OParlError(400, _("elementsPerPage must be a whole number from 1."))
        per_page = min(asked, MAX_PAGE_SIZE)
    omit = args.get("omit_internal")
    return ListParams(
        page=page,
        per_page=per_page,
        per_page_given=per_page_given,
        omit_internal=omit is not None and omit.strip().lower() in _TRUE,
        raw_filters=raw,
        **values,
    )


# --- formatting ---------------------------------------------------------------------


def dt(value: datetime) -> str:
    return to_local(value).replace(microsecond=0).isoformat()


def u(endpoint: str, **values: Any) -> str:
    return url_for(endpoint, _external=True, **values)


def network_url() -> str:
    return u("api.oparl_body", body_id=NETWORK_ID)


def gremium_url(body_id: int) -> str:
    return u("api.oparl_organization", kind=GREMIUM, object_id=body_id)


def institution_url(organisation_id: int) -> str:
    return u("api.oparl_organization", kind=INSTITUTION, object_id=organisation_id)


def object_url(kind: str, object_id: int) -> str:
    return u("api.oparl_object", kind=kind, object_id=object_id)


def file_url(kind: str, file_id: int, suffix: str = "") -> str:
    endpoint = {"": "api.oparl_file", "content": "api.oparl_file_content"}.get(
        suffix, "api.oparl_file_download"
    )
    return u(endpoint, kind=kind, file_id=file_id)


def stub(url: str, type_name: str, created: datetime, modified: datetime) -> dict[str, Any]:
    """What remains of a deleted object."""
    return {
        "id": url,
        "type": oparl_type(type_name),
        "created": dt(created),
        "modified": dt(modified),
        "deleted": True,
    }


def _compact(data: dict[str, Any]) -> dict[str, Any]:
    """Empty optional fields are left out."""
    return {k: v for k, v in data.items() if v is not None and v != [] and v != ""}


# --- SQL helpers ---------------------------------------------------------------------


def _greatest(*exprs: Any) -> ColumnElement[datetime]:
    fn = func.max if is_sqlite() else func.greatest
    return type_coerce(fn(*exprs), UTCDateTime)


def _audit_latest(object_type: str, id_col: Any) -> Any:
    return (
        select(func.max(AuditEvent.created_at))
        .where(AuditEvent.object_type == object_type, AuditEvent.object_id == id_col)
        .scalar_subquery()
    )


def _filtered(stmt: Select[Any], created: Any, modified: Any, p: ListParams) -> Select[Any]:
    if p.created_since is not None:
        stmt = stmt.where(created >= _floor_second(p.created_since))
    if p.created_until is not None:
        stmt = stmt.where(created < _upper(p.created_until))
    if p.modified_since is not None:
        stmt = stmt.where(modified >= _floor_second(p.modified_since))
    if p.modified_until is not None:
        stmt = stmt.where(modified < _upper(p.modified_until))
    return stmt


def _paged(stmt: Select[Any], offset: int, limit: int) -> tuple[list[int], int]:
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    ids = list(db.session.scalars(stmt.offset(offset).limit(limit)))
    return ids, int(total or 0)


# --- visibility ------------------------------------------------------------------------


def meeting_modified() -> ColumnElement[datetime]:
    """The meeting's own latest change, or its place's: a meeting embeds its
    location, so an edited place changes the meetings there too."""
    audited = func.coalesce(_audit_latest("meeting", Meeting.id), Meeting.created_at)
    place = func.coalesce(
        _audit_latest("meeting_location", Meeting.location_id), Meeting.created_at
    )
    return _greatest(Meeting.created_at, Meeting.state_entered_at, audited, place)


def _visible_meetings() -> Select[Any]:
    return select(Meeting.id).where(visibility.meeting_filter(ANONYMOUS)).correlate(None)


def _visible_paper_ids() -> Select[Any]:
    return select(Paper.id).where(visibility.paper_filter(ANONYMOUS)).correlate(None)


def _public_body_ids() -> Select[Any]:
    return select(Body.id).where(visibility.body_filter(ANONYMOUS)).correlate(None)


# --- the objects ---------------------------------------------------------------------


@dataclass
class ListPage:
    data: list[dict[str, Any]]
    total: int


@dataclass
class Kind:
    """One SQL-backed OParl object type: its visible ids, timestamps and output."""

    ids: Callable[[], Select[Any]]
    created: Callable[[], Any]
    modified: Callable[[], Any]
    id_col: Any
    load: Callable[[list[int], bool], list[dict[str, Any]]]

    def page(self, p: ListParams, extra: Any = None) -> ListPage:
        stmt = self.ids()
        if extra is not None:
            stmt = stmt.where(extra)
        stmt = _filtered(stmt, self.created(), self.modified(), p).order_by(self.id_col)
        ids, total = _paged(stmt, p.offset, p.per_page)
        return ListPage(self.load(ids, p.omit_internal), total)

    def get(self, object_id: int) -> dict[str, Any] | None:
        found = db.session.scalar(self.ids().where(self.id_col == object_id))
        if found is None:
            return None
        return self.load([object_id], False)[0]


# Meetings ----------------------------------------------------------------------------


def _location_meta(location_ids: Sequence[int]) -> dict[int, tuple[datetime, datetime]]:
    """When each place was created (its audit event, else its first meeting)
    and last modified (its latest audit event: an edit by the office)."""
    if not location_ids:
        return {}
    rows = db.session.execute(
        select(Location.id, location_created(), location_modified()).where(
            Location.id.in_(location_ids)
        )
    ).all()
    return {int(i): (c, m or c) for i, c, m in rows if c is not None}


def location_created() -> ColumnElement[datetime]:
    audited = (
        select(func.min(AuditEvent.created_at))
        .where(
            AuditEvent.object_type == "meeting_location",
            AuditEvent.object_id == Location.id,
        )
        .scalar_subquery()
    )
    first_meeting = (
        select(func.min(Meeting.created_at))
        .where(Meeting.location_id == Location.id)
        .scalar_subquery()
    )
    return type_coerce(func.coalesce(audited, first_meeting), UTCDateTime)


def location_modified() -> ColumnElement[datetime]:
    latest = _audit_latest("meeting_location", Location.id)
    return type_coerce(func.coalesce(latest, location_created()), UTCDateTime)


def _location_json(location: Location, meta: tuple[datetime, datetime] | None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": object_url("location", location.id),
        "type": oparl_type("Location"),
        "description": location.label,
        "streetAddress": location.address,
        "room": location.room,
    }
    if meta is not None:
        data["created"] = dt(meta[0])
        data["modified"] = dt(meta[1])
    return _compact(data)


def _agenda_numbers(
    lines_by_meeting: dict[int, list[agenda.AgendaLine]],
) -> dict[int, tuple[str, int, AgendaItem]]:
    """item id -> (number, order, item) for the public, not withdrawn items."""
    numbers: dict[int, tuple[str, int, AgendaItem]] = {}
    for lines in lines_by_meeting.values():
        order = 0
        for line in agenda.flatten(lines):
            item = line.item
            if item.withdrawn or not visibility.in_public_part(item):
                continue
            order += 1
            numbers[item.id] = (line.number, order, item)
    return numbers


def _item_consultations(items: Sequence[AgendaItem]) -> dict[tuple[int, int], Consultation]:
    """(paper id, meeting id) -> the visible consultation of the paper in that meeting."""
    pairs = {(i.paper_id, i.meeting_id) for i in items if i.paper_id is not None}
    if not pairs:
        return {}
    paper_ids = {p for p, _m in pairs}
    meeting_ids = {m for _p, m in pairs}
    rows = db.session.scalars(
        select(Consultation)
        .where(
            visibility.consultation_filter(ANONYMOUS),
            Consultation.paper_id.in_(paper_ids),
            Consultation.meeting_id.in_(meeting_ids),
        )
        .order_by(Consultation.id)
    )
    found: dict[tuple[int, int], Consultation] = {}
    for c in rows:
        assert c.meeting_id is not None
        found.setdefault((c.paper_id, c.meeting_id), c)
    return {k: v for k, v in found.items() if k in pairs}


def _agenda_item_json(
    item: AgendaItem,
    number: str,
    order: int,
    consultation: Consultation | None,
    modified: datetime,
    *,
    embedded: bool,
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": object_url("agenda-item", item.id),
        "type": oparl_type("AgendaItem"),
        "meeting": None if embedded else object_url("meeting", item.meeting_id),
        "number": number,
        "order": order,
        "name": item.title,
        "public": True,
        "created": dt(item.created_at),
        "modified": dt(max(modified, item.created_at)),
    }
    if consultation is not None:
        data["consultation"] = object_url("consultation", consultation.id)
        if consultation.result:
            data["result"] = consultation.result_label
    return _compact(data)


def _provider_files_for(meeting_ids: Sequence[int]) -> dict[int, list[tuple[str, Any]]]:
    grouped: dict[int, list[tuple[str, Any]]] = {}
    if not meeting_ids:
        return grouped
    for provider in providers.file_providers():
        for f in provider.public_files(list(meeting_ids)):
            if f.meeting_id is not None and f.meeting_id in meeting_ids:
                grouped.setdefault(f.meeting_id, []).append((provider.kind, f))
    return grouped


def _load_meetings(ids: list[int], omit: bool) -> list[dict[str, Any]]:
    if not ids:
        return []
    mod = meeting_modified()
    rows = db.session.execute(
        select(Meeting, mod)
        .options(joinedload(Meeting.body), joinedload(Meeting.location))
        .where(Meeting.id.in_(ids))
    ).all()
    by_id = {m.id: (m, modified) for m, modified in rows}
    numbers: dict[int, tuple[str, int, AgendaItem]] = {}
    consults: dict[tuple[int, int], Consultation] = {}
    files: dict[int, list[tuple[str, Any]]] = {}
    places: dict[int, tuple[datetime, datetime]] = {}
    if not omit:
        numbers = _agenda_numbers(agenda.agenda_lines_for(ids))
        consults = _item_consultations([n[2] for n in numbers.values()])
        files = _provider_files_for(ids)
        places = _location_meta(
            sorted({m.location_id for m, _x in by_id.values() if m.location_id})
        )
    items_by_meeting: dict[int, list[tuple[str, int, AgendaItem]]] = {}
    for entry in numbers.values():
        items_by_meeting.setdefault(entry[2].meeting_id, []).append(entry)
    result = []
    for meeting_id in ids:
        meeting, modified = by_id[meeting_id]
        data: dict[str, Any] = {
            "id": object_url("meeting", meeting.id),
            "type": oparl_type("Meeting"),
            "name": str(meeting.display_title),
            "meetingState": access.state_title(meeting),
            "cancelled": access.has_flag(meeting, "cancelled"),
            "start": dt(meeting.starts_at),
            "end": dt(meeting.ends_at) if meeting.ends_at else None,
            "organization": [gremium_url(meeting.body_id)],
            "web": u("meetings.public_meeting", meeting_id=meeting.id),
            "created": dt(meeting.created_at),
            "modified": dt(modified),
        }
        if not omit:
            if meeting.location is not None:
                data["location"] = _location_json(meeting.location, places.get(meeting.location.id))
            entries = sorted(items_by_meeting.get(meeting.id, []), key=lambda e: e[1])
            data["agendaItem"] = [
                _agenda_item_json(
                    item,
                    number,
                    order,
                    consults.get((item.paper_id or 0, item.meeting_id)),
                    modified,
                    embedded=True,
                )
                for number, order, item in entries
            ]
            for kind, f in files.get(meeting.id, []):
                file_data = provider_file_json(kind, f, embedded=True)
                if f.meeting_role in ("resultsProtocol", "invitation", "verbatimProtocol"):
                    data.setdefault(f.meeting_role, file_data)
                else:
                    data.setdefault("auxiliaryFile", []).append(file_data)
        result.append(_compact(data))
    return result


MEETINGS = Kind(
    ids=_visible_meetings,
    created=lambda: Meeting.created_at,
    modified=meeting_modified,
    id_col=Meeting.id,
    load=_load_meetings,
)


# Agenda items ----------------------------------------------------------------------------


def _visible_items() -> Select[Any]:
    # joined with its meeting: an item's "modified" is its meeting's too
    return (
        select(AgendaItem.id)
        .join(Meeting, AgendaItem.meeting_id == Meeting.id)
        .where(visibility.agenda_item_filter(ANONYMOUS))
        .correlate(None)
    )


def _item_modified() -> ColumnElement[datetime]:
    return _greatest(AgendaItem.created_at, meeting_modified())


def _load_items(ids: list[int], omit: bool) -> list[dict[str, Any]]:
    if not ids:
        return []
    rows = db.session.execute(
        select(AgendaItem, _item_modified())
        .join(Meeting, AgendaItem.meeting_id == Meeting.id)
        .where(AgendaItem.id.in_(ids))
    ).all()
    by_id = {i.id: (i, modified) for i, modified in rows}
    meeting_ids = sorted({i.meeting_id for i, _m in by_id.values()})
    numbers = _agenda_numbers(agenda.agenda_lines_for(meeting_ids))
    consults = _item_consultations([i for i, _m in by_id.values()])
    result = []
    for item_id in ids:
        item, modified = by_id[item_id]
        if item.withdrawn or item_id not in numbers:
            result.append(
                stub(object_url("agenda-item", item.id), "AgendaItem", item.created_at, modified)
            )
            continue
        number, order, _item = numbers[item_id]
        result.append(
            _agenda_item_json(
                item,
                number,
                order,
                consults.get((item.paper_id or 0, item.meeting_id)),
                modified,
                embedded=False,
            )
        )
    return result


AGENDA_ITEMS = Kind(
    ids=_visible_items,
    created=lambda: AgendaItem.created_at,
    modified=_item_modified,
    id_col=AgendaItem.id,
    load=_load_items,
)


# Papers, consultations, files --------------------------------------------------------------


def paper_modified() -> ColumnElement[datetime]:
    audited = func.coalesce(_audit_latest("paper", Paper.id), Paper.updated_at)
    return _greatest(Paper.updated_at, audited)


def attachment_json(att: PaperAttachment, *, embedded: bool) -> dict[str, Any]:
    return _compact(
        {
            "id": file_url(ATTACHMENT, att.id),
            "type": oparl_type("File"),
            "name": att.filename,
            "fileName": att.filename,
            "mimeType": att.content_type,
            "size": att.size,
            "date": to_local(att.uploaded_at).date().isoformat(),
            "accessUrl": file_url(ATTACHMENT, att.id, "content"),
            "downloadUrl": file_url(ATTACHMENT, att.id, "download"),
            "paper": None if embedded else [object_url("paper", att.paper_id)],
            "created": dt(att.uploaded_at),
            "modified": dt(att.uploaded_at),
        }
    )


def provider_file_json(kind: str, f: providers.PublicFile, *, embedded: bool) -> dict[str, Any]:
    return _compact(
        {
            "id": file_url(kind, f.id),
            "type": oparl_type("File"),
            "name": f.name,
            "fileName": f.file_name,
            "mimeType": f.mime_type,
            "size": f.size,
            "date": f.date.isoformat() if f.date else None,
            "accessUrl": file_url(kind, f.id, "content"),
            "downloadUrl": file_url(kind, f.id, "download"),
            "meeting": (
                [object_url("meeting", f.meeting_id)] if f.meeting_id and not embedded else None
            ),
            "created": dt(f.created),
            "modified": dt(f.modified),
        }
    )


def _consultation_extras(
    consultations: Sequence[Consultation],
) -> tuple[set[int], dict[tuple[int, int], int]]:
    """Visible meeting ids and (paper, meeting) -> visible agenda item id."""
    meeting_ids = {c.meeting_id for c in consultations if c.meeting_id is not None}
    if not meeting_ids:
        return set(), {}
    visible = set(db.session.scalars(_visible_meetings().where(Meeting.id.in_(meeting_ids))))
    items: dict[tuple[int, int], int] = {}
    paper_ids = {c.paper_id for c in consultations}
    rows = db.session.execute(
        select(AgendaItem.paper_id, AgendaItem.meeting_id, AgendaItem.id)
        .where(
            AgendaItem.id.in_(_visible_items()),
            AgendaItem.withdrawn.is_(False),
            AgendaItem.meeting_id.in_(visible or {-1}),
            AgendaItem.paper_id.in_(paper_ids),
        )
        .order_by(AgendaItem.id)
    ).all()
    for paper_id, meeting_id, item_id in rows:
        items.setdefault((paper_id, meeting_id), item_id)
    return visible, items


def consultation_modified() -> ColumnElement[datetime]:
    return _greatest(
        Consultation.created_at, func.coalesce(Consultation.result_at, Consultation.created_at)
    )


def _consultation_json(
    c: Consultation,
    modified: datetime,
    visible_meetings: set[int],
    items: dict[tuple[int, int], int],
    *,
    embedded: bool,
) -> dict[str, Any]:
    meeting_id = c.meeting_id if c.meeting_id in visible_meetings else None
    item_id = items.get((c.paper_id, meeting_id)) if meeting_id is not None else None
    return _compact(
        {
            "id": object_url("consultation", c.id),
            "type": oparl_type("Consultation"),
            "paper": None if embedded else object_url("paper", c.paper_id),
            "meeting": object_url("meeting", meeting_id) if meeting_id else None,
            "agendaItem": object_url("agenda-item", item_id) if item_id else None,
            "organization": [gremium_url(c.body_id)],
            "authoritative": c.role == ConsultationRole.DECIDING.value,
            "role": c.role_label,
            "created": dt(c.created_at),
            "modified": dt(modified),
        }
    )


def _visible_consultations() -> Select[Any]:
    return select(Consultation.id).where(visibility.consultation_filter(ANONYMOUS)).correlate(None)


def _load_consultations(ids: list[int], omit: bool) -> list[dict[str, Any]]:
    if not ids:
        return []
    rows = db.session.execute(
        select(Consultation, consultation_modified()).where(Consultation.id.in_(ids))
    ).all()
    by_id = {c.id: (c, m) for c, m in rows}
    visible, items = _consultation_extras([c for c, _m in by_id.values()])
    return [
        _consultation_json(*by_id[i], visible, items, embedded=False)  # type: ignore[misc]
        for i in ids
    ]


CONSULTATIONS = Kind(
    ids=_visible_consultations,
    created=lambda: Consultation.created_at,
    modified=consultation_modified,
    id_col=Consultation.id,
    load=_load_consultations,
)


def _load_papers(ids: list[int], omit: bool) -> list[dict[str, Any]]:
    if not ids:
        return []
    rows = db.session.execute(select(Paper, paper_modified()).where(Paper.id.in_(ids))).all()
    by_id = {p.id: (p, m) for p, m in rows}
    attachments: dict[int, list[PaperAttachment]] = {}
    consultations: dict[int, list[tuple[Consultation, datetime]]] = {}
    visible: set[int] = set()
    items: dict[tuple[int, int], int] = {}
    if not omit:
        for att in db.session.scalars(
            select(PaperAttachment)
            .where(PaperAttachment.paper_id.in_(ids))
            .order_by(PaperAttachment.id)
        ):
            attachments.setdefault(att.paper_id, []).append(att)
        crows = db.session.execute(
            select(Consultation, consultation_modified())
            .where(
                Consultation.paper_id.in_(ids),
                Consultation.id.in_(_visible_consultations()),
            )
            .order_by(Consultation.id)
        ).all()
        for c, m in crows:
            consultations.setdefault(c.paper_id, []).append((c, m))
        visible, items = _consultation_extras([c for c, _m in crows])
    result = []
    for paper_id in ids:
        paper, modified = by_id[paper_id]
        data: dict[str, Any] = {
            "id": object_url("paper", paper.id),
            "type": oparl_type("Paper"),
            "body": network_url(),
            "name": paper.title,
            "reference": paper.number,
            "date": to_local(paper.created_at).date().isoformat(),
            "paperType": paper.kind_label,
            "underDirectionOf": [gremium_url(paper.body_id)],
            "created": dt(paper.created_at),
            "modified": dt(modified),
        }
        if not omit:
            data["auxiliaryFile"] = [
                attachment_json(a, embedded=True) for a in attachments.get(paper.id, [])
            ]
            data["consultation"] = [
                _consultation_json(c, m, visible, items, embedded=True)
                for c, m in consultations.get(paper.id, [])
            ]
        result.append(_compact(data))
    return result


PAPERS = Kind(
    ids=_visible_paper_ids,
    created=lambda: Paper.created_at,
    modified=paper_modified,
    id_col=Paper.id,
    load=_load_papers,
)


def _visible_attachments() -> Select[Any]:
    return select(PaperAttachment.id).where(visibility.attachment_filter(ANONYMOUS)).correlate(None)


def _load_attachments(ids: list[int], omit: bool) -> list[dict[str, Any]]:
    rows = {
        a.id: a
        for a in db.session.scalars(select(PaperAttachment).where(PaperAttachment.id.in_(ids)))
    }
    return [attachment_json(rows[i], embedded=False) for i in ids]


ATTACHMENTS = Kind(
    ids=_visible_attachments,
    created=lambda: PaperAttachment.uploaded_at,
    modified=lambda: PaperAttachment.uploaded_at,
    id_col=PaperAttachment.id,
    load=_load_attachments,
)


def public_attachment(file_id: int) -> PaperAttachment | None:
    found = db.session.scalar(_visible_attachments().where(PaperAttachment.id == file_id))
    return db.session.get(PaperAttachment, file_id) if found is not None else None


def _provider_files_visible() -> list[tuple[str, providers.PublicFile]]:
    """Every provider file whose meeting (if any) is public in OParl, by kind and id."""
    collected: list[tuple[str, providers.PublicFile]] = []
    for provider in providers.file_providers():
        collected.extend((provider.kind, f) for f in provider.public_files(None))
    meeting_ids = {f.meeting_id for _k, f in collected if f.meeting_id is not None}
    visible = (
        set(db.session.scalars(_visible_meetings().where(Meeting.id.in_(meeting_ids))))
        if meeting_ids
        else set()
    )
    kept = [(k, f) for k, f in collected if f.meeting_id is None or f.meeting_id in visible]
    return sorted(kept, key=lambda kf: (kf[0], kf[1].id))


def provider_file(kind: str, file_id: int) -> providers.PublicFile | None:
    provider = providers.file_provider(kind)
    if provider is None:
        return None
    found = provider.get(file_id)
    if found is None:
        return None
    if found.meeting_id is not None:
        visible = db.session.scalar(_visible_meetings().where(Meeting.id == found.meeting_id))
        if visible is None:
            return None
    return found


def files_page(p: ListParams) -> ListPage:
    """Attachments first (by id), then the provider files (by kind and id)."""
    stmt = _filtered(
        _visible_attachments(), PaperAttachment.uploaded_at, PaperAttachment.uploaded_at, p
    ).order_by(PaperAttachment.id)
    att_total = int(
        db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    )
    others = [(k, f) for k, f in _provider_files_visible() if p.matches(f.created, f.modified)]
    data: list[dict[str, Any]] = []
    start, end = p.offset, p.offset + p.per_page
    if start < att_total:
        ids = list(db.session.scalars(stmt.offset(start).limit(min(end, att_total) - start)))
        data.extend(_load_attachments(ids, p.omit_internal))
    for k, f in others[max(start - att_total, 0) : max(end - att_total, 0)]:
        data.append(provider_file_json(k, f, embedded=False))
    return ListPage(data, att_total + len(others))


# Locations ----------------------------------------------------------------------------------


def _visible_locations() -> Select[Any]:
    return select(Location.id).where(visibility.location_filter(ANONYMOUS)).correlate(None)


def _load_locations(ids: list[int], omit: bool) -> list[dict[str, Any]]:
    rows = {loc.id: loc for loc in db.session.scalars(select(Location).where(Location.id.in_(ids)))}
    meta = _location_meta(ids)
    return [_location_json(rows[i], meta.get(i)) for i in ids]


LOCATIONS = Kind(
    ids=_visible_locations,
    created=location_created,
    modified=location_modified,
    id_col=Location.id,
    load=_load_locations,
)


# Organizations, persons, memberships ------------------------------------------------------


def gremium_modified() -> ColumnElement[datetime]:
    seats = (
        select(func.max(Membership.updated_at))
        .where(Membership.body_id == Body.id)
        .scalar_subquery()
    )
    return _greatest(Body.updated_at, func.coalesce(seats, Body.updated_at))


def _load_gremien(ids: list[int], omit: bool) -> list[dict[str, Any]]:
    if not ids:
        return []
    rows = db.session.execute(select(Body, gremium_modified()).where(Body.id.in_(ids))).all()
    by_id = {b.id: (b, m) for b, m in rows}
    public_ids = set(db.session.scalars(_public_body_ids()))
    seats: dict[int, list[int]] = {}
    for body_id, membership_id in db.session.execute(
        select(Membership.body_id, Membership.id)
        .where(Membership.body_id.in_(ids))
        .order_by(Membership.id)
    ):
        seats.setdefault(body_id, []).append(membership_id)
    result = []
    for body_id in ids:
        body, modified = by_id[body_id]
        if not body.active:
            result.append(stub(gremium_url(body.id), "Organization", body.created_at, modified))
            continue
        result.append(
            _compact(
                {
                    "id": gremium_url(body.id),
                    "type": oparl_type("Organization"),
                    "body": network_url(),
                    "name": body.name,
                    "shortName": body.short_name,
                    "organizationType": "Gremium",
                    "classification": body.kind_label,
                    "membership": [object_url("membership", m) for m in seats.get(body.id, [])],
                    "meeting": u("api.oparl_organization_meetings", body_id=body.id),
                    "subOrganizationOf": (
                        gremium_url(body.parent_id) if body.parent_id in public_ids else None
                    ),
                    "created": dt(body.created_at),
                    "modified": dt(modified),
                }
            )
        )
    return result


GREMIEN = Kind(
    ids=_public_body_ids,
    created=lambda: Body.created_at,
    modified=gremium_modified,
    id_col=Body.id,
    load=_load_gremien,
)


def _load_institutions(ids: list[int], omit: bool) -> list[dict[str, Any]]:
    rows = {
        o.id: o for o in db.session.scalars(select(Organisation).where(Organisation.id.in_(ids)))
    }
    result = []
    for org_id in ids:
        org = rows[org_id]
        if not org.active:
            result.append(
                stub(institution_url(org.id), "Organization", org.created_at, org.updated_at)
            )
            continue
        website = org.website if (org.website or "").startswith(("https://", "http://")) else None
        result.append(
            _compact(
                {
                    "id": institution_url(org.id),
                    "type": oparl_type("Organization"),
                    "body": network_url(),
                    "name": org.name,
                    "shortName": org.short_name,
                    "organizationType": "Institution",
                    "classification": org.kind_label,
                    "website": website,
                    "created": dt(org.created_at),
                    "modified": dt(org.updated_at),
                }
            )
        )
    return result


INSTITUTIONS = Kind(
    ids=lambda: select(Organisation.id),
    created=lambda: Organisation.created_at,
    modified=lambda: Organisation.updated_at,
    id_col=Organisation.id,
    load=_load_institutions,
)


def organizations_page(p: ListParams) -> ListPage:
    """Bodies (Gremien) first, then the institutions, each by id."""
    first = _filtered(GREMIEN.ids(), GREMIEN.created(), GREMIEN.modified(), p).order_by(Body.id)
    second = _filtered(
        INSTITUTIONS.ids(), Organisation.created_at, Organisation.updated_at, p
    ).order_by(Organisation.id)
    count_first = int(
        db.session.scalar(select(func.count()).select_from(first.order_by(None).subquery())) or 0
    )
    count_second = int(
        db.session.scalar(select(func.count()).select_from(second.order_by(None).subquery())) or 0
    )
    start, end = p.offset, p.offset + p.per_page
    data: list[dict[str, Any]] = []
    if start < count_first:
        ids = list(db.session.scalars(first.offset(start).limit(min(end, count_first) - start)))
        data.extend(_load_gremien(ids, p.omit_internal))
    if end > count_first:
        offset = max(start - count_first, 0)
        ids = list(db.session.scalars(second.offset(offset).limit(end - count_first - offset)))
        data.extend(_load_institutions(ids, p.omit_internal))
    return ListPage(data, count_first + count_second)


def membership_modified() -> Any:
    return Membership.updated_at


def _membership_json(m: Membership, *, embedded: bool) -> dict[str, Any]:
    return _compact(
        {
            "id": object_url("membership", m.id),
            "type": oparl_type("Membership"),
            "person": None if embedded else object_url("person", m.person_id),
            "organization": gremium_url(m.body_id),
            "role": m.role_label,
            "votingRight": bool(m.voting_right),
            "startDate": m.start_date.isoformat(),
            "endDate": m.end_date.isoformat() if m.end_date else None,
            "onBehalfOf": institution_url(m.organisation_id) if m.organisation_id else None,
            "created": dt(m.created_at),
            "modified": dt(m.updated_at),
        }
    )


def _visible_memberships() -> Select[Any]:
    return select(Membership.id).where(visibility.membership_filter(ANONYMOUS)).correlate(None)


def _load_memberships(ids: list[int], omit: bool) -> list[dict[str, Any]]:
    rows = {m.id: m for m in db.session.scalars(select(Membership).where(Membership.id.in_(ids)))}
    return [_membership_json(rows[i], embedded=False) for i in ids]


MEMBERSHIPS = Kind(
    ids=_visible_memberships,
    created=lambda: Membership.created_at,
    modified=membership_modified,
    id_col=Membership.id,
    load=_load_memberships,
)


def person_modified() -> ColumnElement[datetime]:
    seats = (
        select(func.max(Membership.updated_at))
        .where(Membership.person_id == Person.id, visibility.membership_filter(ANONYMOUS))
        .scalar_subquery()
    )
    return _greatest(Person.updated_at, func.coalesce(seats, Person.updated_at))


def _visible_persons() -> Select[Any]:
    return select(Person.id).where(visibility.person_filter(ANONYMOUS)).correlate(None)


def _load_persons(ids: list[int], omit: bool) -> list[dict[str, Any]]:
    if not ids:
        return []
    rows = db.session.execute(select(Person, person_modified()).where(Person.id.in_(ids))).all()
    by_id = {p.id: (p, m) for p, m in rows}
    seats: dict[int, list[Membership]] = {}
    if not omit:
        for m in db.session.scalars(
            select(Membership)
            .where(Membership.person_id.in_(ids), visibility.membership_filter(ANONYMOUS))
            .order_by(Membership.id)
        ):
            seats.setdefault(m.person_id, []).append(m)
    result = []
    for person_id in ids:
        person, modified = by_id[person_id]
        if not person.active:
            result.append(
                stub(object_url("person", person.id), "Person", person.created_at, modified)
            )
            continue
        data: dict[str, Any] = {
            "id": object_url("person", person.id),
            "type": oparl_type("Person"),
            "body": network_url(),
            "name": person.full_name,
            "familyName": person.last_name,
            "givenName": person.first_name,
            "title": [person.title] if person.title else None,
            "created": dt(person.created_at),
            "modified": dt(modified),
        }
        if not omit:
            data["membership"] = [
                _membership_json(m, embedded=True) for m in seats.get(person.id, [])
            ]
        result.append(_compact(data))
    return result


PERSONS = Kind(
    ids=_visible_persons,
    created=lambda: Person.created_at,
    modified=person_modified,
    id_col=Person.id,
    load=_load_persons,
)


KINDS: dict[str, Kind] = {
    "person": PERSONS,
    "membership": MEMBERSHIPS,
    "meeting": MEETINGS,
    "agenda-item": AGENDA_ITEMS,
    "paper": PAPERS,
    "consultation": CONSULTATIONS,
    "location": LOCATIONS,
}


# The network (Body), its legislative terms and the System ------------------------------------


def network_times() -> tuple[datetime, datetime]:
    created, modified = db.session.execute(
        select(func.min(Body.created_at), func.max(Body.updated_at))
    ).one()
    now = utcnow()
    created = created or now
    return created, modified or created


@dataclass(frozen=True)
class Term:
    id: int
    name: str
    start: date
    end: date


def _configured_terms() -> list[Term] | None:
    """``NETZWERK_LEGISLATIVE_TERMS``: "2021-11-01/2026-10-31 Name; ..." (or a list of dicts)."""
    raw = setting("NETZWERK_LEGISLATIVE_TERMS")
    if not raw:
        return None
    entries: list[tuple[str, str, str]] = []
    if isinstance(raw, str):
        for part in raw.split(";"):
            part = part.strip()
            if not part:
                continue
            span, _sep, name = part.partition(" ")
            start, _sep, end = span.partition("/")
            entries.append((start, end, name.strip() or span))
    else:
        entries = [(str(e["start"]), str(e["end"]), str(e["name"])) for e in raw]
    terms = []
    for index, (start, end, name) in enumerate(entries, start=1):
        terms.append(Term(index, name, date.fromisoformat(start), date.fromisoformat(end)))
    return terms


def legislative_terms() -> list[Term]:
    configured = _configured_terms()
    if configured is not None:
        return configured
    first_meeting = db.session.scalar(
        select(func.min(Meeting.starts_at)).where(Meeting.id.in_(_visible_meetings()))
    )
    created, _modified = network_times()
    years = [to_local(created).year, to_local(utcnow()).year]
    if first_meeting is not None:
        years.append(to_local(first_meeting).year)
    return [
        Term(year, str(_("Year %(year)d", year=year)), date(year, 1, 1), date(year, 12, 31))
        for year in range(min(years), max(years) + 1)
    ]


def term_json(term: Term, created: datetime, *, embedded: bool) -> dict[str, Any]:
    return _compact(
        {
            "id": object_url("legislative-term", term.id),
            "type": oparl_type("LegislativeTerm"),
            "body": None if embedded else network_url(),
            "name": term.name,
            "startDate": term.start.isoformat(),
            "endDate": term.end.isoformat(),
            "created": dt(created),
            "modified": dt(created),
        }
    )


def terms_page(p: ListParams) -> ListPage:
    created, _modified = network_times()
    terms = [t for t in legislative_terms() if p.matches(created, created)]
    chunk = terms[p.offset : p.offset + p.per_page]
    return ListPage([term_json(t, created, embedded=False) for t in chunk], len(terms))


def term(term_id: int) -> dict[str, Any] | None:
    created, _modified = network_times()
    for t in legislative_terms():
        if t.id == term_id:
            return term_json(t, created, embedded=False)
    return None


def network_json() -> dict[str, Any]:
    created, modified = network_times()
    lists = {
        "organization": "organization",
        "person": "person",
        "meeting": "meeting",
        "paper": "paper",
        "agendaItem": "agenda-item",
        "consultation": "consultation",
        "file": "file",
        "locationList": "location",
        "legislativeTermList": "legislative-term",
        "membership": "membership",
    }
    data: dict[str, Any] = {
        "id": network_url(),
        "type": oparl_type("Body"),
        "system": u("api.oparl_system"),
        "name": network_name(),
        "shortName": setting("NETZWERK_NETWORK_SHORT_NAME"),
        "website": setting("NETZWERK_NETWORK_WEBSITE"),
        "license": setting("NETZWERK_OPARL_LICENSE"),
        "contactEmail": setting("NETZWERK_OPARL_CONTACT_EMAIL"),
        "contactName": setting("NETZWERK_OPARL_CONTACT_NAME"),
        "classification": setting("NETZWERK_NETWORK_CLASSIFICATION", "Bildungsnetzwerk"),
        "legislativeTerm": [term_json(t, created, embedded=True) for t in legislative_terms()],
        "web": u("main.index"),
        "created": dt(created),
        "modified": dt(modified),
    }
    for key, kind in lists.items():
        data[key] = u("api.oparl_body_list", body_id=NETWORK_ID, kind=kind)
    return _compact(data)


def bodies_page(p: ListParams) -> ListPage:
    created, modified = network_times()
    bodies = [network_json()] if p.matches(created, modified) else []
    return ListPage(bodies[p.offset : p.offset + p.per_page], len(bodies))


def system_json() -> dict[str, Any]:
    return _compact(
        {
            "id": u("api.oparl_system"),
            "type": oparl_type("System"),
            "oparlVersion": OPARL_VERSION,
            "body": u("api.oparl_bodies"),
            "name": f"{network_name()} – OParl",
            "license": setting("NETZWERK_OPARL_LICENSE"),
            "contactEmail": setting("NETZWERK_OPARL_CONTACT_EMAIL"),
            "contactName": setting("NETZWERK_OPARL_CONTACT_NAME"),
            "website": u("main.index"),
            "web": u("main.index"),
        }
    )


def list_page(kind: str, p: ListParams) -> ListPage:
    if kind == "organization":
        return organizations_page(p)
    if kind == "file":
        return files_page(p)
    if kind == "legislative-term":
        return terms_page(p)
    return KINDS[kind].page(p)


def get_object(kind: str, object_id: int) -> dict[str, Any] | None:
    if kind == "legislative-term":
        return term(object_id)
    return KINDS[kind].get(object_id)


def get_organization(kind: str, object_id: int) -> dict[str, Any] | None:
    return (GREMIEN if kind == GREMIUM else INSTITUTIONS).get(object_id)


def organization_meetings_page(body_id: int, p: ListParams) -> ListPage | None:
    if db.session.scalar(GREMIEN.ids().where(Body.id == body_id)) is None:
        return None
    return MEETINGS.page(p, extra=Meeting.body_id == body_id)


def get_file(kind: str, file_id: int) -> dict[str, Any] | None:
    if kind == ATTACHMENT:
        att = public_attachment(file_id)
        return attachment_json(att, embedded=False) if att is not None else None
    found = provider_file(kind, file_id)
    return provider_file_json(kind, found, embedded=False) if found is not None else None


def total_pages(total: int, per_page: int) -> int:
    return max(1, math.ceil(total / per_page))
