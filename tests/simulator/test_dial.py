"""A <Dial> rings the legs the script describes, runs whispers and reports like Twilio."""

from __future__ import annotations

import pytest

from hotline.simulator import CallScript, Leg, VoiceEmulator
from tests.simulator.conftest import ALICE, BOB, CALLER, HOTLINE, Webhooks


class TestDial:
    """A <Dial> rings the leg the script describes and reports it to the action."""

    def test_accept_runs_the_whisper_bridges_and_reports_completed(
        self, dialling: Webhooks, emulator: VoiceEmulator
    ) -> None:
        script = CallScript(legs={ALICE: [Leg("accept", talk_seconds=90)]})
        result = emulator.call(CALLER, HOTLINE, script)
        assert result.dialled == [[ALICE]]
        assert result.answered_by == ALICE
        assert result.heard == ["Goodbye"]
        whispers = [event.text for event in result.events if event.kind == "whisper"]
        assert whispers == ["LEAD referral, press 1", "Connecting"]
        [whisper] = dialling.params("/voice/whisper")
        assert whisper["ParentCallSid"] == result.call_sid
        assert (whisper["From"], whisper["To"], whisper["Direction"]) == (
            HOTLINE,
            ALICE,
            "outbound-dial",
        )
        [screen] = dialling.params("/voice/screen")
        assert (screen["Digits"], screen["CallSid"]) == ("1", whisper["CallSid"])
        [dialed] = dialling.params("/voice/dialed")
        assert dialed["CallSid"] == result.call_sid
        assert dialed["DialCallStatus"] == "completed"
        assert dialed["DialCallSid"] == whisper["CallSid"]
        assert dialed["DialCallDuration"] == "90"

    def test_voicemail_presses_nothing_and_hangs_up_unbridged(
        self, dialling: Webhooks, emulator: VoiceEmulator
    ) -> None:
        result = emulator.call(CALLER, HOTLINE, CallScript(legs={ALICE: [Leg("voicemail")]}))
        assert result.answered_by is None
        assert dialling.params("/voice/screen") == []
        [dialed] = dialling.params("/voice/dialed")
        assert dialed["DialCallStatus"] == "completed"
        assert 0 < int(dialed["DialCallDuration"]) < 60

    def test_decline_presses_two_and_the_whisper_action_hangs_up(
        self, dialling: Webhooks, emulator: VoiceEmulator
    ) -> None:
        result = emulator.call(CALLER, HOTLINE, CallScript(legs={ALICE: [Leg("decline")]}))
        assert [params["Digits"] for params in dialling.params("/voice/screen")] == ["2"]
        assert result.answered_by is None
        assert dialling.params("/voice/dialed")[0]["DialCallStatus"] == "completed"

    @pytest.mark.parametrize("outcome", ["no-answer", "busy", "failed"])
    def test_unanswered_legs_report_their_status_without_a_whisper(
        self, dialling: Webhooks, emulator: VoiceEmulator, outcome: str
    ) -> None:
        script = CallScript(legs={ALICE: [Leg(outcome)]})  # type: ignore[arg-type]
        result = emulator.call(CALLER, HOTLINE, script)
        assert dialling.params("/voice/whisper") == []
        [dialed] = dialling.params("/voice/dialed")
        assert dialed["DialCallStatus"] == outcome
        assert "DialCallDuration" not in dialed
        assert result.answered_by is None

    def test_a_number_missing_from_the_script_does_not_answer(
        self, dialling: Webhooks, emulator: VoiceEmulator
    ) -> None:
        emulator.call(CALLER, HOTLINE)
        assert dialling.params("/voice/dialed")[0]["DialCallStatus"] == "no-answer"

    def test_successive_dials_of_a_number_take_successive_legs(
        self, webhooks: Webhooks, emulator: VoiceEmulator
    ) -> None:
        webhooks.on("/voice/incoming", f'<Dial action="/voice/again">{ALICE}</Dial>')
        webhooks.on("/voice/again", f'<Dial action="/voice/done">{ALICE}</Dial>')
        script = CallScript(legs={ALICE: [Leg("busy"), Leg("accept")]})
        result = emulator.call(CALLER, HOTLINE, script)
        assert webhooks.params("/voice/again")[0]["DialCallStatus"] == "busy"
        assert webhooks.params("/voice/done")[0]["DialCallStatus"] == "completed"
        assert result.dialled == [[ALICE], [ALICE]]
        assert result.answered_by == ALICE

    def test_without_action_the_call_goes_on_after_the_dial(
        self, webhooks: Webhooks, emulator: VoiceEmulator
    ) -> None:
        webhooks.on("/voice/incoming", f"<Dial>{ALICE}</Dial><Say>The line is free</Say>")
        result = emulator.call(CALLER, HOTLINE, CallScript(legs={ALICE: [Leg("accept")]}))
        assert result.answered_by == ALICE
        assert result.heard == ["The line is free"]

    def test_caller_id_is_the_from_of_the_child_call(
        self, webhooks: Webhooks, emulator: VoiceEmulator
    ) -> None:
        webhooks.on(
            "/voice/incoming",
            f'<Dial callerId="{CALLER}"><Number url="/voice/whisper">{ALICE}</Number></Dial>',
        )
        webhooks.on("/voice/whisper", "<Say>Hi</Say>")
        emulator.call(CALLER, HOTLINE, CallScript(legs={ALICE: [Leg("accept")]}))
        assert webhooks.params("/voice/whisper")[0]["From"] == CALLER

    def test_several_numbers_ring_at_once_and_the_first_to_answer_wins(
        self, webhooks: Webhooks, emulator: VoiceEmulator
    ) -> None:
        numbers = "".join(
            f'<Number statusCallback="/voice/leg">{number}</Number>' for number in (ALICE, BOB)
        )
        webhooks.on("/voice/incoming", f'<Dial action="/voice/dialed">{numbers}</Dial>')
        script = CallScript(legs={ALICE: [Leg("no-answer")], BOB: [Leg("accept")]})
        result = emulator.call(CALLER, HOTLINE, script)
        assert result.answered_by == BOB
        legs = {params["To"]: params["CallStatus"] for params in webhooks.params("/voice/leg")}
        assert legs == {ALICE: "canceled", BOB: "completed"}
        [dialed] = webhooks.params("/voice/dialed")
        bob_sid = next(p["CallSid"] for p in webhooks.params("/voice/leg") if p["To"] == BOB)
        assert dialed["DialCallSid"] == bob_sid

    def test_number_status_callback_reports_the_subscribed_events(
        self, webhooks: Webhooks, emulator: VoiceEmulator
    ) -> None:
        webhooks.on(
            "/voice/incoming",
            '<Dial><Number statusCallback="/voice/leg" '
            f'statusCallbackEvent="initiated ringing answered completed">{ALICE}</Number></Dial>',
        )
        emulator.call(CALLER, HOTLINE, CallScript(legs={ALICE: [Leg("accept")]}))
        progress = webhooks.params("/voice/leg")
        assert [params["CallStatus"] for params in progress] == [
            "initiated",
            "ringing",
            "in-progress",
            "completed",
        ]
        assert [params["SequenceNumber"] for params in progress] == ["0", "1", "2", "3"]

    def test_time_limit_cuts_the_bridged_conversation(
        self, webhooks: Webhooks, emulator: VoiceEmulator
    ) -> None:
        webhooks.on(
            "/voice/incoming", f'<Dial action="/voice/dialed" timeLimit="30">{ALICE}</Dial>'
        )
        emulator.call(CALLER, HOTLINE, CallScript(legs={ALICE: [Leg("accept", talk_seconds=600)]}))
        assert webhooks.params("/voice/dialed")[0]["DialCallDuration"] == "30"


def test_in_order_outcomes_apply_to_numbers_without_their_own(
    dialling: Webhooks, emulator: VoiceEmulator
) -> None:
    """A caller who cannot know who is on call scripts the dials in order."""
    result = emulator.call(CALLER, HOTLINE, CallScript(legs_in_order=[Leg("accept")]))
    assert result.answered_by == ALICE
    busy_first = CallScript(legs={ALICE: [Leg("busy")]}, legs_in_order=[Leg("accept")])
    assert emulator.call(CALLER, HOTLINE, busy_first).answered_by is None
