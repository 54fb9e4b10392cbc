"""A stored rotation the engine cannot compute does not stop texts from working (SPEC §2)."""

from __future__ import annotations

from datetime import datetime

from flask import Flask

from hotline.db import session_scope
from hotline.models import Officer
from hotline.simulator import SmsEmulator
from tests.factories import add_rotation
from tests.sms.conftest import Program, converse


def test_who_answers_around_a_broken_rotation(
    app: Flask, phone: SmsEmulator, program: Program
) -> None:
    add_rotation(app, 1, program.ben, start=datetime(9999, 12, 31, 23), shift_hours=1)
    add_rotation(app, 3, program.ben, start=datetime(1, 1, 1), shift_hours=1)
    reply = converse(phone, program.ben.phone, "WHO")[-1]
    assert reply.startswith(f"On call: tier 1: Ana Diaz {program.ana.phone}")
    assert "tier 3" not in reply


def test_an_officer_named_with_a_control_character_still_gets_a_readable_reply(
    app: Flask, phone: SmsEmulator, program: Program
) -> None:
    with session_scope(app) as session:  # stored before names were checked, or by hand
        session.get_one(Officer, program.officer.id).name = "Jo\x0bSmith"
    reply = converse(phone, program.officer.phone, "REFER")[-1]
    assert reply.startswith("LEAD referral, JoSmith.")
