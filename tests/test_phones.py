"""Phone numbers typed by people become E.164; logs see them masked."""

from __future__ import annotations

import pytest

from hotline.phones import mask_phone, parse_phone


class TestParsePhone:
    """parse_phone returns E.164 or raises ValueError with a readable reason."""

    @pytest.mark.parametrize(
        ("text", "region", "expected"),
        [
            ("(206) 555-0100", "US", "+12065550100"),
            ("206.555.0199", "US", "+12065550199"),
            ("1 206 555 0123", "US", "+12065550123"),
            ("+1 206 555 0123", "GB", "+12065550123"),
            ("+44 20 7946 0000", "US", "+442079460000"),
            ("020 7946 0000", "GB", "+442079460000"),
            ("+447911123456", "US", "+447911123456"),
        ],
    )
    def test_accepts(self, text: str, region: str, expected: str) -> None:
        assert parse_phone(text, region) == expected

    @pytest.mark.parametrize(
        "text",
        [
            "",
            "hello",
            "12",
            "555-0100",  # no area code
            "+1 555 555 0100",  # 555 is not an area code
            "+44 20 7946",  # too short
            "(206) 555-0100 ext. 12",  # an extension cannot be dialled
        ],
    )
    def test_rejects(self, text: str) -> None:
        with pytest.raises(ValueError, match=r"phone|extension"):
            parse_phone(text, "US")

    def test_error_message_does_not_echo_the_input(self) -> None:
        with pytest.raises(ValueError) as caught:
            parse_phone("call 206 555 01", "US")
        assert "206" not in str(caught.value)


class TestMaskPhone:
    """mask_phone keeps the country code and the last four digits."""

    @pytest.mark.parametrize(
        ("e164", "expected"),
        [
            ("+12065550123", "+1******0123"),
            ("+442079460000", "+44******0000"),
            ("not-a-number", "********mber"),
            ("+1206", "+1***"),
            ("", ""),
        ],
    )
    def test_masks(self, e164: str, expected: str) -> None:
        assert mask_phone(e164) == expected
