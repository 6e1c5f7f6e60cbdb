"""The education report: chapters with indicators and commentary, versions,
the frozen edition.

A report covers whole years (``year_from``..``year_to``).  Each chapter
lists indicators by code (computed, imported or combined); the figures of a
version are taken when it is saved (``snapshot``), so a saved draft and the
approved edition show what the office saw, whatever is imported later.
The approval's effect ``freeze_report`` (workflows/bildungsbericht.yaml)
stores the edition's PDF/A, HTML and CSV with the SHA-256 of the PDF; the
code asks the flags ``editable`` and ``approved``, never a state.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from ..audit.services import record
from ..auth.models import User
from ..database import utcnow, write_transaction
from ..extensions import db
from ..rules import RuleError, checked_text
from ..workflow import services as workflow
from .models import APPROVED, EDITABLE, EducationReport, ReportChapter, ReportVersion

OBJECT = "education_report"
MAX_CHAPTERS = 20
MAX_INDICATORS = 12


class ReportError(RuleError):
    """A change to a report was refused."""


def _text(value: str, field: str, max_length: int) -> str:
    return checked_text(value, field, max_length, error=ReportError)


def get_report(report_id: int) -> EducationReport | None:
    return db.session.get(EducationReport, report_id)


def list_reports() -> list[EducationReport]:
    return list(
        db.session.scalars(select(EducationReport).order_by(EducationReport.created_at.desc()))
    )


def _check_years(year_from: int, year_to: int) -> None:
    if not (1990 <= year_from <= 2100 and 1990 <= year_to <= 2100):
        raise ReportError(_("Please give years between 1990 and 2100."), "year_from")
    if year_to < year_from:
        raise ReportError(_("The last year lies before the first."), "year_to")


def create_report(
    user: User, *, title: str, year_from: int, year_to: int, chapters: list[str]
) -> EducationReport:
    title = (title or "").strip()
    if not title:
        raise ReportError(_("Please enter a title."), "title")
    _check_years(year_from, year_to)
    names = [c.strip() for c in chapters if c.strip()]
    if not names:
        raise ReportError(_("Please name at least one chapter."), "chapters")
    if len(names) > MAX_CHAPTERS:
        raise ReportError(_("At most 20 chapters."), "chapters")
    with write_transaction():
        report = EducationReport(
            title=_text(title, "title", 200),
            year_from=year_from,
            year_to=year_to,
            created_by_id=user.id,
        )
        for position, name in enumerate(names):
            report.chapters.append(
                ReportChapter(position=position, title=_text(name, "chapters", 200))
            )
        definition = workflow.workflow_for(None, OBJECT)
        report.workflow_name = definition.name
        report.workflow_hash = definition.hash
        report.state = definition.initial
        db.session.add(report)
        db.session.flush()
        workflow.start(report, definition, user)
        record("report.created", OBJECT, report.id, actor_id=user.id, data={"title": title})
    return report


def _editable(report: EducationReport) -> None:
    if not workflow.has_flag(report, EDITABLE):
        raise ReportError(_("The report can no longer be changed in its current state."))


def update_chapter(
    user: User,
    report: EducationReport,
    chapter_id: int,
    *,
    title: str,
    commentary: str,
    indicators: list[str],
    show_map: bool,
    show_chart: bool,
) -> ReportChapter:
    from ..monitoring.indicators import all_codes

    _editable(report)
    chapter = next((c for c in report.chapters if c.id == chapter_id), None)
    if chapter is None:
        raise ReportError(_("No such chapter."))
    title = (title or "").strip()
    if not title:
        raise ReportError(_("Please enter a title."), "title")
    known = {code for code, _name in all_codes()}
    codes = [c for c in dict.fromkeys(indicators) if c]
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise ReportError(_("Unknown indicator."), "indicators")
    if len(codes) > MAX_INDICATORS:
        raise ReportError(_("At most 12 indicators per chapter."), "indicators")
    with write_transaction():
        chapter.title = _text(title, "title", 200)
        chapter.commentary = _text(commentary or "", "commentary", 20000)
        chapter.indicators = ",".join(codes)[:1000]
        chapter.show_map = show_map
        chapter.show_chart = show_chart
        report.updated_at = utcnow()
        record(
            "report.chapter_saved",
            OBJECT,
            report.id,
            actor_id=user.id,
            data={"chapter": chapter.id},
        )
    return chapter


def add_chapter(user: User, report: EducationReport, title: str) -> ReportChapter:
    _editable(report)
    title = (title or "").strip()
    if not title:
        raise ReportError(_("Please enter a title."), "title")
    if len(report.chapters) >= MAX_CHAPTERS:
        raise ReportError(_("At most 20 chapters."), "title")
    with write_transaction():
        chapter = ReportChapter(
            report_id=report.id,
            position=max((c.position for c in report.chapters), default=-1) + 1,
            title=_text(title, "title", 200),
        )
        db.session.add(chapter)
        db.session.flush()
        db.session.refresh(report)
        record("report.chapter_added", OBJECT, report.id, actor_id=user.id)
    return chapter


# --- figures ------------------------------------------------------------------------


def _figure(code: str, year_from: int, year_to: int) -> dict[str, Any] | None:
    from ..monitoring.districts import indicator_table
    from ..monitoring.indicators import Period, any_series

    periods = [Period(str(y)) for y in range(year_from, year_to + 1)]
    series = any_series(code, periods)
    if series is None:
        return None
    wanted = {p.key for p in periods}
    keys = [p for p in series.periods if p[:4].isdigit() and year_from <= int(p[:4]) <= year_to]
    keys = [p for p in keys if p in wanted or len(p) == 4]
    rows = []
    for group in series.groups:
        rows.append(
            {
                "group": group,
                "label": series.group_label(group),
                "texts": [series.text(p, group) for p in keys],
                "values": [
                    None if (p, group) in series.suppressed else series.values.get((p, group))
                    for p in keys
                ],
                "marks": [series.mark(p, group) for p in keys],
            }
        )
    figure: dict[str, Any] = {
        "code": code,
        "name": series.name,
        "unit": series.unit,
        "source": series.source,
        "kind": series.kind,
        "table_codes": series.table_codes,
        "threshold": series.threshold,
        "periods": keys,
        "rows": rows,
        "footnotes": sorted({n for n in series.footnotes.values() if n}),
        "dimension": series.dimension,
        "map": None,
    }
    if series.dimension == "district" and keys:
        table = indicator_table(code, keys[-1])
        if table is not None:
            figure["map"] = {
                "title": table.title,
                "unit": table.unit,
                "threshold": table.threshold,
                "note": table.note,
                "cells": [
                    {
                        "code": c.code,
                        "name": c.name,
                        "value": c.value,
                        "text": c.text,
                        "hidden": c.hidden,
                        "mark": c.mark,
                    }
                    for c in table.cells
                ],
                "total": {
                    "code": "",
                    "name": table.total.name,
                    "value": table.total.value,
                    "text": table.total.text,
                    "hidden": table.total.hidden,
                    "mark": table.total.mark,
                },
            }
    return figure


def snapshot(report: EducationReport) -> dict[str, Any]:
    """Text and figures of the report as they are now (JSON-serialisable)."""
    chapters = []
    for chapter in report.chapters:
        figures = [
            f
            for f in (_figure(c, report.year_from, report.year_to) for c in chapter.indicator_codes)
            if f is not None
        ]
        chapters.append(
            {
                "id": chapter.id,
                "title": chapter.title,
                "commentary": chapter.commentary,
                "show_map": chapter.show_map,
                "show_chart": chapter.show_chart,
                "figures": figures,
            }
        )
    return {
        "report_id": report.id,
        "title": report.title,
        "period": report.period_label,
        "year_from": report.year_from,
        "year_to": report.year_to,
        "taken_at": utcnow().isoformat(),
        "chapters": chapters,
    }


def save_version(user: User, report: EducationReport) -> ReportVersion:
    """Keep the draft as it is now (text and figures) as the next version."""
    _editable(report)
    with write_transaction():
        version = _new_version(user, report, frozen=False)
        record(
            "report.version_saved",
            OBJECT,
            report.id,
            actor_id=user.id,
            data={"number": version.number},
        )
    return version


def _new_version(user: User | None, report: EducationReport, *, frozen: bool) -> ReportVersion:
    number = (
        db.session.scalar(
            select(func.max(ReportVersion.number)).where(ReportVersion.report_id == report.id)
        )
        or 0
    ) + 1
    version = ReportVersion(
        report_id=report.id,
        number=number,
        created_by_id=user.id if user else None,
        snapshot=json.dumps(snapshot(report), ensure_ascii=False),
        frozen=frozen,
    )
    db.session.add(version)
    db.session.flush()
    return version


def frozen_edition(report: EducationReport) -> ReportVersion | None:
    return db.session.scalar(
        select(ReportVersion).where(
            ReportVersion.report_id == report.id, ReportVersion.frozen.is_(True)
        )
    )


def get_version(report: EducationReport, number: int) -> ReportVersion | None:
    return db.session.scalar(
        select(ReportVersion).where(
            ReportVersion.report_id == report.id, ReportVersion.number == number
        )
    )


@dataclass
class Edition:
    pdf: bytes
    html: str
    csv: str


def freeze(user: User | None, report: EducationReport) -> ReportVersion:
    """The approved edition: rendered once, stored, never rendered again."""
    from . import render

    if frozen_edition(report) is not None:
        raise ReportError(_("The report has already been approved."))
    version = _new_version(user, report, frozen=True)
    data = json.loads(version.snapshot)
    version.html = render.html_edition(data)
    version.csv = render.figures_csv(data)
    version.pdf = render.pdf_edition(data)
    version.sha256 = hashlib.sha256(version.pdf).hexdigest()
    db.session.flush()
    record(
        "report.frozen",
        OBJECT,
        report.id,
        actor_id=user.id if user else None,
        data={"number": version.number, "sha256": version.sha256},
    )
    return version


def is_approved(report: EducationReport) -> bool:
    return workflow.has_flag(report, APPROVED)


# --- workflow: guard and effect -------------------------------------------------------


def has_figures(ctx: Any) -> bool:
    report = ctx.obj
    return bool(report.chapters) and all(c.indicator_codes for c in report.chapters)


def freeze_effect(ctx: Any) -> None:
    freeze(ctx.actor, ctx.obj)


def fire(
    user: User, report: EducationReport, transition: str, comment: str | None, version: int | None
) -> None:
    workflow.fire(user, report, transition, comment, expected_version=version)
