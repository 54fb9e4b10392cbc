"""Two texts of one officer handled at once: each answer lands once, one SEND makes one referral."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from hotline.db import session_scope
from hotline.models import Conversation, Referral
from hotline.services import text_arrival
from hotline.simulator import SmsEmulator, flask_poster
from hotline.sms.prompts import PROMPTS
from tests.sms.conftest import HOTLINE, Program, converse
from tests.sms.test_intake import ARREST


def overtake(monkeypatch: pytest.MonkeyPatch, app: Flask, sender: str, text: str) -> None:
    """Let `text` be handled, once, between the next text's read of its sender and its writes.

    SQLite reads the sender, then logs the text (`identify`); PostgreSQL does both in
    one statement, then makes the sender of the row read (`sender_from`).
    """
    other_phone = SmsEmulator(
        flask_poster(app.test_client()),
        app.config["TWILIO_AUTH_TOKEN"],
        "http://localhost",
        HOTLINE,
    )
    done = False

    def then_the_other_text(real: Callable[..., Any]) -> Callable[..., Any]:
        def read(*args: Any) -> Any:
            nonlocal done
            seen = real(*args)
            if not done:
                done = True
                # Another worker: its own thread, so its own app context and database session.
                statuses: list[int] = []
                worker = threading.Thread(
                    target=lambda: statuses.append(other_phone.send(sender, text).status)
                )
                worker.start()
                worker.join()
                assert statuses == [200]
            return seen

        return read

    for name in ("identify", "sender_from"):
        monkeypatch.setattr(text_arrival, name, then_the_other_text(getattr(text_arrival, name)))


def intake_of(app: Flask, number: str) -> Conversation | None:
    with session_scope(app) as session:
        return session.get(Conversation, number)


def test_an_answer_overtaken_by_the_previous_one_still_lands(
    app: Flask, phone: SmsEmulator, program: Program, monkeypatch: pytest.MonkeyPatch
) -> None:
    officer = program.officer.phone
    converse(phone, officer, "REFER")
    # "Jane Doe" is read while the intake still waits for the type; "1" is saved first.
    overtake(monkeypatch, app, officer, "1")
    (reply,) = converse(phone, officer, "Jane Doe")
    assert reply == PROMPTS["offense"]
    intake = intake_of(app, officer)
    assert intake is not None and intake.step == "offense"
    assert (intake.answers["type"], intake.answers["name"]) == ("arrest_diversion", "Jane Doe")


def test_two_sends_at_once_make_one_referral(
    app: Flask, phone: SmsEmulator, program: Program, monkeypatch: pytest.MonkeyPatch
) -> None:
    officer = program.officer.phone
    converse(phone, officer, *ARREST)
    overtake(monkeypatch, app, officer, "SEND")
    (second,) = converse(phone, officer, "SEND")
    with session_scope(app) as session:
        assert session.scalar(select(func.count()).select_from(Referral)) == 1
    assert not second.startswith("Sent:")  # the intake was gone when it was read again
    assert intake_of(app, officer) is None


def test_a_refer_overtaken_by_another_refer_still_gets_the_first_question(
    app: Flask, phone: SmsEmulator, program: Program, monkeypatch: pytest.MonkeyPatch
) -> None:
    officer = program.officer.phone
    # REFER sent twice: the second is read before the first began the intake, then the
    # first begins it and commits.
    overtake(monkeypatch, app, officer, "REFER")
    (reply,) = converse(phone, officer, "REFER")
    assert reply.startswith("LEAD referral, Officer Smith. Referral type?"), reply
    intake = intake_of(app, officer)
    assert intake is not None and intake.step == "type"
