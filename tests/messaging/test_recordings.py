"""Only the URL of a recording this Twilio account keeps names one to delete there."""

from __future__ import annotations

import pytest

from hotline.messaging.recordings import recording_sid

ACCOUNT = "AC" + "1" * 32
SID = "RE" + "0123456789abcdef" * 2
PATH = f"/2010-04-01/Accounts/{ACCOUNT}/Recordings/{SID}"


@pytest.mark.parametrize(
    ("url", "sid"),
    [
        (f"https://api.twilio.com{PATH}", SID),  # Twilio's RecordingUrl
        (f"https://api.twilio.com{PATH}.mp3", SID),
        (f"https://api.twilio.com{PATH}.wav", SID),
        (f"https://API.twilio.com:443{PATH}", SID),
        (PATH, SID),  # a stand-in Twilio's path alone
        (f"http://api.twilio.com{PATH}", None),
        (f"https://elsewhere.example{PATH}", None),
        (f"https://api.twilio.com.elsewhere.example{PATH}", None),
        (f"https://api.twilio.com{PATH}/Transcriptions", None),
        (f"https://api.twilio.com{PATH}.ogg", None),
        (f"https://api.twilio.com{PATH.replace(ACCOUNT, 'AC' + '0' * 32)}", None),
        (f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Recordings/RE123", None),
        ("https://api.twilio.com/RE1", None),
        ("/demo/voicemail.wav", None),
        ("", None),
    ],
)
def test_recording_sid(url: str, sid: str | None) -> None:
    assert recording_sid(url, ACCOUNT) == sid


def test_without_an_account_no_url_names_a_recording() -> None:
    assert recording_sid(f"https://api.twilio.com{PATH}", None) is None
