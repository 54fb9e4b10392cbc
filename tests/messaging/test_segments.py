"""Coordinator alerts stay within two SMS segments, whatever the name and place."""

from __future__ import annotations

import pytest

from hotline.messaging.segments import fit, is_gsm, segments


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("é" * 160, 1),
        ("ł" * 70, 1),
        ("ł" * 71, 2),
        ("{" * 80, 1),
        ("{" * 81, 2),
    ],
)
def test_segments_count_like_carriers(text: str, expected: int) -> None:
    assert segments(text) == expected


def test_fit_shortens_only_the_free_text() -> None:
    head = (
        "LEAD #12345: Reply ACK 12345 to take it. "
        "Arrest diversion from Officer Smith (SPD) +12065550177."
    )
    fitted = fit(head, " " + "Jane " * 100 + "at 3rd and Pine.")
    assert fitted.startswith(head) and fitted.endswith("...")
    assert segments(fitted) == 2
    unicode = fit(head, " Zoë Łukasiewicz 🙂 at " + "Ω" * 300)
    assert unicode.startswith(head) and segments(unicode) <= 2 and not is_gsm(unicode)
