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
    from ..meetings import access
    from . import render, services

    meeting = access.get_meeting(meeting_id)
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


@minutes_cli.command("verify")
@click.argument("minutes_id", type=int)
def verify_command(minutes_id: int) -> None:
    """Check the stored PDFs of approved minutes (version MINUTES_ID): their
    SHA-256 and every signature (intact, valid, covering the file).  Exit
    status 1 when one is broken; unsigned files are reported, not failed."""
    import hashlib

    from . import services, signing

    minutes = services.get_minutes(minutes_id)
    if minutes is None:
        raise click.ClickException(f"no minutes with id {minutes_id}")
    documents = services.documents(minutes)
    if not documents:
        raise click.ClickException(f"minutes {minutes_id} are not approved: no stored PDF")
    broken = False
    for edition, document in sorted(documents.items()):
        data = document.data
        same = hashlib.sha256(data).hexdigest() == document.sha256
        check = signing.verify(data)
        click.echo(
            f"{edition}: {check.state}, sha256 {'matches' if same else 'DIFFERS from the stored'}"
            f" {document.sha256}"
        )
        for status in check.signatures:
            click.echo(
                f"  {status.field}: {status.signer}, "
                f"{'intact' if status.ok else 'BROKEN'}"
                f"{', covers the whole file' if status.covers_whole_file else ''}"
                f"{', trusted' if status.trusted else ', not trusted here'}"
            )
        if check.error:
            click.echo(f"  error: {check.error}")
        broken = broken or not same or check.state == "broken"
    if broken:
        raise SystemExit(1)


@minutes_cli.command("sign")
@click.argument("minutes_id", type=int)
@click.option(
    "--pkcs12",
    "pkcs12",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The signer's PKCS#12 file (key and certificate).",
)
@click.option(
    "--role",
    type=click.Choice(["chair", "minute_taker"]),
    required=True,
    help="Who signs: the chair or the minute-taker.",
)
@click.option("--public", "public_only", is_flag=True, help="Sign the public edition.")
@click.password_option(
    "--password", prompt="Password of the PKCS#12 file", confirmation_prompt=False
)
def sign_command(
    minutes_id: int, pkcs12: Path, role: str, public_only: bool, password: str
) -> None:
    """Add a personal signature to the stored PDF of approved minutes
    (an incremental update after the seal)."""
    from ..database import unit_of_work
    from . import services, signatures, signing

    minutes = services.get_minutes(minutes_id)
    if minutes is None:
        raise click.ClickException(f"no minutes with id {minutes_id}")
    try:
        signer = signing.load_signer(pkcs12.read_bytes(), password)
        with unit_of_work():
            row = signatures.sign_stored(
                minutes,
                signer,
                role=role,
                edition=services.PUBLIC if public_only else services.FULL,
            )
    except (signing.SigningError, signatures.SignatureRefused) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"signed: {row.size} bytes, sha256 {row.sha256}")
