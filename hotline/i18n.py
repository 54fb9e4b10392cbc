"""Message catalogs: one per channel (voice, sms, web), one gettext file per language.

The English sentence is the message id, written where the channel speaks it:
`_ = translator("sms", "es")` then `_("You have #{n}.", n=42)`. A translation
lives in `hotline/translations/<language>/LC_MESSAGES/<channel>.po`, the file a
translator edits (Babel reads it once per process); a sentence with no
translation falls back to English. `N_` marks a sentence kept in a table for
extraction without translating it there.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from babel.messages.pofile import read_po

Channel = Literal["voice", "sms", "web"]
CHANNELS: tuple[Channel, ...] = ("voice", "sms", "web")
SOURCE_LANGUAGE = "en"
LANGUAGES = ("en", "es")
TRANSLATIONS = Path(__file__).resolve().parent / "translations"


def catalog_path(channel: str, language: str) -> Path:
    """Return the .po file of one channel in one language."""
    return TRANSLATIONS / language / "LC_MESSAGES" / f"{channel}.po"


@functools.cache
def _table(channel: str, language: str) -> dict[str, str]:
    """Return a channel's translations in one language (empty for the source language)."""
    if language == SOURCE_LANGUAGE:
        return {}
    path = catalog_path(channel, language)
    if not path.exists():
        return {}
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language, domain=channel)
    return {
        str(message.id): str(message.string)
        for message in catalog
        if message.id and message.string and not message.fuzzy
    }


Translate = Callable[..., str]


def translator(channel: Channel, language: str | None) -> Translate:
    """Return `_(english, **params)` for one channel in one language (English when unknown)."""
    table = _table(channel, language if language in LANGUAGES else SOURCE_LANGUAGE)

    def translate(message: str, **params: object) -> str:
        text = table.get(message, message)
        return text.format(**params) if params else text

    return translate


def N_(message: str) -> str:
    """Return the message unchanged: it is marked for the catalogs and translated later."""
    return message
