"""A text the app fails on is answered with the fallback and kept in the message log."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from hotline.db import session_scope
from hotline.models import Message, OptOut, Referral
from hotline.simulator import SmsEmulator
from hotline.sms import views
from tests.sms.conftest import Program


def inbound(app: Flask) -> list[tuple[str, str | None, str | None]]:
    """Return each logged inbound text as (from, body, error)."""
    with session_scope(app) as session:
        rows = session.scalars(select(Message).where(Message.direction == "in"))
        return [(row.from_number, row.body, row.error) for row in rows]


def test_a_text_the_app_fails_on_is_kept_with_what_went_wrong(
    app: Flask, phone: SmsEmulator, program: Program, monkeypatch: pytest.MonkeyPatch
) -> None:
    def a_bug(*args: Any, **kwargs: Any) -> str:
        raise KeyError("a code bug")

    monkeypatch.setattr(views, "answer_text", a_bug)
    result = phone.send(program.officer.phone, "REFER")
    assert result.replies[0].startswith("The LEAD hotline cannot read texts right now")
    assert inbound(app) == [
        (program.officer.phone, "REFER", "not handled (KeyError): the sender was told to call")
    ]
    with session_scope(app) as session:
        assert session.scalars(select(Referral)).all() == []


def test_the_call_the_hotline_reply_to_a_text_the_app_fails_on_is_in_the_message_log(
    app: Flask, phone: SmsEmulator, program: Program, monkeypatch: pytest.MonkeyPatch
) -> None:
    # SPEC §5: "Every message in or out is logged"; a direct reply is "logged `out` with
    # status `sent` and no `message_sid`". The database answers: only the code failed.
    def a_bug(*args: Any, **kwargs: Any) -> str:
        raise KeyError("a code bug")

    monkeypatch.setattr(views, "answer_text", a_bug)
    [reply] = phone.send(program.officer.phone, "REFER").replies
    with session_scope(app) as session:
        sent = session.scalars(select(Message).where(Message.direction == "out")).all()
        assert [(m.to_number, m.body, m.status, m.message_sid) for m in sent] == [
            (program.officer.phone, reply, "sent", None)
        ]
    phone.send(program.officer.phone, "STOP")  # answered with nothing: nothing logged out
    with session_scope(app) as session:
        assert len(session.scalars(select(Message).where(Message.direction == "out")).all()) == 1
        session.add(OptOut(phone=program.ana.phone, at=datetime.now(UTC), source="sms"))
    # SPEC §5: "nothing is sent to an opted-out number (... logged with status `suppressed`)".
    assert phone.send(program.ana.phone, "WHO").replies == []
    with session_scope(app) as session:
        kept = session.scalars(select(Message).where(Message.to_number == program.ana.phone))
        assert [m.status for m in kept] == ["suppressed"]


def test_a_text_failed_on_then_sent_again_is_handled(
    app: Flask, phone: SmsEmulator, program: Program, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = views.answer_text

    def a_bug_once(*args: Any, **kwargs: Any) -> str:
        monkeypatch.setattr(views, "answer_text", real)
        raise KeyError("a code bug")

    monkeypatch.setattr(views, "answer_text", a_bug_once)
    phone.send(program.ben.phone, "WHO", message_sid="SM" + "1" * 32)
    again = phone.send(program.ben.phone, "WHO", message_sid="SM" + "1" * 32)  # Twilio retries
    assert again.replies[0].startswith("On call: tier 1: Ana Diaz")
    assert [error for _, _, error in inbound(app)] == [
        "not handled (KeyError): the sender was told to call",
        None,
    ]


@pytest.mark.parametrize("text", ["STOP", "stop", "Stop.", "UNSUBSCRIBE", "QUIT"])
def test_a_stop_the_app_cannot_read_gets_no_call_the_hotline_reply(
    phone: SmsEmulator, program: Program, monkeypatch: pytest.MonkeyPatch, text: str
) -> None:
    # SPEC §5: "STOP gets no reply from the app (Twilio answers it)" -- even when the
    # text lands on the Fallback URL, or the app fails on it: the sender asked for silence.
    assert phone.send(program.officer.phone, text, path="/sms/fallback").replies == []

    def a_bug(*args: Any, **kwargs: Any) -> str:
        raise KeyError("a code bug")

    monkeypatch.setattr(views, "answer_text", a_bug)
    assert phone.send(program.officer.phone, text).replies == []
    # Any other text still learns that the hotline cannot read it.
    [reply] = phone.send(program.officer.phone, "REFER", path="/sms/fallback").replies
    assert reply.startswith("The LEAD hotline cannot read texts right now")
