"""One participant's year through the real entry points, on a clock the test moves.

`Year` holds the people of the scenario in tests/test_a_participants_year.py:
an officer who texts, a coordinator on call (the API with her token, SMS with her
phone), a case manager, a prosecutor (API and web) and a supervisor's audit log.
Every entry point reads the scenario's clock: `install_clock` puts it in place of
`datetime.now` in the app's modules, so months pass between two texts.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from hotline.db import session_scope
from hotline.jobs import run_job
from hotline.models import Message, User
from hotline.simulator import SmsEmulator, flask_poster
from hotline.web.reports import TABLES as REPORT_TABLES
from tests.api.conftest import Api, token_for
from tests.factories import HOTLINE_NUMBER, Program, add_program, add_user
from tests.web.conftest import PASSWORD, Web


class Clock:
    """The scenario's instant: every `datetime.now` of the app reads it."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def advance(self, **length: float) -> datetime:
        self.now += timedelta(**length)
        return self.now


def install_clock(monkeypatch: pytest.MonkeyPatch, clock: Clock) -> None:
    """Make `datetime.now` in every loaded module of the app answer the clock's instant."""

    class Instants(type):
        def __instancecheck__(cls, instance: object) -> bool:  # a stored instant is one too
            return isinstance(instance, datetime)

    class ScenarioDatetime(datetime, metaclass=Instants):
        @classmethod
        def now(cls, tz: tzinfo | None = None) -> datetime:  # type: ignore[override]
            return clock.now if tz is None else clock.now.astimezone(tz)

    for name, module in list(sys.modules.items()):
        if (name == "hotline" or name.startswith("hotline.")) and getattr(
            module, "datetime", None
        ) is datetime:
            monkeypatch.setattr(module, "datetime", ScenarioDatetime)


@dataclass
class Year:
    """Who meets the participant during the year, and how each reaches the app."""

    app: Flask
    clock: Clock
    program: Program  # Officer Smith; Ana on tier 1; Sue supervises
    phone: SmsEmulator
    ana: Api  # the coordinator's API (coordinators write assessments and participants)
    cam: User  # the case manager
    cam_api: Api
    cam_web: Web
    pru: User  # the prosecutor
    pru_api: Api
    pru_web: Web
    sue_web: Web  # the supervisor's browser (audit log)

    def text(self, sender: str, body: str) -> str:
        """Text the hotline; return the app's direct reply ("" when none)."""
        result = self.phone.send(sender, body)
        assert result.status == 200, body
        return result.replies[-1] if result.replies else ""

    def later(self, **length: float) -> None:
        """Let time pass, the clock process running: what was queued is sent, and it ran lately."""
        self.run("dispatch-outbox")
        self.clock.advance(**length)
        self.run("dispatch-outbox")

    def until(self, instant: datetime) -> None:
        """Let time pass up to `instant`."""
        self.later(seconds=(instant - self.clock.now).total_seconds())

    def officer_says(self, body: str) -> str:
        return self.text(self.program.officer.phone, body)

    def texts_to(self, phone: str, after: int = 0) -> list[str]:
        """Return the outbound texts to `phone` written after message id `after`."""
        with session_scope(self.app) as session:
            rows = session.scalars(
                select(Message)
                .where(Message.direction == "out", Message.to_number == phone, Message.id > after)
                .order_by(Message.id)
            )
            return [row.body or "" for row in rows]

    def last_message_id(self) -> int:
        with session_scope(self.app) as session:
            return max(session.scalars(select(Message.id)), default=0)

    def run(self, job: str) -> str:
        return run_job(self.app, job, self.clock.now)

    def reports(self, around: datetime) -> dict[str, str]:
        """Return every report table (CSV) of the days around `around`, as a supervisor reads it."""
        first, last = (around - timedelta(days=3)).date(), (around + timedelta(days=3)).date()
        tables = {}
        for table in REPORT_TABLES:
            answer = self.sue_web.get(f"/reports/{table}.csv?from={first}&to={last}")
            assert answer.status_code == 200, table
            tables[table] = answer.get_data(as_text=True)
        return tables

    def everything(self, number: int, participant: int) -> dict[str, Any]:
        """Return what the program's own staff read of the referral, the person and the texts."""
        referral = self.ana.get(f"/referrals/{number}").json
        return {
            "referral": referral,
            "participant": self.cam_api.get(f"/participants/{participant}").json,
            "messages": self.ana.get("/messages").json["items"],
        }

    def audit_log(self) -> str:
        """Return every page of the audit log, as the supervisor reads it."""
        pages, page = [], 1
        while "data-event=" in (text := self.sue_web.text(f"/audit?page={page}")):
            pages.append(text)
            if f"page={page + 1}" not in text:
                break
            page += 1
        return "".join(pages)

    def prosecutor_sees(self, participant_id: int) -> dict[str, Any] | None:
        """Return the prosecutor's API view of the participant, None when it is 404 to them.

        The list and the single view agree, and the web pages say the same.
        """
        listed = {p["id"]: p for p in self.pru_api.get("/participants").json["items"]}
        single = self.pru_api.get(f"/participants/{participant_id}")
        page = self.pru_web.get(f"/participants/{participant_id}")
        if participant_id not in listed:
            assert single.status_code == 404 and page.status_code == 404
            return None
        assert single.status_code == 200 and page.status_code == 200
        assert single.json == listed[participant_id]
        return single.json


def begin_year(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Year:
    """Set up the program and its people; start the clock at today's instant."""
    clock = Clock(datetime.now(UTC).replace(microsecond=0))
    install_clock(monkeypatch, clock)
    program = add_program(app)
    cam = add_user(app, "Cam Reed", "case_manager", password=PASSWORD)
    pru = add_user(app, "Pru Vance", "prosecutor", password=PASSWORD)
    sue = add_user(app, "Sue Audit", "supervisor", password=PASSWORD)
    cam_web, pru_web, sue_web = (Web(app.test_client()) for _ in range(3))
    for web, user in ((cam_web, cam), (pru_web, pru), (sue_web, sue)):
        assert web.login(user).status_code == 302
    client = app.test_client()
    phone = SmsEmulator(
        flask_poster(client), app.config["TWILIO_AUTH_TOKEN"], "http://localhost", HOTLINE_NUMBER
    )
    year = Year(
        app,
        clock,
        program,
        phone,
        Api(client, token_for(app, program.ana.id)),
        cam,
        Api(client, token_for(app, cam.id)),
        cam_web,
        pru,
        Api(client, token_for(app, pru.id)),
        pru_web,
        sue_web,
    )
    year.run("dispatch-outbox")  # the clock process is running
    return year
