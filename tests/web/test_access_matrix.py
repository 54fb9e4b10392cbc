"""Every page and API route, opened as each role: nobody reads more than the contract lets them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from hotline.db import session_scope
from hotline.models import Message, User
from tests.api.conftest import Api, rotation_body, token_for
from tests.factories import add_officer, add_referral, add_user
from tests.web.conftest import PASSWORD, Web

# Words only the program may read: assessment notes and services, plan notes, a text's body.
SECRETS = ("NOTE-XYZZY", "SERVICE-XYZZY", "PLAN-XYZZY", "TEXT-XYZZY", "3rd &amp; Pine")


@dataclass
class World:
    """The rows every route is opened against, and who signs in."""

    ids: dict[str, str] = field(default_factory=dict)
    shown: str = ""  # a participant in the prosecutor's view
    hidden: dict[str, str] = field(default_factory=dict)  # outside that view: id → name
    users: dict[str, User] = field(default_factory=dict)


def build(app: Flask, client: FlaskClient) -> World:
    """Write a program with one of everything, through the API as a supervisor."""
    world = World()
    sup = add_user(app, "Sam Super", "supervisor", password=PASSWORD)
    cam = add_user(app, "Cam Reed", "case_manager", password=PASSWORD)
    coord = add_user(app, "Cora Lee", "coordinator", password=PASSWORD)
    pros = add_user(app, "Pru Vance", "prosecutor", password=PASSWORD)
    world.users = {"supervisor": sup, "case_manager": cam, "coordinator": coord, "prosecutor": pros}
    api = Api(client, token_for(app, sup.id))
    now = datetime.now(UTC)

    def enrol(name: str) -> int:
        number = add_referral(app, "acknowledged", participant_name=name)
        saved = api.post(
            f"/referrals/{number}/assessment",
            {
                "offense": "possession",
                "exclusions": [],
                "consent_confirmed": True,
                "needs": ["housing"],
                "risks": ["overdose"],
                "services": ["SERVICE-XYZZY"],
                "disposition": "accepted",
                "notes": "NOTE-XYZZY",
            },
        )
        assert saved.status_code == 201, saved.json
        pid = int(saved.json["participant_id"])
        assert api.patch(f"/participants/{pid}", {"case_manager_id": cam.id}).status_code == 200
        world.ids["referral_id"] = str(number)
        return pid

    def consent(pid: int, scope: str, **extra: str) -> int:
        answer = api.post(f"/participants/{pid}/consents", {"scope": scope, **extra})
        assert answer.status_code == 201, answer.json
        return int(answer.json["id"])

    shown = enrol("Shown Person")
    world.ids["consent_id"] = str(consent(shown, "prosecutor"))
    provider = api.post("/providers", {"name": "Evergreen", "phone": "+12065550190"}).json["id"]
    entry = api.post(f"/participants/{shown}/plan", {"need": "housing", "note": "PLAN-XYZZY"})
    world.ids |= {"provider_id": str(provider), "entry_id": str(entry.json["id"])}
    revoked = enrol("Revoked Person")
    api.delete(f"/participants/{revoked}/consents/{consent(revoked, 'prosecutor')}")
    expired = enrol("Expired Person")
    consent(
        expired,
        "prosecutor",
        given_at=(now - timedelta(days=9)).isoformat(),
        expires_at=(now - timedelta(days=1)).isoformat(),
    )
    later = enrol("Later Person")
    consent(later, "prosecutor", given_at=(now + timedelta(days=3)).isoformat())
    other = enrol("Officer Scope Person")
    consent(other, "officer_status")
    none = enrol("Unconsented Person")
    exited = enrol("Exited Person")
    consent(exited, "prosecutor")
    assert api.patch(f"/participants/{exited}", {"status": "exited"}).status_code == 200
    world.shown = str(shown)
    world.hidden = {
        str(revoked): "Revoked Person",
        str(expired): "Expired Person",
        str(later): "Later Person",
        str(other): "Officer Scope Person",
        str(none): "Unconsented Person",
        str(exited): "Exited Person",
    }
    world.ids["participant_id"] = str(shown)
    with session_scope(app) as session:
        session.add(
            Message(
                direction="in",
                from_number="+12065550177",
                to_number="+12065550100",
                body="TEXT-XYZZY",
                status="received",
                referral_id=int(world.ids["referral_id"]),
                created_at=now,
            )
        )
    officer = add_officer(app, "Olive Officer", "+12065550177")
    rotation = api.post("/rotations", rotation_body([coord.id])).json["id"]
    override = api.post(
        "/overrides",
        {
            "user_id": coord.id,
            "tier": 1,
            "start": (now + timedelta(hours=1)).isoformat(),
            "end": (now + timedelta(hours=2)).isoformat(),
        },
    ).json["id"]
    world.ids |= {
        "officer_id": str(officer.id),
        "user_id": str(coord.id),
        "rotation_id": str(rotation),
        "override_id": str(override),
        "table": "weekly",
        "token_id": "1",
    }
    return world


# Addresses anyone may open, signed in or not: they are not the matrix's business (the idle
# timer's question tells only how long this browser's own session has left: 0 without one).
PUBLIC = (
    "/static",
    "/login",
    "/logout",
    "/healthz",
    "/metrics",
    "/favicon.ico",
    "/voice",
    "/sms",
    "/session/left",
)
# What each role opens (200, or a redirect to its home); every other page is refused.
READ_ONCALL_PAGES = {
    "/",
    "/account/password",
    "/overrides",
    "/people",
    "/people/officers/<int:officer_id>",
    "/people/users/<int:user_id>",
    "/rotations",
    "/rotations/<int:rotation_id>",
    "/schedule",
    "/session/stay",
    "/participants",
    "/participants/<int:participant_id>",
}
PROGRAM_PAGES = READ_ONCALL_PAGES | {
    "/providers",
    "/providers/<int:provider_id>",
    "/referrals",
    "/referrals/<int:referral_id>",
    "/referrals/<int:referral_id>/assessment",
    "/simulator",
    "/demo/voicemail.wav",
}
READ_ONCALL_API = {
    "/calendar",
    "/officers",
    "/officers/<int:officer_id>",
    "/oncall",
    "/openapi.json",
    "/overrides",
    "/participants",
    "/participants/<int:participant_id>",
    "/rotations",
    "/rotations/<int:rotation_id>",
    "/schedule",
    "/users",
    "/users/<int:user_id>",
}
PROGRAM_API = READ_ONCALL_API | {
    "/calls",
    "/messages",
    "/providers",
    "/providers/<int:provider_id>",
    "/referrals",
    "/referrals/<int:referral_id>",
}
OPENS = {
    "prosecutor": (READ_ONCALL_PAGES, READ_ONCALL_API),
    "case_manager": (PROGRAM_PAGES, PROGRAM_API),
    "coordinator": (PROGRAM_PAGES, PROGRAM_API),
}


def rules(app: Flask, method: str, prefix: str = "/") -> list[str]:
    """Return the app's addresses that answer `method`, outside the public ones."""
    return sorted(
        r.rule
        for r in app.url_map.iter_rules()
        if method in (r.methods or ())
        and r.rule.startswith(prefix)
        and not r.rule.startswith(PUBLIC)
        and (prefix != "/" or not r.rule.startswith("/api/"))
        and "<token>" not in r.rule  # the calendar feed: its token is the secret
    )


_PARAM = re.compile(r"<(?:\w+:)?(\w+)>")


def fill(rule: str, world: World) -> str:
    """Put the world's ids into an address's parameters."""
    return _PARAM.sub(lambda m: world.ids.get(m.group(1), "1"), rule)


def body(answer: TestResponse) -> str:
    return answer.get_data().decode("utf-8", "replace")


@pytest.mark.parametrize("role", ["prosecutor", "case_manager", "coordinator"])
def test_each_role_opens_exactly_its_pages_and_api_routes(
    app: Flask, client: FlaskClient, role: str
) -> None:
    world = build(app, client)
    user = world.users[role]
    web, api = Web(app.test_client()), Api(app.test_client(), token_for(app, user.id))
    assert web.login(user).status_code == 302
    pages, routes = OPENS[role]
    for rule in rules(app, "GET"):
        answer = web.get(fill(rule, world))
        assert answer.status_code in ((200, 204, 302) if rule in pages else (403,)), rule
        if role == "prosecutor":
            assert not [word for word in SECRETS if word in body(answer)], rule
            assert not [name for name in world.hidden.values() if name in body(answer)], rule
    for rule in rules(app, "GET", "/api/v1"):
        answer = api.get(fill(rule, world)[len("/api/v1") :])
        assert answer.status_code == (200 if rule[len("/api/v1") :] in routes else 403), rule
        if role == "prosecutor":
            assert not [word for word in SECRETS if word in body(answer)], rule
            assert not [name for name in world.hidden.values() if name in body(answer)], rule


def test_a_prosecutor_changes_nothing_but_a_charge_on_someone_in_their_view(
    app: Flask, client: FlaskClient
) -> None:
    world = build(app, client)
    user = world.users["prosecutor"]
    web, api = Web(app.test_client()), Api(app.test_client(), token_for(app, user.id))
    assert web.login(user).status_code == 302
    charges = "/participants/<int:participant_id>/charges"
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        for rule in rules(app, method, "/api/v1"):
            if rule != "/api/v1" + charges:
                answer = api.call(method, fill(rule, world)[len("/api/v1") :], json={})
                assert answer.status_code == 403, (method, rule)
    for rule in rules(app, "POST"):
        if rule not in (charges, "/account/password"):  # and their own password (test_account)
            assert web.post(fill(rule, world)).status_code == 403, rule
    charge = {"date": datetime.now(UTC).date().isoformat(), "description": "Theft 3"}
    for number, name in world.hidden.items():
        assert web.get(f"/participants/{number}").status_code == 404, name
        assert api.get(f"/participants/{number}").status_code == 404, name
        assert web.post(f"/participants/{number}/charges", charge).status_code == 404, name
        assert api.post(f"/participants/{number}/charges", charge).status_code == 404, name
    assert api.post(f"/participants/{world.shown}/charges", charge).status_code == 201


def test_a_user_who_left_opens_nothing_with_their_session_or_their_token(
    app: Flask, client: FlaskClient
) -> None:
    world = build(app, client)
    user = world.users["coordinator"]
    web, api = Web(app.test_client()), Api(app.test_client(), token_for(app, user.id))
    assert web.login(user).status_code == 302
    with session_scope(app) as session:
        session.get_one(User, user.id).active = False
    for rule in rules(app, "GET"):
        answer = web.get(fill(rule, world))
        assert answer.status_code == 302 and "/login" in answer.headers["Location"], rule
    for rule in rules(app, "GET", "/api/v1"):
        if rule != "/api/v1/openapi.json":
            assert api.get(fill(rule, world)[len("/api/v1") :]).status_code == 401, rule
