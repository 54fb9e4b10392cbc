"""`hotline twilio check|configure` read and set the number's webhooks over Twilio's REST API."""

from __future__ import annotations

from typing import Any

import pytest
from click.testing import Result
from flask import Flask
from flask.testing import FlaskCliRunner

from hotline import create_app
from tests.messaging.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio
from tests.test_health import unused_loopback_port

HOTLINE = "+12065550100"
PUBLIC = "https://hotline.example.org"
STATUS = f"{PUBLIC}/voice/status#rc=5&rp=5xx,ct,rt"


@pytest.fixture
def app_config(app_config: dict[str, Any], fake_twilio: FakeTwilio) -> dict[str, Any]:
    """Give the app credentials for the fake Twilio, and point the REST client at it."""
    return {
        **app_config,
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "HOTLINE_PUBLIC_URL": PUBLIC,
        "TWILIO_API_BASE_URL": fake_twilio.url,
    }


def invoke(app: Flask, *args: str) -> Result:
    result = app.test_cli_runner().invoke(args=["twilio", *args])
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result


def test_configure_points_every_webhook_at_the_app_and_check_then_passes(
    app: Flask,
    fake_twilio: FakeTwilio,
) -> None:
    other = fake_twilio.add_number("+12065550999", voice_url="https://other.example.org/x")
    sid = fake_twilio.add_number(
        HOTLINE,
        voice_url="https://old.example.org/voice",
        voice_method="GET",
        voice_application_sid="AP" + "2" * 32,
    )

    configured = invoke(app, "configure")
    checked = invoke(app, "check")

    assert (configured.exit_code, checked.exit_code) == (0, 0)
    assert configured.output == checked.output
    number = fake_twilio.numbers[sid]
    assert (number["voice_url"], number["voice_method"]) == (f"{PUBLIC}/voice/incoming", "POST")
    assert (number["voice_fallback_url"], number["voice_fallback_method"]) == (
        f"{PUBLIC}/voice/fallback",
        "POST",
    )
    assert (number["status_callback"], number["status_callback_method"]) == (STATUS, "POST")
    assert (number["sms_url"], number["sms_method"]) == (f"{PUBLIC}/sms/incoming", "POST")
    assert (number["sms_fallback_url"], number["sms_fallback_method"]) == (
        f"{PUBLIC}/sms/fallback",
        "POST",
    )
    assert number["voice_application_sid"] is None  # a TwiML App would override the URLs
    assert fake_twilio.numbers[other]["voice_url"] == "https://other.example.org/x"
    lines = checked.output.splitlines()
    assert f"ok     Call status callback: POST {STATUS}" in lines
    assert all(line.startswith("ok") for line in lines[:-1])


def test_check_names_each_wrong_setting_with_what_it_should_be_and_exits_1(
    app: Flask,
    fake_twilio: FakeTwilio,
) -> None:
    fake_twilio.add_number(
        HOTLINE,
        voice_url=f"{PUBLIC}/voice/incoming",
        voice_fallback_url=f"{PUBLIC}/voice/fallback",
        status_callback=f"{PUBLIC}/voice/status",  # without the retries
        sms_url=f"{PUBLIC}/sms/incoming",
        sms_method="GET",
        trunk_sid="TK" + "3" * 32,
    )

    result = invoke(app, "check")

    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert f"ok     Voice URL: POST {PUBLIC}/voice/incoming" in lines
    assert f"wrong  Call status callback: POST {PUBLIC}/voice/status (expected POST {STATUS})" in (
        lines
    )
    assert (
        f"wrong  Messaging URL: GET {PUBLIC}/sms/incoming (expected POST {PUBLIC}/sms/incoming)"
        in lines
    )
    assert f"wrong  Messaging fallback URL: none (expected POST {PUBLIC}/sms/fallback)" in lines
    assert f"wrong  SIP trunk: TK{'3' * 32} (expected none)" in lines
    assert lines[-1] == f"{HOTLINE}: 4 wrong; `hotline twilio configure` sets them"
    assert fake_twilio.number_updates == []  # check changes nothing


def test_a_number_that_cannot_send_texts_fails_check_even_once_configured(
    app: Flask,
    fake_twilio: FakeTwilio,
) -> None:
    # A voice-only number takes the officers' calls and silently drops every text.
    fake_twilio.add_number(HOTLINE, capabilities={"voice": True, "sms": False, "mms": False})

    configured = invoke(app, "configure")
    checked = invoke(app, "check")

    assert (configured.exit_code, checked.exit_code) == (1, 1)
    lines = checked.output.splitlines()
    assert "ok     Voice capability: yes" in lines
    assert "wrong  SMS capability: no (expected yes)" in lines
    assert lines[-1] == (
        f"{HOTLINE}: no SMS capability, which no setting changes: "
        "make HOTLINE_NUMBER a Twilio number that has it"
    )
    assert all("configure` sets them" not in line for line in lines)  # it cannot


def one_line_error(result: Result) -> str:
    assert result.exit_code != 0
    [line] = result.output.strip().splitlines()
    assert line.startswith("Error: ")
    return line


@pytest.mark.parametrize("command", ["check", "configure"])
def test_a_number_missing_from_the_account_is_a_one_line_error(
    app: Flask,
    fake_twilio: FakeTwilio,
    command: str,
) -> None:
    fake_twilio.add_number("+12065550999")

    line = one_line_error(invoke(app, command))

    assert f"HOTLINE_NUMBER {HOTLINE} is not a phone number of Twilio account {ACCOUNT_SID}" in line
    assert fake_twilio.number_updates == []


@pytest.mark.parametrize("command", ["check", "configure"])
def test_wrong_credentials_are_a_one_line_error(
    app_config: dict[str, Any],
    fake_twilio: FakeTwilio,
    command: str,
) -> None:
    fake_twilio.add_number(HOTLINE)
    app = create_app({**app_config, "TWILIO_AUTH_TOKEN": "wrong"})

    line = one_line_error(invoke(app, command))

    assert "Twilio refused the credentials (HTTP 401)" in line


def test_twilio_out_of_reach_is_a_one_line_error(app_config: dict[str, Any]) -> None:
    unreachable = f"http://127.0.0.1:{unused_loopback_port()}"
    app = create_app({**app_config, "TWILIO_API_BASE_URL": unreachable})

    assert one_line_error(invoke(app, "configure")) == "Error: could not connect to Twilio's API"


def test_twilio_failing_is_a_one_line_error(app: Flask, fake_twilio: FakeTwilio) -> None:
    fake_twilio.down = True

    assert "Twilio answered HTTP 503" in one_line_error(invoke(app, "check"))


@pytest.mark.parametrize("command", ["check", "configure"])
def test_an_answer_that_is_not_twilios_json_is_a_one_line_error(
    app: Flask,
    fake_twilio: FakeTwilio,
    command: str,
) -> None:
    fake_twilio.add_number(HOTLINE)
    fake_twilio.garbled = True  # a proxy's page, say, in place of Twilio's answer

    assert "Twilio's answer could not be read" in one_line_error(invoke(app, command))
    assert fake_twilio.number_updates == []


# (Production refuses to start without TWILIO_AUTH_TOKEN; development generates one.)
@pytest.mark.parametrize("missing", ["TWILIO_ACCOUNT_SID", "HOTLINE_NUMBER", "HOTLINE_PUBLIC_URL"])
def test_a_missing_setting_is_named_in_one_line(
    app_config: dict[str, Any], runner: FlaskCliRunner, missing: str
) -> None:
    app = create_app({**app_config, missing: None})

    assert missing in one_line_error(invoke(app, "check"))
