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
