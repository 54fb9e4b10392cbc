"""Asking for a call back (SPEC §4.10): one phone rings once, however the asks cross."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from hotline.db import session_scope
from hotline.models import Callback
from hotline.services import callbacks
from tests.factories import add_officer, add_referral, add_user
from tests.races import Meanwhile, race_needs_postgresql


def test_two_asks_for_one_call_back_at_once_queue_one(
    app: Flask, app_config: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    race_needs_postgresql(app_config, "both asks")
    officer = add_officer(app)
    number = add_referral(app, officer_id=officer.id, officer_phone=officer.phone)
    ana = add_user(app, "Ana Diaz")
    answers: list[object] = []

    def ask() -> None:
        with session_scope(app) as session:
            now = datetime.now(UTC)
            answers.append(callbacks.request_callback(session, number, ana.id, now, "sms"))

    # The first ask found nothing pending and queues its call back; `CALL 42` sent
    # twice lands in another worker before it commits (it waits, if held).
    second_ask = Meanwhile(ask)
    second_ask.at(monkeypatch, callbacks, "add_event")
    ask()
    second_ask.join()
    with session_scope(app) as session:
        assert session.scalar(select(func.count()).select_from(Callback)) == 1
    refused = [a for a in answers if isinstance(a, callbacks.CallbackRefused)]
    assert [a.reason for a in refused] == ["already_calling"]
