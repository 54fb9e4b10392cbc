"""A fake Twilio Messages API over real HTTP, and a transport pointed at it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hotline.messaging.twilio_transport import TwilioTransport
from tests.messaging.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio


@pytest.fixture
def transport(fake_twilio: FakeTwilio) -> Iterator[TwilioTransport]:
    """Return the Twilio transport, as configured in production but sending to the fake."""
    with TwilioTransport(ACCOUNT_SID, AUTH_TOKEN, base_url=fake_twilio.url) as transport:
        yield transport
