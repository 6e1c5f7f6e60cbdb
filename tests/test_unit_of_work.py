"""One unit of work: a request, a scheduler job or a command opens exactly
one transaction at its boundary; services write in ``write_transaction()``
blocks, which inside the unit are savepoints and commit nothing themselves.

The test app gets a few routes of its own (before its first request) that
write action fields the way services do; a second connection beside the
session looks at what is committed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import click
import pytest
from click.testing import CliRunner
from conftest import make_test_app
from flask import Flask
from sqlalchemy import create_engine, func, select, text

from netzwerk.cli import _each_command_one_unit
from netzwerk.database import in_unit_of_work, unit_of_work, write_transaction
from netzwerk.extensions import db
from netzwerk.governance.models import ActionField
from netzwerk.rules import RuleError
from netzwerk.scheduler import JobSpec, call_job


def _add(name: str) -> None:
    with write_transaction():
        db.session.add(ActionField(name=name, slug=name.lower()))
        db.session.flush()


def _committed(database_url: str) -> list[str]:
    """The action fields another connection sees: what is committed."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return list(conn.scalars(text("SELECT name FROM action_field ORDER BY name")))
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def unit_app(app: Flask, database_url: str) -> Iterator[Flask]:
    """A second app on the test database with routes that write."""
    del app  # the tables exist once the session's app made them
    test_app = make_test_app(database_url)
    seen: dict[str, Any] = {}
    test_app.config["SEEN"] = seen

    @test_app.post("/_unit/two-blocks")
    def two_blocks() -> str:
        _add("Erstes")
        seen["between"] = _committed(database_url)
        _add("Zweites")
        return "ok"

    @test_app.post("/_unit/crash-after-writes")
    def crash_after_writes() -> str:
        _add("Erstes")
        _add("Zweites")
        raise RuntimeError("an effect failed late")

    @test_app.post("/_unit/refused-block")
    def refused_block() -> str:
        _add("Erstes")
        try:
            with write_transaction():
                _add("Verworfen")
                raise RuleError("refused")
        except RuleError:
            pass
        return "ok"

    @test_app.post("/_unit/first-block-refused")
    def first_block_refused() -> str:
        try:
            with write_transaction():
                _add("Verworfen")
                raise RuleError("refused")
        except RuleError:
            pass
        _add("Zweites")
        return "ok"

    @test_app.get("/_unit/in-unit")
    def in_unit() -> str:
        return "yes" if in_unit_of_work() else "no"

    yield test_app
    with test_app.app_context():
        db.session.remove()
        db.engine.dispose()


def _names() -> list[str]:
    return list(db.session.scalars(select(ActionField.name).order_by(ActionField.name)))


def test_every_request_is_a_unit_of_work(unit_app: Flask) -> None:
    assert unit_app.test_client().get("/_unit/in-unit").text == "yes"


def test_a_request_commits_once_after_the_view(
    app: Flask, unit_app: Flask, database_url: str
) -> None:
    response = unit_app.test_client().post("/_unit/two-blocks")
    assert response.status_code == 200
    # Between the two services nothing was committed yet; both are now.
    assert unit_app.config["SEEN"]["between"] == []
    assert _committed(database_url) == ["Erstes", "Zweites"]


def test_a_request_that_fails_late_leaves_nothing(
    app: Flask, unit_app: Flask, database_url: str
) -> None:
    unit_app.config["PROPAGATE_EXCEPTIONS"] = False
    try:
        response = unit_app.test_client().post("/_unit/crash-after-writes")
    finally:
        unit_app.config["PROPAGATE_EXCEPTIONS"] = None
    assert response.status_code == 500
    assert _committed(database_url) == []


def test_a_refused_block_is_undone_alone(app: Flask, unit_app: Flask, database_url: str) -> None:
    response = unit_app.test_client().post("/_unit/refused-block")
    assert response.status_code == 200
    assert _committed(database_url) == ["Erstes"]


def test_a_refused_first_block_leaves_nothing_and_the_next_one_counts(
    app: Flask, unit_app: Flask, database_url: str
) -> None:
    # The unit's first write block needs no savepoint (the ballot's hot path
    # keeps its statements): when it fails, the transaction held nothing else.
    response = unit_app.test_client().post("/_unit/first-block-refused")
    assert response.status_code == 200
    assert _committed(database_url) == ["Zweites"]


def test_a_job_is_one_unit_of_work(app_ctx: Flask, database_url: str) -> None:
    def failing_job() -> None:
        _add("Erstes")
        assert _committed(database_url) == []  # the block did not commit
        _add("Zweites")
        raise RuntimeError("the job failed")

    with pytest.raises(RuntimeError):
        call_job(JobSpec("test.failing", failing_job, None, {}))
    assert _committed(database_url) == []

    def job() -> None:
        _add("Erstes")
        _add("Zweites")

    call_job(JobSpec("test.ok", job, None, {}))
    assert _committed(database_url) == ["Erstes", "Zweites"]


def test_a_job_with_own_units_keeps_what_each_committed(app_ctx: Flask, database_url: str) -> None:
    def job() -> None:
        for name in ("Erstes", "Zweites"):
            with unit_of_work():
                _add(name)
        raise RuntimeError("the third item failed")

    with pytest.raises(RuntimeError):
        call_job(JobSpec("test.items", job, None, {}, own_units=True))
    assert _committed(database_url) == ["Erstes", "Zweites"]


def test_a_command_is_one_unit_of_work(app: Flask, database_url: str) -> None:
    group = click.Group("probe")

    @group.command("fails")
    def fails() -> None:
        _add("Erstes")
        raise click.ClickException("the command failed")

    @group.command("works")
    def works() -> None:
        _add("Erstes")
        _add("Zweites")

    _each_command_one_unit(group)
    runner = CliRunner()
    with app.app_context():
        assert runner.invoke(group, ["fails"]).exit_code == 1
        assert _committed(database_url) == []
        assert runner.invoke(group, ["works"]).exit_code == 0
        db.session.remove()
    assert _committed(database_url) == ["Erstes", "Zweites"]


def test_the_shipped_commands_are_units(app: Flask) -> None:
    group = app.cli.commands["netzwerk"]
    assert isinstance(group, click.Group)
    assert getattr(group.commands["demo"].callback, "netzwerk_unit", False)
    assert getattr(group.commands["create-user"].callback, "netzwerk_unit", False)
    assert not getattr(group.commands["scheduler"].callback, "netzwerk_unit", False)


def test_outside_a_unit_the_outermost_block_commits(app_ctx: Flask, database_url: str) -> None:
    _add("Erstes")
    assert _committed(database_url) == ["Erstes"]
    assert db.session.scalar(select(func.count()).select_from(ActionField)) == 1
