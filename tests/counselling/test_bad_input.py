"""Bad input in every counselling form: never a 500, never a partial write."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from netzwerk.counselling.models import (
    CounsellingCase,
    CounsellingContact,
    CounsellingStaff,
    Offer,
    PersonalDetails,
    Referral,
)
from netzwerk.extensions import db

from .conftest import COUNSELLOR, first_offer_id, make_case, user_id

SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

nasty_text = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=200, max_size=6000),
    st.sampled_from(
        [
            "",
            " ",
            "\x00",
            "None",
            "-1",
            "99999999999999999999",
            "2026-02-30",
            "0000-01-01",
            "9999-12-31",
            "2026-03-01",
            "'; DROP TABLE x; --",
            "%",
            "<script>",
            "in_person",
            "arrived",
            "waiting",
            "de",
            "ar",
            "newly_arrived",
            "1",
            "y",
        ]
    ),
)


def form_data(fields: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {},
        optional={name: st.one_of(nasty_text, st.lists(nasty_text, max_size=4)) for name in fields},
    )


def _counts(app) -> tuple[int, ...]:  # type: ignore[no-untyped-def]
    with app.app_context():
        result = tuple(
            int(db.session.scalar(select(func.count()).select_from(model)) or 0)
            for model in (
                CounsellingCase,
                CounsellingContact,
                Referral,
                PersonalDetails,
                Offer,
                CounsellingStaff,
            )
        )
        db.session.remove()
    return result


@pytest.fixture
def ids(app, counselling_demo):  # type: ignore[no-untyped-def]
    with app.app_context():
        case_id = make_case(user_id(COUNSELLOR))
        from datetime import date

        from netzwerk.counselling import services

        referral = services.create_referral(
            case_id,
            services.ReferralData(first_offer_id(), None, date(2026, 3, 2), date(2026, 3, 16)),
            user_id(COUNSELLOR),
        )
        values = {"case_id": case_id, "referral_id": referral.id, "offer_id": first_offer_id()}
        db.session.remove()
    return values


CONTACT_FIELDS = [
    "contact_date",
    "channel",
    "language",
    "age_group",
    "situation",
    "outcome",
    "topics",
]
OFFER_FIELDS = [
    "organisation_id",
    "title",
    "description",
    "target_groups",
    "languages",
    "contact",
    "contact_email",
    "contact_phone",
    "address",
    "district",
    "action_field_id",
    "active",
]

POST_FORMS = [
    ("/beratung/faelle/neu", CONTACT_FIELDS),
    ("/beratung/faelle/{case_id}/kontakt", CONTACT_FIELDS),
    (
        "/beratung/faelle/{case_id}/weitervermittlung",
        ["offer_id", "organisation_id", "referred_on", "follow_up_on"],
    ),
    (
        "/beratung/weitervermittlungen/{referral_id}/nachfassen",
        ["arrival", "arrived_on", "next_follow_up_on"],
    ),
    ("/beratung/faelle/{case_id}/personendaten", ["name", "contact", "consent"]),
    ("/beratung/angebote/neu", OFFER_FIELDS),
    ("/beratung/angebote/{offer_id}/bearbeiten", OFFER_FIELDS),
]


@pytest.mark.parametrize(("url", "fields"), POST_FORMS, ids=[u for u, _f in POST_FORMS])
def test_post_forms_never_fail_with_bad_input(app, client_as, ids, url, fields):
    client = client_as("office")
    target = url.format(**ids)

    @SETTINGS
    @given(data=form_data(fields))
    def check(data: dict[str, Any]) -> None:
        before = _counts(app)
        response = client.post(target, data=data)
        assert response.status_code in (302, 422), (target, data, response.status_code)
        after = _counts(app)
        if response.status_code == 422:
            # The form was refused: nothing at all was written.
            assert after == before, (target, data)

    check()


def test_staff_form_never_fails_with_bad_input(app, client_as, counselling_demo):
    client = client_as("admin")

    @SETTINGS
    @given(data=form_data(["email"]))
    def check(data: dict[str, Any]) -> None:
        before = _counts(app)
        response = client.post("/verwaltung/beratungsteam", data=data)
        assert response.status_code in (302, 422)
        if response.status_code == 422:
            assert _counts(app) == before

    check()


GET_FORMS = [
    ("/angebote/", ["q", "language", "target_group", "kind"]),
    ("/beratung/angebote/", ["q"]),
    ("/beratung/faelle/", ["code"]),
    ("/beratung/kennzahlen", ["start", "end"]),
    ("/beratung/kennzahlen.csv", ["start", "end"]),
]


@pytest.mark.parametrize(("url", "fields"), GET_FORMS, ids=[u for u, _f in GET_FORMS])
def test_search_and_filter_forms_never_fail(app, client_as, ids, url, fields):
    client = client_as("office")

    @SETTINGS
    @given(data=form_data(fields))
    def check(data: dict[str, Any]) -> None:
        response = client.get(url, query_string=data)
        assert response.status_code == 200, (url, data)

    check()


@pytest.mark.parametrize(
    "url",
    [
        "/beratung/faelle/2147483647",
        "/beratung/faelle/99999999999999999999",
        "/beratung/weitervermittlungen/2147483647/nachfassen",
        "/angebote/99999999999999999999",
    ],
)
def test_huge_ids_are_404(client_as, counselling_demo, url):
    assert client_as("office").get(url).status_code == 404


@pytest.mark.parametrize("offer", ["²", "9" * 5000, "-3", "0", "abc"])
def test_referral_form_ignores_an_offer_that_is_no_id(app, client_as, ids, offer):
    """``?angebot=`` preselects an offer; Unicode digits ("²" passes
    str.isdigit(), not int()) and more digits than int() reads select none."""
    office = client_as("office")
    url = f"/beratung/faelle/{ids['case_id']}/weitervermittlung"
    response = office.get(url, query_string={"angebot": offer})
    assert response.status_code == 200
    plain = office.get(url).get_data(as_text=True)
    assert _offer_select(response.get_data(as_text=True)) == _offer_select(plain)


def test_referral_form_preselects_the_offer_of_the_link(app, client_as, ids):
    page = client_as("office").get(
        f"/beratung/faelle/{ids['case_id']}/weitervermittlung",
        query_string={"angebot": str(ids["offer_id"])},
    )
    assert page.status_code == 200
    assert f'<option selected value="{ids["offer_id"]}"' in _offer_select(
        page.get_data(as_text=True)
    )


def _offer_select(html: str) -> str:
    return html.split('name="offer_id"', 1)[1].split("</select>", 1)[0]
