"""The public page "Was aus Ihren Rückmeldungen wurde": outcomes in figures.

For each topic (category) and each language of the feedback form: how many
pieces of feedback arrived, were passed to a body, led to a decision, and
led to an action item or a project.  Figures are counted from the chain
(``outcomes``), never stored.

Small groups identify people: a figure from 1 to k-1 (k =
``NETZWERK_MIN_GROUP_SIZE``, at least 5) is shown as "< k".  Every column
publishes its total, so the monitoring's suppression
(:func:`netzwerk.monitoring.suppression.protect`, the one rule for every
published figure) hides further figures wherever the total minus the shown
ones would give a hidden one away, or the total itself (then the whole
column shows "< k").
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from .. import signals
from ..decisions.models import ActionItem, Decision
from ..extensions import db
from ..monitoring.suppression import min_group_size, protect
from .languages import LANGUAGES
from .models import Feedback, FeedbackChoice, FeedbackReferral

MEASURES = ("received", "passed", "decided", "acted")


@dataclass
class Cell:
    value: int
    hidden: bool


@dataclass
class Table:
    rows: list[tuple[Hashable, str]]  # key, label
    cells: dict[tuple[Hashable, str], Cell]
    totals: dict[str, Cell]
    threshold: int
    measures: tuple[str, ...] = field(default=MEASURES)


def protect_table(
    counts: Mapping[tuple[Hashable, str], int],
    rows: list[Hashable],
    measures: tuple[str, ...],
    threshold: int,
) -> tuple[dict[tuple[Hashable, str], Cell], dict[str, Cell]]:
    """Hide small figures and whatever would let a column's total reveal them."""
    cells: dict[tuple[Hashable, str], Cell] = {}
    totals: dict[str, Cell] = {}
    for measure in measures:
        column = {row: int(counts.get((row, measure), 0)) for row in rows}
        total = sum(column.values())
        protection = protect(column, threshold)
        hidden = protection.hidden
        if protection.total_hidden:  # then every figure of the column goes with it
            hidden = {row: n > 0 for row, n in column.items()}
        totals[measure] = Cell(total, protection.total_hidden)
        for row in rows:
            cells[(row, measure)] = Cell(column[row], bool(hidden.get(row)))
    return cells, totals


def _counts() -> tuple[dict[tuple[Any, str], int], dict[tuple[Any, str], int]]:
    """(category, measure) and (language, measure) counts."""
    feedback = db.session.execute(
        select(Feedback.id, Feedback.category_id, Feedback.language, Feedback.duplicate_of_id)
    ).all()
    referrals = db.session.execute(
        select(
            FeedbackReferral.feedback_id, FeedbackReferral.paper_id, FeedbackReferral.agenda_item_id
        )
    ).all()
    decisions = db.session.execute(
        select(Decision.id, Decision.subject_type, Decision.subject_id, Decision.agenda_item_id)
    ).all()
    with_items = set(db.session.scalars(select(ActionItem.decision_id).distinct()))
    by_paper: dict[int, set[int]] = defaultdict(set)
    by_item: dict[int, set[int]] = defaultdict(set)
    for d in decisions:
        if d.subject_type == "paper" and d.subject_id:
            by_paper[d.subject_id].add(d.id)
        if d.agenda_item_id:
            by_item[d.agenda_item_id].add(d.id)
    passed: set[int] = set()
    decided: set[int] = set()
    acted: set[int] = set()
    for r in referrals:
        passed.add(r.feedback_id)
        found = by_paper.get(r.paper_id or 0, set()) | by_item.get(r.agenda_item_id or 0, set())
        if found:
            decided.add(r.feedback_id)
        if found & with_items:
            acted.add(r.feedback_id)
    for _receiver, ids in signals.feedback_with_projects.send(None):
        acted |= set(ids or ())
    by_category: dict[tuple[Any, str], int] = defaultdict(int)
    by_language: dict[tuple[Any, str], int] = defaultdict(int)
    for f in feedback:
        origin = f.duplicate_of_id or f.id  # a duplicate shares its original's chain
        reached = {
            "received": True,
            "passed": f.id in passed or origin in passed,
            "decided": f.id in decided or origin in decided,
            "acted": f.id in acted or origin in acted,
        }
        for measure, yes in reached.items():
            if yes:
                by_category[(f.category_id, measure)] += 1
                by_language[(f.language, measure)] += 1
    return by_category, by_language


def outcome_tables(locale_key: str) -> tuple[Table, Table]:
    """The topic table and the language table, protected."""
    threshold = min_group_size()
    by_category, by_language = _counts()
    categories = db.session.scalars(
        select(FeedbackChoice)
        .where(FeedbackChoice.kind == "category")
        .order_by(FeedbackChoice.position, FeedbackChoice.id)
    ).all()
    used = {key for key, _m in by_category}
    topic_rows: list[tuple[Hashable, str]] = [
        (c.id, c.label(locale_key)) for c in categories if c.active or c.id in used
    ]
    cells, totals = protect_table(by_category, [k for k, _l in topic_rows], MEASURES, threshold)
    topics = Table(topic_rows, cells, totals, threshold)
    language_rows: list[tuple[Hashable, str]] = [
        (key, lang.own_name) for key, lang in LANGUAGES.items()
    ]
    cells, totals = protect_table(by_language, [k for k, _l in language_rows], MEASURES, threshold)
    return topics, Table(language_rows, cells, totals, threshold)
