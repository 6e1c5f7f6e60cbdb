"""action items and feedback on the workflow engine

Action items (``decision_action_item``) and feedback (``feedback``) get the
workflow columns (name, hash, state, version, entry time).  The action
item's ``status`` column (any status could follow any other) goes: its state
is the engine's now.  Feedback keeps its timestamps (considered, answered)
as data the receipt page shows; its triage state is the engine's.

Existing rows start under the definitions as they were shipped with this
revision (embedded below and stored in ``workflow_definition_version``, so
the rows stay readable whatever ``workflows/*.yaml`` says later).  Their
states are chosen by the flags the application asks, never by name:

- action items: ``open`` -> the initial state, ``in_progress`` -> another
  state flagged ``pending``, ``done`` -> the state flagged ``done``,
  ``dropped`` -> the state flagged ``dropped``; entered at ``updated_at``;
- feedback: answered (an answer) -> ``answered``, else a duplicate ->
  ``duplicate``, else passed to a body -> ``passed``, else considered ->
  ``in_triage``, else the initial state (``new``); entered at the time of
  that fact.

Revision ID: b17c2d3e4f5a
Revises: a17b1c2d3e4f
Create Date: 2026-12-03 09:00:00

"""
import hashlib
from datetime import datetime, timezone

import sqlalchemy as sa
import yaml
from alembic import op

# revision identifiers, used by Alembic.
revision = "b17c2d3e4f5a"
down_revision = "a17b1c2d3e4f"
branch_labels = None
depends_on = None

ACTION_ITEM_SOURCE = """# Maßnahme zur Umsetzung eines Beschlusses (Beschlusskontrolle).
workflow: massnahme
title: Maßnahme zur Umsetzung eines Beschlusses
description: >-
  Eine Maßnahme ist offen, wird bearbeitet und ist schließlich erledigt –
  oder sie wird verworfen. Das Bildungsbüro kann eine Maßnahme wieder
  aufnehmen.
applies_to: action_item
default_for: [action_item]
initial: offen

states:
  offen:
    title: Offen
    flags: [pending]
  in_arbeit:
    title: In Bearbeitung
    flags: [pending]
  erledigt:
    title: Erledigt
    flags: [done]
  verworfen:
    title: Verworfen
    flags: [dropped]

transitions:
  beginnen:
    label: Bearbeitung beginnen
    from: offen
    to: in_arbeit
    by: [responsible, office]
  erledigen:
    label: Als erledigt melden
    from: [offen, in_arbeit]
    to: erledigt
    by: [responsible, office]
    effects: [notify]
    comment: optional
  verwerfen:
    label: Maßnahme verwerfen
    from: [offen, in_arbeit]
    to: verworfen
    by: [office]
    effects: [notify]
    comment: required
  wieder_aufnehmen:
    label: Wieder aufnehmen
    from: [erledigt, verworfen]
    to: in_arbeit
    by: [office]
    effects: [notify]
    comment: required
"""

FEEDBACK_SOURCE = """# Sichtung einer Rückmeldung durch das Bildungsbüro.
workflow: rueckmeldung
title: Sichtung von Rückmeldungen
description: >-
  Eine neue Rückmeldung wird gesichtet (eingeordnet, geschwärzt), an ein
  Gremium weitergegeben und beantwortet – oder als Duplikat einer früheren
  Rückmeldung erkannt.
applies_to: feedback
initial: neu

states:
  neu:
    title: Neu
    flags: [new]
  gesichtet:
    title: Gesichtet
    flags: [in_triage]
  weitergegeben:
    title: An ein Gremium weitergegeben
    flags: [passed]
  doppelt:
    title: Duplikat
    flags: [duplicate]
  beantwortet:
    title: Beantwortet
    final: true
    flags: [answered]

transitions:
  sichten:
    label: Als gesichtet markieren
    from: neu
    to: gesichtet
    by: [office, admin]
    effects: [mark_considered]
  weitergeben:
    label: An ein Gremium weitergeben
    from: [neu, gesichtet]
    to: weitergegeben
    by: [office, admin]
    when: has_referral
    effects: [mark_considered]
  als_duplikat_markieren:
    label: Als Duplikat markieren
    from: [neu, gesichtet]
    to: doppelt
    by: [office, admin]
    when: has_original
    effects: [mark_considered]
  kein_duplikat:
    label: Nicht mehr als Duplikat führen
    from: doppelt
    to: gesichtet
    by: [office, admin]
    effects: [clear_duplicate]
  beantworten:
    label: Antwort veröffentlichen
    from: [neu, gesichtet, weitergegeben, doppelt]
    to: beantwortet
    by: [office, admin]
    when: has_answer
    effects: [mark_considered, mark_answered]
"""

OLD_STATUSES = ("open", "in_progress", "done", "dropped")


def _hash(source):
    return hashlib.sha256(source.replace("\r\n", "\n").encode("utf-8")).hexdigest()


def _doc(source):
    return yaml.safe_load(source)


def _with_flag(doc, flag, besides=None):
    """The first state (in file order) with ``flag``, other than ``besides``."""
    for name, spec in doc["states"].items():
        if name != besides and flag in ((spec or {}).get("flags") or ()):
            return name
    raise LookupError(f"no state flagged {flag!r} in {doc['workflow']}")


def _store_version(bind, source, file_name):
    doc = _doc(source)
    digest = _hash(source)
    table = sa.table(
        "workflow_definition_version",
        sa.column("name", sa.String),
        sa.column("hash", sa.String),
        sa.column("applies_to", sa.String),
        sa.column("file_name", sa.String),
        sa.column("source", sa.Text),
        sa.column("loaded_at", sa.DateTime(timezone=True)),
    )
    exists = bind.execute(
        sa.select(sa.func.count())
        .select_from(table)
        .where(table.c.name == doc["workflow"], table.c.hash == digest)
    ).scalar()
    if not exists:
        bind.execute(
            table.insert().values(
                name=doc["workflow"],
                hash=digest,
                applies_to=doc["applies_to"],
                file_name=file_name,
                source=source,
                loaded_at=datetime.now(timezone.utc),
            )
        )
    return doc, digest


def _add_workflow_columns(table):
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.add_column(sa.Column("workflow_name", sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column("workflow_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("state", sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("state_entered_at", sa.DateTime(timezone=True), nullable=True)
        )


def _require_workflow_columns(table):
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.alter_column("workflow_name", existing_type=sa.String(length=60), nullable=False)
        batch_op.alter_column("workflow_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("state", existing_type=sa.String(length=60), nullable=False)
        batch_op.alter_column("version", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column(
            "state_entered_at", existing_type=sa.DateTime(timezone=True), nullable=False
        )
        batch_op.create_index(batch_op.f(f"ix_{table}_state"), ["state"], unique=False)
        batch_op.create_check_constraint(batch_op.f(f"ck_{table}_version"), "version >= 0")


def upgrade():
    bind = op.get_bind()
    _add_workflow_columns("decision_action_item")
    _add_workflow_columns("feedback")

    # --- action items ---------------------------------------------------------------
    doc, digest = _store_version(bind, ACTION_ITEM_SOURCE, "massnahme.yaml")
    initial = doc["initial"]
    target = {
        "open": initial,
        "in_progress": _with_flag(doc, "pending", besides=initial),
        "done": _with_flag(doc, "done"),
        "dropped": _with_flag(doc, "dropped"),
    }
    for status, state in target.items():
        bind.execute(
            sa.text(
                "UPDATE decision_action_item SET workflow_name = :name, workflow_hash = :hash, "
                "state = :state, version = 0, state_entered_at = updated_at "
                "WHERE status = :status"
            ),
            {"name": doc["workflow"], "hash": digest, "state": state, "status": status},
        )
    bind.execute(  # a status outside the old check (cannot happen): the start
        sa.text(
            "UPDATE decision_action_item SET workflow_name = :name, workflow_hash = :hash, "
            "state = :state, version = 0, state_entered_at = updated_at WHERE state IS NULL"
        ),
        {"name": doc["workflow"], "hash": digest, "state": initial},
    )

    # --- feedback (later facts win: each UPDATE overrides the ones before) ---------
    doc, digest = _store_version(bind, FEEDBACK_SOURCE, "rueckmeldung.yaml")
    steps = [
        ("1 = 1", doc["initial"], "created_at"),
        ("considered_at IS NOT NULL", _with_flag(doc, "in_triage"), "considered_at"),
        (
            "EXISTS (SELECT 1 FROM feedback_referral r WHERE r.feedback_id = feedback.id)",
            _with_flag(doc, "passed"),
            "(SELECT MAX(r.passed_at) FROM feedback_referral r "
            "WHERE r.feedback_id = feedback.id)",
        ),
        (
            "duplicate_of_id IS NOT NULL",
            _with_flag(doc, "duplicate"),
            "COALESCE(considered_at, created_at)",
        ),
        ("answer IS NOT NULL", _with_flag(doc, "answered"), "COALESCE(answered_at, updated_at)"),
    ]
    for condition, state, entered in steps:
        bind.execute(
            sa.text(
                "UPDATE feedback SET workflow_name = :name, workflow_hash = :hash, "
                f"state = :state, version = 0, state_entered_at = {entered} WHERE {condition}"
            ),
            {"name": doc["workflow"], "hash": digest, "state": state},
        )

    _require_workflow_columns("feedback")
    _require_workflow_columns("decision_action_item")
    with op.batch_alter_table("decision_action_item", schema=None) as batch_op:
        batch_op.drop_index("ix_decision_action_item_status_due")
        batch_op.drop_constraint(batch_op.f("ck_decision_action_item_status"), type_="check")
        batch_op.drop_column("status")


def _flags(spec):
    return set((spec or {}).get("flags") or ())


def downgrade():
    bind = op.get_bind()
    with op.batch_alter_table("decision_action_item", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status", sa.String(length=20), nullable=True))
    # Back from states to statuses by the flags of every stored version.
    versions = bind.execute(
        sa.text(
            "SELECT name, hash, source FROM workflow_definition_version "
            "WHERE applies_to = 'action_item'"
        )
    ).all()
    for name, digest, source in versions:
        doc = _doc(source)
        for state, spec in doc["states"].items():
            flags = _flags(spec)
            if "done" in flags:
                status = "done"
            elif "dropped" in flags:
                status = "dropped"
            elif "pending" in flags and state != doc["initial"]:
                status = "in_progress"
            else:
                status = "open"
            bind.execute(
                sa.text(
                    "UPDATE decision_action_item SET status = :status "
                    "WHERE workflow_name = :name AND workflow_hash = :hash AND state = :state"
                ),
                {"status": status, "name": name, "hash": digest, "state": state},
            )
    bind.execute(sa.text("UPDATE decision_action_item SET status = 'open' WHERE status IS NULL"))
    with op.batch_alter_table("decision_action_item", schema=None) as batch_op:
        batch_op.alter_column("status", existing_type=sa.String(length=20), nullable=False)
        batch_op.create_check_constraint(
            batch_op.f("ck_decision_action_item_status"),
            "status IN ('open', 'in_progress', 'done', 'dropped')",
        )
        batch_op.create_index("ix_decision_action_item_status_due", ["status", "due_date"])
    for table in ("decision_action_item", "feedback"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(f"ck_{table}_version"), type_="check")
            batch_op.drop_index(batch_op.f(f"ix_{table}_state"))
            batch_op.drop_column("state_entered_at")
            batch_op.drop_column("version")
            batch_op.drop_column("state")
            batch_op.drop_column("workflow_hash")
            batch_op.drop_column("workflow_name")
