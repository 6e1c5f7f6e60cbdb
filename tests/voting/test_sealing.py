"""Sealed secret ballots: the seal itself, a second ballot, a changed secret key."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from netzwerk.extensions import db
from netzwerk.voting import sealing, services

from .helpers import make_body, seat_persons, start_poll


def test_a_second_secret_ballot_is_refused_and_leaves_no_sealed_ballot(app_ctx):
    body = make_body("SEC2", 3)
    poll = start_poll(body.id, kind="secret")
    person = seat_persons(body.id)[0]
    services.cast_ballot(poll.id, person, "yes")
    with pytest.raises(services.AlreadyVoted):
        services.cast_ballot(poll.id, person, "no")
    count = db.session.scalar(text("SELECT COUNT(*) FROM sealed_ballot"))
    assert count == 1
    closed = services.close_poll(poll.id, by_scheduler=True)
    assert (closed.yes_count, closed.no_count, closed.abstain_count) == (1, 0, 0)


def test_a_sealed_ballot_opens_only_in_its_poll_and_under_the_secret_key(app_ctx):
    sealed = {sealing.seal(7, v) for v in ("yes", "yes", "no", "abstain")}
    assert {len(s) for s in sealed} == {sealing.SEALED_BYTES}
    assert len(sealed) == 4  # a fresh nonce each time: equal values look different
    one = sealing.seal(7, "abstain")
    assert sealing.unseal(7, one) == "abstain"
    with pytest.raises(sealing.SealError):
        sealing.unseal(8, one)  # moved to another poll
    with pytest.raises(sealing.SealError):
        sealing.unseal(7, one[:-1] + bytes([one[-1] ^ 1]))  # changed
    with pytest.raises(sealing.SealError):
        sealing.unseal(7, one[:20])


def _state(poll_id: int) -> str:
    db.session.remove()
    with db.engine.connect() as conn:
        return str(
            conn.execute(text("SELECT state FROM poll WHERE id = :p"), {"p": poll_id}).scalar()
        )


def test_a_changed_secret_key_keeps_the_poll_open_until_the_old_key_is_a_fallback(app_ctx, clock):
    body = make_body("SECKEY", 3)
    poll = start_poll(body.id, kind="secret", hours=2)
    poll_id = poll.id
    for person, value in zip(seat_persons(body.id), ["yes", "no"], strict=False):
        services.cast_ballot(poll_id, person, value)
    config = app_ctx.config
    old_key, old_fallbacks = config["SECRET_KEY"], config.get("SECRET_KEY_FALLBACKS")
    clock.shift(timedelta(hours=3))
    try:
        config["SECRET_KEY"] = "a-new-secret-key"
        # The deadline's timer is refused (and logged), the others run on.
        services.close_due_polls()
        assert _state(poll_id) == "open"
        with pytest.raises(services.BallotsUnreadable):
            services.close_poll(poll_id)
        config["SECRET_KEY_FALLBACKS"] = [old_key]
        services.close_due_polls()
        assert _state(poll_id) == "closed"
    finally:
        config["SECRET_KEY"] = old_key
        config["SECRET_KEY_FALLBACKS"] = old_fallbacks
    closed = services.get_poll(poll_id)
    assert (closed.yes_count, closed.no_count, closed.abstain_count) == (1, 1, 0)
