"""``flask --app wsgi netzwerk search reindex``: rebuild the index."""

from __future__ import annotations

import click
from flask.cli import AppGroup

search_cli = AppGroup("search", help="The full-text search.")


@search_cli.command("reindex")
@click.option(
    "--if-empty", is_flag=True, help="Only when the index holds nothing yet (after an upgrade)."
)
def reindex_command(if_empty: bool) -> None:
    """Make every document of the index again (imports, upgrades)."""
    from sqlalchemy import func, select

    from ..extensions import db
    from . import index
    from .models import SearchDocument

    if if_empty and db.session.scalar(select(func.count()).select_from(SearchDocument)):
        click.echo("The index is filled; nothing to do.")
        return
    total = sum(len(index.all_ids(kind)) for kind in index.sources())
    with click.progressbar(length=total, label="Indexing", show_pos=True) as bar:
        done = index.rebuild(progress=bar.update)
    click.echo(f"{done} documents indexed.")
