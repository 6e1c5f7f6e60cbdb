"""The search on the database (SQLite FTS5 here, PostgreSQL's ``german``
configuration when the suite runs there): word forms, folding, prefixes,
snippets, facets, access, attachments, and an index that follows every
change in its transaction."""

from __future__ import annotations

import pytest
from conftest import demo_body, demo_user
from sqlalchemy import func, inspect, select

from netzwerk.database import write_transaction
from netzwerk.extensions import db
from netzwerk.governance.models import Body
from netzwerk.papers.files import add_attachment
from netzwerk.papers.services import create_paper, update_paper
from netzwerk.search import index
from netzwerk.search.models import GIN_INDEX, SearchDocument, SearchFileText
from netzwerk.search.query import Filters, search
from netzwerk.workflow import registry
from netzwerk.workflow import services as workflow


def _paper(title: str, text: str, *, body: str = "VK", author: str = "member", **kw):
    return create_paper(
        demo_user(author),
        body_id=demo_body(body).id,
        kind="resolution",
        title=title,
        text=text,
        **kw,
    )


def _titles(results) -> list[str]:
    return [hit.title for hit in results.hits]


def _found(who, text: str, **filters) -> list[str]:
    return _titles(search(who, text, Filters(**filters)))


def test_word_forms_umlauts_and_prefixes_find_the_paper(app_ctx, demo):
    _paper("Sprachförderung in Kitas", "Die Förderungen der Sprache beginnen früh.")
    office = demo_user("office")
    assert _found(office, "Sprachförderungen") == ["Sprachförderung in Kitas"]
    assert _found(office, "foerderung") == ["Sprachförderung in Kitas"]
    assert _found(office, "Sprachf") == ["Sprachförderung in Kitas"]  # as you type
    assert _found(office, "kitas sprachfoerd") == ["Sprachförderung in Kitas"]
    assert _found(office, "Musikschule") == []


def test_title_hits_rank_first(app_ctx, demo):
    _paper("Elternabend", "Thema: Schulobst für alle Klassen.")
    _paper("Schulobst im Quartier", "Äpfel und Birnen.")
    for title in ("Hortplätze", "Schulbau", "Ferienpass", "Lernorte", "Mensa", "Busse"):
        _paper(title, "Bericht der Verwaltung.")  # the word is rare (SQLite: bm25)
    office = demo_user("office")
    assert _found(office, "Schulobst") == ["Schulobst im Quartier", "Elternabend"]
    assert _found(office, "Schulobst ") == ["Schulobst im Quartier", "Elternabend"]


def test_results_show_highlighted_snippets_and_facets(app_ctx, demo):
    _paper("Lesepaten an Grundschulen", "Lesepaten begleiten Kinder beim Lesen.")
    _paper("Lesepaten im Stadtteil", "Ehrenamtliche Lesepaten.", body="BK")
    results = search(demo_user("office"), "lesepaten")
    assert results.total == 2
    assert all("<mark>Lesepaten</mark>" in str(hit.snippet) for hit in results.hits)
    kinds = {f.value: f.count for f in results.facets["kind"]}
    assert kinds == {"paper": 2}
    bodies = {f.label: f.count for f in results.facets["body_id"]}
    assert bodies == {demo_body("VK").name: 1, demo_body("BK").name: 1}
    assert results.facets["year"] and results.facets["state"]
    # A facet narrows the results and keeps the other facets' counts honest.
    narrowed = search(demo_user("office"), "lesepaten", Filters(body_id=demo_body("BK").id))
    assert _titles(narrowed) == ["Lesepaten im Stadtteil"]
    assert {f.label: f.count for f in narrowed.facets["body_id"]} == bodies


def test_access_is_filtered_in_the_query(app_ctx, demo):
    member = demo_user("member")
    bodies_of_member = {
        b.id
        for b in db.session.scalars(select(Body))
        if registry.body_roles(member.person_id, b.id)
    }
    foreign = next(
        b
        for b in db.session.scalars(select(Body).order_by(Body.id))
        if b.id not in bodies_of_member
    )
    secret = create_paper(
        demo_user("office"),
        body_id=foreign.id,
        kind="resolution",
        title="Geheimsache Schulentwicklung",
        text="vertraulich",
    )
    assert secret.public is False
    assert _found(demo_user("office"), "Schulentwicklung") == ["Geheimsache Schulentwicklung"]
    assert _found(member, "Schulentwicklung") == []
    assert _found(None, "Schulentwicklung") == []
    assert search(member, "Schulentwicklung").facets["kind"] == []  # not even counted
    # A draft, even a public one, is the author's and their body's only.
    _paper("Entwurf Ganztag", "Ganztagsschule", public=True)
    assert _found(member, "Ganztag") == ["Entwurf Ganztag"]
    assert _found(None, "Ganztag") == []


def _feedback(code: str, text: str, language: str):  # type: ignore[no-untyped-def]
    """A feedback of the first category, at the start of its workflow."""
    from netzwerk.feedback.models import Feedback, FeedbackChoice
    from netzwerk.feedback.services import ensure_default_choices

    ensure_default_choices()
    category = db.session.scalar(select(FeedbackChoice).where(FeedbackChoice.kind == "category"))
    with write_transaction():
        feedback = Feedback(
            receipt_code=code, category_id=category.id, rating=3, text=text, language=language
        )
        db.session.add(feedback)
        db.session.flush()
        workflow.start(feedback, workflow.workflow_for(None, "feedback"), None)
    return feedback


def test_feedback_is_found_by_staff_only(app_ctx, demo):
    _feedback("ABCDEFGH", "Mehr Hausaufgabenhilfe im Schinkel", "de")
    assert _found(demo_user("office"), "Hausaufgabenhilfe")
    assert _found(demo_user("member"), "Hausaufgabenhilfe") == []
    assert _found(None, "Hausaufgabenhilfe") == []


def test_staff_find_feedback_by_its_working_translation_until_a_redaction(app_ctx, demo):
    from netzwerk.feedback import services as feedback_services
    from netzwerk.feedback import working

    feedback = _feedback("TRKCEVIR", "Okulda ödev yardımı yok", "tr")
    office = demo_user("office")
    assert _found(office, "Hausaufgabenhilfe") == []
    working.save_working_translation(
        office, feedback.id, text="In der Schule fehlt Hausaufgabenhilfe", translator="B. Yilmaz"
    )
    assert len(_found(office, "Hausaufgabenhilfe")) == 1
    assert _found(demo_user("member"), "Hausaufgabenhilfe") == []
    # A redaction of the original makes the translation stale: it may hold
    # what was removed, so it is no longer found until it is saved again.
    feedback_services.redact(office, feedback.id, "Okulda [...] yok")
    assert _found(office, "Hausaufgabenhilfe") == []
    working.save_working_translation(
        office, feedback.id, text="In der Schule fehlt [...]", translator="B. Yilmaz"
    )
    assert _found(office, "Hausaufgabenhilfe") == []
    assert len(_found(office, "Schule fehlt")) == 1


def test_the_text_of_a_pdf_attachment_is_found_and_extracted_once(app_ctx, demo):
    from weasyprint import HTML

    pdf = HTML(string="<p>Der Bericht nennt die Lernwerkstatt Eversburg.</p>").write_pdf()
    paper = _paper("Jahresbericht", "Siehe Anlage.")
    add_attachment(demo_user("member"), paper, "bericht.pdf", pdf)
    assert _found(demo_user("office"), "Lernwerkstatt") == ["Jahresbericht"]
    # A word of the title and one of the file together (PostgreSQL: two
    # match paths, each word found in one of them).
    assert _found(demo_user("office"), "Jahresbericht Eversburg") == ["Jahresbericht"]
    assert _found(demo_user("office"), "Jahresbericht Zebrastreifen") == []
    second = _paper("Jahresbericht, Kopie", "Siehe Anlage.")
    add_attachment(demo_user("member"), second, "bericht.pdf", pdf)
    assert db.session.scalar(select(func.count()).select_from(SearchFileText)) == 1
    assert len(_found(demo_user("office"), "Eversburg")) == 2


def test_the_index_follows_every_change_in_its_transaction(app_ctx, demo):
    paper = _paper("Schulwegsicherheit", "Zebrastreifen")
    member = demo_user("member")
    update_paper(member, paper, title="Sichere Schulwege", text="Lotsen", public=False)
    assert _found(demo_user("office"), "Zebrastreifen") == []
    assert _found(demo_user("office"), "Lotsen") == ["Sichere Schulwege"]
    # What is rolled back never reaches the index.
    with pytest.raises(RuntimeError), write_transaction():
        _paper("Verworfener Antrag", "Seifenkisten")
        raise RuntimeError("abandoned")
    assert _found(demo_user("office"), "Seifenkisten") == []
    # A workflow step (a Core UPDATE) moves the state facet along.
    before = db.session.scalar(
        select(SearchDocument.state).where(
            SearchDocument.object_id == paper.id, SearchDocument.kind == "paper"
        )
    )
    step = workflow.available_transitions(member, paper)[0]
    workflow.fire(member, paper, step.transition.name, comment="x")
    after = db.session.scalar(
        select(SearchDocument.state).where(
            SearchDocument.object_id == paper.id, SearchDocument.kind == "paper"
        )
    )
    assert before != after == step.to_title


def test_savepoints_are_indexed_once_when_the_transaction_commits(app_ctx, demo, monkeypatch):
    """Each write_transaction() inside another is a savepoint: its objects
    are indexed when the outermost transaction commits, once, and a
    savepoint that rolls back loses neither its neighbours' documents nor
    leaves its own."""
    calls: list[tuple[str, list[int]]] = []
    refresh = index.refresh
    monkeypatch.setattr(
        index, "refresh", lambda kind, ids: (calls.append((kind, list(ids))), refresh(kind, ids))
    )
    with write_transaction():
        kept = [_paper(f"Lernort {n}", "Werkstattbericht") for n in range(3)]
        with pytest.raises(RuntimeError), write_transaction():
            _paper("Verworfen", "Werkstattbericht")
            raise RuntimeError("abandoned")
        last = _paper("Lernort 3", "Werkstattbericht")
        assert calls == []  # nothing written before the commit
    papers = [ids for kind, ids in calls if kind == "paper"]
    assert len(papers) == 1 and {p.id for p in [*kept, last]} <= set(papers[0])
    found = _found(demo_user("office"), "Werkstattbericht")
    assert sorted(found) == ["Lernort 0", "Lernort 1", "Lernort 2", "Lernort 3"]


def test_reindex_rebuilds_the_index(app, demo):
    with app.app_context():
        _paper("Bildungsmonitoring Bericht", "Kennzahlen")
        count = db.session.scalar(select(func.count()).select_from(SearchDocument))
        index.clear()
        db.session.commit()
        assert _found(demo_user("office"), "Kennzahlen") == []
    result = app.test_cli_runner().invoke(args=["netzwerk", "search", "reindex"])
    assert result.exit_code == 0, result.output
    assert "documents indexed" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SearchDocument)) == count
        assert _found(demo_user("office"), "Kennzahlen") == ["Bildungsmonitoring Bericht"]
        # PostgreSQL: the GIN index, dropped for the rebuild, is back.
        indexes = {ix["name"] for ix in inspect(db.engine).get_indexes("search_document")}
        assert GIN_INDEX in indexes or db.engine.dialect.name == "sqlite"


def test_the_search_page_for_visitors_and_members(client, client_as, app, demo):
    with app.app_context():
        _paper("Kulturrucksack", "Museumsbesuche für alle Klassen")
    visitor = client.get("/suche?q=Kulturrucksack")
    assert visitor.status_code == 200
    assert "0 Treffer" in visitor.get_data(True) and "/vorlagen/" not in visitor.get_data(True)
    page = client_as("member").get("/suche?q=Museumsbesuch").get_data(True)
    assert "1 Treffer" in page and "Kulturrucksack</a>" in page
    assert "<mark>Museumsbesuche</mark>" in page
    partial = client_as("member").get("/suche?q=Kulturr&teil=1").get_data(True)
    assert "Kulturrucksack" in partial and "<html" not in partial
    for bad in (
        "seite=²",
        "seite=" + "9" * 5000,
        "jahr=abc",
        "gremium=-1",
        "art=nix",
        "q=" + "x" * 5000,
        'q="*^(',
        "q=%00",
    ):
        assert client_as("member").get(f"/suche?{bad}").status_code == 200, bad


def test_replaced_documents_are_compacted_away_at_night(app_ctx, demo):
    paper = _paper("Ferienbetreuung", "Sommer")
    member = demo_user("member")
    for round_ in range(3):
        update_paper(member, paper, title=f"Ferienbetreuung {round_}", text="Sommer", public=False)
    assert _found(demo_user("office"), "Ferienbetreuung") == ["Ferienbetreuung 2"]
    if db.session.get_bind().dialect.name != "sqlite":
        assert index.garbage() == 0  # PostgreSQL updates its rows in place
        return
    assert index.garbage() >= 3  # the old versions' entries match no row
    assert index.compact() == 0  # too little to rebuild for
    from netzwerk.scheduler import JOBS

    assert JOBS["search.compact"].func is index.compact
    documents = index.rebuild()
    assert documents and index.garbage() == 0
    assert _found(demo_user("office"), "Ferienbetreuung") == ["Ferienbetreuung 2"]
