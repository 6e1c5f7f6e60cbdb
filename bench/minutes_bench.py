"""Benchmark: minutes PDFs of about 5, 20 and 80 pages against plain WeasyPrint
and against the floor (the same text as paragraphs only).

Run by hand (not part of the test suite):

    .venv/bin/python bench/minutes_bench.py                # 5, 20 and 80 pages, 3 rounds
    .venv/bin/python bench/minutes_bench.py --sizes 80 --rounds 5
    .venv/bin/python bench/minutes_bench.py --tracemalloc  # also Python's allocation peak
    .venv/bin/python bench/minutes_bench.py --keep         # keep the databases and HTML files

For each size a demo meeting is held in a fresh SQLite database and its
summaries are filled until the minutes reach the page count.  Then, each in
its own subprocess (so that time and peak memory are not mixed up), in
rounds (each round measures the three one after the other, so a machine
that gets busier or quieter tilts all three alike):

* **app**: what the application does to approve minutes – compose the
  document from the database (approved, so without the draft mark),
  fingerprint it, render the template and write a tagged PDF/A-3b with the
  decisions as JSON attachment, through the shared helper ``netzwerk.pdf``
  (reused font configuration, static-only URL fetcher, the lean user-agent
  stylesheet, the garbage collector kept to the render's objects, pages
  compressed as they are painted – see its docstrings);
* **plain**: WeasyPrint rendering the very same HTML, saved as a file, with
  default options (``HTML(filename).write_pdf()``: WeasyPrint's full
  user-agent stylesheet, no tags, no PDF/A), so app/plain can be below 1;
* **floor**: WeasyPrint rendering the same text as paragraphs only (every
  block of the HTML becomes a ``<p>``, no style sheet): what text of this
  length costs at least.

Reported: seconds per page (the median over the rounds; the floor per page
of its own), the ratios app/plain and app/floor (seconds for the same text),
and the peak RSS of each subprocess (``ru_maxrss``).  ``--tracemalloc`` adds
a separate run per size with Python's allocation peak: tracemalloc slows
Python down several times and costs memory of its own, so it never runs
while time or RSS are taken (the first version of this bench did, which made
a minute's page look like 0.3 s and 250 MB).

Goals at 80 pages: at most 0.06 s per page, a peak RSS of at most 200 MB,
and app/plain at most 1.3.  The last line is ``RESULT: PASS`` or ``RESULT:
FAIL``; the exit status 0 or 1.
"""

from __future__ import annotations

import argparse
import html as html_lib
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PARAGRAPH = (
    "Die Konferenz erörtert den Sachstand ausführlich. Die Fachbereiche berichten über "
    "die Umsetzung in den Stadtteilen, über Kooperationen mit Schulen, Kitas und "
    "Unternehmen sowie über offene Fragen der Finanzierung. **Festgehalten wird:** Das "
    "Bildungsbüro bereitet bis zur nächsten Sitzung eine Übersicht vor."
)
SIZES = [5, 20, 80]
GOAL_PAGES = 80
GOAL_SECONDS_PER_PAGE = 0.06
GOAL_RSS_MB = 200
GOAL_RATIO = 1.3
MODES = ("app", "plain", "floor")


def _app(db_dir: str):  # type: ignore[no-untyped-def]
    os.environ["NETZWERK_INSTANCE_PATH"] = db_dir
    from netzwerk import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_dir}/bench.sqlite",
            "SECRET_KEY": "bench",
            "TESTING": True,
        }
    )


def setup(db_dir: str, items: int, paragraphs: int) -> dict[str, int]:
    """Create the database with one meeting whose minutes have the given size."""
    app = _app(db_dir)
    from netzwerk.demo import load_demo
    from netzwerk.extensions import db
    from netzwerk.meetings import agenda
    from netzwerk.minutes import services
    from netzwerk.minutes.demo import OFFICE_EMAIL, _user, draft_minutes, hold_demo_meeting

    with app.app_context():
        db.create_all()
        load_demo()
        meeting = hold_demo_meeting(items=items)
        assert meeting is not None
        minutes = draft_minutes(meeting)
        assert minutes is not None
        text = "\n\n".join(PARAGRAPH for _ in range(paragraphs))
        entries = services.entries(minutes)
        services.save_summaries(
            _user(OFFICE_EMAIL),
            services.get_minutes(minutes.id),  # type: ignore[arg-type]
            {
                line.item.id: (text, entries[line.item.id].revision)
                for line in agenda.flatten(agenda.agenda(meeting))
            },
        )
        return {"meeting_id": meeting.id, "minutes_id": minutes.id}


_BLOCK = re.compile(
    r"<(?:/?(?:p|div|h\d|li|tr|dt|dd|section|header|table|ul|ol|caption|br)\b[^>]*)>", re.I
)


def floor_html(document: str) -> str:
    """The text of ``document`` as paragraphs only: one ``<p>`` per block, no style."""
    body = document.split("<body>", 1)[-1]
    body = re.sub(r"<style>.*?</style>", "", body, flags=re.S)
    text = html_lib.unescape(re.sub(r"<[^>]+>", " ", _BLOCK.sub("\n", body)))
    paragraphs = [" ".join(line.split()) for line in text.split("\n") if line.strip()]
    return (
        '<!doctype html><html lang="de"><head><meta charset="utf-8"><title>floor</title>'
        "</head><body>"
        + "".join(f"<p>{html_lib.escape(p)}</p>" for p in paragraphs)
        + "</body></html>"
    )


def _pages(data: bytes) -> int:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as fh:
        fh.write(data)
        fh.flush()
        out = subprocess.run(["pdfinfo", fh.name], capture_output=True, check=True).stdout
    for line in out.decode().splitlines():
        if line.startswith("Pages:"):
            return int(line.split()[1])
    return 0


def measure(db_dir: str, minutes_id: int, mode: str, trace: bool = False) -> dict[str, float]:
    """One render in this (fresh) process; returns time, pages and memory."""
    app = _app(db_dir)
    from netzwerk.database import utcnow
    from netzwerk.minutes import render, services

    with app.app_context():
        minutes = services.get_minutes(minutes_id)
        assert minutes is not None
        approved_at = utcnow()
        # Warm up what every process has anyway (fonts, templates, catalogues).
        warm = services.compose(minutes.meeting, minutes, approved_at=approved_at)
        html_path = Path(db_dir) / "minutes.html"
        floor_path = Path(db_dir) / "floor.html"
        document = render.minutes_html(warm)
        html_path.write_text(document, encoding="utf-8")
        floor_path.write_text(floor_html(document), encoding="utf-8")
        from netzwerk import pdf

        pdf.font_config()
        if trace:
            import tracemalloc

            tracemalloc.start()
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        if mode == "app":
            snapshot = services.compose(minutes.meeting, minutes, approved_at=approved_at)
            render.fingerprint(snapshot, archival=True)
            data = render.minutes_pdf(snapshot, archival=True)
        else:
            from weasyprint import HTML

            data = HTML(filename=str(html_path if mode == "plain" else floor_path)).write_pdf()
        seconds = time.perf_counter() - started
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        peak = 0
        if trace:
            import tracemalloc

            _current, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
    return {
        "seconds": seconds,
        "pages": _pages(data),
        "bytes": len(data),
        "html_bytes": html_path.stat().st_size,
        "peak_rss_mb": rss_after / 1024,
        "rss_growth_mb": (rss_after - rss_before) / 1024,
        "tracemalloc_peak_mb": peak / 2**20,
    }


def _child(*args: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout
    return json.loads(out.strip().splitlines()[-1])  # type: ignore[no-any-return]


def _prepare(target: int) -> tuple[str, dict[str, int], int]:
    """A database whose minutes have about ``target`` pages (one correction step)."""
    items = 6 if target <= 5 else 12
    paragraphs = 0 if target <= 5 else max(1, target // 2)
    for attempt in range(3):
        db_dir = tempfile.mkdtemp(prefix="minutes-bench-")
        ids = _child("setup", db_dir, str(items), str(paragraphs))
        pages = int(_child("measure", db_dir, str(ids["minutes_id"]), "plain")["pages"])
        if abs(pages - target) <= max(1, target // 10) or paragraphs == 0 or attempt == 2:
            return db_dir, ids, pages
        shutil.rmtree(db_dir, ignore_errors=True)
        base = 6  # pages without summaries, roughly
        per_paragraph = max((pages - base) / max(paragraphs, 1), 0.05)
        paragraphs = max(1, round((target - base) / per_paragraph))
    raise AssertionError("unreachable")


def _median(runs: list[dict[str, float]], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)), help="target page counts")
    parser.add_argument("--rounds", type=int, default=3, help="measurements per mode and size")
    parser.add_argument("--tracemalloc", action="store_true", help="also Python's peak")
    parser.add_argument("--keep", action="store_true", help="keep the databases and HTML files")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    rows = []
    for target in sizes:
        db_dir, ids, _pages_found = _prepare(target)
        runs: dict[str, list[dict[str, float]]] = {mode: [] for mode in MODES}
        for _round in range(max(1, args.rounds)):
            for mode in MODES:
                runs[mode].append(_child("measure", db_dir, str(ids["minutes_id"]), mode))
        traced = (
            _child("measure", db_dir, str(ids["minutes_id"]), "app", "trace")
            if args.tracemalloc
            else None
        )
        rows.append((target, runs, traced))
        if args.keep:
            print(f"kept: {db_dir}", file=sys.stderr)
        else:
            shutil.rmtree(db_dir, ignore_errors=True)
    print()
    print(
        f"{'target':>6} {'pages':>5} {'html kB':>7} {'app s/page':>10} {'plain s/page':>12} "
        f"{'floor s/page':>12} {'app/plain':>9} {'app/floor':>9} "
        f"{'app RSS MB':>10} {'plain RSS MB':>12} {'floor RSS MB':>12}"
        + (f" {'app tracemalloc MB':>18}" if args.tracemalloc else "")
    )
    verdict = True
    for target, runs, traced in rows:
        app, plain, floor = runs["app"], runs["plain"], runs["floor"]
        pages = int(app[0]["pages"])
        app_s, plain_s, floor_s = (_median(r, "seconds") for r in (app, plain, floor))
        app_rss = max(r["peak_rss_mb"] for r in app)
        print(
            f"{target:>6} {pages:>5} {app[0]['html_bytes'] / 1024:>7.0f} "
            f"{app_s / pages:>10.3f} {plain_s / int(plain[0]['pages']):>12.3f} "
            f"{floor_s / int(floor[0]['pages']):>12.3f} {app_s / plain_s:>9.2f} "
            f"{app_s / floor_s:>9.2f} {app_rss:>10.0f} "
            f"{max(r['peak_rss_mb'] for r in plain):>12.0f} "
            f"{max(r['peak_rss_mb'] for r in floor):>12.0f}"
            + (f" {traced['tracemalloc_peak_mb']:>18.1f}" if traced else "")
        )
        if abs(target - GOAL_PAGES) <= GOAL_PAGES // 10:
            verdict = verdict and (
                app_s / pages <= GOAL_SECONDS_PER_PAGE
                and app_rss <= GOAL_RSS_MB
                and app_s / plain_s <= GOAL_RATIO
            )
    print()
    print(
        "s/page: median over the rounds; app/plain and app/floor: seconds for the same text.\n"
        f"Goals at {GOAL_PAGES} pages: app ≤ {GOAL_SECONDS_PER_PAGE} s/page, "
        f"peak RSS ≤ {GOAL_RSS_MB} MB, app/plain ≤ {GOAL_RATIO}."
    )
    print(f"RESULT: {'PASS' if verdict else 'FAIL'}")
    return 0 if verdict else 1


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "setup":
        print(json.dumps(setup(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))))
    elif len(sys.argv) > 1 and sys.argv[1] == "measure":
        trace = len(sys.argv) > 5 and sys.argv[5] == "trace"
        print(json.dumps(measure(sys.argv[2], int(sys.argv[3]), sys.argv[4], trace)))
    else:
        sys.exit(main())
