"""Check that every msgid of the project has a German translation.

``python -m netzwerk.i18n_check`` lists the msgids missing from the German
catalogues (netzwerk/translations and netzwerk/*/translations), with the
file that uses them.  The test suite runs the same check.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
METHOD_MAP = [("netzwerk/**.py", "python"), ("templates/**.html", "jinja2")]
OPTIONS_MAP = {"templates/**.html": {"extensions": "jinja2.ext.do"}}
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "lazy_gettext": None,
    "_l": None,
    "pgettext": ((1, "c"), 2),
    "lazy_ngettext": (1, 2),
}


def catalogue_files() -> list[Path]:
    files = [ROOT / "netzwerk/translations/de/LC_MESSAGES/messages.po"]
    files += sorted(ROOT.glob("netzwerk/*/translations/de/LC_MESSAGES/messages.po"))
    return [f for f in files if f.exists()]


def translated_ids() -> tuple[set[str], list[str]]:
    """Translated msgids of all German catalogues, and their problems.

    The catalogues are merged at run time, so one msgid translated two ways
    in two packages would show whichever loads last: that is a problem too.
    """
    ids: set[str] = set()
    problems: list[str] = []
    seen: dict[str, tuple[str, Path]] = {}
    for path in catalogue_files():
        with path.open("rb") as fh:
            catalogue = read_po(fh)
        for message in catalogue:
            if not message.id:
                continue
            msgid = str(message.id[0] if isinstance(message.id, (tuple, list)) else message.id)
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            if message.fuzzy:
                problems.append(f"{path.relative_to(ROOT)}: fuzzy: {msgid!r}")
            elif not all(strings):
                problems.append(f"{path.relative_to(ROOT)}: empty translation: {msgid!r}")
            else:
                ids.add(msgid)
                translation = str(strings[0])
                earlier = seen.setdefault(msgid, (translation, path))
                if earlier[0] != translation:
                    problems.append(
                        f"{path.relative_to(ROOT)}: {msgid!r} is {translation!r} here but "
                        f"{earlier[0]!r} in {earlier[1].relative_to(ROOT)}"
                    )
    return ids, problems


def used_ids() -> dict[str, str]:
    found: dict[str, str] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), METHOD_MAP, OPTIONS_MAP, keywords=KEYWORDS
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        if msgid:
            found.setdefault(msgid, f"{filename}:{lineno}")
    return found


def missing() -> list[str]:
    ids, problems = translated_ids()
    out = list(problems)
    for msgid, where in sorted(used_ids().items(), key=lambda kv: kv[1]):
        if msgid not in ids:
            out.append(f"{where}: missing German translation: {msgid!r}")
    return out


def main() -> int:
    problems = missing()
    for line in problems:
        print(line)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
