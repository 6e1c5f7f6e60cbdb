"""Queries on flags are exact per definition: a state name that two
definitions of a type give different meanings counts by the meaning of the
definition each object is pinned to."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import make_test_app
from decisions.test_action_item_workflow import _item
from sqlalchemy import select, update

from netzwerk.decisions import services as decisions
from netzwerk.decisions.models import ActionItem
from netzwerk.extensions import db
from netzwerk.workflow import services as workflow
from netzwerk.workflow.catalog import default_directory, get_catalog

# A second flow for action items that reuses a state name of massnahme.yaml
# for "done": an item of this flow in that state is not pending.
SECOND_FLOW = """\
workflow: massnahme_kurz
title: Maßnahme (kurz)
applies_to: action_item
initial: offen
states:
  offen:
    title: Offen
    flags: [pending]
  in_arbeit:
    title: Abgeschlossen
    flags: [done]
    final: true
  verworfen:
    title: Verworfen
    flags: [dropped]
    final: true
transitions:
  abschliessen:
    label: Abschließen
    from: offen
    to: in_arbeit
    by: [responsible, office]
  verwerfen:
    label: Verwerfen
    from: offen
    to: verworfen
    by: [office]
"""


def test_a_reused_state_name_counts_by_its_own_definition(demo, database_url, tmp_path: Path):
    directory = tmp_path / "workflows"
    shutil.copytree(default_directory(), directory)
    (directory / "massnahme_kurz.yaml").write_text(SECOND_FLOW)
    app = make_test_app(database_url, NETZWERK_WORKFLOW_DIR=str(directory))
    try:
        with app.app_context():
            catalog = get_catalog()
            usual, short = catalog.get("massnahme"), catalog.get("massnahme_kurz")
            # Both items sit in the state both definitions call "in_arbeit".
            pending_item, done_item = _item(), _item()
            for item_id, definition in ((pending_item, usual), (done_item, short)):
                db.session.execute(
                    update(ActionItem)
                    .where(ActionItem.id == item_id)
                    .values(
                        workflow_name=definition.name,
                        workflow_hash=definition.hash,
                        state="in_arbeit",
                    )
                )
            db.session.commit()
            db.session.expire_all()

            assert workflow.has_flag(db.session.get(ActionItem, pending_item), "pending")
            assert workflow.has_flag(db.session.get(ActionItem, done_item), "done")
            open_ids = {item.id for item in decisions.open_action_items()}
            assert pending_item in open_ids
            assert done_item not in open_ids
            done_ids = set(
                db.session.scalars(
                    select(ActionItem.id).where(workflow.flag_condition(ActionItem, "done"))
                )
            )
            assert done_ids == {done_item}
            not_done = set(
                db.session.scalars(
                    select(ActionItem.id).where(~workflow.flag_condition(ActionItem, "done"))
                )
            )
            assert pending_item in not_done and done_item not in not_done
            db.session.remove()
    finally:
        with app.app_context():
            db.engine.dispose()
