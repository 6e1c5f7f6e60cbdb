"""The YAML decides: renamed states and transitions break nothing.

A copy of ``workflows/`` in which every state and transition id of every
shipped definition is renamed (consistently within its file), and the
resolution paper's flow has one more review state before the decision.
Then ``workflows check`` passes, the demo loads, and no page of any role
answers 500.  Code that compared a state name would find no such state any
more: it must ask flags.  Each package's own suite runs its objects end to
end on such a copy (meetings, votes, circular resolutions, minutes,
projects).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROLE_EMAILS, login, make_test_app
from site_walk import walk_site

from netzwerk.demo import load_demo
from netzwerk.extensions import db
from netzwerk.workflow.catalog import default_directory

SUFFIX = "_neu"
REVIEW_STATE = "zweitpruefung" + SUFFIX
REVIEW_STEP = "zweitpruefung_abschliessen" + SUFFIX


def _rename(definition: dict[str, Any]) -> dict[str, Any]:
    states = {name: name + SUFFIX for name in definition["states"]}
    steps = {name: name + SUFFIX for name in definition.get("transitions") or {}}

    def state(name: str) -> str:
        return states.get(name, name)

    def many(value: Any) -> Any:
        return [state(v) for v in value] if isinstance(value, list) else state(value)

    result = dict(definition)
    result["initial"] = state(definition["initial"])
    result["states"] = {states[k]: v for k, v in definition["states"].items()}
    result["transitions"] = {
        steps[k]: {**v, "from": many(v["from"]), "to": state(v["to"])}
        for k, v in (definition.get("transitions") or {}).items()
    }
    if definition.get("timers"):
        result["timers"] = [
            {**t, "in": state(t["in"]), "do": steps.get(t["do"], t["do"])}
            for t in definition["timers"]
        ]
    if definition.get("state_map"):
        result["state_map"] = {k: state(v) for k, v in definition["state_map"].items()}
    return result


def _insert_review(definition: dict[str, Any]) -> dict[str, Any]:
    """One more state before the state the paper is decided in."""
    target = next(
        name
        for name, spec in definition["states"].items()
        if "open_for_voting" in (spec or {}).get("flags", [])
    )
    into = next((name, t) for name, t in definition["transitions"].items() if t["to"] == target)
    definition["states"][REVIEW_STATE] = {"title": "Zweite Prüfung"}
    definition["transitions"][into[0]] = {**into[1], "to": REVIEW_STATE}
    definition["transitions"][REVIEW_STEP] = {
        "label": "Zweite Prüfung abschließen",
        "from": REVIEW_STATE,
        "to": target,
        "by": ["office", "admin"],
    }
    return definition


def mutated_copy(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for path in sorted(default_directory().glob("*.yaml")):
        definition = _rename(yaml.safe_load(path.read_text(encoding="utf-8")))
        if path.stem == "beschlussvorlage":
            definition = _insert_review(definition)
        (directory / path.name).write_text(
            yaml.safe_dump(definition, allow_unicode=True, sort_keys=False), encoding="utf-8"
        )
    return directory


def test_the_mutated_copy_renames_every_id(tmp_path):
    copy = mutated_copy(tmp_path / "workflows")
    for path in copy.glob("*.yaml"):
        definition = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert all(name.endswith(SUFFIX) for name in definition["states"]), path.name
        assert all(name.endswith(SUFFIX) for name in definition["transitions"]), path.name
    assert REVIEW_STATE in yaml.safe_load((copy / "beschlussvorlage.yaml").read_text())["states"]


@pytest.fixture(scope="module")
def mutated_app(tmp_path_factory, database_url):  # type: ignore[no-untyped-def]
    if not database_url.startswith("sqlite"):
        pytest.skip("runs on its own SQLite file; the renamed ids do not depend on the database")
    base = tmp_path_factory.mktemp("mutated")
    app = make_test_app(
        f"sqlite:///{base / 'mutated.db'}", NETZWERK_WORKFLOW_DIR=str(mutated_copy(base / "wf"))
    )
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a 500 is an answer the test counts
    with app.app_context():
        db.create_all()
        load_demo()
        db.session.remove()
    return app


def test_workflows_check_passes_on_the_mutated_copy(mutated_app):
    result = mutated_app.test_cli_runner().invoke(args=["netzwerk", "workflows", "check"])
    assert result.exit_code == 0, result.output
    assert result.output.count("ok  ") == len(list(default_directory().glob("*.yaml")))


@pytest.mark.parametrize("role", ["office", "chair", "member", "lead", "admin", "anonymous"])
def test_no_page_of_any_role_fails_with_renamed_ids(mutated_app, role):
    client = mutated_app.test_client()
    if role != "anonymous":
        login(client, ROLE_EMAILS[role])
    site = walk_site(client)
    assert site.failures == [], f"as {role}: {site.failures}"
