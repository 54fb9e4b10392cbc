"""Text every part of the hotline can carry: no character XML 1.0 or PostgreSQL refuses.

A character outside XML 1.0 (a vertical tab copied from a spreadsheet cell, say)
in a name makes every TwiML document that speaks it unreadable to Twilio: the
whisper cannot be played, nobody can press 1, and the call ends at voicemail.
Such characters are refused where text comes in through a form or the API,
dropped from what Twilio sends, and dropped again from what the app speaks.
"""

from __future__ import annotations

import re
import unicodedata

NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def clean_text(text: str) -> str:
    """Return text without the characters that XML and PostgreSQL refuse."""
    return NOT_XML.sub("", text)


def has_unspeakable(text: str) -> bool:
    """Tell whether text holds a character XML or PostgreSQL refuses."""
    return NOT_XML.search(text) is not None


# Fullwidth forms of ASCII (a CJK keyboard's "ＡＣＫ ４２") and the ideographic space.
_WIDE = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


def as_typed(text: str) -> str:
    """Return the words a phone's user typed: wide letters narrowed, invisible characters gone.

    Zero-width spaces and joiners, byte-order marks and direction marks (format
    characters, pasted in or added by a keyboard) are never what a person meant to
    type, and a "STATUS 42" holding one must still be STATUS 42. Superscripts
    and other look-alike digits are left as they are: no number is read from them.
    """
    narrowed = text.translate(_WIDE)
    visible = "".join(char for char in narrowed if unicodedata.category(char) != "Cf")
    return " ".join(visible.split())


# The joiners shape some scripts: after a virama (Devanagari "क्‍ष") or between the
# letters of a Persian name. Elsewhere they, like every other format character, only hide.
_JOINERS = "\u200c\u200d"
_VIRAMA = 9  # the canonical combining class of a virama
_SPACES = {"Zs", "Zl", "Zp"}


def visible_name(text: str) -> str:
    """Return a typed name as it looks: format characters gone, each run of spaces one space.

    A zero-width space, a direction mark or a byte-order mark (pasted from a web page
    or a spreadsheet) makes "Ana Diaz" a different name that looks the same, found
    by no search and read out oddly. Tabs and line breaks are spaces in a name; any
    other control character is left for the caller to refuse.
    """
    kept = []
    for at, char in enumerate(text):
        category = unicodedata.category(char)
        if char in "\t\n\r" or category in _SPACES:
            kept.append(" ")
        elif category != "Cf" or _shapes(text, at):
            kept.append(char)
    return " ".join(part for part in "".join(kept).split(" ") if part)


def _shapes(text: str, at: int) -> bool:
    """Tell whether the joiner at `at` changes how its script is drawn, so is part of the name."""
    if text[at] not in _JOINERS or not 0 < at < len(text) - 1:
        return False
    before, after = text[at - 1], text[at + 1]
    if unicodedata.combining(before) == _VIRAMA:
        return True
    return all(
        unicodedata.category(char).startswith("L")
        and not unicodedata.name(char, "").startswith("LATIN")
        for char in (before, after)
    )
