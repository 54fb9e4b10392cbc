"""`hotline calendar rotate` replaces the feed's secret URL."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from tests.api.conftest import Api, add_user, token_for


def test_rotate_prints_a_new_url_and_the_old_one_is_404(
    app: Flask, runner: FlaskCliRunner, client: FlaskClient
) -> None:
    supervisor_api = Api(client, token_for(app, add_user(app, "supervisor", "Sam")))
    old = supervisor_api.get("/calendar").json["url"].removeprefix("http://localhost")
    assert client.get(old).status_code == 200

    result = runner.invoke(args=["calendar", "rotate"])

    assert result.exit_code == 0, result.output
    new_url = result.output.strip().splitlines()[-1]
    assert new_url.startswith("http://localhost/api/v1/calendar/") and new_url.endswith(".ics")
    new = new_url.removeprefix("http://localhost")
    assert new != old
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200
    assert supervisor_api.get("/calendar").json["url"] == new_url


def test_rotate_works_before_the_feed_was_ever_asked_for(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["calendar", "rotate"])
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith(".ics")
