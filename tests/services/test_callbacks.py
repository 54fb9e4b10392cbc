"""Asking for a call back (SPEC §4.10): one phone rings once, however the asks cross."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from hotline.db import session_scope
from hotline.models import Callback
from hotline.services import callbacks
from tests.conftest import is_sqlite
from tests.factories import add_officer, add_referral, add_user


def test_two_asks_for_one_call_back_at_once_queue_one(
    app: Flask, app_config: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    if is_sqlite(app_config["DATABASE_URL"]):
        pytest.skip("SQLite takes both asks' writes in turn: the race needs PostgreSQL")
    officer = add_officer(app)
    number = add_referral(app, officer_id=officer.id, officer_phone=officer.phone)
    ana = add_user(app, "Ana Diaz")
    answers: list[object] = []
    workers: list[threading.Thread] = []
    real_event = callbacks.add_event

    def ask() -> None:
        with session_scope(app) as session:
            now = datetime.now(UTC)
            answers.append(callbacks.request_callback(session, number, ana.id, now, "sms"))

    def second_ask_meanwhile(*args: Any, **kwargs: Any) -> Any:
        # The first ask found nothing pending and queued its call back; `CALL 42` sent
        # twice lands in another worker before it commits (it waits, if held).
        if not workers:
            workers.append(threading.Thread(target=ask))
            workers[0].start()
            workers[0].join(timeout=0.5)
        return real_event(*args, **kwargs)

    monkeypatch.setattr(callbacks, "add_event", second_ask_meanwhile)
    ask()
    workers[0].join()
    with session_scope(app) as session:
        assert session.scalar(select(func.count()).select_from(Callback)) == 1
    refused = [a for a in answers if isinstance(a, callbacks.CallbackRefused)]
    assert [a.reason for a in refused] == ["already_calling"]
