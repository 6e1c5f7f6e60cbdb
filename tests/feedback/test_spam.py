"""Rate limit on the public form (Flask-Limiter, no third party) and bad input."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from netzwerk.extensions import db
from netzwerk.feedback.models import Feedback

from .conftest import form_data


def test_rate_limit_refuses_the_burst(extra_app, seeded):
    limited = extra_app(RATELIMIT_ENABLED=True, NETZWERK_FEEDBACK_RATE_LIMIT="3 per minute")
    client = limited.test_client()
    statuses = [
        client.post("/rueckmeldung/tr/", data=form_data(limited)).status_code for _ in range(5)
    ]
    assert statuses[:3] == [200, 200, 200]
    assert statuses[3:] == [429, 429]
    page = client.post("/rueckmeldung/tr/", data=form_data(limited)).get_data(as_text=True)
    assert "Çok fazla istek" in page  # the 429 page in the form's language
    # Reading the form is never limited.
    assert client.get("/rueckmeldung/tr/").status_code == 200
    with limited.app_context():
        assert db.session.scalar(select(func.count()).select_from(Feedback)) == 3


field_values = st.one_of(
    st.text(max_size=300),
    st.sampled_from(["", "0", "-1", "6", "None", "999999999999999999999", "\x00", "1e3"]),
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    data=st.dictionaries(
        st.sampled_from(
            [
                "category",
                "rating",
                "text",
                "district",
                "target_group",
                "age_group",
                "migration",
                "languages_spoken",
                "contact_consent",
                "contact_name",
                "contact_email",
                "contact_phone",
            ]
        ),
        field_values,
    ),
    lang=st.sampled_from(["de", "ls", "ar", "tr"]),
)
def test_arbitrary_input_never_500s(client, seeded, data, lang):
    response = client.post(f"/rueckmeldung/{lang}/", data=data)
    assert response.status_code in (200, 400)
    code = data.get("text", "")
    status = client.post(f"/rueckmeldung/{lang}/status", data={"code": code})
    assert status.status_code in (200, 400, 404)
    export = client.post(f"/rueckmeldung/{lang}/auskunft", data={"code": code})
    assert export.status_code in (200, 400, 404)
    assert (
        client.get(f"/rueckmeldung/{lang}/status", query_string={"code": code}).status_code == 200
    )
