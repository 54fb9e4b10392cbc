"""A supervisor sets up a rotation and covers a shift from a phone-sized browser, in Chromium."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask

from hotline.db import session_scope
from hotline.models import Rotation
from tests.api.conftest import token_for
from tests.browser.conftest import screenshot, shows, sign_in
from tests.factories import add_user
from tests.web.conftest import PASSWORD


def test_supervisor_builds_a_rotation_previews_gaps_and_covers_a_shift(
    app: Flask, page: Any
) -> None:
    sam = add_user(app, "Sam Reyes", "supervisor", password=PASSWORD)
    add_user(app, "Ana Diaz")
    add_user(app, "Ben Okafor")
    sign_in(page, sam.email, PASSWORD)

    page.get_by_role("link", name="Rotations").click()
    page.goto("/rotations/new")
    page.locator("#name").fill("Primary")
    page.locator("#tier").fill("1")
    yesterday = datetime.now(UTC) - timedelta(days=1)
    page.locator("#start_date").fill(yesterday.strftime("%Y-%m-%d"))
    page.locator("#start_time").fill("08:00")
    page.locator("#shift_length").fill("1")
    page.locator("#shift_unit").select_option("weeks")
    for name in ("Ana Diaz (coordinator)", "Ben Okafor (coordinator)"):
        page.locator("#add_participant").select_option(label=name)
        page.locator("#add-participant").click()
    page.get_by_role("button", name="Move Ben Okafor up").click()  # Ben first
    assert page.locator("#participant-0").inner_text().startswith("Ben Okafor")
    page.locator("#preview").click()
    shows(page.locator("#preview-heading"))
    assert page.locator(".bar.rotation").count() > 0
    screenshot(page, "rotation-editor")
    page.locator("#save").click()
    with session_scope(app) as session:
        rotation = session.query(Rotation).one()
        assert [p.user_id for p in rotation.participants] == [3, 2]  # Ben, then Ana

    # Ana covers from now for two hours; later a gap opens where nobody is on tier 2.
    page.goto("/overrides")
    page.locator("#user").select_option(label="Ana Diaz")
    page.locator("#tier").fill("2")
    start = datetime.now(ZoneInfo("America/Los_Angeles")) + timedelta(minutes=1)  # the program zone
    end = start + timedelta(hours=2)
    page.locator("#start").fill(start.strftime("%Y-%m-%d"))
    page.locator("#start-time").fill(start.strftime("%H:%M"))  # a 24-hour text field
    page.locator("#end").fill(end.strftime("%Y-%m-%d"))
    page.locator("#end-time").fill(end.strftime("%H:%M"))
    page.locator("#preview").click()
    assert page.locator("#override-preview .bar.gap").count() > 0  # tier 2 is a gap around it
    page.locator("#save").click()

    page.get_by_role("link", name="Dashboard").click()
    tier_one = page.locator("tr[data-tier='1']").inner_text()
    assert "Ben Okafor" in tier_one
    assert page.locator(".cal-bar.gap-bar").count() > 0  # the hole on tier 2 shows, marked Gap
    screenshot(page, "dashboard")

    token = token_for(app, sam.id)
    answer = page.request.get("/api/v1/oncall", headers={"Authorization": f"Bearer {token}"}).json()
    assert answer["tiers"][0]["user"]["name"] == "Ben Okafor"
    assert "Ben Okafor" in tier_one and answer["tiers"][0]["source"] == "rotation"
