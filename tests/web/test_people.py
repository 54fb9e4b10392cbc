"""The people page: coordinators and supervisors listed, added, edited, deactivated (SPEC §9)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash

from hotline.audit import Actor
from hotline.db import session_scope
from hotline.models import AuditEvent, Message, User
from hotline.schemas.people import UserPatch
from hotline.services import people as people_service
from tests.factories import add_rotation, add_user
from tests.web.conftest import Web


def person(**fields: Any) -> dict[str, Any]:
    """Return a valid add-person form, changed by `fields`."""
    form = {
        "name": "Ana Diaz",
        "email": "Ana@Example.org",
        "phone": "(206) 555-0123",
        "role": "coordinator",
        "password": "",
    }
    form.update(fields)
    return form


def stored(app: Flask, email: str) -> User | None:
    """Return the user with this email as the database holds it."""
    with session_scope(app) as session:
        return session.scalars(select(User).where(User.email == email)).first()


def count_users(app: Flask) -> int:
    """Return how many users the database holds."""
    with session_scope(app) as session:
        return session.scalar(select(func.count()).select_from(User)) or 0


def edit_form(user: User, **fields: Any) -> dict[str, Any]:
    """Return the edit form of `user` as the page fills it, changed by `fields`."""
    form = {"name": user.name, "email": user.email, "phone": user.phone, "role": user.role}
    form.update({"active": "on", "password": ""}, **fields)
    return {k: v for k, v in form.items() if v is not None}


class TestPeopleList:
    """Everyone signed in reads the list; only supervisors get the forms."""

    def test_people_needs_sign_in(self, client: FlaskClient) -> None:
        answer = client.get("/people")
        assert answer.status_code == 302 and answer.headers["Location"].startswith("/login")

    def test_coordinator_sees_everyone_without_forms(
        self, app: Flask, as_coordinator: Web, supervisor: User
    ) -> None:
        page = as_coordinator.text("/people")
        for column in ("Name", "Email", "Phone", "Role", "Active"):
            assert f'<th scope="col">{column}</th>' in page
        assert supervisor.name in page and supervisor.email in page and supervisor.phone in page
        assert "Add a coordinator or supervisor" not in page and "Deactivate" not in page
        assert "Import officers" not in page and "API tokens" not in page

    def test_supervisor_sees_the_forms(
        self, as_supervisor: Web, supervisor: User, coordinator: User
    ) -> None:
        page = as_supervisor.text("/people")
        assert "/deactivate" not in page  # no red button on every row: it is on each person's page
        assert f'action="/people/users/{coordinator.id}/deactivate"' in as_supervisor.text(
            f"/people/users/{coordinator.id}"
        )
        own = as_supervisor.text(f"/people/users/{supervisor.id}")
        assert f'action="/people/users/{supervisor.id}/deactivate"' not in own  # not oneself
        assert 'action="/people/users#add-person"' in page
        assert '<label for="user-phone">Phone</label>' in page
        assert 'action="/people/officers/import#import"' in page
        assert 'href="/people/tokens"' in page

    def test_inactive_person_in_a_rotation_is_flagged_as_gap_risk(
        self, app: Flask, as_coordinator: Web
    ) -> None:
        gone = add_user(app, "Gone Person", active=False)
        add_rotation(app, 1, gone)
        away = add_user(app, "Away Person", active=False)
        page = as_coordinator.text("/people")
        assert "gap risk: in rotation Tier 1" in page
        assert page.count("gap risk") == 1 and away.name in page
        assert "gap risk: in rotation Tier 1" in as_coordinator.text(f"/people/users/{gone.id}")

    def test_someone_in_a_rotation_whose_role_takes_no_calls_is_flagged_as_gap_risk(
        self, app: Flask, as_coordinator: Web
    ) -> None:
        moved = add_user(app, "Moved Person", "case_manager")
        add_rotation(app, 1, moved)
        assert "gap risk: in rotation Tier 1" in as_coordinator.text("/people")
        page = as_coordinator.text(f"/people/users/{moved.id}")
        assert "gap risk: in rotation Tier 1" in page
        assert "a case manager takes no calls, so the rotation covers nobody" in page


@pytest.mark.parametrize(
    ("path", "form", "said"),
    [
        ("/people/users", person(), "Added Ana Diaz."),
        (
            "/people/officers",
            {"name": "Olive Smith", "badge": "4711", "agency": "SPD", "phone": "2065550141"},
            "Added Officer Olive Smith.",
        ),
    ],
)
def test_an_added_person_opens_the_page_at_its_top_where_added_is_said(
    as_supervisor: Web, path: str, form: dict[str, Any], said: str
) -> None:
    # The form posts to #add-person (#add-officer), screens down on a phone; a redirect without
    # a place of its own keeps that one, and the page opened at the emptied form, "Added" unseen.
    answer = as_supervisor.post(path, form)
    assert answer.status_code == 302
    assert urlsplit(answer.headers["Location"]).fragment == "main"
    page = as_supervisor.text("/people")
    assert 'id="main"' in page and page.index(said) < page.index('id="staff"')


class TestAddPerson:
    """Supervisors add people; every field is validated and errors sit next to it."""

    def test_supervisor_adds_a_person_with_e164_phone_and_hashed_password(
        self, app: Flask, as_supervisor: Web, client: FlaskClient
    ) -> None:
        answer = as_supervisor.post("/people/users", person(password="long enough pw"))
        assert answer.status_code == 302 and urlsplit(answer.headers["Location"]).path == "/people"
        assert "Added Ana Diaz." in as_supervisor.text("/people")
        row = stored(app, "ana@example.org")
        assert row is not None and row.phone == "+12065550123" and row.role == "coordinator"
        assert row.password_hash and check_password_hash(row.password_hash, "long enough pw")
        assert Web(app.test_client()).login(row, "long enough pw").status_code == 302

    def test_person_without_password_cannot_sign_in(self, app: Flask, as_supervisor: Web) -> None:
        as_supervisor.post("/people/users", person())
        row = stored(app, "ana@example.org")
        assert row is not None and row.password_hash is None

    def test_invalid_fields_are_422_with_errors_beside_them_and_nothing_saved(
        self, app: Flask, as_supervisor: Web
    ) -> None:
        before = count_users(app)
        form = person(name=" ", email="not-an-email", phone="12", role="boss", password="short")
        answer = as_supervisor.post("/people/users", form)
        page = answer.get_data(as_text=True)
        assert answer.status_code == 422
        assert '<p class="field-error" id="user-name-error">Required.</p>' in page
        assert 'id="user-email-error">Not an email address.</p>' in page
        assert 'id="user-phone-error">Not a valid phone number' in page
        assert 'id="user-role-error">' in page
        assert 'id="user-password-error">Use at least 10 characters.</p>' in page
        assert 'aria-describedby="user-email-hint' not in page  # no hint, only the error
        assert 'aria-invalid="true" aria-describedby=" user-email-error"' in page
        assert 'value="not-an-email"' in page  # what was typed stays in the form
        assert count_users(app) == before

    def test_a_name_too_long_or_of_only_invisible_characters_is_refused_in_plain_words(
        self, app: Flask, as_supervisor: Web
    ) -> None:
        long = as_supervisor.post("/people/users", person(name="Ana " * 51)).get_data(as_text=True)
        assert 'id="user-name-error">Use at most 200 characters.</p>' in long
        unseen = as_supervisor.post("/people/users", person(name="\u200b\u200e"))
        assert 'id="user-name-error">Required.</p>' in unseen.get_data(as_text=True)
        assert "String should" not in long + unseen.get_data(as_text=True)
        assert stored(app, "ana@example.org") is None

    def test_the_hotlines_own_number_is_refused_as_a_persons_phone(
        self, app: Flask, as_supervisor: Web
    ) -> None:
        answer = as_supervisor.post("/people/users", person(phone=app.config["HOTLINE_NUMBER"]))
        assert answer.status_code == 422
        assert (
            'id="user-phone-error">This is the hotline&#39;s own number: a call put through to it '
            "rings the hotline again; give their own phone.</p>"
        ) in answer.get_data(as_text=True)
        assert stored(app, "ana@example.org") is None

    def test_short_password_alone_is_refused(self, app: Flask, as_supervisor: Web) -> None:
        answer = as_supervisor.post("/people/users", person(password="123456789"))
        assert answer.status_code == 422 and stored(app, "ana@example.org") is None

    def test_duplicate_email_is_409_next_to_email(
        self, app: Flask, as_supervisor: Web, coordinator: User
    ) -> None:
        answer = as_supervisor.post("/people/users", person(email=coordinator.email.upper()))
        assert answer.status_code == 409
        assert f'id="user-email-error">Email {coordinator.email} is already used.' in (
            answer.get_data(as_text=True)
        )
        assert count_users(app) == 2

    def test_adding_again_someone_who_was_deactivated_says_to_reactivate_them(
        self, app: Flask, as_supervisor: Web
    ) -> None:
        add_user(app, "Ana Diaz", email="ana@example.org", active=False)
        answer = as_supervisor.post("/people/users", person(phone="+12065550190"))
        assert answer.status_code == 409
        assert (
            'id="user-email-error">Email ana@example.org is Ana Diaz\'s, who was deactivated: '
            "reactivate them, or check the email.</p>"
        ) in answer.get_data(as_text=True).replace("&#39;", "'")
        assert count_users(app) == 2

    def test_a_phone_another_active_user_has_is_409_next_to_phone(
        self, app: Flask, as_supervisor: Web, coordinator: User
    ) -> None:
        answer = as_supervisor.post("/people/users", person(phone=coordinator.phone))
        assert answer.status_code == 409
        assert f'id="user-phone-error">Phone {coordinator.phone} is already used.' in (
            answer.get_data(as_text=True)
        )
        assert count_users(app) == 2

    def test_coordinator_may_not_add_anyone(self, app: Flask, as_coordinator: Web) -> None:
        assert as_coordinator.post("/people/users", person()).status_code == 403
        assert stored(app, "ana@example.org") is None

    def test_post_without_csrf_token_is_400(self, app: Flask, as_supervisor: Web) -> None:
        assert as_supervisor.client.post("/people/users", data=person()).status_code == 400
        assert stored(app, "ana@example.org") is None

    def test_adding_is_audited_as_the_supervisor_on_the_web(
        self, app: Flask, as_supervisor: Web, supervisor: User
    ) -> None:
        as_supervisor.post("/people/users", person())
        with session_scope(app) as session:
            event = session.scalars(select(AuditEvent).where(AuditEvent.entity == "user")).one()
            assert (event.action, event.actor_id, event.channel) == (
                "create",
                supervisor.id,
                "web",
            )
            assert event.after is not None and event.after["email"] == "ana@example.org"


class TestEditPerson:
    """A person's page: a form for supervisors, the facts for coordinators."""

    def test_coordinator_reads_a_person_without_a_form(
        self, as_coordinator: Web, supervisor: User
    ) -> None:
        page = as_coordinator.text(f"/people/users/{supervisor.id}")
        assert supervisor.email in page and '<form method="post" class="narrow"' not in page

    def test_unknown_person_is_404(self, as_supervisor: Web) -> None:
        assert as_supervisor.get("/people/users/999").status_code == 404
        assert as_supervisor.get(f"/people/users/{2**40}").status_code == 404

    def test_supervisor_changes_fields_and_password(
        self, app: Flask, as_supervisor: Web, coordinator: User
    ) -> None:
        page = as_supervisor.text(f"/people/users/{coordinator.id}")
        assert f'value="{coordinator.email}"' in page and 'name="active" type="checkbox"' in page
        form = edit_form(
            coordinator, name="Cora Lee-Park", phone="+1 206 555 0199", password="a new password"
        )
        answer = as_supervisor.post(f"/people/users/{coordinator.id}", form)
        assert answer.status_code == 302
        row = stored(app, coordinator.email)
        assert row is not None and row.name == "Cora Lee-Park" and row.phone == "+12065550199"
        assert Web(app.test_client()).login(row, "a new password").status_code == 302
        with session_scope(app) as session:
            actions = session.scalars(
                select(AuditEvent.action).where(AuditEvent.entity_id == coordinator.id)
            ).all()
        assert actions == ["update", "set_password"]

    def test_the_edit_form_offers_no_programs_language_that_would_change_nothing(
        self, as_supervisor: Web, coordinator: User
    ) -> None:
        as_supervisor.post(f"/people/users/{coordinator.id}", edit_form(coordinator, language="es"))
        page = as_supervisor.text(f"/people/users/{coordinator.id}")
        assert 'value="es" lang="es" selected' in page
        assert "The program's" not in page

    def test_an_edit_sent_twice_by_a_phones_retry_says_sent_already_not_nothing_changed(
        self, as_supervisor: Web, coordinator: User
    ) -> None:
        page = as_supervisor.text(f"/people/users/{coordinator.id}")
        form = page.split('<form method="post" class="narrow"')[1].split("</form>")[0]
        drawn = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', form))
        sent = {**drawn, **edit_form(coordinator, name="Cora Lee-Park")}
        for _ in "12":
            assert as_supervisor.post(f"/people/users/{coordinator.id}", sent).status_code == 302
        after = as_supervisor.text("/people")
        assert "sent already" in after and "Nothing changed" not in after

    def test_invalid_edit_is_422_and_changes_nothing(
        self, app: Flask, as_supervisor: Web, coordinator: User
    ) -> None:
        form = edit_form(coordinator, name="", phone="555", role="admin")
        answer = as_supervisor.post(f"/people/users/{coordinator.id}", form)
        page = answer.get_data(as_text=True)
        assert answer.status_code == 422
        assert 'id="name-error">Required.</p>' in page and 'id="phone-error">' in page
        assert 'id="role-error">' in page
        row = stored(app, coordinator.email)
        assert row is not None and row.name == coordinator.name

    def test_taking_anothers_email_is_409(
        self, app: Flask, as_supervisor: Web, coordinator: User, supervisor: User
    ) -> None:
        form = edit_form(coordinator, email=supervisor.email)
        answer = as_supervisor.post(f"/people/users/{coordinator.id}", form)
        assert answer.status_code == 409 and 'id="email-error">Email ' in answer.get_data(
            as_text=True
        )
        assert stored(app, coordinator.email) is not None

    def test_unchecking_active_deactivates(
        self, app: Flask, as_supervisor: Web, coordinator: User
    ) -> None:
        as_supervisor.post(f"/people/users/{coordinator.id}", edit_form(coordinator, active=None))
        row = stored(app, coordinator.email)
        assert row is not None and row.active is False

    @pytest.mark.parametrize("active_when_drawn", [False, True])
    def test_a_page_drawn_before_another_supervisor_changed_active_keeps_that_change(
        self, app: Flask, as_supervisor: Web, coordinator: User, active_when_drawn: bool
    ) -> None:
        """A phone corrected on a page drawn before Cora was reactivated (or deactivated)."""
        with session_scope(app) as session:
            session.get_one(User, coordinator.id).active = active_when_drawn
        page = as_supervisor.text(f"/people/users/{coordinator.id}")
        drawn = dict(re.findall(r'<input type="hidden" name="(was_\w+)" value="([^"]*)"', page))
        with session_scope(app) as session:  # another supervisor, meanwhile
            people_service.update_user(
                session,
                coordinator.id,
                UserPatch(active=not active_when_drawn),
                Actor(None, "web"),
                datetime.now(UTC),
            )
        form = edit_form(
            coordinator, phone="+1 206 555 0199", active="on" if active_when_drawn else None
        )
        answer = as_supervisor.post(f"/people/users/{coordinator.id}", {**form, **drawn})
        assert answer.status_code == 302
        row = stored(app, coordinator.email)
        assert row is not None and row.phone == "+12065550199"
        assert row.active is not active_when_drawn, "the other supervisor's change stands"

    def test_supervisor_cannot_lock_themself_out(
        self, app: Flask, as_supervisor: Web, supervisor: User
    ) -> None:
        form = edit_form(supervisor, active=None, role="coordinator")
        answer = as_supervisor.post(f"/people/users/{supervisor.id}", form)
        page = answer.get_data(as_text=True)
        assert answer.status_code == 422 and "cannot deactivate your own account" in page
        assert "cannot give up your own supervisor role" in page
        as_supervisor.post(f"/people/users/{supervisor.id}/deactivate")
        row = stored(app, supervisor.email)
        assert row is not None and row.active and row.role == "supervisor"

    def test_coordinator_may_not_edit(
        self, app: Flask, as_coordinator: Web, supervisor: User
    ) -> None:
        form = edit_form(supervisor, name="Hacked")
        assert as_coordinator.post(f"/people/users/{supervisor.id}", form).status_code == 403
        assert as_coordinator.post(f"/people/users/{supervisor.id}/deactivate").status_code == 403
        row = stored(app, supervisor.email)
        assert row is not None and row.name == supervisor.name and row.active


class TestDeactivate:
    """Deactivating takes someone off call at once, and supervisors hear of the hole."""

    def test_deactivate_then_reactivate(
        self, app: Flask, as_supervisor: Web, coordinator: User
    ) -> None:
        answer = as_supervisor.post(f"/people/users/{coordinator.id}/deactivate")
        assert answer.status_code == 302
        assert f"Deactivated {coordinator.name}." in as_supervisor.text("/people")
        assert Web(app.test_client()).login(coordinator).status_code == 401
        as_supervisor.post(f"/people/users/{coordinator.id}/reactivate")
        row = stored(app, coordinator.email)
        assert row is not None and row.active

    def test_reactivating_someone_whose_phone_was_handed_on_says_who_has_it_and_what_to_do(
        self, app: Flask, as_supervisor: Web
    ) -> None:
        ana = add_user(app, "Ana Diaz", phone="+12065550190", active=False)
        add_user(app, "Ben Ode", phone="+12065550190")
        as_supervisor.post(f"/people/users/{ana.id}/reactivate")
        assert (
            "Ana Diaz was not changed: phone +12065550190 is now Ben Ode's: "
            "give Ana Diaz another phone before bringing them back."
        ) in as_supervisor.text("/people").replace("&#39;", "'")
        row = stored(app, ana.email)
        assert row is not None and not row.active

    def test_deactivating_the_person_on_call_texts_supervisors_about_the_gap(
        self, app: Flask, as_supervisor: Web, supervisor: User
    ) -> None:
        ana = add_user(app, "Ana Diaz")
        add_rotation(app, 1, ana)
        as_supervisor.post(f"/people/users/{ana.id}/deactivate")
        with session_scope(app) as session:
            texts = session.scalars(
                select(Message.body).where(Message.to_number == supervisor.phone)
            ).all()
        assert len(texts) == 1 and (texts[0] or "").startswith("LEAD coverage gap")
        assert "gap risk: in rotation Tier 1" in as_supervisor.text("/people")


class TestLastSupervisor:
    """Two supervisors removing each other at once: the second change is refused in words."""

    @pytest.fixture
    def other(self, app: Flask, supervisor: User, monkeypatch: pytest.MonkeyPatch) -> User:
        """Return a second supervisor, who demotes the signed-in one while a request runs."""
        other = add_user(app, "Ola Berg", "supervisor")
        real_lock = people_service.lock_supervisors

        def demoted_meanwhile(session: Session) -> None:
            with session_scope(app) as elsewhere:
                elsewhere.execute(
                    update(User).where(User.id == supervisor.id).values(role="coordinator")
                )
            real_lock(session)

        monkeypatch.setattr(people_service, "lock_supervisors", demoted_meanwhile)
        return other

    def test_the_edit_form_refuses_to_demote_the_last_supervisor(
        self, app: Flask, as_supervisor: Web, other: User
    ) -> None:
        answer = as_supervisor.post(
            f"/people/users/{other.id}", edit_form(other, role="coordinator")
        )
        assert answer.status_code == 409
        # The signer is no longer a supervisor, so the page has no form: the reason is at the top.
        assert "Nothing was saved: This is the last active supervisor" in answer.get_data(
            as_text=True
        )
        row = stored(app, other.email)
        assert row is not None and row.role == "supervisor"

    def test_the_deactivate_button_refuses_the_last_supervisor(
        self, app: Flask, as_supervisor: Web, other: User
    ) -> None:
        answer = as_supervisor.post(f"/people/users/{other.id}/deactivate", follow_redirects=True)
        assert "Ola Berg was not changed: this is the last active supervisor" in answer.get_data(
            as_text=True
        )
        row = stored(app, other.email)
        assert row is not None and row.active
