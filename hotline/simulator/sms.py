"""Emulate Twilio Messaging: send a signed inbound text and read the TwiML reply."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from xml.etree.ElementTree import ParseError, fromstring

from .transport import Poster, sign
from .twiml import TwimlError

MESSAGING_VERBS = ("Message", "Redirect")


@dataclass(frozen=True)
class SmsResult:
    """The app's answer to one inbound text."""

    message_sid: str
    status: int
    replies: list[str] = field(default_factory=list)


def replies_of(body: str) -> list[str]:
    """Return the texts of a Messaging TwiML answer's <Message> verbs, checking its shape."""
    try:
        root = fromstring(body)
    except ParseError as error:
        raise TwimlError(f"the answer is not XML: {error}") from None
    if root.tag != "Response":
        raise TwimlError(f"the root is <{root.tag}>, not <Response>")
    texts = []
    for verb in root:
        if verb.tag not in MESSAGING_VERBS:
            raise TwimlError(f"<{verb.tag}> is not a Messaging TwiML verb")
        if verb.tag == "Message":
            nested = verb.find("Body")
            texts.append((nested.text if nested is not None else verb.text) or "")
    return texts


class SmsEmulator:
    """Post signed inbound texts to the app as Twilio does."""

    def __init__(self, poster: Poster, auth_token: str, base_url: str, hotline: str) -> None:
        self._poster = poster
        self._auth_token = auth_token
        self._base_url = base_url.rstrip("/")
        self.hotline = hotline
        self.account_sid = "AC" + "0" * 32

    def send(
        self, sender: str, body: str, *, message_sid: str | None = None, path: str = "/sms/incoming"
    ) -> SmsResult:
        """Deliver one text from `sender`; return the app's status and replies."""
        sid = message_sid or "SM" + uuid.uuid4().hex
        params = {
            "AccountSid": self.account_sid,
            "MessageSid": sid,
            "SmsSid": sid,
            "From": sender,
            "To": self.hotline,
            "Body": body,
            "NumMedia": "0",
            "ApiVersion": "2010-04-01",
        }
        url = self._base_url + path
        answer = self._poster(url, params, sign(self._auth_token, url, params))
        replies = replies_of(answer.body) if answer.status == 200 and answer.body.strip() else []
        return SmsResult(sid, answer.status, replies)

    def delivery_status(self, message_sid: str, status: str, error_code: str | None = None) -> int:
        """Post a delivery status callback for an outbound text; return the HTTP status."""
        params = {
            "AccountSid": self.account_sid,
            "MessageSid": message_sid,
            "MessageStatus": status,
        }
        if error_code:
            params["ErrorCode"] = error_code
        url = self._base_url + "/sms/status"
        return self._poster(url, params, sign(self._auth_token, url, params)).status
