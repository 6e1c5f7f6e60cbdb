"""The search on PostgreSQL: texts matched where they live, through
expression indexes on the source tables (netzwerk.search.postgres).

* the database's fold is the Python fold (a property over German text with
  accents, ß, ẞ, combining marks, punctuation and digits);
* every kind's match paths find exactly what the document's whole vector
  (the way the index stored it before) finds, word by word;
* a search asks the expression indexes (EXPLAIN);
* the migration creates the same functions and indexes as the code, and
  moves the extracted file texts both ways.

Runs on PostgreSQL (``NETZWERK_TEST_DATABASE_URL``); on SQLite only the
comparison of the migration's copies with the code's definitions runs.
"""

from __future__ import annotations

import importlib.util
import zlib
from pathlib import Path
from typing import Any

import pytest
import test_migrations
from conftest import demo_body, demo_user, make_test_app
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, event, select, text
from sqlalchemy.engine import make_url

from netzwerk.database import utcnow
from netzwerk.extensions import db
from netzwerk.papers.files import add_attachment
from netzwerk.papers.services import create_paper
from netzwerk.search import analysis, index, postgres
from netzwerk.search.models import GIN_INDEX, MATCH_PATHS
from netzwerk.search.query import _matched, search

MIGRATION = (
    Path(__file__).resolve().parents[2]
    / "migrations"
    / "versions"
    / "e0cf6a7b8c9d_search_expression_indexes.py"
)
PATH_INDEXES = [path.name for paths in MATCH_PATHS.values() for path in paths]


def _migration() -> Any:
    spec = importlib.util.spec_from_file_location("search_expression_indexes", MIGRATION)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_migration_holds_the_codes_definitions():
    """The migration's copies (migrations never import the application)."""
    migration = _migration()
    assert migration.CREATE_FOLD == postgres.CREATE_FOLD
    assert migration.CREATE_VECTOR == postgres.CREATE_VECTOR
    declared = {
        path.name: (path.table.name, tuple(c.name for c in path.columns))
        for paths in MATCH_PATHS.values()
        for path in paths
    }
    assert {name: (table, columns) for name, table, columns in migration.INDEXES} == declared


@pytest.fixture
def pg(app_ctx: Any) -> Any:
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    return app_ctx


# --- the fold --------------------------------------------------------------------------

GERMAN = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZäöüÄÖÜßẞ"
ACCENTED = "éèêëàâáåãçñóòôõøíìîïúùûýÿÉÈÊÀÂÁÅÇÑÓÔÖÍÎÚÛÝæÆœŒłŁđĐšŠžŽčČřŘőŐűŰ"
COMBINING = "\u0300\u0301\u0302\u0303\u0308\u030a\u030c\u0327\u0323\u1dc0\u20d7\ufe20"
OTHER = " \n\t.,;:!?-–—_/\\'\"()[]{}&%$§+*#@<>|~^`°€0123456789½²ﬁﬂＡｂ"
ALPHABET = GERMAN + ACCENTED + COMBINING + OTHER


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    st.text(alphabet=ALPHABET, max_size=60),
    st.text(alphabet=ALPHABET, max_size=20),
)
@example("Straẞe, STRASSE und Straße: Förderung für Kinder", "Éducation naïve")
@example("A\u0308rger u\u0308ber O\u0308l", "ﬁnal ½ Ｆｕｌｌ")
def test_the_databases_fold_is_the_python_fold(pg, raw, other):
    folded, vector_equal, parts_equal = db.session.execute(
        text(
            "SELECT netzwerk_search_fold(:raw), "
            "to_tsvector('german', netzwerk_search_fold(:raw)) "
            "= to_tsvector('german', CAST(:folded AS text)), "
            "netzwerk_search_vector(ARRAY[CAST(:raw AS text), :other]) "
            "= to_tsvector('german', CAST(:both AS text))"
        ),
        {
            "raw": raw,
            "other": other,
            "folded": analysis.fold(raw),
            "both": analysis.fold(f"{raw} {other}"),
        },
    ).one()
    assert folded == analysis.fold(raw)
    assert vector_equal and parts_equal


# --- the match paths find what the document holds ---------------------------------------


def _pdf(body: str) -> bytes:
    from weasyprint import HTML

    return HTML(string=f"<p>{body}</p>").write_pdf()


def _matched_objects(query_text: str) -> set[tuple[str, int]]:
    matched, _rank, _narrow = _matched(analysis.parse(query_text, as_you_type=False))
    return {(kind, object_id) for kind, object_id in db.session.execute(select(matched))}


def test_the_match_paths_find_what_the_whole_document_holds(pg, full_demo):
    """For every kind with match paths and each of its documents: a word
    (or two, from different parts) matches through the paths exactly when
    the document's whole vector (what the index stored before, and still
    stores for the kinds without paths) matches it."""
    paper = create_paper(
        demo_user("member"),
        body_id=demo_body("VK").id,
        kind="resolution",
        title="Jahresbericht Ganztagsbetreuung",
        text="Siehe Anlage.",
    )
    add_attachment(
        demo_user("member"),
        paper,
        "anlage.pdf",
        _pdf("Der Zirkuswagen der Lernwerkstätten im Quartier."),
    )
    sources = index.sources()
    checked = 0
    for kind, source in sources.items():
        if not source.pg_paths:
            continue
        ids = index.all_ids(kind)[:25] + ([paper.id] if kind == "paper" else [])
        documents = source.documents(ids)
        assert documents, f"the demo has no {kind}"
        files = index.file_texts(sha for doc in documents for sha, _t in doc.file_shas)
        for doc in documents:
            body = "\n".join([doc.text, *(files.get(sha, "") for sha, _t in doc.file_shas)])
            title_words = analysis.words(doc.title)
            body_words = analysis.words(body)
            queries = {*title_words[:2], *body_words[:2], *body_words[-2:], "zzyzxwort"}
            if title_words and body_words:  # from different parts (paths)
                queries.add(f"{title_words[0]} {body_words[-1]}")
                queries.add(f"{title_words[-1]} {body_words[0]} {body_words[-1]}")
            whole = f"{doc.title}\n{body}"
            for query_text in sorted(queries):
                expected = db.session.scalar(
                    text(
                        "SELECT to_tsvector('german', CAST(:folded AS text)) "
                        "@@ to_tsquery('german', CAST(:query AS text))"
                    ),
                    {
                        "folded": analysis.fold(whole),
                        "query": " & ".join(analysis.parse(query_text, as_you_type=False).words),
                    },
                )
                found = (kind, doc.object_id) in _matched_objects(query_text)
                assert found == bool(expected), (kind, doc.object_id, query_text)
                checked += 1
    assert checked > 50
    # Words from the title and from the attached file together find the paper.
    office = demo_user("office")
    assert [h.title for h in search(office, "Ganztagsbetreuung Zirkuswagen").hits] == [
        "Jahresbericht Ganztagsbetreuung"
    ]
    # A stop word in the query is left out, as in the whole query.
    assert [h.title for h in search(office, "und Zirkuswagen").hits] == [
        "Jahresbericht Ganztagsbetreuung"
    ]


def test_a_search_asks_the_expression_indexes(pg, full_demo):
    """The query's expressions are the indexed ones: with sequential scans
    off, the plans of the statements a one- and a two-word search runs use
    every path's index and the stored vectors' GIN index."""
    db.session.execute(text("SET LOCAL enable_seqscan = off"))
    office = demo_user("office")
    for query_text in ("Sprachförderung", "Sprachförderung Kit"):
        ran: list[tuple[str, Any]] = []

        def note(_conn, _cursor, statement, parameters, _context, _many):
            if "@@" in statement:
                ran.append((statement, parameters))

        event.listen(db.engine, "before_cursor_execute", note)
        try:
            search(office, query_text)
        finally:
            event.remove(db.engine, "before_cursor_execute", note)
        assert ran
        plan = "\n".join(
            line
            for statement, parameters in ran
            for line in db.session.connection()
            .exec_driver_sql(f"EXPLAIN {statement}", parameters)
            .scalars()
        )
        for name in [*PATH_INDEXES, GIN_INDEX]:
            assert f"Index Scan on {name}" in plan, (query_text, name, plan)
    db.session.rollback()


# --- the migration ------------------------------------------------------------------------


# A fresh PostgreSQL database per test, dropped after it (test_migrations').
empty_postgres_url = test_migrations.empty_postgres_url


def _definitions(url: str) -> dict[str, str]:
    """The search's indexes and functions as PostgreSQL describes them."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            found = dict(
                conn.execute(
                    text(
                        "SELECT indexname, indexdef FROM pg_indexes WHERE indexname = ANY(:names) "
                        "UNION ALL SELECT proname, pg_get_functiondef(oid) FROM pg_proc "
                        "WHERE proname LIKE 'netzwerk_search_%'"
                    ),
                    {"names": [*PATH_INDEXES, GIN_INDEX]},
                ).all()
            )
    finally:
        engine.dispose()
    return {name: str(definition) for name, definition in found.items()}


def _migrate(url: str, revision: str = "head", *, down: bool = False) -> None:
    from flask_migrate import downgrade, upgrade
    from test_migrations import _logging_preserved

    app = make_test_app(url)
    try:
        with app.app_context(), _logging_preserved():
            (downgrade if down else upgrade)(revision=revision)
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_the_migration_makes_what_the_code_makes(app, empty_postgres_url):
    _migrate(empty_postgres_url)
    migrated = _definitions(empty_postgres_url)
    made = _definitions(app.config["SQLALCHEMY_DATABASE_URI"])  # create_all
    assert set(made) == {*PATH_INDEXES, GIN_INDEX, postgres.FOLD_FUNCTION, postgres.VECTOR_FUNCTION}
    assert migrated == made


def test_the_migration_moves_the_file_texts_both_ways(app, empty_postgres_url):
    before = "e0be5f6a7b8c"
    _migrate(empty_postgres_url, before)
    words = "Die Lernwerkstätten im Quartier"
    engine = create_engine(empty_postgres_url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO search_file_text (sha256, text_z, extracted_at) "
                    "VALUES ('a1', :z, :at)"
                ),
                {"z": zlib.compress(words.encode("utf-8")), "at": utcnow()},
            )
        _migrate(empty_postgres_url)
        with engine.connect() as conn:
            row = conn.execute(
                text(
                    "SELECT text, text_z, netzwerk_search_vector(ARRAY[text]) "
                    "@@ to_tsquery('german', 'quartier') FROM search_file_text"
                )
            ).one()
        assert row == (words, None, True)
        _migrate(empty_postgres_url, before, down=True)
        with engine.connect() as conn:
            data = conn.execute(text("SELECT text_z FROM search_file_text")).scalar_one()
            functions = conn.execute(
                text("SELECT count(*) FROM pg_proc WHERE proname LIKE 'netzwerk_search_%'")
            ).scalar_one()
        assert zlib.decompress(data).decode("utf-8") == words
        assert functions == 0
    finally:
        engine.dispose()


def test_a_dump_restores_with_its_search_indexes(app, empty_postgres_url):
    """A backup taken with pg_dump restores whole: psql runs it with an empty
    search_path, and the indexes call the search's functions (the functions
    have SQL-standard bodies, resolved when they were made)."""
    import shutil
    import subprocess

    if shutil.which("pg_dump") is None or shutil.which("psql") is None:
        pytest.fail("pg_dump and psql are needed (Debian: postgresql-client)")
    _migrate(empty_postgres_url)
    source = make_url(empty_postgres_url)
    target = source.set(database=f"{source.database}_restored")
    admin = create_engine(source.set(database="postgres"), isolation_level="AUTOCOMMIT")

    def libpq(url: Any) -> str:
        return url.set(drivername="postgresql").render_as_string(hide_password=False)

    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{target.database}"'))
        dump = subprocess.run(
            ["pg_dump", "--no-owner", libpq(source)], capture_output=True, check=True, text=True
        ).stdout
        restore = subprocess.run(
            ["psql", "-v", "ON_ERROR_STOP=1", "-q", libpq(target)],
            input=dump,
            capture_output=True,
            text=True,
        )
        assert restore.returncode == 0, restore.stderr
        restored = _definitions(target.render_as_string(hide_password=False))
        assert set(restored) >= {*PATH_INDEXES, postgres.FOLD_FUNCTION, postgres.VECTOR_FUNCTION}
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
        admin.dispose()
