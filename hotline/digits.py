"""Read whole numbers written in the digits 0-9.

`str.isdigit()` also takes superscripts and other scripts' digits, some of
which `int()` then refuses (a 500) and some of which it reads (a number the
person never meant): a phone's keyboard offers both.
"""

from __future__ import annotations

import re
import unicodedata

_SIGNED = re.compile(r"-?[0-9]+")


def ascii_number(text: str, max_digits: int = 9) -> int | None:
    """Return the whole number `text` spells in 0-9 (at most max_digits), or None."""
    if 0 < len(text) <= max_digits and text.isascii() and text.isdigit():
        return int(text)
    return None


def signed_number(text: str, max_digits: int = 12) -> int | None:
    """Return the integer `text` spells as 0-9 after an optional minus, or None."""
    if len(text) <= max_digits and _SIGNED.fullmatch(text):
        return int(text)
    return None


def decimal_digits(text: str) -> str | None:
    """Return `text` in the digits 0-9 when every character is a decimal digit, else None.

    Fullwidth and other scripts' decimal digits (a phone's keyboard) read as the
    number they spell; superscripts and the like are no digits of a number.
    """
    if not text or not all(char.isdecimal() for char in text):
        return None
    return "".join(str(unicodedata.decimal(char)) for char in text)
