"""Every TwiML answer of every voice step, and the SMS answers, is TwiML Twilio runs as meant.

Each scenario is played through the emulator with signed requests (or posted signed, for
the steps it cannot reach); every answer it gets is parsed as XML and held to the table of
Twilio's TwiML reference below: which verb nests where, which attributes each takes and
their values, no empty <Say>, E.164 numbers in <Number> and callerId, and step URLs that
Twilio resolves to a POST route of this app.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update
from werkzeug.exceptions import HTTPException

from hotline import ConfigError, create_app
from hotline.db import session_scope
from hotline.models import Officer, User
from hotline.simulator import CallScript, Leg, Poster, PostResult, VoiceEmulator, flask_poster
from hotline.simulator.script import DEFAULT_RECORDING
from tests.factories import add_officer, add_referral
from tests.jobs.conftest import run
from tests.messaging.fake_twilio import FakeTwilio
from tests.voice.conftest import FALLBACK, HOTLINE, STRANGER, Program
from tests.voice.test_callback import text
from tests.voice.test_webhooks import post

BASE = "http://localhost"
E164 = re.compile(r"\+[1-9]\d{1,14}")
KEYS = "0123456789#*"
MAX_MESSAGE = 1600

# Twilio's <Say> language tags the hotline may speak, and the Amazon Polly voices it may
# use with the language each voice speaks (a voice speaks one language only).
SAY_LANGUAGES = frozenset({"en-US", "es-US", "es-MX", "es-ES"})
POLLY_VOICES = {
    "Polly.Lupe": "es-US",
    "Polly.Lupe-Neural": "es-US",
    "Polly.Penelope": "es-US",
    "Polly.Miguel": "es-US",
    "Polly.Mia": "es-MX",
    "Polly.Mia-Neural": "es-MX",
    "Polly.Joanna": "en-US",
    "Polly.Joanna-Neural": "en-US",
    "Polly.Matthew": "en-US",
    "Polly.Matthew-Neural": "en-US",
}

Check = Callable[[str], bool]


def integer(low: int, high: int) -> Check:
    return lambda value: value.isdigit() and low <= int(value) <= high


def choice(*allowed: str) -> Check:
    return lambda value: value in allowed


def keys(value: str) -> bool:
    return all(key in KEYS for key in value) and len(set(value)) == len(value)


def e164(value: str) -> bool:
    return E164.fullmatch(value) is not None


BOOLEAN = choice("true", "false")
METHOD = choice("POST")  # the app's routes answer POST only


def url(value: str) -> bool:  # checked against the app's routes in Validator.url
    return bool(value)


def anything(value: str) -> bool:
    return True


@dataclass(frozen=True)
class Rule:
    """What Twilio's reference allows of one element."""

    attributes: dict[str, Check]
    children: frozenset[str] = frozenset()
    text: str = "none"  # none | words | url | e164
    ends: bool = False  # nothing after it in the same document ever runs


# From Twilio's TwiML Voice reference pages of each verb and noun.
VOICE: dict[str, Rule] = {
    "Response": Rule(
        {}, frozenset({"Say", "Pause", "Gather", "Dial", "Record", "Redirect", "Hangup"})
    ),
    "Say": Rule(
        {"voice": anything, "language": choice(*SAY_LANGUAGES), "loop": integer(0, 1000)},
        text="words",
    ),
    "Pause": Rule({"length": integer(1, 600)}),
    "Gather": Rule(
        {
            "input": choice("dtmf", "speech", "dtmf speech", "speech dtmf"),
            "action": url,
            "method": METHOD,
            "timeout": integer(1, 600),
            "finishOnKey": lambda value: value == "" or (len(value) == 1 and value in KEYS),
            "numDigits": integer(1, 100),
            "actionOnEmptyResult": BOOLEAN,
        },
        frozenset({"Say", "Pause"}),
    ),
    "Dial": Rule(
        {
            "action": url,
            "method": METHOD,
            "timeout": integer(5, 600),
            "answerOnBridge": BOOLEAN,
            "callerId": e164,
            "hangupOnStar": BOOLEAN,
            "timeLimit": integer(1, 14400),
        },
        frozenset({"Number"}),
    ),
    "Number": Rule({"url": url, "method": METHOD}, text="e164"),
    "Record": Rule(
        {
            "action": url,
            "method": METHOD,
            "timeout": integer(0, 3600),
            "maxLength": integer(1, 14400),
            "finishOnKey": keys,
            "playBeep": BOOLEAN,
            "trim": choice("trim-silence", "do-not-trim"),
        }
    ),
    "Redirect": Rule({"method": METHOD}, text="url", ends=True),
    "Hangup": Rule({}, ends=True),
}
MESSAGING: dict[str, Rule] = {
    "Response": Rule({}, frozenset({"Message"})),
    "Message": Rule({}, text="words"),
}


class Validator:
    """Hold each TwiML answer to the rules, resolving its URLs against the app's routes."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def url(self, value: str, where: str) -> str:
        """Return the app path `value` reaches, failing for a URL Twilio would resolve elsewhere."""
        parts = urlsplit(value)
        # HOTLINE_PUBLIC_URL is scheme://host alone: a root-relative URL lands on the app,
        # a bare relative one on the directory of whichever document named it.
        if parts.scheme:
            assert parts.scheme in ("http", "https") and parts.netloc, f"{where}: {value!r}"
        else:
            assert value.startswith("/") and not value.startswith("//"), (
                f"{where}: {value!r} is not root-relative"
            )
        adapter = self.app.url_map.bind("localhost")
        try:
            adapter.match(parts.path, method="POST")
        except HTTPException:
            pytest.fail(f"{where}: {value!r} is no POST route of the app")
        return parts.path

    def voice(self, body: bytes | str, *, callee: bool = False) -> ET.Element:
        root = ET.fromstring(body)
        self._check(root, VOICE, "Response")
        if callee:  # a <Number url> document plays to the dialled person alone
            assert root.find("Dial") is None and root.find("Record") is None, ET.tostring(root)
        return root

    def messaging(self, body: bytes | str) -> ET.Element:
        root = ET.fromstring(body)
        self._check(root, MESSAGING, "Response")
        for message in root:  # Twilio refuses a body past 1,600 characters
            assert len(message.text or "") <= MAX_MESSAGE, f"{len(message.text or '')} characters"
        return root

    def _check(self, element: ET.Element, rules: dict[str, Rule], parent: str) -> None:
        where = f"<{element.tag}> in <{parent}>"
        assert element.tag in rules, f"{where}: not TwiML here"
        rule = rules[element.tag]
        for name, value in element.attrib.items():
            assert name in rule.attributes, f"{where}: Twilio has no attribute {name!r}"
            assert rule.attributes[name](value), f"{where}: {name}={value!r} is out of range"
            if rule.attributes[name] is url:
                self.url(value, f"{where} {name}")
        text = (element.text or "").strip()
        if rule.text == "none":
            assert not text, f"{where}: stray text {text!r}"
        elif rule.text == "words":
            assert text, f"{where}: nothing to say"
        elif rule.text == "url":
            self.url(text, where)
        elif rule.text == "e164":
            assert e164(text), f"{where}: {text!r} is not an E.164 number"
        if element.tag == "Say":
            self._voice_fits_language(element, where)
        children = list(element)
        for index, child in enumerate(children):
            assert child.tag in rule.children, f"<{child.tag}> may not be nested in {where}"
            assert not (child.tail or "").strip(), f"{where}: stray text {child.tail!r}"
            if rules[child.tag].ends:
                assert index == len(children) - 1, f"{where}: verbs after <{child.tag}> never run"
            self._check(child, rules, element.tag)
        if element.tag == "Dial":
            assert 1 <= len(children) <= 10, f"{where}: {len(children)} numbers (1 to 10)"

    @staticmethod
    def _voice_fits_language(say: ET.Element, where: str) -> None:
        voice = say.get("voice")
        if voice is None:
            return
        assert voice in POLLY_VOICES or voice in ("man", "woman", "alice"), f"{where}: {voice}"
        if voice in POLLY_VOICES:
            assert say.get("language", POLLY_VOICES[voice]) == POLLY_VOICES[voice], (
                f"{where}: {voice} does not speak {say.get('language')}"
            )


@dataclass
class Seen:
    """One webhook the emulator posted and the app's answer."""

    url: str
    params: dict[str, str]
    answer: PostResult


def recording(poster: Poster, seen: list[Seen]) -> Poster:
    def post(url: str, params: dict[str, str], signature: str) -> PostResult:
        answer = poster(url, params, signature)
        seen.append(Seen(url, dict(params), answer))
        return answer

    return post


@pytest.fixture
def validator(app: Flask) -> Validator:
    return Validator(app)


@pytest.fixture
def seen() -> list[Seen]:
    return []


@pytest.fixture
def phone(client: FlaskClient, app: Flask, seen: list[Seen]) -> VoiceEmulator:
    """An emulated Twilio that keeps every answer the app gave it."""
    poster = recording(flask_poster(client), seen)
    token = app.config["TWILIO_AUTH_TOKEN"]
    return VoiceEmulator(poster, token, BASE, fallback="/voice/fallback")


def check_all(validator: Validator, seen: list[Seen]) -> list[str]:
    """Validate every TwiML answer of a call; return the paths that answered TwiML."""
    paths = []
    for webhook in seen:
        path = urlsplit(webhook.url).path
        if webhook.answer.status == 204:
            continue
        assert webhook.answer.status == 200, (path, webhook.answer.status)
        assert webhook.answer.content_type.split(";")[0] in ("text/xml", "application/xml")
        # The whisper and the key pressed there play to the dialled person alone.
        validator.voice(webhook.answer.body, callee=path in ("/voice/whisper", "/voice/accept"))
        paths.append(path)
    return paths


def speaks(app: Flask, model: Any, phone: str, language: str) -> None:
    with session_scope(app) as session:
        session.execute(update(model).where(model.phone == phone).values(language=language))


def nobody_on_call(app: Flask) -> str:
    """Put Officer Smith on the roster and nobody on any tier; return the officer's phone."""
    return add_officer(app).phone


class TestCallerSteps:
    """The caller's side: greeting, badge, chain, fallback numbers, voicemail."""

    def test_a_roster_officer_whose_call_is_taken_at_tier_one(
        self, phone: VoiceEmulator, validator: Validator, seen: list[Seen], program: Program
    ) -> None:
        result = phone.call(
            program.officer.phone, HOTLINE, CallScript(legs_in_order=[Leg("accept")])
        )
        assert result.answered_by == program.ana.phone
        paths = check_all(validator, seen)
        assert {"/voice/incoming", "/voice/whisper", "/voice/accept"} <= set(paths)

    def test_an_unknown_caller_keys_a_badge_and_the_chain_is_exhausted_to_voicemail(
        self, phone: VoiceEmulator, validator: Validator, seen: list[Seen], program: Program
    ) -> None:
        script = CallScript(
            gathers=["4711#"],
            legs_in_order=[Leg("voicemail"), Leg("decline"), Leg("busy")],
            recording=DEFAULT_RECORDING,
        )
        result = phone.call(STRANGER, HOTLINE, script)
        assert [FALLBACK] in result.dialled
        paths = check_all(validator, seen)
        assert {"/voice/badge", "/voice/dial-result", "/voice/recorded"} <= set(paths)

    def test_an_unknown_caller_who_keys_nothing_leaves_an_empty_recording(
        self, phone: VoiceEmulator, validator: Validator, seen: list[Seen], program: Program
    ) -> None:
        script = CallScript(gathers=[None], recording=None, record_finish="")
        phone.call(STRANGER, HOTLINE, script)
        assert "/voice/voicemail-done" in check_all(validator, seen)

    def test_a_caller_who_presses_9_hears_spanish_throughout(
        self, phone: VoiceEmulator, validator: Validator, seen: list[Seen], program: Program
    ) -> None:
        script = CallScript(gathers=["9#", "#"], legs_in_order=[Leg("no-answer")] * 3)
        result = phone.call(STRANGER, HOTLINE, script)
        assert any(text.startswith("Nadie pudo") for text in result.heard)
        check_all(validator, seen)

    @pytest.mark.parametrize("program_language", ["en", "es"])
    def test_a_caller_who_presses_9_twice_goes_on_unverified(
        self,
        app: Flask,
        phone: VoiceEmulator,
        validator: Validator,
        seen: list[Seen],
        program: Program,
        program_language: str,
    ) -> None:
        app.config["HOTLINE_LANGUAGE"] = program_language
        script = CallScript(gathers=["9#", "9#"], legs_in_order=[Leg("accept")])
        result = phone.call(STRANGER, HOTLINE, script)
        assert result.answered_by == program.ana.phone
        check_all(validator, seen)

    def test_a_spanish_officer_and_a_spanish_coordinator(
        self,
        app: Flask,
        phone: VoiceEmulator,
        validator: Validator,
        seen: list[Seen],
        program: Program,
    ) -> None:
        speaks(app, Officer, program.officer.phone, "es")
        speaks(app, User, program.ben.phone, "es")
        script = CallScript(legs_in_order=[Leg("no-answer"), Leg("accept")])
        result = phone.call(program.officer.phone, HOTLINE, script)
        assert result.answered_by == program.ben.phone
        check_all(validator, seen)

    def test_nobody_on_call_rings_the_fallback_numbers(
        self,
        app: Flask,
        phone: VoiceEmulator,
        validator: Validator,
        seen: list[Seen],
    ) -> None:
        officer = nobody_on_call(app)
        result = phone.call(officer, HOTLINE, CallScript(legs_in_order=[Leg("accept")]))
        assert result.dialled == [[FALLBACK]]
        check_all(validator, seen)

    def test_nobody_on_call_and_no_fallback_numbers_goes_to_voicemail(
        self,
        app: Flask,
        phone: VoiceEmulator,
        validator: Validator,
        seen: list[Seen],
    ) -> None:
        officer = nobody_on_call(app)
        app.config["HOTLINE_FALLBACK_NUMBERS"] = []
        phone.call(officer, HOTLINE, CallScript(recording=DEFAULT_RECORDING))
        assert "/voice/recorded" in check_all(validator, seen)

    def test_a_caller_who_hangs_up_while_ringing(
        self, phone: VoiceEmulator, validator: Validator, seen: list[Seen], program: Program
    ) -> None:
        phone.call(program.officer.phone, HOTLINE, CallScript(hang_up_after=1))
        check_all(validator, seen)


class TestFailOpen:
    """The answers built from configuration alone (SPEC §4.7)."""

    @pytest.mark.parametrize("language", ["en", "es"])
    @pytest.mark.parametrize("numbers", [[], [FALLBACK], [FALLBACK, "+12065550198"]])
    def test_the_fallback_url(
        self,
        app: Flask,
        client: FlaskClient,
        validator: Validator,
        numbers: list[str],
        language: str,
    ) -> None:
        app.config["HOTLINE_FALLBACK_NUMBERS"] = numbers
        error_url = f"{BASE}/voice/badge?call=1&lang={language}"
        params = {"CallSid": "CA-fb", "From": STRANGER, "To": HOTLINE, "ErrorUrl": error_url}
        root = validator.voice(post(client, "/voice/fallback", params).data)
        assert root.find("Dial") is not None if numbers else root.find("Hangup") is not None

    def test_more_fallback_numbers_than_one_dial_rings_are_refused_at_start(
        self, app_config: dict[str, Any], client: FlaskClient, validator: Validator
    ) -> None:
        # Twilio rings at most ten <Number>s in one <Dial>: with eleven, the fallback URL
        # (the database down) would answer a document Twilio refuses, and the caller
        # would hear "an application error has occurred" instead of a ring.
        eleven = [f"+120655502{n:02d}" for n in range(11)]
        with pytest.raises(ConfigError, match="HOTLINE_FALLBACK_NUMBERS"):
            create_app({**app_config, "HOTLINE_FALLBACK_NUMBERS": ",".join(eleven)})
        ten = create_app({**app_config, "HOTLINE_FALLBACK_NUMBERS": ",".join(eleven[:10])})
        params = {"CallSid": "CA-fb", "From": STRANGER, "To": HOTLINE}
        answer = post(ten.test_client(), "/voice/fallback", params)
        assert len(validator.voice(answer.data).findall("Dial/Number")) == 10

    def test_a_whisper_and_an_accept_without_the_database(
        self, client: FlaskClient, validator: Validator
    ) -> None:
        # No such call: the whisper is read without a name, a 1 still bridges.
        whisper = post(client, "/voice/whisper?call=999&step=0", {"CallSid": "CA-leg"})
        validator.voice(whisper.data, callee=True)
        for digits in ("1", "2"):
            accept = post(client, "/voice/accept?call=999&step=0&lang=en", {"Digits": digits})
            validator.voice(accept.data, callee=True)

    def test_a_step_of_an_unknown_call_answers_the_fallback(
        self, client: FlaskClient, validator: Validator
    ) -> None:
        for path in ("/voice/badge?call=999&lang=es", "/voice/dial-result?call=999&step=0"):
            validator.voice(post(client, path, {"CallSid": "CA-x", "Digits": "4711"}).data)


class TestCallBack:
    """The coordinator's call back (SPEC §4.10): offer, 1, the officer's ring, its end."""

    @pytest.fixture
    def app_config(self, app_config: dict[str, Any], fake_twilio: FakeTwilio) -> dict[str, Any]:
        return {**app_config, **fake_twilio.settings()}

    def place(self, app: Flask, program: Program) -> int:
        officer = program.officer
        referral = add_referral(
            app,
            "acknowledged",
            officer_id=officer.id,
            officer_phone=officer.phone,
            acknowledged_by=program.ana.id,
        )
        return referral

    @pytest.mark.parametrize(
        ("keys", "leg", "language"),
        [
            ("1", Leg("accept"), "en"),
            ("1", Leg("busy"), "es"),
            ("1", Leg("no-answer"), "en"),
            ("2", Leg("accept"), "en"),
            (None, Leg("accept"), "es"),
        ],
    )
    def test_every_step_of_a_call_back(
        self,
        app: Flask,
        client: FlaskClient,
        phone: VoiceEmulator,
        fake_twilio: FakeTwilio,
        validator: Validator,
        seen: list[Seen],
        program: Program,
        keys: str | None,
        leg: Leg,
        language: str,
    ) -> None:
        speaks(app, User, program.ana.phone, language)
        referral = self.place(app, program)
        text(client, app, program.ana.phone, f"CALL {referral}")
        run(app, "dispatch-outbox", datetime.now(UTC))
        [placed] = fake_twilio.calls
        phone.call(
            placed.sender,
            placed.to,
            CallScript(gathers=[keys], legs_in_order=[leg]),
            path=placed.url,
            direction="outbound-api",
            status_callback=placed.status_callback,
        )
        paths = check_all(validator, seen)
        assert "/voice/callback" in paths
        # The request Twilio is asked to place names an absolute URL of the app.
        assert validator.url(placed.url, "the call back's Url") == "/voice/callback"

    def test_the_connect_step_without_the_database_still_dials(
        self, client: FlaskClient, validator: Validator, program: Program
    ) -> None:
        path = "/voice/callback/connect?callback=999&lang=en&officer=%2B12065550177"
        for digits in ("1", "2"):
            validator.voice(post(client, path, {"CallSid": "CA-cb", "Digits": digits}).data)


class TestSmsAnswers:
    """The Messaging TwiML of a text's answer: a <Message> with words, or nothing."""

    @pytest.mark.parametrize(
        "texts",
        [
            ["HELP"],
            ["STOP"],
            ["START"],
            ["REFER", "1", "Pat Doe", "1", "3rd and Pine", "Y", "SEND"],
            ["REFER", "2", "P" * 200, "Ñ" * 500, "Y", "SEND"],  # the longest answers
            ["REFERIR", "ABORT"],
            ["WHO"],
            ["ACK 4242"],
            ["blah"],
        ],
    )
    def test_every_answer_is_a_message_with_words_or_none(
        self,
        client: FlaskClient,
        app: Flask,
        validator: Validator,
        program: Program,
        texts: list[str],
    ) -> None:
        senders = [program.officer.phone, program.ana.phone, STRANGER]
        for sender in senders:
            for number, body in enumerate(texts):
                params = {
                    "MessageSid": f"SM{sender[-4:]}{number}{body[:3]}",
                    "From": sender,
                    "To": HOTLINE,
                    "Body": body,
                    "NumMedia": "0",
                }
                answer = post(client, "/sms/incoming", params)
                assert answer.status_code == 200
                validator.messaging(answer.data)

    def test_the_sms_fallback(self, client: FlaskClient, validator: Validator) -> None:
        for body in ("hello", "STOP"):
            answer = post(client, "/sms/fallback", {"From": STRANGER, "To": HOTLINE, "Body": body})
            validator.messaging(answer.data)
