"""A coordinator's main buttons are a thumb's size (44 px) on a 390 px phone."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Flask

from hotline.audit import Actor, record
from hotline.db import session_scope
from hotline.models import Participant, User
from hotline.services.tokens import create_token
from tests.browser.conftest import sign_in
from tests.factories import add_officer, add_referral, add_rotation, add_user
from tests.web.conftest import PASSWORD

TAP = 44  # CSS pixels: the smallest comfortable touch target
# Compact on purpose: the sign-out link and the rotation editor's Up/Down/Remove beside each name.
COMPACT = "button.link, button.small, .participants button, .default-action"

SHORT_BUTTONS = """(compact) => [...document.querySelectorAll('main button')]
    .filter(b => !b.matches(compact) && b.getClientRects().length)
    .map(b => [b.textContent.trim(), b.getBoundingClientRect().height])
    .filter(([, height]) => height < 44)
    .map(([name, height]) => `${name} (${Math.round(height)} px)`)"""


def add_participant(app: Flask) -> int:
    """Add an active participant, Jane Doe; return their id."""
    with session_scope(app) as session:
        person = Participant(
            name="Jane Doe", aliases=[], status="active", created_at=datetime.now(UTC)
        )
        session.add(person)
        session.flush()
        return person.id


def test_the_main_buttons_of_each_page_are_44_px_tall_on_a_phone(app: Flask, page: Any) -> None:
    sam = add_user(app, "Sam Reyes", "supervisor", password=PASSWORD)
    add_rotation(app, 1, sam)
    add_officer(app)
    number = add_referral(app, "acknowledged", acknowledged_by=sam.id)
    participant = add_participant(app)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/login")
    short = {"/login": page.evaluate(SHORT_BUTTONS, COMPACT)}
    sign_in(page, sam.email, PASSWORD)
    for path in (
        f"/referrals/{number}",
        f"/participants/{participant}",
        "/overrides",
        "/rotations/new",
        "/simulator",
    ):
        page.goto(path)
        short[path] = page.evaluate(SHORT_BUTTONS, COMPACT)
    assert {path: found for path, found in short.items() if found} == {}


SHORT_CHOICES = """() => [...document.querySelectorAll('main form label.check')]
    .filter(l => l.getClientRects().length)
    .map(l => [l.textContent.trim(), l.getBoundingClientRect().height])
    .filter(([, height]) => height < 44)
    .map(([name, height]) => `${name} (${Math.round(height)} px)`)"""


def test_each_box_of_the_assessment_and_provider_checklists_is_44_px_tall_on_a_phone(
    app: Flask, page: Any
) -> None:
    # A thumb meant for "overdose" must not tick "self-harm" (24 px apart at 3 a.m.).
    sam = add_user(app, "Sam Reyes", "supervisor", password=PASSWORD)
    number = add_referral(app, "acknowledged", acknowledged_by=sam.id)
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, sam.email, PASSWORD)
    short: dict[str, list[str]] = {}
    for path in (f"/referrals/{number}/assessment", "/providers"):
        page.goto(path)
        short[path] = page.evaluate(SHORT_CHOICES)
    assert {path: found for path, found in short.items() if found} == {}


def test_the_main_buttons_of_the_supervisor_pages_are_44_px_tall_on_a_phone(
    app: Flask, page: Any
) -> None:
    sam = add_user(app, "Sam Reyes", "supervisor", password=PASSWORD)
    cora = add_user(app, "Cora Lee", "coordinator", password=PASSWORD)
    number = add_referral(app, "acknowledged", acknowledged_by=sam.id)
    with session_scope(app) as session:
        create_token(
            session, session.get_one(User, cora.id), datetime.now(UTC), Actor(sam.id, "web")
        )
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, sam.email, PASSWORD)
    short: dict[str, list[str]] = {}
    for path in (
        f"/referrals/{number}/assessment",
        "/providers",
        "/people",
        f"/people/users/{cora.id}",
        "/people/tokens",
        "/audit",
    ):
        page.goto(path)
        # Nothing compact here: a token's Revoke is the page's one action on it.
        short[path] = page.evaluate(SHORT_BUTTONS, "button.link, .default-action")
    assert {path: found for path, found in short.items() if found} == {}


def test_the_audit_logs_page_links_are_44_px_tall_on_a_phone(app: Flask, page: Any) -> None:
    # A supervisor reading back through the log on a phone pages with these, one after another.
    sam = add_user(app, "Sam Reyes", "supervisor", password=PASSWORD)
    with session_scope(app) as session:
        for _ in range(120):  # three pages of fifty
            record(session, Actor(sam.id, "web"), datetime.now(UTC), "update", "user", sam.id)
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, sam.email, PASSWORD)
    page.goto("/audit?page=2")
    links = page.evaluate(
        """() => [...document.querySelectorAll('main .pager a')]
            .map(a => [a.textContent.trim(), Math.round(a.getBoundingClientRect().height)])"""
    )
    assert [name for name, _ in links] == ["← Newer", "Older →"]
    assert [name for name, height in links if height < TAP] == []


NARROW_BOXES = """() => [...document.querySelectorAll('main form input:not([type])')]
    .filter(i => i.getClientRects().length)
    .map(i => [i.id || i.name, i.getBoundingClientRect().width,
               i.parentElement.getBoundingClientRect().width])
    .filter(([, width, room]) => width < room * 0.9)
    .map(([name, width, room]) => `${name} (${Math.round(width)} of ${Math.round(room)} px)`)"""


def test_each_text_box_is_as_wide_as_its_form_on_a_phone(app: Flask, page: Any) -> None:
    # A box typed without `type="text"` missed the text boxes' width: 220 px of 374 for a name.
    sam = add_user(app, "Sam Reyes", "supervisor", password=PASSWORD)
    participant = add_participant(app)
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, sam.email, PASSWORD)
    narrow: dict[str, list[str]] = {}
    for path in ("/providers", "/participants", f"/participants/{participant}"):
        page.goto(path)
        narrow[path] = page.evaluate(NARROW_BOXES)
    assert {path: found for path, found in narrow.items() if found} == {}


SHORT_FIELDS = """() => [...document.querySelectorAll('main input, main select')]
    .filter(f => !['checkbox', 'radio', 'hidden'].includes(f.type) && f.getClientRects().length)
    .map(f => [f.id || f.name, f.getBoundingClientRect().height])
    .filter(([, height]) => height < 44)
    .map(([name, height]) => `${name} (${Math.round(height)} px)`)"""


def test_each_text_box_and_choice_list_is_44_px_tall_on_a_phone(app: Flask, page: Any) -> None:
    # A 37 px box under a 44 px button: a thumb aimed at "To" opened "From" at 3 a.m.
    sam = add_user(app, "Sam Reyes", "supervisor", password=PASSWORD)
    number = add_referral(app, "acknowledged", acknowledged_by=sam.id)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/login")
    short = {"/login": page.evaluate(SHORT_FIELDS)}
    sign_in(page, sam.email, PASSWORD)
    for path in (f"/referrals/{number}", "/overrides", "/people", "/audit", "/providers"):
        page.goto(path)
        short[path] = page.evaluate(SHORT_FIELDS)
    assert {path: found for path, found in short.items() if found} == {}


def test_a_refused_field_is_framed_apart_from_the_others(app: Flask, page: Any) -> None:
    # Its message sits below it; on a phone the box itself must show which one to mend.
    sam = add_user(app, "Sam Reyes", "supervisor", password=PASSWORD)
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, sam.email, PASSWORD)
    page.goto("/audit?from=2030-01-01&to=2020-01-01")
    frames = page.evaluate(
        """() => ['#from', '#to'].map(selector => {
            const style = getComputedStyle(document.querySelector(selector));
            return [selector, style.borderTopWidth, style.borderTopColor];
        })"""
    )
    refused = {selector: (width, colour) for selector, width, colour in frames}
    assert page.get_attribute("#from", "aria-invalid") == "true"  # it starts after the end
    assert refused["#from"][1] == "rgb(176, 0, 32)"  # the page's red for gaps and errors
    assert float(refused["#from"][0].removesuffix("px")) >= 2
    assert refused["#to"] != refused["#from"]
