"""A form sent twice (a phone's retry) saves once and texts once (SPEC §9 forms)."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from hotline.db import session_scope
from hotline.models import (
    Assessment,
    Charge,
    Consent,
    Contact,
    Message,
    Override,
    Participant,
    PlanEntry,
    Provider,
    ReferralEvent,
    Rotation,
    User,
)
from tests.factories import add_officer, add_referral, add_user
from tests.web.conftest import Web
from tests.web.test_rotations import rotation_form


def hidden_fields(page: str, action: str) -> dict[str, str]:
    """Return the hidden inputs of the form posting to `action`, as a browser sends them."""
    # A form may name where its page opens (`#…`): the browser sends that to nobody.
    found = re.search(
        rf'<form[^>]*action="{re.escape(action)}(#[^"]*)?"[^>]*>.*?</form>', page, re.S
    )
    assert found, f"no form posts to {action}"
    pairs = re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', found.group(0))
    return {name: html.unescape(value) for name, value in pairs}


def count(app: Flask, model: Any, *where: Any) -> int:
    with session_scope(app) as session:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def participant_of(app: Flask, manager: User | None = None) -> int:
    with session_scope(app) as session:
        row = Participant(
            name="Jo Park",
            aliases=[],
            status="active",
            case_manager_id=manager.id if manager else None,
            created_at=datetime.now(UTC),
        )
        session.add(row)
        session.flush()
        return row.id


def twice(web: Web, page_path: str, action: str, fields: dict[str, Any]) -> list[int]:
    """Post the form of `page_path` twice, as drawn once; return both answers' statuses."""
    form = {**hidden_fields(web.text(page_path), action), **fields}
    return [web.post(action, form).status_code for _ in range(2)]


def test_a_charge_sent_twice_is_recorded_and_texted_once(app: Flask, as_supervisor: Web) -> None:
    manager = add_user(app, "Cam Reed", "case_manager")
    number = participant_of(app, manager)
    fields = {"date": "2026-12-01", "description": "trespass"}
    page = f"/participants/{number}"
    assert twice(as_supervisor, page, f"{page}/charges", fields) == [302, 302]
    assert count(app, Charge) == 1
    assert count(app, Message, Message.to_number == manager.phone) == 1
    assert "sent already" in as_supervisor.text(page)  # the second answer said so


def test_a_contact_sent_twice_is_recorded_and_texted_once(app: Flask, as_coordinator: Web) -> None:
    manager = add_user(app, "Cam Reed", "case_manager")
    number = participant_of(app, manager)
    officer = add_officer(app)
    page = f"/participants/{number}"
    twice(as_coordinator, page, f"{page}/contacts", {"officer_id": str(officer.id)})
    assert count(app, Contact) == 1
    assert count(app, Message, Message.to_number == manager.phone) == 1


def test_a_plan_entry_and_a_participant_sent_twice_are_added_once(
    app: Flask, as_supervisor: Web
) -> None:
    number = participant_of(app)
    page = f"/participants/{number}"
    twice(as_supervisor, page, f"{page}/plan", {"need": "housing", "note": "shelter"})
    assert count(app, PlanEntry) == 1
    twice(
        as_supervisor,
        "/participants",
        "/participants#add-heading",
        {"name": "Ada Lee", "aliases": ""},
    )
    assert count(app, Participant) == 2  # Jo, and Ada once


def test_an_override_a_rotation_and_a_provider_sent_twice_are_saved_once(
    app: Flask, as_supervisor: Web, ana: User, ben: User
) -> None:
    override = {
        "user": str(ben.id),
        "for": "",
        "tier": "1",
        "start_date": "2027-02-01",
        "start_time": "18:00",
        "end_date": "2027-02-02",
        "end_time": "08:00",
        "action": "save",
    }
    twice(as_supervisor, "/overrides", "/overrides", override)
    assert count(app, Override) == 1
    rotation = rotation_form(ana, name="Nights")
    twice(as_supervisor, "/rotations/new", "/rotations/new", rotation)
    assert count(app, Rotation) == 1
    provider = {"name": "Harbor Clinic", "needs": ["medical"]}
    twice(as_supervisor, "/providers", "/providers", provider)
    assert count(app, Provider) == 1


def test_a_note_sent_twice_is_added_once(app: Flask, as_coordinator: Web) -> None:
    number = add_referral(app, "acknowledged")
    page = f"/referrals/{number}"
    twice(as_coordinator, page, f"{page}/actions", {"action": "note", "text": "Called."})
    assert count(app, ReferralEvent, ReferralEvent.kind == "note") == 1


def test_a_form_refused_then_corrected_is_saved(app: Flask, as_supervisor: Web) -> None:
    # A refused post stores no token: the page drawn again carries a new one anyway.
    page = "/providers"
    form = {**hidden_fields(as_supervisor.text(page), page), "name": ""}
    assert as_supervisor.post(page, form).status_code == 422
    assert as_supervisor.post(page, {**form, "name": "Harbor Clinic"}).status_code == 302
    assert count(app, Provider) == 1


def test_a_consent_sent_twice_is_recorded_once(app: Flask, as_supervisor: Web) -> None:
    # Two of them, and revoking one would leave the other in force.
    number = participant_of(app)
    page = f"/participants/{number}"
    twice(as_supervisor, page, f"{page}/consents", {"scope": "prosecutor"})
    assert count(app, Consent) == 1


def test_a_person_added_twice_is_added_once_without_an_email_clash(
    app: Flask, as_supervisor: Web
) -> None:
    fields = {
        "name": "Ana Diaz",
        "email": "ana@example.org",
        "phone": "+12065550123",
        "role": "coordinator",
        "language": "en",
    }
    drawn = hidden_fields(as_supervisor.text("/people"), "/people/users#add-person")
    statuses = [as_supervisor.post("/people/users", {**drawn, **fields}).status_code for _ in "12"]
    assert statuses == [302, 302]
    assert count(app, User, User.email == "ana@example.org") == 1
    page = as_supervisor.text("/people")
    assert "sent already" in page and "already used" not in page


def test_an_intake_closed_by_a_button_sent_twice_says_sent_already_not_refused(
    app: Flask, as_coordinator: Web
) -> None:
    number = add_referral(app, "acknowledged")
    page = f"/referrals/{number}"
    statuses = twice(as_coordinator, page, f"{page}/actions", {"action": "intake_completed"})
    assert statuses == [302, 302]
    assert count(app, ReferralEvent, ReferralEvent.kind == "intake_completed") == 1
    shown = as_coordinator.text(page)
    assert "sent already" in shown and "its status cannot change" not in shown


def test_an_assessment_sent_twice_is_saved_once_and_says_so(
    app: Flask, as_coordinator: Web
) -> None:
    number = add_referral(app, "acknowledged")
    path = f"/referrals/{number}/assessment"
    page = as_coordinator.text(path)
    drawn = page[page.index('class="assessment-form"') :]
    form = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', drawn))
    form |= {"offense": "possession", "disposition": "declined", "needs": ["housing"]}
    assert [as_coordinator.post(path, data=form).status_code for _ in range(2)] == [302, 302]
    assert count(app, Assessment) == 1
    shown = as_coordinator.text(f"/referrals/{number}")
    assert "sent already" in shown and "nothing of yours was saved" not in shown


def test_a_refused_action_sent_again_is_refused_again_not_called_saved(
    app: Flask, as_coordinator: Web
) -> None:
    number = add_referral(app, "acknowledged", acknowledged_by=add_user(app, "Ana Diaz").id)
    page = f"/referrals/{number}"
    form = {**hidden_fields(as_coordinator.text(page), f"{page}/actions"), "action": "ack"}
    long_note = {**form, "action": "note", "text": "x" * 2001}
    for _ in range(2):
        refused = as_coordinator.post(f"{page}/actions", form)
        assert refused.status_code == 409
        assert "already taken" in refused.get_data(as_text=True)
    for _ in range(2):
        too_long = as_coordinator.post(f"{page}/actions", long_note)
        assert too_long.status_code == 422 and "x" * 2001 in too_long.get_data(as_text=True)
    assert "sent already" not in as_coordinator.text(page)
