"""The dashboard's list of referrals nobody owns fits a 390 px phone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask

from tests.browser.conftest import screenshot, shows, sign_in
from tests.factories import add_referral, add_user
from tests.web.conftest import PASSWORD


def test_unowned_referrals_fit_a_390_px_phone(app: Flask, page: Any) -> None:
    ana = add_user(app, "Ana Diaz", password=PASSWORD)
    old = datetime.now(UTC) - timedelta(hours=2, minutes=10, seconds=30)
    number = add_referral(
        app, "notified", channel="voice", type=None, call_outcome="voicemail", created_at=old
    )
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, ana.email, PASSWORD)
    page.goto("/")
    item = page.locator("ul.unowned li").first
    assert f"#{number}" in item.inner_text() and "waiting 2 h 10 min" in item.inner_text()
    shows(item.get_by_text("overdue"))
    screenshot(page, "dashboard-unowned-phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
