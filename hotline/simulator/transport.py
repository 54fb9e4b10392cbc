"""Deliver signed webhook requests the way Twilio does: in-process or over HTTP."""

from __future__ import annotations

import urllib.error
import urllib.request
from dataclasses import dataclass
from email.message import Message
from typing import Protocol
from urllib.parse import urlencode, urlsplit

from flask.testing import FlaskClient
from twilio.request_validator import RequestValidator

SIGNATURE_HEADER = "X-Twilio-Signature"
USER_AGENT = "TwilioProxy/1.1"


@dataclass(frozen=True)
class PostResult:
    """What the webhook answered: status 0 means no HTTP answer arrived at all."""

    status: int
    content_type: str
    body: str


class Poster(Protocol):
    """Send one signed form POST to a webhook URL and return its answer."""

    def __call__(self, url: str, params: dict[str, str], signature: str) -> PostResult: ...


def sign(auth_token: str, url: str, params: dict[str, str]) -> str:
    """Return the X-Twilio-Signature Twilio would send for this POST."""
    signature: str = RequestValidator(auth_token).compute_signature(url, params)
    return signature


def flask_poster(client: FlaskClient) -> Poster:
    """Return a poster that calls the app in-process through its test client."""

    def post(url: str, params: dict[str, str], signature: str) -> PostResult:
        parts = urlsplit(url)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        response = client.post(
            path,
            data=params,
            headers={SIGNATURE_HEADER: signature, "User-Agent": USER_AGENT},
            base_url=f"{parts.scheme}://{parts.netloc}",
        )
        return PostResult(
            response.status_code, response.content_type or "", response.get_data(as_text=True)
        )

    return post


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Report a redirect as the answer instead of following it with an unsigned GET."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def http_poster(timeout: float = 10) -> Poster:
    """Return a poster that sends real HTTP requests with urllib."""
    opener = urllib.request.build_opener(_NoRedirects())

    def post(url: str, params: dict[str, str], signature: str) -> PostResult:
        request = urllib.request.Request(
            url,
            data=urlencode(params).encode(),
            headers={
                SIGNATURE_HEADER: signature,
                "User-Agent": USER_AGENT,
                "Content-Type": "application/x-www-form-urlencoded",
            },
            method="POST",
        )
        try:
            with opener.open(request, timeout=timeout) as response:
                return _result(response.status, response.headers, response.read())
        except urllib.error.HTTPError as error:
            return _result(error.code, error.headers, error.read())
        except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
            return PostResult(0, "", f"no answer from {url}: {error}")

    return post


def _result(status: int, headers: Message, body: bytes) -> PostResult:
    """Build a PostResult from an HTTP status, headers and raw body."""
    charset = headers.get_content_charset() or "utf-8"
    content_type = str(headers.get("Content-Type", ""))
    return PostResult(status, content_type, body.decode(charset, errors="replace"))
