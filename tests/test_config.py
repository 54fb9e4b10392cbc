"""Settings come from defaults, then the environment, then the caller, with proper types."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hotline import ConfigError, create_app


def settings(tmp_path: Path, **overrides: Any) -> dict[str, Any]:
    """Return the settings of an app created in development mode with `overrides`."""
    config = {"HOTLINE_ENV": "development", "INSTANCE_PATH": tmp_path, **overrides}
    return dict(create_app(config).config)


class TestDefaults:
    """Unset settings take SPEC §2's defaults."""

    def test_values(self, tmp_path: Path) -> None:
        config = settings(tmp_path)
        assert config["HOTLINE_TIMEZONE"] == "America/Los_Angeles"
        assert config["HOTLINE_DEFAULT_REGION"] == "US"
        assert config["HOTLINE_FALLBACK_NUMBERS"] == []
        assert config["HOTLINE_DIAL_TIMEOUT"] == 20
        assert config["HOTLINE_ACK_MINUTES"] == 10
        assert config["HOTLINE_INTAKE_DAYS"] == 30
        assert config["HOTLINE_SHIFT_NOTICE_MINUTES"] == 60
        assert config["HOTLINE_RETENTION_DAYS"] is None
        assert config["HOTLINE_NUMBER"] is None
        assert config["TWILIO_ACCOUNT_SID"] is None
        assert config["HOTLINE_PROXY_COUNT"] == 0


class TestEnvironment:
    """Environment variables are parsed to their types; the passed dict beats them."""

    def test_parses_types(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("HOTLINE_DIAL_TIMEOUT", "25")
        monkeypatch.setenv("HOTLINE_RETENTION_DAYS", "365")
        monkeypatch.setenv("HOTLINE_FALLBACK_NUMBERS", "+12065550101, (206) 555-0102,")
        monkeypatch.setenv("HOTLINE_NUMBER", "206-555-0100")
        monkeypatch.setenv("HOTLINE_PUBLIC_URL", "https://hotline.example.org/")
        config = settings(tmp_path)
        assert config["HOTLINE_DIAL_TIMEOUT"] == 25
        assert config["HOTLINE_RETENTION_DAYS"] == 365
        assert config["HOTLINE_FALLBACK_NUMBERS"] == ["+12065550101", "+12065550102"]
        assert config["HOTLINE_NUMBER"] == "+12065550100"
        assert config["HOTLINE_PUBLIC_URL"] == "https://hotline.example.org"

    def test_empty_variable_counts_as_unset(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("HOTLINE_DIAL_TIMEOUT", "")
        assert settings(tmp_path)["HOTLINE_DIAL_TIMEOUT"] == 20

    def test_a_time_zone_written_with_spaces_around_it_is_read_as_the_zone(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # Every other setting is read without the spaces a config panel or .env file leaves.
        monkeypatch.setenv("HOTLINE_TIMEZONE", " America/New_York ")
        assert settings(tmp_path)["HOTLINE_TIMEZONE"] == "America/New_York"

    def test_passed_dict_beats_environment(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("HOTLINE_ACK_MINUTES", "5")
        assert settings(tmp_path, HOTLINE_ACK_MINUTES=15)["HOTLINE_ACK_MINUTES"] == 15

    def test_passed_list_of_fallback_numbers(self, tmp_path: Path) -> None:
        config = settings(tmp_path, HOTLINE_FALLBACK_NUMBERS=["206 555 0103"])
        assert config["HOTLINE_FALLBACK_NUMBERS"] == ["+12065550103"]

    @pytest.mark.parametrize(
        ("given", "expected"),
        [
            ("postgres://u:p@db/hotline", "postgresql+psycopg://u:p@db/hotline"),
            ("postgresql://u@db/hotline", "postgresql+psycopg://u@db/hotline"),
            ("postgresql+psycopg://u@db/x", "postgresql+psycopg://u@db/x"),
            ("sqlite:////var/hotline.db", "sqlite:////var/hotline.db"),
        ],
    )
    def test_database_url_uses_psycopg(self, tmp_path: Path, given: str, expected: str) -> None:
        assert settings(tmp_path, DATABASE_URL=given)["DATABASE_URL"] == expected


class TestInvalid:
    """A malformed setting stops start-up with a one-line message naming it."""

    @pytest.mark.parametrize(
        ("name", "value"),
        [
            ("HOTLINE_ENV", "staging"),
            ("HOTLINE_DIAL_TIMEOUT", "twenty"),
            ("HOTLINE_ACK_MINUTES", "0"),
            ("HOTLINE_INTAKE_DAYS", "1.5"),
            ("HOTLINE_TIMEZONE", "Mars/Olympus"),
            ("HOTLINE_TIMEZONE", "US"),  # a folder of the zone database, not a zone
            ("HOTLINE_TIMEZONE", "localtime"),  # each host's own clock setting, not a zone
            ("HOTLINE_DEFAULT_REGION", "XX"),
            ("HOTLINE_FALLBACK_NUMBERS", "+12065550101,911"),
            ("HOTLINE_NUMBER", "hotline"),
            ("HOTLINE_PUBLIC_URL", "hotline.example.org"),
            ("HOTLINE_TRANSPORT", "carrier-pigeon"),
            ("HOTLINE_TRANSPORT", "twilio"),
            ("DATABASE_URL", "not a url"),
            ("DATABASE_URL", "oracle+nodriver://db/x"),
            ("HOTLINE_REFUSAL_LIMIT", "lots"),
            ("HOTLINE_PROXY_COUNT", "-1"),
            ("HOTLINE_PROXY_COUNT", "one"),
        ],
    )
    def test_names_the_setting(self, tmp_path: Path, name: str, value: str) -> None:
        with pytest.raises(ConfigError, match=name) as caught:
            settings(tmp_path, **{name: value})
        assert "\n" not in str(caught.value)


def test_a_fallback_number_that_is_the_hotline_itself_is_refused_at_start(tmp_path: Path) -> None:
    # Dialled when nobody answers, it would ring the hotline again: a call that loops.
    with pytest.raises(ConfigError) as caught:
        settings(
            tmp_path,
            HOTLINE_NUMBER="+12065550100",
            HOTLINE_FALLBACK_NUMBERS="+12065550199, (206) 555-0100",
        )
    assert str(caught.value) == (
        "HOTLINE_FALLBACK_NUMBERS holds HOTLINE_NUMBER +12065550100 itself: a call dialled "
        "there rings the hotline again; list the numbers of people who answer"
    )


def test_a_dial_timeout_longer_than_twilio_rings_is_refused_at_start(tmp_path: Path) -> None:
    # Twilio's <Dial timeout> is at most 600 s: a longer step would not ring as the setting says.
    assert settings(tmp_path, HOTLINE_DIAL_TIMEOUT="600")["HOTLINE_DIAL_TIMEOUT"] == 600
    with pytest.raises(ConfigError) as caught:
        settings(tmp_path, HOTLINE_DIAL_TIMEOUT="3600")
    assert str(caught.value) == "HOTLINE_DIAL_TIMEOUT must be at most 600, not 3600"


class TestSignInSettings:
    """The second factor's switch and single sign-on's three settings (SPEC §2, §9)."""

    def test_the_second_factor_is_on_in_production_and_off_in_development(
        self, tmp_path: Path
    ) -> None:
        production = settings(
            tmp_path,
            HOTLINE_ENV="production",
            SECRET_KEY="k" * 40,
            TWILIO_AUTH_TOKEN="t",
            HOTLINE_PUBLIC_URL="https://hotline.example.org",
        )
        assert create_app(production).config["HOTLINE_REQUIRE_MFA"] is True
        assert create_app(settings(tmp_path)).config["HOTLINE_REQUIRE_MFA"] is False
        pilot = create_app({**production, "HOTLINE_REQUIRE_MFA": "0"})
        assert pilot.config["HOTLINE_REQUIRE_MFA"] is False

    def test_a_bad_switch_or_half_an_oidc_setting_is_one_clear_error(self, tmp_path: Path) -> None:
        with pytest.raises(ConfigError, match="HOTLINE_REQUIRE_MFA must be 1 or 0"):
            create_app(settings(tmp_path, HOTLINE_REQUIRE_MFA="maybe"))
        with pytest.raises(ConfigError, match="single sign-on needs all of"):
            create_app(settings(tmp_path, HOTLINE_OIDC_ISSUER="https://id.example.org"))
