"""A name stored with a character XML forbids still gives well-formed TwiML (SPEC §4.3)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from flask import Flask
from flask.testing import FlaskClient

from hotline.simulator import CallScript, Leg, VoiceEmulator
from tests.factories import add_officer
from tests.voice.conftest import HOTLINE, STRANGER, Program
from tests.voice.test_badge import local
from tests.voice.test_webhooks import post

# Stored before names were checked, or by hand: a vertical tab from a spreadsheet cell.
NAME = "Jo\x0bDoe"


def test_the_greeting_and_the_whisper_are_well_formed_and_say_the_name(
    app: Flask, client: FlaskClient, program: Program
) -> None:
    add_officer(app, NAME, badge="777", phone="+12065550178")
    params = {"CallSid": "CA-vt", "From": "+12065550178", "To": HOTLINE}
    greeting = post(client, "/voice/incoming", params)
    number = ET.fromstring(greeting.data).find("Dial/Number")
    assert number is not None
    whisper = ET.fromstring(post(client, local(number.attrib["url"]), {"CallSid": "CA-leg"}).data)
    said = whisper.findtext("Gather/Say") or ""
    assert "Officer JoDoe, press 1 to accept" in said


def test_a_coordinator_can_take_the_call_of_an_officer_so_named(
    app: Flask, program: Program, twilio: VoiceEmulator
) -> None:
    add_officer(app, NAME, badge="777", phone="+12065550178")
    script = CallScript(gathers=["777"], legs={program.ana.phone: [Leg("accept")]})
    result = twilio.call(STRANGER, HOTLINE, script)
    assert result.answered_by == program.ana.phone
