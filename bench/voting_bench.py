"""Voting benchmark: 2,000 members cast their ballots in one poll.

    .venv/bin/python -m bench.voting_bench                 # SQLite only
    NETZWERK_BENCH_PG_URL=postgresql+psycopg://postgres@127.0.0.1:5432/scratch \\
        .venv/bin/python -m bench.voting_bench             # SQLite, then PostgreSQL
    .venv/bin/python -m bench.voting_bench --kind secret   # only secret polls

For each database:

1. a fresh schema (SQLite: a temporary file; PostgreSQL: the given database,
   which must be a scratch database: its tables are dropped and re-created),
   a body with ``--members`` members with a voting right, one login session
   per member (as a login in the browser leaves it), and one open circular
   resolution per round and kind (``--kind``: named "open" polls, "secret"
   polls, or both, the default);
2. two gunicorn servers with 2 sync workers each, started and waited for
   until every worker has loaded its application: the **baseline**, a bare
   Flask app whose one POST route inserts (poll, voter) into a table with a
   unique constraint, as one transaction (BEGIN IMMEDIATE on SQLite), and
   **Netzwerk** (``wsgi:app``);
3. ``--rounds`` rounds (default 3), each: every member's bare insert, then
   every member posts the real vote form (session cookie + CSRF token) once
   in the round's poll, both driven by ``--concurrency`` client threads
   (default 16); reported per round: seconds, ballots/second, p50/p95
   latency, the ratio to the baseline rate of the same round, and a check
   that exactly one ballot per member is stored (none lost, none
   duplicated; for a secret poll: one participation per member and as many
   sealed ballots);
4. a secret round's poll is then closed as the system does at the deadline
   (open the sealed ballots, shuffle, publish them, count: see
   ``netzwerk/voting/sealing.py``), timed, and its count checked.

Goals, for each kind of poll: all ballots in under 10 s and p95 under
250 ms in every round, at least half the bare rate (median of the rounds'
ratios: the machine is shared, a single pair of measurements drifts); a
secret poll's close in under 10 s.  Exit status 0 when every goal is met.
Loopback only, bounded.
"""

from __future__ import annotations

import argparse
import http.client
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

PROJECT_DIR = Path(__file__).resolve().parent.parent
GOAL_SECONDS = 10.0
GOAL_P95_MS = 250.0
GOAL_RATIO = 0.5
GOAL_CLOSE_SECONDS = 10.0
KINDS = ("open", "secret")
USER_AGENT = "netzwerk-voting-bench/1"


# --- the baseline app ------------------------------------------------------------


def baseline_app() -> Any:
    """gunicorn 'bench.voting_bench:baseline_app()': one unique insert per POST."""
    from flask import Flask, request
    from sqlalchemy import create_engine, event, text

    url = os.environ["BENCH_DATABASE_URL"]
    engine = create_engine(url, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None
            cur = dbapi_connection.cursor()
            cur.execute("PRAGMA busy_timeout = 15000")
            cur.execute("PRAGMA journal_mode = WAL")
            cur.execute("PRAGMA synchronous = NORMAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    app = Flask(__name__)

    @app.post("/vote")
    def vote() -> tuple[str, int]:
        poll, voter = int(request.form["poll"]), int(request.form["voter"])
        try:
            with engine.begin() as conn:
                conn.execute(
                    text("INSERT INTO bench_ballot (poll_id, voter, value) VALUES (:p, :v, 'yes')"),
                    {"p": poll, "v": voter},
                )
        except Exception:  # noqa: BLE001 - a duplicate is an answer, not a crash
            return "duplicate", 409
        return "", 302

    return app


# --- set-up ------------------------------------------------------------------------


@dataclass
class Seed:
    polls: list[tuple[str, int]]  # (kind, poll id): one open poll per round and kind
    voters: list[tuple[str, str]]  # (session cookie, csrf form token)


def _env(database_url: str, instance: Path, secret: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "NETZWERK_DATABASE_URL": database_url,
            "NETZWERK_INSTANCE_PATH": str(instance),
            "NETZWERK_SECRET_KEY": secret,
            "BENCH_DATABASE_URL": database_url,
            "PYTHONPATH": str(PROJECT_DIR),
        }
    )
    return env


def seed(database_url: str, members: int, secret: str, instance: Path, kinds: list[str]) -> Seed:
    """Fresh schema, a body of ``members`` voters with sessions, one open poll per kind given."""
    os.environ["NETZWERK_INSTANCE_PATH"] = str(instance)
    os.environ["NETZWERK_SECRET_KEY"] = secret
    from datetime import date, timedelta

    from itsdangerous import URLSafeTimedSerializer
    from sqlalchemy import text

    from netzwerk import create_app
    from netzwerk.auth.models import AuthSession, User
    from netzwerk.auth.services import SESSION_USER_ID_KEY, _token_hash, hash_password
    from netzwerk.database import utcnow, write_transaction
    from netzwerk.extensions import db
    from netzwerk.governance.models import Body, Membership, Person
    from netzwerk.voting import services

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": secret})
    voters: list[tuple[str, str]] = []
    with app.app_context():
        db.drop_all()
        db.session.execute(text("DROP TABLE IF EXISTS bench_ballot"))
        db.session.execute(text("DROP TABLE IF EXISTS apscheduler_jobs"))
        db.session.commit()
        db.create_all()
        db.session.execute(
            text(
                "CREATE TABLE bench_ballot (id INTEGER PRIMARY KEY "
                + ("GENERATED BY DEFAULT AS IDENTITY" if db.engine.dialect.name != "sqlite" else "")
                + ", poll_id INTEGER NOT NULL, voter INTEGER NOT NULL, value VARCHAR(10) NOT NULL,"
                " UNIQUE (poll_id, voter))"
            )
        )
        db.session.commit()
        password_hash = hash_password(secrets.token_urlsafe(16))
        tokens = [secrets.token_urlsafe(32) for _ in range(members)]
        with write_transaction():
            body = Body(name="Benchmark-Konferenz", short_name="BENCH", kind="conference")
            db.session.add(body)
            persons = [
                Person(first_name=f"Mitglied{i}", last_name=f"Bench{i:05d}") for i in range(members)
            ]
            db.session.add_all(persons)
            db.session.flush()
            users = [
                User(person_id=p.id, email=f"bench{i}@bench.invalid", password_hash=password_hash)
                for i, p in enumerate(persons)
            ]
            db.session.add_all(users)
            db.session.add_all(
                Membership(
                    person_id=p.id,
                    body_id=body.id,
                    role="member",
                    voting_right=True,
                    start_date=date(2020, 1, 1),
                )
                for p in persons
            )
            db.session.flush()
            expires = utcnow() + timedelta(hours=2)
            db.session.add_all(
                AuthSession(user_id=u.id, token_hash=_token_hash(t), expires_at=expires)
                for u, t in zip(users, tokens, strict=True)
            )
            body_id = body.id
            user_ids = [u.id for u in users]
        polls = [
            (
                kind,
                services.start_circular_resolution(
                    body_id=body_id,
                    subject_type="free",
                    subject_id=None,
                    title=f"Benchmark {number} ({kind})",
                    question="Zustimmung?",
                    closes_at=utcnow() + timedelta(hours=2),
                    kind=kind,
                ).id,
            )
            for number, kind in enumerate(kinds, start=1)
        ]
        if db.engine.dialect.name == "postgresql":
            # Statistics for the planner, as autovacuum gathers them soon
            # after a bulk load: plans made on empty statistics would scan a
            # body's 2,000 memberships for every ballot.
            db.session.execute(text("ANALYZE"))
            db.session.commit()
        session_serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
        csrf_serializer = URLSafeTimedSerializer(secret, salt="wtf-csrf-token")
        # As a login in the browser leaves it: Flask-Login's identifier of the
        # client (address and user agent) is in the session, so the session
        # protection accepts the cookie as it is, and the user's id.
        with app.test_request_context(
            environ_base={"REMOTE_ADDR": "127.0.0.1"}, headers={"User-Agent": USER_AGENT}
        ):
            client_id = app.login_manager._session_identifier_generator()  # type: ignore[attr-defined]
        for token, user_id in zip(tokens, user_ids, strict=True):
            raw = secrets.token_hex(20)
            cookie = session_serializer.dumps(
                {
                    "_user_id": token,
                    "_fresh": True,
                    "_id": client_id,
                    SESSION_USER_ID_KEY: user_id,
                    "csrf_token": raw,
                }
            )
            voters.append((cookie, csrf_serializer.dumps(raw)))
        db.session.remove()
        db.engine.dispose()
    return Seed(polls, voters)


def count_ballots(database_url: str, poll_id: int, kind: str) -> tuple[int, int, int, int]:
    """(netzwerk ballots, distinct seats, bare rows, distinct bare voters) of a poll.

    A secret poll's ballots are its sealed ballots, counted only when there
    are exactly as many as participations (-1 otherwise)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    table = "ballot" if kind == "open" else "poll_participation"
    with engine.connect() as conn:
        n, d = conn.execute(
            text(
                f"SELECT COUNT(*), COUNT(DISTINCT voter_membership_id) FROM {table} "
                "WHERE poll_id = :p"
            ),
            {"p": poll_id},
        ).one()
        if kind == "secret":
            sealed = conn.execute(
                text("SELECT COUNT(*) FROM sealed_ballot WHERE poll_id = :p"), {"p": poll_id}
            ).scalar()
            n = n if sealed == n else -1
        b = conn.execute(
            text("SELECT COUNT(*), COUNT(DISTINCT voter) FROM bench_ballot WHERE poll_id = :p"),
            {"p": poll_id},
        ).one()
        result = (int(n or 0), int(d or 0), int(b[0]), int(b[1]))
    engine.dispose()
    return result


def close_secret_poll(
    database_url: str, secret: str, poll_id: int
) -> tuple[float, tuple[int, int, int]]:
    """Close a secret poll as the system does; (seconds, (yes, no, abstain))."""
    from netzwerk import create_app
    from netzwerk.extensions import db
    from netzwerk.voting import services

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": secret})
    with app.app_context():
        started = time.perf_counter()
        poll = services.close_poll(poll_id, by_scheduler=True)
        seconds = time.perf_counter() - started
        counts = (int(poll.yes_count or 0), int(poll.no_count or 0), int(poll.abstain_count or 0))
        db.session.remove()
        db.engine.dispose()
    return seconds, counts


# --- servers and load ---------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """gunicorn with two sync workers on a free loopback port, started and
    waited for until every worker has loaded the application."""

    WORKERS = 2

    def __init__(self, target: str, env: dict[str, str]) -> None:
        self.port = free_port()
        self._ready = tempfile.TemporaryDirectory(prefix="netzwerk-bench-ready-")
        self.proc = subprocess.Popen(  # noqa: S603 - fixed argv, loopback only
            [
                str(PROJECT_DIR / ".venv/bin/gunicorn"),
                "--config",
                str(PROJECT_DIR / "bench" / "gunicorn_ready.py"),
                "--workers",
                str(self.WORKERS),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--log-level",
                "warning",
                "--backlog",
                "256",
                target,
            ],
            cwd=PROJECT_DIR,
            env={**env, "BENCH_READY_DIR": self._ready.name},
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            if len(os.listdir(self._ready.name)) >= self.WORKERS:
                return
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"gunicorn {target} did not start")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self._ready.cleanup()


@dataclass
class LoadResult:
    seconds: float
    ok: int
    errors: int
    p50_ms: float
    p95_ms: float

    @property
    def rate(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0


def drive(
    port: int, requests: list[tuple[str, bytes, dict[str, str]]], concurrency: int
) -> LoadResult:
    """Send every request once with ``concurrency`` threads; 302 counts as success."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    index = {"next": 0}

    def worker() -> None:
        nonlocal errors
        while True:
            with lock:
                i = index["next"]
                index["next"] += 1
            if i >= len(requests):
                return
            path, body, headers = requests[i]
            start = time.perf_counter()
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                conn.request("POST", path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                status = response.status
                conn.close()
            except OSError:
                status = 0
            elapsed = time.perf_counter() - start
            with lock:
                latencies.append(elapsed)
                if status != 302:
                    errors += 1

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    seconds = time.perf_counter() - started
    latencies.sort()
    p95 = latencies[max(0, int(len(latencies) * 0.95) - 1)] if latencies else 0.0
    return LoadResult(
        seconds=seconds,
        ok=len(latencies) - errors,
        errors=errors,
        p50_ms=statistics.median(latencies) * 1000 if latencies else 0.0,
        p95_ms=p95 * 1000,
    )


@dataclass
class Round:
    kind: str
    bare: LoadResult
    netz: LoadResult
    stored: tuple[int, int, int, int]
    close_seconds: float | None = None  # a secret poll's close
    counted_right: bool = True

    @property
    def ratio(self) -> float:
        return self.netz.rate / self.bare.rate if self.bare.rate else 0.0


VOTE_VALUES = ("yes", "no", "abstain")


def run_one(
    label: str, database_url: str, members: int, concurrency: int, rounds: int, kinds: list[str]
) -> bool:
    """Seed, start both servers, then per round and kind: the baseline, then
    Netzwerk (every member votes once in the round's own poll); a secret
    poll is closed and its count checked after its round."""
    secret = secrets.token_urlsafe(32)
    with tempfile.TemporaryDirectory(prefix="netzwerk-voting-bench-") as tmp:
        instance = Path(tmp) / "instance"
        instance.mkdir()
        if database_url == "sqlite":
            database_url = f"sqlite:///{Path(tmp) / 'bench.sqlite'}"
        order = [kind for _ in range(rounds) for kind in kinds]
        print(
            f"\n== {label}: seeding {members} members, {len(order)} polls "
            f"({rounds} rounds of {', '.join(kinds)}) ...",
            flush=True,
        )
        data = seed(database_url, members, secret, instance, order)
        env = _env(database_url, instance, secret)
        form_headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "User-Agent": USER_AGENT,
        }
        expected = [0, 0, 0]
        for i in range(members):
            expected[i % 3] += 1
        bare_server = Server("bench.voting_bench:baseline_app()", env)
        netz_server = Server("wsgi:app", env)
        results: list[Round] = []
        try:
            drive(bare_server.port, [("/vote", b"poll=0&voter=0", form_headers)], 1)  # warm-up
            for kind, poll_id in data.polls:
                bare_requests = [
                    ("/vote", urlencode({"poll": poll_id, "voter": i}).encode(), form_headers)
                    for i in range(members)
                ]
                prefix = f"poll{poll_id}"
                vote_requests = [
                    (
                        f"/abstimmungen/{poll_id}/abstimmen",
                        urlencode(
                            {
                                f"{prefix}-value": VOTE_VALUES[i % 3],
                                f"{prefix}-seat": "",
                                # as the vote form of a secret poll sends it
                                f"{prefix}-secret": "1" if kind == "secret" else "",
                                "csrf_token": csrf,
                            }
                        ).encode(),
                        {**form_headers, "Cookie": f"netzwerk_session={cookie}"},
                    )
                    for i, (cookie, csrf) in enumerate(data.voters)
                ]
                bare = drive(bare_server.port, bare_requests, concurrency)
                netz = drive(netz_server.port, vote_requests, concurrency)
                stored = count_ballots(database_url, poll_id, kind)
                result = Round(kind, bare, netz, stored)
                if kind == "secret":
                    result.close_seconds, counts = close_secret_poll(database_url, secret, poll_id)
                    result.counted_right = list(counts) == expected
                results.append(result)
                _print_round(len(results), results[-1])
        finally:
            netz_server.stop()
            bare_server.stop()
    # Every kind's verdict is printed, the first miss does not hide the rest.
    verdicts = [_verdict([r for r in results if r.kind == kind], members) for kind in kinds]
    return all(verdicts)


def _print_round(number: int, result: Round) -> None:
    bare, netz = result.bare, result.netz
    ballots, seats, bare_rows, bare_voters = result.stored
    print(f"   round {number} ({result.kind} poll)")
    print(
        f"     bare unique insert : {bare.ok} in {bare.seconds:.2f} s = {bare.rate:.0f}/s, "
        f"p50 {bare.p50_ms:.1f} ms, p95 {bare.p95_ms:.1f} ms, errors {bare.errors}"
    )
    print(
        f"     Netzwerk ballots   : {netz.ok} in {netz.seconds:.2f} s = {netz.rate:.0f}/s, "
        f"p50 {netz.p50_ms:.1f} ms, p95 {netz.p95_ms:.1f} ms, errors {netz.errors}"
    )
    print(
        f"     ratio {result.ratio:.2f}; stored ballots {ballots} (distinct seats {seats}), "
        f"bare rows {bare_rows} (distinct {bare_voters})",
        flush=True,
    )
    if result.close_seconds is not None:
        print(
            f"     closed (unsealed, shuffled, published, counted) in "
            f"{result.close_seconds:.2f} s; count {'right' if result.counted_right else 'WRONG'}",
            flush=True,
        )


def _verdict(results: list[Round], members: int) -> bool:
    """Every round must store each ballot once, without errors; the slowest
    round must meet the time and p95 goals; the median ratio the rate goal;
    a secret poll must close in time with the right count."""
    if not results:
        return True
    kind = results[0].kind
    ratio = statistics.median(r.ratio for r in results)
    slowest = max(r.netz.seconds for r in results)
    worst_p95 = max(r.netz.p95_ms for r in results)
    print(
        f"   {kind} polls: median ratio to bare rate: {ratio:.2f} "
        f"(rounds: {', '.join(f'{r.ratio:.2f}' for r in results)}); "
        f"slowest round {slowest:.2f} s; worst p95 {worst_p95:.1f} ms"
    )
    checks = {
        f"all {members} ballots stored once, every round": all(
            r.stored[0] == members and r.stored[1] == members for r in results
        ),
        "no HTTP errors": all(r.netz.errors == 0 for r in results),
        f"all ballots < {GOAL_SECONDS:.0f} s": slowest < GOAL_SECONDS,
        f"p95 < {GOAL_P95_MS:.0f} ms": worst_p95 < GOAL_P95_MS,
        f">= {GOAL_RATIO:.1f} x bare rate (median)": ratio >= GOAL_RATIO,
    }
    if kind == "secret":
        slowest_close = max(r.close_seconds or 0.0 for r in results)
        checks[f"closed < {GOAL_CLOSE_SECONDS:.0f} s (slowest {slowest_close:.2f} s)"] = (
            slowest_close < GOAL_CLOSE_SECONDS
        )
        checks["the count of every closed poll is right"] = all(r.counted_right for r in results)
    for name, passed in checks.items():
        print(f"   [{'ok' if passed else 'MISSED'}] {kind}: {name}")
    return all(checks.values())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument(
        "--rounds", type=int, default=3, help="polls voted in, each after its own baseline"
    )
    parser.add_argument(
        "--kind", choices=[*KINDS, "both"], default="both", help="named or secret polls, or both"
    )
    args = parser.parse_args(argv)
    if not 1 <= args.members <= 20000 or not 1 <= args.concurrency <= 64:
        parser.error("members 1..20000, concurrency 1..64")
    if not 1 <= args.rounds <= 9:
        parser.error("rounds 1..9")
    kinds = list(KINDS) if args.kind == "both" else [args.kind]
    ok = run_one("SQLite", "sqlite", args.members, args.concurrency, args.rounds, kinds)
    pg_url = os.environ.get("NETZWERK_BENCH_PG_URL")
    if pg_url:
        host = pg_url.split("@")[-1].split("/")[0].split(":")[0]
        if host not in {"127.0.0.1", "localhost", "::1"}:
            print("NETZWERK_BENCH_PG_URL must point to a loopback server", file=sys.stderr)
            return 2
        ok = (
            run_one("PostgreSQL", pg_url, args.members, args.concurrency, args.rounds, kinds) and ok
        )
    else:
        print("\n(PostgreSQL skipped: set NETZWERK_BENCH_PG_URL to a scratch database)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
