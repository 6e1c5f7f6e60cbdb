"""A stored file is deleted only once the transaction that let go of it
has committed: a row restored by a rollback never points at nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from netzwerk.extensions import db
from netzwerk.storage import LocalStorage, delete_after_commit


@pytest.fixture
def store(app_ctx, tmp_path) -> LocalStorage:
    store = LocalStorage(tmp_path / "files")
    store.put("a", b"x")
    return store


def _begin() -> None:
    db.session.execute(text("SELECT 1"))  # the session's transaction begins


def test_without_a_transaction_at_once(store):
    db.session.commit()
    delete_after_commit(store, "a")
    assert not store.exists("a")


def test_after_the_commit(store):
    _begin()
    delete_after_commit(store, "a")
    assert store.exists("a")
    db.session.commit()
    assert not store.exists("a")


def test_never_after_a_rollback(store):
    _begin()
    delete_after_commit(store, "a")
    db.session.rollback()
    _begin()
    db.session.commit()
    assert store.exists("a")


def test_never_after_the_savepoint_it_was_asked_in_is_rolled_back(store):
    _begin()
    store.put("b", b"y")
    with pytest.raises(RuntimeError), db.session.begin_nested():
        delete_after_commit(store, "a")
        raise RuntimeError("undone")
    with db.session.begin_nested():
        delete_after_commit(store, "b")
    assert store.exists("a") and store.exists("b")
    db.session.commit()
    assert store.exists("a") and not store.exists("b")


def test_never_after_the_session_is_closed_without_a_commit(store):
    _begin()
    delete_after_commit(store, "a")
    db.session.close()
    _begin()
    db.session.commit()
    assert store.exists("a")
