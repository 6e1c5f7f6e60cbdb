"""Demo feedback: a year of the public form in all seven languages.

:func:`load_feedback_demo` is idempotent (nothing is done when feedback
exists).  Every entry goes through :func:`services.submit_feedback` – the
same validation, receipt code, workflow start and audit event as the form –
dated by :mod:`netzwerk.timeutil`'s today over the last twelve months, so
the monitoring's charts have something to show.  The older entries are then
triaged as the Bildungsbüro would: categorised with tags, a few answered in
the sender's language, a few German ones passed to the Bildungskonferenz.

All entries are written in one transaction; the search index writes their
documents together when it commits (``search.index``: once per outermost
transaction, not per savepoint).
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from ..auth.models import User
from ..database import write_transaction
from ..extensions import db
from ..governance.models import Body
from ..timeutil import local_today
from . import services
from .languages import LANGUAGES
from .models import Feedback, day_start
from .validation import FeedbackInput
from .vocab import AGE_GROUPS, MIGRATION, SPOKEN_LANGUAGES

OFFICE_EMAIL = "buero@osnabrueck.example"
SEED = 2026
DAYS = 365

# Entries per public language (every one at least 300).
PER_LANGUAGE = {"de": 330, "ls": 300, "en": 305, "tr": 305, "ar": 310, "ru": 300, "uk": 305}

# What people write, per language (an empty text: rating and category only).
TEXTS: dict[str, list[str]] = {
    "de": [
        "Für unsere Tochter (3) finden wir im Schinkel seit einem Jahr keinen Kitaplatz. "
        "Ich kann deshalb meine Ausbildung nicht beginnen.",
        "Die Berufsorientierung an der Gesamtschule war sehr hilfreich, besonders das "
        "Praktikum in einem Handwerksbetrieb.",
        "Integrationskurse am Abend sind immer sofort voll. Bitte mehr Kurse für Berufstätige.",
        "Es fehlt eine Übersicht, welche Beratungsstellen es für Weiterbildung gibt. "
        "Ich wurde dreimal weitergeschickt.",
        "Die Stadtbibliothek ist ein toller Lernort, aber samstags zu kurz geöffnet.",
        "Als Elternvertretung wünschen wir uns mehr Schulsozialarbeit an den Grundschulen.",
        "Der Bus zu den BBS am Pottgraben fährt morgens zu selten, viele kommen zu spät.",
        "",
    ],
    "ls": [
        "Ich suche einen Deutsch-Kurs. Der Kurs soll am Abend sein. Ich arbeite am Tag.",
        "Die Beratung war gut. Die Frau hat mir alles erklärt.",
        "Ich verstehe die Briefe von der Schule nicht. Bitte schreiben Sie einfacher.",
        "Mein Sohn braucht Hilfe in der Schule. Wo bekomme ich Hilfe?",
        "Ich möchte eine Ausbildung machen. Ich weiß nicht, wo ich fragen kann.",
        "",
    ],
    "en": [
        "I moved to Osnabrück for work. It is hard to find German courses at B2 level "
        "in the evening.",
        "Recognition of my engineering degree takes many months. Clear information in "
        "English would help.",
        "The international parents' evening at the school was great; please do it more often.",
        "We need more information about childcare places for newcomers.",
        "The university's guest student programme is excellent but hard to find online.",
        "",
    ],
    "tr": [
        "Kızım için anaokulunda yer bulamıyoruz. Bekleme listesi çok uzun.",
        "Meslek eğitimi hakkında Türkçe bilgi çok yardımcı oldu.",
        "Akşam saatlerinde Almanca kursu olursa çalışan anneler de katılabilir.",
        "Okul ile veliler arasındaki iletişim daha iyi olmalı.",
        "Gençlik merkezindeki ödev yardımı çok iyi, teşekkürler.",
        "",
    ],
    "ar": [
        "أبحث عن دورة لغة ألمانية مع رعاية للأطفال.",
        "الاعتراف بشهادتي يستغرق وقتًا طويلًا جدًا.",
        "المدرسة ساعدت ابني كثيرًا في تعلم اللغة. شكرًا.",
        "نحتاج إلى معلومات باللغة العربية عن التدريب المهني.",
        "لا توجد أماكن كافية في رياض الأطفال في حيّنا.",
        "",
    ],
    "ru": [
        "Очень сложно найти курсы немецкого языка уровня B1 в вечернее время.",
        "Консультация по профессиональному обучению была очень полезной.",
        "Хотелось бы больше кружков для детей в районе Шинкель.",
        "Признание моего диплома длится слишком долго.",
        "Библиотека — отличное место для учёбы, спасибо.",
        "",
    ],
    "uk": [
        "Шукаю курси німецької мови з доглядом за дітьми.",
        "Дуже дякуємо школі за підтримку наших дітей.",
        "Потрібно більше інформації українською про професійне навчання.",
        "Визнання мого диплома вчителя триває дуже довго.",
        "Мій син хоче вчитися на електрика, але не знає, куди звернутися.",
        "",
    ],
}

# The Bildungsbüro's answer, in the sender's language.
ANSWERS = {
    "de": "Vielen Dank für Ihre Rückmeldung. Wir haben sie an die zuständige Stelle "
    "weitergegeben; die Bildungskonferenz berät das Thema in ihrer nächsten Sitzung.",
    "ls": "Danke für Ihre Nachricht. Wir haben sie gelesen. "
    "Wir sprechen in der Bildungs-Konferenz darüber.",
    "en": "Thank you for your feedback. We have passed it on to the responsible office; "
    "the education conference will discuss the topic at its next meeting.",
    "tr": "Geri bildiriminiz için teşekkür ederiz. İlgili birime ilettik; eğitim konferansı "
    "konuyu bir sonraki toplantısında görüşecek.",
    "ar": "شكرًا لملاحظاتكم. لقد أحلناها إلى الجهة المختصة، وسيناقش مؤتمر التعليم الموضوع "
    "في اجتماعه القادم.",
    "ru": "Спасибо за ваш отзыв. Мы передали его в ответственную службу; конференция по "
    "образованию обсудит эту тему на следующем заседании.",
    "uk": "Дякуємо за ваш відгук. Ми передали його відповідальній службі; освітня "
    "конференція обговорить цю тему на наступному засіданні.",
}

TAGS = ["kitaplatz", "abendkurs", "anerkennung", "berufsorientierung", "öffnungszeiten"]
STAFF_CHANNELS = ["counselling", "event", "paper", "phone"]
RATING_WEIGHTS = [1, 2, 3, 3, 2]  # ratings 1..5


def load_feedback_demo() -> bool:
    """Idempotent: a year of feedback in every public language (False if any exists)."""
    if db.session.scalar(select(Feedback.id).limit(1)) is not None:
        return False
    office = db.session.scalar(select(User).where(User.email == OFFICE_EMAIL))
    if office is None:
        return False
    services.ensure_default_choices()
    # Held here, so that the entries' validation finds them in the session.
    choices = {kind: list(services.choices(kind)) for kind in ("category", "district")}
    choices["target_group"] = list(services.choices("target_group"))
    if not choices["category"]:
        return False
    rng = random.Random(SEED)
    with write_transaction():
        _submit_year(office, choices, rng)
        _triage(office, rng)
    return True


def _submit_year(office: User, choices: dict[str, list[Any]], rng: random.Random) -> None:
    today = local_today()
    spoken = set(SPOKEN_LANGUAGES)
    for language in LANGUAGES:
        texts = TEXTS.get(language) or [""]
        for index in range(PER_LANGUAGE.get(language, 300)):
            # Every month has its share; more in recent ones, as the form becomes known.
            back = rng.randrange(DAYS) if rng.random() < 0.6 else int(rng.triangular(0, DAYS, 0))
            day = today - timedelta(days=min(DAYS - 1, back))
            staff = rng.random() < 0.12
            data = FeedbackInput(
                category_id=rng.choice(choices["category"]).id,
                rating=rng.choices(range(1, 6), RATING_WEIGHTS)[0],
                text=texts[index % len(texts)],
                district_id=rng.choice(choices["district"]).id
                if choices["district"] and rng.random() < 0.8
                else None,
                target_group_id=rng.choice(choices["target_group"]).id
                if choices["target_group"] and rng.random() < 0.6
                else None,
                age_group=rng.choice(list(AGE_GROUPS)) if rng.random() < 0.7 else None,
                migration=rng.choice(list(MIGRATION)) if rng.random() < 0.5 else None,
                languages_spoken=sorted({language, "de"} & spoken),
            )
            services.submit_feedback(
                data,
                language=language,
                channel=rng.choice(STAFF_CHANNELS) if staff else "online",
                entered_by=office if staff else None,
                received_on=day,
            )


def _triage(office: User, rng: random.Random) -> None:
    """The Bildungsbüro's work on the older entries: categorised and tagged,
    some answered, a few German ones passed to the Bildungskonferenz."""
    older = list(
        db.session.execute(
            select(Feedback.id, Feedback.language, Feedback.category_id, Feedback.district_id)
            .where(Feedback.created_at < day_start(local_today() - timedelta(days=30)))
            .order_by(Feedback.id)
        )
    )
    picked = rng.sample(older, min(len(older), 60))
    for n, row in enumerate(picked):
        services.categorise(
            office,
            row.id,
            category_id=row.category_id,
            district_id=row.district_id,
            target_group_id=None,
            tags=", ".join(rng.sample(TAGS, 2)),
        )
        if n % 3 == 0 and row.language in ANSWERS:
            services.answer(office, row.id, ANSWERS[row.language])
    bk = db.session.scalar(select(Body).where(Body.short_name == "BK"))
    german = [row.id for row in picked[1::3] if row.language == "de"][:4]
    if bk is not None and german:
        services.pass_to_body(
            office,
            german,
            body_id=bk.id,
            title="Rückmeldungen zu Kitaplätzen und Abendkursen",
            note="Das Bildungsbüro fasst die Rückmeldungen des Quartals zusammen.",
        )
