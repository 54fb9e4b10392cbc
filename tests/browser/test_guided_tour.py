"""The guided tour: a coordinator takes a call, completes it and assesses it, in Chromium."""

from __future__ import annotations

from typing import Any

from flask import Flask

from hotline.db import session_scope
from hotline.models import Assessment, Referral
from tests.browser.conftest import shows, sign_in
from tests.factories import add_officer, add_rotation, add_user
from tests.web.conftest import PASSWORD


def test_a_coordinator_takes_a_call_completes_and_assesses_it(
    app: Flask, live_server: str, page: Any
) -> None:
    assert app.config["HOTLINE_SIMULATOR"]
    cora = add_user(app, "Cora Lee", password=PASSWORD)
    add_rotation(app, 1, cora)
    add_officer(app, "Officer Smith")

    sign_in(page, cora.email, PASSWORD)
    page.locator("#tour-call").click()  # take a call
    page.get_by_role("button", name="Call", exact=True).click()
    shows(page.get_by_text("Answered by Cora Lee."))

    page.locator("#next-complete a").click()  # complete the referral the call made
    assert page.locator("#missing").inner_text() == (
        "Missing: type, participant name, location, consent"
    )
    page.get_by_label("Social contact").check()
    page.get_by_label("Participant name").fill("Jane Doe")
    page.get_by_label("Where").fill("3rd & Pine")
    page.get_by_label("The officer confirms the person consented").check()
    page.locator("#save-completion").click()
    assert page.locator("#missing").count() == 0

    page.locator("#assessment-link").click()  # assess it
    page.locator("#consent_confirmed").check()
    page.locator("#disposition").select_option("accepted")
    page.locator("#save-assessment").click()
    shows(page.locator("#assessment").get_by_text("accepted"))

    with session_scope(app) as session:
        referral = session.get_one(Referral, 1)
        assert (referral.type, referral.participant_name) == ("social_contact", "Jane Doe")
        assert referral.acknowledged_by == cora.id
        assert session.query(Assessment).filter_by(referral_id=1).count() == 1
