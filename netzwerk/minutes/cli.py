"""``flask --app wsgi netzwerk minutes ...``: render minutes and invitations."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

minutes_cli = AppGroup("minutes", help="Minutes (Protokolle) as PDF.")


@minutes_cli.command("render")
@click.argument("meeting_id", type=int)
@click.option(
    "-o",
    "--output",
    "output",
    required=True,
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Where to write the PDF.",
)
@click.option("--invitation", is_flag=True, help="The invitation instead of the minutes.")
@click.option("--public", "public_only", is_flag=True, help="The public edition only.")
@click.option("--fassung", "version_no", type=int, help="A version other than the newest.")
def render_command(
    meeting_id: int, output: Path, invitation: bool, public_only: bool, version_no: int | None
) -> None:
    """Write the PDF of a meeting's minutes (approved: the stored file) to OUTPUT."""
    from ..meetings import meeting_services as ms
    from . import render, services

    meeting = ms.get_meeting(meeting_id)
    if meeting is None:
        raise click.ClickException(f"no meeting with id {meeting_id}")
    if invitation:
        pdf = services.invitation_pdf(meeting, public_only=public_only)
        data, digest, note = pdf.data, pdf.sha256, "invitation"
    else:
        versions = services.versions(meeting_id)
        chosen = (
            next((m for m in versions if m.version_no == version_no), None)
            if version_no is not None
            else (versions[-1] if versions else None)
        )
        if version_no is not None and chosen is None:
            raise click.ClickException(f"meeting {meeting_id} has no version {version_no}")
        if chosen is None:
            # No minutes started yet: a draft composed from the meeting's data alone.
            snapshot = services.compose(meeting, None, public_only=public_only)
            data = render.minutes_pdf(snapshot, archival=False)
            import hashlib

            digest, note = hashlib.sha256(data).hexdigest(), "draft (no minutes started)"
        else:
            pdf = services.minutes_pdf(chosen, public_only=public_only)
            data, digest = pdf.data, pdf.sha256
            note = f"version {chosen.version_no}, " + ("approved" if pdf.frozen else "draft")
    output.write_bytes(data)
    click.echo(f"{output}: {len(data)} bytes, {note}, sha256 {digest}")
