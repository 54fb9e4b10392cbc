"""Every page renders under the app's Content-Security-Policy (no inline script or style)."""

from __future__ import annotations

from typing import Any

from flask import Flask

from tests.browser.conftest import sign_in
from tests.factories import add_referral, add_rotation, add_user
from tests.web.conftest import PASSWORD

PAGES = [
    ("/", "On call now"),
    ("/schedule", "On-call schedule"),
    ("/rotations", "Rotations"),
    ("/rotations/new", "New rotation"),
    ("/overrides", "Overrides"),
    ("/people", "People"),
    ("/people/tokens", "API tokens"),
    ("/referrals", "Referrals"),
    ("/reports", "Reports"),
    ("/audit", "Audit log"),
    ("/simulator", "Phone simulator"),
]


def test_every_page_keeps_to_the_content_policy(app: Flask, page: Any) -> None:
    boss = add_user(app, "Sam Reyes", "supervisor", password=PASSWORD)
    add_rotation(app, 1, boss)
    number = add_referral(app)
    sign_in(page, boss.email, PASSWORD)
    for path, heading in [*PAGES, (f"/referrals/{number}", f"#{number}")]:
        response = page.goto(path)
        assert response.status == 200, path
        assert heading in page.locator("h1").first.inner_text(), path
        assert response.headers["content-security-policy"].startswith("default-src 'self'")
    # The page fixture fails the test if the browser refused anything on these pages.
