"""Benchmark: the search over 20,000 papers (5,000 with a PDF attachment) and
10,000 decisions, on SQLite or PostgreSQL.

Run by hand::

    .venv/bin/python -m bench.search_bench                       # SQLite (a temporary file)
    .venv/bin/python -m bench.search_bench --postgres postgresql+psycopg://postgres@127.0.0.1:5432/netzwerk_bench
    .venv/bin/python -m bench.search_bench --papers 2000 --decisions 1000 --attachments 500

It loads the demo network, writes the papers, attachments and decisions
straight into the tables (the index sees none of it), then measures:

* indexing: documents per second of ``index.rebuild``, what ``flask
  netzwerk search reindex`` runs (stems or tsvector, and the text of every
  PDF, extracted once) -- goal: at least 200;
* the size the index adds to the database -- goal: at most 50 %: the
  database before and after indexing, both measured alike (PostgreSQL:
  after VACUUM ANALYZE; SQLite: the pages in use), the extracted file texts
  counted as part of the index; on PostgreSQL each of the index's
  relations is listed too.  On PostgreSQL the index includes the GIN
  indexes on expressions over the source tables (paper, decision, minutes
  entries, agenda items, the file texts) and the two SQL functions they
  call: they are dropped before the "before" size is taken (and the papers
  generated without them), and made again as part of the timed indexing,
  as ``CREATE INDEX`` -- what an import followed by ``flask db upgrade``
  costs; in use, PostgreSQL keeps them with every write;
* queries: the whole ``search()`` of the page (match, access by the
  visibility policy, count, facets, snippets) for the office, a member and a
  visitor, one- and two-word queries and prefixes -- goal: p95 under 100 ms;
  beside it, the bare full-text match of the same queries as the baseline
  measured in the same run (the ratio shows what access, facets and
  snippets cost on top).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("NETZWERK_INSTANCE_PATH", tempfile.mkdtemp(prefix="netzwerk-bench-"))

from sqlalchemy import func, insert, inspect, select, text  # noqa: E402

from netzwerk import create_app  # noqa: E402
from netzwerk.extensions import db  # noqa: E402

GOAL_P95_MS = 100.0
GOAL_DOCS_PER_SECOND = 200.0
GOAL_SIZE_SHARE = 0.5

WORDS = (  # noqa: SIM905 - a word list, read as prose
    "Sprachförderung Kita Schule Grundschule Ganztag Bildung Förderung Jugend "
    "Beratung Übergang Ausbildung Beruf Hochschule Museum Bibliothek "
    "Lesepaten Integration Familie Elternarbeit Stadtteil Schinkel Eversburg "
    "Wüste Dodesheide Weststadt Inklusion Digitalisierung Medienkompetenz "
    "Ehrenamt Sport Musikschule Theater Kulturrucksack Quartier Netzwerk "
    "Monitoring Bericht Maßnahme Beschluss Vorstandskonferenz Haushalt "
    "Fördermittel Antrag Konzept Evaluation Qualifizierung Fachkräfte "
    "Sozialarbeit Schulsozialarbeit Berufsorientierung Praktikum Mentoring "
    "Sprachkurs Willkommensklasse"
).split()
FILLER = (  # noqa: SIM905 - a word list, read as prose
    "der die das und mit für von im in zu den eine einer werden wird soll "
    "sollen durch auf bei nach aus über unter sowie auch noch weitere "
    "gemeinsam"
).split()


SYLLABLES = (  # noqa: SIM905 - a word list, read as prose
    "ba be bi bo bu da de di do ka ke ki ko la le li lo ma me mi mo na ne ni "
    "no ra re ri ro sa se si so ta te ti to"
).split()


def _vocabulary(size: int = 6000) -> tuple[list[str], list[float]]:
    """Made-up words with Zipf frequencies, so that a word occurs as often
    as words in real papers do (a few very often, most rarely)."""
    rnd = random.Random(3)
    words = sorted(
        {"".join(rnd.choice(SYLLABLES) for _ in range(rnd.randint(2, 5))) for _ in range(size)}
    )
    rnd.shuffle(words)
    return words, [1.0 / (rank + 1) for rank in range(len(words))]


VOCABULARY, WEIGHTS = _vocabulary()


def _text(rnd: random.Random, words: int) -> str:
    """About 40 % function words, 3 % words of the education domain (the
    queries), the rest from the Zipf vocabulary."""
    out = []
    common = rnd.choices(VOCABULARY, WEIGHTS, k=words)
    for i in range(words):
        roll = rnd.random()
        out.append(
            rnd.choice(FILLER) if roll < 0.4 else rnd.choice(WORDS) if roll < 0.43 else common[i]
        )
    return " ".join(out)


def _pdf(body: str) -> bytes:
    """A one-page PDF with ``body`` as text (Helvetica, WinAnsi), made by hand:
    thousands of them in seconds."""
    safe = body.encode("cp1252", errors="replace").replace(b"\\", b"\\\\")
    safe = safe.replace(b"(", b"\\(").replace(b")", b"\\)")
    lines = [safe[i : i + 90] for i in range(0, len(safe), 90)][:40]
    stream = (
        b"BT /F1 10 Tf 40 800 Td 12 TL " + b" ".join(b"(" + ln + b") '" for ln in lines) + b" ET"
    )
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body_ in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body_ + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return bytes(out)


def _generate(papers: int, decisions: int, attachments: int, seed: int = 7) -> None:
    from netzwerk.decisions.models import Decision
    from netzwerk.governance.models import Body
    from netzwerk.papers.models import Paper, PaperAttachment
    from netzwerk.storage import uploads

    rnd = random.Random(seed)
    template = db.session.scalar(select(Paper).where(Paper.number.is_not(None)).limit(1))
    if template is None:
        template = db.session.scalar(select(Paper).limit(1))
    assert template is not None, "the demo has papers"
    bodies = list(db.session.scalars(select(Body.id)))
    author = template.author_person_id
    now = datetime(2026, 6, 15, 8, 0, tzinfo=UTC)
    rows = []
    for i in range(papers):
        year = 2020 + i % 7
        rows.append(
            {
                "number": f"BENCH/{year}/{i:05d}",
                "title": _text(rnd, 8).capitalize(),
                "kind": template.kind,
                "text": _text(rnd, 250),
                "author_person_id": author,
                "body_id": rnd.choice(bodies),
                "public": rnd.random() < 0.5,
                "created_at": now.replace(year=year),
                "updated_at": now.replace(year=year),
                "workflow_name": template.workflow_name,
                "workflow_hash": template.workflow_hash,
                "state": template.state,
                "version": 0,
                "state_entered_at": now,
            }
        )
    for start in range(0, len(rows), 2000):
        db.session.execute(insert(Paper), rows[start : start + 2000])
    paper_ids = list(
        db.session.scalars(select(Paper.id).where(Paper.number.like("BENCH/%")).order_by(Paper.id))
    )
    store = uploads()
    files = []
    for paper_id in rnd.sample(paper_ids, min(attachments, len(paper_ids))):
        data = _pdf(_text(rnd, 300))
        sha = hashlib.sha256(data).hexdigest()
        store.put(sha, data)
        files.append(
            {
                "paper_id": paper_id,
                "filename": "anlage.pdf",
                "content_type": "application/pdf",
                "size": len(data),
                "sha256": sha,
                "uploaded_at": now,
            }
        )
    for start in range(0, len(files), 2000):
        db.session.execute(insert(PaperAttachment), files[start : start + 2000])
    decision_rows = []
    for i in range(decisions):
        year = 2020 + i % 7
        decision_rows.append(
            {
                "body_id": rnd.choice(bodies),
                "year": year,
                "seq": 100000 + i,
                "number": f"B-BENCH/{year}/{i:05d}",
                "subject_type": "free",
                "subject_title": _text(rnd, 6),
                "title": _text(rnd, 8).capitalize(),
                "text": _text(rnd, 120),
                "outcome": "adopted" if rnd.random() < 0.8 else "rejected",
                "yes_count": 7,
                "no_count": 1,
                "abstain_count": 1,
                "voting_members": 9,
                "majority_rule": "simple",
                "subject_public": rnd.random() < 0.5,
                "decided_at": now.replace(year=year),
                "created_at": now.replace(year=year),
            }
        )
    for start in range(0, len(decision_rows), 2000):
        db.session.execute(insert(Decision), decision_rows[start : start + 2000])
    db.session.commit()


def _size() -> int:
    """The bytes the database's pages hold, measured the same way before and
    after indexing: SQLite's used pages (free pages left out); PostgreSQL's
    database after VACUUM (ANALYZE), so that neither side counts dead row
    versions or a GIN pending list not yet merged, and both sides carry the
    planner statistics (before, only the "after" had them)."""
    db.session.commit()
    if db.engine.dialect.name == "sqlite":
        with db.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            pages = conn.exec_driver_sql("PRAGMA page_count").scalar() or 0
            free = conn.exec_driver_sql("PRAGMA freelist_count").scalar() or 0
            size = conn.exec_driver_sql("PRAGMA page_size").scalar() or 0
        return int((pages - free) * size)
    with db.engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        conn.execute(text("VACUUM (ANALYZE)"))
        return int(conn.execute(text("SELECT pg_database_size(current_database())")).scalar() or 0)


def _match_paths() -> list[Any]:
    from netzwerk.search.models import MATCH_PATHS

    return [path for paths in MATCH_PATHS.values() for path in paths]


def _without_expression_indexes() -> None:
    """PostgreSQL: the expression indexes on the source tables and the SQL
    functions they call, taken away (they are part of the index)."""
    from netzwerk.search import postgres

    if db.engine.dialect.name != "postgresql":
        return
    with db.engine.begin() as conn:
        for path in _match_paths():
            conn.execute(text(f"DROP INDEX IF EXISTS {path.name}"))
        for statement in postgres.DROP_FUNCTIONS:
            conn.execute(text(statement))


def _make_functions() -> None:
    """PostgreSQL: the SQL functions, as ``create_all`` makes them."""
    from netzwerk.search import postgres

    if db.engine.dialect.name == "postgresql":
        for statement in (postgres.CREATE_FOLD, postgres.CREATE_VECTOR):
            db.session.connection().exec_driver_sql(statement)


def _make_expression_indexes() -> None:
    """PostgreSQL: the expression indexes, as ``create_all`` makes them."""
    if db.engine.dialect.name == "postgresql":
        for path in _match_paths():
            path.index.create(db.session.connection())


def _relations() -> list[tuple[str, int]]:
    """PostgreSQL: the index's relations with their sizes (a table with its
    TOAST table, without its indexes; each index on its own; the expression
    indexes on the source tables; the SQL functions, by their catalogue
    rows)."""
    if db.engine.dialect.name != "postgresql":
        return []
    names = [path.name for path in _match_paths()]
    with db.engine.connect() as conn:
        return [
            (str(name), int(size))
            for name, size in conn.execute(
                text(
                    "SELECT c.relname, pg_relation_size(c.oid) FROM pg_class c "
                    "JOIN pg_index i ON i.indexrelid = c.oid "
                    "WHERE i.indrelid IN ('search_document'::regclass, "
                    "'search_file_text'::regclass) OR c.relname = ANY(:names) "
                    "UNION SELECT c.relname, pg_table_size(c.oid) FROM pg_class c "
                    "WHERE c.oid IN ('search_document'::regclass, "
                    "'search_file_text'::regclass) "
                    "UNION SELECT p.proname || '()', pg_column_size(p.*) FROM pg_proc p "
                    "WHERE p.proname LIKE 'netzwerk_search_%' ORDER BY 2 DESC"
                ),
                {"names": names},
            )
        ]


def _index_all() -> tuple[int, float, float]:
    """What ``flask netzwerk search reindex`` does, in one transaction, and
    (PostgreSQL) the expression indexes made: (documents, seconds of both,
    seconds of the expression indexes)."""
    from netzwerk.search import index

    started = time.perf_counter()
    _make_functions()  # the stored vectors need them
    db.session.commit()
    functions_made = time.perf_counter()
    documents = index.rebuild()
    db.session.commit()
    rebuilt = time.perf_counter()
    # The expression indexes: over the file texts too, which the rebuild extracted.
    _make_expression_indexes()
    db.session.commit()
    done = time.perf_counter()
    return documents, done - started, (functions_made - started) + (done - rebuilt)


def _queries(rnd: random.Random, n: int) -> list[str]:
    found = []
    for _ in range(n):
        kind = rnd.random()
        word = rnd.choice(WORDS)
        if kind < 0.4:
            found.append(word)
        elif kind < 0.7:
            found.append(f"{word} {rnd.choice(WORDS)}")
        else:
            found.append(word[: rnd.randint(3, max(3, len(word) - 1))])  # typing
    return found


def _bare(query_text: str) -> None:
    """The baseline: the full-text match and count alone."""
    from netzwerk.search import analysis
    from netzwerk.search.query import _matched

    matched, _rank, _narrow = _matched(analysis.parse(query_text))
    db.session.scalar(select(func.count()).select_from(matched))


def _time(fn: Any, queries: list[str]) -> list[float]:
    times = []
    for q in queries:
        started = time.perf_counter()
        fn(q)
        times.append((time.perf_counter() - started) * 1000)
    return times


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[18]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--postgres", help="a PostgreSQL URL (the database is emptied)")
    parser.add_argument("--papers", type=int, default=20000)
    parser.add_argument("--decisions", type=int, default=10000)
    parser.add_argument("--attachments", type=int, default=5000)
    parser.add_argument("--queries", type=int, default=120)
    args = parser.parse_args()
    url = (
        args.postgres
        or f"sqlite:///{tempfile.mkdtemp(prefix='netzwerk-search-bench-')}/bench.sqlite"
    )
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False})
    with app.test_request_context():
        db.drop_all()
        db.session.execute(text("DROP TABLE IF EXISTS apscheduler_jobs"))
        db.session.commit()
        foreign = inspect(db.engine).get_table_names()
        if foreign:  # they would be counted in the database's size
            print(f"the database holds tables the application does not know: {foreign}")
            return 2
        db.create_all()
        from netzwerk.demo import load_demo

        load_demo()
        db.session.commit()
        app.config["NETZWERK_SEARCH_INDEX"] = False
        _without_expression_indexes()
        started = time.perf_counter()
        _generate(args.papers, args.decisions, args.attachments)
        print(
            f"{db.engine.dialect.name}: generated {args.papers} papers "
            f"({args.attachments} with a PDF) and {args.decisions} decisions "
            f"in {time.perf_counter() - started:.1f} s"
        )
        from netzwerk.search import index

        index.clear()
        db.session.commit()
        before = _size()
        documents, seconds, expression_seconds = _index_all()
        app.config["NETZWERK_SEARCH_INDEX"] = True
        after = _size()  # PostgreSQL: with the planner's statistics (VACUUM ANALYZE)
        rate = documents / seconds
        share = (after - before) / before
        print(
            f"indexing: {documents} documents in {seconds:.1f} s = {rate:.0f} per second "
            f"(goal >= {GOAL_DOCS_PER_SECOND:.0f})"
            + (
                f"; of it {expression_seconds:.1f} s the expression indexes"
                if db.engine.dialect.name == "postgresql"
                else ""
            )
        )
        print(
            f"size: database {before / 1e6:.1f} MB without the index, "
            f"{after / 1e6:.1f} MB with it: +{share:.0%} (goal <= {GOAL_SIZE_SHARE:.0%})"
        )
        for name, size in _relations():
            print(f"  {name:32} {size / 1e6:6.1f} MB  {size / before:4.0%}")

        from netzwerk.auth.models import User
        from netzwerk.search.query import search

        office = db.session.scalar(select(User).where(User.email == "buero@osnabrueck.example"))
        member = db.session.scalar(select(User).where(User.email == "mitglied@osnabrueck.example"))
        rnd = random.Random(11)
        queries = _queries(rnd, args.queries)
        _time(_bare, queries[:10])  # warm up
        bare = _time(_bare, queries)
        ok = rate >= GOAL_DOCS_PER_SECOND and share <= GOAL_SIZE_SHARE
        for label, who in (("office", office), ("member", member), ("visitor", None)):
            _time(lambda q, who=who: search(who, q), queries[:5])
            times = _time(lambda q, who=who: search(who, q), queries)
            p95 = _p95(times)
            ok = ok and p95 < GOAL_P95_MS
            print(
                f"query as {label:8}: median {statistics.median(times):6.1f} ms, p95 {p95:6.1f} ms "
                f"(goal < {GOAL_P95_MS:.0f}); bare match p95 {_p95(bare):5.1f} ms, "
                f"ratio {p95 / max(_p95(bare), 0.01):.1f}"
            )
        print("goals met" if ok else "GOALS NOT MET")
        return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
