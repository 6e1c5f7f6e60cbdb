"""German titles of what a definition names: roles, guards, effects, durations.

A definition refers to roles (``by: [author, office]``), guards
(``when: poll_passed``) and effects (``effects: [assign_number, notify]``)
by their codes; the workflow pages show these titles instead (a code without
a title is shown as it is, and ``tests/test_labels.py`` fails on every
registered role, guard and effect that has none).  The titles are lazy
msgids, translated when shown.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

ROLE_TITLES: dict[str, Any] = {
    "admin": _l("Administrators"),
    "office": _l("Office staff"),
    "chair": _l("Chair"),
    "vice_chair": _l("Vice chair"),
    "member": _l("Member"),
    "advisory": _l("Advisory member"),
    "guest": _l("Guest"),
    "author": _l("Author of the item"),
    "project_lead": _l("Project lead"),
    "responsible": _l("Responsible"),
    "system": _l("Automatically (timer)"),
}

GUARD_TITLES: dict[str, Any] = {
    "deadline_passed": _l("The deadline has passed"),
    "has_answer": _l("An answer is written"),
    "has_attachment": _l("A document is attached"),
    "has_original": _l("The earlier feedback is chosen"),
    "has_referral": _l("Passed to a body"),
    "has_text": _l("The text is written"),
    "in_meeting_session": _l("The meeting is in session"),
    "meeting_closed": _l("The meeting is closed"),
    "notice_period_kept": _l("The notice period is kept"),
    "opening_time_plausible": _l("The start of the meeting is near"),
    "poll_closable": _l("The vote can be closed"),
    "poll_failed": _l("The vote rejected it"),
    "poll_passed": _l("The vote adopted it"),
    "quorum_present": _l("The body is quorate"),
    "reminder_due": _l("A reminder is due"),
    "report_has_figures": _l("Every chapter has figures"),
}

EFFECT_TITLES: dict[str, Any] = {
    "assign_number": _l("Assign a number"),
    "clear_duplicate": _l("Clear the duplicate mark"),
    "close_poll": _l("Close the vote"),
    "create_project_paper": _l("Create the paper for the project"),
    "freeze_agenda": _l("Freeze the agenda"),
    "freeze_minutes": _l("Freeze the minutes"),
    "freeze_report": _l("Freeze the report"),
    "mark_answered": _l("Mark as answered"),
    "mark_considered": _l("Mark as considered"),
    "notify": _l("Notify those involved"),
    "open_poll": _l("Open the vote"),
    "record_closing": _l("Record the closing time"),
    "record_opening": _l("Record the opening time"),
    "remind": _l("Remind the office"),
    "remind_voters": _l("Remind the voters"),
    "schedule_on_agenda": _l("Put it on the agenda"),
    "send_cancellation": _l("Send the cancellation"),
    "send_invitations": _l("Send the invitations"),
    "submit_project_paper": _l("Put the project's paper before its body"),
}


def role_title(role: str) -> str:
    return str(ROLE_TITLES.get(role, role))


def guard_title(guard: str) -> str:
    return str(GUARD_TITLES.get(guard, guard))


def effect_title(effect: str) -> str:
    return str(EFFECT_TITLES.get(effect, effect))


def after_text(delta: timedelta) -> str:
    """A timer's delay as read: "nach 14 Tagen", "nach 36 Stunden" (never
    the ISO code P14D), in the largest unit that measures it whole."""
    seconds = int(delta.total_seconds())
    if seconds and seconds % 86400 == 0:
        days = seconds // 86400
        return ngettext("after %(num)d day", "after %(num)d days", days)
    if seconds and seconds % 3600 == 0:
        hours = seconds // 3600
        return ngettext("after %(num)d hour", "after %(num)d hours", hours)
    if seconds and seconds % 60 == 0:
        minutes = seconds // 60
        return ngettext("after %(num)d minute", "after %(num)d minutes", minutes)
    return ngettext("after %(num)d second", "after %(num)d seconds", seconds)
