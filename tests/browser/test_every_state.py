"""The states the page walk never opens fit a 390 px phone and pass axe-core (SPEC §9).

`test_every_page` opens each address once, as it first renders. A person at
3 a.m. also meets a form refused beside its fields, a rotation's preview, a
closed referral, a voicemail, a call back's outcome, the second factor's
pages, a four-week schedule, a filtered audit log and the styled refusals;
and a real program has long names, long agency names and more than two tiers.
Each role walks its own states with one page; every one is held to the same bar.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pyotp
import pytest
from flask import Flask
from sqlalchemy import select

from hotline.db import session_scope
from hotline.demo import DEMO_PASSWORD, seed
from hotline.models import Consent, Officer, Participant, Provider, Referral, User
from tests.browser.conftest import screenshot
from tests.browser.test_every_page import AXE, ROLES, axe_violations, sign_in_as
from tests.factories import add_override, add_referral, add_rotation, add_user

PHONE = {"width": 390, "height": 844}
LONG_NAME = "Maximiliana Alexandra Featherstonehaugh-Wolfeschlegelsteinhausen"
LONG_EMAIL = "maximiliana.alexandra.featherstonehaugh-wolfeschlegelsteinhausen@demo.lead.example"
LONG_AGENCY = "King County Sheriff's Office, Metro Transit Police Division (Eastside Precinct)"
LONG_PARTICIPANT = "Bartholomew Montgomery-Featherstonehaugh Jr. (also known as Barty)"
LONG_LOCATION = "Under the Alaskan Way Viaduct, northbound side, near the Marion Street ferry ramp"
LONG_PROVIDER = "Downtown Emergency Service Center Crisis Solutions and Mobile Crisis Team"
FAILURE = "/browser-test-failure"

Step = Callable[[Any], Any]


@pytest.fixture
def program(app: Flask) -> dict[str, int]:
    """Fill the app with the demo's program and a long-named corner of it; return ids."""
    now = datetime.now(UTC)
    with session_scope(app) as session:
        seed(session, now)
        ana = session.scalars(select(User).where(User.email == ROLES["coordinator"])).one()
        cam = session.scalars(select(User).where(User.email == ROLES["case_manager"])).one()
        ana_id, cam_id = ana.id, cam.id
        officer = Officer(
            name="Officer Bartholomew Featherstonehaugh-Montgomery",
            badge="987654321",
            agency=LONG_AGENCY,
            phone="+12065550199",
            created_at=now,
        )
        session.add(officer)
        session.add(
            Provider(
                name=LONG_PROVIDER,
                phone="+12065550399",
                needs=["housing"],
                active=True,
                created_at=now,
            )
        )
        session.flush()
        officer_id = officer.id
    long_user = add_user(app, LONG_NAME, email=LONG_EMAIL)
    for tier in range(3, 7):  # many tiers, one of them led by the long name
        add_rotation(app, tier, long_user, start=datetime(2020, 1, 6, 8), shift_hours=24)
    soon = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=5)
    add_override(app, long_user, 1, soon, soon + timedelta(hours=6))
    by_officer: dict[str, object] = {
        "officer_id": officer_id,
        "badge": "987654321",
        "officer_phone": "+12065550199",
        "participant_name": LONG_PARTICIPANT,
        "location": LONG_LOCATION,
    }
    held = add_referral(
        app, "acknowledged", acknowledged_by=ana_id, acknowledged_at=now, **by_officer
    )
    closed = add_referral(
        app, "intake_completed", acknowledged_by=ana_id, acknowledged_at=now, **by_officer
    )
    voicemail = add_referral(
        app,
        "notified",
        **{
            **by_officer,
            "channel": "voice",
            "type": None,
            "participant_name": None,
            "location": None,
            "call_outcome": "voicemail",
            "recording_url": "/demo/voicemail.wav",
        },
    )
    with session_scope(app) as session:
        person = Participant(
            name=LONG_PARTICIPANT,
            aliases=["Barty", "B. Montgomery"],
            status="active",
            case_manager_id=cam_id,
            created_at=now,
        )
        session.add(person)
        session.flush()
        session.get_one(Referral, closed).participant_id = person.id
        for scope in ("prosecutor", "officer_status"):
            session.add(Consent(participant_id=person.id, scope=scope, given_at=now))
        participant_id = person.id
    app.add_url_rule(FAILURE, "browser_test_failure", lambda: 1 / 0)  # a styled 500
    return {
        "held": held,
        "closed": closed,
        "voicemail": voicemail,
        "participant": participant_id,
        "rotation": 1,
        "long_user": long_user.id,
        "officer": officer_id,
    }


def visit(path: str) -> Step:
    """Open `path`."""
    return lambda page: page.goto(path)


def submit(path: str, button: str, fields: dict[str, str] | None = None) -> Step:
    """Open `path`, fill `fields` and press `button` with the browser's own checks off."""

    def step(page: Any) -> Any:
        page.goto(path)
        for selector, value in (fields or {}).items():
            page.fill(selector, value)
        with page.expect_navigation() as navigation:
            page.evaluate(
                """(s) => {
                    document.querySelectorAll('form').forEach(f => f.noValidate = true);
                    document.querySelector(s).click();
                }""",
                button,
            )
        return navigation.value

    return step


def states(role: str, ids: dict[str, int]) -> list[tuple[str, Step]]:
    """Return the states `role` is walked through, each as (label, how to get there)."""
    p, held = ids["participant"], ids["held"]
    charge = f"form[action$='/participants/{p}/charges'] button[type=submit]"
    common = [
        ("schedule, 28 days", visit("/schedule?days=28")),
        ("unknown referral", visit("/referrals/999999")),
        ("GET of a POST-only address (405)", visit(f"/referrals/{held}/actions")),
        ("a failure (500)", visit(FAILURE)),
        ("sign out?", visit("/logout")),
    ]
    walks: dict[str, list[tuple[str, Step]]] = {
        "supervisor": [
            ("audit, filtered", visit("/audit?entity=referral&channel=web&from=2020-01-01")),
            ("audit, refused filter", visit("/audit?actor=99999999&from=not-a-day")),
            ("reports", visit("/reports")),
            ("reports, printable", visit("/reports?view=print")),
            ("reports, refused period", visit("/reports?from=2030-01-01&to=2020-01-01")),
            ("rotation preview", submit("/rotations/2", "#preview")),
            ("new rotation, a window added", submit("/rotations/new", "#add-window")),
            ("new rotation refused", submit("/rotations/new", "#save")),
            ("override refused", submit("/overrides", "#save")),
            (
                "override from a gap",
                visit(
                    f"/overrides?tier=1&for={ids['long_user']}&start=2030-01-01T08:00&end=2030-01-01T20:00"
                ),
            ),
            (
                "override in the repeated hour: which 01:30?",
                visit("/overrides?tier=1&start=2030-11-03T01:30&end=2030-11-03T03:00"),
            ),
            ("provider refused", submit("/providers", "#add-provider")),
            ("providers", visit("/providers")),
            (
                "person refused",
                submit("/people", "form[action$='/people/users#add-person'] button"),
            ),
            ("long-named person", visit(f"/people/users/{ids['long_user']}")),
            ("long-agency officer", visit(f"/people/officers/{ids['officer']}")),
            ("participant, long name", visit(f"/participants/{p}")),
            ("charge refused", submit(f"/participants/{p}", charge)),
            ("closed referral", visit(f"/referrals/{ids['closed']}")),
            (
                "simulator, after a call",
                submit("/simulator", "form[action^='/simulator/call'] button[type=submit]"),
            ),
            ("referrals, filtered", visit("/referrals?status=notified&channel=voice")),
        ],
        "coordinator": [
            ("held referral", visit(f"/referrals/{held}")),
            ("call back", submit(f"/referrals/{held}", "#action-callback")),
            ("note refused", submit(f"/referrals/{held}", "#action-note")),
            ("assessment refused", submit(f"/referrals/{held}/assessment", "#save-assessment")),
            ("closed referral", visit(f"/referrals/{ids['closed']}")),
            ("voicemail referral", visit(f"/referrals/{ids['voicemail']}")),
            ("refused (403)", visit("/audit")),
            ("participant", visit(f"/participants/{p}")),
            ("contact refused", submit(f"/participants/{p}", "#record-contact")),
        ],
        "case_manager": [
            ("participant, full", visit(f"/participants/{p}")),
            ("consent recorded", submit(f"/participants/{p}", "#add-consent")),
            ("plan entry added", submit(f"/participants/{p}", "#add-plan")),
            (
                "participant refused",
                submit(
                    "/participants", "form[action$='/participants#add-heading'] button[type=submit]"
                ),
            ),
            ("providers", visit("/providers")),
            ("exited participants", visit("/participants?status=exited")),
        ],
        "prosecutor": [
            ("prosecutor's view", visit("/participants")),
            ("prosecutor's participant", visit(f"/participants/{p}")),
            ("charge refused", submit(f"/participants/{p}", charge)),
            ("refused (403)", visit(f"/referrals/{held}")),
        ],
    }
    return walks[role] + common


def second_factor_states(app: Flask) -> list[tuple[str, Step]]:
    """Turn the second factor on and walk enrolment, recovery codes and the code form."""
    app.config["HOTLINE_REQUIRE_MFA"] = True
    user = add_user(app, LONG_NAME + " Two", email="two." + LONG_EMAIL, password=DEMO_PASSWORD)
    secret: list[str] = []

    def password(page: Any) -> None:
        page.goto("/login")
        page.fill("#email", user.email)
        page.fill("#password", DEMO_PASSWORD)
        with page.expect_navigation():
            page.click("button[type=submit]")

    def enrol(page: Any) -> None:
        secret.append(page.inner_text("#totp-secret").replace(" ", ""))
        page.fill("#code", pyotp.TOTP(secret[0]).now())
        with page.expect_navigation():
            page.click("button[type=submit]")

    def sign_out_and_in(page: Any) -> None:
        submit("/logout", "#confirm-logout")(page)
        password(page)

    return [
        ("sign in page", visit("/login")),
        ("enrolment", password),
        ("enrolment refused", submit("/login/enrol", "button[type=submit]", {"#code": "000000"})),
        ("recovery codes", enrol),
        ("code form", sign_out_and_in),
        ("code refused", submit("/login/code", "button[type=submit]", {"#code": "12"})),
    ]


def widest(page: Any) -> str:
    """Name the innermost elements that reach past the phone's right edge."""
    return str(
        page.evaluate(
            """() => {
                const past = e => e.getBoundingClientRect().right > innerWidth + 1;
                return [...document.querySelectorAll('body *')]
                    .filter(e => past(e) && ![...e.children].some(past))
                    .slice(0, 4)
                    .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
                        + (e.className ? '.' + e.className : '')
                        + ' ' + Math.round(e.getBoundingClientRect().right));
            }"""
        )
    )


@pytest.mark.parametrize("role", [*ROLES, "second_factor"])
def test_every_state_fits_a_phone_and_passes_axe(
    app: Flask, page: Any, program: dict[str, int], role: str
) -> None:
    if not AXE.exists():
        pytest.skip(f"axe-core is not installed: npm ci --prefix {AXE.parents[2]}")
    page.set_viewport_size(PHONE)
    if role == "second_factor":
        walk = second_factor_states(app)
    else:
        sign_in_as(page, ROLES[role])
        walk = states(role, program)
    problems: list[str] = []
    for label, step in walk:
        try:
            answer = step(page)
        except Exception as error:  # a state the walk cannot reach is a problem, not the end
            problems.append(f"{role} {label}: cannot get there: {error}".splitlines()[0])
            continue
        status = answer.status if answer else 0
        if status >= 500 and page.url.split("/", 3)[-1] != FAILURE.lstrip("/"):
            problems.append(f"{role} {label}: {status}")
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            screenshot(page, f"state-overflow-{role}-" + re.sub(r"\W+", "-", label))
            problems.append(f"{role} {label} ({page.url}): {width} px wide: {widest(page)}")
        problems += [f"{role} {label} ({page.url}): {v}" for v in axe_violations(page)]
    assert problems == [], "\n".join(problems)
