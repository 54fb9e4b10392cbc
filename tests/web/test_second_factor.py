"""A second factor at sign-in: enrolment, a code once, recovery codes once, lock-out, reset."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

import pyotp
import pytest
from flask import Flask
from sqlalchemy import select

from hotline.cli import main
from hotline.db import session_scope
from hotline.models import AuditEvent, User
from hotline.services import second_factor
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


@pytest.mark.parametrize("target", ["/\\evil.example/x", "/\\/evil.example/x", "/\\\\evil.example"])
def test_the_continue_link_after_enrolment_never_leaves_the_site(
    app: Flask, client: Any, target: str
) -> None:
    # A browser reads a backslash in a link as a slash: "/\\evil.example" opens evil.example.
    ana = add_user(app, "Ana Diaz", password=PASSWORD)
    web = Web(client)
    web.token = csrf_token(web.text("/login"))
    answer = web.client.post(
        "/login",
        query_string={"next": target},
        data={"email": ana.email, "password": PASSWORD, "csrf_token": web.token},
    )
    assert answer.headers["Location"] == "/login/enrol"
    page = web.text("/login/enrol")
    web.token = csrf_token(page)
    secret = re.search(r'<code id="totp-secret">([A-Z2-7 ]+)</code>', page)
    assert secret
    shown = web.post("/login/enrol", {"code": pyotp.TOTP(secret.group(1).replace(" ", "")).now()})
    link = re.search(r'<a class="button" href="([^"]*)">', shown.get_data(as_text=True))
    assert link
    # A browser takes what follows two or more leading slashes (or backslashes) as a host.
    assert re.match(r"/(?![/\\])", link.group(1)), link.group(1)


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
    assert code_step(secret, "١٢٣٤٥٦", at) is None  # digits, but not the ones a code has


def test_a_step_once_accepted_is_refused_again(app: Flask) -> None:
    ana = add_user(app, "Ana Diaz", password=PASSWORD)
    secret, _ = enrol_fresh(app, ana)
    at = datetime.now(UTC)
    step = int(at.timestamp()) // 30 + 1  # not the enrolment's step
    code = pyotp.TOTP(secret).generate_otp(step)
    with session_scope(app) as session:
        assert check_code(session, session.get_one(User, ana.id), code, at) == "code"
    with session_scope(app) as session:
        assert check_code(session, session.get_one(User, ana.id), code, at) is None


def at_code_form(app: Flask, user: User) -> Web:
    """Return a browser past the password of an enrolled user, at the code form."""
    web = Web(app.test_client())
    assert sign_in(web, user).headers["Location"] == "/login/code"
    web.token = csrf_token(web.text("/login/code"))
    return web


class ById(HTMLParser):
    """Collect the attributes of each element that has an id."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.elements: dict[str, dict[str, str | None]] = {}
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if named.get("id"):
            self.elements[str(named["id"])] = named


def test_a_phone_can_type_a_recovery_code_with_its_letters(app: Flask) -> None:
    # inputmode="numeric" gives a phone a pad of digits alone: no recovery code can be typed.
    ana = add_user(app, "Ana Diaz", password=PASSWORD)
    _, codes = enrol_fresh(app, ana)
    web = at_code_form(app, ana)
    form = ById(web.text("/login/code")).elements
    assert form["code"].get("inputmode") == "numeric"  # the 6-digit code keeps its digit pad
    recovery_address = form["use-recovery"]["href"]
    assert recovery_address
    recovery = ById(web.text(recovery_address)).elements
    assert recovery["code"].get("inputmode") in (None, "text")
    assert recovery["code"].get("autocapitalize") == "none"
    assert web.post(recovery_address, {"code": codes[0]}).status_code == 302
    assert web.get("/").status_code == 200


@pytest.mark.parametrize("code", ["١٢٣٤٥٦", "۱۲۳۴۵۶", "¹²³⁴⁵⁶"])
def test_a_code_in_other_digits_is_refused_not_a_crash(app: Flask, code: str) -> None:
    # A phone's own keyboard can type Arabic-Indic or Persian digits.
    ana = add_user(app, "Ana Diaz", password=PASSWORD)
    enrol_fresh(app, ana)
    web = at_code_form(app, ana)
    answer = web.post("/login/code", {"code": code})
    assert answer.status_code == 401, answer.status_code
    assert "That code is not right" in answer.get_data(as_text=True)
    bob = add_user(app, "Bob Ray", password=PASSWORD)  # not enrolled: the enrolment form
    enrolling = Web(app.test_client())
    sign_in(enrolling, bob)
    enrolling.token = csrf_token(enrolling.text("/login/enrol"))
    assert enrolling.post("/login/enrol", {"code": code}).status_code == 401


def test_a_wrong_code_marks_the_code_field_and_puts_the_cursor_back_in_it(app: Flask) -> None:
    ana = add_user(app, "Ana Diaz", password=PASSWORD)
    enrolling = Web(app.test_client())
    sign_in(enrolling, ana)
    enrolling.token = csrf_token(enrolling.text("/login/enrol"))
    refused = [enrolling.post("/login/enrol", {"code": "000000"})]
    enrol(enrolling)
    refused.append(at_code_form(app, ana).post("/login/code", {"code": "000000"}))
    for answer in refused:  # the enrolment's code, then the sign-in's
        assert answer.status_code == 401
        code = ById(answer.get_data(as_text=True)).elements["code"]
        assert code.get("aria-invalid") == "true" and "autofocus" in code
        assert "code-error" in (code.get("aria-describedby") or "").split()


def race_two_sign_ins(
    app: Flask, monkeypatch: pytest.MonkeyPatch, user: User, code: str
) -> dict[str, int]:
    """Post one code from two browsers, the second while the first is about to check it."""
    victim, attacker = at_code_form(app, user), at_code_form(app, user)
    real = second_factor.check_code
    answers: dict[str, int] = {}

    def interleaved(*args: Any, **kwargs: Any) -> Any:
        if "attacker" not in answers:  # the first request has read the user: the other runs now
            other = threading.Thread(
                target=lambda: answers.update(
                    attacker=attacker.post("/login/code", {"code": code}).status_code
                )
            )
            answers["attacker"] = 0
            other.start()
            other.join()
        return real(*args, **kwargs)

    monkeypatch.setattr(second_factor, "check_code", interleaved)
    answers["victim"] = victim.post("/login/code", {"code": code}).status_code
    return answers


def test_one_code_opens_one_session_even_when_two_sign_ins_race(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    ana = add_user(app, "Ana Diaz", password=PASSWORD)
    secret, _ = enrol_fresh(app, ana)
    step = int(datetime.now(UTC).timestamp()) // 30 + 1  # not the enrolment's step
    answers = race_two_sign_ins(app, monkeypatch, ana, pyotp.TOTP(secret).generate_otp(step))
    assert sorted(answers.values()) == [302, 401], answers


def test_one_recovery_code_opens_one_session_even_when_two_sign_ins_race(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    ana = add_user(app, "Ana Diaz", password=PASSWORD)
    _, codes = enrol_fresh(app, ana)
    answers = race_two_sign_ins(app, monkeypatch, ana, codes[0])
    assert sorted(answers.values()) == [302, 401], answers


def test_wrong_codes_sent_at_once_get_ten_checks_not_more(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    ana = add_user(app, "Ana Diaz", password=PASSWORD)
    enrol_fresh(app, ana)
    first, second = at_code_form(app, ana), at_code_form(app, ana)
    guesser = Web(app.test_client())
    for _ in range(9):
        assert guesser.login(ana, "wrong").status_code == 401
    real_check = second_factor.check_code
    answers: dict[str, str] = {}

    def second_code_meanwhile(*args: Any, **kwargs: Any) -> Any:
        if "second" not in answers:  # the tenth try is being checked: the eleventh comes
            answers["second"] = ""
            post = lambda: second.post("/login/code", {"code": "000000"})  # noqa: E731
            other = threading.Thread(target=lambda: answers.update(second=post().get_data(True)))
            other.start()
            other.join()
        return real_check(*args, **kwargs)

    monkeypatch.setattr(second_factor, "check_code", second_code_meanwhile)
    answers["first"] = first.post("/login/code", {"code": "000000"}).get_data(as_text=True)
    checked = [page for page in answers.values() if "locked for 15 minutes" not in page]
    assert len(checked) == 1, "one code is checked, the other is refused as locked out"
    assert "That code is not right" in checked[0]


def test_one_enrolment_sent_twice_at_once_enrols_once_with_the_codes_shown(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A phone on a weak connection sends the enrolment again while the first is being saved.
    ana = add_user(app, "Ana Diaz", password=PASSWORD)
    first = Web(app.test_client())
    sign_in(first, ana)
    page = first.text("/login/enrol")
    found = re.search(r'<code id="totp-secret">([A-Z2-7 ]+)</code>', page)
    assert found
    code = pyotp.TOTP(found.group(1).replace(" ", "")).now()
    first.token = csrf_token(page)
    again = Web(app.test_client(), token=first.token)
    cookie = first.client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert cookie is not None
    again.client.set_cookie(cookie.key, cookie.value)  # the same browser's second send
    real = second_factor.enrol
    answers: dict[str, Any] = {}

    def interleaved(*args: Any, **kwargs: Any) -> Any:
        if "again" not in answers:  # the first send is about to save: the second runs now
            answers["again"] = None
            post = lambda: again.post("/login/enrol", {"code": code})  # noqa: E731
            other = threading.Thread(target=lambda: answers.update(again=post()))
            other.start()
            other.join()
        return real(*args, **kwargs)

    monkeypatch.setattr(second_factor, "enrol", interleaved)
    answers["first"] = first.post("/login/enrol", {"code": code})
    shown = [
        re.findall(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>", a.get_data(as_text=True))
        for a in answers.values()
    ]
    shown = [codes for codes in shown if codes]
    assert len(shown) == 1, "one send enrols; the other finds it done"
    with session_scope(app) as session:
        kept = session.get_one(User, ana.id).recovery_hashes
        events = session.scalars(select(AuditEvent.action)).all()
    assert sorted(kept) == sorted(second_factor.hash_code(c) for c in shown[0])
    assert events.count("enrol") == 1
