"""`hotline simulate call` walks a newcomer through the voice flow without Twilio."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import select
from werkzeug.serving import make_server

from hotline.cli import main
from hotline.cli import simulate as simulate_module
from hotline.cli.demo import demo_app
from hotline.db import session_scope
from hotline.demo import seed, utcnow
from hotline.models import User
from tests.web.conftest import Web


@pytest.fixture
def demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Flask:
    """Point the in-process simulation at a demo app of the test's own."""
    monkeypatch.delenv("DATABASE_URL", raising=False)  # unset: the demo's database
    app = demo_app(reset=False, instance_path=tmp_path)
    monkeypatch.setattr(simulate_module, "demo_app", lambda reset: app)
    return app


def test_with_database_url_set_the_simulation_writes_to_that_program(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'program.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("HOTLINE_ENV", "development")
    monkeypatch.setattr(simulate_module, "demo_app", lambda reset: pytest.fail("used the demo"))
    runner = CliRunner()
    assert runner.invoke(main, ["db", "upgrade"]).exit_code == 0
    added = runner.invoke(
        main,
        ["officer", "add", "--name", "Officer Kay", "--badge", "77", "--agency", "SPD",
         "--phone", "+12065550177"],
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    result = runner.invoke(main, ["simulate", "sms", "--from", "+12065550177", "HELP"])
    assert result.exit_code == 0, result.output
    assert "REFER" in result.output  # the HELP reply lists the commands
    from hotline.models import Message

    with session_scope(simulate_module.local_app() or pytest.fail("no app")) as session:
        bodies = [m.body for m in session.query(Message).filter_by(direction="in")]
    assert bodies == ["HELP"]  # in this program's database, not the demo's


def test_in_process_call_prints_what_the_caller_hears_and_the_texts(demo: Flask) -> None:
    result = CliRunner().invoke(
        main, ["simulate", "call", "--from", "+12065550150", "--outcome", "busy,no-answer"]
    )
    assert result.exit_code == 0, result.output
    assert (
        "Thank you, Officer Smith, connecting you to the LEAD coordinator on call." in result.output
    )
    assert "busy" in result.output and "Nobody could take the call." in result.output
    assert "text  to +1206555" in result.output and "left a voicemail" in result.output
    assert "Reply ACK" in result.output
    assert re.search(r"^Call CA\w+: not answered; \d+ s\.$", result.output, re.MULTILINE)
    assert "(nobody has taken it); missing: type" in result.output


def test_an_answered_call_says_what_its_referral_lacks_and_where_to_complete_it(
    demo: Flask,
) -> None:
    result = CliRunner().invoke(main, ["simulate", "call", "--from", "+12065550150"])
    assert result.exit_code == 0, result.output
    last_lines = result.output.strip().splitlines()[-2:]
    assert "(taken); missing: type, participant name, location, consent." in last_lines[0]
    number = last_lines[0].split("#")[1].split(":")[0]
    assert f"complete it on /referrals/{number}" in last_lines[1]
    assert f"PATCH /api/v1/referrals/{number}" in last_lines[1]


def test_unknown_caller_keys_a_badge(demo: Flask) -> None:
    result = CliRunner().invoke(
        main, ["simulate", "call", "--from", "+12065550999", "--press", "5120"]
    )
    assert "Thank you. Connecting you" in result.output
    assert "answered by +1206555" in result.output


def test_twilio_status_words_are_understood(demo: Flask) -> None:
    args = ["simulate", "call", "--from", "+12065550150", "--outcome", "completed,no-answer"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "outcome=voicemail" in result.output and ": not answered;" in result.output


def test_bad_outcome_is_one_line(demo: Flask) -> None:
    result = CliRunner().invoke(
        main, ["simulate", "call", "--from", "+12065550150", "--outcome", "maybe"]
    )
    assert result.exit_code != 0
    assert result.output.strip().splitlines() == [
        "Error: --outcome: 'maybe' is not one of "
        "accept, voicemail, decline, no-answer, busy, failed"
    ]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["call", "--from", "notaphone"], "Error: --from: 'notaphone' is not a phone number"),
        (["call", "--from", "+12065550150", "--to", "xyz"], "Error: --to: 'xyz' is not a phone"),
        (["call", "--from", "+12065550999", "--press", "4a11"], "Error: --press: '4a11' holds"),
        (["sms", "--from", "", "HELP"], "Error: --from: '' is not a phone number"),
    ],
)
def test_what_no_phone_could_send_is_one_line_and_reaches_nothing(
    demo: Flask, args: list[str], says: str
) -> None:
    from sqlalchemy import func, select

    from hotline.models import Call, Message

    result = CliRunner().invoke(main, ["simulate", *args])
    assert result.exit_code == 1, result.output
    assert len(result.output.strip().splitlines()) == 1, result.output
    assert result.output.startswith(says), result.output
    with session_scope(demo) as session:
        assert session.scalar(select(func.count()).select_from(Call)) == 0
        assert session.scalar(select(func.count()).select_from(Message)) == 0


@pytest.mark.parametrize(
    "url", ["http://[::1", "http://127.0.0.1:x", "http://exa mple.org", "ftp://127.0.0.1"]
)
def test_an_app_address_no_request_could_reach_is_one_line_naming_url(url: str) -> None:
    # An unclosed [ or a port that is no number printed a ValueError or InvalidURL traceback.
    args = ["simulate", "sms", "--from", "+12065550150", "--url", url, "--token", "t", "HELP"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert len(result.output.strip().splitlines()) == 1, result.output
    assert result.output.startswith("Error: Invalid value for '--url'"), result.output


def test_a_number_as_people_write_it_reaches_the_app_as_twilio_sends_it(demo: Flask) -> None:
    result = CliRunner().invoke(main, ["simulate", "sms", "--from", "(206) 555-0150", "HELP"])
    assert result.exit_code == 0, result.output
    assert "+12065550150 > HELP" in result.output  # E.164, as Twilio's From always is
    withheld = CliRunner().invoke(main, ["simulate", "call", "--from", "anonymous"])
    assert withheld.exit_code == 0, withheld.output  # a withheld number, as Twilio words it
    assert "Enter your badge number" in withheld.output


@pytest.fixture
def served(demo: Flask) -> Iterator[str]:
    """Serve the seeded demo app over real HTTP on a free loopback port."""
    with session_scope(demo) as session:
        seed(session, utcnow())
    server = make_server("127.0.0.1", 0, demo, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


def test_call_over_http_with_the_apps_token(demo: Flask, served: str) -> None:
    token = demo.config["TWILIO_AUTH_TOKEN"]
    args = ["simulate", "call", "--from", "+12065550150", "--url", served, "--token", token]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert f"POST {served}/voice/incoming  [status=200]" in result.output
    assert "answered by +1206555" in result.output
    wrong = CliRunner().invoke(main, [*args[:-1], "wrong-token"])
    assert "status=403" in wrong.output


def test_a_voicemail_left_in_process_plays_from_the_referral_page(demo: Flask) -> None:
    """The demo's referral page plays the voicemail a simulated call left, as its history's do."""
    args = ["simulate", "call", "--from", "+12065550150", "--outcome", "voicemail,busy,no-answer"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    found = re.search(r"^Referral #(\d+): ", result.output, re.MULTILINE)
    assert found is not None, result.output
    with session_scope(demo) as session:
        ana = session.scalars(select(User).where(User.email == "ana@demo.lead.example")).one()
    web = Web(demo.test_client())
    assert web.login(ana, "demo-password").status_code == 302
    page = web.text(f"/referrals/{found.group(1)}")
    link = re.search(r'<a href="([^"]+)">play the voicemail</a>', page)
    assert link is not None, page
    with web.get(link.group(1)) as answer:
        assert answer.status_code == 200 and answer.mimetype == "audio/wav"
