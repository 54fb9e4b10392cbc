"""The Golden Rule (SPEC §6): officers and prosecutors get status only, on every path they reach.

A participant is given clinical content that no outsider may ever read; then
every GET route of the web app and the API is walked as a prosecutor, and every
text an officer can ask for is sent; none may carry any of it.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from hotline.db import session_scope
from hotline.models import Consent, Message
from hotline.simulator import SmsEmulator, flask_poster
from tests.api.conftest import Api, token_for
from tests.api.conftest import add_user as add_api_user
from tests.api.test_assessment import ACCEPTED
from tests.factories import add_officer, add_referral, add_user
from tests.web.conftest import PASSWORD, Web

# Words only the program may read: the assessment's notes and services, the plan's note.
SECRETS = ("SECRET-NOTE", "SECRET-SERVICE", "SECRET-PLAN")
HOTLINE = "+12065550100"


@pytest.fixture
def participant(app: Flask, client: FlaskClient) -> int:
    """A participant with clinical content, consenting to share status with everyone allowed."""
    officer = add_officer(app)
    number = add_referral(
        app, "acknowledged", participant_name="Jane Doe", officer_phone=officer.phone
    )
    coordinator = Api(client, token_for(app, add_api_user(app, "coordinator", "Cory")))
    body = {**ACCEPTED, "notes": "SECRET-NOTE", "services": ["SECRET-SERVICE"]}
    assert coordinator.post(f"/referrals/{number}/assessment", body).status_code == 201
    [person] = coordinator.get("/participants").json["items"]
    plan = {"need": "housing", "note": "SECRET-PLAN"}
    assert coordinator.post(f"/participants/{person['id']}/plan", plan).status_code == 201
    manager = add_user(app, "Cam Reed", "case_manager")
    patch = {"case_manager_id": manager.id}
    assert coordinator.patch(f"/participants/{person['id']}", patch).status_code == 200
    with session_scope(app) as session:
        for scope in ("officer_status", "prosecutor"):
            session.add(
                Consent(participant_id=person["id"], scope=scope, given_at=datetime.now(UTC))
            )
    return int(person["id"])


def concrete(rule: str, number: int) -> str:
    """Return a route with every <converter:name> replaced by a real id."""
    return re.sub(r"<(?:[a-z]+:)?[a-z_]+>", str(number), rule)


def test_a_prosecutor_walking_every_page_and_api_route_reads_no_clinical_word(
    app: Flask, participant: int
) -> None:
    user = add_user(app, "Pru Vance", "prosecutor", password=PASSWORD)
    web = Web(app.test_client())
    assert web.login(user).status_code == 302
    api = Api(app.test_client(), token_for(app, user.id))
    reached = []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or set()) or rule.endpoint == "static":
            continue
        path = concrete(rule.rule, participant)
        answer = api.get(path[len("/api/v1") :]) if path.startswith("/api/v1") else web.get(path)
        # Audio and icons hold no words; every page, feed and JSON answer is read.
        binary = answer.mimetype.startswith(("audio/", "image/"))
        body = "" if binary else answer.get_data(as_text=True)
        answer.close()
        if answer.status_code == 200:
            reached.append(path)
        leaked = [secret for secret in SECRETS if secret in body]
        assert not leaked, f"{path} shows {leaked}"
    assert f"/participants/{participant}" in reached  # the walk did reach the participant
    assert f"/api/v1/participants/{participant}" in reached


def test_an_officer_reads_status_only_by_every_text_they_can_send(
    app: Flask, client: FlaskClient, participant: int
) -> None:
    phone = SmsEmulator(
        flask_poster(client), app.config["TWILIO_AUTH_TOKEN"], "http://localhost", HOTLINE
    )
    officer = "+12065550177"
    replies = []
    for text in ("STATUS 1", "ESTADO 1", "CONTACT Jane Doe", "CONTACTO Jane Doe", "HELP", "REFER"):
        replies += phone.send(officer, text).replies
    with session_scope(app) as session:
        to_officer = [
            m.body or ""
            for m in session.scalars(select(Message).where(Message.to_number == officer))
        ]
    said = " ".join(replies + to_officer)
    assert "case manager Cam Reed" in said  # status, with consent
    clinical = (*SECRETS, "housing", "substance", "overdose", "accepted", "assessed")
    assert not [word for word in clinical if word in said.lower() or word in said]
