"""The layout's header and footer: rendered from plain values and cached per
app (netzwerk/templating.py).  The cache must never show one user's header,
unread count, current page or CSRF token on another's page."""

from __future__ import annotations

import re

from conftest import demo_user

from netzwerk.database import write_transaction
from netzwerk.extensions import db
from netzwerk.notifications.services import notify


def _current_links(html: str) -> list[str]:
    return re.findall(r'<a href="([^"]+)" aria-current="page">', html)


def _logout_token(html: str) -> str:
    match = re.search(
        r'action="/logout"[^>]*>\s*<input type="hidden" name="csrf_token" value="([^"]+)"', html
    )
    assert match, "no logout form"
    return match.group(1)


def _badge(html: str) -> str | None:
    match = re.search(r'<span class="badge badge-count">(\d+)', html)
    return match.group(1) if match else None


def test_current_page_is_marked_in_the_navigation(client_as):
    client = client_as("member")
    assert _current_links(client.get("/").get_data(as_text=True)) == ["/"]
    assert _current_links(client.get("/meine-gremien").get_data(as_text=True)) == ["/meine-gremien"]
    assert _current_links(client.get("/gremien/").get_data(as_text=True)) == ["/gremien/"]
    # a page outside the navigation marks nothing
    password_page = client.get("/konto/passwort")
    assert password_page.status_code == 200
    assert _current_links(password_page.get_data(as_text=True)) == []


def test_each_user_sees_their_own_name_and_menu(client_as):
    member_html = client_as("member").get("/gremien/").get_data(as_text=True)
    office_html = client_as("office").get("/gremien/").get_data(as_text=True)
    member_again = client_as("member").get("/gremien/").get_data(as_text=True)
    name = re.compile(r'<span class="user-name">([^<]+)</span>')
    assert name.search(member_html).group(1) != name.search(office_html).group(1)
    assert name.search(member_html).group(1) == name.search(member_again).group(1)
    assert "/verwaltung/" in office_html and "/verwaltung/" not in member_html


def test_unread_count_follows_new_notifications(app, client_as):
    client = client_as("member")
    before = _badge(client.get("/").get_data(as_text=True))
    with app.app_context():
        person_id = demo_user("member").person_id
        with write_transaction():
            notify(
                [person_id],
                kind="test",
                object_type="body",
                object_id=1,
                message="Neu im Netzwerk",
                url=None,
                email=False,
            )
        db.session.remove()
    after = _badge(client.get("/").get_data(as_text=True))
    assert int(after or 0) == int(before or 0) + 1


def test_logout_form_carries_the_sessions_own_valid_token(client_as):
    first, second = client_as("member"), client_as("member")
    token_first = _logout_token(first.get("/").get_data(as_text=True))
    token_second = _logout_token(second.get("/").get_data(as_text=True))
    assert token_first != token_second
    # another session's token is refused, the page's own token logs out
    assert first.post("/logout", data={"csrf_token": token_second}).status_code == 400
    assert first.post("/logout", data={"csrf_token": token_first}).status_code == 302
    assert first.get("/").status_code == 302


def test_anonymous_header_and_footer(client):
    html = client.get("/login").get_data(as_text=True)
    assert 'action="/logout"' not in html
    assert 'href="/login"' in html
    assert html.count('class="site-footer"') == 1
    assert "Offene Daten" in html
