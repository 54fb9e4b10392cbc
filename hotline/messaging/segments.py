"""Keep texts within SMS segment limits: GSM-7 or, with other characters, UCS-2."""

from __future__ import annotations

# The GSM 03.38 basic set; its extension characters (^{}\[~]|€) count as two.
GSM_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENDED = "^{}\\[~]|€"
# Per segment of a multi-part text (a header takes the rest of the 140 bytes).
GSM_PER_SEGMENT, UCS2_PER_SEGMENT = 153, 67
GSM_SINGLE, UCS2_SINGLE = 160, 70


# A set, not the strings: every reply is checked, and `in` on a string scans it whole.
GSM_CHARACTERS = frozenset(GSM_BASIC + GSM_EXTENDED)


def is_gsm(text: str) -> bool:
    """Tell whether a text fits the GSM 7-bit alphabet."""
    return GSM_CHARACTERS.issuperset(text)


def units(text: str) -> int:
    """Return the text's length in its encoding's units (septets or UTF-16 code units)."""
    if is_gsm(text):
        return len(text) + sum(text.count(ch) for ch in GSM_EXTENDED)
    return len(text.encode("utf-16-le")) // 2


def segments(text: str) -> int:
    """Return how many SMS segments the text takes."""
    gsm, size = is_gsm(text), units(text)
    single, per = (GSM_SINGLE, GSM_PER_SEGMENT) if gsm else (UCS2_SINGLE, UCS2_PER_SEGMENT)
    return 1 if size <= single else -(-size // per)


def fit(head: str, tail: str, max_segments: int = 2) -> str:
    """Return head + tail, shortening the tail (free text) so the whole fits the segments.

    The tail is cut after a whole word ("3rd and..." not "3rd an..."): a cut word
    reads as another place or name. Only a single word longer than the room is cut.
    The text is measured as it is sent, accents folded (gsm_folded): an accent that
    folding removes must not cost the tail the room of a UCS-2 text.
    """
    text, keep = head + tail, len(tail)
    while keep > 0 and segments(gsm_folded(text)) > max_segments:
        keep = max(0, keep - 4)
        kept = _whole_words(tail, keep).rstrip()
        text = head + kept + "..." if kept else head
    return text


def _whole_words(text: str, length: int) -> str:
    """Return text's first `length` characters, without a word the cut would split."""
    cut = text[:length]
    if length < len(text) and not text[length].isspace():
        space = cut.rfind(" ")
        if space > 0:  # the tail's leading space is no word boundary to cut at
            return cut[:space]
    return cut


# Letters outside GSM-7 that have a plain GSM twin: "más" costs a UCS-2 text (70 characters
# a segment, not 160) for one accent, so such texts are sent folded, as Twilio's Smart
# Encoding would. É, é, ñ, ü and the like are GSM-7 already and stay.
GSM_FOLDS = str.maketrans(
    "áíóúÁÍÓÚâêîôûÂÊÎÔÛãõÃÕçÀÈÌÒÙ‘’“”–—",
    "aiouAIOUaeiouAEIOUaoAOcAEIOU''\"\"--",
)


def gsm_folded(text: str) -> str:
    """Return `text` with accents folded when that keeps the whole text GSM-7, else unchanged."""
    folded = text.translate(GSM_FOLDS).replace("…", "...")
    return folded if is_gsm(folded) else text
