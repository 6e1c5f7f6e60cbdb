"""Who may see what: one policy, as SQL filters with matching Python checks.

Every kind of object that is shown publicly or per person has a pair here:

* ``<kind>_filter(viewer)``: a SQL condition on the kind's model, for lists,
  exports, OParl, feeds and search (``select(Meeting).where(meeting_filter(v))``).
  It joins nothing: related rows are reached through ``IN``/``EXISTS``
  subqueries, so it can be added to any statement that selects the model.
* ``may_see_<kind>(viewer, obj)``: the same rule in Python for one loaded
  object, for pages.

:data:`RULES` lists the pairs; ``tests/test_visibility.py`` builds a matrix
of objects and viewers and checks for every rule that the filter selects
exactly the objects the check allows.  A new kind gets its pair here and an
entry in that matrix, never a copy of a rule in its own package.

The viewer is anything :func:`viewer` accepts: ``None`` or an anonymous user
(Flask-Login's), a :class:`~netzwerk.auth.models.User`, or a :class:`Viewer`
built once for many checks (a list page calls ``viewer(current_user)`` once:
the viewer loads the bodies a person sits in once, on first use).

The rules (staff = administrators and the Bildungsbüro; "member" = a current
seat, any role, in the object's body; signed in = any active account):

body
    anybody: public bodies.  Signed in: every body.
body in full (what only its members see; the kinds below spell it out)
    members and staff only.
membership
    anybody: seats (also past ones) in public bodies.  Signed in: every seat.
person (name, title, seats; never contact data)
    anybody: people with a seat in a public body.  Signed in: people with
    any seat, and oneself.  Staff: everybody.
contact data (e-mail address, phone, function)
    oneself and staff only.
meeting
    anybody: a public meeting of a public body once out of the planning
    (invited, held or cancelled).  Members: every meeting of their bodies,
    planned ones too.  Staff: all.
meeting in full (the non-public part, attendance, planned meetings)
    members and staff only.
agenda item
    anybody: an item of the public part (its own flag and its parent's) of a
    meeting seen publicly.  Members: every item of their bodies' meetings.
paper (and its attachments)
    anybody: a public, numbered (submitted) paper of a public body.
    Members of its body and its author: the paper.  Staff: all.
consultation
    anybody: its paper is seen publicly and its body is public.  Signed in:
    as its paper (every body is seen).
decision
    anybody: its subject was public when it was decided and its body is
    public.  Members: every decision of their bodies.  Staff: all.
action item
    members of the decision's body, the responsible person, staff.
poll (its page: progress, named ballots of open votes)
    members and staff only.
poll result (the figures of a closed poll)
    anybody: a closed poll of a public body on a public subject (a public
    paper, a public item of a public meeting, a public meeting or project).
    Members: closed polls of their bodies.  Staff: every closed poll.
minutes
    anybody: versions in a state flagged ``public`` (approved) of a meeting
    seen publicly.
    Members: every version of their bodies' meetings.  Staff: all.
project
    anybody: a public project in a state flagged ``public``.  Signed in: all
    but other people's drafts (state flag ``editable_by_author``).
location
    the places of the meetings the viewer sees; staff: all.
counselling case (contacts, referrals, personal details)
    counselling staff only: never staff or administrators as such.
counselling offer
    anybody: an active offer of an active organisation.  Staff and
    counselling staff: all.

Which presentation follows (the public edition of minutes, withdrawn items
struck out, OParl's stubs of deactivated objects) is the caller's business;
whether the object may be shown at all is decided here and nowhere else.

States are asked by their flags in the definition each object is pinned to:
the SQL form lists the state names per definition version (just the names
when no name means one thing in one version and another elsewhere), so the
two forms agree even when definitions differ.

This module imports models and the workflow engine only, never services or
views, so that every package (and the search of issue #22) can use it.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, false, or_, select, true
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement

from .auth.models import User
from .counselling.models import (
    CounsellingCase,
    CounsellingContact,
    CounsellingStaff,
    Offer,
    PersonalDetails,
    Referral,
)
from .decisions.models import ActionItem, Decision
from .extensions import db
from .governance.models import Body, Membership, Organisation, Person
from .meetings.models import MEETING_FLAGS, AgendaItem, Location, Meeting
from .minutes.models import Minutes
from .papers.models import Consultation, Paper, PaperAttachment
from .projects.models import Project
from .timeutil import local_today
from .voting.models import Poll, PollState
from .workflow.catalog import UnknownWorkflow, get_catalog
from .workflow.definition import DefinitionError, WorkflowDefinition
from .workflow.models import WorkflowDefinitionVersion
from .workflow.services import definition_of

Condition = ColumnElement[bool]

# --- the viewer ---------------------------------------------------------------------------


class Viewer:
    """Who is looking.  Build it with :func:`viewer`; tests may pass
    ``body_ids`` and ``counselling_staff`` directly."""

    __slots__ = ("_body_ids", "_counselling", "is_admin", "is_office", "on", "person_id", "user_id")

    def __init__(
        self,
        *,
        user_id: int | None = None,
        person_id: int | None = None,
        is_admin: bool = False,
        is_office: bool = False,
        body_ids: Collection[int] | None = None,
        counselling_staff: bool | None = None,
        on: date | None = None,
    ) -> None:
        self.user_id = user_id
        self.person_id = person_id
        self.is_admin = bool(is_admin)
        self.is_office = bool(is_office)
        self.on = on
        self._body_ids = frozenset(body_ids) if body_ids is not None else None
        self._counselling = counselling_staff

    @property
    def signed_in(self) -> bool:
        return self.user_id is not None

    @property
    def is_staff(self) -> bool:
        """Administrator or Bildungsbüro."""
        return self.signed_in and (self.is_admin or self.is_office)

    @property
    def body_ids(self) -> frozenset[int]:
        """The bodies the person holds a current seat in (any role), loaded once."""
        if self._body_ids is None:
            if self.person_id is None:
                self._body_ids = frozenset()
            else:
                on = self.on or local_today()
                self._body_ids = frozenset(
                    db.session.scalars(
                        select(Membership.body_id).where(
                            Membership.person_id == self.person_id,
                            Membership.start_date <= on,
                            or_(Membership.end_date.is_(None), Membership.end_date >= on),
                        )
                    )
                )
        return self._body_ids

    @property
    def is_counselling_staff(self) -> bool:
        """Listed as counselling staff (data, not a role), with an active account."""
        if self._counselling is None:
            self._counselling = self.user_id is not None and (
                db.session.scalar(
                    select(CounsellingStaff.id)
                    .join(User, User.id == CounsellingStaff.user_id)
                    .where(CounsellingStaff.user_id == self.user_id, User.active)
                )
                is not None
            )
        return bool(self._counselling)

    def sits_in(self, body_id: int | None) -> bool:
        return body_id is not None and body_id in self.body_ids

    def __repr__(self) -> str:
        if not self.signed_in:
            return "<Viewer anonymous>"
        return f"<Viewer user={self.user_id} staff={self.is_staff}>"


ANONYMOUS = Viewer()


def viewer(who: Any) -> Viewer:
    """The viewer for a user, an anonymous user, ``None`` or a viewer.

    An inactive account sees what anybody sees."""
    if isinstance(who, Viewer):
        return who
    if who is None or not getattr(who, "is_authenticated", False):
        return ANONYMOUS
    if not getattr(who, "active", True):
        return ANONYMOUS
    return Viewer(
        user_id=who.id,
        person_id=who.person_id,
        is_admin=bool(getattr(who, "is_admin", False)),
        is_office=bool(getattr(who, "is_office", False)),
    )


def _ids(values: Collection[int]) -> list[int]:
    return sorted(values)


def _is(column: Any) -> Condition:
    """A boolean column that is true (NULL counts as false, as in Python)."""
    return column.is_(True)  # type: ignore[no-any-return]


# --- states by flags, in the definition each object is pinned to ---------------------------


def _definitions(object_type: str) -> list[WorkflowDefinition]:
    """Every definition for the type: the current ones and every stored version."""
    catalog = get_catalog()
    found = {(d.name, d.hash): d for d in catalog.for_object_type(object_type)}
    rows = db.session.execute(
        select(WorkflowDefinitionVersion.name, WorkflowDefinitionVersion.hash).where(
            WorkflowDefinitionVersion.applies_to == object_type
        )
    ).all()
    for name, hash_ in rows:
        if (name, hash_) in found:
            continue
        try:
            found[(name, hash_)] = catalog.version(name, hash_)
        except (UnknownWorkflow, DefinitionError):
            continue
    return list(found.values())


StateTest = Callable[[WorkflowDefinition, str], bool]


def state_condition(model: Any, object_type: str, wanted: StateTest) -> Condition:
    """SQL: the object's state is one that ``wanted(definition, state)`` accepts,
    in the definition the object is pinned to."""
    per_definition: list[tuple[WorkflowDefinition, list[str]]] = []
    yes: set[str] = set()
    no: set[str] = set()
    for definition in _definitions(object_type):
        accepted = [s for s in definition.states if wanted(definition, s)]
        per_definition.append((definition, sorted(accepted)))
        yes |= set(accepted)
        no |= set(definition.states) - set(accepted)
    if not yes:
        return false()
    if not yes & no:  # every name means the same in every version
        return model.state.in_(sorted(yes))  # type: ignore[no-any-return]
    return or_(
        *(
            and_(
                model.workflow_name == definition.name,
                model.workflow_hash == definition.hash,
                model.state.in_(states),
            )
            for definition, states in per_definition
            if states
        )
    )


def _state_ok(obj: Any, wanted: StateTest) -> bool:
    return wanted(definition_of(obj), obj.state)


def _flags(definition: WorkflowDefinition, state: str) -> frozenset[str]:
    found = definition.states.get(state)
    return found.flags if found is not None else frozenset()


def _out_of_planning(definition: WorkflowDefinition, state: str) -> bool:
    """A meeting state carrying any of MEETING_FLAGS (invited, held, cancelled)."""
    return bool(_flags(definition, state) & MEETING_FLAGS)


def _flag(flag: str) -> StateTest:
    def test(definition: WorkflowDefinition, state: str) -> bool:
        return flag in _flags(definition, state)

    return test


def _without_flag(flag: str) -> StateTest:
    def test(definition: WorkflowDefinition, state: str) -> bool:
        return flag not in _flags(definition, state)

    return test


def meeting_not_planned() -> Condition:
    """SQL: the meeting has left the planning (invited, held or cancelled)."""
    return state_condition(Meeting, "meeting", _out_of_planning)


def is_not_planned(meeting: Meeting) -> bool:
    return _state_ok(meeting, _out_of_planning)


# --- bodies, memberships, persons ---------------------------------------------------------


def _sub(stmt: Any) -> Any:
    """An uncorrelated subquery for ``IN``: it never binds to a table of the
    statement it is used in (the caller's joins cannot change its meaning)."""
    return stmt.correlate(None)


def public_body_ids() -> Any:
    """SELECT of the ids of public bodies (for ``IN``)."""
    return _sub(select(Body.id).where(_is(Body.public)))


def body_filter(who: Any) -> Condition:
    v = viewer(who)
    return true() if v.signed_in else _is(Body.public)


def may_see_body(who: Any, body: Body) -> bool:
    return viewer(who).signed_in or bool(body.public)


def body_in_full_filter(who: Any) -> Condition:
    """The body's inside (its non-public meetings, papers, polls, action items):
    members and staff.  The rules of those kinds say the same per object."""
    v = viewer(who)
    if v.is_staff:
        return true()
    if v.signed_in:
        return Body.id.in_(_ids(v.body_ids))
    return false()


def may_see_body_in_full(who: Any, body: Body | int) -> bool:
    v = viewer(who)
    body_id = body if isinstance(body, int) else body.id
    return v.is_staff or (v.signed_in and v.sits_in(body_id))


def membership_filter(who: Any) -> Condition:
    v = viewer(who)
    return true() if v.signed_in else Membership.body_id.in_(public_body_ids())


def may_see_membership(who: Any, membership: Membership) -> bool:
    return viewer(who).signed_in or bool(membership.body.public)


def _has_seat(*conditions: Any) -> Condition:
    """SQL: the person (of the enclosing statement) holds a seat (past or current)."""
    return (
        select(Membership.id)
        .where(Membership.person_id == Person.id, *conditions)
        .correlate(Person)
        .exists()
    )


def person_filter(who: Any) -> Condition:
    """Name, title and seats of a person (never contact data: see
    :func:`contact_data_filter`)."""
    v = viewer(who)
    if v.is_staff:
        return true()
    if v.signed_in:
        return or_(_has_seat(), Person.id == v.person_id)
    return _has_seat(Membership.body_id.in_(public_body_ids()))


def may_see_person(who: Any, person: Person) -> bool:
    v = viewer(who)
    if v.is_staff:
        return True
    if v.signed_in:
        return bool(person.memberships) or person.id == v.person_id
    return any(m.body.public for m in person.memberships)


def contact_data_filter(who: Any) -> Condition:
    """E-mail address, phone and function of a person: staff and the person."""
    v = viewer(who)
    if v.is_staff:
        return true()
    if v.signed_in and v.person_id is not None:
        return Person.id == v.person_id
    return false()


def may_see_contact_data(who: Any, person: Person) -> bool:
    v = viewer(who)
    return v.is_staff or (v.signed_in and v.person_id is not None and person.id == v.person_id)


# --- meetings and their agenda ------------------------------------------------------------


def public_meeting_condition() -> Condition:
    """SQL: a public meeting of a public body, out of the planning."""
    return and_(_is(Meeting.public), Meeting.body_id.in_(public_body_ids()), meeting_not_planned())


def is_public_meeting(meeting: Meeting) -> bool:
    return bool(meeting.public and meeting.body.public and is_not_planned(meeting))


def meeting_filter(who: Any) -> Condition:
    """The meeting may be shown: publicly, or in full to members and staff."""
    v = viewer(who)
    if v.is_staff:
        return true()
    if v.signed_in:
        return or_(public_meeting_condition(), Meeting.body_id.in_(_ids(v.body_ids)))
    return public_meeting_condition()


def may_see_meeting(who: Any, meeting: Meeting) -> bool:
    v = viewer(who)
    if v.is_staff or (v.signed_in and v.sits_in(meeting.body_id)):
        return True
    return is_public_meeting(meeting)


def meeting_in_full_filter(who: Any) -> Condition:
    """The whole meeting: its non-public part, attendance, planned meetings."""
    v = viewer(who)
    if v.is_staff:
        return true()
    if v.signed_in:
        return Meeting.body_id.in_(_ids(v.body_ids))
    return false()


def may_see_meeting_in_full(who: Any, meeting: Meeting) -> bool:
    v = viewer(who)
    return v.is_staff or (v.signed_in and v.sits_in(meeting.body_id))


def _public_part_condition() -> Condition:
    parent = aliased(AgendaItem)
    parent_public = (
        select(parent.id)
        .where(parent.id == AgendaItem.parent_id, _is(parent.public))
        .correlate(AgendaItem)
        .exists()
    )
    return and_(_is(AgendaItem.public), or_(AgendaItem.parent_id.is_(None), parent_public))


def in_public_part(item: AgendaItem) -> bool:
    """The item belongs to the public part of its meeting (its own flag and
    its parent's).  Says nothing about the meeting: see :func:`may_see_agenda_item`."""
    if not item.public:
        return False
    if item.parent_id is None:
        return True
    parent = db.session.get(AgendaItem, item.parent_id)
    return parent is not None and bool(parent.public)


def agenda_item_filter(who: Any) -> Condition:
    v = viewer(who)
    if v.is_staff:
        return true()
    public = and_(
        _public_part_condition(),
        AgendaItem.meeting_id.in_(_sub(select(Meeting.id).where(public_meeting_condition()))),
    )
    if v.signed_in:
        mine = _sub(select(Meeting.id).where(Meeting.body_id.in_(_ids(v.body_ids))))
        return or_(public, AgendaItem.meeting_id.in_(mine))
    return public


def may_see_agenda_item(who: Any, item: AgendaItem) -> bool:
    v = viewer(who)
    meeting = item.meeting
    if may_see_meeting_in_full(v, meeting):
        return True
    return in_public_part(item) and is_public_meeting(meeting)


def location_filter(who: Any) -> Condition:
    """A place: staff see all; others the places of meetings they may see."""
    v = viewer(who)
    if v.is_staff:
        return true()
    used = select(Meeting.location_id).where(Meeting.location_id.is_not(None), meeting_filter(v))
    return Location.id.in_(_sub(used))


def may_see_location(who: Any, location: Location) -> bool:
    v = viewer(who)
    if v.is_staff:
        return True
    meetings = db.session.scalars(select(Meeting).where(Meeting.location_id == location.id))
    return any(may_see_meeting(v, m) for m in meetings)


# --- papers, their files and consultations -----------------------------------------------


def public_paper_condition() -> Condition:
    """SQL: a public, numbered (submitted) paper of a public body."""
    return and_(_is(Paper.public), Paper.number.is_not(None), Paper.body_id.in_(public_body_ids()))


def is_public_paper(paper: Paper) -> bool:
    return bool(paper.public and paper.number is not None and paper.body.public)


def paper_filter(who: Any) -> Condition:
    v = viewer(who)
    if v.is_staff:
        return true()
    if v.signed_in:
        return or_(
            public_paper_condition(),
            Paper.body_id.in_(_ids(v.body_ids)),
            Paper.author_person_id == v.person_id,
        )
    return public_paper_condition()


def may_see_paper(who: Any, paper: Paper) -> bool:
    v = viewer(who)
    if v.is_staff:
        return True
    if v.signed_in and (v.sits_in(paper.body_id) or paper.author_person_id == v.person_id):
        return True
    return is_public_paper(paper)


def attachment_filter(who: Any) -> Condition:
    v = viewer(who)
    if v.is_staff:
        return true()
    return PaperAttachment.paper_id.in_(_sub(select(Paper.id).where(paper_filter(v))))


def may_see_attachment(who: Any, attachment: PaperAttachment) -> bool:
    paper = db.session.get(Paper, attachment.paper_id)
    return paper is not None and may_see_paper(who, paper)


def consultation_filter(who: Any) -> Condition:
    v = viewer(who)
    if v.is_staff:
        return true()
    visible_papers = Consultation.paper_id.in_(_sub(select(Paper.id).where(paper_filter(v))))
    if v.signed_in:
        return visible_papers
    return and_(visible_papers, Consultation.body_id.in_(public_body_ids()))


def may_see_consultation(who: Any, consultation: Consultation) -> bool:
    v = viewer(who)
    paper = db.session.get(Paper, consultation.paper_id)
    if paper is None or not may_see_paper(v, paper):
        return False
    return v.signed_in or bool(consultation.body.public)


# --- decisions and action items ----------------------------------------------------------


def decision_filter(who: Any) -> Condition:
    v = viewer(who)
    if v.is_staff:
        return true()
    public = and_(_is(Decision.subject_public), Decision.body_id.in_(public_body_ids()))
    if v.signed_in:
        return or_(public, Decision.body_id.in_(_ids(v.body_ids)))
    return public


def may_see_decision(who: Any, decision: Decision) -> bool:
    v = viewer(who)
    if v.is_staff or (v.signed_in and v.sits_in(decision.body_id)):
        return True
    return bool(decision.subject_public and decision.body.public)


def action_item_filter(who: Any) -> Condition:
    v = viewer(who)
    if v.is_staff:
        return true()
    if not v.signed_in:
        return false()
    return or_(
        ActionItem.decision_id.in_(
            _sub(select(Decision.id).where(Decision.body_id.in_(_ids(v.body_ids))))
        ),
        ActionItem.responsible_person_id == v.person_id,
    )


def may_see_action_item(who: Any, item: ActionItem) -> bool:
    v = viewer(who)
    if v.is_staff:
        return True
    if not v.signed_in:
        return False
    if v.person_id is not None and item.responsible_person_id == v.person_id:
        return True
    return v.sits_in(item.decision.body_id)


# --- polls and their results -------------------------------------------------------------


def poll_filter(who: Any) -> Condition:
    """The poll itself (its page: progress, named ballots): members and staff."""
    v = viewer(who)
    if v.is_staff:
        return true()
    if v.signed_in:
        return Poll.body_id.in_(_ids(v.body_ids))
    return false()


def may_see_poll(who: Any, poll: Poll) -> bool:
    v = viewer(who)
    return v.is_staff or (v.signed_in and v.sits_in(poll.body_id))


# How "the subject of a poll is public" reads per kind of subject (as the
# subject resolvers in voting and meetings answer it, and as the decisions
# register records it): SQL and Python side by side.  Other kinds of subject
# (free votes without a subject) are never public.


def _subject_public_sql() -> Condition:
    item_public = _sub(
        select(AgendaItem.id)
        .join(Meeting, Meeting.id == AgendaItem.meeting_id)
        .where(_is(AgendaItem.public), _is(Meeting.public))
    )
    return or_(
        and_(
            Poll.subject_type == "paper",
            Poll.subject_id.in_(_sub(select(Paper.id).where(_is(Paper.public)))),
        ),
        and_(Poll.subject_type == "agenda_item", Poll.subject_id.in_(item_public)),
        and_(
            Poll.subject_type == "meeting",
            Poll.subject_id.in_(_sub(select(Meeting.id).where(_is(Meeting.public)))),
        ),
        and_(
            Poll.subject_type == "project",
            Poll.subject_id.in_(_sub(select(Project.id).where(_is(Project.public)))),
        ),
    )


def poll_subject_is_public(poll: Poll) -> bool:
    if poll.subject_id is None:
        return False
    if poll.subject_type == "paper":
        paper = db.session.get(Paper, poll.subject_id)
        return paper is not None and bool(paper.public)
    if poll.subject_type == "agenda_item":
        item = db.session.get(AgendaItem, poll.subject_id)
        return item is not None and bool(item.public and item.meeting.public)
    if poll.subject_type == "meeting":
        meeting = db.session.get(Meeting, poll.subject_id)
        return meeting is not None and bool(meeting.public)
    if poll.subject_type == "project":
        project = db.session.get(Project, poll.subject_id)
        return project is not None and bool(project.public)
    return False


def poll_result_filter(who: Any) -> Condition:
    """The figures of a closed poll (exports, the decision's page)."""
    v = viewer(who)
    closed = Poll.state == PollState.CLOSED.value
    if v.is_staff:
        return closed
    public = and_(Poll.body_id.in_(public_body_ids()), _subject_public_sql())
    if v.signed_in:
        return and_(closed, or_(public, Poll.body_id.in_(_ids(v.body_ids))))
    return and_(closed, public)


def may_see_poll_result(who: Any, poll: Poll) -> bool:
    v = viewer(who)
    if not poll.is_closed:
        return False
    if v.is_staff or (v.signed_in and v.sits_in(poll.body_id)):
        return True
    return bool(poll.body.public) and poll_subject_is_public(poll)


# --- minutes -----------------------------------------------------------------------------


def published_minutes() -> Condition:
    """SQL: the version's state carries the flag ``public`` (the approved state
    of the shipped definition): drafts and versions in circulation never are."""
    return state_condition(Minutes, "minutes", _flag("public"))


def minutes_filter(who: Any) -> Condition:
    v = viewer(who)
    if v.is_staff:
        return true()
    public = and_(
        published_minutes(),
        Minutes.meeting_id.in_(_sub(select(Meeting.id).where(public_meeting_condition()))),
    )
    if v.signed_in:
        mine = _sub(select(Meeting.id).where(Meeting.body_id.in_(_ids(v.body_ids))))
        return or_(public, Minutes.meeting_id.in_(mine))
    return public


def is_public_minutes(minutes: Minutes) -> bool:
    return _state_ok(minutes, _flag("public")) and is_public_meeting(minutes.meeting)


def may_see_minutes(who: Any, minutes: Minutes) -> bool:
    v = viewer(who)
    if may_see_meeting_in_full(v, minutes.meeting):
        return True
    return is_public_minutes(minutes)


def may_see_minutes_in_full(who: Any, minutes: Minutes) -> bool:
    """The full edition (non-public items); others get the public edition."""
    return may_see_meeting_in_full(who, minutes.meeting)


# --- projects ----------------------------------------------------------------------------


def project_filter(who: Any) -> Condition:
    v = viewer(who)
    if v.is_staff:
        return true()
    if v.signed_in:
        return or_(
            state_condition(Project, "project", _without_flag("editable_by_author")),
            Project.lead_person_id == v.person_id,
            Project.created_by_person_id == v.person_id,
        )
    return and_(_is(Project.public), state_condition(Project, "project", _flag("public")))


def may_see_project(who: Any, project: Project) -> bool:
    v = viewer(who)
    if v.is_staff:
        return True
    if v.signed_in:
        if v.person_id is not None and v.person_id in (
            project.lead_person_id,
            project.created_by_person_id,
        ):
            return True
        return _state_ok(project, _without_flag("editable_by_author"))
    return bool(project.public) and _state_ok(project, _flag("public"))


# --- counselling -------------------------------------------------------------------------


def counselling_filter(who: Any) -> Condition:
    """Cases and everything in them (contacts, referrals, personal details):
    counselling staff only, administrators and the Bildungsbüro included."""
    return true() if viewer(who).is_counselling_staff else false()


def may_see_counselling(who: Any, obj: Any = None) -> bool:
    return viewer(who).is_counselling_staff


COUNSELLING_MODELS = (CounsellingCase, CounsellingContact, Referral, PersonalDetails)


def offer_filter(who: Any) -> Condition:
    v = viewer(who)
    if v.is_staff or v.is_counselling_staff:
        return true()
    return and_(
        _is(Offer.active),
        Offer.organisation_id.in_(_sub(select(Organisation.id).where(_is(Organisation.active)))),
    )


def may_see_offer(who: Any, offer: Offer) -> bool:
    v = viewer(who)
    if v.is_staff or v.is_counselling_staff:
        return True
    return bool(offer.active and offer.organisation.active)


# --- the list of rules -------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """One kind: its model, its SQL filter and its Python check."""

    kind: str
    model: type[Any]
    sql: Callable[[Any], Condition]
    check: Callable[[Any, Any], bool]


RULES: dict[str, Rule] = {
    rule.kind: rule
    for rule in (
        Rule("body", Body, body_filter, may_see_body),
        Rule("body_in_full", Body, body_in_full_filter, may_see_body_in_full),
        Rule("membership", Membership, membership_filter, may_see_membership),
        Rule("person", Person, person_filter, may_see_person),
        Rule("contact_data", Person, contact_data_filter, may_see_contact_data),
        Rule("meeting", Meeting, meeting_filter, may_see_meeting),
        Rule("meeting_in_full", Meeting, meeting_in_full_filter, may_see_meeting_in_full),
        Rule("agenda_item", AgendaItem, agenda_item_filter, may_see_agenda_item),
        Rule("location", Location, location_filter, may_see_location),
        Rule("paper", Paper, paper_filter, may_see_paper),
        Rule("attachment", PaperAttachment, attachment_filter, may_see_attachment),
        Rule("consultation", Consultation, consultation_filter, may_see_consultation),
        Rule("decision", Decision, decision_filter, may_see_decision),
        Rule("action_item", ActionItem, action_item_filter, may_see_action_item),
        Rule("poll", Poll, poll_filter, may_see_poll),
        Rule("poll_result", Poll, poll_result_filter, may_see_poll_result),
        Rule("minutes", Minutes, minutes_filter, may_see_minutes),
        Rule("project", Project, project_filter, may_see_project),
        Rule("counselling_case", CounsellingCase, counselling_filter, may_see_counselling),
        Rule("offer", Offer, offer_filter, may_see_offer),
    )
}
