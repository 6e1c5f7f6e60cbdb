"""Pages that work on a phone and on a projector (issue 20, item 7).

A handful of representative pages (start page, papers, a meeting, the
decision register, a workflow diagram, the ballot) are opened at 375 px and
at 1280 px for every demo role that sees them, a screenshot of each is kept
in pytest's tmp_path, and each is checked:

- nothing overflows the viewport sideways except inside a scroll box
  (.table-scroll, the diagram's box);
- every table keeps its headers: at 375 px each cell shows its column's
  header (the card's ::before from data-label), at 1280 px the header row
  is visible;
- at 375 px the navigation is collapsed behind a disclosure button that
  opens it; at 1280 px it is open;
- the ballot's labels sit beside their radio buttons;
- the workflow diagram fills the width at 1280 px, keeps its own size (and
  scrolls) at 375 px, and no label overlaps a state or another label;
- at 375 px the office's pages pass axe-core (test_axe_everywhere.py checks
  every page at the default 1280 px).

Without JavaScript the menu is open and tables scroll in a focusable box.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from netzwerk.extensions import db
from netzwerk.governance.models import Body
from netzwerk.meetings.models import Meeting
from netzwerk.timeutil import utcnow

from .conftest import ROLE_EMAILS, axe_violations, format_violations

NARROW = {"width": 375, "height": 800}
WIDE = {"width": 1280, "height": 800}
ROLES = ("anonymous", *ROLE_EMAILS)

# Problems of the page at the current width, as sentences (empty: fine).
PAGE_PROBLEMS = r"""
(narrow) => {
  const problems = [];
  const describe = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
    (el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\s+/).join(".") : "");
  const vw = document.documentElement.clientWidth;
  const scrolls = (el) => {
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      const o = getComputedStyle(a).overflowX;
      if (o === "auto" || o === "scroll" || o === "hidden") return true;
    }
    return false;
  };
  if (document.documentElement.scrollWidth > vw + 1) {
    problems.push(`the page scrolls sideways (${document.documentElement.scrollWidth} > ${vw})`);
    for (const el of document.body.querySelectorAll("*")) {
      const r = el.getBoundingClientRect();
      if (!r.width || r.right <= vw + 1 || scrolls(el)) continue;
      if (el.closest(".visually-hidden, .skip-link")) continue;
      problems.push(`  ${describe(el)} reaches ${Math.round(r.right)} px`);
      if (problems.length > 8) break;
    }
  }
  for (const table of document.querySelectorAll("main table.table")) {
    if (!table.getClientRects().length) continue;
    const name = (table.caption ? table.caption.textContent : describe(table)).trim();
    const head = table.tHead;
    if (!head) { problems.push(`table "${name}" has no header row`); continue; }
    const headerRow = head.rows[head.rows.length - 1];
    const headers = [];
    for (const th of headerRow.cells) {
      for (let i = 0; i < th.colSpan; i++) headers.push(th);
    }
    const text = (el) => el.textContent.replace(/\s+/g, " ").trim();
    if (!narrow) {
      for (const th of headerRow.cells) {
        const r = th.getBoundingClientRect();
        if (text(th) && (r.width < 2 || r.height < 2)) {
          problems.push(`table "${name}": header "${text(th)}" is not visible`);
        }
      }
      continue;
    }
    const rows = [...table.tBodies].flatMap((b) => [...b.rows]);
    if (table.tFoot) rows.push(...table.tFoot.rows);
    for (const row of rows) {
      let col = 0;
      for (const cell of row.cells) {
        const th = headers[col];
        col += cell.colSpan;
        if (cell.colSpan >= headers.length || !th) continue;  // "Nothing yet."
        const label = text(th);
        if (!label || !cell.getClientRects().length) continue;
        const before = getComputedStyle(cell, "::before");
        const shown = before.display !== "none" && before.content !== "none" &&
          before.content !== "normal" && parseFloat(before.fontSize) >= 10 &&
          (before.content.includes(label) ||
           (before.content.includes("attr(data-label)") && cell.dataset.label === label));
        if (!shown) {
          problems.push(`table "${name}": a cell of column "${label}" does not show its header`);
          break;
        }
      }
    }
  }
  return problems;
}
"""

BALLOT_PROBLEMS = r"""
() => {
  const problems = [];
  for (const option of document.querySelectorAll(".vote-option")) {
    const radio = option.querySelector("input[type=radio]");
    const label = option.querySelector("label");
    const a = radio.getBoundingClientRect(), b = label.getBoundingClientRect();
    if (!(b.left >= a.right - 1 && b.top < a.bottom && b.bottom > a.top)) {
      problems.push(`"${label.textContent.trim()}" is not beside its radio button`);
    }
  }
  return problems;
}
"""

DIAGRAM_OVERLAPS = r"""
() => {
  const svg = document.querySelector("svg.workflow-diagram");
  const boxes = [];
  for (const g of svg.querySelectorAll("g.state, g.edge-label")) {
    const rect = g.querySelector("rect").getBBox();
    const text = g.querySelector("text");
    boxes.push({name: text.textContent.trim(), rect});
    const t = text.getBBox();
    if (t.x < rect.x - 0.5 || t.x + t.width > rect.x + rect.width + 0.5) {
      boxes.push({problem: `"${text.textContent.trim()}" is wider than its box`});
    }
  }
  const problems = boxes.filter((b) => b.problem).map((b) => b.problem);
  const items = boxes.filter((b) => b.rect);
  for (let i = 0; i < items.length; i++) {
    for (let j = i + 1; j < items.length; j++) {
      const p = items[i].rect, q = items[j].rect;
      if (p.x < q.x + q.width && q.x < p.x + p.width && p.y < q.y + q.height && q.y < p.y + p.height) {
        problems.push(`"${items[i].name}" overlaps "${items[j].name}"`);
      }
    }
  }
  return problems;
}
"""


def _fixtures(app: Any) -> dict[str, str]:
    """A running circular resolution of the Vorstandskonferenz to vote in,
    on top of the whole demo (meetings, papers, decisions), and the pages."""
    from flask import url_for

    from netzwerk.voting import services as voting

    with app.app_context():
        vk = db.session.scalar(select(Body).where(Body.short_name == "VK"))
        assert vk is not None
        poll = voting.start_circular_resolution(
            body_id=vk.id,
            subject_type="free",
            subject_id=None,
            title="Schulwegsicherung: gemeinsame Aktionswoche",
            question="Stimmen Sie der Aktionswoche zu?",
            closes_at=utcnow() + timedelta(days=7),
        )
        meeting_id = db.session.scalar(
            select(Meeting.id).where(Meeting.body_id == vk.id).order_by(Meeting.id)
        )
        with app.test_request_context():
            pages = {
                "start": url_for("main.index"),
                "papers": url_for("papers.papers"),
                "meeting": url_for("meetings.meeting", meeting_id=meeting_id),
                "decisions": url_for("decisions.register"),
                "workflow": url_for("workflow.detail", name="beschlussvorlage"),
                "ballot": url_for("voting.open_polls"),
                "poll": url_for("voting.poll", poll_id=poll.id),
            }
        db.session.remove()
    return pages


def _check_navigation(page: Any, narrow: bool, shot: Any = None) -> list[str]:
    toggle = page.locator(".nav-toggle")
    first_link = page.locator(".main-nav a").first
    if not narrow:
        if toggle.is_visible() or not first_link.is_visible():
            return ["at 1280 px the navigation is not simply open"]
        return []
    problems = []
    if not toggle.is_visible() or toggle.get_attribute("aria-expanded") != "false":
        problems.append("at 375 px there is no collapsed menu button")
    elif first_link.is_visible():
        problems.append("at 375 px the collapsed navigation is still shown")
    else:
        toggle.click()
        if toggle.get_attribute("aria-expanded") != "true" or not first_link.is_visible():
            problems.append("the menu button does not open the navigation")
        if shot is not None:
            page.screenshot(path=shot, type="jpeg", quality=70)
        toggle.click()
    return problems


def test_pages_work_on_a_phone_and_on_a_projector(
    app, browser, live_server_empty, full_demo, login_browser, tmp_path
):
    live_server = live_server_empty  # the whole demo comes from full_demo
    pages = _fixtures(app)
    failures: list[str] = []
    seen: dict[str, set[str]] = {}
    for role in ROLES:
        context = browser.new_context(locale="de-DE", timezone_id="Europe/Berlin", viewport=NARROW)
        context.set_default_timeout(15_000)
        page = context.new_page()
        try:
            if role != "anonymous":
                login_browser(page, live_server, role)
            for name, path in pages.items():
                response = page.goto(live_server + path)
                if response is None or response.status != 200 or "/login" in page.url:
                    continue  # this role does not see the page
                seen.setdefault(name, set()).add(role)
                for width, viewport in (("375", NARROW), ("1280", WIDE)):
                    narrow = viewport is NARROW
                    page.set_viewport_size(viewport)
                    where = f"{role} {path} at {width} px"
                    problems = page.evaluate(PAGE_PROBLEMS, narrow)
                    menu_shot = tmp_path / f"{role}-{name}-menu.jpeg" if name == "start" else None
                    problems += _check_navigation(page, narrow, menu_shot)
                    if page.locator(".vote-option").count():
                        seen.setdefault("radio buttons", set()).add(role)
                        problems += page.evaluate(BALLOT_PROBLEMS)
                    if name == "workflow":
                        problems += _check_diagram(page, narrow)
                    if narrow and role == "office":  # the cards and the menu pass axe too
                        violations = axe_violations(page)
                        if violations:
                            problems.append(format_violations(violations))
                    shot = tmp_path / f"{role}-{name}-{width}.jpeg"
                    page.screenshot(path=shot, full_page=True, type="jpeg", quality=70)
                    failures += [f"{where}: {p}" for p in problems]
                page.set_viewport_size(NARROW)
        finally:
            context.close()
    # The walk reached what it should: every page for some role, the ballot
    # with its radio buttons for the members.
    assert set(seen) == {*pages, "radio buttons"}, seen
    assert {"member", "chair"} <= seen["radio buttons"], seen
    assert seen["meeting"] >= {"office", "member"}, seen
    assert failures == [], "\n".join(failures)


def _check_diagram(page: Any, narrow: bool) -> list[str]:
    svg = page.locator("svg.workflow-diagram")
    box = svg.bounding_box()
    scroll_box = page.locator(".workflow-diagram-scroll")
    inner = scroll_box.evaluate("(el) => el.clientWidth - 16")  # less the padding
    natural = float(svg.get_attribute("width") or 0)
    problems = page.evaluate(DIAGRAM_OVERLAPS)
    assert box is not None
    if narrow:
        if box["width"] < natural - 1:
            problems.append(f"the diagram is shrunk to {box['width']:.0f} of {natural:.0f} px")
        if scroll_box.get_attribute("tabindex") != "0":
            problems.append("the diagram's scroll box cannot be reached by keyboard")
    elif box["width"] < inner - 2:
        problems.append(f"the diagram is {box['width']:.0f} px wide, not the full {inner} px")
    return problems


def test_without_javascript_the_menu_is_open_and_tables_scroll(browser, live_server, login_browser):
    context = browser.new_context(
        locale="de-DE", timezone_id="Europe/Berlin", viewport=NARROW, java_script_enabled=False
    )
    try:
        page = context.new_page()
        login_browser(page, live_server, "office")
        page.goto(live_server + "/verwaltung/personen/")
        assert not page.locator(".nav-toggle").is_visible()
        assert page.locator(".main-nav a").first.is_visible()
        table = page.locator("main table.table").first
        assert table.get_attribute("class") is not None
        assert "table-cards" not in (table.get_attribute("class") or "")
        wrapper = page.locator("main .table-scroll:has(table.table)").first
        assert wrapper.get_attribute("tabindex") == "0"
        # The table scrolls inside its box; the page itself does not.
        assert page.evaluate(
            "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"
        )
    finally:
        context.close()


def test_the_checks_fail_on_a_table_without_headers_and_a_page_too_wide(
    browser, live_server, login_browser
):
    """The page checks above can fail: a card whose cells lost their labels
    and an element wider than the phone are reported."""
    context = browser.new_context(locale="de-DE", viewport=NARROW)
    try:
        page = context.new_page()
        login_browser(page, live_server, "member")
        page.goto(live_server + "/gremien/")  # the bodies: a table of the network demo
        assert page.locator("main td[data-label]").count() > 5
        assert page.evaluate(PAGE_PROBLEMS, True) == []
        page.evaluate(
            "() => document.querySelectorAll('main td[data-label]')"
            ".forEach((td) => td.removeAttribute('data-label'))"
        )
        problems = page.evaluate(PAGE_PROBLEMS, True)
        assert any("does not show its header" in p for p in problems), problems
        page.evaluate(
            "() => { const d = document.createElement('div'); d.style.width = '600px';"
            " d.textContent = 'x'; document.querySelector('main').append(d); }"
        )
        problems = page.evaluate(PAGE_PROBLEMS, True)
        assert any("scrolls sideways" in p for p in problems), problems
    finally:
        context.close()
