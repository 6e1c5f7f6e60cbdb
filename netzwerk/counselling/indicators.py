"""The counselling figures as a computed indicator of the monitoring."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ..extensions import db
from ..monitoring.indicators import Period, register_indicator
from .models import CounsellingContact, Referral
from .vocab import Arrival


def referrals_by_arrival(period: Period) -> dict[str, float]:
    """Referrals made in the period, by what their follow-up found out
    (arrived, waiting, not arrived, unknown; or not followed up yet)."""
    rows = db.session.execute(
        select(Referral.arrival, func.count(Referral.id))
        .where(
            Referral.referred_on >= period.start.date(),
            Referral.referred_on < period.end.date(),
        )
        .group_by(Referral.arrival)
    ).all()
    result = {
        (Arrival.label_of(arrival) if arrival else str(_l("Not followed up yet"))): float(count)
        for arrival, count in rows
    }
    if result:
        result[""] = sum(result.values())
    return result


def _case_district() -> Any:
    """(case_id, district) of every case: the district its contacts recorded."""
    return (
        select(
            CounsellingContact.case_id.label("case_id"),
            func.max(CounsellingContact.district).label("district"),
        )
        .group_by(CounsellingContact.case_id)
        .subquery()
    )


def cases_by_district(period: Period) -> dict[str, float]:
    """Cases with a contact in the period, per district code; "" the total."""
    rows = db.session.execute(
        select(CounsellingContact.district, func.count(func.distinct(CounsellingContact.case_id)))
        .where(
            CounsellingContact.contact_date >= period.start.date(),
            CounsellingContact.contact_date < period.end.date(),
        )
        .group_by(CounsellingContact.district)
    ).all()
    result = {code: float(n) for code, n in rows if code}
    if rows:
        result[""] = float(sum(n for _c, n in rows))
    return result


def _referrals_by_district(period: Period, arrived_only: bool) -> dict[str, float]:
    where = _case_district()
    conditions = [
        Referral.referred_on >= period.start.date(),
        Referral.referred_on < period.end.date(),
        Referral.arrival.is_not(None),
    ]
    if arrived_only:
        conditions.append(Referral.arrival == Arrival.ARRIVED.value)
    rows = db.session.execute(
        select(where.c.district, func.count(Referral.id))
        .join(where, where.c.case_id == Referral.case_id, isouter=True)
        .where(*conditions)
        .group_by(where.c.district)
    ).all()
    result = {code: float(n) for code, n in rows if code}
    if rows:
        result[""] = float(sum(n for _c, n in rows))
    return result


def referrals_followed_up_by_district(period: Period) -> dict[str, float]:
    """Referrals made in the period whose follow-up found something out."""
    return _referrals_by_district(period, arrived_only=False)


def referrals_arrived_by_district(period: Period) -> dict[str, float]:
    """Referrals made in the period that arrived (the follow-up says so)."""
    return _referrals_by_district(period, arrived_only=True)


def register_indicators() -> None:
    """From counselling.init_app."""
    register_indicator(
        "counselling_referrals",
        name=_l("Counselling referrals"),
        unit="count",
        source="Netzwerk: Bildungsberatung",
        dimension="arrival",
        provider=referrals_by_arrival,
    )
    register_indicator(
        "counselling_cases_by_district",
        name=_l("Counselling cases by district"),
        unit="count",
        source="Netzwerk: Bildungsberatung",
        dimension="district",
        provider=cases_by_district,
    )
    register_indicator(
        "counselling_referrals_followed_up",
        name=_l("Counselling referrals followed up, by district"),
        unit="count",
        source="Netzwerk: Bildungsberatung",
        dimension="district",
        provider=referrals_followed_up_by_district,
    )
    register_indicator(
        "counselling_referrals_arrived",
        name=_l("Counselling referrals that arrived, by district"),
        unit="count",
        source="Netzwerk: Bildungsberatung",
        dimension="district",
        provider=referrals_arrived_by_district,
    )
