"""Attacks on the storage of secret ballots, as someone with full database access runs them.

Each attack pairs the participations of one poll (who voted) with ballot
values (how) from what the database stores, and returns its guess: seat
(membership id) -> value.  None of them uses the application.

PostgreSQL:

* ``xmin join``: the query of issue #18 (a participation and a ballot
  written by the same transaction);
* ``ctid order``: both tables in physical row order (what ``pg_dump``
  writes);
* ``dead tuples``: every version of every ballot row in the table's pages,
  dead ones too (what a file-level backup holds until VACUUM), joined by
  transaction id (``pageinspect``; skipped where the extension is missing).

SQLite:

* ``page order``: the ballot cells as they lie in the database file's pages
  (page by page, in each page in the order the cells were allocated: SQLite
  fills a page's cell area from its end, so a later cell lies lower);
* ``wal order``: the order in which ballot cells first appear in the frames
  of the write-ahead log (each commit appends the pages it changed);
* ``no rowid``: the ballot tables have no hidden row number to order by.

Both:

* ``id order``: participations by id, ballots by id;
* ``time order``: participations by the time of the vote, ballots by the
  best time proxy the database offers (transaction id, then physical order
  on PostgreSQL; physical order on SQLite).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from netzwerk.extensions import db

VALUES = frozenset({"yes", "no", "abstain"})
Guess = dict[int, str]


def recovered(guess: Guess, truth: dict[int, str]) -> int:
    """How many seats the guess pairs with their true value."""
    return sum(1 for seat, value in guess.items() if truth.get(seat) == value)


@cache
def chance_bound(group: int, p: float = 1e-9) -> int:
    """The smallest k with P(a random pairing recovers >= k) <= p, for 3 * group
    voters of whom ``group`` voted each value (exact: every 3x3 table of
    counts with these margins, weighted by the multivariate hypergeometric
    probability)."""
    lf = [math.lgamma(i + 1) for i in range(3 * group + 1)]
    g = group
    base = 6 * lf[g] - lf[3 * g]  # (g!)^6 / N!, over the product of the cells' factorials
    dist: dict[int, float] = {}
    for a in range(g + 1):
        for b in range(g - a + 1):
            c = g - a - b
            for d in range(g - a + 1):
                for e in range(min(g - d, g - b) + 1):
                    f = g - d - e
                    cells = (a, b, c, d, e, f, g - a - d, g - b - e, g - c - f)
                    if min(cells) < 0:
                        continue
                    diagonal = a + e + cells[8]
                    logp = base - sum(lf[x] for x in cells)
                    dist[diagonal] = dist.get(diagonal, 0.0) + math.exp(logp)
    tail = 0.0
    for k in sorted(dist, reverse=True):
        tail += dist[k]
        if tail > p:
            return k + 1
    return 0


def _pair(seats: list[int], values: list[str]) -> Guess:
    return dict(zip(seats, values, strict=False))


# --- PostgreSQL ----------------------------------------------------------------------


def _pg_participations(conn: Connection, poll_id: int, order: str) -> list[int]:
    return list(
        conn.execute(
            text(
                "SELECT voter_membership_id FROM poll_participation "
                f"WHERE poll_id = :p ORDER BY {order}"
            ),
            {"p": poll_id},
        ).scalars()
    )


def _pg_ballots(conn: Connection, poll_id: int, order: str) -> list[str]:
    return list(
        conn.execute(
            text(f"SELECT value FROM secret_ballot WHERE poll_id = :p ORDER BY {order}"),
            {"p": poll_id},
        ).scalars()
    )


def pg_xmin_join(conn: Connection, poll_id: int) -> Guess:
    rows = conn.execute(
        text(
            "SELECT pp.voter_membership_id, sb.value FROM secret_ballot sb "
            "JOIN poll_participation pp ON pp.xmin::text = sb.xmin::text "
            "AND pp.poll_id = sb.poll_id WHERE sb.poll_id = :p"
        ),
        {"p": poll_id},
    ).all()
    return {int(seat): value for seat, value in rows}


def pg_ctid_order(conn: Connection, poll_id: int) -> Guess:
    return _pair(_pg_participations(conn, poll_id, "ctid"), _pg_ballots(conn, poll_id, "ctid"))


def pg_id_order(conn: Connection, poll_id: int) -> Guess:
    return _pair(_pg_participations(conn, poll_id, "id"), _pg_ballots(conn, poll_id, "id"))


def pg_time_order(conn: Connection, poll_id: int) -> Guess:
    return _pair(
        _pg_participations(conn, poll_id, "cast_at, id"),
        _pg_ballots(conn, poll_id, "xmin::text::bigint, ctid"),
    )


def _varlena(raw: bytes) -> bytes:
    """The data of a PostgreSQL varlena datum (1-byte or 4-byte header)."""
    if raw[0] & 1:  # short header
        return raw[1:]
    return raw[4:]


def pg_dead_tuples(conn: Connection, poll_id: int) -> Guess | None:
    """Every stored version of every ``secret_ballot`` row (live and dead),
    joined to the participations by transaction id; None without pageinspect."""
    try:
        with conn.begin_nested():
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS pageinspect"))
    except Exception:  # noqa: BLE001 - not installed, or not allowed: no such attack here
        return None
    blocks = conn.execute(
        text("SELECT pg_relation_size('secret_ballot') / current_setting('block_size')::int")
    ).scalar()
    rows = conn.execute(
        text(
            "SELECT t.t_xmin::text, tuple_data_split('secret_ballot'::regclass, t.t_data, "
            "t.t_infomask, t.t_infomask2, t.t_bits) "
            "FROM generate_series(0, :last) AS blk, "
            "LATERAL heap_page_items(get_raw_page('secret_ballot', blk::int)) AS t "
            "WHERE t.t_data IS NOT NULL"
        ),
        {"last": int(blocks or 0) - 1},
    ).all()
    voters = dict(
        conn.execute(
            text(
                "SELECT xmin::text, voter_membership_id FROM poll_participation WHERE poll_id = :p"
            ),
            {"p": poll_id},
        ).all()
    )
    guess: Guess = {}
    for xmin, attrs in rows:
        if int.from_bytes(bytes(attrs[1]), "little") != poll_id:
            continue
        value = _varlena(bytes(attrs[2])).decode()
        if xmin in voters:
            guess[int(voters[xmin])] = value
    return guess


# --- SQLite --------------------------------------------------------------------------


def _varint(buf: bytes, i: int) -> tuple[int, int]:
    value = 0
    for k in range(8):
        byte = buf[i + k]
        value = (value << 7) | (byte & 0x7F)
        if byte < 0x80:
            return value, i + k + 1
    return (value << 8) | buf[i + 8], i + 9


_INT_SIZES = {1: 1, 2: 2, 3: 3, 4: 4, 5: 6, 6: 8}


def _record(payload: bytes) -> list[Any]:
    header_size, i = _varint(payload, 0)
    types = []
    while i < header_size:
        serial, i = _varint(payload, i)
        types.append(serial)
    pos, values = header_size, []
    for serial in types:
        if serial == 0:
            values.append(None)
        elif serial in _INT_SIZES:
            n = _INT_SIZES[serial]
            values.append(int.from_bytes(payload[pos : pos + n], "big", signed=True))
            pos += n
        elif serial == 7:
            values.append(None)
            pos += 8
        elif serial in (8, 9):
            values.append(serial - 8)
        elif serial >= 12:
            n = (serial - 12) // 2
            raw = payload[pos : pos + n]
            pos += n
            values.append(raw.decode("utf-8", "replace") if serial % 2 else raw)
        else:
            values.append(None)
    return values


def _cells(page: bytes, first: bool) -> list[tuple[int, list[Any]]]:
    """(offset, record) of the cells of a b-tree page with keys (index pages,
    which is what a WITHOUT ROWID table is); [] for anything else."""
    h = 100 if first else 0
    kind = page[h]
    if kind not in (0x02, 0x0A):
        return []
    count = int.from_bytes(page[h + 3 : h + 5], "big")
    header = 12 if kind == 0x02 else 8
    cells = []
    for k in range(count):
        at = h + header + 2 * k
        offset = int.from_bytes(page[at : at + 2], "big")
        try:
            i = offset + (4 if kind == 0x02 else 0)
            size, i = _varint(page, i)
            cells.append((offset, _record(page[i : i + size])))
        except (IndexError, UnicodeDecodeError):
            continue
    return cells


def _ballots_in(page: bytes, first: bool, poll_id: int) -> list[tuple[int, str, str]]:
    """(offset, id, value) of the poll's secret_ballot cells in a page (a
    record (id, poll_id, value); the index on (poll_id, value) looks different)."""
    found = []
    for offset, rec in _cells(page, first):
        if (
            len(rec) == 3
            and isinstance(rec[0], str)
            and len(rec[0]) == 36
            and rec[1] == poll_id
            and rec[2] in VALUES
        ):
            found.append((offset, rec[0], rec[2]))
    return found


def _read_storage() -> tuple[bytes, bytes]:
    """The database file and its write-ahead log, as a file-level copy holds them."""
    path = Path(str(db.engine.url.database))
    wal = Path(str(path) + "-wal")
    return path.read_bytes(), (wal.read_bytes() if wal.exists() else b"")


@dataclass(frozen=True)
class WalMark:
    """Where the write-ahead log stood: its salt and how many frames it had."""

    salt: bytes
    frames: int


def _frames(wal: bytes) -> Iterator[tuple[int, int, int, bytes]]:
    """(index, page number, commit size, page) of the log's current frames
    (those with the header's salt; older rounds of the log are skipped)."""
    if len(wal) < 32:
        return
    size = int.from_bytes(wal[8:12], "big")
    salt = wal[16:24]
    index, at = 0, 32
    while at + 24 + size <= len(wal):
        if wal[at + 8 : at + 16] != salt:
            return
        number = int.from_bytes(wal[at : at + 4], "big")
        commit = int.from_bytes(wal[at + 4 : at + 8], "big")
        yield index, number, commit, wal[at + 24 : at + 24 + size]
        index += 1
        at += 24 + size


def start_capture() -> WalMark | None:
    """SQLite: empty the log if no reader prevents it (best effort), and mark
    where it stands: :func:`run_attacks` reads the frames written since."""
    if db.engine.dialect.name != "sqlite":
        return None
    db.session.remove()
    with db.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.commit()
    _database, wal = _read_storage()
    return WalMark(wal[16:24] if len(wal) >= 32 else b"", sum(1 for _ in _frames(wal)))


class _Pages:
    """The database's pages as a reader sees them: the file, overlaid with
    the last committed version of each page in the write-ahead log."""

    def __init__(self, database: bytes, wal: bytes) -> None:
        size = int.from_bytes(database[16:18], "big")
        self.size = 65536 if size == 1 else size
        self.database = database
        self.latest: dict[int, bytes] = {}
        pending: dict[int, bytes] = {}
        for _index, number, commit, page in _frames(wal):
            pending[number] = page
            if commit:
                self.latest.update(pending)
                pending = {}

    def __getitem__(self, number: int) -> bytes:
        if number in self.latest:
            return self.latest[number]
        return self.database[(number - 1) * self.size : number * self.size]


def _sqlite_participations(conn: Connection, poll_id: int, order: str) -> list[int]:
    return list(
        conn.execute(
            text(
                "SELECT voter_membership_id FROM poll_participation "
                f"WHERE poll_id = :p ORDER BY {order}"
            ),
            {"p": poll_id},
        ).scalars()
    )


def _table_pages(pages: _Pages, root: int) -> list[int]:
    """The pages of the b-tree with this root (pages that only the freelist
    holds, from rows deleted before, are no part of the table)."""
    found, todo = [], [root]
    while todo:
        number = todo.pop()
        found.append(number)
        page = pages[number]
        h = 100 if number == 1 else 0
        if page[h] not in (0x02, 0x05):
            continue
        count = int.from_bytes(page[h + 3 : h + 5], "big")
        for k in range(count):
            at = h + 12 + 2 * k
            offset = int.from_bytes(page[at : at + 2], "big")
            todo.append(int.from_bytes(page[offset : offset + 4], "big"))
        todo.append(int.from_bytes(page[h + 8 : h + 12], "big"))
    return sorted(found)


def _physical_ballots(pages: _Pages, root: int, poll_id: int) -> list[str]:
    """The values of the poll's ballots in file order: the table's pages in
    file order, in each page the cells in the order they were allocated
    (highest offset first)."""
    found: list[str] = []
    for number in _table_pages(pages, root):
        cells = _ballots_in(pages[number], number == 1, poll_id)
        found += [v for _, _, v in sorted(cells, key=lambda c: -c[0])]
    return found


def _root(conn: Connection, table: str) -> int:
    return int(
        conn.execute(
            text("SELECT rootpage FROM sqlite_master WHERE type = 'table' AND name = :t"),
            {"t": table},
        ).scalar_one()
    )


def sqlite_page_order(conn: Connection, poll_id: int, pages: _Pages) -> Guess:
    return _pair(
        _sqlite_participations(conn, poll_id, "rowid"),
        _physical_ballots(pages, _root(conn, "secret_ballot"), poll_id),
    )


def sqlite_time_order(conn: Connection, poll_id: int, pages: _Pages) -> Guess:
    return _pair(
        _sqlite_participations(conn, poll_id, "cast_at, rowid"),
        _physical_ballots(pages, _root(conn, "secret_ballot"), poll_id),
    )


def sqlite_wal_order(conn: Connection, poll_id: int, wal: bytes, mark: WalMark) -> Guess:
    """Ballots ordered by the frame (written since ``mark``) they first
    appear in, then by allocation in the page."""
    start = mark.frames if wal[16:24] == mark.salt else 0
    first_seen: dict[str, tuple[int, int]] = {}
    values: dict[str, str] = {}
    for index, number, _commit, page in _frames(wal):
        if index < start:
            continue
        for offset, ballot_id, value in _ballots_in(page, number == 1, poll_id):
            first_seen.setdefault(ballot_id, (index, -offset))
            values[ballot_id] = value
    ordered = sorted(first_seen, key=first_seen.__getitem__)
    return _pair(_sqlite_participations(conn, poll_id, "rowid"), [values[i] for i in ordered])


def sqlite_id_order(conn: Connection, poll_id: int) -> Guess:
    ballots = list(
        conn.execute(
            text("SELECT value FROM secret_ballot WHERE poll_id = :p ORDER BY id"), {"p": poll_id}
        ).scalars()
    )
    return _pair(_sqlite_participations(conn, poll_id, "id"), ballots)


def sqlite_has_rowid(conn: Connection, table: str) -> bool:
    try:
        with conn.begin_nested():
            conn.execute(text(f"SELECT rowid FROM {table} LIMIT 1"))
    except Exception:  # noqa: BLE001 - "no such column: rowid"
        return False
    return True


# --- all of them ---------------------------------------------------------------------------


def run_attacks(poll_id: int, mark: WalMark | None = None) -> dict[str, Guess]:
    """Every attack of this database on the poll's stored ballots.

    On SQLite the database file and its write-ahead log are read as they
    lie (as a file-level copy or backup holds them); ``mark`` (from
    :func:`start_capture`) says from where the log's order is read."""
    db.session.remove()
    results: dict[str, Guess] = {}
    with db.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            results["xmin join"] = pg_xmin_join(conn, poll_id)
            results["ctid order"] = pg_ctid_order(conn, poll_id)
            results["id order"] = pg_id_order(conn, poll_id)
            results["time order"] = pg_time_order(conn, poll_id)
            dead = pg_dead_tuples(conn, poll_id)
            if dead is not None:
                results["dead tuples"] = dead
        else:
            database, wal = _read_storage()
            pages = _Pages(database, wal)
            if mark is not None:
                results["wal order"] = sqlite_wal_order(conn, poll_id, wal, mark)
            results["page order"] = sqlite_page_order(conn, poll_id, pages)
            results["time order"] = sqlite_time_order(conn, poll_id, pages)
            results["id order"] = sqlite_id_order(conn, poll_id)
        conn.rollback()
    return results
