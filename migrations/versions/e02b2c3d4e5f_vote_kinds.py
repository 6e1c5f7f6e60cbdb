"""every kind of vote: show of hands, mixed, elections, amendments

* ``poll.method`` (electronic, hands, mixed) and ``poll.quorate_at_opening``
  (the quorum recomputed at the opening of each vote).  Added as plain
  columns on SQLite (no table rebuild: the poll's triggers stay); the check
  constraints on ``method`` exist on PostgreSQL (and in databases created
  from the models).
* ``poll_hand_count``, ``poll_hand_vote``: the counts (and names) of a show
  of hands, written only while the poll is open (triggers, as the models'
  ``POLL_DDL``).
* ``amendment``; ``election`` with candidates, rounds, seats, participations,
  sealed and published ballots; ``decision.election_id``.

Revision ID: e02b2c3d4e5f
Revises: e01a1b2c3d4e
Create Date: 2026-12-03 17:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "e02b2c3d4e5f"
down_revision = "e01a1b2c3d4e"
branch_labels = None
depends_on = None

HAND_TABLES = ("poll_hand_count", "poll_hand_vote")

PG_HAND_COUNT_POLL_OPEN = """
CREATE OR REPLACE FUNCTION hand_count_poll_open() RETURNS trigger AS $$
DECLARE
  target integer;
BEGIN
  IF TG_OP = 'INSERT' THEN target := NEW.poll_id; ELSE target := OLD.poll_id; END IF;
  IF (SELECT state FROM poll WHERE id = target) IS DISTINCT FROM 'open' THEN
    RAISE EXCEPTION 'poll is not open';
  END IF;
  IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql
"""


def _triggers(dialect):
    if dialect == "postgresql":
        return [PG_HAND_COUNT_POLL_OPEN] + [
            f"CREATE TRIGGER {table}_poll_open BEFORE INSERT OR UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION hand_count_poll_open()"
            for table in HAND_TABLES
        ]
    return [
        f"CREATE TRIGGER {table}_poll_open_{op_.lower()} BEFORE {op_} ON {table} FOR EACH ROW "
        f"WHEN (SELECT state FROM poll WHERE id = {row}.poll_id) IS NOT 'open' "
        f"BEGIN SELECT RAISE(ABORT, 'poll is not open'); END"
        for table in HAND_TABLES
        for op_, row in (("INSERT", "NEW"), ("UPDATE", "OLD"))
    ]


def upgrade():
    dialect = op.get_bind().dialect.name
    op.add_column(
        "poll",
        sa.Column("method", sa.String(length=10), server_default="electronic", nullable=False),
    )
    op.add_column("poll", sa.Column("quorate_at_opening", sa.Boolean(), nullable=True))
    if dialect == "postgresql":
        op.create_check_constraint(
            op.f("ck_poll_method"), "poll", "method IN ('electronic', 'hands', 'mixed')"
        )
        op.create_check_constraint(
            op.f("ck_poll_hands_not_secret"), "poll", "method = 'electronic' OR kind = 'open'"
        )
    op.create_table(
        "poll_hand_count",
        sa.Column("poll_id", sa.Integer(), nullable=False),
        sa.Column("yes_count", sa.Integer(), nullable=False),
        sa.Column("no_count", sa.Integer(), nullable=False),
        sa.Column("abstain_count", sa.Integer(), nullable=False),
        sa.Column("entitled", sa.Integer(), nullable=False),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("entered_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "yes_count >= 0 AND no_count >= 0 AND abstain_count >= 0",
            name=op.f("ck_poll_hand_count_counts_positive"),
        ),
        sa.ForeignKeyConstraint(
            ["entered_by_id"],
            ["user_account.id"],
            name=op.f("fk_poll_hand_count_entered_by_id_user_account"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["poll_id"],
            ["poll.id"],
            name=op.f("fk_poll_hand_count_poll_id_poll"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("poll_id", name=op.f("pk_poll_hand_count")),
    )
    op.create_table(
        "poll_hand_vote",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("poll_id", sa.Integer(), nullable=False),
        sa.Column("membership_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.String(length=10), nullable=False),
        sa.CheckConstraint(
            "value IN ('yes', 'no', 'abstain')", name=op.f("ck_poll_hand_vote_value")
        ),
        sa.ForeignKeyConstraint(
            ["membership_id"],
            ["membership.id"],
            name=op.f("fk_poll_hand_vote_membership_id_membership"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_poll_hand_vote_person_id_person"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["poll_id"],
            ["poll.id"],
            name=op.f("fk_poll_hand_vote_poll_id_poll"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_poll_hand_vote")),
        sa.UniqueConstraint(
            "poll_id", "membership_id", name=op.f("uq_poll_hand_vote_poll_id_membership_id")
        ),
    )
    op.create_index(op.f("ix_poll_hand_vote_poll_id"), "poll_hand_vote", ["poll_id"], unique=False)
    op.create_table(
        "amendment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("agenda_item_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("proposer", sa.String(length=200), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("poll_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "state IN ('pending', 'adopted', 'rejected', 'withdrawn')",
            name=op.f("ck_amendment_state"),
        ),
        sa.CheckConstraint("seq >= 1", name=op.f("ck_amendment_seq_positive")),
        sa.ForeignKeyConstraint(
            ["agenda_item_id"],
            ["agenda_item.id"],
            name=op.f("fk_amendment_agenda_item_id_agenda_item"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_amendment_created_by_id_user_account"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meeting.id"],
            name=op.f("fk_amendment_meeting_id_meeting"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["poll_id"], ["poll.id"], name=op.f("fk_amendment_poll_id_poll"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_amendment")),
        sa.UniqueConstraint("agenda_item_id", "seq", name=op.f("uq_amendment_agenda_item_id_seq")),
    )
    op.create_index(
        op.f("ix_amendment_agenda_item_id"), "amendment", ["agenda_item_id"], unique=False
    )
    op.create_index(op.f("ix_amendment_meeting_id"), "amendment", ["meeting_id"], unique=False)
    op.create_index(op.f("ix_amendment_poll_id"), "amendment", ["poll_id"], unique=False)
    op.create_table(
        "election",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("body_id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("agenda_item_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("seats", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(length=20), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "rule IN ('absolute_runoff', 'relative')", name=op.f("ck_election_rule")
        ),
        sa.CheckConstraint("state IN ('open', 'closed')", name=op.f("ck_election_state")),
        sa.CheckConstraint("seats >= 1", name=op.f("ck_election_seats_positive")),
        sa.ForeignKeyConstraint(
            ["agenda_item_id"],
            ["agenda_item.id"],
            name=op.f("fk_election_agenda_item_id_agenda_item"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["body_id"], ["body.id"], name=op.f("fk_election_body_id_body"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_election_created_by_id_user_account"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meeting.id"],
            name=op.f("fk_election_meeting_id_meeting"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_election")),
    )
    op.create_index(
        op.f("ix_election_agenda_item_id"), "election", ["agenda_item_id"], unique=False
    )
    op.create_index(op.f("ix_election_body_id"), "election", ["body_id"], unique=False)
    op.create_index(op.f("ix_election_meeting_id"), "election", ["meeting_id"], unique=False)
    op.create_table(
        "election_candidate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("election_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("elected_in_round", sa.Integer(), nullable=True),
        sa.Column("by_lot", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["election_id"],
            ["election.id"],
            name=op.f("fk_election_candidate_election_id_election"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_election_candidate_person_id_person"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_election_candidate")),
    )
    op.create_index(
        op.f("ix_election_candidate_election_id"),
        "election_candidate",
        ["election_id"],
        unique=False,
    )
    op.create_table(
        "election_round",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("election_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("runoff", sa.Boolean(), nullable=False),
        sa.Column("candidate_ids", sa.Text(), nullable=False),
        sa.Column("seats_open", sa.Integer(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("voting_members", sa.Integer(), nullable=False),
        sa.Column("eligible_count", sa.Integer(), nullable=False),
        sa.Column("quorum_required", sa.Integer(), nullable=False),
        sa.Column("present_at_opening", sa.Integer(), nullable=False),
        sa.Column("quorate_at_opening", sa.Boolean(), nullable=False),
        sa.Column("participants", sa.Integer(), nullable=True),
        sa.Column("counts", sa.Text(), nullable=True),
        sa.Column("lots", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["election_id"],
            ["election.id"],
            name=op.f("fk_election_round_election_id_election"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_election_round")),
        sa.UniqueConstraint(
            "election_id", "number", name=op.f("uq_election_round_election_id_number")
        ),
    )
    op.create_table(
        "election_ballot",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["candidate_id"],
            ["election_candidate.id"],
            name=op.f("fk_election_ballot_candidate_id_election_candidate"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["election_round.id"],
            name=op.f("fk_election_ballot_round_id_election_round"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_election_ballot")),
        sqlite_with_rowid=False,
    )
    op.create_index(
        "ix_election_ballot_round", "election_ballot", ["round_id", "candidate_id"], unique=False
    )
    op.create_table(
        "election_participation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("voter_membership_id", sa.Integer(), nullable=False),
        sa.Column("cast_by_person_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["cast_by_person_id"],
            ["person.id"],
            name=op.f("fk_election_participation_cast_by_person_id_person"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["election_round.id"],
            name=op.f("fk_election_participation_round_id_election_round"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["voter_membership_id"],
            ["membership.id"],
            name=op.f("fk_election_participation_voter_membership_id_membership"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_election_participation")),
        sa.UniqueConstraint(
            "round_id",
            "voter_membership_id",
            name=op.f("uq_election_participation_round_id_voter_membership_id"),
        ),
    )
    op.create_table(
        "election_sealed_ballot",
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("sealed", sa.LargeBinary(length=45), nullable=False),
        sa.CheckConstraint(
            "length(sealed) = 45", name=op.f("ck_election_sealed_ballot_sealed_length")
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["election_round.id"],
            name=op.f("fk_election_sealed_ballot_round_id_election_round"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("round_id", "id", name=op.f("pk_election_sealed_ballot")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "election_seat",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("membership_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["membership_id"],
            ["membership.id"],
            name=op.f("fk_election_seat_membership_id_membership"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_election_seat_person_id_person"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["election_round.id"],
            name=op.f("fk_election_seat_round_id_election_round"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_election_seat")),
        sa.UniqueConstraint(
            "round_id", "membership_id", name=op.f("uq_election_seat_round_id_membership_id")
        ),
    )
    with op.batch_alter_table("decision", schema=None) as batch_op:
        batch_op.add_column(sa.Column("election_id", sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_decision_election_id"), ["election_id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_decision_election_id_election"),
            "election",
            ["election_id"],
            ["id"],
            ondelete="RESTRICT",
        )
    for statement in _triggers(dialect):
        op.execute(statement)


def downgrade():
    dialect = op.get_bind().dialect.name
    with op.batch_alter_table("decision", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_decision_election_id_election"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("uq_decision_election_id"), type_="unique")
        batch_op.drop_column("election_id")
    for table in (
        "election_seat",
        "election_sealed_ballot",
        "election_participation",
        "election_ballot",
        "election_round",
        "election_candidate",
        "election",
        "amendment",
        "poll_hand_vote",
        "poll_hand_count",
    ):
        op.drop_table(table)
    if dialect == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS hand_count_poll_open()")
        op.drop_constraint(op.f("ck_poll_hands_not_secret"), "poll", type_="check")
        op.drop_constraint(op.f("ck_poll_method"), "poll", type_="check")
    op.drop_column("poll", "quorate_at_opening")
    op.drop_column("poll", "method")
