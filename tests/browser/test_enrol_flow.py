"""In a real browser: the first sign-in enrols an authenticator with a computed code."""

from __future__ import annotations

import time
from typing import Any

import pyotp
from flask import Flask

from tests.browser.conftest import screenshot, shows
from tests.browser.test_every_page import AXE, axe_violations
from tests.factories import add_user
from tests.web.conftest import PASSWORD


def test_first_sign_in_enrols_then_signs_in(app: Flask, page: Any) -> None:
    app.config["HOTLINE_REQUIRE_MFA"] = True
    ana = add_user(app, "Ana Diaz", password=PASSWORD)
    page.goto("/login")
    page.get_by_label("Email").fill(ana.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/login/enrol")
    shows(page.locator("img.qr"))  # drawn by the app: a data: URI, no service
    if AXE.exists():
        assert axe_violations(page) == []
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    page.get_by_label("6-digit code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Finish setting up").click()
    codes = page.locator("#recovery-codes li")
    codes.first.wait_for()
    assert codes.count() == 10
    screenshot(page, "recovery-codes")
    if AXE.exists():
        assert axe_violations(page) == []
    page.get_by_role("link", name="I have kept them: continue").click()
    page.wait_for_url("**/")
    shows(page.get_by_role("heading", name="On call now"))

    # The next sign-in asks for a code on a second form; the enrolment's step is spent.
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login")
    page.get_by_label("Email").fill(ana.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/login/code")
    if AXE.exists():
        assert axe_violations(page) == []
    step = int(time.time()) // 30
    page.get_by_label("The 6-digit code from your authenticator app").fill(
        pyotp.TOTP(secret).generate_otp(step + 1)
    )
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/")
    shows(page.get_by_role("heading", name="On call now"))
