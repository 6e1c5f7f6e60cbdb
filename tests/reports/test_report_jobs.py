"""The report's PDFs are rendered in the scheduler's queue, never in a request:
the request queues, the page shows the progress, the job renders; a failed
render shows its error and can be asked for again."""

from __future__ import annotations

import io
import re
from unittest import mock

import pypdf
from sqlalchemy import func, select

from netzwerk.extensions import db
from netzwerk.reports import jobs, services
from netzwerk.reports.models import ReportJob
from netzwerk.workflow import services as workflow


def _new_report(app):  # type: ignore[no-untyped-def]
    from conftest import demo_user

    from reports.test_reports import _report

    with app.app_context():
        report, _table = _report(demo_user("office"))
        return report.id


def _approving_step(report):  # type: ignore[no-untyped-def]
    """The step whose effect freezes the edition (named by the YAML, not here)."""
    definition = workflow.definition_of(report)
    return next(t for t in definition.transitions.values() if jobs.FREEZE_EFFECT in t.effects)


def _jobs() -> int:
    return int(db.session.scalar(select(func.count()).select_from(ReportJob)) or 0)


def test_the_preview_is_queued_rendered_and_then_served(app, client_as):
    report_id = _new_report(app)
    office = client_as("office")
    url = f"/monitoring/berichte/{report_id}/bericht.pdf"
    with mock.patch("netzwerk.reports.render.pdf_edition") as renders:
        waiting = office.get(url)
        again = office.get(url)  # the same job answers
        renders.assert_not_called()  # no request renders
    assert waiting.status_code == 202 and again.status_code == 202
    page = waiting.get_data(as_text=True)
    assert "data-job-status" in page and "<progress" in page and "Aktualisieren" in page
    with app.app_context():
        assert _jobs() == 1
        job_id = db.session.scalar(select(ReportJob.id))
    status = office.get(f"/monitoring/berichte/{report_id}/aufgaben/{job_id}").json
    assert status["state"] == "queued" and not status["finished"]
    with app.app_context():
        assert jobs.queue.run_pending() == 1
    status = office.get(f"/monitoring/berichte/{report_id}/aufgaben/{job_id}").json
    assert status == {**status, "state": "done", "progress": 100, "finished": True}
    ready = office.get(url)
    assert ready.status_code == 200 and ready.data.startswith(b"%PDF")
    with app.app_context():
        assert _jobs() == 1  # the unchanged draft is not rendered again
    assert (
        client_as("lead").get(f"/monitoring/berichte/{report_id}/aufgaben/{job_id}").status_code
        == 403
    )


def test_a_failed_render_shows_its_error_and_can_be_retried(app, client_as):
    report_id = _new_report(app)
    with app.app_context():
        from conftest import demo_user

        services.save_version(demo_user("office"), services.get_report(report_id))
    office = client_as("office")
    url = f"/monitoring/berichte/{report_id}/bericht.pdf?fassung=1"
    assert office.get(url).status_code == 202
    with (
        app.app_context(),
        mock.patch("netzwerk.reports.render.pdf_edition", side_effect=OSError("font")),
    ):
        assert jobs.queue.run_pending() == 1
    failed = office.get(url)
    html = failed.get_data(as_text=True)
    assert failed.status_code == 200 and "OSError" in html and "Erneut versuchen" in html
    assert "data-job-status" not in html
    with app.app_context():
        assert _jobs() == 1  # looking again does not queue again
    retry = re.search(r'action="([^"]+/bericht.pdf/erneut[^"]*)"', html)
    assert retry is not None, "the failed render offers to try again"
    retried = office.post(retry.group(1).replace("&amp;", "&"))
    assert retried.status_code == 302 and retried.headers["Location"].endswith("fassung=1")
    with app.app_context():
        assert _jobs() == 2 and jobs.queue.run_pending() == 1
        version = services.get_version(services.get_report(report_id), 1)
        assert version is not None and version.pdf is not None  # stored in the draft version
    ready = office.get(url)
    assert ready.status_code == 200 and ready.data.startswith(b"%PDF")


def test_approval_is_queued_and_the_job_freezes_the_edition(app, client_as):
    report_id = _new_report(app)
    office = client_as("office")
    with app.app_context():
        from conftest import demo_user

        approve = _approving_step(services.get_report(report_id))
        workflow.fire_to_flag(  # up to the step that approves
            demo_user("office"),
            services.get_report(report_id),
            lambda state: state.name in approve.from_states,
        )
        version = services.get_report(report_id).version
    with mock.patch("netzwerk.reports.render.pdf_edition") as renders:
        response = office.post(
            f"/monitoring/berichte/{report_id}/schritt/{approve.name}",
            data={f"t-{approve.name}-version": str(version)},
        )
        renders.assert_not_called()
    assert response.status_code == 302
    page = office.get(f"/monitoring/berichte/{report_id}").get_data(as_text=True)
    assert "data-job-status" in page and "<progress" in page
    with app.app_context():
        assert not services.is_approved(services.get_report(report_id))
        assert jobs.queue.run_pending() == 1
        report = services.get_report(report_id)
        assert services.is_approved(report)
        edition = services.frozen_edition(report)
        assert edition is not None and edition.pdf is not None
        stored = edition.pdf
    page = office.get(f"/monitoring/berichte/{report_id}").get_data(as_text=True)
    assert "data-job-status" not in page and 'class="checksum"' in page
    with mock.patch("netzwerk.reports.render.pdf_edition") as renders:
        pdf = office.get(f"/monitoring/berichte/{report_id}/bericht.pdf")
        renders.assert_not_called()  # the frozen edition, never rendered again
    assert pdf.status_code == 200 and pdf.data == stored
    # The acceptance of issue 24: bookmarks per chapter, PDF/A, the CSV inside.
    reader = pypdf.PdfReader(io.BytesIO(pdf.data))
    titles = [item.title for item in reader.outline if not isinstance(item, list)]
    assert "1. Übergang Schule–Beruf" in titles and "2. Non-formale Bildung" in titles
    assert b'pdfaid:part="3"' in reader.trailer["/Root"]["/Metadata"].get_data()
    assert "zahlen.csv" in reader.attachments


def test_a_refused_approval_answers_at_once(app, client_as):
    report_id = _new_report(app)
    office = client_as("office")
    with app.app_context():
        approve = _approving_step(services.get_report(report_id))
    response = office.post(  # still a draft: the step is not possible
        f"/monitoring/berichte/{report_id}/schritt/{approve.name}",
        data={f"t-{approve.name}-version": "1"},
    )
    assert response.status_code == 302
    with app.app_context():
        assert _jobs() == 0


def test_the_queue_keeps_one_open_job_per_document(app_ctx, demo):
    from conftest import demo_user

    from reports.test_reports import _report

    office = demo_user("office")
    report, _table = _report(office)
    body, first = jobs.pdf_or_job(office, report, None)
    again = jobs.queue.enqueue(jobs.PREVIEW, first.key, report_id=report.id)  # refused: the same
    assert body is None and again.id == first.id and _jobs() == 1
    with mock.patch("netzwerk.reports.render.pdf_edition", return_value=b"%PDF-preview"):
        assert jobs.queue.run_pending() == 1
    db.session.expire_all()
    assert jobs.pdf_or_job(office, report, None) == (b"%PDF-preview", None)
    services.update_chapter(  # a changed draft is a new preview; only the newest is kept
        office,
        report,
        report.chapters[1].id,
        title="Non-formale Bildung",
        commentary="Neu.",
        indicators=["feedback_by_district"],
        show_map=False,
        show_chart=False,
    )
    with mock.patch("netzwerk.reports.render.pdf_edition", return_value=b"%PDF-second"):
        assert jobs.pdf_or_job(office, report, None)[0] is None
        assert jobs.queue.run_pending() == 1
    db.session.expire_all()
    kept = db.session.scalars(select(ReportJob.result).where(ReportJob.result.is_not(None)))
    assert list(kept) == [b"%PDF-second"]
