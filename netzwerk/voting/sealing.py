"""Secret ballots: sealed while the poll is open, published unlinkable at its close.

What "secret" means
===================

Nobody who reads what the database stores – its tables, files, WAL,
dumps and backups, with full access to the server – can tell how a member
voted any better than by guessing from the published counts, during the
poll or after it.  The people who run the application's own hosts (which
hold the secret key) are trusted; see "Limits" below for exactly how far.

The storage
-----------

* ``poll_participation`` says *who* voted (one row per seat: the database
  refuses a second ballot), never *how*.
* While the poll is open, a ballot's value exists only **sealed**: a row of
  ``sealed_ballot`` with a random UUID, the poll and 45 bytes – format
  version, a random 96-bit nonce, and the value padded to a fixed 16 bytes,
  encrypted and authenticated with ChaCha20-Poly1305 (AEAD; the poll's id is
  the associated data, so a sealed ballot cannot be moved to another poll).
  The key is derived per poll (HKDF-SHA-256) from the application's
  ``SECRET_KEY``, which is not in the database.  Every sealed ballot has the
  same length, and two "yes" ballots look as different as a "yes" and a
  "no".  No timestamp, no sequence.
* When the poll closes (the workflow's effect ``close_poll``, one
  transaction that also counts and stores the result), the sealed ballots
  are opened, shuffled with the operating system's random generator and
  written in plaintext as ``secret_ballot`` rows (random UUID, poll, value:
  no time, no voter) in that shuffled order, with fresh ids, in one
  transaction; the sealed rows are deleted in it (on SQLite with
  ``secure_delete`` on, so their bytes are overwritten with zeros).  The
  count is taken from the published rows.

The attacks, and why each finds nothing
---------------------------------------

* **Transaction ids** (PostgreSQL ``xmin``, the join of finding 1 of issue
  #18): a participation shares its transaction with a sealed ballot, which
  is ciphertext.  Every plaintext ballot carries the closing transaction's
  id, the same for all of them.
* **Physical order** (PostgreSQL ``ctid``, the order of cells in SQLite's
  pages and of frames in its WAL, hence dumps and file copies): the
  plaintext rows are written in one transaction in a random order unrelated
  to the order of votes.
* **Ids**: random UUIDs, drawn afresh at the close.
* **Time**: a participation keeps the time of the vote (as the audit trail
  does: who took part when is not secret, like the register at a polling
  station), but no value row has a time, and the plaintext rows come into
  being all at once, at the close.
* **Dead versions** (PostgreSQL keeps deleted tuples until VACUUM; SQLite's
  free space and WAL keep old page images): the only rows ever deleted
  during a normal poll are the sealed ones, i.e. ciphertext.
* **During the poll** only ciphertext exists: no interim count in the
  database, none in the application.

A poll opened before this design (plaintext ``secret_ballot`` rows written
beside their participations) is rewritten the same way at its close, and
the migration ``d20a1b2c3d4e`` rewrites the ballots of polls already
closed; versions of those rows written earlier may survive in backups taken
before, in PostgreSQL's dead tuples until VACUUM, and in SQLite's free
pages if it was built without ``secure_delete``.

Why this design
---------------

* Counters instead of ballots (``yes = yes + 1``): every increment leaves a
  row version (PostgreSQL) or WAL frame with the voter's transaction, which
  links again; and 2,000 members voting at once would queue on one row.
* Ballots held in the application's memory and written shuffled in batches:
  a crash or a restart of a worker loses ballots already confirmed to the
  voter, and several workers and hosts would need a shared buffer.
* An UNLOGGED table until the close: PostgreSQL only, still ordered by
  ``ctid`` and joinable by ``xmin`` for whoever reads it during the poll,
  and emptied by a crash.
* Sealing: each ballot is durable at once, as one more insert in the
  ballot's own transaction (on PostgreSQL the fast path's single statement,
  see ``services.cast_session_ballot``), so the double-vote refusal, the
  burst and the benchmark keep their shape on both databases; the only
  window left needs the key as well as the files (see "Limits").

Limits (stated honestly)
------------------------

* Whoever holds **both** the application's secret key **and** a copy of the
  database's *files or WAL* from while the poll was open (or from soon after
  its close on PostgreSQL, before VACUUM removed the dead sealed tuples)
  can open the sealed ballots and pair them with the participations of the
  same transaction.  A logical dump (``pg_dump``) taken after the close
  holds no sealed ballot.  Keep the key off the database server and out of
  its backups.
* The application's hosts are trusted: code running there sees each value
  as it is cast (in memory, for the length of a request).  So is the
  network between the browser and the application (TLS).
* The published counts themselves reveal a unanimous vote, or a vote of a
  member who alone took part; that is the nature of a tally, not of storage.
* Integrity against the database administrator is not promised: someone
  who can write to the database can drop sealed ballots (the count would
  then disagree with the participations, and closing fails loudly).

The secret key must stay the same while a secret poll is open.  To change
it, keep the old key in ``NETZWERK_SECRET_KEY_FALLBACKS`` (Flask's
``SECRET_KEY_FALLBACKS``) until every poll opened under it has closed:
ballots are sealed under the current key and opened under whichever key
fits.  A poll whose ballots open under no key stays open, and its close
says why (:class:`~netzwerk.voting.services.BallotsUnreadable`).
"""

from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from sqlalchemy.engine import Connection

FORMAT_VERSION = 1
NONCE_BYTES = 12
PLAINTEXT_BYTES = 16  # every value padded to this length
TAG_BYTES = 16
SEALED_BYTES = 1 + NONCE_BYTES + PLAINTEXT_BYTES + TAG_BYTES  # 45

_CONTEXT = b"netzwerk.voting.sealed-ballot.v1"


class SealError(RuntimeError):
    """A sealed ballot cannot be opened: another secret key, or tampering."""


def _secret_keys() -> list[bytes]:
    """The current secret key first, then Flask's ``SECRET_KEY_FALLBACKS``."""
    config = current_app.config
    keys = [config.get("SECRET_KEY") or current_app.secret_key]
    keys += list(config.get("SECRET_KEY_FALLBACKS") or ())
    found = [k if isinstance(k, bytes) else str(k).encode() for k in keys if k]
    if not found:
        raise SealError("SECRET_KEY is not set: secret ballots cannot be sealed")
    return found


@functools.lru_cache(maxsize=512)
def _cipher(secret_key: bytes, poll_id: int) -> ChaCha20Poly1305:
    """The poll's cipher: its key derived from the secret key (never stored)."""
    key = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=hashlib.sha256(_CONTEXT).digest(),
        info=_CONTEXT + b"/poll:" + str(poll_id).encode(),
    ).derive(secret_key)
    return ChaCha20Poly1305(key)


def _associated_data(poll_id: int) -> bytes:
    return _CONTEXT + b"/poll:" + str(poll_id).encode()


def seal(poll_id: int, value: str) -> bytes:
    """The sealed form of a ballot's value in a poll (45 bytes, fresh nonce)."""
    plaintext = value.encode("ascii")
    if len(plaintext) >= PLAINTEXT_BYTES:
        raise ValueError(f"ballot value too long to seal: {value!r}")
    nonce = os.urandom(NONCE_BYTES)
    cipher = _cipher(_secret_keys()[0], poll_id)
    body = cipher.encrypt(nonce, plaintext.ljust(PLAINTEXT_BYTES, b"\0"), _associated_data(poll_id))
    return bytes([FORMAT_VERSION]) + nonce + body


def unseal(poll_id: int, sealed: bytes) -> str:
    """The value of a sealed ballot of the poll; :class:`SealError` when no
    key opens it (another secret key, another poll, or changed bytes)."""
    sealed = bytes(sealed)
    if len(sealed) != SEALED_BYTES or sealed[0] != FORMAT_VERSION:
        raise SealError(f"poll {poll_id}: a sealed ballot has an unknown format")
    nonce, body = sealed[1 : 1 + NONCE_BYTES], sealed[1 + NONCE_BYTES :]
    for secret_key in _secret_keys():
        try:
            plaintext = _cipher(secret_key, poll_id).decrypt(nonce, body, _associated_data(poll_id))
        except InvalidTag:
            continue
        return plaintext.rstrip(b"\0").decode("ascii")
    raise SealError(
        f"poll {poll_id}: a sealed ballot opens under none of the secret keys; was "
        "SECRET_KEY changed while the poll was open? Put the old key into "
        "NETZWERK_SECRET_KEY_FALLBACKS and close again."
    )


@contextmanager
def secure_delete(conn: Connection) -> Iterator[None]:
    """SQLite: overwrite deleted content with zeros inside the block (a
    connection setting, restored afterwards).  Nothing to do on PostgreSQL,
    whose dead tuples stay until VACUUM (see the module's "Limits")."""
    if conn.dialect.name != "sqlite":
        yield
        return
    before: Any = conn.exec_driver_sql("PRAGMA secure_delete").scalar()
    conn.exec_driver_sql("PRAGMA secure_delete = ON")
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA secure_delete = {int(before or 0)}")
