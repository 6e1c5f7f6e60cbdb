"""Member tables: a body's current members as plain rows (one page, the
first few of many bodies, counts) and "Meine Gremien"."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, bindparam, case, func, or_, select, union_all
from sqlalchemy.orm import aliased, contains_eager, joinedload

from ..extensions import db
from ..timeutil import local_today
from .common import Page, _page_number
from .memberships import ROLE_ORDER, current_filter, current_memberships_of
from .models import Body, Membership, MembershipRole, Organisation, Person


def current_members_of_bodies(
    body_ids: Iterable[int], on: date | None = None
) -> dict[int, list[Membership]]:
    """Current members of many bodies in one query, grouped by body, chair first."""
    ids = list(set(body_ids))
    grouped: dict[int, list[Membership]] = {body_id: [] for body_id in ids}
    if not ids:
        return grouped
    rows = (
        db.session.scalars(
            select(Membership)
            .join(Person, Membership.person_id == Person.id)
            .options(
                contains_eager(Membership.person),
                joinedload(Membership.organisation),
                joinedload(Membership.deputy_of).joinedload(Membership.person),
            )
            .where(Membership.body_id.in_(ids), current_filter(on))
            .order_by(Person.last_name, Person.first_name, Person.id)
        )
        .unique()
        .all()
    )
    for m in rows:
        grouped[m.body_id].append(m)
    for members in grouped.values():
        members.sort(key=lambda m: ROLE_ORDER.index(m.role))
    return grouped


@dataclass(frozen=True, slots=True)
class MemberRow:
    """One line of a members table: plain strings, nothing left to load.

    Member lists run to hundreds of lines (a city's conference); loading each
    as a Membership with person, organisation and deputy objects and
    translating its role per line cost most of the page.
    """

    body_id: int
    name: str
    role: str
    role_label: str
    voting_right: bool
    organisation: str | None
    deputy_of: str | None


def _full_name(title: str | None, first_name: str | None, last_name: str) -> str:
    """As Person.full_name, without a generator per line."""
    name = f"{first_name} {last_name}" if first_name else last_name
    return f"{title} {name}" if title else name


_ROLE_RANK = case({role: rank for rank, role in enumerate(ROLE_ORDER)}, value=Membership.role)
# "No limit" for a LIMIT parameter.
_ALL_ROWS = 2**62


def _current_in(body_id: Any) -> Any:
    today: Any = bindparam("today")
    return and_(
        Membership.body_id == body_id,
        Membership.start_date <= today,
        or_(Membership.end_date.is_(None), Membership.end_date >= today),
    )


_DISPLAY_ORDER = (_ROLE_RANK, Person.last_name, Person.first_name, Person.id)


def _with_line_columns(membership_source: Any) -> Any:
    """The table columns of a member line, selected from Membership (or a
    join that contains it) with person, organisation and deputy joined."""
    deputy = aliased(Membership)
    deputy_person = aliased(Person)
    return (
        select(
            Membership.body_id,
            Membership.role,
            Membership.voting_right,
            Person.title,
            Person.first_name,
            Person.last_name,
            Organisation.name,
            deputy_person.title,
            deputy_person.first_name,
            deputy_person.last_name,
        )
        .select_from(membership_source)
        .join(Person, Membership.person_id == Person.id)
        .outerjoin(Organisation, Membership.organisation_id == Organisation.id)
        .outerjoin(deputy, Membership.deputy_of_id == deputy.id)
        .outerjoin(deputy_person, deputy.person_id == deputy_person.id)
    )


def _member_page_statement() -> Any:
    """One body's lines offset+1..offset+limit: LIMIT/OFFSET on the joined
    lines, so the database keeps only that window (a top-N sort)."""
    return (
        _with_line_columns(Membership)
        .where(_current_in(bindparam("body_id")))
        .order_by(*_DISPLAY_ORDER)
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )


def _member_window(body_id: Any) -> Any:
    """A body's first ``:limit`` current memberships in display order: ids
    and sort keys only, so that names, organisations and deputies are joined
    for those lines alone, not for every line of a large body."""
    return (
        select(
            Membership.id.label("membership_id"),
            _ROLE_RANK.label("role_rank"),
            Person.last_name.label("last_name"),
            Person.first_name.label("first_name"),
            Person.id.label("person_id"),
        )
        .join(Person, Membership.person_id == Person.id)
        .where(_current_in(body_id))
        .order_by(*_DISPLAY_ORDER)
        .limit(bindparam("limit"))
    )


# Built once: a reused statement keeps SQLAlchemy's cache key memoised.
_MEMBER_PAGE = _member_page_statement()
_MEMBER_COUNTS = (
    select(Membership.body_id, func.count())
    .where(
        Membership.body_id.in_(bindparam("body_ids", expanding=True)),
        Membership.start_date <= bindparam("today"),
        or_(Membership.end_date.is_(None), Membership.end_date >= bindparam("today")),
    )
    .group_by(Membership.body_id)
)


# SQLite allows 500 terms in a compound SELECT; statements stay small.
_BODIES_PER_STATEMENT = 50


@functools.lru_cache(maxsize=_BODIES_PER_STATEMENT)
def _first_members_of(bodies: int) -> Any:
    """The first ``:limit`` members of each of ``bodies`` bodies (parameters
    body_0, body_1, ...): one statement, a top-N window per body.  Built
    once per number of bodies."""
    parts = [select(_member_window(bindparam(f"body_{i}")).subquery()) for i in range(bodies)]
    window = (parts[0] if bodies == 1 else union_all(*parts)).subquery("window")
    return _with_line_columns(
        window.join(Membership, Membership.id == window.c.membership_id)
    ).order_by(
        Membership.body_id,
        window.c.role_rank,
        window.c.last_name,
        window.c.first_name,
        window.c.person_id,
    )


MEMBERS_PER_PAGE = 100
# "Meine Gremien" is an overview of all of a member's bodies: per body the
# chair and the first members, the full list one click away on the body page.
MY_BODIES_MEMBERS = 12


def member_rows(
    body_ids: Iterable[int], on: date | None = None, *, limit: int | None = None
) -> dict[int, list[MemberRow]]:
    """Current members of the bodies as table rows, chair first, then by
    name: one column-only query per up to 50 bodies.  With ``limit``, at
    most that many rows per body."""
    ids = sorted(set(body_ids))
    grouped: dict[int, list[MemberRow]] = {body_id: [] for body_id in ids}
    today = on or local_today()
    for start in range(0, len(ids), _BODIES_PER_STATEMENT):
        chunk = ids[start : start + _BODIES_PER_STATEMENT]
        params: dict[str, Any] = {f"body_{i}": body_id for i, body_id in enumerate(chunk)}
        params.update(today=today, limit=_ALL_ROWS if limit is None else limit)
        rows = db.session.connection().execute(_first_members_of(len(chunk)), params).all()
        _collect(rows, grouped)
    return grouped


def member_page(body_id: int, page: int | None = None, on: date | None = None) -> Page[MemberRow]:
    """One page of the body's current members (chair first, then by name)."""
    today = on or local_today()
    total = member_counts([body_id], today)[body_id]
    number = _page_number(page, total, MEMBERS_PER_PAGE)
    params = {
        "body_id": body_id,
        "today": today,
        "limit": MEMBERS_PER_PAGE,
        "offset": (number - 1) * MEMBERS_PER_PAGE,
    }
    grouped: dict[int, list[MemberRow]] = {body_id: []}
    _collect(db.session.connection().execute(_MEMBER_PAGE, params).all(), grouped)
    return Page(grouped[body_id], total, number, MEMBERS_PER_PAGE)


def member_counts(body_ids: Iterable[int], on: date | None = None) -> dict[int, int]:
    """How many current members each body has (one query)."""
    ids = sorted(set(body_ids))
    counts = dict.fromkeys(ids, 0)
    if ids:
        today = on or local_today()
        rows = db.session.connection().execute(_MEMBER_COUNTS, {"body_ids": ids, "today": today})
        counts.update({body_id: int(n) for body_id, n in rows})
    return counts


def _collect(rows: Iterable[Any], grouped: dict[int, list[MemberRow]]) -> None:
    """Member lines (Core rows fetched at once, no ORM work) as MemberRows."""
    # Translated once per role and request, not once per line.
    labels = {role.value: role.label for role in MembershipRole}
    for body_id, role, voting, title, first, last, org, d_title, d_first, d_last, *_ in rows:
        grouped[body_id].append(
            MemberRow(
                body_id,
                _full_name(title, first, last),
                role,
                labels[role],
                bool(voting),
                org,
                _full_name(d_title, d_first, d_last) if d_last is not None else None,
            )
        )


@dataclass
class MyBody:
    membership: Membership
    members: list[MemberRow]
    total: int  # all current members; ``members`` shows the first few

    @property
    def body(self) -> Body:
        return self.membership.body


def my_bodies(person_id: int, on: date | None = None) -> list[MyBody]:
    """The person's active bodies with the first current members of each
    (chair first; the body page lists them all): three queries in all
    (memberships, member lines, member counts)."""
    seen: set[int] = set()
    mine: list[Membership] = []
    for m in current_memberships_of(person_id, on):
        if m.body_id not in seen:
            seen.add(m.body_id)
            mine.append(m)
    members = member_rows(seen, on, limit=MY_BODIES_MEMBERS)
    totals = member_counts(seen, on)
    return [MyBody(m, members[m.body_id], totals[m.body_id]) for m in mine]
