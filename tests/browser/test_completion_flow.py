"""The coordinator who takes a call completes its blank referral on a phone, in Chromium."""

from __future__ import annotations

from typing import Any

from flask import Flask

from hotline.db import session_scope
from hotline.models import Referral
from hotline.simulator import CallScript, Leg, VoiceEmulator, http_poster
from tests.browser.conftest import screenshot, shows, sign_in
from tests.factories import add_officer, add_rotation, add_user
from tests.web.conftest import PASSWORD

TAP = 44  # CSS pixels: the smallest comfortable touch target


def test_coordinator_completes_a_call_referral_on_a_phone(
    app: Flask, live_server: str, page: Any
) -> None:
    cora = add_user(app, "Cora Lee", password=PASSWORD)
    add_rotation(app, 1, cora)
    officer = add_officer(app)
    twilio = VoiceEmulator(http_poster(), app.config["TWILIO_AUTH_TOKEN"], live_server)
    twilio.call(officer.phone, "+12065550100", CallScript(legs={cora.phone: [Leg("accept")]}))

    sign_in(page, cora.email, PASSWORD)
    page.goto("/referrals/1")
    missing = page.locator("#missing")
    assert missing.inner_text() == "Missing: type, participant name, location, consent"
    choice = page.get_by_label("Arrest diversion")
    box = page.locator("label.choice").first.bounding_box()
    assert box is not None and box["height"] >= TAP
    choice.check()
    page.get_by_label("Possession").check()
    page.get_by_label("Participant name").fill("Jane Doe")
    page.get_by_label("Where").fill("3rd & Pine")
    page.get_by_label("The officer confirms the person consented").check()
    screenshot(page, "referral-completion")
    page.locator("#save-completion").click()
    shows(page.get_by_text("#1 saved."))
    assert page.locator("#missing").count() == 0
    shows(page.locator("dl.facts").get_by_text("Jane Doe"))

    with session_scope(app) as session:
        referral = session.get_one(Referral, 1)
        assert (referral.type, referral.offense, referral.consent_by) == (
            "arrest_diversion",
            "possession",
            cora.id,
        )
