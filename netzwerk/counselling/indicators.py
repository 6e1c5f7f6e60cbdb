"""The counselling figures as a computed indicator of the monitoring."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ..extensions import db
from ..monitoring.indicators import Period, register_indicator
from .models import Referral
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
