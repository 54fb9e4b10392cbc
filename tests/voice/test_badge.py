"""The badge step never tells an unverified phone whose badge it keyed (issue 13)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from hotline.db import session_scope
from hotline.models import Officer, Referral
from tests.factories import add_officer
from tests.voice.conftest import HOTLINE, STRANGER
from tests.voice.test_webhooks import post


def said(body: bytes) -> list[str]:
    """Return every <Say> text of a TwiML answer, parsed as XML."""
    return [say.text or "" for say in ET.fromstring(body).iter("Say")]


def key_badge(client: FlaskClient, call_sid: str, digits: str) -> bytes:
    """Call from an unknown phone and key `digits` at the badge prompt; return the TwiML."""
    params = {"CallSid": call_sid, "From": STRANGER, "To": HOTLINE}
    gather = ET.fromstring(post(client, "/voice/incoming", params).data).find("Gather")
    assert gather is not None, "an unknown phone is asked for a badge"
    answer = post(client, local(gather.attrib["action"]), {**params, "Digits": digits})
    assert answer.status_code == 200
    return bytes(answer.data)


def local(url: str) -> str:
    """Return a webhook URL's path and query, as the test client posts them."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


@pytest.mark.usefixtures("program")
def test_a_keyed_badge_is_never_answered_with_a_name(client: FlaskClient) -> None:
    on_roster = said(key_badge(client, "CA-badge-1", "4711"))
    not_on_roster = said(key_badge(client, "CA-badge-2", "9999"))
    assert on_roster == ["Thank you. Connecting you to the LEAD coordinator on call."]
    assert not_on_roster == on_roster  # nor whether the badge is on the roster


@pytest.mark.usefixtures("program")
def test_the_coordinators_whisper_still_names_the_officer(client: FlaskClient) -> None:
    number = ET.fromstring(key_badge(client, "CA-badge-3", "4711")).find("Dial/Number")
    assert number is not None
    whisper = post(client, local(number.attrib["url"]), {"CallSid": "CA-leg"})
    assert said(whisper.data) and "Officer Smith" in said(whisper.data)[0]


def test_a_badge_of_a_spanish_speaking_officer_keeps_the_call_in_the_prompts_language(
    app: Flask, client: FlaskClient
) -> None:
    # Switching to the officer's Spanish would tell an unverified phone that the badge
    # matched; a Spanish speaker presses 9 at the badge prompt instead (README, Languages).
    spanish = add_officer(app, "Oficial Ruiz", badge="5150", phone="+12065550144")
    with session_scope(app) as session:
        session.get_one(Officer, spanish.id).language = "es"
    answer = ET.fromstring(key_badge(client, "CA-badge-es", "5150"))
    assert [say.attrib.get("language", "en-US") for say in answer.iter("Say")] == ["en-US"]
    dial = answer.find("Dial")
    assert dial is not None and parse_qs(urlsplit(dial.attrib["action"]).query)["lang"] == ["en"]


@pytest.mark.usefixtures("program")
def test_9_pressed_again_in_spanish_is_not_kept_as_a_badge(app: Flask, client: FlaskClient) -> None:
    params = {"CallSid": "CA-nine", "From": STRANGER, "To": HOTLINE}
    gather = ET.fromstring(post(client, "/voice/incoming", params).data).find("Gather")
    assert gather is not None
    spanish = ET.fromstring(
        post(client, local(gather.attrib["action"]), {**params, "Digits": "9"}).data
    )
    again = spanish.find("Gather")
    assert again is not None
    answer = post(client, local(again.attrib["action"]), {**params, "Digits": "9"})
    assert ET.fromstring(answer.data).find("Dial") is not None  # routed, unverified
    with session_scope(app) as session:
        assert session.scalars(select(Referral.badge)).one() is None


@pytest.mark.usefixtures("program")
def test_more_digits_than_a_badge_has_identify_nobody(app: Flask, client: FlaskClient) -> None:
    # A badge has at most 20 digits: 21 keyed are not the badge their first 20 spell.
    add_officer(app, "Officer Long", badge="12345678901234567890", phone="+12065550145")
    key_badge(client, "CA-long", "123456789012345678901")
    with session_scope(app) as session:
        referral = session.scalars(select(Referral)).one()
        assert (referral.officer_id, referral.badge) == (None, "123456789012345678901")


@pytest.mark.parametrize("keyed", ["47*11", "4711*", "*4711"])
@pytest.mark.usefixtures("program")
def test_a_badge_keyed_with_a_star_identifies_nobody_and_is_kept_as_keyed(
    app: Flask, client: FlaskClient, keyed: str
) -> None:
    # `*` is no digit of a badge (SMS asks again for digits only): "47*11" is not badge 4711.
    answer = key_badge(client, "CA-star", keyed)
    number = ET.fromstring(answer).find("Dial/Number")
    assert number is not None, "the call still rings the chain, unverified"
    whisper = post(client, local(number.attrib["url"]), {"CallSid": "CA-star-leg"})
    assert said(whisper.data) == [
        "LEAD referral call from an unverified caller, press 1 to accept."
    ]
    with session_scope(app) as session:
        referral = session.scalars(select(Referral)).one()
        assert (referral.officer_id, referral.badge) == (None, keyed)
