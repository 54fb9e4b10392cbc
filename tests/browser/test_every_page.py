"""Every page, for every role, fits a phone and a laptop and passes axe-core (SPEC §9).

The demo's program fills the pages, so each shows what a real one does: long
names, full tables, a month of schedule. Refusals and unknown addresses are
pages too, and are held to the same bar.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from hotline.db import session_scope
from hotline.demo import DEMO_PASSWORD, seed
from hotline.models import Officer, Participant, Provider, Referral, Rotation, User
from tests.browser.conftest import screenshot

AXE = Path(__file__).parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
WIDTHS = ({"width": 390, "height": 844}, {"width": 1366, "height": 900})
ROLES = {
    "supervisor": "sam@demo.lead.example",
    "coordinator": "ana@demo.lead.example",
    "case_manager": "cam@demo.lead.example",
    "prosecutor": "pru@demo.lead.example",
}
# Not pages: a sign-out form's target, machine endpoints, the icon, the idle ping (204) and
# the idle timer's question (JSON).
SKIPPED = {"/logout", "/metrics", "/healthz", "/favicon.ico", "/session/stay", "/session/left"}
BLOCKING = ("serious", "critical")


@pytest.fixture
def demo(app: Flask) -> dict[str, int]:
    """Fill the app with the demo's program; return an id of each kind of page."""
    with session_scope(app) as session:
        seed(session, datetime.now(UTC))
        open_referral = session.scalars(
            select(Referral.id).where(Referral.status == "acknowledged").order_by(Referral.id)
        ).first()
        return {
            "referral_id": open_referral or session.scalars(select(Referral.id)).first() or 1,
            "participant_id": session.scalars(select(Participant.id)).first() or 1,
            "rotation_id": session.scalars(select(Rotation.id)).first() or 1,
            "user_id": session.scalars(select(User.id)).first() or 1,
            "officer_id": session.scalars(select(Officer.id)).first() or 1,
            "provider_id": session.scalars(select(Provider.id)).first() or 1,
        }


def page_paths(app: Flask, ids: dict[str, int]) -> list[str]:
    """Return every page of the web app (ids filled in), plus an unknown address."""
    paths = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] != "web" or "GET" not in (rule.methods or set()):
            continue
        if rule.rule in SKIPPED or rule.rule.endswith(".csv"):
            continue
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", lambda m: str(ids[m.group(1)]), rule.rule)
        paths.append(path)
    return [*sorted(paths), "/no-such-page"]


def axe_violations(page: Any) -> list[str]:
    """Run axe-core on the page; return its serious and critical violations in words."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text())  # through the driver, as a local file: no CDN, no CSP hole
    found = page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ['violations']});
            return result.violations.map(v => ({
                id: v.id, impact: v.impact,
                where: v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | ')
            }));
        }"""
    )
    return [f"{v['id']} ({v['impact']}): {v['where']}" for v in found if v["impact"] in BLOCKING]


@pytest.mark.parametrize("role", list(ROLES))
def test_every_page_fits_both_widths_and_passes_axe(
    app: Flask, page: Any, demo: dict[str, int], role: str
) -> None:
    if not AXE.exists():
        pytest.skip(f"axe-core is not installed: npm ci --prefix {AXE.parents[2]}")
    sign_in_as(page, ROLES[role])
    problems: list[str] = []
    for size in WIDTHS:
        page.set_viewport_size(size)
        for path in page_paths(app, demo):
            answer = page.goto(path)
            status = answer.status if answer else 0
            if status >= 500:
                problems.append(f"{role} {path}: {status}")
                continue
            if answer and not answer.headers.get("content-type", "").startswith("text/html"):
                continue  # the demo's voicemail is audio: a page of the browser's, not ours
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            if overflow > 0:
                screenshot(page, f"overflow-{role}-{size['width']}{path.replace('/', '-')}")
                problems.append(f"{role} {path} at {size['width']} px: {overflow} px sideways")
            if size["width"] == WIDTHS[0]["width"]:
                problems += [f"{role} {path}: {v}" for v in axe_violations(page)]
    assert problems == [], "\n".join(problems)


def sign_in_as(page: Any, email: str) -> None:
    """Sign in with the demo's password and land on the role's home."""
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r".*/(participants)?$"))
