"""Users and officers through the API: E.164 phones, uniqueness, roles."""

from __future__ import annotations

import threading
from typing import Any, ClassVar

import pytest
from flask import Flask

from hotline.services import people
from tests.api.conftest import Api, add_user, token_for


class TestUsers:
    """Supervisors add and change coordinators and supervisors."""

    def test_create_user_stores_phone_in_e164(self, supervisor_api: Api) -> None:
        answer = supervisor_api.post(
            "/users",
            {
                "name": "Ana Diaz",
                "email": "Ana@Example.org",
                "phone": "(206) 555-0142",
                "role": "coordinator",
            },
        )
        assert answer.status_code == 201
        assert answer.json["phone"] == "+12065550142"
        assert answer.json["email"] == "ana@example.org"
        assert answer.json["active"] is True
        assert "password_hash" not in answer.json

    def test_impossible_phone_is_422_naming_phone(self, supervisor_api: Api) -> None:
        answer = supervisor_api.post(
            "/users", {"name": "A", "email": "a@example.org", "phone": "12", "role": "coordinator"}
        )
        assert (answer.status_code, answer.json["error"]["field"]) == (422, "phone")

    def test_duplicate_email_is_409(self, supervisor_api: Api) -> None:
        body = {
            "name": "A",
            "email": "a@example.org",
            "phone": "+12065550142",
            "role": "supervisor",
        }
        assert supervisor_api.post("/users", body).status_code == 201
        clash = supervisor_api.post("/users", {**body, "email": "A@EXAMPLE.org"})
        assert (clash.status_code, clash.json["error"]["field"]) == (409, "email")

    def test_patch_deactivates_and_keeps_other_fields(self, supervisor_api: Api) -> None:
        body = {
            "name": "A",
            "email": "a@example.org",
            "phone": "+12065550142",
            "role": "coordinator",
        }
        user_id = supervisor_api.post("/users", body).json["id"]
        changed = supervisor_api.patch(f"/users/{user_id}", {"active": False})
        assert changed.json["active"] is False and changed.json["name"] == "A"
        assert supervisor_api.patch(f"/users/{user_id}", {"role": None}).status_code == 422
        assert supervisor_api.get("/users/999").status_code == 404
        assert supervisor_api.get(f"/users/{2**40}").status_code == 404

    def test_coordinator_may_not_add_users(self, coordinator_api: Api) -> None:
        body = {
            "name": "A",
            "email": "a@example.org",
            "phone": "+12065550142",
            "role": "coordinator",
        }
        assert coordinator_api.post("/users", body).status_code == 403
        assert coordinator_api.get("/users").status_code == 200


class TestOfficers:
    """The roster: badges and phones unique, badges typed on a keypad."""

    BODY: ClassVar[dict[str, str]] = {
        "name": "Officer Smith",
        "badge": "4711",
        "agency": "SPD",
        "phone": "206-555-0177",
    }

    def test_create_and_clash(self, supervisor_api: Api) -> None:
        created = supervisor_api.post("/officers", self.BODY)
        assert created.status_code == 201 and created.json["phone"] == "+12065550177"
        same_badge = supervisor_api.post("/officers", {**self.BODY, "phone": "206-555-0178"})
        assert (same_badge.status_code, same_badge.json["error"]["field"]) == (409, "badge")
        same_phone = supervisor_api.post("/officers", {**self.BODY, "badge": "4712"})
        assert (same_phone.status_code, same_phone.json["error"]["field"]) == (409, "phone")
        assert len(supervisor_api.get("/officers").json["items"]) == 1

    def test_an_officer_who_left_is_marked_inactive_and_kept(self, supervisor_api: Api) -> None:
        created = supervisor_api.post("/officers", self.BODY).json
        assert created["active"] is True

        left = supervisor_api.patch(f"/officers/{created['id']}", {"active": False})

        assert (left.status_code, left.json["active"]) == (200, False)
        [kept] = supervisor_api.get("/officers").json["items"]
        assert (kept["id"], kept["active"]) == (created["id"], False)
        back = supervisor_api.patch(f"/officers/{created['id']}", {"active": True})
        assert back.json["active"] is True
        refused = supervisor_api.patch(f"/officers/{created['id']}", {"active": "no"})
        assert (refused.status_code, refused.json["error"]["field"]) == (422, "active")

    @pytest.mark.parametrize(("field", "value"), [("badge", "AB-12"), ("name", ""), ("agency", 7)])
    def test_bad_officer_field_is_422(self, supervisor_api: Api, field: str, value: object) -> None:
        answer = supervisor_api.post("/officers", {**self.BODY, field: value})
        assert (answer.status_code, answer.json["error"]["field"]) == (422, field)


class TestMalformedRequests:
    """Bodies that are not JSON objects, or too big, are refused without a 500."""

    @pytest.mark.parametrize(
        "body",
        [b"{not json", b"[1, 2]", b"42", b"\xff\xfe", b"[" * 100_000],
    )
    def test_not_a_json_object_is_400(self, supervisor_api: Api, body: bytes) -> None:
        answer = supervisor_api.post("/users", data=body, content_type="application/json")
        assert answer.status_code == 400
        assert answer.json["error"]["code"] == "malformed"

    @pytest.mark.parametrize(
        "body",
        [
            b'{"name": "\\ud800", "email": "a@example.org", "phone": "+12065550142"}',
            b'{"name": "Ana \\udfff Diaz"}',
        ],
        ids=["high", "low"],
    )
    def test_a_lone_surrogate_is_malformed_json_400(self, supervisor_api: Api, body: bytes) -> None:
        # JSON's grammar lets "\ud800" through, but it is no character: not a field's fault.
        answer = supervisor_api.post("/users", data=body, content_type="application/json")
        assert answer.status_code == 400
        assert answer.json["error"]["code"] == "malformed"

    def test_a_nul_character_is_refused_with_its_field_not_a_500(self, supervisor_api: Api) -> None:
        body = {"name": "Olive\u0000Smith", "badge": "4711", "agency": "SPD"}
        answer = supervisor_api.post("/officers", body)
        assert (answer.status_code, answer.json["error"]["field"]) == (422, "name")
        query = supervisor_api.get("/messages?phone=%00206")
        assert (query.status_code, query.json["error"]["field"]) == (400, "phone")
        assert supervisor_api.get("/officers").json["items"] == []

    @pytest.mark.parametrize("text", ["Jo\u000bDoe", "Jo\u001fDoe", "Jo\ufffeDoe"])
    def test_a_character_no_call_could_speak_is_refused_with_its_field(
        self, supervisor_api: Api, text: str
    ) -> None:
        # A vertical tab copied from a spreadsheet: TwiML (XML) cannot carry it.
        body = {"name": text, "badge": "4711", "agency": "SPD", "phone": "2065550141"}
        answer = supervisor_api.post("/officers", body)
        assert (answer.status_code, answer.json["error"]["field"]) == (422, "name")
        assert "control character" in answer.json["error"]["message"]
        assert supervisor_api.get("/officers").json["items"] == []

    def test_body_over_one_mebibyte_is_413(self, supervisor_api: Api) -> None:
        huge = b'{"name": "' + b"x" * (1024 * 1024) + b'"}'
        answer = supervisor_api.post("/users", data=huge, content_type="application/json")
        assert answer.status_code == 413
        assert answer.json["error"]["code"] == "too_large"

    def test_a_chunked_body_over_one_mebibyte_is_413_not_cut_short(
        self, supervisor_api: Api
    ) -> None:
        # As gunicorn hands a chunked body over: no length, and the stream ends with the body.
        chunked: dict[str, Any] = {
            "headers": {"Transfer-Encoding": "chunked"},
            "environ_overrides": {"wsgi.input_terminated": True},
            "content_type": "application/json",
        }
        ann = b'{"name": "Ann", "email": "ann@example.org", "phone": "2065550141", '
        ann += b'"role": "coordinator"}'
        # Its first MiB alone is a whole object: read only that far, it would add Ann.
        answer = supervisor_api.post("/users", data=ann + b" " * (1024 * 1024), **chunked)
        assert answer.status_code == 413
        assert answer.json["error"]["code"] == "too_large"
        assert [u["name"] for u in supervisor_api.get("/users").json["items"]] == ["Sam"]
        # Under the limit, a chunked body is read whole.
        assert supervisor_api.post("/users", data=ann + b" " * 1000, **chunked).status_code == 201

    def test_unknown_route_is_json_404(self, supervisor_api: Api) -> None:
        answer = supervisor_api.get("/nothing-here")
        assert answer.status_code == 404 and answer.json["error"]["code"] == "not_found"


def test_openapi_document_lists_every_route_with_its_schemas(client, app: Flask) -> None:  # type: ignore[no-untyped-def]
    document = client.get("/api/v1/openapi.json").json
    assert document["openapi"].startswith("3.")
    rotation_post = document["paths"]["/api/v1/rotations"]["post"]
    body_ref = rotation_post["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    rotation_schema = document["components"]["schemas"][body_ref.rsplit("/", 1)[1]]
    assert rotation_schema["properties"]["shift_hours"]["maximum"] == 8760
    assert "/api/v1/users/{user_id}" in document["paths"]
    assert "/api/v1/calendar/{token}.ics" in document["paths"]


class TestLastSupervisor:
    """PATCH never leaves the program without an active supervisor (SPEC §2): 409."""

    def own_id(self, api: Api, name: str = "Sam") -> int:
        (me,) = [u for u in api.get("/users").json["items"] if u["name"] == name]
        return int(me["id"])

    @pytest.mark.parametrize(
        ("change", "field"), [({"role": "coordinator"}, "role"), ({"active": False}, "active")]
    )
    def test_the_last_supervisor_cannot_be_demoted_or_deactivated(
        self, supervisor_api: Api, change: dict[str, object], field: str
    ) -> None:
        me = self.own_id(supervisor_api)
        answer = supervisor_api.patch(f"/users/{me}", change)
        assert answer.status_code == 409
        assert answer.json["error"]["field"] == field
        assert "last active supervisor" in answer.json["error"]["message"]
        shown = supervisor_api.get(f"/users/{me}").json
        assert (shown["role"], shown["active"]) == ("supervisor", True)

    def test_with_another_supervisor_the_change_is_made(
        self, app: Flask, supervisor_api: Api
    ) -> None:
        add_user(app, "supervisor", "Other")
        other = self.own_id(supervisor_api, "Other")
        answer = supervisor_api.patch(f"/users/{other}", {"role": "coordinator"})
        assert answer.status_code == 200
        assert answer.json["role"] == "coordinator"

    @pytest.mark.parametrize(
        ("change", "field"), [({"role": "coordinator"}, "role"), ({"active": False}, "active")]
    )
    def test_nobody_demotes_or_deactivates_themselves_through_the_api(
        self, app: Flask, supervisor_api: Api, change: dict[str, object], field: str
    ) -> None:
        add_user(app, "supervisor", "Other")
        me = self.own_id(supervisor_api)
        answer = supervisor_api.patch(f"/users/{me}", change)
        assert (answer.status_code, answer.json["error"]["field"]) == (422, field)
        assert "your own" in answer.json["error"]["message"]
        assert supervisor_api.get(f"/users/{me}").json["active"] is True


class TestDeactivatedTokens:
    """A deactivated user's tokens are revoked: reactivation does not bring them back."""

    def test_token_stays_refused_after_reactivation(self, app: Flask, supervisor_api: Api) -> None:
        cory = add_user(app, "coordinator", "Cory")
        cory_api = Api(supervisor_api.client, token_for(app, cory))
        assert cory_api.get("/users").status_code == 200

        assert supervisor_api.patch(f"/users/{cory}", {"active": False}).status_code == 200
        assert cory_api.get("/users").status_code == 401
        assert supervisor_api.patch(f"/users/{cory}", {"active": True}).status_code == 200

        assert cory_api.get("/users").status_code == 401
        fresh = Api(supervisor_api.client, token_for(app, cory))
        assert fresh.get("/users").status_code == 200


def checked_together(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let two requests both pass the uniqueness check before either writes (a real race)."""
    check = people.check_unique
    barrier = threading.Barrier(2, timeout=10)
    calls: list[object] = []

    def check_then_wait(*args: Any, **kwargs: Any) -> None:
        check(*args, **kwargs)
        calls.append(args)
        if len(calls) <= 2:  # each request's first check
            barrier.wait()

    monkeypatch.setattr(people, "check_unique", check_then_wait)


@pytest.mark.parametrize(
    ("path", "field", "changing"),
    [
        ("/officers", "badge", {"badge": "4711", "agency": "SPD"}),
        ("/users", "email", {"email": "ana@example.org", "role": "coordinator"}),
    ],
)
def test_two_requests_racing_for_one_badge_or_email_get_201_and_409(
    app: Flask,
    monkeypatch: pytest.MonkeyPatch,
    path: str,
    field: str,
    changing: dict[str, str],
) -> None:
    token = token_for(app, add_user(app, "supervisor", "Sam"))
    checked_together(monkeypatch)
    answers: list[tuple[int, Any]] = []

    def post(name: str, phone: str) -> None:
        answer = app.test_client().post(
            f"/api/v1{path}",
            json={"name": name, "phone": phone, **changing},
            headers={"Authorization": f"Bearer {token}"},
        )
        answers.append((answer.status_code, answer.get_json()))

    both = [
        threading.Thread(target=post, args=("Ana", "2065550170")),
        threading.Thread(target=post, args=("Bo", "2065550171")),
    ]
    for thread in both:
        thread.start()
    for thread in both:
        thread.join()
    answers.sort(key=lambda answer: answer[0])
    assert [status for status, _ in answers] == [201, 409], answers
    assert answers[1][1]["error"]["field"] == field


# Where a person's name is typed through the API, each with the rest of a valid body.
NAMED = {
    "/users": {"email": "ana@lead.example", "phone": "2065550141", "role": "coordinator"},
    "/officers": {"badge": "4711", "agency": "SPD", "phone": "2065550141"},
    "/participants": {},
    "/providers": {"phone": "2065550190", "needs": ["housing"]},
}


class TestInvisibleCharactersInNames:
    """A name is kept as it looks: no zero-width, direction or byte-order characters."""

    @pytest.mark.parametrize("path", list(NAMED))
    def test_a_name_with_invisible_characters_is_kept_as_it_looks(
        self, supervisor_api: Api, path: str
    ) -> None:
        pasted = "\ufeffAna\u200b Diaz\u200e\u200f\u2060\u00ad"
        answer = supervisor_api.post(path, {"name": pasted, **NAMED[path]})
        assert answer.status_code == 201, answer.json
        assert answer.json["name"] == "Ana Diaz", "two Ana Diaz rows must not differ unseen"
        patched = supervisor_api.patch(f"{path}/{answer.json['id']}", {"name": "Ana\u200b\tDiaz"})
        assert patched.json["name"] == "Ana Diaz"

    @pytest.mark.parametrize("path", list(NAMED))
    def test_a_name_of_nothing_but_invisible_characters_is_refused_naming_the_field(
        self, supervisor_api: Api, path: str
    ) -> None:
        before = supervisor_api.get(path).json["items"]
        answer = supervisor_api.post(path, {"name": "\u200b\u200e \ufeff", **NAMED[path]})
        assert (answer.status_code, answer.json["error"]["field"]) == (422, "name")
        assert supervisor_api.get(path).json["items"] == before

    @pytest.mark.parametrize(
        "name",
        [
            "José O'Brien-Núñez",  # accents, an apostrophe, a hyphen
            "Nguyễn Thị Minh Khai",
            "محمد الأحمد",
            "नारायण क्\u200dष",  # a joiner after a virama shapes Devanagari: kept
            "نازنین\u200cزهرا",  # Persian writes a non-joiner inside a name: kept
            "王小明",
        ],
    )
    def test_the_letters_of_every_script_are_kept(self, supervisor_api: Api, name: str) -> None:
        answer = supervisor_api.post("/officers", {"name": name, **NAMED["/officers"]})
        assert (answer.status_code, answer.json["name"]) == (201, name)

    def test_a_joiner_between_latin_letters_is_invisible_and_dropped(
        self, supervisor_api: Api
    ) -> None:
        answer = supervisor_api.post(
            "/officers", {"name": "A\u200dna Di\u200caz", **NAMED["/officers"]}
        )
        assert answer.json["name"] == "Ana Diaz"
