"""Twilio's delivery reports move a sent text forward, never back."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from hotline.db import session_scope
from hotline.messaging.dispatch import FAILURE_NOTICE
from hotline.messaging.status import apply_delivery_status
from hotline.models import Message, OptOut, User
from hotline.simulator.transport import sign
from tests.factories import add_user

T0 = datetime(2024, 5, 1, 17, 0, tzinfo=UTC)
SID = "SM" + "a" * 32
OFFICER = "+12065550177"
SUPERVISOR = "+12065550155"


@pytest.fixture
def sent(app: Flask) -> int:
    """Add a text Twilio accepted under SID; return its id."""
    with session_scope(app) as session:
        message = Message(
            direction="out",
            from_number="+12065550100",
            to_number=OFFICER,
            body="Referral #1 received",
            status="sent",
            message_sid=SID,
            created_at=T0,
            attempts=1,
        )
        session.add(message)
        session.flush()
        return message.id


def failure_notices(app: Flask) -> list[Message]:
    """Return the failure notices queued so far, oldest first."""
    with session_scope(app) as session:
        statement = select(Message).where(Message.kind == FAILURE_NOTICE).order_by(Message.id)
        return list(session.scalars(statement))


def report(app: Flask, status: str, error_code: str | None = None, sid: str = SID) -> bool:
    """Apply one status callback, committed as the webhook does."""
    with session_scope(app) as session:
        return apply_delivery_status(session, sid, status, error_code, T0)


def stored(app: Flask, message_id: int) -> tuple[str, str | None]:
    """Return a message's status and error."""
    with session_scope(app) as session:
        message = session.get_one(Message, message_id)
        return message.status, message.error


class TestDeliveryStatus:
    """Each report maps onto the message log's statuses."""

    @pytest.mark.parametrize(
        ("reported", "error_code", "expected"),
        [
            ("delivered", None, ("delivered", None)),
            ("read", None, ("delivered", None)),
            ("undelivered", "30003", ("failed", "undelivered (error 30003)")),
            ("failed", "30008", ("failed", "failed (error 30008)")),
            ("failed", "", ("failed", "failed")),
            ("sent", None, ("sent", None)),
            ("sending", None, ("sent", None)),
            ("queued", None, ("sent", None)),
        ],
    )
    def test_maps_twilio_statuses(
        self,
        app: Flask,
        sent: int,
        reported: str,
        error_code: str | None,
        expected: tuple[str, str | None],
    ) -> None:
        assert report(app, reported, error_code)
        assert stored(app, sent) == expected

    @pytest.mark.parametrize("final", ["delivered", "undelivered"])
    def test_late_reports_never_move_a_final_status_back(
        self, app: Flask, sent: int, final: str
    ) -> None:
        report(app, final, "30003" if final == "undelivered" else None)
        before = stored(app, sent)
        for late in ("sent", "sending", "queued", "delivered", "failed"):
            assert report(app, late)
        assert stored(app, sent) == before

    def test_a_duplicate_report_changes_nothing(self, app: Flask, sent: int) -> None:
        assert report(app, "delivered") and report(app, "delivered")
        assert stored(app, sent) == ("delivered", None)

    @pytest.mark.parametrize("sid", ["SM" + "b" * 32, ""])
    def test_an_unknown_sid_is_not_ours(self, app: Flask, sent: int, sid: str) -> None:
        assert not report(app, "delivered", sid=sid)
        assert stored(app, sent) == ("sent", None)

    def test_an_inbound_sid_is_not_ours(self, app: Flask) -> None:
        with session_scope(app) as session:
            session.add(
                Message(
                    direction="in",
                    from_number=OFFICER,
                    to_number="+12065550100",
                    body="REFER",
                    status="received",
                    message_sid=SID,
                    created_at=T0,
                )
            )
        assert not report(app, "delivered")

    def test_21610_opts_the_recipient_out(self, app: Flask, sent: int) -> None:
        assert report(app, "undelivered", "21610")
        assert report(app, "failed", "21610")  # a second report adds no second opt-out
        assert stored(app, sent) == ("failed", "undelivered (error 21610)")
        with session_scope(app) as session:
            assert session.get_one(OptOut, OFFICER).source == "carrier"


class TestFailedDeliveries:
    """A text the carrier could not deliver is failed, and supervisors hear of it once."""

    def test_an_undelivered_text_is_told_to_every_supervisor_once(
        self, app: Flask, sent: int
    ) -> None:
        add_user(app, "Sue Pervis", "supervisor", phone=SUPERVISOR)
        add_user(app, "Cory Coordinator")

        assert report(app, "undelivered", "30003")
        assert report(app, "failed", "30003")  # Twilio's later word on it tells nobody again

        [notice] = failure_notices(app)
        assert (notice.to_number, notice.status) == (SUPERVISOR, "queued")
        assert notice.body == (
            "LEAD hotline: a text to +1******0177 could not be delivered "
            "(undelivered, error 30003)."
        )

    def test_a_spanish_supervisor_reads_why_in_spanish(self, app: Flask, sent: int) -> None:
        sue = add_user(app, "Sue Pervis", "supervisor", phone=SUPERVISOR)
        with session_scope(app) as session:
            session.get_one(User, sue.id).language = "es"

        assert report(app, "undelivered", "30003")

        [notice] = failure_notices(app)
        assert notice.body == (
            "Linea LEAD: no se pudo entregar un texto a +1******0177 (no entregado, error 30003)."
        )

    def test_a_failure_notice_that_is_not_delivered_tells_nobody(
        self, app: Flask, sent: int
    ) -> None:
        add_user(app, "Sue Pervis", "supervisor", phone=SUPERVISOR)
        with session_scope(app) as session:
            session.get_one(Message, sent).kind = FAILURE_NOTICE
        assert report(app, "undelivered", "30003")
        assert [notice.id for notice in failure_notices(app)] == [sent]  # no notice of it

    def test_a_recipient_who_opted_out_is_no_failure_to_report(self, app: Flask, sent: int) -> None:
        add_user(app, "Sue Pervis", "supervisor", phone=SUPERVISOR)
        assert report(app, "undelivered", "21610")
        assert failure_notices(app) == []


class TestTheWebhook:
    """`POST /sms/status` reads Twilio's fields as every webhook does."""

    def test_a_report_holding_a_character_postgresql_refuses_is_still_applied(
        self, app: Flask, sent: int, client: FlaskClient
    ) -> None:
        add_user(app, "Sue Pervis", "supervisor", phone=SUPERVISOR)
        params = {"MessageSid": SID, "MessageStatus": "undelivered\x00", "ErrorCode": "30003\x00"}
        signature = sign("test-token", "http://localhost/sms/status", params)
        answer = client.post("/sms/status", data=params, headers={"X-Twilio-Signature": signature})
        assert answer.status_code == 204
        assert stored(app, sent) == ("failed", "undelivered (error 30003)")
        assert [notice.to_number for notice in failure_notices(app)] == [SUPERVISOR]
