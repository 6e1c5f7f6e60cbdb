"""What a ballot request costs in CPU, against the voting benchmark's bare insert.

    .venv/bin/python -m bench.vote_cost                       # open and secret polls
    .venv/bin/python -m bench.vote_cost --kind secret --blocks 40
    .venv/bin/python -m bench.vote_cost --profile open        # + cProfile of the ballots
    .venv/bin/python -m bench.vote_cost --statements          # + each ballot's SQL

The voting benchmark (``bench/voting_bench.py``) compares rates through
gunicorn and 16 client threads: on a shared, loaded machine its figures move
by ±0.1 between runs.  This tool measures the same two requests in ONE
process, on one SQLite file seeded by ``voting_bench.seed``: the real
``POST /abstimmungen/<id>/abstimmen`` of Netzwerk (``wsgi:app``, session
cookie and CSRF token as a browser sends them) and the bare app's
``POST /vote`` (``voting_bench.baseline_app()``), both called straight as
WSGI applications (the environ is built before the clock starts).  They run
interleaved in blocks (bare, Netzwerk, Netzwerk, bare, ...), so a machine
that gets busier or quieter weighs on both alike, and the figure reported is
the ratio of the process's CPU time per request, bare / Netzwerk: the rate
ratio a CPU-bound server would reach (the goal of the benchmark is 0.5).
Through gunicorn both requests also pay the same HTTP parsing and the load
generator's share of the two cores, which pulls the benchmark's ratio
somewhat towards 1: this figure is the stricter one.

``--statements`` prints every statement one ballot sends to SQLite (BEGIN
and COMMIT included, as the driver sees them); ``--profile`` a cProfile of
Netzwerk's ballots (by own time and by cumulative time).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import os
import pstats
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from . import voting_bench as vb

BASE_URL = "http://127.0.0.1:8000"
Environ = dict[str, Any]


@dataclass
class Sample:
    cpu: list[float] = field(default_factory=list)  # seconds of CPU per block
    wall: list[float] = field(default_factory=list)
    requests: int = 0

    def add(self, cpu: float, wall: float, n: int) -> None:
        self.cpu.append(cpu)
        self.wall.append(wall)
        self.requests += n

    def cpu_ms(self) -> float:
        return sum(self.cpu) / self.requests * 1000 if self.requests else 0.0

    def wall_ms(self) -> float:
        return sum(self.wall) / self.requests * 1000 if self.requests else 0.0


def _environ(path: str, body: str, cookie: str | None = None) -> Environ:
    from werkzeug.test import EnvironBuilder

    headers = {"Content-Type": "application/x-www-form-urlencoded", "User-Agent": vb.USER_AGENT}
    if cookie is not None:
        headers["Cookie"] = f"netzwerk_session={cookie}"
    builder = EnvironBuilder(
        path=path,
        method="POST",
        data=body,
        base_url=BASE_URL,
        headers=list(headers.items()),
        environ_base={"REMOTE_ADDR": "127.0.0.1"},
    )
    try:
        return builder.get_environ()
    finally:
        builder.close()


def call(app: Callable[..., Any], environ: Environ, expect: str = "302") -> None:
    """One request as a WSGI server makes it: call, read the body, close."""
    status: list[str] = []

    def start_response(s: str, _headers: Any, _exc_info: Any = None) -> Any:
        status.append(s)
        return None

    result = app(environ, start_response)
    try:
        for _chunk in result:
            pass
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    if not status or not status[0].startswith(expect):
        raise RuntimeError(f"{environ['PATH_INFO']} answered {status}, not {expect}")


def timed(app: Callable[..., Any], environs: list[Environ]) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of the requests, one after the other."""
    cpu, wall = time.process_time(), time.perf_counter()
    for environ in environs:
        call(app, environ)
    return time.process_time() - cpu, time.perf_counter() - wall


@dataclass
class Setup:
    netz: Any
    bare: Any
    database_url: str
    polls: dict[str, list[int]]  # kind -> poll ids (one per member's turn)
    voters: list[tuple[str, str]]
    _next_bare_poll: int = 1_000_000

    def vote_environs(self, kind: str, poll_id: int, voters: range) -> list[Environ]:
        prefix = f"poll{poll_id}"
        out = []
        for i in voters:
            cookie, csrf = self.voters[i]
            body = urlencode(
                {
                    f"{prefix}-value": vb.VOTE_VALUES[i % 3],
                    f"{prefix}-seat": "",
                    f"{prefix}-secret": "1" if kind == "secret" else "",
                    "csrf_token": csrf,
                }
            )
            out.append(_environ(f"/abstimmungen/{poll_id}/abstimmen", body, cookie))
        return out

    def bare_environs(self, n: int) -> list[Environ]:
        poll = self._next_bare_poll
        self._next_bare_poll += 1
        return [_environ("/vote", urlencode({"poll": poll, "voter": i})) for i in range(n)]


def build(members: int, kinds: list[str], polls_per_kind: int, tmp: Path) -> Setup:
    instance = tmp / "instance"
    instance.mkdir()
    url = f"sqlite:///{tmp / 'vote_cost.sqlite'}"
    secret = secrets.token_urlsafe(32)
    order = [kind for kind in kinds for _ in range(polls_per_kind)]
    data = vb.seed(url, members, secret, instance, order)
    os.environ.update(vb._env(url, instance, secret))
    from netzwerk import create_app

    netz = create_app()
    bare = vb.baseline_app()
    polls: dict[str, list[int]] = {kind: [] for kind in kinds}
    for kind, poll_id in data.polls:
        polls[kind].append(poll_id)
    return Setup(netz, bare, url, polls, data.voters)


class Turns:
    """Hands out (poll, voters) slices: every member votes once per poll."""

    def __init__(self, setup: Setup, kind: str) -> None:
        self.setup, self.kind = setup, kind
        self.polls = list(setup.polls[kind])
        self.next_voter = 0

    def take(self, n: int) -> list[Environ]:
        members = len(self.setup.voters)
        if self.next_voter + n > members:
            self.polls.pop(0)
            self.next_voter = 0
        if not self.polls or n > members:
            raise RuntimeError("not enough polls or members for the blocks asked for")
        start = self.next_voter
        self.next_voter += n
        return self.setup.vote_environs(self.kind, self.polls[0], range(start, start + n))


def measure(setup: Setup, kinds: list[str], blocks: int, size: int, warmup: int) -> dict[str, Any]:
    turns = {kind: Turns(setup, kind) for kind in kinds}
    for kind in kinds:  # warm-up: imports, compiled statements, pools
        timed(setup.netz, turns[kind].take(warmup))
    timed(setup.bare, setup.bare_environs(warmup))
    results: dict[str, tuple[Sample, Sample, list[float]]] = {
        kind: (Sample(), Sample(), []) for kind in kinds
    }
    for b in range(blocks):
        for kind in kinds:
            bare_sample, netz_sample, ratios = results[kind]
            bare_env, netz_env = setup.bare_environs(size), turns[kind].take(size)
            gc.collect()
            # Alternate the order, so that neither side always follows the other.
            if b % 2:
                n_cpu, n_wall = timed(setup.netz, netz_env)
                b_cpu, b_wall = timed(setup.bare, bare_env)
            else:
                b_cpu, b_wall = timed(setup.bare, bare_env)
                n_cpu, n_wall = timed(setup.netz, netz_env)
            bare_sample.add(b_cpu, b_wall, size)
            netz_sample.add(n_cpu, n_wall, size)
            if n_cpu > 0:
                ratios.append(b_cpu / n_cpu)
    return results


def report(results: dict[str, Any]) -> None:
    print(
        f"{'':8} {'bare ms CPU':>12} {'Netzwerk ms CPU':>16} {'ratio':>7} {'(blocks)':>18}"
        f" {'wall ms bare/Netz':>20}"
    )
    for kind, (bare, netz, ratios) in results.items():
        ratio = bare.cpu_ms() / netz.cpu_ms() if netz.cpu_ms() else 0.0
        spread = f"{min(ratios):.2f}-{statistics.median(ratios):.2f}-{max(ratios):.2f}"
        print(
            f"{kind:8} {bare.cpu_ms():12.3f} {netz.cpu_ms():16.3f} {ratio:7.2f} {spread:>18}"
            f" {bare.wall_ms():9.3f}/{netz.wall_ms():.3f}"
        )
    print(
        "ratio = bare CPU / Netzwerk CPU per request (sums over all blocks); "
        "blocks: min-median-max of the per-block ratios"
    )


@contextmanager
def traced(engine: Any) -> Iterator[list[str]]:
    """Every statement the SQLite driver runs on the engine's connections."""
    from sqlalchemy import event

    statements: list[str] = []
    engine.dispose()  # new connections, each with the trace

    def connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.set_trace_callback(statements.append)

    event.listen(engine, "connect", connect)
    try:
        yield statements
    finally:
        event.remove(engine, "connect", connect)
        engine.dispose()


def show_statements(setup: Setup, kinds: list[str]) -> None:
    from netzwerk.extensions import db

    with setup.netz.app_context():
        engine = db.engine
    for kind in kinds:
        environs = Turns(setup, kind)
        environs.polls = environs.polls[-1:]  # the last poll: untouched by the blocks
        environs.next_voter = len(setup.voters) - 2
        first, second = environs.take(2)
        call(setup.netz, first)  # the pool's connection, set up
        with traced(engine) as statements:
            call(setup.netz, second)
        # Python's trace repeats a statement for each trigger it fires.
        grouped: list[list[Any]] = []
        for s in statements:
            if grouped and grouped[-1][0] == s:
                grouped[-1][1] += 1
            else:
                grouped.append([s, 0])
        print(f"\n{kind} ballot: {len(grouped)} statements sent to SQLite")
        for s, triggers in grouped:
            one_line = " ".join(s.split())
            more = f"   [+ {triggers} trigger(s)]" if triggers else ""
            print(f"   {one_line[:110]}{' ...' if len(one_line) > 110 else ''}{more}")


def profile(setup: Setup, kind: str, n: int, top: int) -> None:
    turns = Turns(setup, kind)
    turns.polls = turns.polls[-1:]
    environs = turns.take(n)
    # CPU time, not wall time: on a shared machine a descheduled moment
    # would be charged to whatever function was running.
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    for environ in environs:
        call(setup.netz, environ)
    profiler.disable()
    stats = pstats.Stats(profiler, stream=sys.stdout)
    print(f"\n--- cProfile of {n} {kind} ballots, by own time")
    stats.sort_stats("tottime").print_stats(top)
    print("--- by cumulative time (netzwerk, flask, werkzeug, extensions)")
    stats.sort_stats("cumulative").print_stats(
        r"netzwerk|flask|werkzeug|itsdangerous|sessions|csrf|limiter|babel", top
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=600)
    parser.add_argument("--kind", choices=[*vb.KINDS, "both"], default="both")
    parser.add_argument("--blocks", type=int, default=20, help="interleaved blocks per kind")
    parser.add_argument("--size", type=int, default=25, help="requests per block")
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--statements", action="store_true")
    parser.add_argument("--profile", choices=vb.KINDS)
    parser.add_argument("--profile-n", type=int, default=300)
    parser.add_argument("--top", type=int, default=45)
    args = parser.parse_args(argv)
    kinds = list(vb.KINDS) if args.kind == "both" else [args.kind]
    if args.profile and args.profile not in kinds:
        kinds.append(args.profile)
    votes = args.warmup + args.blocks * args.size
    # A block that no longer fits a poll moves to the next one; one more poll
    # (untouched by the blocks) for --statements and --profile.
    polls_per_kind = -(-votes // max(1, args.members - args.size + 1)) + 1
    if args.size > args.members or args.profile_n > args.members:
        parser.error("--size and --profile-n must not exceed --members")
    with tempfile.TemporaryDirectory(prefix="netzwerk-vote-cost-") as tmp:
        print(
            f"seeding {args.members} members, {polls_per_kind} polls of each kind ...", flush=True
        )
        setup = build(args.members, kinds, polls_per_kind, Path(tmp))
        results = measure(setup, kinds, args.blocks, args.size, args.warmup)
        print(
            f"\n{args.blocks} blocks of {args.size} requests per kind, interleaved "
            f"(load average {os.getloadavg()[0]:.1f}):"
        )
        report(results)
        if args.statements:
            show_statements(setup, kinds)
        if args.profile:
            profile(setup, args.profile, args.profile_n, args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
