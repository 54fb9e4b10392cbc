"""The call's steps: incoming, badge, whisper, accept, dial result, voicemail, status."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, g, request
from twilio.twiml.voice_response import VoiceResponse

from ..db import database_unavailable, get_session
from ..models import Call
from ..services import calls
from ..services.voicemail import notify_voicemail
from ..webhooks import form_text, twilio_signed
from . import twiml
from .views import bp, fail_open, now, xml

MAX_SECONDS_DIGITS = 9  # a call or recording longer than 31 years is not a duration


def _call_from_query() -> Call:
    """Return the call named by the signed `call` query parameter."""
    call = get_session().get(Call, int(request.args["call"]))
    if call is None:
        raise LookupError("no such call")
    return call


def _seconds(name: str) -> int | None:
    """Return a whole-seconds field of the webhook, or None when absent or malformed."""
    value = request.form.get(name, "")
    return int(value) if value.isdigit() and len(value) <= MAX_SECONDS_DIGITS else None


def _step() -> int:
    return int(request.args["step"])


def _render(
    call_id: int, chain: list[dict[str, Any]], next_step: calls.Next, say: str | None = None
) -> Response:
    """Turn the flow's decision into TwiML, recording what it starts."""
    session = get_session()
    response = VoiceResponse()
    if say:
        response.say(say)
    if isinstance(next_step, calls.Dial):
        calls.ensure_leg(session, call_id, chain, next_step.step, now())
        timeout = current_app.config["HOTLINE_DIAL_TIMEOUT"]
        twiml.dial_step(response, call_id, next_step.step, next_step.number, timeout)
    elif isinstance(next_step, calls.Voicemail):
        calls.reach_voicemail(session, session.get_one(Call, call_id), now())
        twiml.voicemail(response, call_id)
    else:
        response.hangup()
    session.commit()
    return xml(response)


@bp.post("/incoming")
@twilio_signed
@fail_open()
def incoming() -> Response:
    """Record the call and its referral, then ask for a badge or start the chain."""
    config = current_app.config
    session = get_session()
    call = calls.start_call(
        session,
        form_text("CallSid", 64),
        form_text("From", 40),
        form_text("To", 40),
        now(),
        config["HOTLINE_DEFAULT_REGION"],
        config["HOTLINE_FALLBACK_NUMBERS"],
    )
    if call.officer_id is None:
        session.commit()
        return xml(twiml.ask_badge(call.id))
    # One transaction for the call, its referral and the first leg: _render commits it.
    return _render(
        call.id,
        call.chain,
        calls.step_or_voicemail(call.chain, 0),
        f"Thank you, {call.caller}, connecting you to the LEAD coordinator on call.",
    )


@bp.post("/badge")
@twilio_signed
@fail_open()
def badge() -> Response:
    """Identify the caller by the badge keyed (or go on unverified), then start the chain."""
    session = get_session()
    call = _call_from_query()
    calls.identify_by_badge(session, call, request.form.get("Digits", ""), now())
    # Never the officer's name, nor whether the badge matched: the caller's phone is
    # unverified, and either would let anyone read the roster badge by badge.
    greeting = "Thank you. Connecting you to the LEAD coordinator on call."
    return _render(call.id, call.chain, calls.step_or_voicemail(call.chain, 0), greeting)


def _anonymous_whisper() -> Response:
    """Whisper without the database: the person can still take the call."""
    return xml(
        twiml.whisper(
            int(request.args.get("call", 0)), int(request.args.get("step", 0)), "the hotline"
        )
    )


@bp.post("/whisper")
@twilio_signed
@fail_open(_anonymous_whisper)
def whisper() -> Response:
    """Tell the dialled person who is calling and ask for 1."""
    call = _call_from_query()
    return xml(twiml.whisper(call.id, _step(), calls.caller_description(get_session(), call)))


def _bridge_if_accepted() -> Response:
    """Without the database, still connect a person who pressed 1."""
    if request.form.get("Digits", "").startswith(twiml.ACCEPT_DIGIT):
        return xml(twiml.accepted())
    return xml(twiml.hang_up())


@bp.post("/accept")
@twilio_signed
@fail_open(_bridge_if_accepted)
def accept() -> Response:
    """Record the dialled person's key: 1 bridges them, anything else hangs up their leg."""
    session = get_session()
    call = _call_from_query()
    taken = calls.accept(session, call, _step(), request.form.get("Digits", ""), now())
    session.commit()
    return xml(twiml.accepted() if taken else twiml.hang_up())


@bp.post("/dial-result")
@twilio_signed
@fail_open()
def dial_result() -> Response:
    """Decide from the acceptance record, not DialCallStatus alone, where the call goes."""
    form = request.form
    session = get_session()
    call = _call_from_query()
    next_step = calls.dial_result(
        session,
        call,
        _step(),
        form.get("DialCallStatus", "failed"),
        form.get("CallStatus", "in-progress"),
        _seconds("DialCallDuration"),
        now(),
    )
    say = "Still trying, please hold." if isinstance(next_step, calls.Dial) else None
    return _render(call.id, call.chain, next_step, say)


@bp.post("/recorded")
@twilio_signed
@fail_open()
def recorded() -> Response:
    """Keep the recording and tell the chain and supervisors about it."""
    session = get_session()
    call = _call_from_query()
    url = form_text("RecordingUrl", 500)
    if url:
        calls.store_recording(session, call, url, _seconds("RecordingDuration"), now())
    _notify(call)
    return xml(twiml.hang_up("Thank you. Your message was delivered to the coordinators."))


@bp.post("/voicemail-done")
@twilio_signed
@fail_open()
def voicemail_done() -> Response:
    """An empty recording: still tell everyone the officer called."""
    call = _call_from_query()
    _notify(call)
    return xml(twiml.hang_up(f"The coordinators have been told you called. {twiml.EMERGENCY}"))


def _notify(call: Call) -> None:
    config = current_app.config
    session = get_session()
    notify_voicemail(session, call, now(), config["HOTLINE_NUMBER"], config["HOTLINE_PUBLIC_URL"])
    session.commit()


def _retry_later() -> Response:
    """Ask Twilio to send the status again when the database failed it, not the status itself.

    The callback URL's connection override makes Twilio retry a 5xx; a status
    the app cannot apply (garbage) would fail again, so it is answered 204.
    """
    return Response(status=503 if database_unavailable(g.get("webhook_failure")) else 204)


@bp.post("/status")
@twilio_signed
@fail_open(_retry_later)
def status() -> Response:
    """Record the call's status; a call that ended in voicemail notifies if nothing did yet.

    A status that cannot be stored is answered 503, and Twilio sends it again
    (`hotline twilio configure` sets the retry on the status callback URL).
    """
    config = current_app.config
    session = get_session()
    call_sid = form_text("CallSid", 64)
    if not call_sid:
        return Response(status=204)  # not a status Twilio would send: retrying cannot help
    call = calls.find_call(session, call_sid)
    if call is None:  # the status of a call whose first webhook never reached us
        calls.start_call(
            session,
            call_sid,
            form_text("From", 40),
            form_text("To", 40),
            now(),
            config["HOTLINE_DEFAULT_REGION"],
            [],
        )
        call = calls.find_call(session, call_sid)
        assert call is not None
    calls.finish(session, call, form_text("CallStatus", 20), _seconds("CallDuration"), now())
    session.commit()
    if call.ended_at is not None:
        _notify(call)
    return Response(status=204)
