"""Files behind one interface, so that any host can serve them.

Two backends offer the same small interface (:class:`Storage`): put bytes
or a stream under a key, open or read it, ask whether it exists and how
large it is, delete it, and serve it as a download streamed from where it
lies.

* :class:`LocalStorage` keeps the files in a folder: the embedded default
  (attachments in ``NETZWERK_UPLOAD_DIR``, ``instance/uploads``).  A file
  is written under a temporary name and renamed, so a reader never sees
  half of one.
* :class:`S3Storage` keeps them in a bucket of an S3-compatible object
  store (MinIO, a city's object storage, AWS) through ``boto3``: what
  several hosts need (``NETZWERK_STORAGE=s3``, ``NETZWERK_S3_*``).

What lives where (:class:`Storages`, ``app.extensions["netzwerk.storage"]``,
set by :func:`init_app`):

==============  ==============================  ==============================
area            local                           object store
==============  ==============================  ==============================
attachments     ``NETZWERK_UPLOAD_DIR/<sha>``   ``<prefix>uploads/<sha>``
mail folder     ``NETZWERK_MAIL_DIR/<name>``    ``<prefix><NETZWERK_MAIL_DIR>/``
==============  ==============================  ==============================

The archived and draft PDFs of minutes and invitations are not files: they
are rows of the shared database (``minutes_document``, ``minutes_pdf_cache``),
stored in the transaction that approves the minutes, so every host serves
the same bytes already.

A key is one or more ``/``-separated names of letters, digits, ``.``, ``_``
and ``-`` that start with a letter or digit: no ``..``, no absolute path, no
backslash, nothing that could leave the storage's folder (:func:`check_key`
refuses the rest with :class:`BadKey`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import tempfile
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, BinaryIO, cast

from flask import Flask, Response, current_app, send_file
from werkzeug.exceptions import NotFound

log = logging.getLogger(__name__)

EXTENSION_KEY = "netzwerk.storage"
UPLOADS = "uploads"

_SEGMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}")
MAX_KEY_LENGTH = 900  # S3 allows 1,024 bytes, the prefix included
CHUNK = 64 * 1024


class StorageError(OSError):
    """The storage itself failed (unreachable, refused, misconfigured): an
    I/O error like a full disk, so callers that retry those retry it too."""


class BadKey(ValueError):
    """A key that could leave the storage's folder, or is not a plain name."""


class Missing(LookupError):
    """No object is stored under the key."""


def check_key(key: str) -> str:
    """The key, if it is a plain relative name (see the module's doc); else BadKey."""
    if not isinstance(key, str) or not key or len(key) > MAX_KEY_LENGTH:
        raise BadKey(f"bad storage key {key!r}")
    for segment in key.split("/"):
        if not _SEGMENT.fullmatch(segment):
            raise BadKey(f"bad storage key {key!r}")
    return key


Data = bytes | IO[bytes]


class Storage(ABC):
    """Where files are kept: one folder, or one key prefix of a bucket."""

    kind: str

    @abstractmethod
    def put(self, key: str, data: Data) -> None:
        """Store ``data`` (bytes, or a binary stream read to its end) under
        ``key``, replacing what was there; readers see the old or the new
        object, never a part."""

    @abstractmethod
    def open(self, key: str) -> BinaryIO:
        """The stored object as a binary stream (close it); Missing if none."""

    def read(self, key: str) -> bytes:
        with self.open(key) as stream:
            return stream.read()

    @abstractmethod
    def exists(self, key: str) -> bool: ...

    @abstractmethod
    def size(self, key: str) -> int:
        """The object's size in bytes; Missing if none."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove the object; nothing happens when there is none."""

    @abstractmethod
    def keys(self) -> Iterator[str]:
        """The keys stored here, in order."""

    @abstractmethod
    def child(self, name: str) -> Storage:
        """The storage of a sub-folder (key prefix) ``name``."""

    @abstractmethod
    def send(
        self,
        key: str,
        *,
        mimetype: str,
        download_name: str,
        as_attachment: bool = True,
        etag: str | None = None,
    ) -> Response:
        """The object as a Flask response, streamed from the storage;
        NotFound (404) when there is none."""


# --- the local folder ---------------------------------------------------------------------------


class LocalStorage(Storage):
    """Files in a folder of this host (created when the first file comes)."""

    kind = "local"

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"LocalStorage({str(self.root)!r})"

    def path(self, key: str) -> Path:
        return self.root.joinpath(*check_key(key).split("/"))

    def put(self, key: str, data: Data) -> None:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        # Hidden temporary name (no key starts with a dot), then an atomic rename.
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                if isinstance(data, bytes | bytearray | memoryview):
                    handle.write(data)
                else:
                    shutil.copyfileobj(data, handle, CHUNK)
            os.replace(tmp, target)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise

    def open(self, key: str) -> BinaryIO:
        try:
            return self.path(key).open("rb")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise Missing(key) from None

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def size(self, key: str) -> int:
        path = self.path(key)
        if not path.is_file():
            raise Missing(key)
        return path.stat().st_size

    def delete(self, key: str) -> None:
        path = self.path(key)
        if path.is_file():
            path.unlink(missing_ok=True)

    def keys(self) -> Iterator[str]:
        if not self.root.is_dir():
            return iter(())
        found = []
        for path in self.root.rglob("*"):
            relative = path.relative_to(self.root).as_posix()
            if path.is_file() and all(_SEGMENT.fullmatch(s) for s in relative.split("/")):
                found.append(relative)
        return iter(sorted(found))

    def child(self, name: str) -> LocalStorage:
        return LocalStorage(self.path(name))

    def send(
        self,
        key: str,
        *,
        mimetype: str,
        download_name: str,
        as_attachment: bool = True,
        etag: str | None = None,
    ) -> Response:
        path = self.path(key)
        if not path.is_file():
            raise NotFound()
        return send_file(
            path,
            mimetype=mimetype,
            as_attachment=as_attachment,
            download_name=download_name,
            max_age=0,
            etag=etag if etag is not None else True,
        )


# --- an S3-compatible object store --------------------------------------------------------------


@dataclass(frozen=True)
class S3Settings:
    bucket: str
    endpoint_url: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = None
    region: str | None = None
    prefix: str = ""

    @classmethod
    def from_config(cls, config: Any) -> S3Settings:
        return cls(
            bucket=config["NETZWERK_S3_BUCKET"],
            endpoint_url=config.get("NETZWERK_S3_ENDPOINT_URL") or None,
            access_key_id=config.get("NETZWERK_S3_ACCESS_KEY_ID") or None,
            secret_access_key=config.get("NETZWERK_S3_SECRET_ACCESS_KEY") or None,
            region=config.get("NETZWERK_S3_REGION") or None,
            prefix=normal_prefix(config.get("NETZWERK_S3_PREFIX") or ""),
        )


def normal_prefix(prefix: str) -> str:
    """``a/b`` or ``a/b/`` as ``a/b/``; "" stays ""; BadKey for anything else."""
    prefix = prefix.strip().strip("/")
    return check_key(prefix) + "/" if prefix else ""


class _Client:
    """One boto3 client per application, made at its first use (creating
    it loads botocore's service model, a tenth of a second; boto3 clients
    are thread-safe)."""

    def __init__(self, settings: S3Settings) -> None:
        self.settings = settings
        self._client: Any = None
        self._lock = threading.Lock()

    def get(self) -> Any:
        if self._client is None:
            with self._lock:
                if self._client is None:
                    self._client = self._make()
        return self._client

    def _make(self) -> Any:
        import boto3
        from botocore.config import Config

        s = self.settings
        config = Config(
            # A store at its own address (MinIO): bucket in the path, not the host name.
            s3={"addressing_style": "path" if s.endpoint_url else "auto"},
            # S3-compatible stores do not all know the newer default checksums.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
            connect_timeout=5,
            read_timeout=60,
            retries={"max_attempts": 4, "mode": "standard"},
        )
        return boto3.session.Session().client(
            "s3",
            endpoint_url=s.endpoint_url,
            aws_access_key_id=s.access_key_id,
            aws_secret_access_key=s.secret_access_key,
            region_name=s.region,
            config=config,
        )


def _is_missing(exc: Exception) -> bool:
    response = getattr(exc, "response", None) or {}
    code = str(response.get("Error", {}).get("Code", ""))
    return code in {"404", "NoSuchKey", "NotFound"}


class S3Storage(Storage):
    """Objects in one bucket under a key prefix."""

    kind = "s3"

    def __init__(self, client: _Client, prefix: str = "") -> None:
        self._client = client
        self.bucket = client.settings.bucket
        self.prefix = prefix

    @classmethod
    def from_settings(cls, settings: S3Settings) -> S3Storage:
        return cls(_Client(settings), settings.prefix)

    def __repr__(self) -> str:
        return f"S3Storage({self.bucket!r}, {self.prefix!r})"

    @property
    def client(self) -> Any:
        return self._client.get()

    def object_key(self, key: str) -> str:
        return self.prefix + check_key(key)

    def _call(self, operation: Callable[..., Any], key: str, **kwargs: Any) -> Any:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return operation(Bucket=self.bucket, Key=self.object_key(key), **kwargs)
        except ClientError as exc:
            if _is_missing(exc):
                raise Missing(key) from None
            raise StorageError(f"object store: {exc}") from exc
        except BotoCoreError as exc:
            raise StorageError(f"object store: {exc}") from exc

    def put(self, key: str, data: Data) -> None:
        if isinstance(data, bytes | bytearray | memoryview):
            self._call(self.client.put_object, key, Body=bytes(data))
        else:
            from botocore.exceptions import BotoCoreError, ClientError

            try:  # in parts when it is large
                self.client.upload_fileobj(data, self.bucket, self.object_key(key))
            except (BotoCoreError, ClientError) as exc:
                raise StorageError(f"object store: {exc}") from exc

    def open(self, key: str) -> BinaryIO:
        return cast(BinaryIO, self._call(self.client.get_object, key)["Body"])

    def exists(self, key: str) -> bool:
        try:
            self._call(self.client.head_object, key)
        except Missing:
            return False
        return True

    def size(self, key: str) -> int:
        return int(self._call(self.client.head_object, key)["ContentLength"])

    def delete(self, key: str) -> None:
        with contextlib.suppress(Missing):  # S3 answers 204 either way; some stores 404
            self._call(self.client.delete_object, key)

    def keys(self) -> Iterator[str]:
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix):
            for item in page.get("Contents", ()):
                yield item["Key"][len(self.prefix) :]

    def child(self, name: str) -> S3Storage:
        return S3Storage(self._client, self.prefix + check_key(name) + "/")

    def send(
        self,
        key: str,
        *,
        mimetype: str,
        download_name: str,
        as_attachment: bool = True,
        etag: str | None = None,
    ) -> Response:
        try:
            found = self._call(self.client.get_object, key)
        except Missing:
            raise NotFound() from None
        body = found["Body"]
        response = send_file(
            body,  # streamed in chunks; closed with the response
            mimetype=mimetype,
            as_attachment=as_attachment,
            download_name=download_name,
            max_age=0,
            conditional=False,
        )
        response.content_length = int(found["ContentLength"])
        if etag is not None:
            response.set_etag(etag)
        return response


# --- the application's storages -----------------------------------------------------------------


class Storages:
    """The storages of one application (``app.extensions["netzwerk.storage"]``)."""

    def __init__(self, kind: str, uploads: Storage, root: Storage | None = None) -> None:
        self.kind = kind
        self.uploads = uploads
        self._root = root  # the object store's root; None for local folders

    def mail_folder(self, directory: str) -> Storage:
        """Where the mail folder ``NETZWERK_MAIL_DIR`` lies: a folder of this
        host, or with the object store the key prefix of that name in it."""
        if self._root is not None:
            return self._root.child(directory.rstrip("/"))
        return LocalStorage(directory)


def build_storages(config: Any) -> Storages:
    kind = config.get("NETZWERK_STORAGE") or "local"
    if kind == "s3":
        root = S3Storage.from_settings(S3Settings.from_config(config))
        return Storages("s3", root.child(UPLOADS), root)
    return Storages("local", LocalStorage(config["NETZWERK_UPLOAD_DIR"]))


def init_app(app: Flask) -> None:
    """Register the application's storages (``config.check_settings`` has
    refused an incomplete object-store configuration before)."""
    app.extensions[EXTENSION_KEY] = build_storages(app.config)
    _listen_for_commits()


def storages(app: Flask | None = None) -> Storages:
    return cast(Storages, (app or current_app).extensions[EXTENSION_KEY])


def uploads() -> Storage:
    """The attachments' storage of the current application."""
    return storages().uploads


def mail_folder(directory: str) -> Storage:
    return storages().mail_folder(directory)


# --- deleting once the database has let go ------------------------------------------------------

_PENDING = "netzwerk.storage.pending_deletes"


def delete_after_commit(storage: Storage, key: str) -> None:
    """Delete the object when the current transaction commits (at once when
    none is open); not at all when the transaction, or the savepoint it was
    asked in, is rolled back.  So a row that a failed request restores never
    points at a deleted file."""
    from .extensions import db

    session = db.session()
    current = session.get_nested_transaction() or session.get_transaction()
    if current is None:
        _delete_quietly(storage, key)
        return
    chain = []
    while current is not None:
        chain.append(current)
        current = current.parent
    session.info.setdefault(_PENDING, []).append((tuple(chain), storage, check_key(key)))


def _delete_quietly(storage: Storage, key: str) -> None:
    try:
        storage.delete(key)
    except OSError as exc:  # an orphan file, not a broken row
        log.warning("could not delete %s from %r: %s", key, storage, exc)


def _after_commit(session: Any) -> None:
    if session.in_nested_transaction():  # a savepoint: the transaction goes on
        return
    for _chain, storage, key in session.info.pop(_PENDING, ()):
        _delete_quietly(storage, key)


def _forget(session: Any, transaction: Any) -> None:
    pending = session.info.get(_PENDING)
    if pending:
        pending[:] = [entry for entry in pending if transaction not in entry[0]]


def _after_soft_rollback(session: Any, previous_transaction: Any) -> None:
    """A rolled back transaction or savepoint: what it asked for is off."""
    _forget(session, previous_transaction)


def _after_transaction_end(session: Any, transaction: Any) -> None:
    """The transaction ended without a commit (``Session.close()``): forgotten too."""
    if transaction.parent is None:
        _forget(session, transaction)


def _listen_for_commits() -> None:
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_soft_rollback", _after_soft_rollback)
        event.listen(Session, "after_transaction_end", _after_transaction_end)
