"""A coordinator takes an SMS referral from its timeline to a completed intake, in Chromium."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import select

from hotline.db import session_scope
from hotline.models import Message
from hotline.simulator import SmsEmulator, http_poster
from tests.browser.conftest import hidden, screenshot, shows, sign_in
from tests.factories import add_officer, add_rotation, add_user
from tests.web.conftest import PASSWORD


def test_coordinator_assesses_and_completes_an_sms_referral(
    app: Flask, live_server: str, page: Any
) -> None:
    cora = add_user(app, "Cora Lee", password=PASSWORD)
    add_rotation(app, 1, cora)
    officer = add_officer(app)
    phone = SmsEmulator(http_poster(), app.config["TWILIO_AUTH_TOKEN"], live_server, "+12065550100")
    for text in ("REFER", "1", "Jane Doe", "1", "3rd & Pine", "Y", "SEND"):
        assert phone.send(officer.phone, text).status == 200

    sign_in(page, cora.email, PASSWORD)
    page.get_by_role("link", name="Referrals").click()
    page.get_by_role("link", name="#1").click()
    shows(page.locator("dl.facts").get_by_text("Jane Doe"))
    shows(page.get_by_text(f"text from {officer.phone}").first)
    page.locator("#action-ack").click()
    shows(page.get_by_text("You have #1"))

    page.locator("#assessment-link").click()
    page.get_by_label("Consent confirmed").check()
    page.get_by_label("housing").check()
    hidden(page.locator(".call911"))
    page.get_by_label("self-harm").check()
    shows(page.locator(".call911"))  # the "call 911" prompt shows at once
    page.get_by_label("self-harm").uncheck()
    page.get_by_label("Services coordinated (one per line)").fill("detox bed")
    page.locator("#disposition").select_option("accepted")
    page.locator("#save-assessment").click()
    shows(page.get_by_text("Assessment saved."))
    page.locator("#action-intake-completed").click()
    shows(page.get_by_text("intake completed; the officer was told"))
    screenshot(page, "referral-page")

    page.get_by_role("button", name="Sign out").click()
    sam = add_user(app, "Sam Reyes", "supervisor", password=PASSWORD)
    sign_in(page, sam.email, PASSWORD)
    page.get_by_role("link", name="Reports", exact=True).click()
    shows(page.get_by_role("heading", name="Reports"))
    assert page.locator("svg[role=img]").count() >= 1  # the weekly chart
    screenshot(page, "reports-page")

    with session_scope(app) as session:
        to_officer = session.scalars(
            select(Message.body).where(
                Message.to_number == officer.phone, Message.direction == "out"
            )
        ).all()
    assert "LEAD #1: intake completed." in to_officer
