"""A real S3-compatible server for the storage tests: moto in server mode,
started once per session on a free port of this machine (about half a
second); every test that asks for ``s3_config`` gets a bucket of its own."""

from __future__ import annotations

import logging
import socket
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

ACCESS_KEY = "netzwerk-test"
SECRET_KEY = "netzwerk-test-secret"
REGION = "eu-central-1"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    quiet = logging.getLogger("werkzeug")
    level = quiet.level
    quiet.setLevel(logging.WARNING)  # no line per request of the server
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()
        quiet.setLevel(level)


@pytest.fixture(scope="session")
def s3_admin(s3_endpoint: str) -> Any:
    """A boto3 client of the test server, for looking into the bucket
    (clients are made once: making one costs a few tenths of a second)."""
    import boto3
    from botocore.config import Config

    return boto3.session.Session().client(
        "s3",
        endpoint_url=s3_endpoint,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        region_name=REGION,
        config=Config(s3={"addressing_style": "path"}),
    )


@pytest.fixture(scope="session")
def s3_bucket(s3_admin: Any) -> str:
    name = f"netzwerk-{uuid.uuid4().hex[:16]}"
    s3_admin.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    return name


def s3_settings(endpoint: str, bucket: str, prefix: str = "") -> dict[str, str]:
    """The NETZWERK_S3_* settings of a bucket on the test server."""
    return {
        "NETZWERK_STORAGE": "s3",
        "NETZWERK_S3_BUCKET": bucket,
        "NETZWERK_S3_ENDPOINT_URL": endpoint,
        "NETZWERK_S3_ACCESS_KEY_ID": ACCESS_KEY,
        "NETZWERK_S3_SECRET_ACCESS_KEY": SECRET_KEY,
        "NETZWERK_S3_REGION": REGION,
        "NETZWERK_S3_PREFIX": prefix,
    }


@pytest.fixture
def s3_config(s3_endpoint: str, s3_bucket: str) -> dict[str, str]:
    """Settings of the session's bucket under a key prefix of this test's own."""
    return s3_settings(s3_endpoint, s3_bucket, prefix=f"t-{uuid.uuid4().hex[:12]}/")


@pytest.fixture(scope="session")
def s3_root(s3_endpoint: str, s3_bucket: str) -> Any:
    """The session's bucket as a storage (one boto3 client for all tests)."""
    from netzwerk.storage import S3Settings, S3Storage

    return S3Storage.from_settings(S3Settings.from_config(s3_settings(s3_endpoint, s3_bucket)))
