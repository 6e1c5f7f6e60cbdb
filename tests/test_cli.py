from sqlalchemy import func, select

from netzwerk.auth.models import User
from netzwerk.extensions import db
from netzwerk.governance.models import ActionField, Body, Membership, Organisation


def _counts():
    return tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (Body, Membership, Organisation, User, ActionField)
    )


def test_demo_is_idempotent_and_complete(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["netzwerk", "demo"])
    assert result.exit_code == 0 and "loaded" in result.output
    with app.app_context():
        first = _counts()
        bodies = {b.short_name: b for b in db.session.scalars(select(Body))}
        assert {"VK", "BK"} <= set(bodies)
        assert sum(1 for b in bodies.values() if b.kind == "working_group") == 4
        bk_members = db.session.scalar(
            select(func.count())
            .select_from(Membership)
            .where(Membership.body_id == bodies["BK"].id)
        )
        assert bk_members >= 20
        kinds = set(db.session.scalars(select(Organisation.kind)))
        assert {
            "school",
            "daycare",
            "university",
            "chamber",
            "sme",
            "culture",
            "further_education",
            "foundation",
            "migrant_organisation",
        } <= kinds
        assert first[4] == 5
    again = runner.invoke(args=["netzwerk", "demo"])
    assert again.exit_code == 0 and "nothing changed" in again.output
    with app.app_context():
        assert _counts() == first


def test_create_user_command(app):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "netzwerk",
            "create-user",
            "--email",
            "Neu@Osnabrueck.example",
            "--first-name",
            "Nora",
            "--last-name",
            "Neu",
            "--office",
        ],
        input="Kanufahrt über den Dümmer bei Nebel\nKanufahrt über den Dümmer bei Nebel\n",
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "neu@osnabrueck.example"))
        assert user is not None and user.is_office and not user.is_admin
        assert user.password_hash.startswith("$argon2id$")
    short = runner.invoke(
        args=[
            "netzwerk",
            "create-user",
            "--email",
            "x@osnabrueck.example",
            "--first-name",
            "X",
            "--last-name",
            "Y",
        ],
        input="kurz\nkurz\n",
    )
    assert short.exit_code != 0
    assert "12" in short.output
    # The password rules of the forms hold here too: no common or personal password.
    for weak in ("passwort12345", "Nora Neu ist neu hier"):
        refused = runner.invoke(
            args=[
                "netzwerk",
                "create-user",
                "--email",
                "nora.neu@osnabrueck.example",
                "--first-name",
                "Nora",
                "--last-name",
                "Neu",
            ],
            input=f"{weak}\n{weak}\n",
        )
        assert refused.exit_code != 0, weak
    with app.app_context():
        assert (
            db.session.scalar(select(User).where(User.email == "nora.neu@osnabrueck.example"))
            is None
        )


def test_demo_logins_only_in_demo_mode(app):
    runner = app.test_cli_runner()
    app.config["NETZWERK_DEMO"] = False
    assert runner.invoke(args=["netzwerk", "demo-logins"]).exit_code != 0
    app.config["NETZWERK_DEMO"] = True
    try:
        result = runner.invoke(args=["netzwerk", "demo-logins"])
        assert result.exit_code == 0 and "admin@osnabrueck.example" in result.output
    finally:
        app.config["NETZWERK_DEMO"] = False
