"""A second factor at sign-in: enrolment, a code once, recovery codes once, lock-out, reset."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pyotp
import pytest
from flask import Flask
from sqlalchemy import select

from hotline.cli import main
from hotline.db import session_scope
from hotline.models import AuditEvent, User
from hotline.services.second_factor import check_code, code_step
from tests.factories import add_user
from tests.web.conftest import PASSWORD, Web, csrf_token


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    """Require the second factor, as production does by default."""
    return {**app_config, "HOTLINE_REQUIRE_MFA": True}


def sign_in(web: Web, user: User) -> Any:
    """Post the right password; return the answer (the second step, not a session)."""
    return web.login(user)


def enrol(web: Web) -> tuple[str, list[str]]:
    """Enrol on the page the password led to; return the secret and the recovery codes."""
    page = web.text("/login/enrol")
    secret = re.search(r'<code id="totp-secret">([A-Z2-7 ]+)</code>', page)
    assert secret, "the secret is shown as text"
    plain = secret.group(1).replace(" ", "")
    web.token = csrf_token(page)
    answer = web.post("/login/enrol", {"code": pyotp.TOTP(plain).now()})
    assert answer.status_code == 200, answer.status_code
    shown = answer.get_data(as_text=True)
    codes = re.findall(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>", shown)
    return plain, codes


def test_a_first_sign_in_enrols_and_shows_ten_recovery_codes_once(app: Flask, client: Any) -> None:
    ana = add_user(app, "Ana Diaz", password=PASSWORD)
    web = Web(client)
    assert sign_in(web, ana).headers["Location"] == "/login/enrol"
    secret, codes = enrol(web)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert web.get("/").status_code == 200  # signed in now
    with session_scope(app) as session:
        row = session.get_one(User, ana.id)
        assert row.totp_secret == secret
        assert codes[0] not in str(row.recovery_hashes)  # only hashes are kept
        assert session.scalars(select(AuditEvent.action)).all()[-1] == "enrol"


def test_between_password_and_code_no_other_page_opens(app: Flask, client: Any) -> None:
    ana = add_user(app, "Ana Diaz", password=PASSWORD)
    web = Web(client)
    sign_in(web, ana)
    for path in ("/", "/referrals", "/schedule", "/people"):
        answer = web.get(path)
        assert answer.status_code == 302 and answer.headers["Location"] == "/login/enrol", path


def test_the_next_sign_in_asks_for_a_code_and_accepts_each_once(app: Flask, client: Any) -> None:
    ana = add_user(app, "Ana Diaz", password=PASSWORD)
    secret, _ = enrol_fresh(app, ana)
    web = Web(app.test_client())
    assert sign_in(web, ana).headers["Location"] == "/login/code"
    web.token = csrf_token(web.text("/login/code"))
    with session_scope(app) as session:
        last = session.get_one(User, ana.id).totp_last_step
    assert last is not None
    # The code the enrolment itself accepted cannot be replayed.
    assert (
        web.post("/login/code", {"code": pyotp.TOTP(secret).generate_otp(last)}).status_code == 401
    )
    following = pyotp.TOTP(secret).generate_otp(last + 1)  # the next step's: accepted
    assert web.post("/login/code", {"code": following}).status_code == 302
    assert web.get("/").status_code == 200


def enrol_fresh(app: Flask, user: User) -> tuple[str, list[str]]:
    """Enrol `user` through the pages in a browser of its own; sign that browser out."""
    web = Web(app.test_client())
    sign_in(web, user)
    return enrol(web)


def test_a_recovery_code_works_once(app: Flask) -> None:
    ana = add_user(app, "Ana Diaz", password=PASSWORD)
    _, codes = enrol_fresh(app, ana)
    first = Web(app.test_client())
    sign_in(first, ana)
    first.token = csrf_token(first.text("/login/code"))
    assert first.post("/login/code", {"code": codes[3].upper()}).status_code == 302
    again = Web(app.test_client())
    sign_in(again, ana)
    again.token = csrf_token(again.text("/login/code"))
    assert again.post("/login/code", {"code": codes[3]}).status_code == 401  # used up
    assert again.post("/login/code", {"code": codes[4]}).status_code == 302


def test_wrong_codes_count_toward_the_lock_out(app: Flask) -> None:
    ana = add_user(app, "Ana Diaz", password=PASSWORD)
    secret, _ = enrol_fresh(app, ana)
    web = Web(app.test_client())
    sign_in(web, ana)
    web.token = csrf_token(web.text("/login/code"))
    for _ in range(10):
        assert web.post("/login/code", {"code": "000000"}).status_code == 401
    step = int(datetime.now(UTC).timestamp()) // 30
    right = pyotp.TOTP(secret).generate_otp(step + 1)
    locked = web.post("/login/code", {"code": right})
    assert locked.status_code == 401 and "locked for 15 minutes" in locked.get_data(as_text=True)
    assert Web(app.test_client()).login(ana).status_code == 401  # the password is locked too


def test_a_supervisor_resets_a_lost_phone_and_it_is_audited(app: Flask) -> None:
    ana = add_user(app, "Ana Diaz", password=PASSWORD)
    sam = add_user(app, "Sam Reyes", "supervisor", password=PASSWORD)
    enrol_fresh(app, ana)
    boss = Web(app.test_client())
    sign_in(boss, sam)
    enrol(boss)
    page = boss.text(f"/people/users/{ana.id}")
    assert 'id="reset-mfa"' in page
    boss.token = csrf_token(page)
    assert boss.post(f"/people/users/{ana.id}/reset-mfa").status_code == 302
    with session_scope(app) as session:
        assert session.get_one(User, ana.id).totp_secret is None
        event = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert event is not None and (event.action, event.actor_id) == ("reset", sam.id)
    assert Web(app.test_client()).login(ana).headers["Location"] == "/login/enrol"


def test_the_command_line_resets_the_factor_too(app: Flask) -> None:
    ana = add_user(app, "Ana Diaz", password=PASSWORD)
    enrol_fresh(app, ana)
    result = app.test_cli_runner().invoke(
        main, ["user", "set", "--email", ana.email, "--reset-mfa"]
    )
    assert result.exit_code == 0, result.output
    assert "set up a new one at their next sign-in" in result.output
    with session_scope(app) as session:
        assert session.get_one(User, ana.id).totp_secret is None
        assert session.scalars(select(AuditEvent.channel)).all()[-1] == "cli"


def test_without_the_requirement_an_unenrolled_user_signs_in_with_a_password(
    app: Flask,
) -> None:
    app.config["HOTLINE_REQUIRE_MFA"] = False
    ana = add_user(app, "Ana Diaz", password=PASSWORD)
    web = Web(app.test_client())
    assert web.login(ana).headers["Location"] == "/"


def test_codes_are_checked_by_time_step() -> None:
    secret = pyotp.random_base32()
    at = datetime(2027, 1, 5, 12, 0, 15, tzinfo=UTC)
    step = int(at.timestamp()) // 30
    totp = pyotp.TOTP(secret)
    assert code_step(secret, totp.generate_otp(step - 1), at) == step - 1
    assert code_step(secret, totp.generate_otp(step - 2), at) is None  # two steps old
    assert code_step(secret, "12345", at) is None and code_step(secret, "abcdef", at) is None
    user = User(totp_secret=secret, totp_last_step=step, recovery_hashes=[])
    assert check_code(user, totp.generate_otp(step), at) is None  # this step's code: used
