"""What makes a password acceptable (beyond its length).

A password a person chooses (change, reset link, first password) must not be
easy to guess: zxcvbn must rate it at least ``MIN_SCORE`` (3 of 4), knowing
the person's name, e-mail address and the words of this network; it must not
contain the person's own name or the local part of their e-mail address, nor
a long run of one character, nor be one of the common passwords shipped here.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from flask_babel import gettext as _

MIN_SCORE = 3
ZXCVBN_MAX_LENGTH = 72
MIN_NAME_PART = 3  # shorter name parts ("Li", "Ek") would refuse too much
MAX_RUN = 4  # five or more of one character in a row are refused

_RUN = re.compile(r"(.)\1{" + str(MAX_RUN) + ",}", re.DOTALL)
_SPLIT = re.compile(r"[\W_\d]+", re.UNICODE)

# Words every guesser tries here: German common passwords and the network's
# own words (zxcvbn's dictionaries are English).
LOCAL_WORDS = (
    "passwort",
    "kennwort",
    "geheim",
    "hallo",
    "willkommen",
    "sommer",
    "winter",
    "fruehling",
    "frühling",
    "herbst",
    "schatz",
    "qwertz",
    "asdfgh",
    "netzwerk",
    "bildung",
    "bildungsbuero",
    "bildungsbüro",
    "bildungslandschaft",
    "osnabrueck",
    "osnabrück",
    "schule",
    "rathaus",
)

# Common passwords of German-speaking users (the top of the published lists),
# compared after lower-casing; longer than 12 characters or not, they are out.
COMMON_PASSWORDS = frozenset(
    {
        "123456789012",
        "1234567890123",
        "passwort1234",
        "passwort12345",
        "passwort123456",
        "hallo1234567",
        "hallohallo12",
        "qwertzuiopü+",
        "qwertzuiop12",
        "qwertzuiop123",
        "ichliebedich1",
        "ichliebedich12",
        "ichliebedich123",
        "schatz123456",
        "geheimgeheim",
        "passwortpasswort",
        "willkommen123",
        "willkommen1234",
        "fussball1234",
        "fußball1234",
        "netzwerk2026",
        "netzwerk2025",
        "osnabrueck2026",
        "osnabrück2026",
        "sommer2026!!",
        "password1234",
        "password12345",
        "iloveyou1234",
        "qwertyuiop12",
        "letmein12345",
        "1q2w3e4r5t6z",
        "1q2w3e4r5t6y",
    }
)


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def personal_words(names: Iterable[str | None], email: str | None) -> list[str]:
    """The parts of a person's names and e-mail local part a password may
    not contain (each at least ``MIN_NAME_PART`` characters long)."""
    words: list[str] = []
    for name in names:
        if name:
            words.extend(_SPLIT.split(_fold(name)))
    if email:
        local = _fold(email).partition("@")[0]
        words.append(local)
        words.extend(_SPLIT.split(local))
    seen: list[str] = []
    for word in words:
        if len(word) >= MIN_NAME_PART and word not in seen:
            seen.append(word)
    return seen


def strength_problem(
    password: str, *, names: Iterable[str | None] = (), email: str | None = None
) -> str | None:
    """Why the password is refused (a German sentence for the form), or None."""
    folded = _fold(password)
    if _RUN.search(password):
        return _("The password repeats one character more than %(n)d times in a row.", n=MAX_RUN)
    own = personal_words(names, email)
    for word in own:
        if word in folded:
            return _("The password must not contain your name or your e-mail address.")
    if folded in COMMON_PASSWORDS:
        return _("This password is one of the most common passwords; please choose another.")
    from zxcvbn import zxcvbn

    # zxcvbn refuses more than 72 characters (its cost grows with the
    # length); the rating of the first 72 decides (a longer password is not
    # weaker for its tail).
    result = zxcvbn(password[:ZXCVBN_MAX_LENGTH], user_inputs=[*own, *LOCAL_WORDS])
    if result["score"] < MIN_SCORE:
        return _(
            "This password is too easy to guess (for example a common word, a name, "
            "a date or a keyboard pattern). A sentence of several unusual words works well."
        )
    return None
