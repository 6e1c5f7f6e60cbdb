"""With NETZWERK_MULTI_HOST=1 the application refuses to start with
anything that would differ from host to host, and names the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from netzwerk import create_app
from netzwerk.config import ConfigError, build_config, check_settings

GOOD = {
    "NETZWERK_MULTI_HOST": True,
    "SECRET_KEY": "one-key-for-every-host",
    "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://netzwerk@db/netzwerk",
    "NETZWERK_REDIS_URL": "redis://redis:6379/0",
    "NETZWERK_STORAGE": "s3",
    "NETZWERK_S3_BUCKET": "netzwerk",
    "NETZWERK_S3_PREFIX": "",
    "NETZWERK_MAIL_DIR": None,
    "NETZWERK_BASE_URL": "https://netzwerk.stadt.example",
}

ALL_SETTINGS = [
    "NETZWERK_MULTI_HOST",
    "NETZWERK_SECRET_KEY",
    "NETZWERK_DATABASE_URL",
    "NETZWERK_REDIS_URL",
    "NETZWERK_STORAGE",
    "NETZWERK_MAIL_DIR",
    "NETZWERK_MAIL_SERVER",
    "NETZWERK_DEMO",
    "NETZWERK_S3_BUCKET",
    "NETZWERK_S3_PREFIX",
]


@pytest.fixture
def environment(monkeypatch, tmp_path) -> pytest.MonkeyPatch:
    for name in ALL_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NETZWERK_INSTANCE_PATH", str(tmp_path / "instance"))
    return monkeypatch


def test_a_host_refuses_to_start_with_per_host_settings(environment, tmp_path):
    environment.setenv("NETZWERK_MULTI_HOST", "1")
    with pytest.raises(ConfigError) as refused:
        create_app()
    message = str(refused.value)
    for name in (
        "NETZWERK_SECRET_KEY",
        "NETZWERK_STORAGE",
        "NETZWERK_DATABASE_URL",
        "NETZWERK_REDIS_URL",
    ):
        assert name in message
    # It generated no key of its own on the way.
    assert not (tmp_path / "instance" / "secret_key").exists()


def test_demo_mode_on_several_hosts_needs_the_same_settings(environment):
    environment.setenv("NETZWERK_MULTI_HOST", "1")
    environment.setenv("NETZWERK_DEMO", "1")
    with pytest.raises(ConfigError) as refused:
        create_app({"SECRET_KEY": "shared"})
    # The demo's mail folder in the instance is a folder of one host too.
    assert "NETZWERK_MAIL_DIR" in str(refused.value)
    assert "NETZWERK_SECRET_KEY" not in str(refused.value)


def test_the_settings_for_several_hosts_pass(tmp_path):
    check_settings(GOOD, tmp_path)


@pytest.mark.parametrize(
    ("changed", "named"),
    [
        ({"SECRET_KEY": None}, "NETZWERK_SECRET_KEY"),
        ({"NETZWERK_STORAGE": "local"}, "NETZWERK_STORAGE"),
        ({"NETZWERK_STORAGE": "local", "NETZWERK_MAIL_DIR": "/var/mail"}, "NETZWERK_MAIL_DIR"),
        ({"SQLALCHEMY_DATABASE_URI": "sqlite:////srv/netzwerk.sqlite"}, "NETZWERK_DATABASE_URL"),
        ({"NETZWERK_REDIS_URL": None}, "NETZWERK_REDIS_URL"),
        ({"NETZWERK_S3_BUCKET": None}, "NETZWERK_S3_BUCKET"),
        ({"NETZWERK_S3_PREFIX": "../andere"}, "NETZWERK_S3_PREFIX"),
        ({"NETZWERK_MAIL_DIR": "/var/mail"}, "NETZWERK_MAIL_DIR"),
        ({"NETZWERK_STORAGE": "ftp"}, "NETZWERK_STORAGE"),
    ],
)
def test_each_per_host_setting_is_named(tmp_path, changed, named):
    with pytest.raises(ConfigError, match=named):
        check_settings({**GOOD, **changed}, tmp_path)


def test_a_key_from_one_hosts_instance_folder_is_per_host(tmp_path):
    (tmp_path / "secret_key").write_text("generated-on-this-host")
    with pytest.raises(ConfigError, match="NETZWERK_SECRET_KEY"):
        check_settings({**GOOD, "SECRET_KEY": "generated-on-this-host"}, tmp_path)


def test_tests_share_one_sqlite_file_and_switch_the_limiter_off(tmp_path):
    """What the two-host tests use: one machine, one SQLite file, no limits."""
    check_settings(
        {
            **GOOD,
            "SQLALCHEMY_DATABASE_URI": "sqlite:///" + str(tmp_path / "x.sqlite"),
            "NETZWERK_REDIS_URL": None,
            "TESTING": True,
            "RATELIMIT_ENABLED": False,
        },
        tmp_path,
    )


def test_one_host_may_keep_everything_local(tmp_path):
    check_settings(
        {
            "SECRET_KEY": "x",
            "SQLALCHEMY_DATABASE_URI": "sqlite:///x",
            "NETZWERK_STORAGE": "local",
            "NETZWERK_MAIL_DIR": str(tmp_path / "mail"),
        },
        tmp_path,
    )


def test_an_incomplete_object_store_is_refused_on_one_host_too(environment):
    environment.setenv("NETZWERK_STORAGE", "s3")
    with pytest.raises(ConfigError, match="NETZWERK_S3_BUCKET"):
        create_app({"SECRET_KEY": "x", "TESTING": True})


def test_the_demo_mail_folder_is_in_the_object_store_with_it(environment, tmp_path: Path):
    environment.setenv("NETZWERK_DEMO", "1")
    assert build_config(tmp_path)["NETZWERK_MAIL_DIR"] == str(tmp_path / "mail")
    environment.setenv("NETZWERK_STORAGE", "s3")
    assert build_config(tmp_path)["NETZWERK_MAIL_DIR"] == "mail"
