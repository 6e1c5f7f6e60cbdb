"""Projector benchmark: 300 members vote in a meeting while 5 projector
views poll the live fragment every second.

    .venv/bin/python -m bench.projector_bench                  # SQLite
    .venv/bin/python -m bench.projector_bench --rounds 5       # steadier

Reuses the machinery of :mod:`bench.voting_bench` (seed of members with
login sessions, gunicorn with 2 sync workers, the bare-insert baseline, the
load driver).  On top of the seed it holds a meeting of the benchmark body
through the services: invited, opened, every member present, one item
called, a projector link, and one open vote per round on the item.

Per round (``--rounds``, default 3), each with its own poll:

1. the baseline: every member's bare unique insert (as voting_bench);
2. **burst alone**: every member posts the real vote form once;
3. **burst with projectors**: the same in a fresh poll while 5 threads
   (``--projectors``) each ask ``/beamer/<token>/stand`` once a second with
   ``If-None-Match`` (a 304 when nothing changed), as the projector page's
   script does.

Then the projectors alone for ``--idle`` seconds (default 10): the live
updates' requests per second, their share of 304, and the server's CPU.

The server's CPU is the user + system time of the gunicorn workers
(``/proc``), read before and after each phase.  A burst of 300 ballots
lasts about half a second, so only a few projector requests fall into it
and the per-round difference is mostly noise; the run therefore also prints
the projectors' steady cost (CPU per second with the projectors alone) as
a share of the burst's CPU per second.  Goals: the vote bursts meet
the voting benchmark's goals (all ballots in < 10 s, p95 < 250 ms, at least
half the bare rate), and the live view adds at most 20 % CPU to the burst
(median over the rounds of (CPU with projectors - CPU alone) / CPU alone).
Exit status 0 when every goal is met.  Loopback only, bounded.
"""

from __future__ import annotations

import argparse
import http.client
import os
import secrets
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from bench.voting_bench import (
    GOAL_P95_MS,
    GOAL_RATIO,
    GOAL_SECONDS,
    USER_AGENT,
    VOTE_VALUES,
    LoadResult,
    Server,
    _env,
    drive,
    seed,
)

GOAL_EXTRA_CPU = 0.20
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# --- the meeting on top of the voting seed -------------------------------------------------


@dataclass
class Meeting:
    meeting_id: int
    admin_id: int
    token: str
    polls: list[tuple[int, int]] = field(default_factory=list)  # (item id, poll id)


def hold_meeting(database_url: str, secret: str, polls: int) -> Meeting:
    """A meeting of the benchmark body in session: every member present, a
    projector link and ``polls`` items, each with an open vote."""
    from datetime import timedelta

    from sqlalchemy import select

    from netzwerk import create_app
    from netzwerk.auth.models import User
    from netzwerk.auth.services import hash_password
    from netzwerk.database import write_transaction
    from netzwerk.extensions import db
    from netzwerk.governance.models import Body, Person
    from netzwerk.meetings import access, agenda, attendance, cockpit, invitations, planning
    from netzwerk.meetings import projector as projector_links
    from netzwerk.timeutil import utcnow
    from netzwerk.voting.meeting import open_meeting_poll

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": secret})
    with app.app_context():
        body = db.session.scalar(select(Body).where(Body.short_name == "BENCH"))
        assert body is not None
        with write_transaction():
            person = Person(first_name="Büro", last_name="Benchmark")
            db.session.add(person)
            db.session.flush()
            admin = User(
                person_id=person.id,
                email="admin@bench.invalid",
                password_hash=hash_password(secrets.token_urlsafe(16)),
                is_admin=True,
            )
            db.session.add(admin)
        meeting = planning.create_meeting(
            admin,
            body_id=body.id,
            starts_at=utcnow() - timedelta(minutes=5),
            online_link="https://meeting.bench.invalid/",
            title="Benchmark-Sitzung",
        )
        items = [
            agenda.add_free_item(
                admin, access.get_meeting(meeting.id), title=f"Abstimmung {number + 1}"
            )
            for number in range(polls)
        ]
        invitations.send_invitations(admin, access.get_meeting(meeting.id), reason="Benchmark")
        planning.open_meeting(admin, access.get_meeting(meeting.id))
        current = access.get_meeting(meeting.id)
        assert current is not None
        seats = {line.membership.id: "present" for line in attendance.roster(current)}
        attendance.set_attendance(admin, current, seats)
        cockpit.call_item(admin, access.get_meeting(meeting.id))
        _link, token = projector_links.create_link(admin, access.get_meeting(meeting.id))
        pairs = []
        for item in items:
            poll = open_meeting_poll(
                admin,
                access.get_meeting(meeting.id),  # type: ignore[arg-type]
                item.id,
                title=item.title,
                question="Zustimmung?",
            )
            pairs.append((item.id, poll.id))
        result = Meeting(meeting.id, admin.id, token, pairs)
        db.session.remove()
        db.engine.dispose()
    return result


def call_item(database_url: str, secret: str, meeting: Meeting, item_id: int) -> None:
    """The chair calls the item whose vote comes next (the projectors show it)."""
    from netzwerk import create_app
    from netzwerk.auth.models import User
    from netzwerk.extensions import db
    from netzwerk.meetings import access, cockpit

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": secret})
    with app.app_context():
        admin = db.session.get(User, meeting.admin_id)
        cockpit.call_item(admin, access.get_meeting(meeting.meeting_id), item_id)  # type: ignore[arg-type]
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


# --- the server's CPU --------------------------------------------------------------------------


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def server_cpu(server: Server) -> float:
    """CPU seconds (user + system) used so far by the server's workers and master."""
    total = 0
    for pid in [server.proc.pid, *_children(server.proc.pid)]:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (after pid and comm)
    return total / CLOCK_TICKS


# --- the projectors ----------------------------------------------------------------------------


@dataclass
class ProjectorLoad:
    full: int = 0  # 200: a changed fragment, rendered
    unchanged: int = 0  # 304
    errors: int = 0
    latencies: list[float] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return self.full + self.unchanged + self.errors


class Projectors:
    """``count`` threads, each asking for the fragment every ``interval`` seconds."""

    def __init__(self, port: int, path: str, count: int, interval: float = 1.0) -> None:
        self.port, self.path, self.count, self.interval = port, path, count, interval
        self.load = ProjectorLoad()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._run, args=(i,)) for i in range(count)]

    def _run(self, index: int) -> None:
        etag: str | None = None
        # Spread the projectors over the second, as independent screens are.
        self._stop.wait(self.interval * index / max(self.count, 1))
        while not self._stop.is_set():
            started = time.perf_counter()
            headers = {"User-Agent": USER_AGENT, "Accept": "text/html"}
            if etag:
                headers["If-None-Match"] = etag
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                conn.request("GET", self.path, headers=headers)
                response = conn.getresponse()
                response.read()
                status = response.status
                etag = response.getheader("ETag") or etag
                conn.close()
            except OSError:
                status = 0
            elapsed = time.perf_counter() - started
            with self._lock:
                self.load.latencies.append(elapsed)
                if status == 200:
                    self.load.full += 1
                elif status == 304:
                    self.load.unchanged += 1
                else:
                    self.load.errors += 1
            self._stop.wait(max(0.0, self.interval - elapsed))

    def __enter__(self) -> Projectors:
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=30)


# --- the run -------------------------------------------------------------------------------------


@dataclass
class Burst:
    load: LoadResult
    cpu: float  # server CPU seconds during the burst
    projector: ProjectorLoad | None = None


@dataclass
class BenchRound:
    bare: LoadResult
    alone: Burst
    with_projectors: Burst

    @property
    def extra_cpu(self) -> float:
        return (
            (self.with_projectors.cpu - self.alone.cpu) / self.alone.cpu if self.alone.cpu else 0.0
        )


def _vote_requests(
    poll_id: int, voters: list[tuple[str, str]]
) -> list[tuple[str, bytes, dict[str, str]]]:
    headers = {"Content-Type": "application/x-www-form-urlencoded", "User-Agent": USER_AGENT}
    prefix = f"poll{poll_id}"
    return [
        (
            f"/abstimmungen/{poll_id}/abstimmen",
            urlencode(
                {
                    f"{prefix}-value": VOTE_VALUES[i % 3],
                    f"{prefix}-seat": "",
                    f"{prefix}-secret": "",
                    "csrf_token": csrf,
                }
            ).encode(),
            {**headers, "Cookie": f"netzwerk_session={cookie}"},
        )
        for i, (cookie, csrf) in enumerate(voters)
    ]


def _burst(
    server: Server, requests: list, concurrency: int, projectors: Projectors | None
) -> Burst:
    before = server_cpu(server)
    if projectors is None:
        load = drive(server.port, requests, concurrency)
        return Burst(load, server_cpu(server) - before)
    with projectors:
        load = drive(server.port, requests, concurrency)
        cpu = server_cpu(server) - before
    return Burst(load, cpu, projectors.load)


def run(members: int, concurrency: int, rounds: int, projectors: int, idle: float) -> bool:
    secret = secrets.token_urlsafe(32)
    with tempfile.TemporaryDirectory(prefix="netzwerk-projector-bench-") as tmp:
        instance = Path(tmp) / "instance"
        instance.mkdir()
        database_url = f"sqlite:///{Path(tmp) / 'bench.sqlite'}"
        print(
            f"== SQLite: seeding {members} members, a meeting, {2 * rounds} votes ...", flush=True
        )
        data = seed(database_url, members, secret, instance, [])
        meeting = hold_meeting(database_url, secret, 2 * rounds)
        env = _env(database_url, instance, secret)
        form_headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "User-Agent": USER_AGENT,
        }
        fragment = f"/beamer/{meeting.token}/stand"
        bare_server = Server("bench.voting_bench:baseline_app()", env)
        netz_server = Server("wsgi:app", env)
        results: list[BenchRound] = []
        try:
            drive(bare_server.port, [("/vote", b"poll=0&voter=0", form_headers)], 1)
            # Warm up the workers (templates, statements) with the fragment.
            for _ in range(4):
                conn = http.client.HTTPConnection("127.0.0.1", netz_server.port, timeout=30)
                conn.request("GET", fragment, headers={"User-Agent": USER_AGENT})
                assert conn.getresponse().status == 200, "the projector fragment does not answer"
                conn.close()
            for number in range(rounds):
                alone_item, alone_poll = meeting.polls[2 * number]
                busy_item, busy_poll = meeting.polls[2 * number + 1]
                bare = drive(
                    bare_server.port,
                    [
                        (
                            "/vote",
                            urlencode({"poll": 1000 + number, "voter": i}).encode(),
                            form_headers,
                        )
                        for i in range(members)
                    ],
                    concurrency,
                )
                call_item(database_url, secret, meeting, alone_item)
                alone = _burst(
                    netz_server, _vote_requests(alone_poll, data.voters), concurrency, None
                )
                call_item(database_url, secret, meeting, busy_item)
                busy = _burst(
                    netz_server,
                    _vote_requests(busy_poll, data.voters),
                    concurrency,
                    Projectors(netz_server.port, fragment, projectors),
                )
                results.append(BenchRound(bare, alone, busy))
                _print_round(number + 1, results[-1])
            before = server_cpu(netz_server)
            started = time.perf_counter()
            with Projectors(netz_server.port, fragment, projectors) as idle_load:
                time.sleep(idle)
            seconds = time.perf_counter() - started
            idle_cpu = server_cpu(netz_server) - before
        finally:
            netz_server.stop()
            bare_server.stop()
    load = idle_load.load
    latencies = sorted(load.latencies)
    p95 = latencies[max(0, int(len(latencies) * 0.95) - 1)] * 1000 if latencies else 0.0
    print(
        f"\n   projectors alone ({projectors} screens, {seconds:.1f} s): "
        f"{load.requests / seconds:.1f} requests/s ({load.unchanged} x 304, {load.full} x 200, "
        f"{load.errors} errors), p95 {p95:.1f} ms; server CPU {idle_cpu:.2f} s "
        f"= {100 * idle_cpu / seconds:.1f} % of one core"
    )
    burst_rate = statistics.median(r.alone.cpu / r.alone.load.seconds for r in results)
    steady = (idle_cpu / seconds) / burst_rate if burst_rate else 0.0
    print(
        f"   the burst alone keeps the server at {100 * burst_rate:.0f} % of one core (median); "
        f"the projectors' steady cost is {100 * steady:.1f} % of that"
    )
    return _verdict(results, members, load.errors)


def _print_round(number: int, r: BenchRound) -> None:
    print(f"   round {number}")
    print(
        f"     bare unique insert      : {r.bare.ok} in {r.bare.seconds:.2f} s = "
        f"{r.bare.rate:.0f}/s, p95 {r.bare.p95_ms:.1f} ms"
    )
    for label, burst in (("votes alone", r.alone), ("votes + projectors", r.with_projectors)):
        extra = ""
        if burst.projector is not None:
            p = burst.projector
            extra = f"; projectors {p.requests} requests ({p.unchanged} x 304, {p.errors} errors)"
        print(
            f"     {label:<24}: {burst.load.ok} in {burst.load.seconds:.2f} s = "
            f"{burst.load.rate:.0f}/s, p95 {burst.load.p95_ms:.1f} ms, errors "
            f"{burst.load.errors}, ratio {burst.load.rate / r.bare.rate:.2f}, "
            f"server CPU {burst.cpu:.2f} s{extra}"
        )
    print(f"     CPU added by the live view: {100 * r.extra_cpu:+.1f} %", flush=True)


def _verdict(results: list[BenchRound], members: int, idle_errors: int) -> bool:
    bursts = [b for r in results for b in (r.alone, r.with_projectors)]
    ratio = statistics.median(
        b.load.rate / r.bare.rate for r in results for b in (r.alone, r.with_projectors)
    )
    extra = statistics.median(r.extra_cpu for r in results)
    checks = {
        f"all {members} ballots answered, no errors": all(
            b.load.ok == members and b.load.errors == 0 for b in bursts
        ),
        f"every burst < {GOAL_SECONDS:.0f} s": max(b.load.seconds for b in bursts) < GOAL_SECONDS,
        f"p95 < {GOAL_P95_MS:.0f} ms": max(b.load.p95_ms for b in bursts) < GOAL_P95_MS,
        f">= {GOAL_RATIO:.1f} x bare rate (median {ratio:.2f})": ratio >= GOAL_RATIO,
        f"live view adds <= {100 * GOAL_EXTRA_CPU:.0f} % CPU (median {100 * extra:+.1f} %)": (
            extra <= GOAL_EXTRA_CPU
        ),
        "no projector errors": idle_errors == 0
        and all((b.projector.errors if b.projector else 0) == 0 for b in bursts),
    }
    for name, passed in checks.items():
        print(f"   [{'ok' if passed else 'MISSED'}] {name}")
    ok = all(checks.values())
    print(f"RESULT: {'PASS' if ok else 'FAIL'}")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--projectors", type=int, default=5)
    parser.add_argument("--idle", type=float, default=10.0, help="seconds of projectors alone")
    args = parser.parse_args(argv)
    if not 1 <= args.members <= 5000 or not 1 <= args.concurrency <= 64:
        parser.error("members 1..5000, concurrency 1..64")
    if not 1 <= args.rounds <= 9 or not 1 <= args.projectors <= 50:
        parser.error("rounds 1..9, projectors 1..50")
    if not 1 <= args.idle <= 120:
        parser.error("idle 1..120 seconds")
    ok = run(args.members, args.concurrency, args.rounds, args.projectors, args.idle)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
