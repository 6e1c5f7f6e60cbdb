"""Feedback: submitting, looking up by receipt code, triage, referral, retention.

Every function runs without a request; writes own their transaction.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Select, delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from ..audit.services import record
from ..auth.models import User
from ..database import utcnow, write_transaction
from ..extensions import db
from ..forms import MAX_ID, optional_id
from ..governance.models import Body
from ..meetings.models import AgendaItem
from ..rules import checked_text, without_bidi_controls
from ..timeutil import format_date, local_today, to_local
from ..workflow import services as workflow
from ..workflow.catalog import get_catalog
from . import working
from .languages import LANGUAGES
from .models import (
    ANSWERED,
    CHANNELS,
    CHOICE_KINDS,
    DUPLICATE,
    IN_TRIAGE,
    NEW,
    PASSED,
    Feedback,
    FeedbackChoice,
    FeedbackChoiceLabel,
    FeedbackContact,
    FeedbackReferral,
    FeedbackTag,
    FeedbackTagLink,
    FeedbackWorkingTranslation,
    day_start,
)
from .validation import FeedbackError, FeedbackInput, check_choice, validate_input
from .vocab import SEED_CHOICES

# Receipt codes: 3 groups of 4 from 23 characters that cannot be confused when
# read aloud or written by hand (no 0/O, 1/I/L, 2/Z, 5/S, 8/B, 6/G): 54 bits.
CODE_ALPHABET = "ACDEFHJKMNPQRTUVWXY3479"
CODE_LENGTH = 12
MAX_TEXT = 4000
DEFAULT_RETENTION_DAYS = 180


# --- receipt codes ------------------------------------------------------------


def new_receipt_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def format_code(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def normalise_code(value: str | None) -> str:
    """What a person typed, as stored: upper case, without spaces or dashes."""
    cleaned = "".join(ch for ch in (value or "").upper() if ch.isalnum())
    return cleaned[:CODE_LENGTH] if len(cleaned) == CODE_LENGTH else ""


# --- configurable choices -----------------------------------------------------


def ensure_default_choices() -> None:
    """Seed the lists of a fresh installation (idempotent: only empty kinds)."""
    present = set(db.session.scalars(select(FeedbackChoice.kind).distinct()))
    missing = [kind for kind in CHOICE_KINDS if kind not in present]
    if not missing:
        return
    try:
        with write_transaction():
            for kind in missing:
                if db.session.scalar(select(FeedbackChoice.id).where(FeedbackChoice.kind == kind)):
                    continue
                for position, (code, labels) in enumerate(SEED_CHOICES[kind]):
                    choice = FeedbackChoice(kind=kind, code=code, position=position, active=True)
                    choice.labels = [
                        FeedbackChoiceLabel(locale=locale, label=label)
                        for locale, label in labels.items()
                    ]
                    db.session.add(choice)
    except IntegrityError:  # seeded concurrently by another request
        pass  # the block undid its part


def choices(kind: str, *, active_only: bool = True) -> Sequence[FeedbackChoice]:
    stmt = select(FeedbackChoice).where(FeedbackChoice.kind == kind)
    if active_only:
        stmt = stmt.where(FeedbackChoice.active)
    return db.session.scalars(stmt.order_by(FeedbackChoice.position, FeedbackChoice.id)).all()


def choice_options(kind: str, locale_key: str) -> list[tuple[int, str]]:
    return [(c.id, c.label(locale_key)) for c in choices(kind)]


def get_choice(choice_id: int) -> FeedbackChoice | None:
    return db.session.get(FeedbackChoice, choice_id) if 0 < choice_id <= MAX_ID else None


def all_choices_by_id() -> dict[int, FeedbackChoice]:
    return {c.id: c for c in db.session.scalars(select(FeedbackChoice))}


def save_choice(
    user: User,
    *,
    kind: str,
    code: str,
    labels: dict[str, str],
    position: int = 0,
    active: bool = True,
    choice_id: int | None = None,
) -> FeedbackChoice:
    """Create or change an entry of a configurable list with its labels."""
    if kind not in CHOICE_KINDS:
        raise FeedbackError(_("Unknown list."), "kind")
    code = (code or "").strip().lower()
    if not code or len(code) > 60 or not all(ch.isalnum() or ch in "_-" for ch in code):
        raise FeedbackError(
            _("Use letters, digits, '-' and '_' only (at most 60 characters)."), "code"
        )
    if not (labels.get("de") or "").strip():
        raise FeedbackError(_("Please enter the German label."), "label_de")
    try:
        with write_transaction():
            if choice_id is None:
                choice = FeedbackChoice(kind=kind, code=code)
                db.session.add(choice)
            else:
                found = db.session.get(FeedbackChoice, choice_id)
                if found is None or found.kind != kind:
                    raise FeedbackError(_("This entry does not exist."))
                choice = found
                choice.code = code
            choice.position = position
            choice.active = active
            existing = {item.locale: item for item in choice.labels}
            for locale, label in labels.items():
                label = (label or "").strip()[:200]
                if locale not in LANGUAGES:
                    continue
                if label and locale in existing:
                    existing[locale].label = label
                elif label:
                    choice.labels.append(FeedbackChoiceLabel(locale=locale, label=label))
                elif locale in existing:
                    choice.labels.remove(existing[locale])
            db.session.flush()
            record(
                "feedback.choice_saved",
                "feedback_choice",
                choice.id,
                actor_id=user.id,
                data={"kind": kind, "code": code, "active": active},
            )
    except IntegrityError:
        raise FeedbackError(_("This code is already used in this list."), "code") from None
    return choice


# --- the triage workflow -------------------------------------------------------------

FEEDBACK_TYPE = "feedback"


def triage_workflow() -> Any:
    """The definition new feedback starts under (feedback has no body that
    could choose one: the catalog's definition for feedback)."""
    definition = get_catalog().default_for(FEEDBACK_TYPE)
    if definition is None:
        raise FeedbackError(_("No workflow is available for this kind of object."))
    return definition


def _states(flag: str) -> list[str]:
    return workflow.states_with_flag(FEEDBACK_TYPE, flag)


def may_step_to(user: User, feedback: Feedback, flag: str) -> bool:
    """Whether the user's role allows a step into a state with ``flag`` now
    (the step's guard may still want data: an answer, an original)."""
    roles = workflow.roles_of(user, feedback)
    return any(workflow.role_allows(t, roles) for t in workflow.transitions_to_flag(feedback, flag))


def _conflict_message() -> str:
    return _(
        "Someone else has changed this item in the meantime. "
        "Please reload the page and check its current state."
    )


def _step_to(
    user: User,
    feedback: Feedback,
    flag: str,
    *,
    expected_version: int | None = None,
    required: bool = True,
) -> bool:
    """Fire the first step into a state with ``flag`` that the user may take
    now (inside the caller's transaction, after it wrote the step's data).

    Without such a step: WorkflowError when ``required``, else False.
    """
    db.session.flush()
    allowed = {a.transition.name for a in workflow.available_transitions(user, feedback)}
    for transition in workflow.transitions_to_flag(feedback, flag):
        if transition.name in allowed:
            workflow.fire(user, feedback, transition.name, expected_version=expected_version)
            return True
    if required:
        raise workflow.TransitionNotAllowed(_("This step is not possible in the current state."))
    return False


def fire_feedback(
    user: User,
    feedback_id: int,
    transition_name: str,
    *,
    comment: str | None = None,
    expected_version: int | None = None,
) -> Feedback:
    """One step of the triage workflow (a button of the panel)."""
    feedback = db.session.get(Feedback, feedback_id) if 0 < feedback_id <= MAX_ID else None
    if feedback is None:
        raise FeedbackError(_("This feedback does not exist."))
    workflow.fire(
        user, feedback, transition_name, comment=comment, expected_version=expected_version
    )
    return feedback


# --- submitting -----------------------------------------------------------------


def submit_feedback(
    data: FeedbackInput,
    *,
    language: str = "de",
    channel: str = "online",
    entered_by: User | None = None,
    received_on: date | None = None,
) -> Feedback:
    """Store one feedback and return it with its receipt code.

    A feedback is dated by its day only (``models.day_start``): its
    ``created_at``, the start of its workflow (and that audit event), its
    first ``updated_at`` and a contact's ``consent_at`` are midnight in
    Berlin, so no stored time can be matched to a request in some log.
    ``received_on`` is the day staff received a feedback they enter later
    (today by default).  Nothing about the sender's connection (address,
    browser) is passed in or stored.
    """
    if channel not in CHANNELS:
        raise FeedbackError(_("Please choose one of the options."), "channel")
    if language not in LANGUAGES:
        raise FeedbackError(_("Please choose one of the options."), "language")
    data = validate_input(data)
    created_at = day_start(min(received_on or local_today(), local_today()))
    definition = triage_workflow()
    for _attempt in range(5):
        try:
            with write_transaction():
                feedback = Feedback(
                    workflow_name=definition.name,
                    workflow_hash=definition.hash,
                    state=definition.initial,
                    receipt_code=new_receipt_code(),
                    channel=channel,
                    language=language,
                    category_id=data.category_id,
                    rating=data.rating,
                    text=data.text,
                    district_id=data.district_id,
                    target_group_id=data.target_group_id,
                    age_group=data.age_group or None,
                    migration=data.migration or None,
                    languages_spoken=",".join(sorted(set(data.languages_spoken))),
                    entered_by_id=entered_by.id if entered_by else None,
                    # Written once as the workflow start leaves them (no
                    # UPDATE with a time of day follows, nor a dead row of one).
                    created_at=created_at,
                    updated_at=created_at,
                    state_entered_at=created_at,
                    version=0,
                )
                if data.contact_consent:
                    feedback.contact = FeedbackContact(
                        name=data.contact_name,
                        email=data.contact_email,
                        phone=data.contact_phone,
                        consent_at=day_start(),
                    )
                db.session.add(feedback)
                db.session.flush()
                workflow.start(feedback, definition, entered_by, at=created_at)
                if entered_by is not None:
                    record(
                        "feedback.entered",
                        "feedback",
                        feedback.id,
                        actor_id=entered_by.id,
                        data={"channel": channel},
                    )
            return feedback
        except IntegrityError:  # receipt code collision: draw again
            pass  # the block undid its part
    raise FeedbackError(_("Your feedback could not be stored. Please try again."))


# --- receipt page and data subject export ----------------------------------------


def find_by_code(code: str | None) -> Feedback | None:
    normalised = normalise_code(code)
    if not normalised:
        return None
    return db.session.scalar(
        select(Feedback)
        .options(
            selectinload(Feedback.referrals).joinedload(FeedbackReferral.body),
            selectinload(Feedback.referrals)
            .joinedload(FeedbackReferral.agenda_item)
            .joinedload(AgendaItem.meeting),
            joinedload(Feedback.category).selectinload(FeedbackChoice.labels),
        )
        .where(Feedback.receipt_code == normalised)
    )


@dataclass
class StatusStep:
    kind: str  # received | considered | passed | answered | duplicate
    at: datetime | None
    body_name: str | None = None
    text: str | None = None
    language: str | None = None  # the language key of ``text``
    translator: str | None = None  # a person who translated ``text``


def status_steps(feedback: Feedback) -> list[StatusStep]:
    """What became of a feedback, oldest first (for its receipt page)."""
    steps = [StatusStep("received", feedback.created_at)]
    if feedback.considered_at:
        steps.append(StatusStep("considered", feedback.considered_at))
    if feedback.duplicate_of_id:
        steps.append(StatusStep("duplicate", feedback.considered_at))
    referrals = list(feedback.referrals)
    if feedback.duplicate_of is not None:
        referrals += list(feedback.duplicate_of.referrals)
    for referral in sorted(referrals, key=lambda r: r.passed_at):
        steps.append(StatusStep("passed", referral.passed_at, body_name=referral.body.name))
        item = referral.agenda_item
        if item is not None and not item.withdrawn:
            steps.append(
                StatusStep("on_agenda", item.meeting.starts_at, body_name=referral.body.name)
            )
    answer_from = feedback
    if not feedback.answer and feedback.duplicate_of is not None:
        answer_from = feedback.duplicate_of
    if answer_from.answer:
        from .outcomes import reply_for

        reply = reply_for(answer_from)
        steps.append(
            StatusStep(
                "answered",
                answer_from.answered_at,
                text=reply.text,
                language=reply.language,
                translator=reply.translator,
            )
        )
    return steps


def export_data(feedback: Feedback) -> dict[str, Any]:
    """Everything stored about one feedback (the data subject's request)."""
    contact = feedback.contact
    return {
        "receipt_code": format_code(feedback.receipt_code),
        "created_at": to_local(feedback.created_at).date().isoformat(),  # the day only
        "channel": feedback.channel,
        "language": feedback.language,
        "category": feedback.category.label("de"),
        "rating": feedback.rating,
        "text": feedback.text,
        "district": feedback.district.label("de") if feedback.district else None,
        "target_group": feedback.target_group.label("de") if feedback.target_group else None,
        "age_group": feedback.age_group,
        "migration": feedback.migration,
        "languages_spoken": feedback.spoken,
        "contact": (
            {
                "name": contact.name,
                "email": contact.email,
                "phone": contact.phone,
                "consent_at": to_local(contact.consent_at).date().isoformat(),
            }
            if contact
            else None
        ),
        "considered_at": feedback.considered_at.isoformat() if feedback.considered_at else None,
        "redacted_at": feedback.redacted_at.isoformat() if feedback.redacted_at else None,
        "working_translation": (
            {
                "text": working_item.text,
                "translator": working_item.translator,
                "translated_at": working_item.translated_at.isoformat(),
            }
            if (working_item := feedback.working_translation)
            else None
        ),
        "tags": [tag.label for tag in feedback.tags],
        "passed_to": [
            {"body": r.body.name, "passed_at": r.passed_at.isoformat()} for r in feedback.referrals
        ],
        "answer": feedback.answer,
        "answer_language": feedback.answer_language,
        "answer_translation": feedback.answer_translation,
        "answer_translator": feedback.answer_translator,
        "answered_at": feedback.answered_at.isoformat() if feedback.answered_at else None,
    }


# --- triage ------------------------------------------------------------------------


@dataclass
class TriageFilter:
    category_id: int | None = None
    district_id: int | None = None
    target_group_id: int | None = None
    channel: str | None = None
    language: str | None = None
    status: str | None = None  # new | considered | answered | passed | duplicate
    tag: str | None = None
    q: str | None = None


def triage_query(f: TriageFilter) -> Select[tuple[Feedback]]:
    stmt = select(Feedback).options(
        joinedload(Feedback.category).selectinload(FeedbackChoice.labels),
        joinedload(Feedback.district).selectinload(FeedbackChoice.labels),
        selectinload(Feedback.tags),
        selectinload(Feedback.referrals).joinedload(FeedbackReferral.body),
        selectinload(Feedback.working_translation),
    )
    if f.category_id:
        stmt = stmt.where(Feedback.category_id == f.category_id)
    if f.district_id:
        stmt = stmt.where(Feedback.district_id == f.district_id)
    if f.target_group_id:
        stmt = stmt.where(Feedback.target_group_id == f.target_group_id)
    if f.channel:
        stmt = stmt.where(Feedback.channel == f.channel)
    if f.language:
        stmt = stmt.where(Feedback.language == f.language)
    if f.status == "new":
        stmt = stmt.where(Feedback.state.in_(_states(NEW)))
    elif f.status == "considered":
        stmt = stmt.where(Feedback.state.not_in(_states(NEW)))
    elif f.status == "answered":
        stmt = stmt.where(Feedback.state.in_(_states(ANSWERED)))
    elif f.status == "duplicate":
        stmt = stmt.where(Feedback.state.in_(_states(DUPLICATE)))
    elif f.status == "passed":
        stmt = stmt.where(Feedback.referrals.any())
    if f.tag:
        stmt = stmt.where(Feedback.tags.any(FeedbackTag.name == tag_key(f.tag)))
    if f.q:
        pattern = "%" + f.q.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_") + "%"
        stmt = stmt.where(
            or_(
                Feedback.text.ilike(pattern, escape="\\"),
                # Its German working translation finds it in German words too.
                Feedback.working_translation.has(
                    FeedbackWorkingTranslation.text.ilike(pattern, escape="\\")
                ),
                Feedback.receipt_code == normalise_code(f.q),
            )
        )
    return stmt.order_by(Feedback.created_at.desc(), Feedback.id.desc())


def list_feedback(
    f: TriageFilter, *, page: int = 1, per_page: int = 50
) -> tuple[list[Feedback], int]:
    total = (
        db.session.scalar(
            select(func.count()).select_from(triage_query(f).order_by(None).subquery())
        )
        or 0
    )
    page = min(max(page, 1), 1_000_000)
    items = list(
        db.session.scalars(triage_query(f).limit(per_page).offset((page - 1) * per_page)).unique()
    )
    return items, total


def get_feedback(feedback_id: int) -> Feedback | None:
    if not 0 < feedback_id <= MAX_ID:
        return None
    return db.session.scalar(
        select(Feedback)
        .options(
            selectinload(Feedback.tags),
            selectinload(Feedback.referrals).joinedload(FeedbackReferral.body),
            selectinload(Feedback.referrals)
            .joinedload(FeedbackReferral.agenda_item)
            .joinedload(AgendaItem.meeting),
            selectinload(Feedback.referrals).joinedload(FeedbackReferral.paper),
            joinedload(Feedback.contact),
            selectinload(Feedback.working_translation),
        )
        .where(Feedback.id == feedback_id)
    )


def _locked(feedback_id: int) -> Feedback:
    found = db.session.scalar(select(Feedback).where(Feedback.id == feedback_id).with_for_update())
    if found is None:
        raise FeedbackError(_("This feedback does not exist."))
    return found


MAX_TAGS = 20
MAX_TAG = 60


def tag_key(title: str) -> str:
    """The key a tag is stored and found under: lower case, one space between words."""
    return " ".join((title or "").split()).lower()


def parse_tags(value: str) -> list[tuple[str, str]]:
    """(key, title) of the tags typed, separated by commas, in their order;
    the same tag twice (in any case) counts once.  A tag longer than 60
    characters or holding a control character is refused, naming it."""
    tags: dict[str, str] = {}
    for raw in (value or "").split(","):
        title = " ".join(without_bidi_controls(raw).split())
        if not title:
            continue
        if len(title) > MAX_TAG:
            raise FeedbackError(
                _(
                    "The tag “%(tag)s…” is too long: at most %(max)d characters.",
                    tag=title[:20],
                    max=MAX_TAG,
                ),
                "tags",
            )
        if any(not ch.isprintable() for ch in title):
            raise FeedbackError(_("A tag may not hold invisible control characters."), "tags")
        tags.setdefault(title.lower(), title)
    if len(tags) > MAX_TAGS:
        raise FeedbackError(_("At most 20 tags."), "tags")
    return list(tags.items())


def tag_exists(name: str) -> bool:
    found = db.session.scalar(select(FeedbackTag.id).where(FeedbackTag.name == tag_key(name)))
    return found is not None


def _check_kept_choice(
    choice_id: int | None, current: int | None, kind: str, field_name: str, required: bool
) -> None:
    """A choice of the list; the stored one is kept even when it is no
    longer offered (inactive), so saving never changes it unasked."""
    if choice_id is not None and choice_id == current:
        return
    check_choice(choice_id, kind, field_name, required)


def categorise(
    user: User,
    feedback_id: int,
    *,
    category_id: int,
    district_id: int | None,
    target_group_id: int | None,
    tags: str,
) -> Feedback:
    """Set category, district, target group and tags; a new feedback is then
    in triage (the workflow's step into a state flagged ``in_triage``).

    A tag is stored once, under its key, with the title it was first written
    with; a feedback shows that stored title."""
    parsed = parse_tags(tags)
    names = [key for key, _title in parsed]
    with write_transaction():
        feedback = _locked(feedback_id)
        _check_kept_choice(category_id, feedback.category_id, "category", "category", True)
        _check_kept_choice(district_id, feedback.district_id, "district", "district", False)
        _check_kept_choice(
            target_group_id, feedback.target_group_id, "target_group", "target_group", False
        )
        feedback.category_id = category_id
        feedback.district_id = district_id
        feedback.target_group_id = target_group_id
        existing = {
            t.name: t
            for t in db.session.scalars(select(FeedbackTag).where(FeedbackTag.name.in_(names)))
        }
        for name, title in parsed:
            if name not in existing:
                tag = FeedbackTag(name=name, title=title)
                db.session.add(tag)
                existing[name] = tag
            elif existing[name].title is None:
                existing[name].title = title
        db.session.flush()
        db.session.execute(
            delete(FeedbackTagLink).where(FeedbackTagLink.feedback_id == feedback_id)
        )
        for name in names:
            db.session.add(FeedbackTagLink(feedback_id=feedback_id, tag_id=existing[name].id))
        if feedback.is_new:
            _step_to(user, feedback, IN_TRIAGE, required=False)
        record(
            "feedback.categorised",
            "feedback",
            feedback_id,
            actor_id=user.id,
            data={"category_id": category_id, "tags": names},
        )
    db.session.expire_all()
    return feedback


def redact(user: User, feedback_id: int, new_text: str) -> Feedback:
    """Replace the free text by a redacted version; the original is not kept.

    The audit trail records that (and by whom) it was redacted, never what
    was removed.
    """
    new_text = (new_text or "").replace("\x00", "").strip()
    if len(new_text) > MAX_TEXT:
        raise FeedbackError(_("Please write at most 4000 characters."), "text")
    with write_transaction():
        feedback = _locked(feedback_id)
        if feedback.text == new_text:
            raise FeedbackError(_("The text is unchanged."), "text")
        removed = max(len(feedback.text) - len(new_text), 0)
        feedback.text = new_text
        feedback.redacted_at = utcnow()
        if feedback.is_new:
            _step_to(user, feedback, IN_TRIAGE, required=False)
        record(
            "feedback.redacted",
            "feedback",
            feedback_id,
            actor_id=user.id,
            data={"characters_removed": removed},
        )
    return feedback


def mark_duplicate(
    user: User,
    feedback_id: int,
    original_code_or_id: str,
    *,
    expected_version: int | None = None,
) -> Feedback:
    """Link the feedback to the earlier one it repeats and take the
    workflow's step into a state flagged ``duplicate``."""
    value = (original_code_or_id or "").strip()
    original: Feedback | None = None
    number = optional_id(value)  # a receipt code is no number
    if number is not None and number > 0:
        original = db.session.get(Feedback, number)
    if original is None:
        original = db.session.scalar(
            select(Feedback).where(Feedback.receipt_code == normalise_code(value))
        )
    if original is None:
        raise FeedbackError(_("No feedback with this number or receipt code."), "original")
    if original.id == feedback_id:
        raise FeedbackError(_("A feedback cannot duplicate itself."), "original")
    if original.duplicate_of_id is not None:
        original = db.session.get(Feedback, original.duplicate_of_id) or original
        if original.id == feedback_id:
            raise FeedbackError(_("A feedback cannot duplicate itself."), "original")
    original_id = original.id
    with write_transaction():
        feedback = _locked(feedback_id)
        feedback.duplicate_of_id = original_id
        # Duplicates of this one now point to the original as well (no chains).
        for other in db.session.scalars(
            select(Feedback).where(Feedback.duplicate_of_id == feedback_id)
        ):
            other.duplicate_of_id = original_id
        if feedback.is_duplicate:  # another original: the link changes, not the state
            if expected_version is not None and expected_version != feedback.version:
                raise workflow.WorkflowConflict(_conflict_message())
        else:
            _step_to(user, feedback, DUPLICATE, expected_version=expected_version)
        record(
            "feedback.duplicate",
            "feedback",
            feedback_id,
            actor_id=user.id,
            data={"original_id": original_id},
        )
    return feedback


def _answer_languages(feedback: Feedback) -> list[str]:
    """The languages an answer may be written in: the sender's, or German
    (then with a translation into the sender's language by a person)."""
    return [feedback.language] + (["de"] if feedback.language != "de" else [])


def _without_code(feedback: Feedback, text: str, field: str) -> None:
    """The answer is mailed: it never carries the receipt code."""
    squeezed = "".join(ch for ch in text.upper() if ch.isalnum())
    if feedback.receipt_code in squeezed:
        raise FeedbackError(
            _("Please leave out the receipt code: the answer is sent by e-mail."), field
        )


def answer(
    user: User,
    feedback_id: int,
    text: str,
    *,
    expected_version: int | None = None,
    language: str | None = None,
    translation: str = "",
    translator: str = "",
) -> Feedback:
    """Publish the answer on the receipt page: the workflow's step into a
    state flagged ``answered``; an answered feedback's answer is corrected.

    The answer is written in the sender's language (``language`` None), or
    in German with its translation into the sender's language by a person
    (``translator``: nothing goes to a machine service).  A sender who left
    an e-mail address with their consent gets it by mail in their language,
    without the receipt code (once per text: a correction is mailed again).
    """
    from . import outcomes

    text = (text or "").replace("\x00", "").strip()
    if not text:
        raise FeedbackError(_("Please write the answer."), "answer")
    if len(text) > MAX_TEXT:
        raise FeedbackError(_("Please write at most 4000 characters."), "answer")
    with write_transaction():
        feedback = _locked(feedback_id)
        if expected_version is not None and expected_version != feedback.version:
            raise workflow.WorkflowConflict(_conflict_message())
        written_in = language or feedback.language
        if written_in not in _answer_languages(feedback):
            raise FeedbackError(_("Please choose one of the options."), "answer_language")
        translated: str | None = None
        credit: str | None = None
        if written_in != feedback.language:
            translated = checked_text(
                translation, "answer_translation", MAX_TEXT, error=FeedbackError
            )
            if not translated:
                raise FeedbackError(
                    _("Please enter the translation into the sender's language."),
                    "answer_translation",
                )
            credit = checked_text(translator, "answer_translator", 200, error=FeedbackError)
            if not credit:
                raise FeedbackError(_("Please name who translated it."), "answer_translator")
            _without_code(feedback, translated, "answer_translation")
        _without_code(feedback, text, "answer")
        feedback.answer = text
        feedback.answer_language = written_in
        feedback.answer_translation = translated
        feedback.answer_translator = credit
        if feedback.is_answered:  # a correction of the published answer
            feedback.answered_at = utcnow()
        else:
            _step_to(user, feedback, ANSWERED, expected_version=expected_version)
        record(
            "feedback.answered",
            "feedback",
            feedback_id,
            actor_id=user.id,
            data={"language": written_in, "translator": credit},
        )
        outcomes.notify_reply(feedback)
    return feedback


# --- passing feedback to a body ------------------------------------------------------


def referral_bodies() -> Sequence[Body]:
    return db.session.scalars(select(Body).where(Body.active).order_by(Body.name)).all()


def referral_meetings() -> list[tuple[Any, str]]:
    """Upcoming meetings whose agenda can still take feedback, with a label."""
    from ..meetings.agenda import open_meetings_for_choice
    from ..timeutil import format_local

    return [
        (meeting, f"{meeting.body.name} – {format_local(meeting.starts_at)}")
        for meeting in open_meetings_for_choice(None)
        if meeting.body.active
    ]


def _paper_text(feedbacks: Iterable[Feedback], note: str) -> str:
    parts = [note.strip()] if note.strip() else []
    for fb in feedbacks:
        facts = [fb.category.label("de"), _("rating %(n)s of 5", n=fb.rating)]
        if fb.district:
            facts.append(fb.district.label("de"))
        if fb.target_group:
            facts.append(fb.target_group.label("de"))
        heading = (
            _(
                "Feedback %(code)s of %(date)s",
                code=format_code(fb.receipt_code),
                date=format_date(fb.created_at),  # the day in Berlin
            )
            + " ("
            + ", ".join(facts)
            + ")"
        )
        if working.needs_translation(fb):
            # The original and its German working translation, each a
            # paragraph of its own (the paper page marks the original's language).
            parts.append(heading)
            parts.extend(working.quote_paragraphs(fb))
        else:
            parts.append(heading + "\n" + (fb.text or "–"))
    return "\n\n".join(parts)


def pass_to_body(
    user: User,
    feedback_ids: Sequence[int],
    *,
    body_id: int,
    title: str,
    note: str = "",
    meeting_id: int | None = None,
) -> list[FeedbackReferral]:
    """Pass feedback to a body as an information paper, linked both ways.

    With a ``meeting_id`` (a planned or invited meeting of that body) the
    paper also goes on the meeting's agenda, and the feedback records the
    agenda item.  Everything happens in one transaction: paper, agenda
    item, links and audit event are written together or not at all.  The
    paper carries the feedback texts as they are now (redact first) and
    never any contact details.
    """
    from ..meetings.access import MeetingError
    from ..meetings.agenda import put_paper_on_agenda_in_transaction
    from ..meetings.models import Meeting
    from ..papers.models import PaperKind
    from ..papers.services import add_paper

    ids = sorted({int(i) for i in feedback_ids if 0 < int(i) <= MAX_ID})
    if not ids:
        raise FeedbackError(_("Please choose at least one feedback."), "feedback_ids")
    body = db.session.get(Body, body_id) if body_id and 0 < body_id <= MAX_ID else None
    if body is None or not body.active:
        raise FeedbackError(_("Please choose a body."), "body_id")
    if meeting_id is not None:
        meeting = db.session.get(Meeting, meeting_id) if 0 < meeting_id <= MAX_ID else None
        if meeting is None or meeting.body_id != body_id:
            raise FeedbackError(_("Please choose a meeting of this body."), "meeting_id")
    title = " ".join((title or "").split())[:300] or _("Feedback from the feedback system")
    now = utcnow()
    with write_transaction():
        feedbacks = list(
            db.session.scalars(
                select(Feedback)
                .options(
                    joinedload(Feedback.category),
                    joinedload(Feedback.district),
                    selectinload(Feedback.working_translation),
                )
                .where(Feedback.id.in_(ids))
                .order_by(Feedback.created_at, Feedback.id)
            ).unique()
        )
        if len(feedbacks) != len(ids):
            raise FeedbackError(_("This feedback does not exist."), "feedback_ids")
        working.check_passable(feedbacks)
        paper = add_paper(
            user,
            author_person_id=user.person_id,
            body_id=body_id,
            kind=PaperKind.INFORMATION,
            title=title,
            text=_paper_text(feedbacks, note or ""),
        )
        agenda_item_id = None
        if meeting_id is not None:
            try:
                item = put_paper_on_agenda_in_transaction(meeting_id, paper, user)
            except MeetingError as exc:
                raise FeedbackError(str(exc), "meeting_id") from None
            agenda_item_id = item.id
        referrals = []
        for fb in feedbacks:
            referral = FeedbackReferral(
                feedback_id=fb.id,
                body_id=body_id,
                paper_id=paper.id,
                agenda_item_id=agenda_item_id,
                passed_at=now,
                passed_by_id=user.id,
            )
            db.session.add(referral)
            referrals.append(referral)
        db.session.flush()
        for fb in feedbacks:
            # Passed on: the workflow's step into a state flagged ``passed``
            # where it has one from here (passing again, or after the answer,
            # only adds the referral).
            db.session.expire(fb, ["referrals"])
            _step_to(user, fb, PASSED, required=False)
        record(
            "feedback.passed",
            "paper",
            paper.id,
            actor_id=user.id,
            data={"body_id": body_id, "feedback_ids": ids, "agenda_item_id": agenda_item_id},
        )
    return referrals


def feedback_for_paper(paper_id: int) -> list[Feedback]:
    """The feedback passed to a body with this paper (for the paper page)."""
    return list(
        db.session.scalars(
            select(Feedback)
            .join(FeedbackReferral, FeedbackReferral.feedback_id == Feedback.id)
            .options(joinedload(Feedback.category).selectinload(FeedbackChoice.labels))
            .where(FeedbackReferral.paper_id == paper_id)
            .order_by(Feedback.created_at, Feedback.id)
        ).unique()
    )


def referrals_to_body(body_id: int) -> list[FeedbackReferral]:
    """Every referral to a body, newest first (for the body's page)."""
    return list(
        db.session.scalars(
            select(FeedbackReferral)
            .options(joinedload(FeedbackReferral.paper), joinedload(FeedbackReferral.feedback))
            .where(FeedbackReferral.body_id == body_id)
            .order_by(FeedbackReferral.passed_at.desc())
        ).unique()
    )


# --- retention -----------------------------------------------------------------------


def retention_days() -> int:
    try:
        days = int(
            current_app.config.get("NETZWERK_FEEDBACK_RETENTION_DAYS", DEFAULT_RETENTION_DAYS)
        )
    except (TypeError, ValueError):
        days = DEFAULT_RETENTION_DAYS
    return max(days, 1)


def purge_contacts(now: datetime | None = None) -> int:
    """Delete contact details older than the retention period; returns how many.

    Consent is dated by its day (``day_start``): details given on day D are
    kept through day D + N (Berlin) and deleted by the first run after it,
    so never less than N days.
    """
    today = to_local(now).date() if now is not None else local_today()
    cutoff = day_start(today - timedelta(days=retention_days()))
    with write_transaction():
        ids = list(
            db.session.scalars(
                select(FeedbackContact.feedback_id).where(FeedbackContact.consent_at < cutoff)
            )
        )
        if ids:
            db.session.execute(delete(FeedbackContact).where(FeedbackContact.feedback_id.in_(ids)))
            record("feedback.contacts_purged", "feedback", None, data={"count": len(ids)})
    return len(ids)
