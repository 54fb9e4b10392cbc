"""An officer who left the roster is a stranger to the hotline: asked for a badge, never named."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from hotline.db import session_scope
from hotline.models import Call, Referral
from hotline.simulator import CallScript, Leg, VoiceEmulator
from tests.factories import add_officer, leave_roster
from tests.voice.conftest import HOTLINE, STRANGER, Program


def test_a_former_officers_phone_is_asked_for_a_badge_and_not_named(
    app: Flask, twilio: VoiceEmulator, program: Program
) -> None:
    leave_roster(app, program.officer)

    result = twilio.call(
        program.officer.phone, HOTLINE, CallScript(legs={program.ana.phone: [Leg("accept")]})
    )

    assert result.heard[0].startswith("LEAD hotline. Enter your badge number")
    assert not any("Smith" in words for words in result.heard)
    whisper = [e.text for e in result.events if e.kind == "whisper"]
    assert whisper[0] == "LEAD referral call from an unverified caller, press 1 to accept."
    assert result.answered_by == program.ana.phone  # the call itself still goes through
    with session_scope(app) as session:
        call = session.scalars(select(Call)).one()
        referral = session.get_one(Referral, call.referral_id)
        assert (call.officer_id, referral.officer_id) == (None, None)


def test_a_former_officers_badge_identifies_nobody(
    app: Flask, twilio: VoiceEmulator, program: Program
) -> None:
    leave_roster(app, program.officer)

    result = twilio.call(
        STRANGER,
        HOTLINE,
        CallScript(gathers=["4711"], legs={program.ana.phone: [Leg("accept")]}),
    )

    whisper = [e.text for e in result.events if e.kind == "whisper"]
    assert whisper[0] == "LEAD referral call from an unverified caller, press 1 to accept."
    with session_scope(app) as session:
        referral = session.scalars(select(Referral)).one()
        assert (referral.officer_id, referral.badge) == (None, "4711")


def test_a_former_officers_phone_given_to_a_new_officer_names_the_new_one(
    app: Flask, twilio: VoiceEmulator, program: Program
) -> None:
    """Departments hand a phone on: the officer who has it now is the one greeted."""
    leave_roster(app, program.officer)
    jones = add_officer(app, "Officer Jones", "4714", program.officer.phone)

    result = twilio.call(
        program.officer.phone, HOTLINE, CallScript(legs={program.ana.phone: [Leg("accept")]})
    )

    whisper = [e.text for e in result.events if e.kind == "whisper"]
    assert "Jones" in whisper[0] and "Smith" not in whisper[0]
    with session_scope(app) as session:
        assert session.scalars(select(Call.officer_id)).one() == jones.id
