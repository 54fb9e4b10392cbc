"""The voice emulator follows TwiML the way Twilio documents it."""

from __future__ import annotations

import pytest

from hotline.simulator import (
    CallScript,
    Leg,
    TwimlError,
    UnsupportedTwiml,
    VoiceEmulator,
    flask_poster,
)
from tests.simulator.conftest import ALICE, AUTH_TOKEN, BASE_URL, BOB, CALLER, HOTLINE, Webhooks


class TestStartOfCall:
    """The first request carries Twilio's standard parameters; later ones are in progress."""

    def test_first_request_is_ringing_with_standard_params(
        self, webhooks: Webhooks, emulator: VoiceEmulator
    ) -> None:
        webhooks.on("/voice/incoming", "<Say>Hello</Say>")
        result = emulator.call(CALLER, HOTLINE, call_sid="CA" + "1" * 32)
        assert webhooks.params("/voice/incoming") == [
            {
                "AccountSid": "AC" + "0" * 32,
                "CallSid": "CA" + "1" * 32,
                "From": CALLER,
                "To": HOTLINE,
                "Caller": CALLER,
                "Called": HOTLINE,
                "CallStatus": "ringing",
                "Direction": "inbound",
                "ApiVersion": "2010-04-01",
            }
        ]
        assert result.heard == ["Hello"]
        assert result.requests[0] == (f"{BASE_URL}/voice/incoming", result.requests[0][1], 200)

    def test_generated_call_sid_looks_like_twilios(
        self, webhooks: Webhooks, emulator: VoiceEmulator
    ) -> None:
        webhooks.on("/voice/incoming", "<Hangup/>")
        sid = emulator.call(CALLER, HOTLINE).call_sid
        assert sid.startswith("CA") and len(sid) == 34
        assert emulator.call(CALLER, HOTLINE).call_sid != sid


class TestSayAndGather:
    """<Gather> posts the caller's digits to its action, or falls through on no input."""

    def test_digits_go_to_the_action_and_its_answer_replaces_the_document(
        self, webhooks: Webhooks, emulator: VoiceEmulator
    ) -> None:
        webhooks.on(
            "/voice/incoming",
            '<Say>Welcome</Say><Gather action="/voice/badge" finishOnKey="#">'
            "<Say>Enter your badge</Say></Gather><Say>Not heard</Say>",
        )
        webhooks.on("/voice/badge", lambda params: f"<Say>Badge {params['Digits']}</Say>")
        result = emulator.call(CALLER, HOTLINE, CallScript(gathers=["4711#"]))
        assert result.heard == ["Welcome", "Enter your badge", "Badge 4711"]
        [badge] = webhooks.params("/voice/badge")
        assert (badge["Digits"], badge["CallStatus"]) == ("4711", "in-progress")

    def test_no_input_falls_through_to_the_next_verb(
        self, webhooks: Webhooks, emulator: VoiceEmulator
    ) -> None:
        webhooks.on(
            "/voice/incoming",
            '<Gather action="/voice/badge"><Say>Enter your badge</Say></Gather>'
            "<Say>Going on unverified</Say>",
        )
        result = emulator.call(CALLER, HOTLINE, CallScript(gathers=[None]))
        assert result.heard == ["Enter your badge", "Going on unverified"]
        assert webhooks.params("/voice/badge") == []

    def test_an_exhausted_script_means_no_input(
        self, webhooks: Webhooks, emulator: VoiceEmulator
    ) -> None:
        webhooks.on("/voice/incoming", "<Gather><Say>Menu</Say></Gather><Say>Bye</Say>")
        assert emulator.call(CALLER, HOTLINE).heard == ["Menu", "Bye"]

    @pytest.mark.parametrize(
        ("attributes", "pressed", "digits"),
        [
            ('numDigits="1"', "12", "1"),
            ("", "12#3", "12"),
            ('finishOnKey="*"', "12#*", "12#"),
            ('finishOnKey=""', "12#", "12#"),
        ],
    )
    def test_finish_on_key_and_num_digits_bound_the_digits(
        self,
        webhooks: Webhooks,
        emulator: VoiceEmulator,
        attributes: str,
        pressed: str,
        digits: str,
    ) -> None:
        webhooks.on("/voice/incoming", f'<Gather action="/voice/menu" {attributes}/>')
        emulator.call(CALLER, HOTLINE, CallScript(gathers=[pressed]))
        assert [params["Digits"] for params in webhooks.params("/voice/menu")] == [digits]

    def test_default_action_is_the_current_document_and_relative_urls_resolve(
        self, webhooks: Webhooks, emulator: VoiceEmulator
    ) -> None:
        webhooks.on("/voice/incoming", "<Redirect>steps/one?n=1</Redirect>")
        webhooks.on(
            "/voice/steps/one",
            lambda params: "<Say>Got it</Say>" if "Digits" in params else "<Gather/>",
        )
        result = emulator.call(CALLER, HOTLINE, CallScript(gathers=["7"]))
        assert [url for url, _, _ in result.requests[:3]] == [
            f"{BASE_URL}/voice/incoming",
            f"{BASE_URL}/voice/steps/one?n=1",
            f"{BASE_URL}/voice/steps/one?n=1",
        ]
        assert result.requests[2][1]["Digits"] == "7"
        assert result.heard == ["Got it"]

    def test_action_on_empty_result_posts_without_digits(
        self, webhooks: Webhooks, emulator: VoiceEmulator
    ) -> None:
        webhooks.on("/voice/incoming", '<Gather action="/voice/menu" actionOnEmptyResult="true"/>')
        emulator.call(CALLER, HOTLINE)
        [menu] = webhooks.params("/voice/menu")
        assert "Digits" not in menu


class TestRecord:
    """<Record> posts the recording to its action, except an empty one."""

    def test_recording_ended_by_hanging_up_posts_the_action_and_ends_the_call(
        self, webhooks: Webhooks, emulator: VoiceEmulator
    ) -> None:
        webhooks.on("/voice/incoming", '<Record action="/voice/recorded"/><Say>Unreached</Say>')
        webhooks.on("/voice/recorded", "<Say>Thanks</Say>")
        script = CallScript(recording=("https://api.twilio.com/rec/RE1", 33))
        result = emulator.call(CALLER, HOTLINE, script)
        [recorded] = webhooks.params("/voice/recorded")
        assert recorded["RecordingUrl"] == "https://api.twilio.com/rec/RE1"
        assert recorded["RecordingDuration"] == "33"
        assert recorded["RecordingSid"].startswith("RE")
        assert (recorded["Digits"], recorded["CallStatus"]) == ("hangup", "completed")
        assert result.heard == []

    def test_recording_ended_by_a_key_goes_on_with_the_actions_answer(
        self, webhooks: Webhooks, emulator: VoiceEmulator
    ) -> None:
        webhooks.on("/voice/incoming", '<Record action="/voice/recorded" finishOnKey="#"/>')
        webhooks.on("/voice/recorded", "<Say>Thanks</Say>")
        result = emulator.call(CALLER, HOTLINE, CallScript(record_finish="#"))
        assert webhooks.params("/voice/recorded")[0]["Digits"] == "#"
        assert result.heard == ["Thanks"]

    def test_empty_recording_skips_the_action_and_runs_the_next_verb(
        self, webhooks: Webhooks, emulator: VoiceEmulator
    ) -> None:
        webhooks.on("/voice/incoming", '<Record action="/voice/recorded"/><Say>No message</Say>')
        result = emulator.call(CALLER, HOTLINE, CallScript(recording=None))
        assert webhooks.params("/voice/recorded") == []
        assert result.heard == ["No message"]


class TestRedirectHangupReject:
    """<Redirect> fetches a new document; <Hangup> and <Reject> end the call."""

    def test_redirect_replaces_the_document(
        self, webhooks: Webhooks, emulator: VoiceEmulator
    ) -> None:
        webhooks.on("/voice/incoming", "<Redirect>/voice/next</Redirect><Say>Unreached</Say>")
        webhooks.on("/voice/next", "<Say>Next</Say><Hangup/><Say>Unreached</Say>")
        result = emulator.call(CALLER, HOTLINE)
        assert result.heard == ["Next"]
        assert webhooks.params("/voice/next")[0]["CallStatus"] == "in-progress"

    @pytest.mark.parametrize(("reason", "status"), [("busy", "busy"), ("rejected", "no-answer")])
    def test_reject_first_never_answers(
        self, webhooks: Webhooks, emulator: VoiceEmulator, reason: str, status: str
    ) -> None:
        webhooks.on("/voice/incoming", f'<Reject reason="{reason}"/>')
        result = emulator.call(CALLER, HOTLINE)
        assert result.status == status
        assert webhooks.params("/voice/status")[0]["CallStatus"] == status

    def test_a_redirect_loop_is_stopped(self, webhooks: Webhooks, emulator: VoiceEmulator) -> None:
        webhooks.on("/voice/incoming", "<Redirect>/voice/incoming</Redirect>")
        with pytest.raises(TwimlError, match="loop"):
            emulator.call(CALLER, HOTLINE)

    def test_get_methods_are_refused(self, webhooks: Webhooks, emulator: VoiceEmulator) -> None:
        webhooks.on("/voice/incoming", '<Redirect method="GET">/voice/next</Redirect>')
        with pytest.raises(UnsupportedTwiml):
            emulator.call(CALLER, HOTLINE)


class TestCallerHangsUp:
    """hang_up_after stops the call after that many TwiML requests, as a caller would."""

    def test_hanging_up_after_the_first_request_plays_nothing(
        self, webhooks: Webhooks, emulator: VoiceEmulator
    ) -> None:
        webhooks.on("/voice/incoming", "<Say>Hello</Say><Redirect>/voice/next</Redirect>")
        result = emulator.call(CALLER, HOTLINE, CallScript(hang_up_after=1))
        assert result.heard == []
        assert webhooks.paths() == ["/voice/incoming", "/voice/status"]
        assert webhooks.params("/voice/status")[0]["CallStatus"] == "completed"

    def test_hanging_up_during_the_whisper_still_posts_the_dial_action(
        self, dialling: Webhooks, emulator: VoiceEmulator
    ) -> None:
        script = CallScript(legs={ALICE: [Leg("accept")]}, hang_up_after=2)
        result = emulator.call(CALLER, HOTLINE, script)
        assert dialling.paths() == [
            "/voice/incoming",
            "/voice/whisper",
            "/voice/dialed",
            "/voice/status",
        ]
        [dialed] = dialling.params("/voice/dialed")
        assert dialed["CallStatus"] == "completed"
        assert result.answered_by is None
        assert result.heard == []


class TestFailures:
    """A failing webhook ends the call with Twilio's error message, without raising."""

    @pytest.mark.parametrize(
        ("status", "content_type", "body", "code"),
        [
            (500, "text/html", "<p>Internal Server Error</p>", "11200"),
            (200, "text/xml", "this is not xml", "12100"),
            (200, "application/json", '{"ok": true}', "12300"),
        ],
    )
    def test_error_answers_end_the_call_with_an_application_error(
        self,
        webhooks: Webhooks,
        emulator: VoiceEmulator,
        status: int,
        content_type: str,
        body: str,
        code: str,
    ) -> None:
        webhooks.raw("/voice/incoming", body, status, content_type)
        result = emulator.call(CALLER, HOTLINE)
        [error] = [event for event in result.events if event.kind == "error"]
        assert error.detail["code"] == code
        assert result.heard == ["We're sorry, an application error has occurred. Goodbye."]
        assert webhooks.params("/voice/status")[0]["CallStatus"] == "completed"

    def test_a_failing_voice_url_falls_back(self, webhooks: Webhooks) -> None:
        webhooks.raw("/voice/incoming", "oops", 500)
        webhooks.on("/voice/fallback", "<Say>Call 911 in an emergency</Say>")
        poster = flask_poster(webhooks.app.test_client())
        emulator = VoiceEmulator(poster, AUTH_TOKEN, BASE_URL, fallback="/voice/fallback")
        result = emulator.call(CALLER, HOTLINE)
        assert result.heard == ["Call 911 in an emergency"]
        [fallback] = webhooks.params("/voice/fallback")
        assert fallback["ErrorCode"] == "11200"
        assert fallback["ErrorUrl"] == f"{BASE_URL}/voice/incoming"

    def test_invalid_twiml_raises(self, webhooks: Webhooks, emulator: VoiceEmulator) -> None:
        webhooks.on("/voice/incoming", f"<Number>{ALICE}</Number>")
        with pytest.raises(TwimlError, match="Number"):
            emulator.call(CALLER, HOTLINE)

    def test_a_whisper_document_may_not_dial(
        self, dialling: Webhooks, emulator: VoiceEmulator
    ) -> None:
        dialling.on("/voice/whisper", f"<Dial>{BOB}</Dial>")
        with pytest.raises(TwimlError, match="Dial"):
            emulator.call(CALLER, HOTLINE, CallScript(legs={ALICE: [Leg("accept")]}))


class TestStatusCallback:
    """The end of every call is reported to the status callback; tests may send more."""

    def test_the_final_callback_carries_completed_and_a_duration(
        self, dialling: Webhooks, emulator: VoiceEmulator
    ) -> None:
        result = emulator.call(CALLER, HOTLINE, CallScript(legs={ALICE: [Leg("accept")]}))
        [final] = dialling.params("/voice/status")
        assert (final["CallSid"], final["CallStatus"]) == (result.call_sid, "completed")
        assert int(final["CallDuration"]) >= 60
        assert result.requests[-1][0] == f"{BASE_URL}/voice/status"

    def test_status_callbacks_can_be_repeated_on_demand(
        self, webhooks: Webhooks, emulator: VoiceEmulator
    ) -> None:
        webhooks.on("/voice/incoming", "<Hangup/>")
        result = emulator.call(CALLER, HOTLINE)
        answer = emulator.status_callback(result.call_sid, "completed", CallDuration="3")
        assert answer.status == 204
        first, repeated = webhooks.params("/voice/status")
        assert repeated == {**first, "CallDuration": "3"}

    def test_no_status_callback_when_disabled(self, webhooks: Webhooks) -> None:
        webhooks.on("/voice/incoming", "<Hangup/>")
        poster = flask_poster(webhooks.app.test_client())
        VoiceEmulator(poster, AUTH_TOKEN, BASE_URL, status_callback=None).call(CALLER, HOTLINE)
        assert webhooks.paths() == ["/voice/incoming"]
