"""An officer's call reaches a person, or the fallback, or voicemail — as Twilio plays it."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from hotline.db import session_scope
from hotline.models import Call, Message, Referral, ReferralEvent, User
from hotline.services.program_cache import bump_revision
from hotline.simulator import CallScript, Leg, VoiceEmulator
from tests.factories import add_officer
from tests.voice.conftest import FALLBACK, HOTLINE, STRANGER, Program
from tests.voice.test_webhooks import post


def stored_call(app: Flask) -> tuple[Call, Referral, list[tuple[str, str | None]]]:
    """Return the only call, its referral and its legs as (number, outcome)."""
    with session_scope(app) as session:
        call = session.scalars(select(Call)).one()
        referral = session.get_one(Referral, call.referral_id)
        legs = [(leg.number, leg.outcome) for leg in call.legs]
        return call, referral, legs


def texts(app: Flask) -> list[tuple[str, str]]:
    """Return (to, body) of every queued outbound text."""
    with session_scope(app) as session:
        rows = session.scalars(
            select(Message).where(Message.direction == "out").order_by(Message.id)
        )
        return [(m.to_number, m.body or "") for m in rows]


class TestKnownOfficer:
    """A caller on the roster is greeted by name and put through to tier 1."""

    def test_tier_one_accepts_and_takes_the_referral(
        self, app: Flask, twilio: VoiceEmulator, program: Program
    ) -> None:
        result = twilio.call(
            program.officer.phone, HOTLINE, CallScript(legs={program.ana.phone: [Leg("accept")]})
        )
        assert (
            result.heard[0]
            == "Thank you, Officer Smith, connecting you to the LEAD coordinator on call."
        )
        assert result.dialled == [[program.ana.phone]]
        assert result.answered_by == program.ana.phone
        whisper = [e.text for e in result.events if e.kind == "whisper"]
        assert whisper == [
            "LEAD referral call from Officer Smith, press 1 to accept.",
            "Connecting.",
        ]
        call, referral, legs = stored_call(app)
        assert (call.call_outcome, call.answered_by, call.officer_id) == (
            "answered",
            program.ana.id,
            program.officer.id,
        )
        assert call.ended_at is not None and call.status == "completed"
        assert legs == [(program.ana.phone, "accepted")]
        assert (referral.channel, referral.status, referral.acknowledged_by) == (
            "voice",
            "acknowledged",
            program.ana.id,
        )
        assert referral.call_outcome == "answered" and referral.answered_by == program.ana.id
        assert texts(app) == []

    def test_voicemail_box_that_answers_is_not_an_answer(
        self, app: Flask, twilio: VoiceEmulator, program: Program
    ) -> None:
        script = CallScript(
            legs={program.ana.phone: [Leg("voicemail")], program.ben.phone: [Leg("accept")]}
        )
        result = twilio.call(program.officer.phone, HOTLINE, script)
        assert result.dialled == [[program.ana.phone], [program.ben.phone]]
        assert "Still trying, please hold." in result.heard
        call, referral, legs = stored_call(app)
        assert legs == [(program.ana.phone, "declined"), (program.ben.phone, "accepted")]
        assert (call.answered_by, referral.acknowledged_by) == (program.ben.id, program.ben.id)

    def test_pressing_another_key_passes_the_call_on(
        self, app: Flask, twilio: VoiceEmulator, program: Program
    ) -> None:
        script = CallScript(
            legs={program.ana.phone: [Leg("decline")], program.ben.phone: [Leg("accept")]}
        )
        twilio.call(program.officer.phone, HOTLINE, script)
        assert stored_call(app)[2] == [
            (program.ana.phone, "declined"),
            (program.ben.phone, "accepted"),
        ]


class TestUnknownCaller:
    """An unknown number is asked once for a badge and is routed whatever the answer."""

    def test_matching_badge_identifies_the_officer(
        self, app: Flask, twilio: VoiceEmulator, program: Program
    ) -> None:
        script = CallScript(gathers=["4711"], legs={program.ana.phone: [Leg("accept")]})
        result = twilio.call(STRANGER, HOTLINE, script)
        assert result.heard[0].startswith("LEAD hotline. Enter your badge number")
        assert "Thank you. Connecting you to the LEAD coordinator on call." in result.heard
        call, referral, _ = stored_call(app)
        assert call.officer_id == referral.officer_id == program.officer.id
        assert referral.badge == "4711"

    def test_wrong_badge_goes_on_unverified(
        self, app: Flask, twilio: VoiceEmulator, program: Program
    ) -> None:
        script = CallScript(gathers=["9999"], legs={program.ana.phone: [Leg("accept")]})
        result = twilio.call(STRANGER, HOTLINE, script)
        assert result.answered_by == program.ana.phone
        whisper = [e.text for e in result.events if e.kind == "whisper"]
        assert whisper[0] == "LEAD referral call from an unverified caller, press 1 to accept."
        _, referral, _ = stored_call(app)
        assert (referral.officer_id, referral.badge, referral.officer_phone) == (
            None,
            "9999",
            STRANGER,
        )

    def test_no_input_goes_on_unverified(
        self, app: Flask, twilio: VoiceEmulator, program: Program
    ) -> None:
        result = twilio.call(
            STRANGER, HOTLINE, CallScript(legs={program.ana.phone: [Leg("accept")]})
        )
        assert result.answered_by == program.ana.phone
        assert stored_call(app)[1].officer_id is None

    def test_a_coordinator_calling_from_their_own_phone_is_not_rung_on_it(
        self, app: Flask, twilio: VoiceEmulator, program: Program
    ) -> None:
        # Ana, on call for tier 1, calls the hotline from her phone (she met someone on
        # her way home): ringing her own line would cost the call a step of busy or of
        # call waiting, and she cannot take her own call. Ben is rung first.
        script = CallScript(legs={program.ben.phone: [Leg("accept")]})
        result = twilio.call(program.ana.phone, HOTLINE, script)
        assert result.dialled[0] == [program.ben.phone]
        assert result.answered_by == program.ben.phone
        call, _, legs = stored_call(app)
        assert all(step["number"] != program.ana.phone for step in call.chain)
        assert legs == [(program.ben.phone, "accepted")]


class TestEscalation:
    """Nobody answering walks the whole chain, then voicemail that everyone hears about."""

    def test_no_answer_then_busy_then_fallback_then_voicemail(
        self, app: Flask, twilio: VoiceEmulator, program: Program
    ) -> None:
        script = CallScript(legs={program.ben.phone: [Leg("busy")]})
        result = twilio.call(program.officer.phone, HOTLINE, script)
        assert result.dialled == [[program.ana.phone], [program.ben.phone], [FALLBACK]]
        assert any(e.kind == "record" for e in result.events)
        call, referral, legs = stored_call(app)
        assert legs == [
            (program.ana.phone, "no-answer"),
            (program.ben.phone, "busy"),
            (FALLBACK, "no-answer"),
        ]
        assert call.call_outcome == referral.call_outcome == "voicemail"
        assert referral.status == "notified" and referral.recording_url == call.recording_url
        assert call.recording_url is not None and call.recording_duration == 12
        sent = texts(app)
        assert [to for to, _ in sent] == [program.ana.phone, program.ben.phone, program.sue.phone]
        assert all(
            f"Referral #{referral.id}" in body and "Officer Smith" in body for _, body in sent
        )

    def test_empty_recording_still_notifies_exactly_once(
        self, app: Flask, twilio: VoiceEmulator, program: Program
    ) -> None:
        twilio.call(program.officer.phone, HOTLINE, CallScript(recording=None))
        call, _, _ = stored_call(app)
        twilio.status_callback(call.call_sid, "completed", CallDuration="95")
        sent = texts(app)
        assert len(sent) == 3 and "without a message" in sent[0][1]

    def test_hanging_up_during_an_empty_recording_notifies_from_the_status_callback(
        self, app: Flask, twilio: VoiceEmulator, program: Program
    ) -> None:
        # Requests: incoming, 3 × (dial-result) … the caller hangs up on the recording prompt.
        script = CallScript(recording=None, hang_up_after=4)
        result = twilio.call(program.officer.phone, HOTLINE, script)
        assert result.requests_to("/voice/voicemail-done") == []
        call, _, _ = stored_call(app)
        assert call.call_outcome == "voicemail"
        assert len(texts(app)) == 3

    def test_fallback_number_accepting_answers_without_a_coordinator(
        self, app: Flask, twilio: VoiceEmulator, program: Program
    ) -> None:
        result = twilio.call(
            program.officer.phone, HOTLINE, CallScript(legs={FALLBACK: [Leg("accept")]})
        )
        assert result.answered_by == FALLBACK
        whispers = [e.text for e in result.events if e.kind == "whisper"]
        assert whispers[-2] == "LEAD referral call from Officer Smith, press 1 to accept."
        call, referral, _ = stored_call(app)
        assert (call.call_outcome, call.answered_by) == ("answered", None)
        assert (referral.status, referral.acknowledged_by) == ("received", None)

    def test_nobody_on_call_goes_straight_to_the_fallback_number(
        self, app: Flask, twilio: VoiceEmulator
    ) -> None:
        result = twilio.call(STRANGER, HOTLINE)
        assert result.dialled == [[FALLBACK]]
        assert stored_call(app)[0].call_outcome == "voicemail"

    def test_caller_hanging_up_while_it_rings_is_abandoned(
        self, app: Flask, twilio: VoiceEmulator, program: Program
    ) -> None:
        twilio.call(program.officer.phone, HOTLINE, CallScript(hang_up_after=1))
        call, referral, legs = stored_call(app)
        assert call.call_outcome == referral.call_outcome == "abandoned"
        assert len(legs) == 1
        assert [to for to, _ in texts(app)] == [program.ana.phone]  # tier 1, to take it

    def test_the_same_person_on_two_tiers_is_dialled_once(
        self, app: Flask, twilio: VoiceEmulator, program: Program
    ) -> None:
        from tests.factories import add_rotation

        add_rotation(app, 3, program.ana)
        result = twilio.call(program.officer.phone, HOTLINE, CallScript(recording=None))
        assert result.dialled == [[program.ana.phone], [program.ben.phone], [FALLBACK]]


def test_timeline_records_the_call(app: Flask, twilio: VoiceEmulator, program: Program) -> None:
    twilio.call(
        program.officer.phone, HOTLINE, CallScript(legs={program.ana.phone: [Leg("accept")]})
    )
    with session_scope(app) as session:
        kinds = list(session.scalars(select(ReferralEvent.kind).order_by(ReferralEvent.id)))
    assert kinds == ["call_received", "call_answered"]


def test_a_coordinator_deactivated_while_the_call_rings_is_passed_over(
    app: Flask, client: FlaskClient, program: Program
) -> None:
    params = {"CallSid": "CA-left", "From": program.officer.phone, "To": HOTLINE}
    assert post(client, "/voice/incoming", params).status_code == 200  # Ana's phone rings
    with session_scope(app) as session:
        call_id = session.scalars(select(Call.id)).one()
        session.get_one(User, program.ben.id).active = False  # tier 2 leaves meanwhile
        bump_revision(session)
    no_answer = {**params, "DialCallStatus": "no-answer", "CallStatus": "in-progress"}
    answer = post(client, f"/voice/dial-result?call={call_id}&step=0", no_answer)
    dialled = [number.text for number in ET.fromstring(answer.data).iter("Number")]
    assert dialled == [FALLBACK], "the next step goes past Ben, who is no longer active"


def test_a_tier_two_phone_changed_while_tier_one_rings_rings_the_new_phone(
    app: Flask, client: FlaskClient, program: Program
) -> None:
    params = {"CallSid": "CA-newphone", "From": program.officer.phone, "To": HOTLINE}
    assert post(client, "/voice/incoming", params).status_code == 200  # Ana's phone rings
    new_phone = "+12065550188"
    with session_scope(app) as session:
        call_id = session.scalars(select(Call.id)).one()
        session.get_one(User, program.ben.id).phone = new_phone  # Ben lost his old phone
        bump_revision(session)
    no_answer = {**params, "DialCallStatus": "no-answer", "CallStatus": "in-progress"}
    answer = post(client, f"/voice/dial-result?call={call_id}&step=0", no_answer)
    dialled = [number.text for number in ET.fromstring(answer.data).iter("Number")]
    assert dialled == [new_phone], "Ben's old number is no longer his: the call rings his new one"
    _, _, legs = stored_call(app)
    assert legs[1][0] == new_phone


def test_a_coordinator_made_a_prosecutor_while_the_call_rings_is_passed_over(
    app: Flask, client: FlaskClient, program: Program
) -> None:
    params = {"CallSid": "CA-moved", "From": program.officer.phone, "To": HOTLINE}
    assert post(client, "/voice/incoming", params).status_code == 200  # Ana's phone rings
    with session_scope(app) as session:
        call_id = session.scalars(select(Call.id)).one()
        session.get_one(User, program.ben.id).role = "prosecutor"  # takes no calls any more
        bump_revision(session)
    no_answer = {**params, "DialCallStatus": "no-answer", "CallStatus": "in-progress"}
    answer = post(client, f"/voice/dial-result?call={call_id}&step=0", no_answer)
    dialled = [number.text for number in ET.fromstring(answer.data).iter("Number")]
    assert dialled == [FALLBACK], "a prosecutor is never whispered an officer's referral call"


@pytest.mark.parametrize("caller", ["roster officer", "badge keyed"])
def test_a_call_nobody_can_be_rung_for_is_not_told_it_is_being_connected(
    app: Flask, client: FlaskClient, caller: str
) -> None:
    # Nobody on call and no fallback numbers: the first thing the caller meets is voicemail.
    app.config["HOTLINE_FALLBACK_NUMBERS"] = []
    officer = add_officer(app)
    params = {"CallSid": "CA-nobody", "To": HOTLINE}
    if caller == "roster officer":
        answer = post(client, "/voice/incoming", {**params, "From": officer.phone})
    else:
        post(client, "/voice/incoming", {**params, "From": STRANGER})
        call_id = stored_call(app)[0].id
        answer = post(client, f"/voice/badge?call={call_id}", {**params, "Digits": "4711"})
    root = ET.fromstring(answer.data)
    heard = " ".join(say.text or "" for say in root.iter("Say"))
    assert root.find("Record") is not None and root.find("Dial") is None
    assert "connecting" not in heard.lower(), heard
    assert heard.startswith("Thank you") and "Nobody could take the call" in heard, heard
