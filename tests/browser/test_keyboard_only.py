"""A coordinator signs in, opens a referral and saves an assessment with the keyboard alone."""

from __future__ import annotations

from typing import Any

from flask import Flask

from hotline.db import session_scope
from hotline.models import Referral
from tests.browser.conftest import screenshot, shows
from tests.factories import add_referral, add_user
from tests.web.conftest import PASSWORD

MAX_TABS = 120  # more stops than any page has: a field never reached fails the test


def tab_to(page: Any, selector: str) -> None:
    """Press Tab until `selector` has the focus, as a keyboard user moves through a page."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} cannot be reached with Tab")


def test_sign_in_open_a_referral_and_assess_it_without_a_mouse(app: Flask, page: Any) -> None:
    ana = add_user(app, "Ana Diaz", password=PASSWORD)
    number = add_referral(app, "acknowledged", acknowledged_by=ana.id)
    page.set_viewport_size({"width": 390, "height": 844})

    page.goto("/login")
    tab_to(page, "#email")
    page.keyboard.type(ana.email)
    tab_to(page, "#password")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/")

    page.goto("/referrals")
    tab_to(page, f'a[href="/referrals/{number}"]')
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/referrals/{number}")
    tab_to(page, "#assessment-link")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/referrals/{number}/assessment")

    tab_to(page, "#consent_confirmed")
    page.keyboard.press("Space")
    tab_to(page, 'input[name="needs"][value="housing"]')
    page.keyboard.press("Space")
    tab_to(page, "#disposition")
    page.keyboard.press("ArrowDown")  # from "Choose…" to the first disposition, accepted
    assert page.locator("#disposition").input_value() == "accepted"
    tab_to(page, "#save-assessment")
    page.keyboard.press("Enter")

    page.wait_for_url(f"**/referrals/{number}")
    shows(page.get_by_text("Assessment saved."))
    screenshot(page, "assessed-by-keyboard")
    with session_scope(app) as session:
        assert session.get_one(Referral, number).status == "assessed"
