"""Spanish on the phone (SPEC §4.9): the officer's language, 9 for Spanish, whispers in the
coordinator's language, and the program's language for whoever the hotline does not know."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from hotline.db import session_scope
from hotline.models import Officer, User
from hotline.simulator import CallScript, Leg, VoiceEmulator
from hotline.simulator.script import DEFAULT_RECORDING
from tests.voice.conftest import FALLBACK, HOTLINE, STRANGER, Program
from tests.voice.test_badge import local
from tests.voice.test_webhooks import post

SPANISH = {"language": "es-US", "voice": "Polly.Lupe"}


def says(body: bytes) -> list[tuple[str, dict[str, str]]]:
    """Return each <Say> of a TwiML answer: its words and its attributes."""
    return [(say.text or "", dict(say.attrib)) for say in ET.fromstring(body).iter("Say")]


def speaks(app: Flask, model: Any, phone: str, language: str) -> None:
    with session_scope(app) as session:
        session.execute(update(model).where(model.phone == phone).values(language=language))


def test_a_spanish_officer_hears_every_prompt_in_spanish(
    app: Flask, twilio: VoiceEmulator, program: Program
) -> None:
    speaks(app, Officer, program.officer.phone, "es")
    result = twilio.call(
        program.officer.phone,
        HOTLINE,
        CallScript(
            legs={program.ana.phone: [Leg("no-answer")], program.ben.phone: [Leg("no-answer")]},
            recording=DEFAULT_RECORDING,
        ),
    )
    assert (
        result.heard[0] == "Gracias, agente Smith; le comunico con el coordinador LEAD de guardia."
    )
    assert "Seguimos intentando; por favor, espere." in result.heard
    assert any(text.startswith("Nadie pudo tomar la llamada.") for text in result.heard)
    # The recording's thanks is spoken in the call's language too: its URL carries it.
    assert any("/voice/recorded?" in url and "lang=es" in url for url, _, _ in result.requests)


def test_every_spanish_say_is_marked_es_us(
    client: FlaskClient, app: Flask, program: Program
) -> None:
    speaks(app, Officer, program.officer.phone, "es")
    params = {"CallSid": "CA-es-1", "From": program.officer.phone, "To": HOTLINE}
    first = says(post(client, "/voice/incoming", params).data)
    assert first and all(attrib == SPANISH for _, attrib in first)
    dial = ET.fromstring(post(client, "/voice/incoming", params).data).find("Dial")
    assert dial is not None
    result = post(client, local(dial.attrib["action"]), {**params, "DialCallStatus": "no-answer"})
    assert all(attrib == SPANISH for _, attrib in says(result.data))


def test_an_unknown_caller_is_offered_spanish_inside_the_badge_prompt(
    client: FlaskClient, program: Program
) -> None:
    params = {"CallSid": "CA-es-2", "From": STRANGER, "To": HOTLINE}
    gather = ET.fromstring(post(client, "/voice/incoming", params).data).find("Gather")
    assert gather is not None
    prompt = says(ET.tostring(gather))
    assert prompt[0][0].startswith("LEAD hotline. Enter your badge number") and prompt[0][1] == {}
    assert prompt[1] == ("Para español, marque 9 y luego numeral.", SPANISH)

    again = ET.fromstring(
        post(client, local(gather.attrib["action"]), {**params, "Digits": "9"}).data
    )
    spanish_gather = again.find("Gather")
    assert spanish_gather is not None
    assert says(ET.tostring(spanish_gather)) == [
        ("Línea LEAD. Marque su número de placa y luego numeral, o quédese en la línea.", SPANISH)
    ]
    keyed = post(client, local(spanish_gather.attrib["action"]), {**params, "Digits": "4711"})
    assert says(keyed.data)[0] == (
        "Gracias. Le comunico con el coordinador LEAD de guardia.",
        SPANISH,
    )


def test_the_whisper_speaks_the_coordinators_language(
    app: Flask, client: FlaskClient, program: Program
) -> None:
    speaks(app, User, program.ana.phone, "es")  # a Spanish coordinator, an English officer
    params = {"CallSid": "CA-es-3", "From": program.officer.phone, "To": HOTLINE}
    answer = ET.fromstring(post(client, "/voice/incoming", params).data)
    assert says(ET.tostring(answer))[0][1] == {}  # the officer still hears English
    number = answer.find("Dial/Number")
    assert number is not None
    whisper = post(client, local(number.attrib["url"]), {"CallSid": "CA-leg-es"})
    assert says(whisper.data) == [
        ("Llamada de remisión LEAD: agente Smith; marque 1 para aceptar.", SPANISH)
    ]
    gather = ET.fromstring(whisper.data).find("Gather")
    assert gather is not None
    accepted = post(client, local(gather.attrib["action"]), {"CallSid": "CA-leg-es", "Digits": "1"})
    assert says(accepted.data) == [("Conectando.", SPANISH)]


class TestProgramInSpanish:
    """HOTLINE_LANGUAGE=es: strangers and the fail-open answer hear Spanish."""

    @pytest.fixture
    def app_config(self, app_config: dict[str, Any]) -> dict[str, Any]:
        return {**app_config, "HOTLINE_LANGUAGE": "es"}

    def test_the_badge_prompt_is_spanish_without_an_offer(
        self, client: FlaskClient, program: Program
    ) -> None:
        params = {"CallSid": "CA-es-4", "From": STRANGER, "To": HOTLINE}
        gather = ET.fromstring(post(client, "/voice/incoming", params).data).find("Gather")
        assert gather is not None
        assert says(ET.tostring(gather)) == [
            (
                "Línea LEAD. Marque su número de placa y luego numeral, o quédese en la línea.",
                SPANISH,
            )
        ]

    def test_the_fallback_is_spanish(self, client: FlaskClient) -> None:
        params = {"CallSid": "CA-es-5", "From": STRANGER, "To": HOTLINE}
        answer = ET.fromstring(post(client, "/voice/fallback", params).data)
        assert says(ET.tostring(answer)) == [("Le comunico con la línea LEAD.", SPANISH)]
        assert [n.text for n in answer.iter("Number")] == [FALLBACK]


def test_the_fallback_after_a_spanish_calls_step_failed_speaks_spanish(
    client: FlaskClient, program: Program
) -> None:
    # A step that fails at Twilio's end (a 502 while the app restarts, 15 s of silence)
    # sends the call to the number's Fallback URL, naming the step that failed: its
    # `lang` is the call's language, known without the database (SPEC §4.7, §4.9).
    failed = "http://localhost/voice/dial-result?call=1&step=0&lang=es"
    params = {
        "CallSid": "CA-es-6",
        "From": program.officer.phone,
        "To": HOTLINE,
        "ErrorCode": "11200",
        "ErrorUrl": failed,
    }
    answer = ET.fromstring(post(client, "/voice/fallback", params).data)
    assert says(ET.tostring(answer)) == [("Le comunico con la línea LEAD.", SPANISH)]
    assert [n.text for n in answer.iter("Number")] == [FALLBACK]
    # The first webhook's failure names no language: the program's.
    first = {**params, "ErrorUrl": "http://localhost/voice/incoming"}
    assert says(post(client, "/voice/fallback", first).data) == [
        ("Connecting you to the LEAD hotline.", {})
    ]
    garbled = {**params, "ErrorUrl": "http://[/voice/dial-result?lang=es"}
    assert post(client, "/voice/fallback", garbled).status_code == 200


def test_the_voicemail_prompt_says_who_is_texted(twilio: VoiceEmulator, program: Program) -> None:
    result = twilio.call(
        program.officer.phone,
        HOTLINE,
        CallScript(
            legs={program.ana.phone: [Leg("no-answer")], program.ben.phone: [Leg("no-answer")]}
        ),
    )
    prompt = next(text for text in result.heard if text.startswith("Nobody could take the call."))
    assert prompt.endswith("The coordinators on call and the supervisors will be texted.")
    assert "every coordinator" not in prompt.lower()
