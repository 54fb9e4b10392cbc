"""TwiML answers are checked against Twilio's schema before the emulator plays them."""

from __future__ import annotations

import pytest
from twilio.twiml.voice_response import Dial, Gather, VoiceResponse

from hotline.simulator.twiml import TwimlError, parse, validate


def check(verbs: str, *, callee: bool = False) -> None:
    validate(parse(f"<Response>{verbs}</Response>"), callee=callee)


class TestValidTwiml:
    """Documents Twilio's own library builds pass, the hotline's shapes included."""

    def test_a_dial_step_with_a_whisper_passes(self) -> None:
        response = VoiceResponse()
        response.say("Connecting you to the on-call coordinator.")
        dial = Dial(action="/voice/step/2", timeout=20, answer_on_bridge=True)
        dial.number("+12065550111", url="/voice/whisper?step=1", method="POST")
        response.append(dial)
        validate(parse(str(response)))

    def test_a_badge_prompt_and_a_voicemail_pass(self) -> None:
        response = VoiceResponse()
        gather = Gather(input="dtmf", finish_on_key="#", action="/voice/badge", timeout=7)
        gather.say("Enter your badge number, then press pound.")
        response.append(gather)
        response.record(action="/voice/recorded", max_length=120, play_beep=True)
        response.say("Goodbye")
        response.hangup()
        validate(parse(str(response)))

    def test_a_whisper_passes_on_the_callee_side(self) -> None:
        check(
            '<Gather numDigits="1" action="/voice/accept"><Say>Press 1</Say></Gather><Hangup/>',
            callee=True,
        )

    @pytest.mark.parametrize(
        "verbs",
        [
            "",
            "<Pause/>",
            '<Play digits="1w2"/>',
            '<Dial timeout="5">+12065550111</Dial>',
            '<Dial timeout="600">+12065550111</Dial>',
            '<Reject reason="busy"/>',
            '<Redirect method="POST">/voice/next</Redirect>',
            '<Say loop="0" voice="Polly.Joanna" language="en-US">Hi</Say>',
        ],
    )
    def test_valid_verbs_pass(self, verbs: str) -> None:
        check(verbs)


class TestInvalidTwiml:
    """What Twilio would refuse raises TwimlError, an AssertionError pytest shows."""

    @pytest.mark.parametrize(
        ("verbs", "complaint"),
        [
            ("<Number>+12065550111</Number>", "inside <Dial>"),
            ("<Say>Hi<Dial>+12065550111</Dial></Say>", "<Say> may not contain <Dial>"),
            ("<Gather><Dial>+12065550111</Dial></Gather>", "may only contain Say, Play, Pause"),
            ("<Gather><Gather/></Gather>", "may only contain Say, Play, Pause"),
            ('<Dial timeout="2">+12065550111</Dial>', "between 5 and 600"),
            ('<Dial timeout="601">+12065550111</Dial>', "between 5 and 600"),
            ('<Dial timeout="thirty">+12065550111</Dial>', "must be an integer"),
            ('<Dial answerOnBridge="yes">+12065550111</Dial>', "true, false"),
            ('<Dial><Number timeout="20">+12065550111</Number></Dial>', "no attribute 'timeout'"),
            ("<Dial><Say>Hi</Say></Dial>", "may not contain <Say>"),
            ("<Dial> </Dial>", "needs a number"),
            ("<Dial>+12065550111<Number>+12065550122</Number></Dial>", "not both"),
            ("<Dial><Number/></Dial>", "phone number as text"),
            ('<Gather timeout="0"/>', "at least 1"),
            ('<Gather numDigits="0"/>', "at least 1"),
            ('<Gather numdigits="1"/>', "no attribute 'numdigits'"),
            ('<Gather finishOnKey="##"/>', "must be one of"),
            ('<Gather input="voice"/>', "must be one of"),
            ('<Record maxLength="0"/>', "between 1 and"),
            ('<Redirect method="PUT">/voice/next</Redirect>', "GET, POST"),
            ("<Redirect/>", "needs text"),
            ("<Say/>", "needs text"),
            ("<Play/>", "needs a URL"),
            ("<Hangup>now</Hangup>", "stray text"),
            ("Hello<Say>Hi</Say>", "stray text"),
            ("<Sms>Hi</Sms>", "not a TwiML Voice verb"),
        ],
    )
    def test_violations_raise(self, verbs: str, complaint: str) -> None:
        with pytest.raises(TwimlError, match=complaint):
            check(verbs)

    def test_the_root_must_be_response(self) -> None:
        with pytest.raises(TwimlError, match="not <Response>"):
            validate(parse("<html><body>Hello</body></html>"))

    def test_a_whisper_may_not_dial(self) -> None:
        with pytest.raises(TwimlError, match="may not contain <Dial>"):
            check("<Dial>+12065550111</Dial>", callee=True)

    def test_twiml_error_is_an_assertion_error(self) -> None:
        assert issubclass(TwimlError, AssertionError)
