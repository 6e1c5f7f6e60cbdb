"""feedback dated by its day only

A feedback's ``created_at`` (and a contact's ``consent_at``) becomes midnight
in Europe/Berlin of the day it was, stored in UTC, as the application writes
them from now on: the time of a submission could be matched to a request in
an access log or to a rate limit key's remaining lifetime.  Feedback whose
workflow has not moved since (version 0) gets the same value as the time it
entered its state and as its ``updated_at``.  The times are gone for good:
the downgrade keeps the days.

The audit events of earlier submissions keep their times: the hash chain
forbids changing them.

Revision ID: d20c3d4e5f6a
Revises: c18d3e4f5a6b
Create Date: 2026-12-04 09:00:00

"""

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "d20c3d4e5f6a"
down_revision = "c18d3e4f5a6b"
branch_labels = None
depends_on = None

BERLIN = ZoneInfo("Europe/Berlin")

feedback = sa.table(
    "feedback",
    sa.column("id", sa.Integer),
    sa.column("version", sa.Integer),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("state_entered_at", sa.DateTime(timezone=True)),
    sa.column("updated_at", sa.DateTime(timezone=True)),
)
contact = sa.table(
    "feedback_contact",
    sa.column("feedback_id", sa.Integer),
    sa.column("consent_at", sa.DateTime(timezone=True)),
)


def _day_start(value, naive):
    """Midnight in Berlin of the stored instant's day, in UTC (naive on SQLite,
    which stores UTC without an offset)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    day = value.astimezone(BERLIN).date()
    start = datetime.combine(day, time(0), BERLIN).astimezone(UTC)
    return start.replace(tzinfo=None) if naive else start


def upgrade():
    bind = op.get_bind()
    naive = bind.dialect.name == "sqlite"
    rows = bind.execute(sa.select(feedback.c.id, feedback.c.version, feedback.c.created_at)).all()
    for row in rows:
        if row.created_at is None:
            continue
        day = _day_start(row.created_at, naive)
        values = {"created_at": day}
        if row.version == 0:  # nothing happened since: the start is the submission
            values.update(state_entered_at=day, updated_at=day)
        bind.execute(sa.update(feedback).where(feedback.c.id == row.id).values(**values))
    for row in bind.execute(sa.select(contact.c.feedback_id, contact.c.consent_at)).all():
        if row.consent_at is None:
            continue
        bind.execute(
            sa.update(contact)
            .where(contact.c.feedback_id == row.feedback_id)
            .values(consent_at=_day_start(row.consent_at, naive))
        )


def downgrade():
    pass  # the times of day are not kept anywhere: the days stay
