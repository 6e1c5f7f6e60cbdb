"""``flask --app wsgi netzwerk workflows check [FILE...]``."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy.exc import SQLAlchemyError

workflows_cli = AppGroup("workflows", help="Workflow definitions.")


@workflows_cli.command("check")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--no-db", is_flag=True, help="Do not check against stored objects.")
def check_command(files: tuple[Path, ...], no_db: bool) -> None:
    """Validate definitions (default: every file in workflows/); exit 1 on errors."""
    from .catalog import check_against_database, default_directory, load_directory, load_files

    if files:
        definitions, problems = load_files(list(files))
    else:
        directory = Path(current_app.config.get("NETZWERK_WORKFLOW_DIR") or default_directory())
        definitions, problems = load_directory(directory)
    if not no_db and definitions:
        try:
            problems += check_against_database(definitions)
        except SQLAlchemyError as exc:
            click.echo(f"warning: not checked against the database: {exc}", err=True)
    for problem in problems:
        click.echo(str(problem), err=True)
    if problems:
        click.echo(f"{len(problems)} problem(s) found.", err=True)
        raise SystemExit(1)
    for definition in definitions:
        click.echo(f"ok  {definition.file}  {definition.name}  {definition.hash[:12]}")


@workflows_cli.command("upgrade")
@click.argument("object_type")
@click.argument("workflow_name")
def upgrade_command(object_type: str, workflow_name: str) -> None:
    """Move running objects of older versions onto the current definition."""
    from . import registry
    from .services import upgrade_to_current

    if object_type not in registry.SUBJECTS:
        raise click.ClickException(f"unknown object type {object_type!r}")
    result = upgrade_to_current(object_type, workflow_name)
    click.echo(f"moved {result.moved}, changed meanwhile {result.unchanged}")
    for object_id, state in result.refused:
        click.echo(f"refused {object_type} {object_id}: state {state!r} is not mapped", err=True)
    if result.refused:
        raise SystemExit(1)
