"""Extension points of the voting package.

* **Eligibility**: who may vote in a poll and who counts as present for the
  quorum.  The circular resolution (written procedure) is built in: every
  current member with a voting right holds a seat and casts its ballot; the
  quorum counts the seats that took part.  The meetings package registers a
  provider for ``PollMode.MEETING`` that returns the present members or
  their deputies::

      register_eligibility_provider(PollMode.MEETING, MeetingEligibility())

* **Subjects**: what a poll is about (``subject_type`` + ``subject_id``):
  its title, whether it is public and where it is shown.  A package that owns
  a kind of subject registers a resolver::

      register_subject_resolver("paper", resolve_paper)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from ..governance.memberships import voting_members

if TYPE_CHECKING:
    from .models import Poll


@dataclass(frozen=True)
class Seat:
    """A vote that may be cast: the seat (membership) and who casts it."""

    membership_id: int
    person_id: int


class EligibilityProvider(Protocol):
    def voting_members(self, poll: Poll) -> int:
        """Members with a voting right (base of quorum and absolute majority)."""

    def eligible_seats(self, poll: Poll) -> list[Seat]:
        """The seats that may vote, fixed when the poll opens."""

    def present(self, poll: Poll, participants: int) -> int:
        """Members counted as present for the quorum (at opening or closing)."""


class CircularEligibility:
    """Written procedure: all current members with a voting right.

    Present for the quorum are the seats that took part (abstentions
    included); at opening that is nobody yet.
    """

    def voting_members(self, poll: Poll) -> int:
        return len(voting_members(poll.body_id))

    def eligible_seats(self, poll: Poll) -> list[Seat]:
        return [Seat(m.id, m.person_id) for m in voting_members(poll.body_id)]

    def present(self, poll: Poll, participants: int) -> int:
        return participants


_ELIGIBILITY: dict[str, EligibilityProvider] = {"circular": CircularEligibility()}


def register_eligibility_provider(mode: str, provider: EligibilityProvider) -> None:
    _ELIGIBILITY[str(mode)] = provider


def eligibility_provider(mode: str) -> EligibilityProvider:
    try:
        return _ELIGIBILITY[str(mode)]
    except KeyError:
        raise LookupError(f"no eligibility provider for poll mode {mode!r}") from None


@dataclass(frozen=True)
class SubjectInfo:
    title: str
    public: bool
    url: str | None = None
    body_id: int | None = None


SubjectResolver = Callable[[int], "SubjectInfo | None"]
_SUBJECTS: dict[str, SubjectResolver] = {}


def register_subject_resolver(subject_type: str, resolver: SubjectResolver) -> None:
    _SUBJECTS[subject_type] = resolver


def subject_types() -> list[str]:
    return sorted(_SUBJECTS)


def resolve_subject(subject_type: str, subject_id: int | None) -> SubjectInfo | None:
    """What the subject is; falls back to the workflow engine's registered objects.

    Without an explicit resolver an object counts as public only when it has a
    true ``public`` attribute (never by default).
    """
    if subject_id is None:
        return None
    resolver = _SUBJECTS.get(subject_type)
    if resolver is not None:
        return resolver(subject_id)
    return _workflow_subject(subject_type, subject_id)


def _workflow_subject(subject_type: str, subject_id: int) -> SubjectInfo | None:
    from ..extensions import db
    from ..workflow import registry as wf_registry

    subject = wf_registry.SUBJECTS.get(subject_type)
    if subject is None:
        return None
    obj = db.session.get(subject.model, subject_id)
    if obj is None:
        return None
    url = None
    if subject.url_of is not None:
        try:
            url = subject.url_of(obj)
        except RuntimeError:  # url_for outside a request without SERVER_NAME
            url = None
    return SubjectInfo(
        title=subject.title_of(obj),
        public=bool(getattr(obj, "public", False)),
        url=url,
        body_id=subject.body_id_of(obj),
    )
