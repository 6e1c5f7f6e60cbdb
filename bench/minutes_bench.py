"""Benchmark: minutes PDFs of about 5, 20 and 80 pages against plain WeasyPrint.

Run by hand (not part of the test suite):

    .venv/bin/python bench/minutes_bench.py

For each size a demo meeting is held in a fresh SQLite database and its
summaries are filled until the minutes reach the page count.  Then, each in
its own subprocess (so that peak memory is not mixed up):

* **app**: what the application does to approve minutes – compose the
  document from the database, fingerprint it, render the template and write
  a tagged PDF/A-3b with the decisions as JSON attachment, through the
  shared helper (reused font configuration, static-only URL fetcher);
* **plain**: WeasyPrint rendering the very same HTML, saved as a file, with
  default options (``HTML(filename).write_pdf()``).

Reported: seconds per page, the ratio app/plain measured in the same run,
and peak memory (``ru_maxrss`` of the subprocess, and tracemalloc's peak of
Python allocations).  Goal: ratio < 1.3, and memory that grows with the
document in a bounded, steady way (per page, not worse).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
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
    from netzwerk.meetings import meeting_services as ms
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
                for line in ms.flatten(ms.agenda(meeting))
            },
        )
        return {"meeting_id": meeting.id, "minutes_id": minutes.id}


def _pages(data: bytes) -> int:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as fh:
        fh.write(data)
        fh.flush()
        out = subprocess.run(["pdfinfo", fh.name], capture_output=True, check=True).stdout
    for line in out.decode().splitlines():
        if line.startswith("Pages:"):
            return int(line.split()[1])
    return 0


def measure(db_dir: str, minutes_id: int, mode: str) -> dict[str, float]:
    """One render in this (fresh) process; returns time, pages and memory."""
    app = _app(db_dir)
    from netzwerk.minutes import render, services

    with app.app_context():
        minutes = services.get_minutes(minutes_id)
        assert minutes is not None
        # Warm up what every process has anyway (fonts, templates, catalogues).
        warm = services.compose(minutes.meeting, minutes)
        html_path = Path(db_dir) / "minutes.html"
        html_path.write_text(render.minutes_html(warm), encoding="utf-8")
        from netzwerk import pdf

        pdf.font_config()
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        tracemalloc.start()
        started = time.perf_counter()
        if mode == "app":
            snapshot = services.compose(minutes.meeting, minutes)
            render.fingerprint(snapshot, archival=True)
            data = render.minutes_pdf(snapshot, archival=True)
        else:
            from weasyprint import HTML

            data = HTML(filename=str(html_path)).write_pdf()
        seconds = time.perf_counter() - started
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
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
    for _attempt in range(3):
        db_dir = tempfile.mkdtemp(prefix="minutes-bench-")
        ids = _child("setup", db_dir, str(items), str(paragraphs))
        pages = int(_child("measure", db_dir, str(ids["minutes_id"]), "plain")["pages"])
        if abs(pages - target) <= max(1, target // 10) or paragraphs == 0:
            return db_dir, ids, pages
        base = 6  # pages without summaries, roughly
        per_paragraph = max((pages - base) / max(paragraphs, 1), 0.05)
        paragraphs = max(1, round((target - base) / per_paragraph))
    return db_dir, ids, pages


def main() -> None:
    rows = []
    for target in SIZES:
        db_dir, ids, _pages_found = _prepare(target)
        app = _child("measure", db_dir, str(ids["minutes_id"]), "app")
        plain = _child("measure", db_dir, str(ids["minutes_id"]), "plain")
        rows.append((target, app, plain))
    print()
    print(
        f"{'target':>6} {'pages':>5} {'html kB':>8} {'app s/page':>10} {'plain s/page':>12} "
        f"{'ratio':>6} {'app peak RSS MB':>15} {'plain peak RSS MB':>17} "
        f"{'app tracemalloc MB':>18} {'plain tracemalloc MB':>20}"
    )
    for target, app, plain in rows:
        ratio = app["seconds"] / plain["seconds"]
        print(
            f"{target:>6} {int(app['pages']):>5} {app['html_bytes'] / 1024:>8.0f} "
            f"{app['seconds'] / app['pages']:>10.3f} {plain['seconds'] / plain['pages']:>12.3f} "
            f"{ratio:>6.2f} {app['peak_rss_mb']:>15.0f} {plain['peak_rss_mb']:>17.0f} "
            f"{app['tracemalloc_peak_mb']:>18.1f} {plain['tracemalloc_peak_mb']:>20.1f}"
        )
    print()
    print("ratio = app seconds / plain WeasyPrint seconds on the same HTML (goal < 1.3)")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "setup":
        print(json.dumps(setup(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))))
    elif len(sys.argv) > 1 and sys.argv[1] == "measure":
        print(json.dumps(measure(sys.argv[2], int(sys.argv[3]), sys.argv[4])))
    else:
        main()
