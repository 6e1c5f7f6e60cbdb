"""Fixed vocabularies of the feedback form and the seed of the configurable lists.

The configurable lists (need categories, target groups, districts) live in
the database (FeedbackChoice) with a label per language; SEED_CHOICES is only
what a new installation starts with.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

# label order: de, ls (Leichte Sprache), en, tr, ar, ru, uk
_ORDER = ("de", "ls", "en", "tr", "ar", "ru", "uk")


def _code(name: str) -> str:
    """An ASCII code for a German name ("Lüstringen" -> "luestringen")."""
    table = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "/": "_", " ": "_"})
    return name.lower().translate(table)


def _labels(*values: str) -> dict[str, str]:
    return dict(zip(_ORDER, values, strict=True))


SEED_CHOICES: dict[str, list[tuple[str, dict[str, str]]]] = {
    "category": [
        (
            "childcare",
            _labels(
                "Kinderbetreuung",
                "Betreuung für Kinder",
                "Childcare",
                "Çocuk bakımı",
                "رعاية الأطفال",
                "Уход за детьми",
                "Догляд за дітьми",
            ),
        ),
        ("school", _labels("Schule", "Schule", "School", "Okul", "المدرسة", "Школа", "Школа")),
        (
            "transition",
            _labels(
                "Übergang in Ausbildung",
                "Von der Schule in die Ausbildung",
                "Transition to training",
                "Meslek eğitimine geçiş",
                "الانتقال إلى التدريب المهني",
                "Переход к профессиональному обучению",
                "Перехід до професійного навчання",
            ),
        ),
        (
            "vocational_training",
            _labels(
                "Berufsausbildung",
                "Ausbildung für einen Beruf",
                "Vocational training",
                "Mesleki eğitim",
                "التدريب المهني",
                "Профессиональное обучение",
                "Професійне навчання",
            ),
        ),
        (
            "language_courses",
            _labels(
                "Sprachkurse",
                "Kurse für Sprachen",
                "Language courses",
                "Dil kursları",
                "دورات اللغة",
                "Языковые курсы",
                "Мовні курси",
            ),
        ),
        (
            "further_education",
            _labels(
                "Weiterbildung",
                "Weiter lernen für den Beruf",
                "Further education",
                "Sürekli eğitim",
                "التعليم المستمر",
                "Повышение квалификации",
                "Підвищення кваліфікації",
            ),
        ),
        (
            "counselling",
            _labels(
                "Beratung",
                "Beratung",
                "Counselling",
                "Danışmanlık",
                "الاستشارة",
                "Консультации",
                "Консультації",
            ),
        ),
        (
            "leisure_culture",
            _labels(
                "Freizeit und Kultur",
                "Freizeit und Kultur",
                "Leisure and culture",
                "Boş zaman ve kültür",
                "أوقات الفراغ والثقافة",
                "Досуг и культура",
                "Дозвілля та культура",
            ),
        ),
    ],
    "target_group": [
        (
            "children",
            _labels("Kinder", "Kinder", "Children", "Çocuklar", "الأطفال", "Дети", "Діти"),
        ),
        (
            "young_people",
            _labels(
                "Jugendliche",
                "Jugendliche",
                "Young people",
                "Gençler",
                "الشباب",
                "Молодёжь",
                "Молодь",
            ),
        ),
        (
            "parents",
            _labels(
                "Eltern", "Eltern", "Parents", "Ebeveynler", "الآباء والأمهات", "Родители", "Батьки"
            ),
        ),
        (
            "adults",
            _labels(
                "Erwachsene",
                "Erwachsene",
                "Adults",
                "Yetişkinler",
                "البالغون",
                "Взрослые",
                "Дорослі",
            ),
        ),
        (
            "seniors",
            _labels(
                "Ältere Menschen",
                "Ältere Menschen",
                "Older people",
                "Yaşlılar",
                "كبار السن",
                "Пожилые люди",
                "Літні люди",
            ),
        ),
        (
            "professionals",
            _labels(
                "Fachkräfte in der Bildung",
                "Menschen, die in der Bildung arbeiten",
                "Education professionals",
                "Eğitim çalışanları",
                "العاملون في التعليم",
                "Специалисты в сфере образования",
                "Фахівці у сфері освіти",
            ),
        ),
    ],
    # The 23 Stadtteile of Osnabrück; names are proper nouns, the same in every language.
    "district": [
        (_code(name), {"de": name})
        for name in (
            "Innenstadt",
            "Weststadt",
            "Westerberg",
            "Eversburg",
            "Hafen",
            "Sonnenhügel",
            "Haste",
            "Dodesheide",
            "Gartlage",
            "Schinkel",
            "Schinkel-Ost",
            "Widukindland",
            "Fledder",
            "Schölerberg",
            "Kalkhügel",
            "Wüste",
            "Sutthausen",
            "Hellern",
            "Atter",
            "Pye",
            "Darum/Gretesch/Lüstringen",
            "Voxtrup",
            "Nahne",
        )
    ],
}

CHOICE_KIND_LABELS = {
    "category": _l("Need categories"),
    "target_group": _l("Target groups"),
    "district": _l("Districts"),
}

RATING_LABELS = {
    1: _l("1 – not met at all"),
    2: _l("2 – poorly met"),
    3: _l("3 – partly met"),
    4: _l("4 – mostly met"),
    5: _l("5 – fully met"),
}

AGE_GROUPS = {
    "under_18": _l("under 18"),
    "18_26": _l("18 to 26"),
    "27_44": _l("27 to 44"),
    "45_64": _l("45 to 64"),
    "65_plus": _l("65 or older"),
}

MIGRATION = {
    "self": _l("Yes, I immigrated myself"),
    "parents": _l("Yes, my parents immigrated"),
    "no": _l("No"),
}

# Languages spoken: shown in their own name, with their BCP 47 tag.
SPOKEN_LANGUAGES: dict[str, str] = {
    "de": "Deutsch",
    "tr": "Türkçe",
    "ar": "العربية",
    "ku": "Kurdî",
    "fa": "فارسی",
    "ru": "Русский",
    "uk": "Українська",
    "pl": "Polski",
    "ro": "Română",
    "bg": "Български",
    "sq": "Shqip",
    "en": "English",
    "fr": "Français",
}

CHANNEL_LABELS = {
    "online": _l("Online form"),
    "counselling": _l("Counselling"),
    "event": _l("Event"),
    "paper": _l("Paper form"),
    "phone": _l("Phone"),
}
