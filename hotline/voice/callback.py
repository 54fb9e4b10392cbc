"""A callback's call: the coordinator answers, presses 1, the officer is dialled (SPEC §4.10)."""

from __future__ import annotations

from flask import Response, current_app, g, request
from twilio.twiml.voice_response import Dial, Gather, VoiceResponse

from ..db import database_unavailable, get_session
from ..models import Callback, Officer, Referral
from ..services import callbacks
from ..webhooks import form_text, twilio_signed
from . import twiml
from .views import bp, fail_open, now, xml

PRESS_SECONDS = 10
OFFICER_RING_SECONDS = 30
NOT_NOW = (
    "The hotline cannot connect your call back right now. "
    "Call the officer from the referral page. Goodbye."
)


def _callback() -> Callback:
    """Return the callback named by the signed `callback` query parameter."""
    callback = get_session().get(Callback, int(request.args["callback"]))
    if callback is None:
        raise LookupError("no such callback")
    return callback


def _officer_name(callback: Callback) -> str:
    """Return the officer as the coordinator hears them named (never their number)."""
    session = get_session()
    officer_id = session.get_one(Referral, callback.referral_id).officer_id
    officer = session.get(Officer, officer_id) if officer_id is not None else None
    if officer is None:
        return "the officer who called"
    return officer.name if officer.name.lower().startswith("officer") else f"Officer {officer.name}"


def _cannot_connect() -> Response:
    """Without the database the officer's number is unknown: say so and end the call."""
    return xml(twiml.hang_up(NOT_NOW))


@bp.post("/callback")
@twilio_signed
@fail_open(_cannot_connect)
def callback_answered() -> Response:
    """Tell the coordinator whom the hotline will call and ask for 1."""
    session = get_session()
    callback = _callback()
    callbacks.answered(session, callback, form_text("CallSid", 64))
    who = _officer_name(callback)
    session.commit()
    response = VoiceResponse()
    gather = Gather(
        num_digits=1,
        timeout=PRESS_SECONDS,
        action=twiml.step_url("callback/connect", callback=callback.id),
    )
    gather.say(
        f"LEAD hotline, your call back to {who} about referral {callback.referral_id}. "
        f"Press {twiml.ACCEPT_DIGIT} to connect."
    )
    response.append(gather)
    response.say("Nothing was pressed. Goodbye.")
    response.hangup()
    return xml(response)


@bp.post("/callback/connect")
@twilio_signed
@fail_open(_cannot_connect)
def callback_connect() -> Response:
    """Dial the referral's officer with the hotline's number as caller ID, on 1 only."""
    session = get_session()
    callback = _callback()
    if not request.form.get("Digits", "").startswith(twiml.ACCEPT_DIGIT):
        callbacks.end(session, callback, "coordinator_declined", now())
        session.commit()
        return xml(twiml.hang_up("Not connected. Goodbye."))
    if not callbacks.may_connect(session, callback):
        return xml(twiml.hang_up("This call back is no longer allowed. Goodbye."))
    caller_id = current_app.config.get("HOTLINE_NUMBER") or form_text("From", 40)
    response = VoiceResponse()
    response.say("Connecting you to the officer. They will see the hotline's number.")
    dial = Dial(
        caller_id=caller_id or None,
        action=twiml.step_url("callback/done", callback=callback.id),
        timeout=OFFICER_RING_SECONDS,
        answer_on_bridge=True,
    )
    dial.number(callback.officer_phone)
    response.append(dial)
    return xml(response)


@bp.post("/callback/done")
@twilio_signed
@fail_open(lambda: xml(twiml.hang_up()))
def callback_done() -> Response:
    """Record how the officer's leg ended; tell the coordinator when it did not connect."""
    session = get_session()
    callback = _callback()
    seconds = request.form.get("DialCallDuration", "")
    outcome = callbacks.dial_ended(
        session,
        callback,
        request.form.get("DialCallStatus", "failed"),
        int(seconds) if seconds.isdigit() and len(seconds) < 10 else None,
        now(),
    )
    session.commit()
    if outcome == "connected":
        return xml(twiml.hang_up())
    words = {"officer_busy": "The officer's line is busy."}.get(
        outcome, "The officer did not answer."
    )
    return xml(twiml.hang_up(f"{words} Goodbye."))


def _retry_status() -> Response:
    """Ask Twilio to send the status again when the database failed it (as /voice/status)."""
    return Response(status=503 if database_unavailable(g.get("webhook_failure")) else 204)


@bp.post("/callback/status")
@twilio_signed
@fail_open(_retry_status)
def callback_status() -> Response:
    """Record the end of the coordinator's call when nothing before it did."""
    session = get_session()
    callback = _callback()
    status = form_text("CallStatus", 20)
    if status in ("completed", *callbacks.UNANSWERED):
        callbacks.call_ended(session, callback, status, now())
        session.commit()
    return Response(status=204)
