"""A referral whose row another transaction holds stops only itself, not the job (SPEC §7)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from hotline.db import database, session_scope
from hotline.messaging.outbox import queue_text
from hotline.models import Call, Callback, Message, Participant, Referral, ReferralNotice
from tests.factories import (
    BLANK_CALL_REFERRAL,
    add_officer,
    add_program,
    add_referral,
    add_referred_participant,
    add_user,
)
from tests.jobs.conftest import run, texts_to
from tests.races import race_needs_postgresql

NOTICED = datetime(2026, 5, 4, 10, tzinfo=UTC)


@pytest.fixture(autouse=True)
def postgresql_only(app_config: dict[str, Any]) -> None:
    race_needs_postgresql(app_config, "the held row and the clock")


@contextmanager
def held(app: Flask, row_id: int, model: Any = Referral) -> Iterator[None]:
    """Hold one row (a referral's unless told) in a transaction of its own until the end."""
    with database(app).engine.connect() as connection, connection.begin():
        connection.execute(select(model.id).where(model.id == row_id).with_for_update())
        yield


def test_a_referral_held_elsewhere_does_not_keep_the_others_from_escalating(app: Flask) -> None:
    program = add_program(app)
    first, second = add_referral(app, created_at=NOTICED), add_referral(app, created_at=NOTICED)
    with session_scope(app) as session:
        for referral_id in (first, second):
            session.add(
                ReferralNotice(
                    referral_id=referral_id, user_id=program.ana.id, at=NOTICED, kind="new"
                )
            )

    with held(app, first):
        result = run(app, "escalate-unacked", NOTICED + timedelta(minutes=10))

    assert result.startswith("1 people texted")
    [text] = texts_to(app, program.ben.phone)
    assert f"#{second}" in text
    # The held one goes on at the next run, once its row is free.
    assert run(app, "escalate-unacked", NOTICED + timedelta(minutes=11)).startswith("1 people")
    assert [f"#{first}" in text for text in texts_to(app, program.ben.phone)] == [False, True]


def test_a_referral_held_elsewhere_does_not_keep_the_others_past_their_intake_window(
    app: Flask,
) -> None:
    first, second = (add_referral(app, status="acknowledged", created_at=NOTICED) for _ in "12")
    past_the_window = NOTICED + timedelta(days=31)

    with held(app, first):
        result = run(app, "intake-deadlines", past_the_window)

    assert result == "1 referrals past the intake window"
    with session_scope(app) as session:
        statuses = [session.get_one(Referral, n).status for n in (first, second)]
    assert statuses == ["acknowledged", "intake_missed"]
    assert run(app, "intake-deadlines", past_the_window) == "1 referrals past the intake window"


RETAINED = timedelta(days=90)
ERASED_ONE = "1 referrals erased, 0 participants erased, 0 texts outside any record erased"


def test_a_referral_held_elsewhere_does_not_keep_the_others_from_being_erased(
    app: Flask,
) -> None:
    app.config["HOTLINE_RETENTION_DAYS"] = RETAINED.days
    first, second = (add_referral(app, "ineligible", created_at=NOTICED) for _ in "12")
    past_the_period = NOTICED + RETAINED + timedelta(days=1)

    with held(app, first):
        result = run(app, "retention", past_the_period)

    assert result == ERASED_ONE
    assert names(app, first, second) == ["Jane Doe", None]
    # The held one is erased at the next run, once its row is free.
    assert run(app, "retention", past_the_period) == ERASED_ONE
    assert names(app, first, second) == [None, None]


def test_a_participant_held_elsewhere_does_not_keep_the_others_from_being_erased(
    app: Flask,
) -> None:
    app.config["HOTLINE_RETENTION_DAYS"] = RETAINED.days
    first, second = (add_referred_participant(app, NOTICED, status="exited") for _ in "12")
    with session_scope(app) as session:
        for participant_id in (first, second):
            session.get_one(Participant, participant_id).exited_at = NOTICED
    past_the_period = NOTICED + RETAINED + timedelta(days=1)

    with held(app, first, Participant):
        result = run(app, "retention", past_the_period)

    assert ", 1 participants erased," in result
    with session_scope(app) as session:
        people = [session.get_one(Participant, n).name for n in (first, second)]
    assert people == ["P", "(erased)"]
    assert ", 1 participants erased," in run(app, "retention", past_the_period)
    with session_scope(app) as session:
        assert session.get_one(Participant, first).name == "(erased)"


def test_a_text_outside_any_record_held_elsewhere_does_not_keep_the_others_from_erasure(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    app.config["HOTLINE_RETENTION_DAYS"] = RETAINED.days
    with session_scope(app) as session:
        texts = [
            Message(
                direction="in",
                from_number="+15550100001",
                to_number="+15550000000",
                body="Jane Doe, 3rd & Pine",
                status="received",
                created_at=NOTICED,
            )
            for _ in "12"
        ]
        session.add_all(texts)
        session.flush()
        first, second = (text.id for text in texts)
    past_the_period = NOTICED + RETAINED + timedelta(days=1)

    with held(app, first, Message):
        result = run(app, "retention", past_the_period)

    assert result.endswith(", 1 texts outside any record erased")
    assert "1 texts and 0 intakes held elsewhere: left for a later run" in caplog.text
    with session_scope(app) as session:
        bodies = [session.get_one(Message, n).body for n in (first, second)]
    assert bodies == ["Jane Doe, 3rd & Pine", None]
    assert run(app, "retention", past_the_period).endswith(", 1 texts outside any record erased")


def names(app: Flask, *referral_ids: int) -> list[str | None]:
    """Return the participant name each referral still holds."""
    with session_scope(app) as session:
        return [session.get_one(Referral, n).participant_name for n in referral_ids]


SILENT = timedelta(hours=5)  # past Twilio's longest call: closed without asking Twilio


def silent_call(app: Flask, sid: str) -> tuple[int, int]:
    """Add a call nobody took whose end never came; return its id and its referral's."""
    referral_id = add_referral(app, "received", created_at=NOTICED, **BLANK_CALL_REFERRAL)
    with session_scope(app) as session:
        call = Call(
            call_sid=sid,
            from_number="+15550000001",
            to_number="+15550000000",
            referral_id=referral_id,
            status="ringing",
            started_at=NOTICED,
        )
        session.add(call)
        session.flush()
        return call.id, referral_id


def test_a_call_held_elsewhere_does_not_keep_the_other_silent_calls_open(app: Flask) -> None:
    add_program(app)
    (first, _), (_, second) = silent_call(app, "CA-held"), silent_call(app, "CA-free")

    with held(app, first, Call):
        result = run(app, "escalate-unacked", NOTICED + SILENT)

    assert "; 1 calls closed whose end never came" in result
    with session_scope(app) as session:
        assert session.get_one(Referral, second).status == "notified"
    assert "; 1 calls closed" in run(app, "escalate-unacked", NOTICED + SILENT)


def test_a_referral_held_elsewhere_does_not_keep_the_other_late_voicemails_unlinked(
    app: Flask,
) -> None:
    add_program(app)
    calls = [silent_call(app, sid) for sid in ("CA-held", "CA-free")]
    url = "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE{}"
    with session_scope(app) as session:
        for n, (call_id, _) in enumerate(calls):
            call = session.get_one(Call, call_id)
            call.ended_at, call.voicemail_notified_at = NOTICED, NOTICED
            call.call_outcome, call.recording_url = "voicemail", url.format(n)
    [(_, first), (_, second)] = calls

    with held(app, first):
        result = run(app, "escalate-unacked", NOTICED + timedelta(minutes=2))

    assert "; 1 voicemail messages linked late" in result
    with session_scope(app) as session:
        linked = [session.get_one(Referral, n).recording_url for n in (first, second)]
    assert linked == [None, url.format(1)]
    assert "; 1 voicemail messages linked late" in run(
        app, "escalate-unacked", NOTICED + timedelta(minutes=3)
    )


def test_a_call_back_held_elsewhere_does_not_keep_the_others_from_being_placed(
    app: Flask,
) -> None:
    officer = add_officer(app)
    referral_id = add_referral(app, officer_id=officer.id, officer_phone=officer.phone)
    ana = add_user(app, "Ana Diaz")
    with session_scope(app) as session:
        asks = [
            Callback(
                referral_id=referral_id,
                user_id=ana.id,
                coordinator_phone=ana.phone,
                officer_phone=officer.phone,
                channel="sms",
                requested_at=NOTICED,
            )
            for _ in "12"
        ]
        session.add_all(asks)
        session.flush()
        first, second = (ask.id for ask in asks)

    with held(app, first, Callback):
        result = run(app, "dispatch-outbox", NOTICED + timedelta(seconds=10))

    assert result.endswith("of 1 calls back placed")
    assert states(app, first, second) == ["queued", "placed"]
    assert run(app, "dispatch-outbox", NOTICED + timedelta(seconds=20)).endswith(
        "1 of 1 calls back placed"
    )
    assert states(app, first, second) == ["placed", "placed"]


def states(app: Flask, *callback_ids: int) -> list[str]:
    """Return each call back's state."""
    with session_scope(app) as session:
        return [session.get_one(Callback, n).state for n in callback_ids]


def test_a_text_held_elsewhere_does_not_keep_the_others_in_the_outbox(app: Flask) -> None:
    with session_scope(app) as session:
        first, second = (
            queue_text(session, sender=None, to=f"+1555010000{n}", body="hi", now=NOTICED)
            for n in "12"
        )

    with held(app, first, Message):
        result = run(app, "dispatch-outbox", NOTICED + timedelta(seconds=10))

    assert result.startswith("1 sent, 0 to retry, 0 failed")
    with session_scope(app) as session:
        sent = [session.get_one(Message, n).status for n in (first, second)]
    assert sent == ["queued", "sent"]
    assert run(app, "dispatch-outbox", NOTICED + timedelta(seconds=20)).startswith("1 sent")
