"""Every msgid of the public feedback pages is translated in all seven languages."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from .public_msgids import ROOT, public_msgids

LOCALES = ["de@ls", "en", "tr", "ar", "ru", "uk"]


def _translated(path: Path) -> set[str]:
    with path.open("rb") as fh:
        catalogue = read_po(fh)
    return {
        (m.id if isinstance(m.id, str) else m.id[0])
        for m in catalogue
        if m.id and not m.fuzzy and all(m.string if isinstance(m.string, tuple) else [m.string])
    }


@pytest.mark.parametrize("locale", LOCALES)
def test_public_pages_fully_translated(locale):
    path = ROOT / f"netzwerk/feedback/translations/{locale}/LC_MESSAGES/messages.po"
    missing = public_msgids() - _translated(path)
    assert not missing, f"{locale}: untranslated {sorted(missing)}"


def test_public_pages_fully_translated_in_german():
    german: set[str] = set()
    for path in [ROOT / "netzwerk/translations/de/LC_MESSAGES/messages.po"] + sorted(
        ROOT.glob("netzwerk/*/translations/de/LC_MESSAGES/messages.po")
    ):
        german |= _translated(path)
    assert not public_msgids() - german


def test_leichte_sprache_is_a_parsable_locale_and_page_says_lang_de(client):
    from babel import Locale

    assert Locale.parse("de@ls").language == "de"
    html = client.get("/rueckmeldung/ls/").get_data(as_text=True)
    assert '<html lang="de" dir="ltr">' in html
    assert "Um welches Thema geht es?" in html  # Leichte Sprache, not standard German
    assert "Worum geht es in Ihrer Rückmeldung?" not in html
    # Strings of other packages fall back to German, not to the English msgid.
    assert "Zum Inhalt" in html
