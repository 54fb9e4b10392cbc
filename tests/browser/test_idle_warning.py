"""A minute before an idle session ends, the page warns and offers to stay signed in."""

from __future__ import annotations

from typing import Any

from flask import Flask

from hotline.db import session_scope
from hotline.models import User
from hotline.services.people import end_sessions
from tests.browser.conftest import sign_in
from tests.factories import add_user
from tests.web.conftest import PASSWORD


def test_the_warning_comes_and_staying_keeps_the_session(app: Flask, page: Any) -> None:
    app.config["SESSION_IDLE_SECONDS"] = 62  # the warning shows after 2 s, not 29 minutes
    ana = add_user(app, "Ana Diaz", password=PASSWORD)
    sign_in(page, ana.email, PASSWORD)
    warning = page.locator("#idle-warning")
    warning.wait_for(state="visible", timeout=10_000)
    assert "signed out in a minute" in warning.inner_text()
    with page.expect_response("**/session/stay") as stayed:
        page.get_by_role("button", name="Stay signed in").click()
    assert stayed.value.status == 204
    warning.wait_for(state="hidden", timeout=5_000)


def test_staying_on_a_session_ended_elsewhere_goes_to_the_sign_in_page(
    app: Flask, page: Any
) -> None:
    # Signed out on another device (or a new password) while this page sat open.
    app.config["SESSION_IDLE_SECONDS"] = 62
    ana = add_user(app, "Ana Diaz", password=PASSWORD)
    sign_in(page, ana.email, PASSWORD)
    page.locator("#idle-warning").wait_for(state="visible", timeout=10_000)
    with session_scope(app) as session:
        end_sessions(session, session.get_one(User, ana.id))
    page.get_by_role("button", name="Stay signed in").click()
    page.wait_for_url("**/login?expired=1", timeout=5_000)


def test_using_another_tab_takes_this_tabs_warning_away(app: Flask, page: Any) -> None:
    # Two tabs of one sign-in: each counts from its own last request, but either keeps it.
    app.config["SESSION_IDLE_SECONDS"] = 68  # the warning after 8 s; a request then gives 68 more
    ana = add_user(app, "Ana Diaz", password=PASSWORD)
    sign_in(page, ana.email, PASSWORD)
    warning = page.locator("#idle-warning")
    warning.wait_for(state="visible", timeout=15_000)
    other_tab = page.context.new_page()
    other_tab.goto("/referrals")  # activity, in the other tab
    warning.wait_for(state="hidden", timeout=15_000)  # this tab asked, and was not signed out
    assert page.url.endswith("/") and "/login" not in page.url


def test_a_tab_left_alone_signs_out_and_comes_back_to_its_page(app: Flask, page: Any) -> None:
    app.config["SESSION_IDLE_SECONDS"] = 3
    ana = add_user(app, "Ana Diaz", password=PASSWORD)
    sign_in(page, ana.email, PASSWORD)
    page.goto("/referrals?status=received")
    page.wait_for_url("**/login?next=**", timeout=15_000)
    assert page.url.endswith("/login?next=/referrals?status%3Dreceived&expired=1")
    assert "signed out after" in page.locator("main").inner_text()
