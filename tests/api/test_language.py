"""Each user and officer has a language (en/es); the program's is the default (SPEC §2, §8)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner

from hotline import create_app
from hotline.config import ConfigError
from tests.api.conftest import Api

USER = {
    "name": "Ana Diaz",
    "email": "ana@example.org",
    "phone": "+12065550142",
    "role": "coordinator",
}
OFFICER = {"name": "Officer Ruiz", "badge": "815", "agency": "SPD", "phone": "+12065550181"}


class TestTheProgramsLanguageIsTheDefault:
    def test_people_added_without_a_language_get_english(self, supervisor_api: Api) -> None:
        assert supervisor_api.post("/users", USER).json["language"] == "en"
        assert supervisor_api.post("/officers", OFFICER).json["language"] == "en"

    def test_a_given_language_is_kept_and_can_change(self, supervisor_api: Api) -> None:
        officer = supervisor_api.post("/officers", {**OFFICER, "language": "es"}).json
        assert officer["language"] == "es"
        changed = supervisor_api.patch(f"/officers/{officer['id']}", {"language": "en"})
        assert changed.json["language"] == "en"

    def test_an_unknown_language_is_422_naming_it(self, supervisor_api: Api) -> None:
        answer = supervisor_api.post("/users", {**USER, "language": "fr"})
        assert (answer.status_code, answer.json["error"]["field"]) == (422, "language")


class TestASpanishProgram:
    @pytest.fixture
    def app_config(self, app_config: dict[str, Any]) -> dict[str, Any]:
        return {**app_config, "HOTLINE_LANGUAGE": "es"}

    def test_people_added_without_a_language_get_spanish(
        self, supervisor_api: Api, runner: FlaskCliRunner, tmp_path: Path
    ) -> None:
        assert supervisor_api.post("/users", USER).json["language"] == "es"
        assert (
            supervisor_api.post("/officers", {**OFFICER, "language": "en"}).json["language"] == "en"
        )
        added = runner.invoke(
            args=[
                "officer",
                "add",
                "--name",
                "B",
                "--badge",
                "9",
                "--agency",
                "SPD",
                "--phone",
                "+12065550182",
            ]
        )
        assert added.exit_code == 0, added.output
        roster = tmp_path / "roster.csv"
        roster.write_text(
            "name,badge,agency,phone,language\nC,10,SPD,+12065550183,en\nD,11,SPD,+12065550184,\n"
        )
        assert runner.invoke(args=["officer", "import", str(roster)]).exit_code == 0
        officers = {o["name"]: o["language"] for o in supervisor_api.get("/officers").json["items"]}
        assert (officers["B"], officers["C"], officers["D"]) == ("es", "en", "es")


def test_an_unknown_program_language_stops_the_start(app_config: dict[str, Any]) -> None:
    with pytest.raises(ConfigError, match="HOTLINE_LANGUAGE must be one of en, es"):
        create_app({**app_config, "HOTLINE_LANGUAGE": "fr"})


def test_the_cli_takes_a_language(app: Flask, runner: FlaskCliRunner, supervisor_api: Api) -> None:
    added = runner.invoke(
        args=[
            "user",
            "add",
            "--name",
            "Eva",
            "--email",
            "eva@example.org",
            "--phone",
            "+12065550185",
            "--role",
            "coordinator",
            "--language",
            "es",
        ]
    )
    assert added.exit_code == 0, added.output
    [eva] = [u for u in supervisor_api.get("/users").json["items"] if u["name"] == "Eva"]
    assert eva["language"] == "es"
