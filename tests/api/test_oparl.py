"""The OParl 1.1 endpoint: a crawler checks the whole graph against the spec."""

from __future__ import annotations

import json
from collections import deque
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import update

from netzwerk.database import utcnow
from netzwerk.extensions import db
from netzwerk.governance.models import Body

from .helpers import SECRET, Scenario, build_scenario, spread_timestamps
from .oparl_schema import BACK_REFERENCES, OPARL, type_name, validate

ROOT = "http://localhost/oparl/v1/"
BODY_LISTS = (
    "organization",
    "person",
    "meeting",
    "paper",
    "agendaItem",
    "consultation",
    "file",
    "locationList",
    "legislativeTermList",
    "membership",
)
CRAWL_LIMIT = 3000


def get_json(client: Any, url: str, status: int = 200) -> Any:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code, response.data[:300])
    assert response.mimetype == "application/json", url
    assert response.headers.get("Access-Control-Allow-Origin") == "*", url
    return response.get_json()


def _urls_in(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value] if value.startswith(ROOT) else []
    if isinstance(value, list):
        return [u for v in value for u in _urls_in(v)]
    if isinstance(value, dict):
        return [u for v in value.values() for u in _urls_in(v)]
    return []


class Crawl:
    def __init__(self) -> None:
        self.objects: dict[str, dict[str, Any]] = {}  # fetched on their own
        self.listed: dict[str, dict[str, Any]] = {}  # as list elements
        self.embedded: list[dict[str, Any]] = []
        self.lists: set[str] = set()
        self.files: set[str] = set()
        self.text: list[str] = []


def crawl(client: Any, start: str = ROOT) -> Crawl:
    """Follow every OParl URL from the System object (bounded)."""
    result = Crawl()
    queue: deque[str] = deque([start])
    seen = {start}
    while queue:
        assert len(seen) < CRAWL_LIMIT, "crawl did not end"
        url = queue.popleft()
        path = urlsplit(url).path
        if path.endswith(("/content", "/download")):
            response = client.get(url)
            assert response.status_code == 200, url
            assert response.headers.get("Access-Control-Allow-Origin") == "*"
            result.files.add(url)
            result.text.append(response.data.decode("utf-8", "replace"))
            continue
        data = get_json(client, url)
        result.text.append(json.dumps(data, ensure_ascii=False))
        if "data" in data:
            result.lists.add(url)
            assert set(data) == {"data", "pagination", "links"}, url
            for element in data["data"]:
                result.embedded.extend(validate(element))
                result.listed[element["id"]] = element
            targets = _urls_in(data["data"]) + list(data["links"].values())
        else:
            result.embedded.extend(validate(data))
            result.objects[url] = data
            targets = _urls_in(data)
        for target in targets:
            if target not in seen:
                seen.add(target)
                queue.append(target)
    return result


# --- the crawl ------------------------------------------------------------------------------


def test_crawler_checks_every_object_against_the_spec(client, scenario: Scenario) -> None:
    result = crawl(client)
    system = result.objects[ROOT]
    assert system["oparlVersion"] == OPARL
    assert type_name(system) == "System"
    types = {type_name(o) for o in result.objects.values()}
    assert types == {
        "System",
        "Body",
        "LegislativeTerm",
        "Organization",
        "Person",
        "Membership",
        "Meeting",
        "AgendaItem",
        "Paper",
        "Consultation",
        "File",
        "Location",
    }
    # Every object found in a list resolves under its id to the same object.
    for object_id, element in result.listed.items():
        assert result.objects.get(object_id) == element, object_id
    # Embedded objects equal the object at their id, less the back-references.
    for embedded in result.embedded:
        standalone = result.objects[embedded["id"]]
        name = type_name(embedded)
        for key, value in embedded.items():
            assert standalone[key] == value, (embedded["id"], key)
        extra = set(standalone) - set(embedded)
        assert extra <= BACK_REFERENCES.get(name, set()), (embedded["id"], extra)
    # Every id is the canonical absolute URL of the object.
    for url, data in result.objects.items():
        if urlsplit(url).query == "":
            assert data["id"] == url
    body = result.objects[ROOT + "body/1"]
    for key in BODY_LISTS:
        assert body[key] in result.lists
    assert result.files, "the public attachment is published"


def test_meetings_agenda_and_deleted_objects(client, scenario: Scenario) -> None:
    meetings = get_json(client, ROOT + "body/1/meeting")["data"]
    by_id = {m["id"]: m for m in meetings}
    public = by_id[ROOT + f"meeting/{scenario.public_meeting}"]
    assert [i["id"] for i in public["agendaItem"]] == [
        ROOT + f"agenda-item/{i}" for i in scenario.public_items
    ]
    assert [i["number"] for i in public["agendaItem"]] == ["1", "1.1", "2"]
    assert [i["order"] for i in public["agendaItem"]] == [1, 2, 3]
    assert public["agendaItem"][2]["consultation"].startswith(ROOT + "consultation/")
    assert by_id[ROOT + f"meeting/{scenario.cancelled_meeting}"]["cancelled"] is True
    assert public["cancelled"] is False
    # The item withdrawn after the invitation: gone from its meeting, a stub at its URL.
    withdrawn = get_json(client, ROOT + f"agenda-item/{scenario.withdrawn_item}")
    assert withdrawn["deleted"] is True
    items = get_json(client, ROOT + "body/1/agenda-item")["data"]
    assert withdrawn in items
    # A deactivated body is a deleted Organization, not a 404.
    with client.application.app_context():
        ag = db.session.query(Body).filter(Body.public, Body.parent_id.is_not(None)).first()
        assert ag is not None
        db.session.execute(update(Body).where(Body.id == ag.id).values(active=False))
        db.session.commit()
        ag_id = ag.id
    stub = get_json(client, ROOT + f"organization/gremium/{ag_id}")
    assert stub["deleted"] is True
    assert set(stub) == {"id", "type", "created", "modified", "deleted"}


def test_non_public_data_never_appears(client, scenario: Scenario) -> None:
    result = crawl(client)
    text = "\n".join(result.text)
    assert SECRET not in text
    for meeting_id in (scenario.hidden_meeting, scenario.vk_meeting, scenario.planned_meeting):
        assert ROOT + f"meeting/{meeting_id}" not in result.objects
        get_json(client, ROOT + f"meeting/{meeting_id}", status=404)
        assert client.get(f"/kalender/sitzung/{meeting_id}.ics").status_code == 404
    get_json(client, ROOT + f"paper/{scenario.hidden_paper}", status=404)
    # No e-mail addresses or phone numbers of persons.
    assert "@osnabrueck" not in text
    for data in result.objects.values():
        if type_name(data) == "Person":
            assert not {"email", "phone", "location", "locationObject"} & set(data)
    # The non-public body (VK) is no Organization at all.
    with client.application.app_context():
        vk_id = db.session.query(Body.id).filter(Body.short_name == "VK").scalar()
    get_json(client, ROOT + f"organization/gremium/{vk_id}", status=404)


def test_files_are_served_for_reading_and_download(client, scenario: Scenario) -> None:
    file = get_json(client, ROOT + f"file/attachment/{scenario.attachment}")
    content = client.get(file["accessUrl"])
    assert content.status_code == 200
    assert b"Begruendung" in content.data
    assert "attachment" not in content.headers.get("Content-Disposition", "")
    download = client.get(file["downloadUrl"])
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert "begruendung.txt" in download.headers["Content-Disposition"]
    assert download.headers["X-Content-Type-Options"] == "nosniff"


# --- pagination -----------------------------------------------------------------------------


def _walk(client: Any, url: str) -> list[dict[str, Any]]:
    elements: list[dict[str, Any]] = []
    page = 1
    total_pages = None
    while url:
        data = get_json(client, url)
        pagination = data["pagination"]
        assert pagination["currentPage"] == page
        assert pagination["elementsPerPage"] == 2
        if total_pages is None:
            total_pages = pagination["totalPages"]
        assert pagination["totalPages"] == total_pages
        assert len(data["data"]) <= 2
        if page < total_pages:
            assert len(data["data"]) == 2
        links = data["links"]
        assert links["self"] == url
        assert "elementsPerPage=2" in links["first"] and "elementsPerPage=2" in links["last"]
        assert ("prev" in links) == (page > 1)
        elements.extend(data["data"])
        url = links.get("next", "")
        page += 1
    assert page - 1 == total_pages
    return elements


def test_walking_the_pages_yields_every_element_once(client, scenario: Scenario) -> None:
    body = get_json(client, ROOT + "body/1")
    for key in BODY_LISTS:
        full = get_json(client, body[key])
        assert full["pagination"]["totalElements"] == len(full["data"]) or (
            full["pagination"]["totalPages"] > 1
        )
        walked = _walk(client, body[key] + "?elementsPerPage=2")
        ids = [e["id"] for e in walked]
        assert len(ids) == len(set(ids)), key
        assert len(ids) == full["pagination"]["totalElements"], key
        if full["pagination"]["totalPages"] == 1:
            assert ids == [e["id"] for e in full["data"]], key  # the same stable order


def test_filters_are_kept_in_the_page_links(client, scenario: Scenario) -> None:
    since = "2000-01-01T00:00:00+01:00"
    data = get_json(
        client,
        ROOT + "body/1/person?" + urlencode({"created_since": since, "elementsPerPage": 3}),
    )
    for name in ("first", "next", "last", "self"):
        query = parse_qs(urlsplit(data["links"][name]).query)
        assert query["created_since"] == [since]
        assert query["elementsPerPage"] == ["3"]


# --- date filters ------------------------------------------------------------------------


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _fmt(value: datetime) -> str:
    return value.isoformat()


@pytest.mark.calendar
def test_date_filters_select_the_right_objects(client, app, demo) -> None:
    with app.app_context():
        build_scenario()
        spread_timestamps()
        db.session.remove()
    body = get_json(client, ROOT + "body/1")
    checked = 0
    for key in BODY_LISTS:
        everything = get_json(client, body[key])["data"]
        live = list(everything)
        for field in ("created", "modified"):
            values = sorted({_parse(e[field]) for e in live})
            assert values, key
            pivot = values[len(values) // 2]
            for suffix, keep in (
                ("since", lambda v, p=pivot: v >= p),
                ("until", lambda v, p=pivot: v <= p),
            ):
                url = body[key] + "?" + urlencode({f"{field}_{suffix}": _fmt(pivot)})
                got = {e["id"] for e in get_json(client, url)["data"]}
                expected = {e["id"] for e in live if keep(_parse(e[field]))}
                assert got == expected, (key, field, suffix)
                checked += 1
            # A window in another time zone selects the same objects.
            later = pivot + timedelta(days=1)
            url = (
                body[key]
                + "?"
                + urlencode(
                    {
                        f"{field}_since": pivot.astimezone(UTC).isoformat(),
                        f"{field}_until": later.astimezone(UTC).isoformat(),
                    }
                )
            )
            got = {e["id"] for e in get_json(client, url)["data"]}
            expected = {e["id"] for e in live if pivot <= _parse(e[field]) <= later}
            assert got == expected, (key, field, "window")
    assert checked == len(BODY_LISTS) * 4
    # The spread really separates old from new objects.
    old = get_json(
        client, body["person"] + "?" + urlencode({"created_until": "2020-12-31T23:59:59+01:00"})
    )
    assert old["pagination"]["totalElements"] > 0
    assert (
        old["pagination"]["totalElements"]
        < get_json(client, body["person"])["pagination"]["totalElements"]
    )


def test_bad_filters_answer_with_an_oparl_error(client, scenario: Scenario) -> None:
    for query in (
        "created_since=gestern",
        "modified_until=2024-01-01",
        "created_until=2024-01-01T10:00:00",  # no time zone
        "page=0",
        "page=abc",
        "page=²",  # str.isdigit() says yes, int() refuses it
        "page=" + "9" * 5000,  # beyond int()'s 4,300 digits
        "elementsPerPage=-1",
        "elementsPerPage=³",
    ):
        data = get_json(client, ROOT + "body/1/meeting?" + query, status=400)
        assert data["type"] == "Error"
        assert data["message"]
    # A "+" sent without encoding arrives as a space: still understood.
    get_json(client, ROOT + "body/1/meeting?created_since=2024-01-01T10:00:00 01:00")
    assert get_json(client, ROOT + "gibt/es/nicht", status=404)["type"] == "Error"
    assert get_json(client, ROOT + "meeting/999999", status=404)["type"] == "Error"
    response = client.post(ROOT, csrf=False)
    assert response.status_code in (400, 405)
    assert response.mimetype == "application/json"
    assert response.headers["Access-Control-Allow-Origin"] == "*"


FILTER_NAMES = ("created_since", "created_until", "modified_since", "modified_until")
datetimes = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.timezones()
).map(lambda d: d.isoformat())
values = st.one_of(st.text(max_size=40), datetimes, st.sampled_from(["", "Z", "T", "9" * 30]))


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    params=st.dictionaries(
        st.sampled_from([*FILTER_NAMES, "page", "elementsPerPage", "omit_internal"]),
        values,
        max_size=4,
    ),
    kind=st.sampled_from(["meeting", "person", "organization", "file", "legislative-term"]),
)
def test_filter_parameters_never_cause_a_server_error(client, demo, params, kind) -> None:
    response = client.get(ROOT + f"body/1/{kind}?" + urlencode(params))
    assert response.status_code in (200, 400), (params, response.status_code)
    assert response.mimetype == "application/json"
    data = response.get_json()
    if response.status_code == 400:
        assert data["type"] == "Error"
    else:
        assert set(data) == {"data", "pagination", "links"}


def test_omit_internal_leaves_out_embedded_objects(client, scenario: Scenario) -> None:
    full = get_json(client, ROOT + "body/1/meeting")["data"]
    assert any("agendaItem" in m for m in full)
    data = get_json(client, ROOT + "body/1/meeting?omit_internal=true")
    for meeting in data["data"]:
        validate(meeting)
        assert not {"agendaItem", "location", "resultsProtocol"} & set(meeting)
    assert "omit_internal=true" in data["links"]["self"]
    persons = get_json(client, ROOT + "body/1/person?omit_internal=1")["data"]
    assert all("membership" not in p for p in persons)


# --- query counts -----------------------------------------------------------------------------


def _more_meetings(app: Any, count: int) -> None:
    from netzwerk.meetings import agenda

    from .helpers import invite, new_meeting, user

    with app.app_context():
        for i in range(count):
            meeting = new_meeting("BK", public=True, days=70 + i)
            agenda.add_free_item(user("office"), meeting, title=f"Punkt {i}")
            invite(meeting)
        db.session.remove()


def test_query_count_of_lists_stays_flat(client, app, scenario: Scenario, count_queries) -> None:
    urls = [
        ROOT + "body/1/meeting",
        ROOT + "body/1/agenda-item",
        ROOT + "body/1/person",
        ROOT + "body/1/organization",
        ROOT + "body/1/paper",
        ROOT + "body/1/consultation",
        ROOT + "body/1/membership",
        ROOT + "body/1/location",
        ROOT + "body/1/file",
    ]

    def counts() -> list[int]:
        result = []
        for url in urls:
            with count_queries() as counter:
                assert client.get(url).status_code == 200
            result.append(counter.count)
        return result

    counts()  # the first requests fill the per-process caches (the flags' states)
    before = counts()
    _more_meetings(app, 4)
    after = counts()
    assert after == before


# --- files from other packages (e.g. approved minutes) -------------------------------------


class _MinutesFiles:
    """A stand-in for the minutes package's provider."""

    kind = "minutes"

    def __init__(self, files: list[Any], data: bytes) -> None:
        self.files = files
        self._data = data

    def public_files(self, meeting_ids: Any = None) -> list[Any]:
        return [f for f in self.files if meeting_ids is None or f.meeting_id in meeting_ids]

    def get(self, file_id: int) -> Any:
        return next((f for f in self.files if f.id == file_id), None)

    def content(self, file_id: int) -> Any:
        return self._data


def test_provider_files_appear_with_their_public_meeting_only(client, scenario: Scenario) -> None:
    from netzwerk.api.providers import PublicFile, register_file_provider, unregister_file_provider

    pdf = b"%PDF-1.4 Protokoll\n"
    now = utcnow()

    def minutes(file_id: int, meeting_id: int) -> PublicFile:
        return PublicFile(
            id=file_id,
            name=f"Protokoll {meeting_id}",
            file_name="protokoll.pdf",
            mime_type="application/pdf",
            size=len(pdf),
            created=now,
            modified=now,
            meeting_id=meeting_id,
            meeting_role="resultsProtocol",
        )

    register_file_provider(
        _MinutesFiles(
            [minutes(1, scenario.public_meeting), minutes(2, scenario.hidden_meeting)], pdf
        )
    )
    try:
        result = crawl(client)
        meeting = result.objects[ROOT + f"meeting/{scenario.public_meeting}"]
        assert meeting["resultsProtocol"]["id"] == ROOT + "file/minutes/1"
        assert result.objects[ROOT + "file/minutes/1"]["meeting"] == [
            ROOT + f"meeting/{scenario.public_meeting}"
        ]
        assert ROOT + "file/minutes/2" not in result.objects
        get_json(client, ROOT + "file/minutes/2", status=404)
        assert client.get(ROOT + "file/minutes/2/content").status_code == 404
        assert client.get(ROOT + "file/minutes/1/content").data.startswith(b"%PDF")
        files = get_json(client, ROOT + "body/1/file")["data"]
        assert [f["id"] for f in files] == [
            ROOT + f"file/attachment/{scenario.attachment}",
            ROOT + "file/minutes/1",
        ]
    finally:
        unregister_file_provider("minutes")


def test_edited_location_reports_its_edit_as_modified(
    client, app, clock, scenario: Scenario
) -> None:
    from conftest import demo_user

    from netzwerk.meetings import places
    from netzwerk.meetings.models import Location

    listing = get_json(client, ROOT + "body/1/location")["data"]
    assert listing, "the scenario has public places"
    place = listing[0]
    location_id = int(place["id"].rstrip("/").rsplit("/", 1)[1])
    with app.app_context():
        # The edit happens later than everything the scenario did (OParl
        # times are to the second).
        clock.shift(timedelta(seconds=2))
        location = db.session.get(Location, location_id)
        places.update_location(
            demo_user("office"),
            location_id,
            name=location.name,
            address="Neuer Weg 1, 49074 Osnabrück",
            room=location.room or "",
        )
        db.session.remove()
    edited = get_json(client, place["id"])
    assert edited["streetAddress"] == "Neuer Weg 1, 49074 Osnabrück"
    assert edited["created"] == place["created"]
    assert edited["modified"] > place["modified"]
    since = edited["modified"]
    changed = get_json(client, ROOT + "body/1/location?" + urlencode({"modified_since": since}))
    assert [p["id"] for p in changed["data"]] == [place["id"]]
    # The meetings there embed the place: they changed with it.
    meetings = get_json(client, ROOT + "body/1/meeting?" + urlencode({"modified_since": since}))
    assert meetings["data"], "a public meeting at the place"
    for meeting in meetings["data"]:
        assert meeting["location"]["id"] == place["id"]
        assert meeting["location"]["streetAddress"] == "Neuer Weg 1, 49074 Osnabrück"
        assert meeting["modified"] >= since


@pytest.mark.calendar
def test_years_and_date_filters_follow_berlin_time(client, app, demo, clock) -> None:
    """Half an hour after the instant (on New Year's Eve: midnight in Berlin,
    still the old year in UTC) the legislative term of the new local year
    exists, times carry Berlin's offset of that moment, and a filter at that
    moment separates what came before from what came after."""
    from netzwerk.governance import organisations as governance
    from netzwerk.timeutil import LOCAL_TZ, local_today, to_local

    with app.app_context():
        created_year = to_local(utcnow()).year  # the demo network's creation
    clock.shift(timedelta(minutes=30))
    boundary = to_local(utcnow()).replace(microsecond=0)
    clock.shift(timedelta(minutes=30))
    with app.app_context():
        governance.create_organisation({"name": "Bildungswerk Neu", "kind": "further_education"})
        year = local_today().year
        now_offset = to_local(utcnow()).utcoffset()
        db.session.remove()

    body = get_json(client, ROOT + "body/1")
    terms = get_json(client, body["legislativeTermList"])["data"]
    assert [t["name"] for t in terms] == [f"Jahr {y}" for y in range(created_year, year + 1)]
    assert (terms[-1]["startDate"], terms[-1]["endDate"]) == (f"{year}-01-01", f"{year}-12-31")
    assert [t["id"] for t in body["legislativeTerm"]] == [t["id"] for t in terms]

    organizations = get_json(client, body["organization"] + "?elementsPerPage=100")["data"]
    new = [o for o in organizations if o["name"] == "Bildungswerk Neu"]
    assert len(new) == 1
    created = datetime.fromisoformat(new[0]["created"])
    assert created.utcoffset() == now_offset  # CEST after the spring night, CET after autumn's
    assert created.astimezone(LOCAL_TZ).year == year

    def names(**filters: str) -> set[str]:
        url = body["organization"] + "?" + urlencode({**filters, "elementsPerPage": "100"})
        return {o["name"] for o in get_json(client, url)["data"]}

    since = names(created_since=boundary.isoformat())
    until = names(created_until=boundary.isoformat())
    assert since == {"Bildungswerk Neu"}
    assert "Bildungswerk Neu" not in until and until == {o["name"] for o in organizations} - since
    # The same moment written in UTC selects the same.
    assert names(created_since=boundary.astimezone(UTC).isoformat()) == since
