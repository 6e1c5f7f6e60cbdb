"""``flask --app wsgi netzwerk ...`` commands."""

from __future__ import annotations

import logging

import click
from flask import Flask, current_app
from flask.cli import AppGroup

netzwerk_cli = AppGroup("netzwerk", help="Netzwerk administration commands.")


@netzwerk_cli.command("demo")
def demo_command() -> None:
    """Load the demo network (idempotent: an existing demo is left alone)."""
    from .demo import load_demo

    created = load_demo()
    if created:
        click.echo("Demo network loaded.")
    else:
        click.echo("Demo network already present; nothing changed.")


@netzwerk_cli.command("demo-logins")
def demo_logins_command() -> None:
    """Print the demo logins (only in demo mode)."""
    from .demo import DEMO_LOGINS, DEMO_PASSWORD

    if not current_app.config.get("NETZWERK_DEMO"):
        raise click.ClickException("not in demo mode (set NETZWERK_DEMO=1)")
    click.echo(f"Demo logins (password for all: {DEMO_PASSWORD}):")
    for role, email in DEMO_LOGINS:
        click.echo(f"  {role:<14} {email}")


@netzwerk_cli.command("create-user")
@click.option("--email", required=True)
@click.option("--first-name", required=True)
@click.option("--last-name", required=True)
@click.option("--admin", is_flag=True, help="Global administrator.")
@click.option("--office", is_flag=True, help="Bildungsbüro staff.")
@click.password_option()
def create_user_command(
    email: str, first_name: str, last_name: str, admin: bool, office: bool, password: str
) -> None:
    """Create a person with a login."""
    from .auth.logins import create_person_with_login
    from .auth.passwords import strength_problem
    from .auth.services import AccountError
    from .governance.common import GovernanceError

    # The same rules as every password form (length first, then strength).
    problem = (
        None
        if len(password) < 12
        else strength_problem(password, names=(first_name, last_name), email=email)
    )
    if problem:
        raise click.ClickException(str(problem))
    try:
        user = create_person_with_login(
            first_name=first_name,
            last_name=last_name,
            email=email,
            password=password,
            is_admin=admin,
            is_office=office,
        )
    except (AccountError, GovernanceError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"created {user.email}")


@netzwerk_cli.command("scheduler")
def scheduler_command() -> None:
    """Run the one scheduler process (blocks)."""
    from .scheduler import run_forever

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    run_forever(current_app._get_current_object())  # type: ignore[attr-defined]


@netzwerk_cli.command("run-job")
@click.argument("job_id")
def run_job_command(job_id: str) -> None:
    """Run one registered scheduler job now."""
    from .scheduler import JOBS, call_job

    if job_id not in JOBS:
        raise click.ClickException(f"unknown job {job_id!r}; known: {', '.join(sorted(JOBS))}")
    result = call_job(JOBS[job_id])
    click.echo(f"{job_id}: {result}")


def register_cli(app: Flask) -> None:
    from .minutes.cli import minutes_cli
    from .search.cli import search_cli
    from .workflow.cli import workflows_cli

    netzwerk_cli.add_command(workflows_cli)
    netzwerk_cli.add_command(minutes_cli)
    netzwerk_cli.add_command(audit_cli)
    netzwerk_cli.add_command(search_cli)
    _each_command_one_unit(netzwerk_cli)
    app.cli.add_command(netzwerk_cli)


# Commands that are not one unit of work: the scheduler runs for ever (each
# job is a unit), run-job runs the job as the scheduler would.
_NOT_ONE_UNIT = {"scheduler", "run-job"}


def _each_command_one_unit(group: click.Group) -> None:
    """A command is one unit of work (``database.unit_of_work``): what it
    writes commits when it returns, and nothing when it fails."""
    from .database import unit_of_work

    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            _each_command_one_unit(command)
        elif (
            command.callback is not None
            and name not in _NOT_ONE_UNIT
            and not getattr(command.callback, "netzwerk_unit", False)
        ):
            wrapped = unit_of_work()(command.callback)
            wrapped.netzwerk_unit = True  # type: ignore[attr-defined]
            command.callback = wrapped


audit_cli = AppGroup("audit", help="The audit trail.")


@audit_cli.command("verify")
def audit_verify_command() -> None:
    """Verify the hash chain; exit 1 at the first broken link."""
    from .audit.services import verify_chain

    broken = verify_chain()
    if broken is not None:
        click.echo(f"audit chain broken at event {broken.event_id}: {broken.reason}", err=True)
        raise SystemExit(1)
    click.echo("audit chain intact")
