"""Which GET routes the site walks reach, and why the others are not walked.

Every GET route of the application (by endpoint) is either reached by a
walk (tests/site_walk.py) of some role, answering below 400, or listed in
``NOT_WALKED`` with the reason.  ``coverage_failures`` names each route that
is neither, and each listed route a walk does reach (the list stays honest:
when the demo grows, its entries go).
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import unquote

from flask import Flask
from werkzeug.exceptions import HTTPException

CALENDAR = "tests/api/test_calendar.py"
OPARL = "OParl JSON, linked from JSON only (the walk reads HTML); tests/api/test_oparl.py"
CLOSED = "the demo's meeting in session holds no show of hands nor amendment"
NO_REPORT = "the demo has no education report; tests/reports/, tests/browser/test_report_journey.py"
NO_PUBLIC_MEETING = "the demo has no public meeting; tests/meetings/test_pages.py"

NOT_WALKED: dict[str, str] = {
    "auth.login_code": "the second step of a two-factor login; no demo account has one "
    "(tests/auth/test_two_factor.py)",
    "auth.reset_password": "needs the secret token of a reset mail (tests/auth/test_staff_reset.py)",
    "partner_portal.portal": "needs the secret token of a partner's invitation mail "
    "(tests/projects/test_partner_portal.py, tests/browser/test_partner_portal_journey.py)",
    "partner_portal.evidence": "no demo partner uploaded evidence; tests/projects/test_partner_portal.py",
    "api.meeting_feed": "a meeting's calendar feed, linked from no page; " + CALENDAR,
    "api.private_feed": "needs the secret token shown once after a POST; " + CALENDAR,
    "api.oparl_bodies": OPARL,
    "api.oparl_body": OPARL,
    "api.oparl_body_list": OPARL,
    "api.oparl_object": OPARL,
    "api.oparl_organization": OPARL,
    "api.oparl_organization_meetings": OPARL,
    "api.oparl_file": OPARL,
    "api.oparl_file_content": OPARL,
    "api.oparl_file_download": OPARL,
    "api.oparl_not_found": OPARL,
    "main.health": "the health check for monitoring, linked from no page",
    "funding.proof": "the answer of a GET form (a PDF per project and period), linked from "
    "no page; tests/funding/test_funding.py",
    "reports.detail": NO_REPORT,
    "reports.pdf": NO_REPORT,
    "reports.html": NO_REPORT,
    "reports.figures_csv": NO_REPORT,
    "reports.job_status": NO_REPORT + " (JSON a rendering job's progress bar polls; "
    "tests/reports/test_report_jobs.py)",
    "papers.paper_edit": "the demo has no draft (its author edits it); tests/papers/",
    "voting.poll_status": "JSON the open poll's script polls; tests/voting/test_views.py",
    "search.search": "the header's search form (GET) on every page; tests/search/test_search.py "
    "(bad input), tests/browser/test_search_journey.py (axe)",
    "search.static": "the search page's script; tests/browser/test_search_journey.py",
    "minutes.documents.status": "JSON a rendering job's progress bar polls; "
    "tests/minutes/test_documents.py",
    "voting_meeting.hand_count": "the counts of an open show of hands; "
    + CLOSED
    + "; tests/voting/test_vote_kinds_pages.py",
    "voting_meeting.amendment_vote": "linked from the amendments of an open meeting; "
    + CLOSED
    + "; tests/voting/test_vote_kinds_pages.py",
    "voting_meeting.election": "the demo holds no election; tests/voting/test_vote_kinds_pages.py",
    "meeting_live.projector_page": "needs the secret token shown once after a POST; "
    "tests/meetings/test_cockpit_pages.py",
    "meeting_live.projector_fragment": "the projector's script polls it, with the secret token; "
    "tests/meetings/test_cockpit_pages.py",
    "meeting_live.public_projector_fragment": "the public projector's script polls it "
    "(no link); tests/meetings/test_cockpit_pages.py",
    "meeting_live.cockpit_fragment": "the cockpit's script polls it (no link); "
    "tests/meetings/test_cockpit_pages.py, tests/browser/test_meeting_day_journey.py",
}


def endpoints_reached(app: Flask, answered: dict[str, int]) -> set[str]:
    """The endpoints of the URLs a walk asked for that answered below 400."""
    adapter = app.url_map.bind(app.config["SERVER_NAME"] or "localhost")  # None in tests
    reached = set()
    for url, status in answered.items():
        if status >= 400:
            continue
        try:
            endpoint, _args = adapter.match(unquote(url.partition("?")[0]), method="GET")
        except HTTPException:  # no route, or a redirect to the canonical URL the walk follows
            continue
        reached.add(str(endpoint))
    return reached


def coverage_failures(app: Flask, reached: Iterable[str]) -> list[str]:
    """Every GET route neither reached nor listed, every listed one reached."""
    reached = set(reached)
    rules: dict[str, list[str]] = {}
    for rule in app.url_map.iter_rules():
        if "GET" in (rule.methods or ()):
            rules.setdefault(rule.endpoint, []).append(rule.rule)
    failures = [
        f"not walked and not in NOT_WALKED: {endpoint} {' '.join(rules[endpoint])}"
        for endpoint in sorted(rules)
        if endpoint not in reached and endpoint not in NOT_WALKED
    ]
    failures += [
        f"in NOT_WALKED but walked, take it out: {endpoint} ({NOT_WALKED[endpoint]})"
        for endpoint in sorted(reached & NOT_WALKED.keys())
    ]
    failures += [
        f"in NOT_WALKED but no GET route of the application: {endpoint}"
        for endpoint in sorted(NOT_WALKED.keys() - rules.keys())
    ]
    return failures
