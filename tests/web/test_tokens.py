"""API tokens on the web (supervisors): created and shown once, listed, revoked (SPEC §8, §9)."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from hotline.db import session_scope
from hotline.models import ApiToken, AuditEvent, User
from tests.factories import add_user
from tests.web.conftest import Web
from tests.web.page_elements import read, tied

_SHOWN = re.compile(r'<textarea id="token"[^>]*>([^<]+)</textarea>')


def create(web: Web, user: User) -> str:
    """Create a token for `user` on the web and return it as the page shows it."""
    answer = web.post("/people/tokens", {"user_id": str(user.id)})
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "no-store"
    page = answer.get_data(as_text=True)
    assert "Copy this token now." in page and "shown only this once" in page
    match = _SHOWN.search(page)
    assert match
    return match.group(1)


def users_status(client: FlaskClient, token: str) -> int:
    """Return the status of GET /api/v1/users with this bearer token."""
    return client.get("/api/v1/users", headers={"Authorization": f"Bearer {token}"}).status_code


class TestTokens:
    """A token is shown once, works against the API, and stops working once revoked."""

    def test_token_works_then_revoked_is_401(
        self, app: Flask, as_supervisor: Web, coordinator: User
    ) -> None:
        token = create(as_supervisor, coordinator)
        client = app.test_client()
        assert users_status(client, token) == 200
        listing = as_supervisor.text("/people/tokens")
        assert token not in listing and coordinator.name in listing
        with session_scope(app) as session:
            row = session.scalars(select(ApiToken)).one()
            assert row.token_hash != token and row.revoked_at is None
        answer = as_supervisor.post(f"/people/tokens/{row.id}/revoke")
        assert answer.status_code == 302 and answer.headers["Location"] == "/people/tokens"
        assert users_status(client, token) == 401
        listing = as_supervisor.text("/people/tokens")
        assert f"Revoked token {row.id} of {coordinator.name}." in listing
        assert f'action="/people/tokens/{row.id}/revoke"' not in listing

    def test_revocation_is_audited_once(
        self, app: Flask, as_supervisor: Web, supervisor: User, coordinator: User
    ) -> None:
        create(as_supervisor, coordinator)
        as_supervisor.post("/people/tokens/1/revoke")
        again = as_supervisor.post("/people/tokens/1/revoke")
        assert again.status_code == 302
        assert "Token 1 was already revoked." in as_supervisor.text("/people/tokens")
        with session_scope(app) as session:
            events = session.scalars(
                select(AuditEvent).where(AuditEvent.entity == "api_token").order_by(AuditEvent.id)
            ).all()
            assert [(e.action, e.actor_id, e.channel) for e in events] == [
                ("create", supervisor.id, "web"),
                ("revoke", supervisor.id, "web"),
            ]
            assert events[1].before == {"user_id": coordinator.id, "revoked_at": None}
            assert events[1].after is not None and events[1].after["revoked_at"]

    def test_a_coordinators_token_reads_but_cannot_write(
        self, app: Flask, as_supervisor: Web, coordinator: User
    ) -> None:
        token = create(as_supervisor, coordinator)
        answer = app.test_client().patch(
            f"/api/v1/users/{coordinator.id}",
            json={"name": "X"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert answer.status_code == 403

    def test_only_active_people_get_tokens(self, app: Flask, as_supervisor: Web) -> None:
        gone = add_user(app, "Gone Person", active=False)
        assert f'<option value="{gone.id}"' not in as_supervisor.text("/people/tokens")
        for chosen in (str(gone.id), "", "abc", "999", str(2**40), "\u00b2"):
            answer = as_supervisor.post("/people/tokens", {"user_id": chosen})
            assert answer.status_code == 422
            assert "Choose an active person." in answer.get_data(as_text=True)
        with session_scope(app) as session:
            assert session.scalars(select(ApiToken)).all() == []

    def test_roles_are_named_in_words(self, app: Flask, as_supervisor: Web) -> None:
        cam = add_user(app, "Cam Reed", "case_manager")
        assert as_supervisor.post("/people/tokens", {"user_id": str(cam.id)}).status_code == 200
        page = as_supervisor.text("/people/tokens")
        assert "Cam Reed (case manager)" in page and "case_manager" not in page

    def test_the_page_showing_a_new_token_names_its_role_in_words(
        self, app: Flask, as_supervisor: Web
    ) -> None:
        cam = add_user(app, "Cam Reed", "case_manager")
        answer = as_supervisor.post("/people/tokens", {"user_id": str(cam.id)})
        page = answer.get_data(as_text=True)
        assert "Cam Reed (case manager: may read)" in page and "case_manager" not in page

    def test_a_refused_token_is_announced_and_tied_to_the_person_box(
        self, app: Flask, as_supervisor: Web
    ) -> None:
        gone = add_user(app, "Gone Person", active=False)  # deactivated while the page was open
        answer = as_supervisor.post("/people/tokens", {"user_id": str(gone.id)})
        assert answer.status_code == 422
        page = read(answer.get_data(as_text=True))
        alerts = [" ".join(alert.split()) for alert in page.alerts]
        assert any("Nothing was saved" in alert for alert in alerts), alerts
        assert tied(page, "user_id", "Choose an active person."), page.named.get("user_id")

    def test_unknown_token_is_404(self, as_supervisor: Web) -> None:
        assert as_supervisor.post("/people/tokens/999/revoke").status_code == 404

    def test_coordinators_cannot_see_create_or_revoke_tokens(
        self, app: Flask, as_supervisor: Web, as_coordinator: Web, coordinator: User
    ) -> None:
        token = create(as_supervisor, coordinator)
        assert as_coordinator.get("/people/tokens").status_code == 403
        assert as_coordinator.post("/people/tokens", {"user_id": "1"}).status_code == 403
        assert as_coordinator.post("/people/tokens/1/revoke").status_code == 403
        assert users_status(app.test_client(), token) == 200
        with session_scope(app) as session:
            assert len(session.scalars(select(ApiToken)).all()) == 1

    def test_token_post_without_csrf_is_400(
        self, app: Flask, as_supervisor: Web, coordinator: User
    ) -> None:
        answer = as_supervisor.client.post("/people/tokens", data={"user_id": str(coordinator.id)})
        assert answer.status_code == 400
        with session_scope(app) as session:
            assert session.scalars(select(ApiToken)).all() == []
