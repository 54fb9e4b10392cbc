"""`hotline serve` serves the program DATABASE_URL names, in development mode."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from hotline.cli import main
from hotline.cli import serve as serve_module


def test_serve_migrates_and_serves_the_program_database_url_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'program.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("HOTLINE_ENV", "development")
    served: dict[str, Any] = {}

    def run_simple(host: str, port: int, app: Any, **options: Any) -> None:
        served.update(host=host, port=port, app=app, reloader=options["use_reloader"])

    class Clock:
        def start(self) -> None:
            served["clock"] = "started"

        def shutdown(self, wait: bool) -> None:
            served["clock"] = "stopped"

    monkeypatch.setattr(serve_module, "run_simple", run_simple)
    monkeypatch.setattr(serve_module, "build_scheduler", lambda app: Clock())
    result = CliRunner().invoke(main, ["serve", "--port", "5099"])
    assert result.exit_code == 0, result.output
    assert "http://127.0.0.1:5099/" in result.output and url in result.output
    app = served["app"]
    assert (served["host"], served["port"], served["reloader"]) == ("127.0.0.1", 5099, False)
    assert app.config["DATABASE_URL"] == url and app.config["HOTLINE_SIMULATOR"]
    assert served["clock"] == "stopped"  # one in-process clock, stopped with the server
    with app.test_client() as client:  # migrated: the login page reads the users table
        assert client.get("/login").status_code == 200


def test_serve_reports_a_bad_database_url_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    monkeypatch.setenv("HOTLINE_ENV", "development")
    result = CliRunner().invoke(main, ["serve"])
    assert result.exit_code == 1
    assert (
        result.output.startswith("Error: database unavailable") and "Traceback" not in result.output
    )


@pytest.mark.parametrize("env", [None, "production", " Production "])
@pytest.mark.parametrize(
    "command", [["serve"], ["simulate", "sms", "--from", "+12065550177", "HELP"]]
)
def test_a_shell_set_for_production_is_refused_before_its_database_is_touched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, env: str | None, command: list[str]
) -> None:
    # A production shell (`heroku run`, a server's own) exports its DATABASE_URL, and
    # HOTLINE_ENV is production or unset (production is the default). Serving or
    # simulating there would write made-up calls and texts among the real ones, start a
    # second clock in development mode, and open the simulator to anyone who signs in.
    database = tmp_path / "production.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{database}")
    if env is None:
        monkeypatch.delenv("HOTLINE_ENV", raising=False)
    else:
        monkeypatch.setenv("HOTLINE_ENV", env)
    monkeypatch.setattr(serve_module, "run_simple", lambda *args, **kw: pytest.fail("served"))
    result = CliRunner().invoke(main, command)
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "Error: DATABASE_URL names a program and HOTLINE_ENV is not development: this command "
        "runs only on a development program (export HOTLINE_ENV=development for one of your own)."
    ]
    assert not database.exists()  # neither migrated nor written
