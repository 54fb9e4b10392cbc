"""The coordinator who takes a call completes its blank referral on a phone, in Chromium."""

from __future__ import annotations

from typing import Any

from flask import Flask

from hotline.db import session_scope
from hotline.models import Referral
from hotline.simulator import CallScript, Leg, VoiceEmulator, http_poster
from tests.browser.conftest import screenshot, shows, sign_in
from tests.factories import (
    BLANK_CALL_REFERRAL,
    add_officer,
    add_referral,
    add_rotation,
    add_user,
)
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


def test_a_refused_note_on_a_phone_is_shown_and_tied_to_the_note_box(app: Flask, page: Any) -> None:
    cora = add_user(app, "Cora Lee", password=PASSWORD)
    number = add_referral(app, "acknowledged", acknowledged_by=cora.id, **BLANK_CALL_REFERRAL)
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, cora.email, PASSWORD)
    page.goto(f"/referrals/{number}")  # the completion form, open, comes first
    page.locator("#action-note").click()  # nothing typed
    error = page.locator("#action-error")
    shows(error)
    assert error.inner_text() == "Write the note first: nothing was saved."
    box, bar = error.bounding_box(), page.locator(".thumb-bar").bounding_box()
    assert box is not None and bar is not None
    assert box["y"] >= 0 and box["y"] + box["height"] <= bar["y"], "under the fold or the bar"
    note = page.get_by_label("Note (internal")
    assert note.get_attribute("aria-invalid") == "true"
    assert "action-error" in (note.get_attribute("aria-describedby") or "").split()
