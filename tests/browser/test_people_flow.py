"""A supervisor on a phone: add a person, import officers, hand out a token, read the audit log."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from tests.browser.conftest import screenshot, shows, sign_in
from tests.factories import add_user
from tests.web.conftest import PASSWORD


def test_supervisor_manages_people_from_a_phone(app: Flask, page: Any, tmp_path: Path) -> None:
    boss = add_user(app, "Sam Reyes", "supervisor", password=PASSWORD)
    sign_in(page, boss.email, PASSWORD)
    page.goto("/people")
    page.get_by_label("Name").first.fill("Ana Diaz")
    page.get_by_label("Email").first.fill("ana@example.org")
    page.get_by_label("Phone").first.fill("555")
    page.get_by_role("button", name="Add person").click()
    shows(page.get_by_text("Not a valid phone number"))
    page.locator("#user-phone").fill("(206) 555-0123")
    page.get_by_role("button", name="Add person").click()
    shows(page.get_by_role("link", name="Ana Diaz"))

    roster = tmp_path / "roster.csv"
    roster.write_text("name,badge,agency,phone\nOlive Smith,4711,SPD,2065550141\nBad,x,SPD,1\n")
    page.get_by_label("CSV file").set_input_files(str(roster))
    page.get_by_role("button", name="Import").click()
    shows(page.get_by_text("Imported 1 officer; refused 1 row"))
    screenshot(page, "people-phone")

    page.get_by_role("link", name="API tokens").click()
    page.get_by_label("For").select_option(label="Ana Diaz (coordinator)")
    page.get_by_role("button", name="Create token").click()
    shows(page.get_by_text("Copy this token now."))
    assert len(page.get_by_label("Token").input_value()) > 30
    screenshot(page, "token-created-phone")

    page.goto("/audit")
    page.get_by_label("Entity").select_option("officer")
    page.get_by_role("button", name="Filter").click()
    assert "entity=officer" in page.url
    shows(page.get_by_text("1 event."))
    screenshot(page, "audit-phone")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 414  # tables scroll inside their box, the page itself does not
