"""Phone numbers: parse what people type into E.164, and mask numbers for logs."""

from __future__ import annotations

import functools

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat

# Digits left visible at the end of a masked number, enough to tell phones apart.
VISIBLE_DIGITS = 4


# Parsing costs ~0.1 ms and every webhook parses its caller: the same few hundred
# numbers call all day, so their answers are kept (failures are not cached).
@functools.lru_cache(maxsize=4096)
def parse_phone(text: str, region: str) -> str:
    """Return `text` as an E.164 number, or raise ValueError saying why it is not one.

    `region` (e.g. "US") applies to numbers written without a leading "+".
    """
    try:
        number = phonenumbers.parse(text, region)
    except NumberParseException:
        raise ValueError(
            f"not a phone number: write it with + and the country code, or as a {region} number"
        ) from None
    if number.extension:
        raise ValueError("phone extensions cannot be dialled: give a direct number")
    # is_valid_number checks the number against the country's numbering plan.
    # The demo's fictional 555-0100…555-0199 numbers pass it (e.g. +1 206 555 0100),
    # because a real area code comes first; a number like +1 555 555 0100 does not.
    if not phonenumbers.is_valid_number(number):
        raise ValueError("not a valid phone number: check the country code and the digits")
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def normalized(number: str, region: str) -> str | None:
    """Return a caller's number in E.164, or None when it is withheld or malformed."""
    try:
        return parse_phone(number, region)
    except ValueError:
        return None


def mask_phone(e164: str) -> str:
    """Return `e164` with all but its country code and last digits hidden, for logs."""
    try:
        number = phonenumbers.parse(e164, None)
    except NumberParseException:
        prefix, digits = "", e164
    else:
        prefix = f"+{number.country_code}"
        digits = phonenumbers.national_significant_number(number)
    # A short value would be shown nearly whole, so hide all of it.
    visible = VISIBLE_DIGITS if len(digits) > 2 * VISIBLE_DIGITS - 2 else 0
    return prefix + "*" * (len(digits) - visible) + digits[len(digits) - visible :]
