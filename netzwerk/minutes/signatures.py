"""Personal signatures on approved minutes: the chair and the minute-taker
sign after the seal, one after the other, each as an incremental update.

A signature is added to the stored file only if the result still begins
with the stored bytes (nothing before it changes), every signature in it is
intact after pyHanko's thorough check (what the update changes is no more
than a signature), and it holds exactly one signature more.  The row of the
approved document then holds the longer file, with its new SHA-256; the
audit trail keeps both checksums.  Signing happens where the key is: with
``flask netzwerk minutes sign`` on a machine that holds the person's
PKCS#12 file, or in any PDF reader, after which the signed file is handed
to :func:`add_signature`.
"""

from __future__ import annotations

import hashlib
from typing import Any

from flask_babel import gettext as _

from ..audit.services import record
from ..database import write_transaction
from ..extensions import db
from ..rules import RuleError
from . import services, signing
from .models import Minutes, MinutesDocument

ROLES = ("chair", "minute_taker")


class SignatureRefused(RuleError):
    """The signed file cannot replace the stored one."""


def add_signature(
    minutes: Minutes,
    signed: bytes,
    *,
    role: str,
    actor_id: int | None = None,
    edition: str = services.FULL,
) -> MinutesDocument:
    """Store ``signed`` (the stored PDF with one more signature) for ``minutes``."""
    if role not in ROLES:
        raise SignatureRefused(_("Unknown role."))
    if not services.is_approved(minutes):
        raise SignatureRefused(_("Only approved minutes are signed."))
    newest = services.latest(minutes.meeting_id)
    if newest is None or newest.id != minutes.id:
        raise SignatureRefused(_("There is a newer version; only the newest is signed."))
    document = services.documents(minutes).get(edition)
    if document is None:
        raise SignatureRefused(_("The approved document is missing."))
    stored = document.data
    if len(signed) <= len(stored) or not signed.startswith(stored):
        raise SignatureRefused(_("The file is not the stored PDF with a signature added to it."))
    before = signing.verify(stored, thorough=False)
    after = signing.verify(signed)
    if after.state != "intact" or len(after.signatures) != len(before.signatures) + 1:
        raise SignatureRefused(_("The added signature is not intact."))
    digest = hashlib.sha256(signed).hexdigest()
    document_id, old_sha = document.id, document.sha256
    with write_transaction():
        row = db.session.get(MinutesDocument, document_id, with_for_update=True)
        assert row is not None
        if row.sha256 != old_sha:
            raise SignatureRefused(_("Someone else signed in the meantime; please sign again."))
        row.data, row.sha256, row.size = signed, digest, len(signed)
        record(
            "minutes.signed",
            "minutes",
            minutes.id,
            actor_id=actor_id,
            data={
                "edition": edition,
                "role": role,
                "signer": after.signatures[-1].signer,
                "sha256_before": old_sha,
                "sha256": digest,
            },
        )
    return row


def sign_stored(
    minutes: Minutes, signer: Any, *, role: str, edition: str = services.FULL
) -> MinutesDocument:
    """Sign the stored PDF with ``signer`` (a key at hand: the CLI) and store it."""
    document = services.documents(minutes).get(edition)
    if document is None:
        raise SignatureRefused(_("The approved document is missing."))
    signed = signing.sign(document.data, signer, field_name=signing.FIELDS[role])
    return add_signature(minutes, signed, role=role, edition=edition)
