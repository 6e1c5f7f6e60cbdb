"""German text analysis for the search: folding, tokens, stems, snippets.

One function turns text into what is indexed and what is asked, so that the
index and the query always agree:

* case is folded and umlauts and ß are written out (``Förderung`` and
  ``foerderung`` are the same word, ``Straße`` and ``Strasse`` too);
* on SQLite every word is reduced to its Snowball stem (``Sprachförderungen``
  → ``sprachforder``), on PostgreSQL the database's ``german`` configuration
  stems the folded words (folded in the database by
  ``netzwerk_search_fold``, which does what :func:`fold` does: see
  :mod:`.postgres`);
* the last word of a query is also a prefix (search as you type).

Snippets are made here from the original text, by the same stems, so the
highlighted words are the ones that matched.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

from markupsafe import Markup, escape

WORD = re.compile(r"\w+", re.UNICODE)
# Umlauts and ß written out, the way a keyboard without them spells them.
_TRANSLITERATION = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
MAX_QUERY_WORDS = 12
MIN_PREFIX = 2


@functools.lru_cache(maxsize=1)
def _stemmer() -> object:
    import snowballstemmer

    return snowballstemmer.stemmer("german")


_COMBINING = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


def fold(text: str) -> str:
    """Lower case, umlauts and ß written out, other accents dropped."""
    text = text.lower()
    if text.isascii():
        return text
    text = unicodedata.normalize("NFC", text).translate(_TRANSLITERATION)
    if text.isascii():
        return text
    return _COMBINING.sub("", unicodedata.normalize("NFKD", text))


def words(text: str) -> list[str]:
    """The folded words of a text."""
    return WORD.findall(fold(text))


@functools.lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The Snowball stem of one folded word (``foerderungen`` → ``forder``)."""
    return str(_stemmer().stemWord(word))  # type: ignore[attr-defined]


def stems(text: str) -> str:
    """What SQLite's index holds for a text: its stems, in order."""
    return " ".join(stem(word) for word in words(text))


@dataclass(frozen=True)
class Query:
    """A parsed query: whole words (stemmed) and the prefix being typed."""

    words: tuple[str, ...]  # folded
    prefix: str | None  # folded; the last word when it may still grow

    @property
    def empty(self) -> bool:
        return not self.words and not self.prefix

    def stems(self) -> set[str]:
        return {stem(word) for word in self.words}

    def prefixes(self) -> set[str]:
        """The prefix in both forms the index may hold it in."""
        if not self.prefix:
            return set()
        return {stem(self.prefix), self.prefix}


def parse(text: str, *, as_you_type: bool = True) -> Query:
    """The words of a query; the last one is a prefix as well (when typing)."""
    found = words(text or "")[:MAX_QUERY_WORDS]
    if not found:
        return Query((), None)
    if as_you_type and len(found[-1]) >= MIN_PREFIX and not (text or "").endswith(" "):
        return Query(tuple(found[:-1]), found[-1])
    return Query(tuple(found), None)


MAX_SNIPPET_TOKENS = 20000  # a snippet looks for hits this far into a text
_SPLIT = re.compile(r"(\w+)", re.UNICODE)


@functools.lru_cache(maxsize=65536)
def _folded_and_stem(word: str) -> tuple[str, str]:
    """A word of a text as the index knows it: (folded, stem of the folded)."""
    folded = fold(word)
    return folded, stem(folded) if folded else ""


def matching_words(words: set[str], query: Query) -> set[str]:
    """Those of ``words`` the query asked for (by stem, or as the prefix
    being typed)."""
    wanted = query.stems()
    prefixes = tuple(query.prefixes())
    found = set()
    for word in words:
        folded, stemmed = _folded_and_stem(word)
        if not folded:
            continue
        if stemmed in wanted or (
            prefixes and (stemmed.startswith(prefixes) or folded.startswith(prefixes))
        ):
            found.add(word)
    return found


def snippet(text: str, query: Query, *, width: int = 30) -> Markup:
    """About ``width`` words of ``text`` around the most matches, the matched
    words in ``<mark>``; the start of the text when nothing matches."""
    # [separator, word, separator, word, ..., separator]
    parts = _SPLIT.split(text or "", maxsplit=MAX_SNIPPET_TOKENS)
    words = parts[1::2]
    if not words:
        return Markup("")
    hit_words = matching_words(set(words), query)
    hits = [i for i, word in enumerate(words) if word in hit_words]
    first = 0
    if hits:
        best, best_count, window = hits[0], 0, 0
        for n, start in enumerate(hits):  # the window with the most hits
            while window < len(hits) and hits[window] < start + width:
                window += 1
            if window - n > best_count:
                best, best_count = start, window - n
        first = max(0, best - width // 4)
    last = min(len(words), first + width)
    out = ["… " if first > 0 else ""]
    for i in range(first, last):
        if i > first:
            out.append(str(escape(parts[2 * i])))
        word = words[i]
        out.append(f"<mark>{escape(word)}</mark>" if word in hit_words else str(escape(word)))
    if last < len(words):
        out.append(" …")
    # Every piece of the text was escaped above; only <mark> is markup.
    return Markup("".join(out).replace("\n", " "))  # noqa: S704
