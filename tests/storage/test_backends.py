"""Both storage backends through the same interface: the local folder and
an S3-compatible object store (moto's server, a real one on a local port)."""

from __future__ import annotations

import io
import os
import uuid

import pytest
from flask import Flask

from netzwerk.storage import (
    BadKey,
    LocalStorage,
    Missing,
    S3Settings,
    S3Storage,
    Storage,
    check_key,
)

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path) -> Storage:
    if request.param == "local":
        return LocalStorage(tmp_path / "files")
    return request.getfixturevalue("s3_root").child(f"t-{uuid.uuid4().hex[:12]}")


def test_put_read_exists_size_keys_delete(store):
    assert not store.exists("a.pdf") and list(store.keys()) == []
    store.put("a.pdf", PDF)
    store.put("b/c.txt", b"zwei")
    assert store.exists("a.pdf") and store.read("a.pdf") == PDF
    assert store.size("a.pdf") == len(PDF) and store.size("b/c.txt") == 4
    assert list(store.keys()) == ["a.pdf", "b/c.txt"]
    store.put("a.pdf", b"neu")  # replaced whole
    assert store.read("a.pdf") == b"neu"
    store.delete("a.pdf")
    store.delete("a.pdf")  # once more: nothing to do, no error
    assert not store.exists("a.pdf") and list(store.keys()) == ["b/c.txt"]


def test_streams_in_and_out(store):
    data = os.urandom(200_000)
    store.put("gross.bin", io.BytesIO(data))
    with store.open("gross.bin") as stream:
        first = stream.read(1000)
        rest = stream.read()
    assert first + rest == data and store.size("gross.bin") == len(data)


def test_a_failing_upload_leaves_nothing(store):
    class Broken(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def readinto(self, buffer) -> int:
            raise OSError("connection lost")

    with pytest.raises(Exception, match="connection lost"):
        store.put("halb.pdf", io.BufferedReader(Broken()))
    assert not store.exists("halb.pdf") and list(store.keys()) == []


def test_a_child_is_a_folder_of_its_own(store):
    mail = store.child("mail")
    mail.put("1.eml", b"Subject: eins\r\n\r\n")
    store.put("1.eml", b"anderes")
    assert list(mail.keys()) == ["1.eml"] and mail.read("1.eml").startswith(b"Subject")
    assert sorted(store.keys()) == ["1.eml", "mail/1.eml"]


def test_a_missing_object_is_missing(store):
    with pytest.raises(Missing):
        store.open("fehlt.pdf")
    with pytest.raises(Missing):
        store.size("fehlt.pdf")
    with pytest.raises(Missing):
        store.read("fehlt.pdf")
    assert not store.exists("fehlt.pdf")


def _download_app(store: Storage) -> Flask:
    app = Flask("storage-download")

    @app.route("/datei/<name>")
    def download(name: str):  # type: ignore[no-untyped-def]
        return store.send(name, mimetype="application/pdf", download_name="Bericht März.pdf")

    return app


def test_send_streams_the_object_and_a_missing_one_is_404(store):
    store.put("bericht.pdf", PDF)
    client = _download_app(store).test_client()
    response = client.get("/datei/bericht.pdf")
    assert response.status_code == 200 and response.data == PDF
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Length"] == str(len(PDF))
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and "Bericht%20M%C3%A4rz.pdf" in disposition
    assert client.get("/datei/fehlt.pdf").status_code == 404


BAD_KEYS = [
    "",
    ".",
    "..",
    "../secret_key",
    "a/../../secret_key",
    "/etc/passwd",
    "a//b",
    "a/",
    "a\\..\\b",
    "C:secret",
    ".hidden",
    "a/.tmp-1",
    "ümlaut.pdf",
    "a\x00b",
    "a b",
    "x" * 1000,
]


@pytest.mark.parametrize("key", BAD_KEYS)
def test_bad_keys_are_refused(key):
    with pytest.raises(BadKey):
        check_key(key)


def test_no_operation_takes_a_bad_key(store, tmp_path):
    for key in ["../outside.txt", "/tmp/outside.txt", "a/../../outside.txt"]:
        for call in (
            lambda k: store.put(k, b"x"),
            store.open,
            store.exists,
            store.size,
            store.delete,
            store.child,
            lambda k: store.send(k, mimetype="text/plain", download_name="x.txt"),
        ):
            with pytest.raises(BadKey):
                call(key)
    assert not (tmp_path / "outside.txt").exists() and list(store.keys()) == []


def test_local_files_are_plain_files_under_their_key(tmp_path):
    store = LocalStorage(tmp_path / "uploads")
    store.put("ab12", b"Inhalt")
    assert (tmp_path / "uploads" / "ab12").read_bytes() == b"Inhalt"
    # A temporary file of an unfinished write is no key.
    (tmp_path / "uploads" / ".tmp-xyz").write_bytes(b"halb")
    assert list(store.keys()) == ["ab12"]


def test_object_keys_carry_the_prefix(s3_config, s3_root, s3_admin):
    prefix = s3_config["NETZWERK_S3_PREFIX"]
    store = S3Storage(s3_root._client, S3Settings.from_config(s3_config).prefix)
    store.child("uploads").put("ab12", b"Inhalt")
    listed = s3_admin.list_objects_v2(Bucket=s3_config["NETZWERK_S3_BUCKET"], Prefix=prefix)
    assert [item["Key"] for item in listed["Contents"]] == [f"{prefix}uploads/ab12"]
