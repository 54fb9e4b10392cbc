"""A callback's call: the coordinator answers, presses 1, the officer is dialled (SPEC §4.10)."""

from __future__ import annotations

from flask import Response, current_app, g, request
from twilio.twiml.voice_response import Dial, Gather, VoiceResponse

from ..db import database_unavailable, get_session
from ..digits import ascii_number
from ..i18n import translator
from ..models import Callback, Officer, Referral, User
from ..services import callback_outcomes
from ..webhooks import form_text, twilio_signed
from ..webhooks import twiml_response as xml
from . import twiml
from .respond import call_language, fail_open, now, program_language
from .views import bp

PRESS_SECONDS = 10
OFFICER_RING_SECONDS = 30


def _callback() -> Callback:
    """Return the callback named by the signed `callback` query parameter, held until commit."""
    # Every step of the call writes it: the final status and the <Dial> action, landing
    # together in two workers, take turns, each judging what the other wrote.
    callback = callback_outcomes.hold(get_session(), int(request.args["callback"]))
    if callback is None:
        raise LookupError("no such callback")
    return callback


def _officer_words(callback: Callback, language: str) -> str:
    """Return the officer as the coordinator hears them named (never their number)."""
    session = get_session()
    officer_id = session.get_one(Referral, callback.referral_id).officer_id
    officer = session.get(Officer, officer_id) if officer_id is not None else None
    if officer is None:
        _ = translator("voice", language)
        return _("the officer who called")
    return twiml.caller_words(officer.name, language)


def _language(callback: Callback) -> str:
    """Return the calling coordinator's language."""
    return get_session().get_one(User, callback.user_id).language or program_language()


def _cannot_connect() -> Response:
    """Without the database the officer's number is unknown: say so and end the call."""
    language = call_language()
    _ = translator("voice", language)
    sorry = _(
        "The hotline cannot connect your call back right now. "
        "Call the officer from the referral page. Goodbye."
    )
    return xml(twiml.hang_up(sorry, language))


def _dial_officer(callback_id: int, officer_phone: str, language: str) -> Response:
    """Dial the officer with the hotline's number as caller ID; the action records the end."""
    _ = translator("voice", language)
    caller_id = current_app.config.get("HOTLINE_NUMBER") or form_text("From", 40)
    response = VoiceResponse()
    connecting = _("Connecting you to the officer. They will see the hotline's number.")
    twiml.say(response, connecting, language)
    dial = Dial(
        caller_id=caller_id or None,
        action=twiml.step_url("callback/done", callback=callback_id, lang=language),
        timeout=OFFICER_RING_SECONDS,
        answer_on_bridge=True,
    )
    dial.number(officer_phone)
    response.append(dial)
    return xml(response)


def _connect_without_database() -> Response:
    """Without the database, still put through a coordinator who pressed 1."""
    officer_phone = request.args.get("officer", "")
    pressed = request.form.get("Digits", "").startswith(twiml.ACCEPT_DIGIT)
    if not pressed or not officer_phone:  # no 1, or an offer made before the number was sent
        return _cannot_connect()
    # Staff were checked as they asked; whether they still are waits for the database, as
    # a call would. The <Dial> action records how it went, so the 1 is not taken for none.
    return _dial_officer(int(request.args["callback"]), officer_phone, call_language())


@bp.post("/callback")
@twilio_signed
@fail_open(_cannot_connect)
def callback_answered() -> Response:
    """Tell the coordinator whom the hotline will call and ask for 1."""
    session = get_session()
    callback = _callback()
    callback_outcomes.answered(session, callback, form_text("CallSid", 64))
    language = _language(callback)
    _ = translator("voice", language)
    who = _officer_words(callback, language)
    session.commit()
    response = VoiceResponse()
    gather = Gather(
        num_digits=1,
        timeout=PRESS_SECONDS,
        # The officer's number, in a URL only a request signed by Twilio is heard on: the 1
        # still connects when the database is down as it is pressed (§4.7: calls fail open).
        action=twiml.step_url(
            "callback/connect",
            callback=callback.id,
            lang=language,
            officer=callback.officer_phone,
        ),
    )
    offer = _(
        "LEAD hotline, your call back to {who} about referral {n}. Press {digit} to connect.",
        who=who,
        n=callback.referral_id,
        digit=twiml.ACCEPT_DIGIT,
    )
    twiml.say(gather, offer, language)
    response.append(gather)
    twiml.say(response, _("Nothing was pressed. Goodbye."), language)
    response.hangup()
    return xml(response)


@bp.post("/callback/connect")
@twilio_signed
@fail_open(_connect_without_database)
def callback_connect() -> Response:
    """Dial the referral's officer with the hotline's number as caller ID, on 1 only."""
    session = get_session()
    callback = _callback()
    language = call_language()
    _ = translator("voice", language)
    if not request.form.get("Digits", "").startswith(twiml.ACCEPT_DIGIT):
        callback_outcomes.end(session, callback, "coordinator_declined", now())
        session.commit()
        return xml(twiml.hang_up(_("Not connected. Goodbye."), language))
    if not callback_outcomes.may_connect(session, callback):
        # Ended here, as refused: the final status would take it for a coordinator who
        # did not press 1.
        callback_outcomes.end(session, callback, "not_allowed", now())
        session.commit()
        return xml(twiml.hang_up(_("This call back is no longer allowed. Goodbye."), language))
    callback_outcomes.dialling(callback, now())
    session.commit()
    return _dial_officer(callback.id, callback.officer_phone, language)


@bp.post("/callback/done")
@twilio_signed
@fail_open(lambda: xml(twiml.hang_up()))
def callback_done() -> Response:
    """Record how the officer's leg ended; tell the coordinator when it did not connect."""
    session = get_session()
    callback = _callback()
    seconds = request.form.get("DialCallDuration", "")
    outcome = callback_outcomes.dial_ended(
        session,
        callback,
        request.form.get("DialCallStatus", "failed"),
        ascii_number(seconds),
        now(),
    )
    session.commit()
    if outcome == "connected":
        return xml(twiml.hang_up())
    language = call_language()
    _ = translator("voice", language)
    if outcome == "officer_busy":
        words = _("The officer's line is busy. Goodbye.")
    elif outcome == "officer_failed":
        words = _("The officer's phone could not be reached. Goodbye.")
    else:
        words = _("The officer did not answer. Goodbye.")
    return xml(twiml.hang_up(words, language))


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
    if status in ("completed", *callback_outcomes.UNANSWERED):
        callback_outcomes.call_ended(session, callback, status, now())
        session.commit()
    return Response(status=204)
