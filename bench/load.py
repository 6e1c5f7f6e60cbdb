"""A small concurrent HTTP load generator (run as its own process).

``python -m bench.load URL [--cookie NAME=VALUE] [--duration S] [--max-requests N]
[--concurrency C] [--warmup S]`` prints one JSON object: requests, errors,
elapsed seconds, requests per second, p50 and p95 latency in milliseconds.
Loopback only: any other host is refused.
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import threading
import time
from urllib.parse import urlsplit

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
# Sent with every request, and by the bench's login: like a browser, the
# load keeps the user agent it logged in with (Flask-Login's session
# protection ties the session to it and re-issues the cookie otherwise).
USER_AGENT = "netzwerk-bench/1"


def _worker(
    host: str,
    port: int,
    path: str,
    headers: dict[str, str],
    stop_at: float,
    budget: list[int],
    lock: threading.Lock,
    latencies: list[float],
    errors: list[str],
    record: bool,
) -> None:
    conn: http.client.HTTPConnection | None = None
    while time.perf_counter() < stop_at:
        with lock:
            if budget[0] <= 0:
                return
            budget[0] -= 1
        if conn is None:
            conn = http.client.HTTPConnection(host, port, timeout=30)
        started = time.perf_counter()
        try:
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            status = response.status
            if response.getheader("Connection", "").lower() == "close":
                conn.close()
                conn = None
        except (OSError, http.client.HTTPException) as exc:
            if conn is not None:
                conn.close()
            conn = None
            status = -1
            if record:
                errors.append(type(exc).__name__)
            continue
        elapsed = time.perf_counter() - started
        if record:
            if status == 200:
                latencies.append(elapsed)
            else:
                errors.append(str(status))
    if conn is not None:
        conn.close()


def run(
    url: str,
    cookie: str | None,
    duration: float,
    max_requests: int,
    concurrency: int,
    warmup: float,
) -> dict[str, object]:
    parts = urlsplit(url)
    if parts.hostname not in LOOPBACK:
        raise SystemExit(f"refusing to load a non-loopback host: {parts.hostname}")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    headers = {"Accept": "text/html", "User-Agent": USER_AGENT}
    if cookie:
        headers["Cookie"] = cookie
    lock = threading.Lock()

    def phase(seconds: float, limit: int, record: bool) -> tuple[list[float], list[str], float]:
        latencies: list[float] = []
        errors: list[str] = []
        budget = [limit]
        start = time.perf_counter()
        threads = [
            threading.Thread(
                target=_worker,
                args=(
                    parts.hostname,
                    parts.port or 80,
                    path,
                    headers,
                    start + seconds,
                    budget,
                    lock,
                    latencies,
                    errors,
                    record,
                ),
            )
            for _ in range(concurrency)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return latencies, errors, time.perf_counter() - start

    if warmup > 0:
        phase(warmup, max_requests, record=False)
    latencies, errors, elapsed = phase(duration, max_requests, record=True)
    latencies.sort()
    ms = [x * 1000 for x in latencies]

    def pct(p: float) -> float:
        if not ms:
            return float("nan")
        return ms[min(len(ms) - 1, int(round(p * (len(ms) - 1))))]

    return {
        "url": url,
        "requests": len(ms),
        "errors": len(errors),
        "error_kinds": sorted(set(errors))[:5],
        "elapsed": elapsed,
        "rps": len(ms) / elapsed if elapsed > 0 else 0.0,
        "p50_ms": pct(0.50),
        "p95_ms": pct(0.95),
        "mean_ms": statistics.fmean(ms) if ms else float("nan"),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url")
    parser.add_argument("--cookie")
    parser.add_argument("--duration", type=float, default=8.0)
    parser.add_argument("--max-requests", type=int, default=20000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--warmup", type=float, default=1.0)
    args = parser.parse_args(argv)
    result = run(
        args.url, args.cookie, args.duration, args.max_requests, args.concurrency, args.warmup
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
