"""Counselling rules: offers, cases, contacts, referrals, follow-ups, retention.

Services run without a request.  Every change to a case and every read of a
case writes an audit event in the same transaction.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from .. import visibility
from ..audit.services import record
from ..auth.models import User
from ..csvutil import write_rows
from ..database import utcnow, write_transaction
from ..extensions import db
from ..governance.models import ActionField, Organisation, Person
from ..notifications.services import notify
from ..rules import RuleError, without_bidi_controls
from ..timeutil import LOCAL_TZ
from .models import (
    ContactTopic,
    CounsellingCase,
    CounsellingContact,
    CounsellingStaff,
    Offer,
    OfferLanguage,
    OfferTargetGroup,
    PersonalDetails,
    Referral,
)
from .vocab import MIGRATION, Arrival

CASE_OBJECT = "counselling_case"
DEFAULT_RETENTION_DAYS = 180
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
OPEN_ARRIVALS = (None, Arrival.WAITING.value)


class CounsellingError(RuleError):
    """A counselling rule was broken."""


class NotFound(LookupError):
    pass


def local_date_of(now: datetime) -> date:
    return now.astimezone(LOCAL_TZ).date()


def today() -> date:
    return local_date_of(utcnow())


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# --- counselling staff --------------------------------------------------------


def is_counselling_staff(user_id: int | None) -> bool:
    if user_id is None:
        return False
    return (
        db.session.scalar(
            select(CounsellingStaff.id)
            .join(User, User.id == CounsellingStaff.user_id)
            .where(CounsellingStaff.user_id == user_id, User.active)
        )
        is not None
    )


def list_counselling_staff() -> Sequence[CounsellingStaff]:
    return db.session.scalars(
        select(CounsellingStaff)
        .join(User, User.id == CounsellingStaff.user_id)
        .join(Person, Person.id == User.person_id)
        .options(joinedload(CounsellingStaff.user).joinedload(User.person))
        .order_by(Person.last_name, Person.first_name)
    ).all()


def add_counselling_staff(email: str, actor_id: int | None) -> CounsellingStaff:
    address = email.strip().lower()
    with write_transaction():
        user = db.session.scalar(select(User).where(func.lower(User.email) == address))
        if user is None:
            raise CounsellingError(_("There is no account with this e-mail address."), "email")
        if db.session.scalar(
            select(CounsellingStaff.id).where(CounsellingStaff.user_id == user.id)
        ):
            raise CounsellingError(_("This account is counselling staff already."), "email")
        entry = CounsellingStaff(user_id=user.id, added_by_id=actor_id)
        db.session.add(entry)
        db.session.flush()
        record("counselling_staff_added", "user_account", user.id, actor_id=actor_id)
    return entry


def remove_counselling_staff(user_id: int, actor_id: int | None) -> bool:
    with write_transaction():
        entry = db.session.scalar(
            select(CounsellingStaff).where(CounsellingStaff.user_id == user_id)
        )
        if entry is None:
            return False
        db.session.delete(entry)
        record("counselling_staff_removed", "user_account", user_id, actor_id=actor_id)
    return True


# --- offers -------------------------------------------------------------------


@dataclass
class OfferData:
    organisation_id: int
    title: str
    description: str = ""
    target_groups: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    contact: str | None = None
    contact_email: str | None = None
    contact_phone: str | None = None
    address: str | None = None
    district: str | None = None
    action_field_id: int | None = None
    active: bool = True


def _offer_options():  # type: ignore[no-untyped-def]
    return (
        joinedload(Offer.organisation),
        selectinload(Offer.languages),
        selectinload(Offer.target_groups),
    )


def search_offers(
    text: str | None = None,
    language: str | None = None,
    target_group: str | None = None,
    kind: str | None = None,
    include_inactive: bool = False,
) -> Sequence[Offer]:
    stmt = (
        select(Offer)
        .join(Organisation, Organisation.id == Offer.organisation_id)
        .options(*_offer_options())
        .order_by(Offer.title, Offer.id)
    )
    if not include_inactive:  # what anybody sees (the visibility policy's rule)
        stmt = stmt.where(visibility.offer_filter(visibility.ANONYMOUS))
    if text and text.strip():
        pattern = _like(text.strip().lower())
        stmt = stmt.where(
            or_(
                func.lower(Offer.title).like(pattern, escape="\\"),
                func.lower(Offer.description).like(pattern, escape="\\"),
                func.lower(Organisation.name).like(pattern, escape="\\"),
                func.lower(func.coalesce(Offer.district, "")).like(pattern, escape="\\"),
            )
        )
    if language:
        stmt = stmt.where(
            exists().where(OfferLanguage.offer_id == Offer.id, OfferLanguage.code == language)
        )
    if target_group:
        stmt = stmt.where(
            exists().where(
                OfferTargetGroup.offer_id == Offer.id, OfferTargetGroup.code == target_group
            )
        )
    if kind:
        stmt = stmt.where(Organisation.kind == kind)
    return db.session.scalars(stmt).unique().all()


def get_offer(offer_id: int, public_only: bool = False) -> Offer | None:
    offer = db.session.scalar(select(Offer).where(Offer.id == offer_id).options(*_offer_options()))
    if offer is None:
        return None
    if public_only and not visibility.may_see_offer(visibility.ANONYMOUS, offer):
        return None
    return offer


def organisation_choices() -> list[tuple[int, str]]:
    rows = db.session.execute(
        select(Organisation.id, Organisation.name)
        .where(Organisation.active)
        .order_by(Organisation.name)
    ).all()
    return [(row.id, row.name) for row in rows]


def action_field_choices() -> list[tuple[int, str]]:
    rows = db.session.execute(
        select(ActionField.id, ActionField.name)
        .where(ActionField.active)
        .order_by(ActionField.position, ActionField.name)
    ).all()
    return [(row.id, row.name) for row in rows]


def offer_choices() -> list[tuple[int, str]]:
    rows = db.session.execute(
        select(Offer.id, Offer.title, Organisation.name)
        .join(Organisation, Organisation.id == Offer.organisation_id)
        .where(Offer.active, Organisation.active)
        .order_by(Organisation.name, Offer.title)
    ).all()
    return [(row.id, f"{row.title} – {row.name}") for row in rows]


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


def save_offer(offer_id: int | None, data: OfferData, actor_id: int | None) -> Offer:
    """Create (offer_id None) or update an offer."""
    title = without_bidi_controls(data.title or "").strip()
    if not title:
        raise CounsellingError(_("Please enter a title."), "title")
    with write_transaction():
        organisation = db.session.get(Organisation, data.organisation_id)
        if organisation is None:
            raise CounsellingError(_("Please choose an organisation."), "organisation_id")
        if (
            data.action_field_id is not None
            and db.session.get(ActionField, data.action_field_id) is None
        ):
            raise CounsellingError(_("Please choose an action field."), "action_field_id")
        if offer_id is None:
            offer = Offer(organisation_id=organisation.id, title=title)
            db.session.add(offer)
        else:
            found = db.session.get(Offer, offer_id)
            if found is None:
                raise NotFound(offer_id)
            offer = found
        offer.organisation_id = organisation.id
        offer.title = title
        offer.description = (data.description or "").strip()
        offer.contact = _clean(data.contact)
        offer.contact_email = _clean(data.contact_email)
        offer.contact_phone = _clean(data.contact_phone)
        offer.address = _clean(data.address)
        offer.district = _clean(data.district)
        offer.action_field_id = data.action_field_id
        offer.active = data.active
        wanted_languages = sorted(set(data.languages))
        wanted_groups = sorted(set(data.target_groups))
        offer.languages[:] = [entry for entry in offer.languages if entry.code in wanted_languages]
        have = {entry.code for entry in offer.languages}
        offer.languages.extend(OfferLanguage(code=c) for c in wanted_languages if c not in have)
        offer.target_groups[:] = [
            entry for entry in offer.target_groups if entry.code in wanted_groups
        ]
        have = {entry.code for entry in offer.target_groups}
        offer.target_groups.extend(OfferTargetGroup(code=c) for c in wanted_groups if c not in have)
        db.session.flush()
        record(
            "offer_created" if offer_id is None else "offer_changed",
            "counselling_offer",
            offer.id,
            actor_id=actor_id,
        )
    return offer


def set_offer_active(offer_id: int, active: bool, actor_id: int | None) -> Offer:
    with write_transaction():
        offer = db.session.get(Offer, offer_id)
        if offer is None:
            raise NotFound(offer_id)
        if offer.active != active:
            offer.active = active
            record(
                "offer_activated" if active else "offer_deactivated",
                "counselling_offer",
                offer.id,
                actor_id=actor_id,
            )
    return offer


# --- cases and contacts -------------------------------------------------------


@dataclass
class ContactData:
    contact_date: date
    channel: str
    language: str
    age_group: str
    situation: str
    outcome: str
    topics: list[str] = field(default_factory=list)
    # Optional: the person's district, and the voluntary, self-declared
    # migration background (counted in the monitoring only, never exported per person).
    district: str | None = None
    migration: str | None = None


def new_case_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


def normalise_case_code(text: str) -> str:
    return "".join(ch for ch in text.upper() if ch.isalnum())


def _check_contact(data: ContactData, now: datetime) -> None:
    from ..monitoring.districts import codes

    if data.district and data.district not in codes():
        raise CounsellingError(_("Please choose one of the options."), "district")
    if data.migration and data.migration not in MIGRATION:
        raise CounsellingError(_("Please choose one of the options."), "migration")
    if data.contact_date > local_date_of(now):
        raise CounsellingError(_("The date lies in the future."), "contact_date")
    if data.contact_date.year < 2000:
        raise CounsellingError(_("Please enter a date from 2000 on."), "contact_date")


def _add_contact(case: CounsellingCase, data: ContactData, actor_id: int | None) -> None:
    contact = CounsellingContact(
        case_id=case.id,
        contact_date=data.contact_date,
        channel=data.channel,
        language=data.language,
        age_group=data.age_group,
        situation=data.situation,
        outcome=data.outcome,
        district=data.district or None,
        migration=data.migration or None,
        counsellor_id=actor_id,
    )
    contact.topics = [ContactTopic(code=code) for code in sorted(set(data.topics))]
    db.session.add(contact)
    db.session.flush()
    record(
        "contact_added",
        CASE_OBJECT,
        case.id,
        actor_id=actor_id,
        data={"contact_id": contact.id},
    )


def create_case(data: ContactData, actor_id: int | None, now: datetime | None = None) -> int:
    """Open a case with its first contact; returns the case id."""
    now = now or utcnow()
    _check_contact(data, now)
    for _attempt in range(5):
        try:
            with write_transaction():
                code = new_case_code()
                case = CounsellingCase(code=code, created_by_id=actor_id, created_at=now)
                db.session.add(case)
                db.session.flush()
                record("case_created", CASE_OBJECT, case.id, actor_id=actor_id)
                _add_contact(case, data, actor_id)
                return case.id
        except IntegrityError:
            # A code collision (astronomically rare): try a fresh code.
            continue
    raise CounsellingError(_("The case could not be created. Please try again."))


def add_contact(
    case_id: int, data: ContactData, actor_id: int | None, now: datetime | None = None
) -> None:
    now = now or utcnow()
    _check_contact(data, now)
    with write_transaction():
        case = db.session.get(CounsellingCase, case_id)
        if case is None:
            raise NotFound(case_id)
        _add_contact(case, data, actor_id)


def case_exists(case_id: int) -> str | None:
    """The case code, or None (for form pages that show no case data)."""
    return db.session.scalar(select(CounsellingCase.code).where(CounsellingCase.id == case_id))


def case_flagged(case_id: int) -> bool | None:
    """Whether the case is marked as a possible waiting loop (None: no such case)."""
    row = db.session.execute(
        select(CounsellingCase.waiting_loop_at).where(CounsellingCase.id == case_id)
    ).first()
    return None if row is None else row.waiting_loop_at is not None


def read_case(case_id: int, actor_id: int | None) -> CounsellingCase:
    """Load a case for reading and write the ``case_read`` audit event."""
    with write_transaction():
        if db.session.get(CounsellingCase, case_id) is None:
            raise NotFound(case_id)
        record("case_read", CASE_OBJECT, case_id, actor_id=actor_id)
    case = db.session.scalar(
        select(CounsellingCase)
        .where(CounsellingCase.id == case_id)
        .options(
            selectinload(CounsellingCase.contacts).selectinload(CounsellingContact.topics),
            selectinload(CounsellingCase.contacts)
            .joinedload(CounsellingContact.counsellor)
            .joinedload(User.person),
            selectinload(CounsellingCase.referrals).joinedload(Referral.organisation),
            selectinload(CounsellingCase.referrals).joinedload(Referral.offer),
            selectinload(CounsellingCase.personal_details),
        )
    )
    if case is None:  # deleted in between
        raise NotFound(case_id)
    return case


def export_case_csv(case_id: int, actor_id: int | None) -> tuple[str, str]:
    """(case code, CSV text) of one case, for the person's right of access."""
    case = read_case(case_id, actor_id)
    rows: list[list[object]] = []
    rows.append([_("Case"), case.code])
    if case.personal_details is not None:
        pd = case.personal_details
        rows.append([_("Name"), pd.name or ""])
        rows.append([_("Contact details"), pd.contact or ""])
        rows.append([_("Consent recorded"), pd.consent_at.astimezone(LOCAL_TZ).isoformat()])
    rows.append([])
    rows.append(
        [
            _("Date"),
            _("Channel"),
            _("Language"),
            _("Age group"),
            _("Situation"),
            _("Topics"),
            _("Outcome"),
        ]
    )
    for c in case.contacts:
        rows.append(
            [
                c.contact_date.isoformat(),
                c.channel_label,
                c.language_label,
                c.age_group_label,
                c.situation_label,
                ", ".join(c.topic_labels),
                c.outcome_label,
            ]
        )
    rows.append([])
    rows.append(
        [_("Referred on"), _("Referred to"), _("Follow-up on"), _("Arrival"), _("Arrived on")]
    )
    for r in case.referrals:
        rows.append(
            [
                r.referred_on.isoformat(),
                r.target_label,
                r.follow_up_on.isoformat(),
                r.arrival_label,
                r.arrived_on.isoformat() if r.arrived_on else "",
            ]
        )
    return case.code, write_rows(rows)


@dataclass
class CaseRow:
    id: int
    code: str
    last_contact: date | None
    contacts: int
    open_referrals: int
    flagged: bool


def list_cases(
    code: str | None = None, flagged_only: bool = False, limit: int = 100
) -> list[CaseRow]:
    """Cases by most recent contact (code and counts only: no case data)."""
    contacts = (
        select(
            CounsellingContact.case_id.label("case_id"),
            func.max(CounsellingContact.contact_date).label("last_contact"),
            func.count(CounsellingContact.id).label("n"),
        )
        .group_by(CounsellingContact.case_id)
        .subquery()
    )
    open_refs = (
        select(Referral.case_id.label("case_id"), func.count(Referral.id).label("n"))
        .where(or_(Referral.arrival.is_(None), Referral.arrival == Arrival.WAITING.value))
        .group_by(Referral.case_id)
        .subquery()
    )
    stmt = (
        select(
            CounsellingCase.id,
            CounsellingCase.code,
            CounsellingCase.waiting_loop_at,
            contacts.c.last_contact,
            contacts.c.n,
            open_refs.c.n.label("open_n"),
        )
        .outerjoin(contacts, contacts.c.case_id == CounsellingCase.id)
        .outerjoin(open_refs, open_refs.c.case_id == CounsellingCase.id)
        .order_by(contacts.c.last_contact.desc(), CounsellingCase.id.desc())
        .limit(limit)
    )
    if code:
        wanted = normalise_case_code(code)
        if wanted:
            stmt = stmt.where(
                func.replace(CounsellingCase.code, "-", "").like(_like(wanted), escape="\\")
            )
    if flagged_only:
        stmt = stmt.where(CounsellingCase.waiting_loop_at.is_not(None))
    return [
        CaseRow(
            id=row.id,
            code=row.code,
            last_contact=row.last_contact,
            contacts=row.n or 0,
            open_referrals=row.open_n or 0,
            flagged=row.waiting_loop_at is not None,
        )
        for row in db.session.execute(stmt)
    ]


# --- personal details ---------------------------------------------------------


def record_personal_details(
    case_id: int,
    name: str | None,
    contact: str | None,
    consent: bool,
    actor_id: int | None,
    now: datetime | None = None,
) -> None:
    """Store name/contact of the person, only with their recorded consent."""
    name, contact = _clean(name), _clean(contact)
    if not consent:
        raise CounsellingError(
            _("Personal details may only be stored with the person's consent."), "consent"
        )
    if name is None and contact is None:
        raise CounsellingError(_("Please enter a name or contact details."), "name")
    now = now or utcnow()
    with write_transaction():
        details = _personal_details_of(case_id)
        if details is None:
            details = PersonalDetails(case_id=case_id)
            db.session.add(details)
        details.name = name
        details.contact = contact
        details.consent_at = now
        details.recorded_by_id = actor_id
        db.session.flush()
        record("personal_details_recorded", CASE_OBJECT, case_id, actor_id=actor_id)


def _personal_details_of(case_id: int) -> PersonalDetails | None:
    """The case's stored details (inside the caller's transaction); NotFound
    for a case that does not exist."""
    if db.session.get(CounsellingCase, case_id) is None:
        raise NotFound(case_id)
    return db.session.scalar(select(PersonalDetails).where(PersonalDetails.case_id == case_id))


@dataclass(frozen=True)
class StoredPersonalDetails:
    """The stored details of a case, detached from the session (for a form)."""

    name: str | None
    contact: str | None
    consent_at: datetime


def read_personal_details(case_id: int, actor_id: int | None) -> StoredPersonalDetails | None:
    """The stored details of a case (None: none stored), for changing them.

    Showing them is a read of the case's most sensitive data, so it writes
    the ``personal_details_read`` audit event; nothing stored, no event.
    Who may call this is the caller's check (counselling staff only).
    """
    with write_transaction():
        details = _personal_details_of(case_id)
        if details is None:
            return None
        stored = StoredPersonalDetails(details.name, details.contact, details.consent_at)
        record("personal_details_read", CASE_OBJECT, case_id, actor_id=actor_id)
    return stored


def delete_personal_details(case_id: int, actor_id: int | None) -> bool:
    with write_transaction():
        details = _personal_details_of(case_id)
        if details is None:
            return False
        db.session.delete(details)
        record("personal_details_deleted", CASE_OBJECT, case_id, actor_id=actor_id)
    return True


def retention_days() -> int:
    value = current_app.config.get("NETZWERK_COUNSELLING_RETENTION_DAYS") or os.environ.get(
        "NETZWERK_COUNSELLING_RETENTION_DAYS"
    )
    try:
        days = int(value) if value is not None else DEFAULT_RETENTION_DAYS
    except (TypeError, ValueError):
        days = DEFAULT_RETENTION_DAYS
    return max(days, 1)


def purge_personal_details(now: datetime | None = None) -> int:
    """Delete personal details whose consent is older than the retention period."""
    now = now or utcnow()
    cutoff = now - timedelta(days=retention_days())
    with write_transaction():
        expired = db.session.scalars(
            select(PersonalDetails).where(PersonalDetails.consent_at < cutoff)
        ).all()
        for details in expired:
            case_id = details.case_id
            db.session.delete(details)
            record(
                "personal_details_purged",
                CASE_OBJECT,
                case_id,
                comment=f"retention {retention_days()} days",
            )
    return len(expired)


# --- referrals and follow-ups -------------------------------------------------


@dataclass
class ReferralData:
    offer_id: int | None
    organisation_id: int | None
    referred_on: date
    follow_up_on: date


def _flag_waiting_loop(case: CounsellingCase, actor_id: int | None, now: datetime) -> None:
    if case.waiting_loop_at is None:
        case.waiting_loop_at = now
        record("case_flagged_waiting_loop", CASE_OBJECT, case.id, actor_id=actor_id)


REASON_MAX = 500


def clear_waiting_loop(
    case_id: int, reason: str | None, actor_id: int | None, now: datetime | None = None
) -> bool:
    """Clear the waiting-loop mark of a resolved case, with a required reason.

    Returns False (and changes nothing) when the case is not marked, so a
    second click or a stale page is harmless.  The reason goes into the
    audit event.  The non-arrivals on record are resolved with the mark: it
    is set again only by what happens after the clearing – a new referral
    while a non-arrival recorded after the clearing is on record, or "not
    arrived" newly recorded for a referral that a later one followed.
    """
    now = now or utcnow()
    text = _clean(reason)
    with write_transaction():
        case = db.session.get(
            CounsellingCase, case_id, with_for_update=True, populate_existing=True
        )
        if case is None:
            raise NotFound(case_id)
        if case.waiting_loop_at is None:
            return False
        if text is None:
            raise CounsellingError(_("Please give a reason."), "reason")
        if len(text) > REASON_MAX:
            raise CounsellingError(
                _("Please keep the reason to %(max)d characters.", max=REASON_MAX), "reason"
            )
        flagged_at = case.waiting_loop_at
        case.waiting_loop_at = None
        case.waiting_loop_cleared_at = now
        record(
            "case_waiting_loop_cleared",
            CASE_OBJECT,
            case.id,
            actor_id=actor_id,
            comment=text,
            data={"flagged_at": flagged_at.isoformat()},
        )
    return True


def create_referral(
    case_id: int, data: ReferralData, actor_id: int | None, now: datetime | None = None
) -> Referral:
    """Refer the person; a referral after one that did not arrive flags the case."""
    now = now or utcnow()
    if data.offer_id is None and data.organisation_id is None:
        raise CounsellingError(_("Please choose an offer or an institution."), "offer_id")
    if data.referred_on > local_date_of(now):
        raise CounsellingError(_("The date lies in the future."), "referred_on")
    if data.referred_on.year < 2000:
        raise CounsellingError(_("Please enter a date from 2000 on."), "referred_on")
    if data.follow_up_on < data.referred_on:
        raise CounsellingError(_("The follow-up cannot be before the referral."), "follow_up_on")
    if data.follow_up_on > data.referred_on + timedelta(days=366):
        raise CounsellingError(_("Please choose a follow-up within a year."), "follow_up_on")
    with write_transaction():
        case = db.session.get(CounsellingCase, case_id)
        if case is None:
            raise NotFound(case_id)
        organisation_id = data.organisation_id
        if data.offer_id is not None:
            offer = db.session.get(Offer, data.offer_id)
            if offer is None or not offer.active:
                raise CounsellingError(_("Please choose an active offer."), "offer_id")
            organisation_id = offer.organisation_id
        if organisation_id is None or db.session.get(Organisation, organisation_id) is None:
            raise CounsellingError(_("Please choose an institution."), "organisation_id")
        failed = select(Referral.id).where(
            Referral.case_id == case_id, Referral.arrival == Arrival.NOT_ARRIVED.value
        )
        if case.waiting_loop_cleared_at is not None:
            # Resolved with the last clearing: only non-arrivals since count.
            failed = failed.where(Referral.followed_up_at > case.waiting_loop_cleared_at)
        failed_before = db.session.scalar(failed.limit(1))
        referral = Referral(
            case_id=case_id,
            organisation_id=organisation_id,
            offer_id=data.offer_id,
            counsellor_id=actor_id,
            referred_on=data.referred_on,
            follow_up_on=data.follow_up_on,
            created_at=now,
        )
        db.session.add(referral)
        db.session.flush()
        record(
            "referral_created",
            CASE_OBJECT,
            case_id,
            actor_id=actor_id,
            data={"referral_id": referral.id},
        )
        if failed_before is not None:
            _flag_waiting_loop(case, actor_id, now)
    return referral


def get_referral(referral_id: int) -> Referral | None:
    return db.session.scalar(
        select(Referral)
        .where(Referral.id == referral_id)
        .options(
            joinedload(Referral.case), joinedload(Referral.organisation), joinedload(Referral.offer)
        )
    )


def record_follow_up(
    referral_id: int,
    arrival: str,
    arrived_on: date | None,
    next_follow_up_on: date | None,
    actor_id: int | None,
    now: datetime | None = None,
) -> Referral:
    """Record whether the person arrived; "waiting" keeps it open with a new date."""
    now = now or utcnow()
    local_today = local_date_of(now)
    try:
        state = Arrival(arrival)
    except ValueError:
        raise CounsellingError(_("Please choose an answer."), "arrival") from None
    with write_transaction():
        referral = db.session.get(Referral, referral_id)
        if referral is None:
            raise NotFound(referral_id)
        if state is Arrival.ARRIVED:
            if arrived_on is None:
                raise CounsellingError(_("Please enter the date of arrival."), "arrived_on")
            if arrived_on < referral.referred_on:
                raise CounsellingError(
                    _("The person cannot arrive before the referral."), "arrived_on"
                )
            if arrived_on > local_today:
                raise CounsellingError(_("The date lies in the future."), "arrived_on")
        else:
            arrived_on = None
        if state is Arrival.WAITING:
            if next_follow_up_on is None:
                raise CounsellingError(
                    _("Please enter the date of the next follow-up."), "next_follow_up_on"
                )
            if next_follow_up_on <= local_today:
                raise CounsellingError(
                    _("The next follow-up must lie in the future."), "next_follow_up_on"
                )
            if next_follow_up_on > local_today + timedelta(days=366):
                raise CounsellingError(
                    _("Please choose a follow-up within a year."), "next_follow_up_on"
                )
            referral.follow_up_on = next_follow_up_on
        previous = referral.arrival
        newly_not_arrived = state is Arrival.NOT_ARRIVED and previous != state.value
        referral.arrival = state.value
        referral.arrived_on = arrived_on
        if state is not Arrival.NOT_ARRIVED or newly_not_arrived:
            # A non-arrival keeps the time it was first recorded: saving the
            # same answer again is no new fact for the waiting-loop rules.
            referral.followed_up_at = now
        record(
            "follow_up_recorded",
            CASE_OBJECT,
            referral.case_id,
            actor_id=actor_id,
            from_state=previous,
            to_state=state.value,
            data={"referral_id": referral.id},
        )
        if newly_not_arrived:
            later = db.session.scalar(
                select(Referral.id).where(
                    Referral.case_id == referral.case_id,
                    Referral.id > referral.id,  # made later
                )
            )
            if later is not None:
                case = db.session.get(CounsellingCase, referral.case_id)
                assert case is not None
                _flag_waiting_loop(case, actor_id, now)
    return referral


def create_due_reminders(now: datetime | None = None) -> int:
    """Notify the counsellor once per open referral and due date; returns new ones.

    The notification carries no case data: only a link to the follow-up form.
    """
    now = now or utcnow()
    due_by = local_date_of(now)
    created = 0
    with write_transaction():
        rows = db.session.execute(
            select(Referral.id, Referral.follow_up_on, User.person_id)
            .join(User, User.id == Referral.counsellor_id)
            .where(
                or_(Referral.arrival.is_(None), Referral.arrival == Arrival.WAITING.value),
                Referral.follow_up_on <= due_by,
            )
            .order_by(Referral.id)
        ).all()
        for row in rows:
            created += len(
                notify(
                    [row.person_id],
                    kind="follow_up_due",
                    object_type="counselling_referral",
                    object_id=row.id,
                    message=_(
                        "A follow-up of one of your referrals is due. "
                        "Please ask whether the person arrived and record it."
                    ),
                    url=f"/beratung/weitervermittlungen/{row.id}/nachfassen",
                    dedup_key=(
                        f"counselling:referral:{row.id}:follow-up:{row.follow_up_on.isoformat()}"
                    ),
                    now=now,
                )
            )
    return created


@dataclass
class DueFollowUp:
    referral_id: int
    case_id: int
    case_code: str
    due_on: date
    target: str


def due_follow_ups(user_id: int, today: date | None = None) -> list[DueFollowUp]:
    """Open referrals of the counsellor (and those whose counsellor is gone) due by today."""
    today = today or local_date_of(utcnow())
    stmt = (
        select(Referral)
        .where(
            or_(Referral.arrival.is_(None), Referral.arrival == Arrival.WAITING.value),
            Referral.follow_up_on <= today,
            or_(Referral.counsellor_id == user_id, Referral.counsellor_id.is_(None)),
        )
        .options(
            joinedload(Referral.case),
            joinedload(Referral.organisation),
            joinedload(Referral.offer),
        )
        .order_by(Referral.follow_up_on, Referral.id)
    )
    return [
        DueFollowUp(
            referral_id=r.id,
            case_id=r.case_id,
            case_code=r.case.code,
            due_on=r.follow_up_on,
            target=r.target_label,
        )
        for r in db.session.scalars(stmt).unique()
    ]
