"""No IP address or user agent is stored with feedback."""

from __future__ import annotations

import re

from sqlalchemy import inspect, select

from netzwerk.extensions import db

from .conftest import form_data, receipt_code

FEEDBACK_TABLES = [
    "feedback",
    "feedback_contact",
    "feedback_choice",
    "feedback_choice_label",
    "feedback_tag",
    "feedback_tag_link",
    "feedback_referral",
]
SUSPICIOUS = re.compile(r"ip|addr|agent|remote|host|browser|device|useragent|ua$", re.I)


def test_no_column_suggests_ip_or_user_agent(app_ctx):
    inspector = inspect(db.engine)
    tables = set(inspector.get_table_names())
    for table in FEEDBACK_TABLES:
        assert table in tables
        for column in inspector.get_columns(table):
            name = column["name"]
            # "ip" may only appear inside ordinary words such as "recipient".
            assert not SUSPICIOUS.search(name.replace("receipt", "")), f"{table}.{name}"


def test_submitted_row_holds_neither_address_nor_user_agent(app, client, seeded):
    agent = "Mozilla/5.0 (Netzwerk-Test-Agent 42.7)"
    address = "203.0.113.77"
    response = client.post(
        "/rueckmeldung/de/",
        data=form_data(app, contact_consent="y", contact_email="x@example.org"),
        headers={"User-Agent": agent},
        environ_base={"REMOTE_ADDR": address},
    )
    assert response.status_code == 200
    receipt_code(response.get_data(as_text=True))
    with app.app_context():
        for table in FEEDBACK_TABLES:
            rows = db.session.execute(select(db.metadata.tables[table])).all()
            for row in rows:
                for value in row:
                    text = str(value)
                    assert address not in text, table
                    assert "Netzwerk-Test-Agent" not in text, table
        assert db.session.execute(select(db.metadata.tables["feedback"])).first() is not None
