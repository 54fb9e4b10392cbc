"""The text that an arrest diversion's intake window closed asks only for what is then accepted."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask

from hotline.db import session_scope
from hotline.models import Referral
from hotline.simulator import SmsEmulator
from tests.jobs.conftest import run
from tests.sms.conftest import Program, converse, outbox
from tests.sms.test_commands import refer


def test_the_window_closed_text_asks_for_a_note_which_is_taken_not_for_a_refused_intake(
    app: Flask, phone: SmsEmulator, program: Program
) -> None:
    number = refer(phone, program)
    converse(phone, program.ana.phone, f"ACK {number}")
    with session_scope(app) as session:
        created = session.get_one(Referral, number).created_at
    window = timedelta(days=app.config["HOTLINE_INTAKE_DAYS"], seconds=1)
    assert run(app, "intake-deadlines", created + window).startswith("1 ")
    (reminder,) = [text for text in outbox(app, program.ana.phone) if "window closed" in text]
    # It asked "Reply INTAKE n if it was completed", and INTAKE on the closed referral was
    # refused: a coordinator whose participant did come in had no way to say so.
    assert "INTAKE" not in reminder and f"NOTE {number}" in reminder
    said = f"NOTE {number} intake done on the 3rd, recorded late"
    assert converse(phone, program.ana.phone, said) == [f"Noted on #{number}."]
