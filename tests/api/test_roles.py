"""Case managers and prosecutors through the API: created like any user, refused by capability."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from hotline.db import session_scope
from hotline.models import Referral, User
from tests.api.conftest import Api, add_user, rotation_body, token_for
from tests.factories import add_referral


def api_as(app: Flask, client: FlaskClient, role: str) -> Api:
    return Api(client, token_for(app, add_user(app, role, role.replace("_", "").title())))


def test_supervisors_add_case_managers_and_prosecutors(supervisor_api: Api) -> None:
    for index, role in enumerate(("case_manager", "prosecutor")):
        answer = supervisor_api.post(
            "/users",
            {
                "name": "Pat",
                "email": f"pat.{role}@example.org",
                "phone": f"+1206555700{index}",
                "role": role,
            },
        )
        assert answer.status_code == 201, answer.json
        assert answer.json["role"] == role
    refused = supervisor_api.post(
        "/users",
        {"name": "X", "email": "x@example.org", "phone": "+12065557002", "role": "sheriff"},
    )
    assert refused.status_code == 422 and refused.json["error"]["field"] == "role"


def test_a_prosecutor_is_refused_every_referral_message_and_call_route(
    app: Flask, client: FlaskClient
) -> None:
    number = add_referral(app)
    prosecutor = api_as(app, client, "prosecutor")
    for path in ("/referrals", f"/referrals/{number}", "/messages", "/calls"):
        answer = prosecutor.get(path)
        assert answer.status_code == 403, path
        assert answer.json["error"]["code"] == "forbidden"
    assert prosecutor.patch(f"/referrals/{number}", {"location": "x"}).status_code == 403
    assert prosecutor.get("/oncall").status_code == 200  # who is on call is no participant's


def test_a_case_manager_reads_referrals_but_does_not_work_them(
    app: Flask, client: FlaskClient
) -> None:
    number = add_referral(app)
    case_manager = api_as(app, client, "case_manager")
    assert case_manager.get(f"/referrals/{number}").status_code == 200
    answer = case_manager.patch(f"/referrals/{number}", {"location": "Pine St"})
    assert answer.status_code == 403
    assert "only coordinators and supervisors" in answer.json["error"]["message"]


def test_only_coordinators_and_supervisors_go_on_call(app: Flask, supervisor_api: Api) -> None:
    case_manager = add_user(app, "case_manager", "Cam")
    answer = supervisor_api.post("/rotations", rotation_body([case_manager]))
    assert answer.status_code == 422
    assert answer.json["error"]["field"] == "participants.0"
    assert "case manager" in answer.json["error"]["message"]


def test_a_coordinator_made_case_manager_leaves_the_rotation(
    app: Flask, supervisor_api: Api
) -> None:
    coordinator = add_user(app, "coordinator", "Cora")
    assert supervisor_api.post("/rotations", rotation_body([coordinator])).status_code == 201
    assert supervisor_api.get("/oncall").json["tiers"][0]["user"]["id"] == coordinator
    assert (
        supervisor_api.patch(f"/users/{coordinator}", {"role": "case_manager"}).status_code == 200
    )
    assert supervisor_api.get("/oncall").json["tiers"][0]["user"] is None  # a gap, not her phone


def test_a_case_managers_phone_gets_no_staff_commands(app: Flask, client: FlaskClient) -> None:
    from hotline.simulator import SmsEmulator, flask_poster

    number = add_referral(app, "notified")
    case_manager = add_user(app, "case_manager", "Cam")
    with session_scope(app) as session:
        phone = session.get_one(User, case_manager).phone
    texts = SmsEmulator(
        flask_poster(client), app.config["TWILIO_AUTH_TOKEN"], "http://localhost", "+12065550100"
    )
    reply = texts.send(phone, f"ACK {number}").replies[-1]
    assert "is for LEAD coordinators" in reply
    with session_scope(app) as session:
        assert session.get_one(Referral, number).status == "notified"


def test_a_refusal_names_three_roles_as_a_list_is_written(app: Flask, client: FlaskClient) -> None:
    prosecutor = api_as(app, client, "prosecutor")
    answer = prosecutor.post("/participants", {"name": "Jane Doe"})
    assert answer.status_code == 403
    # It read "only coordinators and supervisors and case managers may do this".
    assert answer.json["error"]["message"] == (
        "only coordinators, supervisors and case managers may do this"
    )
