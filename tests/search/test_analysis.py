"""German analysis of the search: folding, stems, prefixes, snippets (no database)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from netzwerk.search import analysis


def test_word_forms_share_a_stem():
    assert analysis.stems("Sprachförderungen") == analysis.stems("Sprachförderung")
    assert analysis.stems("Beschlüsse") == analysis.stems("Beschluss")


def test_umlauts_and_sharp_s_are_folded():
    assert analysis.stems("foerderung") == analysis.stems("Förderung")
    assert analysis.stems("Strasse") == analysis.stems("Straße")
    assert analysis.fold("Éducation Ärger") == "education aerger"


def test_the_last_word_is_a_prefix_while_typing():
    query = analysis.parse("Kita Sprachf")
    assert query.words == ("kita",) and query.prefix == "sprachf"
    assert analysis.parse("Kita Sprachf ").prefix is None  # the word is complete
    assert analysis.parse("a").empty is False and analysis.parse("a").prefix is None
    assert analysis.parse("  ,;  ").empty


def test_snippets_mark_the_matched_words_and_escape_the_text():
    query = analysis.parse("foerderung", as_you_type=False)
    text = "Vorab: <b>Sprachförderung</b> in Kitas und Förderungen für alle."
    snippet = str(analysis.snippet(text, query))
    assert "<mark>Förderungen</mark>" in snippet
    assert "&lt;b&gt;" in snippet and "<b>" not in snippet
    # The whole word matches by its stem only if it is that word:
    assert "<mark>Sprachförderung</mark>" not in snippet


def test_a_long_text_is_cut_around_the_matches():
    text = " ".join(["Wort"] * 200 + ["Lesepatenschaft"] + ["Wort"] * 200)
    snippet = str(analysis.snippet(text, analysis.parse("lesepatenschaft", as_you_type=False)))
    assert snippet.startswith("… ") and snippet.endswith(" …")
    assert "<mark>Lesepatenschaft</mark>" in snippet
    assert len(snippet) < 400


@given(st.text(max_size=300))
def test_any_query_parses_into_safe_words(text):
    query = analysis.parse(text)
    for word in (*query.words, *(query.prefixes())):
        assert word and all(ch.isalnum() or ch == "_" for ch in word)
    analysis.snippet(text, query)
