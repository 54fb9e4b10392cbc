"""One phone, one active user: staff texts (ACK, TAKE, WHO) are told apart by the sender's phone.

Two active users sharing a number could not be told apart: every text from that
phone acted as the one added first, so the other's ACK took the referral in the
first one's name and the wrong person was told it was theirs.
"""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api

SHARED = "+12065550142"


def user(email: str, phone: str = SHARED, **fields: Any) -> dict[str, Any]:
    name = email.split("@")[0]
    return {"name": name, "email": email, "phone": phone, "role": "coordinator", **fields}


def test_a_phone_an_active_user_has_is_409_naming_phone(supervisor_api: Api) -> None:
    assert supervisor_api.post("/users", user("ana@example.org")).status_code == 201
    clash = supervisor_api.post("/users", user("ben@example.org", "(206) 555-0142"))
    assert (clash.status_code, clash.json["error"]["field"]) == (409, "phone")
    assert "+12065550142 is already used" in clash.json["error"]["message"]
    emails = [row["email"] for row in supervisor_api.get("/users").json["items"]]
    assert "ben@example.org" not in emails


def test_taking_another_users_phone_is_409_and_changes_nothing(supervisor_api: Api) -> None:
    supervisor_api.post("/users", user("ana@example.org"))
    ben = supervisor_api.post("/users", user("ben@example.org", "+12065550143")).json
    clash = supervisor_api.patch(f"/users/{ben['id']}", {"phone": SHARED, "name": "Benjamin"})
    assert (clash.status_code, clash.json["error"]["field"]) == (409, "phone")
    kept = supervisor_api.get(f"/users/{ben['id']}").json
    assert (kept["phone"], kept["name"]) == ("+12065550143", "ben")


def test_a_departed_users_phone_may_go_to_a_newcomer(supervisor_api: Api) -> None:
    ana = supervisor_api.post("/users", user("ana@example.org")).json
    assert supervisor_api.patch(f"/users/{ana['id']}", {"active": False}).status_code == 200
    assert supervisor_api.post("/users", user("ben@example.org")).status_code == 201
    # An inactive user's own phone may be changed whatever it is.
    assert supervisor_api.patch(f"/users/{ana['id']}", {"phone": SHARED}).status_code == 200


def test_bringing_back_a_user_whose_phone_went_to_another_is_409(supervisor_api: Api) -> None:
    ana = supervisor_api.post("/users", user("ana@example.org")).json
    supervisor_api.patch(f"/users/{ana['id']}", {"active": False})
    supervisor_api.post("/users", user("ben@example.org"))
    back = supervisor_api.patch(f"/users/{ana['id']}", {"active": True})
    assert (back.status_code, back.json["error"]["field"]) == (409, "phone")
    assert supervisor_api.get(f"/users/{ana['id']}").json["active"] is False
    # With a phone of her own she comes back.
    again = supervisor_api.patch(f"/users/{ana['id']}", {"active": True, "phone": "+12065550149"})
    assert again.status_code == 200 and again.json["active"] is True
