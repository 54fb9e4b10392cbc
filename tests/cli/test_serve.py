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
    monkeypatch.delenv("HOTLINE_ENV", raising=False)  # serve is development whatever it says
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
    result = CliRunner().invoke(main, ["serve"])
    assert result.exit_code == 1
    assert (
        result.output.startswith("Error: database unavailable") and "Traceback" not in result.output
    )
