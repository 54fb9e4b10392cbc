"""Tell which stored recording URLs name a voicemail this Twilio account keeps, and its sid."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from sqlalchemy import ColumnElement, false
from sqlalchemy.orm import InstrumentedAttribute

# Where Twilio's RecordingUrl points; the demo's and the simulator's recordings live elsewhere.
TWILIO_API_HOST = "api.twilio.com"
# A bare RecordingUrl answers WAV; a .mp3 or .wav suffix picks the format, .json the metadata.
RECORDING_PATH = re.compile(
    r"/2010-04-01/Accounts/(?P<account>AC[0-9a-fA-F]{32})"
    r"/Recordings/(?P<sid>RE[0-9a-fA-F]{32})(?:\.(?:mp3|wav|json))?"
)


def recordings_path(account_sid: str) -> str:
    """Return the part of the path every recording URL of the account holds."""
    return f"/2010-04-01/Accounts/{account_sid}/Recordings/"


def recording_sid(url: str, account_sid: str | None) -> str | None:
    """Return the sid of the account's recording `url` names, or None when it names none there.

    A URL without a host (a stand-in Twilio's path alone) counts; another host never does.
    """
    if not account_sid:
        return None
    parts = urlsplit(url.strip())
    if parts.netloc and (parts.scheme != "https" or parts.hostname != TWILIO_API_HOST):
        return None
    if parts.scheme and not parts.netloc:
        return None
    match = RECORDING_PATH.fullmatch(parts.path)
    if match is None or match["account"] != account_sid:
        return None
    return match["sid"]


def kept_at_twilio(
    url: InstrumentedAttribute[str | None], account_sid: str | None
) -> ColumnElement[bool]:
    """Tell, in a query, whether a recording URL may name one of the account's recordings."""
    if not account_sid:
        return false()
    return url.contains(recordings_path(account_sid), autoescape=True)
