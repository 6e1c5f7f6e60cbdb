"""Benchmark of Netzwerk against a bare Flask baseline, measured in the same run.

    make bench            # = .venv/bin/python -m bench
    python -m bench --help

1. builds a fresh SQLite demo database in a temporary directory
   (``flask db upgrade``, the demo network, then generated extra data);
2. counts the SQL queries of each page in-process at two data sizes;
3. starts gunicorn with two workers for Netzwerk and for the baseline
   (bench/baseline.py) on free loopback ports;
4. drives load from a separate process (bench/load.py) in rounds: each round
   measures the baseline and then every page, so that each page's ratio is
   taken against a baseline measured moments before it; it prints requests
   per second, p50/p95 latency and the median ratio over the rounds.

Exit status 0 when every goal is met, 1 otherwise.  See bench/README.md.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from .load import USER_AGENT

PROJECT_DIR = Path(__file__).resolve().parent.parent
MEMBER_EMAIL = "mitglied@osnabrueck.example"
BIG_BODY = "Bildungskonferenz"
MIN_RATIO = 0.5


@dataclass
class Page:
    label: str
    path: str
    queries: dict[str, int] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    rounds: list[dict[str, Any]] = field(default_factory=list)
    ratios: list[float] = field(default_factory=list)

    @property
    def load(self) -> dict[str, Any]:
        return combine(self.rounds)

    @property
    def ratio(self) -> float:
        return statistics.median(self.ratios) if self.ratios else 0.0


def combine(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """One line for several rounds of load: median rate and latencies,
    summed requests and errors."""
    if not rounds:
        return {"rps": 0.0, "p50_ms": 0.0, "p95_ms": 0.0, "errors": 0, "requests": 0}
    kinds = sorted({kind for r in rounds for kind in r.get("error_kinds") or []})[:5]
    return {
        "rps": statistics.median(r["rps"] for r in rounds),
        "p50_ms": statistics.median(r["p50_ms"] for r in rounds),
        "p95_ms": statistics.median(r["p95_ms"] for r in rounds),
        "errors": sum(r["errors"] for r in rounds),
        "requests": sum(r["requests"] for r in rounds),
        "error_kinds": kinds,
    }


# --- database ------------------------------------------------------------


def _setup_environment(workdir: Path) -> dict[str, str]:
    env = {
        "NETZWERK_INSTANCE_PATH": str(workdir / "instance"),
        "NETZWERK_DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite'}",
        "NETZWERK_SECRET_KEY": secrets.token_urlsafe(32),
        # The load process logs in once; throttling stays on but out of the way.
        "NETZWERK_LOGIN_RATE_LIMIT": "1000 per minute",
    }
    os.environ.update(env)
    return env


def build_database() -> Any:
    """Fresh schema by migrations, then the demo network; returns the app."""
    from flask_migrate import upgrade
    from sqlalchemy import inspect

    from netzwerk import create_app
    from netzwerk.demo import load_demo
    from netzwerk.extensions import db

    app = create_app({"WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False})
    with app.app_context():
        upgrade()
        have = set(inspect(db.engine).get_table_names())
        missing = sorted(t.name for t in db.metadata.sorted_tables if t.name not in have)
        if missing:
            print(
                f"  note: the migrations lack {len(missing)} table(s) of the models "
                f"({', '.join(missing[:5])}{', ...' if len(missing) > 5 else ''}); "
                "created with create_all() for this run",
                flush=True,
            )
            db.create_all()
        load_demo()
        db.session.remove()
    return app


def add_extra_data(app: Any, persons: int, extra_bodies: int) -> None:
    """Grow the network: persons with organisations in the big body, and more
    working groups with the member in each."""
    from sqlalchemy import select

    from netzwerk.auth.models import User
    from netzwerk.database import write_transaction
    from netzwerk.extensions import db
    from netzwerk.governance.models import Body, Membership, Organisation, Person

    start = date(2026, 1, 1)
    with app.app_context():
        big = db.session.scalar(select(Body).where(Body.name == BIG_BODY))
        member = db.session.scalar(select(User).where(User.email == MEMBER_EMAIL))
        assert big is not None and member is not None
        member_person_id = member.person_id
        with write_transaction():
            orgs = [
                Organisation(name=f"Bench-Organisation {i:03d}", kind="other")
                for i in range(max(1, persons // 10))
            ]
            db.session.add_all(orgs)
            db.session.flush()
            people = [
                Person(
                    first_name=f"Vorname{i:04d}",
                    last_name=f"Nachname{i:04d}",
                    email=f"bench{i:04d}@bench.example",
                    function="Mitglied",
                    organisation_id=orgs[i % len(orgs)].id,
                )
                for i in range(persons)
            ]
            db.session.add_all(people)
            db.session.flush()
            for i, person in enumerate(people):
                db.session.add(
                    Membership(
                        person_id=person.id,
                        body_id=big.id,
                        role="member",
                        voting_right=i % 3 != 0,
                        organisation_id=person.organisation_id,
                        start_date=start,
                    )
                )
            for b in range(extra_bodies):
                body = Body(
                    name=f"Bench-Arbeitsgruppe {b:02d}",
                    short_name=f"BAG{b:02d}",
                    kind="working_group",
                    parent_id=big.id,
                )
                db.session.add(body)
                db.session.flush()
                db.session.add(
                    Membership(
                        person_id=member_person_id, body_id=body.id, role="member", start_date=start
                    )
                )
                for person in people[b * 40 : (b + 1) * 40]:
                    db.session.add(
                        Membership(
                            person_id=person.id,
                            body_id=body.id,
                            role="member",
                            organisation_id=person.organisation_id,
                            start_date=start,
                        )
                    )
        db.session.remove()


def big_body_id(app: Any) -> int:
    from sqlalchemy import select

    from netzwerk.extensions import db
    from netzwerk.governance.models import Body

    with app.app_context():
        body_id = db.session.scalar(select(Body.id).where(Body.name == BIG_BODY))
        db.session.remove()
    assert body_id is not None
    return int(body_id)


@contextmanager
def _counting(app: Any) -> Iterator[list[str]]:
    from sqlalchemy import event

    from netzwerk.extensions import db

    statements: list[str] = []
    with app.app_context():
        engine = db.engine

    def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        head = statement.lstrip().upper()
        if not head.startswith(("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA", "SAVEPOINT", "RELEASE")):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)


def count_queries(app: Any, pages: list[Page], size: str) -> None:
    from netzwerk.demo import DEMO_PASSWORD

    client = app.test_client()
    response = client.post("/login", data={"email": MEMBER_EMAIL, "password": DEMO_PASSWORD})
    if response.status_code != 302:
        raise SystemExit(f"in-process login failed: {response.status_code}")
    for page in pages:
        client.get(page.path)  # warm up caches (templates, compiled SQL)
        with _counting(app) as statements:
            response = client.get(page.path)
        if response.status_code != 200:
            raise SystemExit(f"{page.path} answered {response.status_code} in-process")
        page.queries[size] = len(statements)
        page.rows[size] = response.get_data(as_text=True).count("<tr")


# --- servers -------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _gunicorn() -> list[str]:
    exe = Path(sys.executable).with_name("gunicorn")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "gunicorn"]


def start_gunicorn(target: str, port: int, workers: int, env: dict[str, str], log: Path) -> Any:
    cmd = _gunicorn() + [
        "--workers",
        str(workers),
        "--worker-class",
        "sync",
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        "--chdir",
        str(PROJECT_DIR),
        target,
    ]
    fh = log.open("w")
    return subprocess.Popen(
        cmd, cwd=PROJECT_DIR, env={**os.environ, **env}, stdout=fh, stderr=subprocess.STDOUT
    )


def wait_ready(port: int, path: str, process: Any, log: Path, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited ({process.returncode}):\n{log.read_text()[-2000:]}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", path)
            status = conn.getresponse().status
            conn.close()
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"gunicorn on port {port} not ready after {timeout}s")


def stop(process: Any) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


def http_login(port: int, email: str, password: str) -> str:
    """Log in over HTTP like a browser; return the session cookie 'name=value'."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/login", headers={"User-Agent": USER_AGENT})
    response = conn.getresponse()
    html = response.read().decode()
    cookie = _session_cookie(response.getheaders())
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html
    )
    if not match or not cookie:
        raise SystemExit("no CSRF token or session cookie on the login page")
    body = urlencode({"csrf_token": match.group(1), "email": email, "password": password})
    conn.request(
        "POST",
        "/login",
        body=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": cookie,
            "User-Agent": USER_AGENT,
        },
    )
    response = conn.getresponse()
    response.read()
    conn.close()
    if response.status != 302:
        raise SystemExit(f"HTTP login failed: {response.status}")
    logged_in = _session_cookie(response.getheaders())
    if not logged_in:
        raise SystemExit("HTTP login did not set a session cookie")
    return logged_in


def _session_cookie(headers: list[tuple[str, str]]) -> str | None:
    for name, value in headers:
        if name.lower() == "set-cookie" and value.startswith("netzwerk_session="):
            return value.split(";", 1)[0]
    return None


def drive_load(
    url: str, cookie: str | None, args: argparse.Namespace, warmup: float
) -> dict[str, Any]:
    cmd = [
        sys.executable,
        "-m",
        "bench.load",
        url,
        "--duration",
        str(args.duration),
        "--concurrency",
        str(args.concurrency),
        "--max-requests",
        str(args.max_requests),
        "--warmup",
        str(warmup),
    ]
    if cookie:
        cmd += ["--cookie", cookie]
    out = subprocess.run(
        cmd,
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=args.duration + warmup + 60,
        check=True,
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


# --- report --------------------------------------------------------------


def report(
    baseline_rounds: list[dict[str, Any]], pages: list[Page], args: argparse.Namespace
) -> bool:
    ok = True
    baseline = combine(baseline_rounds)
    print()
    print(
        f"Load: {args.concurrency} concurrent clients, {args.rounds} rounds of "
        f"{args.duration:g} s per page, each round after its own baseline "
        f"(warm-up {args.warmup:g} s in the first), gunicorn {args.workers} sync workers, "
        "SQLite WAL, loopback; rates and ratios are medians over the rounds"
    )
    header = (
        f"{'page':<44} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'errors':>7} {'ratio':>7}  rate"
    )
    print(header)
    print("-" * len(header) + "-----")
    print(
        f"{'baseline: Flask, 200-row table':<44} {baseline['rps']:>8.1f} "
        f"{baseline['p50_ms']:>8.1f} {baseline['p95_ms']:>8.1f} {baseline['errors']:>7} {1.0:>7.2f}"
    )
    if baseline["errors"] or not baseline["requests"]:
        ok = False
    for page in pages:
        load = page.load
        ratio = page.ratio
        good = ratio >= MIN_RATIO and load["errors"] == 0 and load["requests"] > 0
        ok &= good
        print(
            f"{page.label:<44} {load['rps']:>8.1f} {load['p50_ms']:>8.1f} {load['p95_ms']:>8.1f} "
            f"{load['errors']:>7} {ratio:>7.2f}  {'PASS' if good else 'FAIL'}"
            + f"  (rounds: {', '.join(f'{r:.2f}' for r in page.ratios)})"
            + (f" {load['error_kinds']}" if load["errors"] else "")
        )
    print()
    small, large = "demo", "grown"
    header = f"{'SQL queries per page':<44} {'demo':>8} {'grown':>8} {'rows':>12}  flat"
    print(header)
    print("-" * len(header))
    for page in pages:
        flat = page.queries[large] <= page.queries[small]
        ok &= flat
        rows = f"{page.rows[small]}->{page.rows[large]}"
        print(
            f"{page.label:<44} {page.queries[small]:>8} {page.queries[large]:>8} {rows:>12}  "
            f"{'PASS' if flat else 'FAIL'}"
        )
    print()
    print(
        f"Goals: rate >= {MIN_RATIO:.1f} x baseline, no errors, and the same number of SQL "
        f"queries when the data grows ({args.persons} more persons in the {BIG_BODY}, "
        f"{args.bodies} more working groups of the member)."
    )
    print("RESULT:", "PASS" if ok else "FAIL")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--duration", type=float, default=3.0, help="seconds of load per page and round"
    )
    parser.add_argument("--rounds", type=int, default=3, help="rounds (baseline, then each page)")
    parser.add_argument(
        "--warmup", type=float, default=1.5, help="seconds of warm-up per page in the first round"
    )
    parser.add_argument("--concurrency", type=int, default=8, help="concurrent client threads")
    parser.add_argument("--max-requests", type=int, default=20000, help="request cap per page")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--persons", type=int, default=300, help="extra persons (grown size)")
    parser.add_argument("--bodies", type=int, default=6, help="extra bodies of the member")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")

    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="netzwerk-bench-"))
    env = _setup_environment(workdir)
    sys.path.insert(0, str(PROJECT_DIR))
    servers: list[Any] = []
    try:
        print(f"Building the demo database in {workdir} ...", flush=True)
        app = build_database()
        body_id = big_body_id(app)
        pages = [
            Page("member's start page /", "/"),
            Page(f"body page /gremien/{body_id} ({BIG_BODY})", f"/gremien/{body_id}"),
            Page("Meine Gremien /meine-gremien", "/meine-gremien"),
        ]
        count_queries(app, pages, "demo")
        print(f"Adding {args.persons} persons and {args.bodies} working groups ...", flush=True)
        add_extra_data(app, args.persons, args.bodies)
        count_queries(app, pages, "grown")
        from netzwerk.extensions import db

        with app.app_context():
            db.engine.dispose()

        app_port, base_port = free_port(), free_port()
        app_log, base_log = workdir / "gunicorn-app.log", workdir / "gunicorn-baseline.log"
        servers.append(start_gunicorn("wsgi:app", app_port, args.workers, env, app_log))
        servers.append(start_gunicorn("bench.baseline:app", base_port, args.workers, env, base_log))
        wait_ready(app_port, "/health", servers[0], app_log)
        wait_ready(base_port, "/", servers[1], base_log)
        print(
            f"gunicorn: Netzwerk on 127.0.0.1:{app_port}, baseline on 127.0.0.1:{base_port}",
            flush=True,
        )

        from netzwerk.demo import DEMO_PASSWORD

        cookie = http_login(app_port, MEMBER_EMAIL, DEMO_PASSWORD)
        baseline_rounds: list[dict[str, Any]] = []
        for number in range(1, args.rounds + 1):
            # Warm every worker up once; later rounds start right away.
            warmup = args.warmup if number == 1 else 0.2
            print(f"Round {number}/{args.rounds}: baseline", end="", flush=True)
            base = drive_load(f"http://127.0.0.1:{base_port}/", None, args, warmup)
            baseline_rounds.append(base)
            for page in pages:
                print(f", {page.path}", end="", flush=True)
                load = drive_load(f"http://127.0.0.1:{app_port}{page.path}", cookie, args, warmup)
                page.rounds.append(load)
                page.ratios.append(load["rps"] / base["rps"] if base["rps"] else 0.0)
            print(flush=True)
        ok = report(baseline_rounds, pages, args)
        print(f"(bench took {time.monotonic() - started:.0f} s)")
        return 0 if ok else 1
    finally:
        for server in servers:
            stop(server)
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
