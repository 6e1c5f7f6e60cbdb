"""What became of a feedback: the chain from referral to decision, action
item and project, the summary for its sender, and the mail that tells them.

The chain is read, never copied: a referral names the paper and agenda item
(``FeedbackReferral``), the decisions register names the paper or agenda item
it decided (``Decision.subject_*``, ``Decision.agenda_item_id``), an action
item names its decision.  Projects sit above feedback: they answer the
signal :data:`netzwerk.signals.feedback_outcome_projects` with theirs
(``projects.feedback_links``).

The status page is anonymous, so a step names a decision's number and title,
an action item's or a project's title only when the visibility policy shows
them to anybody; otherwise it says in plain words that there is one.

The sender is told by mail only when they left an e-mail address with their
consent (``FeedbackContact``), in the language of their feedback, and the
mail carries no receipt code: the status page asks for it.  Receivers of
the decision, action item and project events (registered in
``feedback.init_app``) queue the mail in the transaction of the event.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import or_, select

from .. import signals, visibility
from ..decisions.models import ActionItem, Decision, DecisionOutcome
from ..extensions import db
from ..timeutil import format_date
from ..workflow import services as workflow
from .languages import LANGUAGES
from .models import (
    Feedback,
    FeedbackReferral,
    FeedbackSummary,
)


@dataclass
class Outcome:
    """One step of the chain after the referral (status page and mail)."""

    kind: str  # decision | action_item | project
    at: datetime | None
    body_name: str | None = None
    title: str | None = None  # only when anybody may see it
    adopted: bool | None = None
    done: bool = False
    approved: bool = False


# --- the chain ----------------------------------------------------------------------


def _referrals(feedback: Feedback) -> list[FeedbackReferral]:
    referrals = list(feedback.referrals)
    if feedback.duplicate_of is not None:
        referrals += list(feedback.duplicate_of.referrals)
    return referrals


def decisions_for(referrals: Iterable[FeedbackReferral]) -> list[Decision]:
    papers = {r.paper_id for r in referrals if r.paper_id}
    items = {r.agenda_item_id for r in referrals if r.agenda_item_id}
    if not papers and not items:
        return []
    conditions: list[Any] = []
    if papers:
        conditions.append((Decision.subject_type == "paper") & Decision.subject_id.in_(papers))
    if items:
        conditions.append(Decision.agenda_item_id.in_(items))
    return list(
        db.session.scalars(
            select(Decision).where(or_(*conditions)).order_by(Decision.decided_at, Decision.id)
        )
    )


def outcomes(feedback: Feedback) -> list[Outcome]:
    """Decisions, action items and projects that came out of the feedback."""
    steps: list[Outcome] = []
    decisions = decisions_for(_referrals(feedback))
    for decision in decisions:
        public = visibility.may_see_decision(visibility.ANONYMOUS, decision)
        steps.append(
            Outcome(
                "decision",
                decision.decided_at,
                body_name=decision.body.name,
                title=f"{decision.number} {decision.title}" if public else None,
                adopted=decision.outcome == DecisionOutcome.ADOPTED.value,
            )
        )
        for item in decision.action_items:
            steps.append(
                Outcome(
                    "action_item",
                    item.created_at,
                    title=item.title
                    if visibility.may_see_action_item(visibility.ANONYMOUS, item)
                    else None,
                    done=item.is_done,
                )
            )
    for _receiver, answer in signals.feedback_outcome_projects.send(feedback):
        steps.extend(answer or [])
    return steps


# --- the summary for the sender ----------------------------------------------------------


@dataclass(frozen=True)
class SummaryView:
    text: str
    language: str  # the language key the text is in
    translator: str | None  # None: the German original


def summary_for(feedback: Feedback) -> SummaryView | None:
    """The summary in the sender's language where a person translated it,
    else the German original."""
    summary = db.session.get(FeedbackSummary, feedback.id)
    if summary is None:
        return None
    for item in summary.translations:
        if item.language == feedback.language:
            return SummaryView(item.text, item.language, item.translator)
    return SummaryView(summary.text, "de", None)


def reply_for(feedback: Feedback) -> SummaryView:
    """The answer in the sender's language: as written, or its translation
    by a person when it was written in German (an older answer without a
    translation: the German text)."""
    written_in = feedback.answer_language or feedback.language
    if written_in == feedback.language or not feedback.answer_translation:
        return SummaryView(feedback.answer or "", written_in, None)
    return SummaryView(feedback.answer_translation, feedback.language, feedback.answer_translator)


# --- telling the sender --------------------------------------------------------------------


def _status_link(language: str) -> str:
    from ..mail.links import absolute_url  # from NETZWERK_BASE_URL, never the request's host

    return absolute_url("feedback.status", lang=language)


def summary_news() -> str:
    return _("The Bildungsbüro wrote down what became of your feedback.")


def outcome_sentence(step: Outcome) -> str:
    """One step in plain words, in the current locale."""
    if step.kind == "decision":
        if step.adopted:
            text = _(
                "%(body)s decided about it on %(date)s and agreed.",
                body=step.body_name,
                date=format_date(step.at),
            )
        else:
            text = _(
                "%(body)s decided about it on %(date)s and did not agree.",
                body=step.body_name,
                date=format_date(step.at),
            )
    elif step.kind == "action_item":
        text = (
            _("Something will be done: %(title)s.", title=step.title)
            if step.title
            else _("Something will be done.")
        )
        if step.done:
            text += " " + _("It is done.")
    else:
        text = (
            _("A project came out of it: %(title)s.", title=step.title)
            if step.title
            else _("A project came out of it.")
        )
        if step.approved:
            text += " " + _("The project is approved.")
    return text


def notify_sender(feedback: Feedback, key: str, news: Any) -> bool:
    """Queue a mail in the sender's language if they left an address.

    ``news`` is a function giving the sentence in the active locale; ``key``
    makes the mail once per event.  Returns whether a mail was queued."""
    from ..mail.services import queue_mail

    contact = feedback.contact
    if contact is None or not (contact.email or "").strip():
        return False
    language = LANGUAGES.get(feedback.language) or LANGUAGES["de"]
    with force_locale(language.locale):
        subject = _("News about your feedback")
        body = _(
            "Hello,\n\nthere is news about the feedback you gave us on %(date)s:\n\n"
            "%(news)s\n\nEverything that became of it is on the status page; "
            "please enter your receipt code there:\n%(link)s\n\n"
            "You get this e-mail because you left your address with your feedback.",
            date=format_date(feedback.created_at),
            news=news(),
            link=_status_link(language.key),
        )
    return (
        queue_mail(
            contact.email.strip(), subject, body, reason=f"feedback-news:{feedback.id}:{key}"
        )
        is not None
    )


def reply_news(reply: SummaryView) -> str:
    """The answer as the news of a mail, in the current locale."""
    text = _("The Bildungsbüro answered your feedback:") + "\n\n" + reply.text
    if reply.translator:
        text += "\n\n" + _("Translated by %(name)s.", name=reply.translator)
    return text


def notify_reply(feedback: Feedback) -> bool:
    """Mail the published answer to a consenting sender, in their language
    (once per text: a corrected answer is mailed again)."""
    reply = reply_for(feedback)
    digest = hashlib.sha256(reply.text.encode()).hexdigest()[:16]
    return notify_sender(feedback, f"answer:{digest}", lambda: reply_news(reply))


def feedback_for_decision(decision: Decision) -> list[Feedback]:
    conditions: list[Any] = []
    if decision.subject_type == "paper" and decision.subject_id:
        conditions.append(FeedbackReferral.paper_id == decision.subject_id)
    if decision.agenda_item_id:
        conditions.append(FeedbackReferral.agenda_item_id == decision.agenda_item_id)
    if not conditions:
        return []
    ids = set(db.session.scalars(select(FeedbackReferral.feedback_id).where(or_(*conditions))))
    if not ids:
        return []
    # Duplicates share their original's chain.
    ids |= set(db.session.scalars(select(Feedback.id).where(Feedback.duplicate_of_id.in_(ids))))
    return list(db.session.scalars(select(Feedback).where(Feedback.id.in_(ids))))


def on_decision_recorded(decision: Decision, **extra: Any) -> None:
    """A decision on a paper or agenda item that carried feedback."""
    step = Outcome(
        "decision",
        decision.decided_at,
        body_name=decision.body.name,
        adopted=decision.outcome == DecisionOutcome.ADOPTED.value,
    )
    for feedback in feedback_for_decision(decision):
        notify_sender(feedback, f"decision:{decision.id}", lambda: outcome_sentence(step))


def _action_item_step(item: ActionItem) -> Outcome:
    public = visibility.may_see_action_item(visibility.ANONYMOUS, item)
    return Outcome(
        "action_item", item.created_at, title=item.title if public else None, done=item.is_done
    )


def on_action_item_started(sender: Any, **extra: Any) -> None:
    item = extra.get("obj")
    if sender != "action_item" or not isinstance(item, ActionItem):
        return
    step = _action_item_step(item)
    for feedback in feedback_for_decision(item.decision):
        notify_sender(feedback, f"action_item:{item.id}", lambda: outcome_sentence(step))


def on_action_item_transition(sender: Any, **extra: Any) -> None:
    item = extra.get("obj")
    if sender != "action_item" or not isinstance(item, ActionItem):
        return
    if not workflow.has_flag(item, "done"):
        return
    step = _action_item_step(item)
    for feedback in feedback_for_decision(item.decision):
        notify_sender(feedback, f"action_item_done:{item.id}", lambda: outcome_sentence(step))


def register() -> None:
    """From ``feedback.init_app``."""
    signals.decision_recorded.connect(on_decision_recorded)
    signals.workflow_started.connect(on_action_item_started)
    signals.workflow_transition.connect(on_action_item_transition)
