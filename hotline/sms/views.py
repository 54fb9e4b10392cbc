"""SMS routes: verify, deduplicate on MessageSid, apply, record the reply."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, current_app

from ..db import (
    abandon_session,
    database_unavailable,
    discard_session,
    get_session,
)
from ..deadline import DeadlineExceeded
from ..i18n import translator
from ..jobs import check_coverage_if_changed
from ..logs import log_exception
from ..messaging.outbox import is_opted_out
from ..messaging.segments import gsm_folded
from ..messaging.status import a_send_in_flight, apply_delivery_status
from ..models import Message
from ..phones import mask_phone, normalized
from ..services.oncall import COVERAGE_CHANGED
from ..services.sms_intake import IntakeMoved
from ..services.text_arrival import identify_and_log
from ..webhooks import (
    LEAST_WORK_S,
    form_text,
    twilio_signed,
    webhook_deadline,
    webhook_time_left,
)
from .answer import answer
from .handle import Inbound, answer_text, direct_reply
from .parse import STOP, read_text

log = logging.getLogger(__name__)
bp = Blueprint("sms", __name__, url_prefix="/sms")
MAX_BODY = 1600  # Twilio's own limit for one message
INTAKE_TRIES = 3


def fallback_text() -> str | None:
    """Return the words telling the sender to call, from configuration alone (no database).

    In their language: a Spanish keyword's, else the program's (the sender's own needs the
    database). None for a STOP: Twilio answers it, the app never does (SPEC §5).
    """
    config = current_app.config
    command = read_text(form_text("Body", MAX_BODY), form_text("OptOutType", 10))
    if command is not None and command.name == STOP:
        return None
    _ = translator("sms", (command.language if command else None) or config["HOTLINE_LANGUAGE"])
    number = config.get("HOTLINE_NUMBER")
    if not number:
        text = _("The LEAD hotline cannot read texts right now: please call the hotline.")
    else:
        text = _(
            "The LEAD hotline cannot read texts right now: please call the hotline at {number}.",
            number=number,
        )
    return gsm_folded(text)  # as every reply: an accent alone must not make it UCS-2


def fallback_reply() -> Response:
    """Tell the sender to call (no database needed); a STOP gets nothing."""
    return answer(fallback_text())


@bp.post("/fallback")
@twilio_signed
def fallback() -> Response:
    """Answer when /sms/incoming failed: no database needed."""
    return fallback_reply()


@bp.post("/incoming")
@twilio_signed
def incoming() -> Response:
    """Handle one inbound text; a repeated MessageSid is neither logged nor answered again."""
    try:
        with webhook_deadline():
            for _ in range(INTAKE_TRIES):
                try:
                    reply = _incoming()
                    break
                except IntakeMoved:  # another text of this sender went first: read again
                    get_session().rollback()
            else:
                raise RuntimeError(f"the intake changed under this text {INTAKE_TRIES} times")
        check_coverage_after()
        return reply
    except DeadlineExceeded:
        log.error("inbound text ran past its deadline; answering the fallback text")
        abandon_session()
    except Exception as error:
        log_exception(log, "inbound text failed; answering the fallback text")
        discard_session()
        # The database may answer, the code failed: keep the text and its reply in the log.
        told = fallback_text()
        return answer(told if keep_unhandled(error, told) else None)
    # The sender is told to call, so nothing is lost silently.
    return fallback_reply()


def check_coverage_after() -> None:
    """Run coverage-gaps after a committed TAKE (an override), as every other change does.

    Within what is left of the text's deadline: the text is handled and its reply
    stands whatever the check does; the daily run announces what this one could not.
    """
    session = get_session()
    if not session.info.get(COVERAGE_CHANGED):
        return  # nearly every text: no timer armed, nothing run
    if webhook_time_left() < LEAST_WORK_S:
        log.error("no time left for the coverage check after a TAKE")
        return
    try:
        with webhook_deadline():
            check_coverage_if_changed(current_app, session, datetime.now(UTC))
    except DeadlineExceeded:
        log.error("coverage check after a TAKE ran past its deadline")
        abandon_session()


def inbound_values(now: datetime) -> dict[str, Any] | None:
    """Return the text as the message log keeps it, or None when Twilio would send no such text."""
    config = current_app.config
    raw_from = form_text("From", 40)
    phone = normalized(raw_from, config["HOTLINE_DEFAULT_REGION"]) or raw_from
    sid = form_text("MessageSid", 64)
    if not sid or not phone:
        return None
    return {
        "direction": "in",
        "from_number": phone,
        "to_number": form_text("To", 40) or (config["HOTLINE_NUMBER"] or ""),
        "body": form_text("Body", MAX_BODY),
        "status": "received",
        "message_sid": sid,
        "created_at": now,
        "attempts": 0,
    }


def keep_unhandled(error: Exception, reply: str | None) -> bool:
    """Log a text the app failed on, with the kind of failure, and `reply` to it if any.

    Return whether `reply` may be sent: not to a number known to have opted out,
    where it is logged `suppressed` (SPEC §5). Unknown (no database): it may.
    """
    now = datetime.now(UTC)
    values = inbound_values(now)
    if values is None:
        return True
    told = "the sender was told to call" if reply is not None else "no reply"
    note = f"not handled ({type(error).__name__}): {told}"
    if webhook_time_left() < LEAST_WORK_S:  # the sender's answer comes first
        log.error("no time left to log an inbound text that failed")
        return True
    try:
        with webhook_deadline():
            session = get_session()
            phone = values["from_number"]
            opted_out = reply is not None and is_opted_out(session, phone)
            # Without its MessageSid: Twilio's retry of the same text is still handled.
            session.add(Message(**{**values, "message_sid": None, "error": note}))
            if reply is not None:
                replied = direct_reply(values["to_number"], phone, reply, opted_out, now)
                session.add(Message(**replied))
            session.commit()
            return not opted_out
    except DeadlineExceeded:
        abandon_session()
    except Exception:
        log_exception(log, "an inbound text that failed could not be logged either")
        discard_session()
    return True


def _incoming() -> Response:
    session = get_session()
    now = datetime.now(UTC)
    values = inbound_values(now)
    if values is None:
        return answer(None)  # not a message Twilio would send: nothing to do
    phone, body = values["from_number"], values["body"]
    # Who sent it, and the text logged: deduplicated on its MessageSid before it is applied.
    sender, message_id = identify_and_log(session, phone, values)
    if message_id is None:
        log.info("duplicate MessageSid from %s ignored", mask_phone(phone))
        return answer(None)
    media = form_text("NumMedia", 4) not in ("", "0")
    opt_out_type = form_text("OptOutType", 10)
    inbound = Inbound(sender, body, now, message_id, values["to_number"], media, opt_out_type)
    texted = answer_text(session, inbound, current_app.config)
    session.commit()
    return answer(texted)


@bp.post("/status")
@twilio_signed
def status() -> Response:
    """Record a delivery status of an outbound text."""
    # Read as every webhook's fields are: a character PostgreSQL refuses must not drop
    # the report there and keep it on SQLite.
    sid, reported = form_text("MessageSid", 64), form_text("MessageStatus", 20)
    error_code = form_text("ErrorCode", 10) or None
    try:
        with webhook_deadline():
            session, now = get_session(), datetime.now(UTC)
            known = apply_delivery_status(session, sid, reported, error_code, now)
            session.commit()
            if not known and sid and a_send_in_flight(session, now):
                # The report overtook its send, whose sid is not stored yet: Twilio
                # sends it again on a 5xx (the callback URL's retry override).
                return Response(status=503)
    except DeadlineExceeded:
        log.error("delivery status ran past its deadline; asking Twilio to send it again")
        abandon_session()
        return Response(status=503)
    except Exception as exc:
        log_exception(log, "delivery status could not be recorded")
        discard_session()
        # The transport's status callback URL carries Twilio's retry-on-5xx override:
        # worth it when the database failed, not for a status that cannot be applied.
        return Response(status=503 if database_unavailable(exc) else 204)
    return Response(status=204)
