"""The OpenAPI document says what the routes do: checked against their answers."""

from __future__ import annotations

from typing import Any

import jsonschema_rs
from flask import Flask
from flask.testing import FlaskClient

from tests.api.conftest import Api, add_user
from tests.factories import add_referral


def body_fields(document: dict[str, Any], path: str, method: str) -> dict[str, Any]:
    """Return each field of an operation's request body with its schema, refs resolvable."""
    operation = document["paths"]["/api/v1" + path][method]
    ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    schema = document["components"]["schemas"][ref.rsplit("/", 1)[1]]
    return {
        name: {**spec, "components": document["components"]}
        for name, spec in schema["properties"].items()
    }


def test_a_patch_field_is_documented_as_nullable_exactly_when_null_is_accepted(
    app: Flask, client: FlaskClient, supervisor_api: Api
) -> None:
    # The document offered null for every PATCH field, though most answer 422 "may not be
    # null": a client made from it could send one and be refused for a value it was offered.
    manager = add_user(app, "case_manager", "Cam")
    api = supervisor_api
    user = api.post(
        "/users",
        {"name": "Ana", "email": "ana@example.org", "phone": "2065550142", "role": "coordinator"},
    ).json["id"]
    officer = api.post(
        "/officers", {"name": "Lee", "badge": "12", "agency": "SPD", "phone": "2065550177"}
    ).json["id"]
    provider = api.post("/providers", {"name": "Shelter", "needs": ["housing"]}).json["id"]
    person = api.post("/participants", {"name": "Jo Doe", "case_manager_id": manager}).json["id"]
    entry = api.post(f"/participants/{person}/plan", {"need": "housing"}).json["id"]
    routes = {
        "/users/{user_id}": f"/users/{user}",
        "/officers/{officer_id}": f"/officers/{officer}",
        "/providers/{provider_id}": f"/providers/{provider}",
        "/participants/{participant_id}": f"/participants/{person}",
        "/participants/{participant_id}/plan/{entry_id}": f"/participants/{person}/plan/{entry}",
        "/referrals/{referral_id}": f"/referrals/{add_referral(app)}",
    }
    document = client.get("/api/v1/openapi.json").json
    disagreements = []
    for template, path in routes.items():
        for name, spec in body_fields(document, template, "patch").items():
            offered = jsonschema_rs.Draft202012Validator(spec).is_valid(None)
            answer = api.patch(path, {name: None})
            refused = answer.status_code == 422 and answer.json["error"]["field"] == name
            if offered == refused:
                disagreements.append(f"{template} {name}: offered {offered}, refused {refused}")
    assert disagreements == [], "\n".join(disagreements)
