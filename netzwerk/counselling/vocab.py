"""The fixed vocabularies of counselling: codes in the database, labels in German.

Codes are stored; labels are English msgids translated by the catalogue.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from ..labels import Labelled, labels


class Language(Labelled):
    GERMAN = "de"
    ENGLISH = "en"
    ARABIC = "ar"
    TURKISH = "tr"
    RUSSIAN = "ru"
    UKRAINIAN = "uk"
    PERSIAN = "fa"
    DARI = "prs"
    KURDISH = "ku"
    POLISH = "pl"
    ROMANIAN = "ro"
    BULGARIAN = "bg"
    FRENCH = "fr"
    SPANISH = "es"
    TIGRINYA = "ti"
    SOMALI = "so"
    ALBANIAN = "sq"
    OTHER = "other"


class TargetGroup(Labelled):
    CHILDREN = "children"
    PUPILS = "pupils"
    SCHOOL_LEAVERS = "school_leavers"
    YOUNG_ADULTS = "young_adults"
    ADULTS = "adults"
    NEWLY_ARRIVED = "newly_arrived"
    PARENTS = "parents"
    RETURNERS = "returners"
    JOB_SEEKERS = "job_seekers"


class Channel(Labelled):
    IN_PERSON = "in_person"
    PHONE = "phone"
    EMAIL = "email"
    VIDEO = "video"
    OUTREACH = "outreach"


class AgeGroup(Labelled):
    UNDER_16 = "under_16"
    AGE_16_17 = "16_17"
    AGE_18_24 = "18_24"
    AGE_25_34 = "25_34"
    AGE_35_49 = "35_49"
    AGE_50_PLUS = "50_plus"
    UNKNOWN = "unknown"


class Situation(Labelled):
    SCHOOL_LEAVER_WITHOUT_PLACE = "school_leaver_without_place"
    NEWLY_ARRIVED = "newly_arrived"
    CAREER_CHANGE = "career_change"
    DROPOUT_RISK = "dropout_risk"
    RE_ENTRY = "re_entry"
    OTHER = "other"


class Topic(Labelled):
    CAREER_ORIENTATION = "career_orientation"
    VOCATIONAL_TRAINING = "vocational_training"
    SCHOOL_QUALIFICATION = "school_qualification"
    STUDIES = "studies"
    LANGUAGE_COURSE = "language_course"
    RECOGNITION = "recognition"
    FURTHER_TRAINING = "further_training"
    FUNDING = "funding"
    CHILDCARE = "childcare"
    OTHER = "other"


class Outcome(Labelled):
    INFORMATION_GIVEN = "information_given"
    REFERRED = "referred"
    FOLLOW_UP_PLANNED = "follow_up_planned"
    NO_FURTHER_NEED = "no_further_need"
    OTHER = "other"


class Arrival(Labelled):
    """What a follow-up found out about a referral."""

    ARRIVED = "arrived"
    WAITING = "waiting"
    NOT_ARRIVED = "not_arrived"
    UNKNOWN = "unknown"


LABELS: dict[type[Labelled], dict[Any, LazyString]] = {
    Language: {
        Language.GERMAN: _l("German"),
        Language.ENGLISH: _l("English"),
        Language.ARABIC: _l("Arabic"),
        Language.TURKISH: _l("Turkish"),
        Language.RUSSIAN: _l("Russian"),
        Language.UKRAINIAN: _l("Ukrainian"),
        Language.PERSIAN: _l("Persian (Farsi)"),
        Language.DARI: _l("Dari"),
        Language.KURDISH: _l("Kurdish"),
        Language.POLISH: _l("Polish"),
        Language.ROMANIAN: _l("Romanian"),
        Language.BULGARIAN: _l("Bulgarian"),
        Language.FRENCH: _l("French"),
        Language.SPANISH: _l("Spanish"),
        Language.TIGRINYA: _l("Tigrinya"),
        Language.SOMALI: _l("Somali"),
        Language.ALBANIAN: _l("Albanian"),
        Language.OTHER: _l("Other language"),
    },
    TargetGroup: {
        TargetGroup.CHILDREN: _l("Children"),
        TargetGroup.PUPILS: _l("Pupils"),
        TargetGroup.SCHOOL_LEAVERS: _l("School leavers"),
        TargetGroup.YOUNG_ADULTS: _l("Young adults"),
        TargetGroup.ADULTS: _l("Adults"),
        TargetGroup.NEWLY_ARRIVED: _l("Newly arrived people"),
        TargetGroup.PARENTS: _l("Parents and families"),
        TargetGroup.RETURNERS: _l("Returners after family time"),
        TargetGroup.JOB_SEEKERS: _l("Job seekers"),
    },
    Channel: {
        Channel.IN_PERSON: _l("In person"),
        Channel.PHONE: _l("Phone"),
        Channel.EMAIL: _l("E-mail"),
        Channel.VIDEO: _l("Video"),
        Channel.OUTREACH: _l("Outreach"),
    },
    AgeGroup: {
        AgeGroup.UNDER_16: _l("Under 16"),
        AgeGroup.AGE_16_17: _l("16 to 17"),
        AgeGroup.AGE_18_24: _l("18 to 24"),
        AgeGroup.AGE_25_34: _l("25 to 34"),
        AgeGroup.AGE_35_49: _l("35 to 49"),
        AgeGroup.AGE_50_PLUS: _l("50 and older"),
        AgeGroup.UNKNOWN: _l("Not known"),
    },
    Situation: {
        Situation.SCHOOL_LEAVER_WITHOUT_PLACE: _l("School leaver without a place"),
        Situation.NEWLY_ARRIVED: _l("Newly arrived"),
        Situation.CAREER_CHANGE: _l("Career change"),
        Situation.DROPOUT_RISK: _l("Risk of dropping out"),
        Situation.RE_ENTRY: _l("Re-entry after family time"),
        Situation.OTHER: _l("Other situation"),
    },
    Topic: {
        Topic.CAREER_ORIENTATION: _l("Career orientation"),
        Topic.VOCATIONAL_TRAINING: _l("Vocational training"),
        Topic.SCHOOL_QUALIFICATION: _l("School qualification"),
        Topic.STUDIES: _l("Studies"),
        Topic.LANGUAGE_COURSE: _l("Language course"),
        Topic.RECOGNITION: _l("Recognition of foreign qualifications"),
        Topic.FURTHER_TRAINING: _l("Further training"),
        Topic.FUNDING: _l("Funding"),
        Topic.CHILDCARE: _l("Childcare"),
        Topic.OTHER: _l("Other topic"),
    },
    Outcome: {
        Outcome.INFORMATION_GIVEN: _l("Information given"),
        Outcome.REFERRED: _l("Referred"),
        Outcome.FOLLOW_UP_PLANNED: _l("Further counselling planned"),
        Outcome.NO_FURTHER_NEED: _l("No further need"),
        Outcome.OTHER: _l("Other outcome"),
    },
    Arrival: {
        Arrival.ARRIVED: _l("Arrived"),
        Arrival.WAITING: _l("Waiting"),
        Arrival.NOT_ARRIVED: _l("Not arrived"),
        Arrival.UNKNOWN: _l("Unknown"),
    },
}

for _vocabulary, _mapping in LABELS.items():
    labels(_vocabulary, _mapping)


# The voluntary, self-declared migration background (the same answers as the
# feedback form).  Only ever counted, with small-group suppression.
MIGRATION: dict[str, Any] = {
    "self": _l("Yes, immigrated themselves"),
    "parents": _l("Yes, their parents immigrated"),
    "no": _l("No"),
}
