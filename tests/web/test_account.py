"""Anyone signed in changes their own password, without a supervisor or the command line."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select
from werkzeug.test import TestResponse

from hotline.db import session_scope
from hotline.models import AuditEvent, User
from tests.factories import add_user
from tests.web.conftest import PASSWORD, Web
from tests.web.page_elements import read

NEW = "a much longer passphrase"
ANNOUNCED = "Nothing was saved: correct the fields marked below."


def signed_in(app: Flask, user: User, password: str = PASSWORD) -> Web:
    """Return a browser of its own, signed in as `user`."""
    web = Web(app.test_client())
    assert web.login(user, password).status_code == 302
    return web


def change(web: Web, current: str, new: str = NEW, again: str | None = None) -> TestResponse:
    """Post the form: the current password, the new one and (unless `again`) the same again."""
    form = {"current_password": current, "new_password": new, "new_password_again": again or new}
    return web.post("/account/password", form)


def test_a_coordinator_changes_their_password_and_signs_in_with_the_new_one(
    app: Flask, coordinator: User
) -> None:
    web = signed_in(app, coordinator)
    assert 'href="/account/password"' in web.text("/")  # beside the name and Sign out
    assert change(web, PASSWORD).status_code == 302
    assert "Your password is changed." in web.text("/")  # this browser stays signed in
    assert Web(app.test_client()).login(coordinator, PASSWORD).status_code == 401
    assert Web(app.test_client()).login(coordinator, NEW).status_code == 302
    with session_scope(app) as session:
        kinds = session.scalars(
            select(AuditEvent.action).where(AuditEvent.entity_id == coordinator.id)
        ).all()
        assert "set_password" in kinds


def test_a_new_password_ends_the_sign_ins_on_other_browsers(app: Flask, coordinator: User) -> None:
    phone, laptop = signed_in(app, coordinator), signed_in(app, coordinator)
    assert change(laptop, PASSWORD).status_code == 302
    answer = phone.get("/")
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]
    assert laptop.get("/").status_code == 200


def test_a_wrong_current_password_changes_nothing_and_is_marked(
    app: Flask, coordinator: User
) -> None:
    web = signed_in(app, coordinator)
    answer = change(web, "guess")
    assert answer.status_code == 422
    page = read(answer.get_data(as_text=True))
    assert any(ANNOUNCED in " ".join(alert.split()) for alert in page.alerts), page.alerts
    assert page.named["current_password"][0].get("aria-invalid") == "true"
    assert "This is not your current password." in answer.get_data(as_text=True)
    assert Web(app.test_client()).login(coordinator, PASSWORD).status_code == 302


def test_a_short_or_mistyped_new_password_is_refused_beside_its_box(
    app: Flask, coordinator: User
) -> None:
    web = signed_in(app, coordinator)
    short = change(web, PASSWORD, "short")
    assert short.status_code == 422
    assert read(short.get_data(as_text=True)).named["new_password"][0].get("aria-invalid")
    assert "Use at least 10 characters." in short.get_data(as_text=True)
    assert change(web, PASSWORD, NEW, again=NEW + "!").status_code == 422
    assert Web(app.test_client()).login(coordinator, PASSWORD).status_code == 302


def test_guessing_the_current_password_counts_toward_the_lock_out(
    app: Flask, coordinator: User
) -> None:
    # A session left open on a shared computer may not try passwords without limit.
    web = signed_in(app, coordinator)
    for _ in range(10):
        assert change(web, "wrong guess").status_code == 422
    answer = change(web, PASSWORD)
    assert answer.status_code == 422
    assert "locked for 15 minutes" in answer.get_data(as_text=True)
    assert Web(app.test_client()).login(coordinator, PASSWORD).status_code == 401


def test_a_refused_new_password_is_not_counted_as_a_failed_sign_in(
    app: Flask, coordinator: User
) -> None:
    web = signed_in(app, coordinator)
    for _ in range(10):  # the right current password, a new one too short each time
        assert change(web, PASSWORD, "short").status_code == 422
    assert Web(app.test_client()).login(coordinator, PASSWORD).status_code == 302


def test_someone_who_signs_in_through_single_sign_on_is_told_there_is_no_password_here(
    app: Flask,
) -> None:
    cora = add_user(app, "Cora Lee", "coordinator", password=PASSWORD)
    web = signed_in(app, cora)
    with session_scope(app) as session:
        session.get_one(User, cora.id).password_hash = None
    page = web.text("/account/password")
    assert "single sign-on" in page and 'name="new_password"' not in page
    assert change(web, PASSWORD).status_code == 409
