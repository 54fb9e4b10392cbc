"""Read or set the hotline number's webhooks at Twilio (`hotline twilio check|configure`).

The number is found by HOTLINE_NUMBER among the account's IncomingPhoneNumbers;
its Voice, fallback, status and Messaging URLs must be this app's fixed routes
under HOTLINE_PUBLIC_URL, all POST, and no TwiML App or SIP trunk may override them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from requests.exceptions import ConnectionError as RequestsConnectionError
from requests.exceptions import Timeout
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from ..webhooks import STATUS_CALLBACK_RETRIES

# (what it is, the number's URL field, its method field, the app's route)
ROUTES: tuple[tuple[str, str, str, str], ...] = (
    ("Voice URL", "voice_url", "voice_method", "/voice/incoming"),
    ("Voice fallback URL", "voice_fallback_url", "voice_fallback_method", "/voice/fallback"),
    (
        "Call status callback",
        "status_callback",
        "status_callback_method",
        "/voice/status" + STATUS_CALLBACK_RETRIES,
    ),
    ("Messaging URL", "sms_url", "sms_method", "/sms/incoming"),
    ("Messaging fallback URL", "sms_fallback_url", "sms_fallback_method", "/sms/fallback"),
)
# When one of these is set, Twilio ignores the number's own URLs.
OVERRIDES: tuple[tuple[str, str], ...] = (
    ("Voice TwiML App", "voice_application_sid"),
    ("Messaging TwiML App", "sms_application_sid"),
    ("SIP trunk", "trunk_sid"),
)
# What the number itself can do: no setting changes it, only another number.
CAPABILITIES: tuple[tuple[str, str], ...] = (
    ("Voice capability", "voice"),
    ("SMS capability", "sms"),
)
REQUIRED = ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "HOTLINE_NUMBER", "HOTLINE_PUBLIC_URL")


class NumberConfigError(Exception):
    """The number cannot be read or set; the message is one line saying why."""


@dataclass(frozen=True)
class Setting:
    """One setting of the number: what it is, what it holds, and what it should hold."""

    label: str
    actual: str
    expected: str
    settable: bool = True  # by `configure`; a capability is the number's own

    @property
    def ok(self) -> bool:
        """Tell whether the number holds what the app needs."""
        return self.actual == self.expected

    def line(self) -> str:
        """Return the setting as `check` prints it."""
        if self.ok:
            return f"ok     {self.label}: {self.actual}"
        return f"wrong  {self.label}: {self.actual} (expected {self.expected})"


def read_settings(config: Mapping[str, Any]) -> list[Setting]:
    """Return each setting of HOTLINE_NUMBER at Twilio against what the app needs."""
    number = _find_number(_client(config), config["HOTLINE_NUMBER"])
    return compare(number, config["HOTLINE_PUBLIC_URL"])


def configure(config: Mapping[str, Any]) -> list[Setting]:
    """Point HOTLINE_NUMBER's webhooks at this app; return the settings as Twilio now has them."""
    client = _client(config)
    number = _find_number(client, config["HOTLINE_NUMBER"])
    changes: dict[str, str] = {}
    for _, url_field, method_field, path in ROUTES:
        changes[url_field] = config["HOTLINE_PUBLIC_URL"] + path
        changes[method_field] = "POST"
    for _, field in OVERRIDES:
        if getattr(number, field, None):
            changes[field] = ""  # an empty value removes it
    updated = _call(lambda: number.update(**changes))
    return compare(updated, config["HOTLINE_PUBLIC_URL"])


def compare(number: Any, public_url: str) -> list[Setting]:
    """Compare a number's fields with the app's routes under `public_url`."""
    settings = [
        Setting(
            label,
            _shown(getattr(number, method_field, None), getattr(number, url_field, None)),
            f"POST {public_url}{path}",
        )
        for label, url_field, method_field, path in ROUTES
    ]
    settings += [
        Setting(label, getattr(number, field, None) or "none", "none") for label, field in OVERRIDES
    ]
    # A voice-only number takes calls, but no officer's text arrives and none goes out.
    capabilities = getattr(number, "capabilities", None)
    can = capabilities if isinstance(capabilities, dict) else {}
    settings += [
        Setting(label, "yes" if can.get(key) is True else "no", "yes", settable=False)
        for label, key in CAPABILITIES
    ]
    return settings


def _shown(method: str | None, url: str | None) -> str:
    return f"{(method or 'POST').upper()} {url}" if url else "none"


def _client(config: Mapping[str, Any]) -> Client:
    missing = [key for key in REQUIRED if not config.get(key)]
    if missing:
        raise NumberConfigError(f"set {', '.join(missing)} first")
    client = Client(
        config["TWILIO_ACCOUNT_SID"],
        config["TWILIO_AUTH_TOKEN"],
        http_client=TwilioHttpClient(timeout=10),
    )
    base_url = config.get("TWILIO_API_BASE_URL")  # not a documented setting: tests only
    if base_url:
        # As in the transport: edge and region settings would rewrite a local host name.
        client.api.base_url = base_url.rstrip("/")
        client.edge = None
        client.region = None
    return client


def _find_number(client: Client, phone: str) -> Any:
    numbers = _call(
        lambda: client.api.v2010.account.incoming_phone_numbers.list(phone_number=phone)
    )
    if not numbers:
        raise NumberConfigError(
            f"HOTLINE_NUMBER {phone} is not a phone number of Twilio account "
            f"{client.account_sid}: buy or port it there, or fix the setting"
        )
    return numbers[0]


def _call(request: Callable[[], Any]) -> Any:
    """Run one REST request, turning every way it can fail into a NumberConfigError."""
    try:
        return request()
    except TwilioRestException as error:
        raise _refused(int(error.status), error.code, str(error.msg)) from None
    except Timeout:
        raise NumberConfigError("Twilio's API did not answer within 10 s") from None
    except RequestsConnectionError:
        raise NumberConfigError("could not connect to Twilio's API") from None
    except TwilioException as error:
        # A list request that fails raises ("Unable to fetch page", response) instead.
        response: Any = error.args[1] if len(error.args) > 1 else None
        if isinstance(getattr(response, "status_code", None), int):
            try:
                body = json.loads(response.text)
            except ValueError:
                body = {}
            body = body if isinstance(body, dict) else {}
            raise _refused(
                response.status_code, body.get("code"), str(body.get("message", ""))
            ) from None
        detail = " ".join(str(error).split())
        raise NumberConfigError(f"Twilio's answer could not be read: {detail}") from None
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        # A 200 that is not Twilio's JSON (a proxy's page, say) fails inside the client.
        raise NumberConfigError(
            f"Twilio's answer could not be read ({type(error).__name__}): "
            "something other than Twilio's API answered (a proxy?)"
        ) from None


def _refused(status: int, code: object, message: str) -> NumberConfigError:
    """Return the error for an HTTP error answer from Twilio."""
    if status == 401:
        return NumberConfigError(
            "Twilio refused the credentials (HTTP 401): check TWILIO_ACCOUNT_SID "
            "and TWILIO_AUTH_TOKEN"
        )
    said = " ".join(message.split())
    return NumberConfigError(f"Twilio answered HTTP {status} (error {code}): {said}")
