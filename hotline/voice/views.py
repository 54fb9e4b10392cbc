"""The call's routes: incoming, badge, whisper, accept, dial result, voicemail, status, fallback.

Each verifies the signature, applies one step of the call (hotline.services.calls, call_end)
and answers TwiML in the listener's language; any failure answers fail-open TwiML.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, g, request
from twilio.twiml.voice_response import VoiceResponse

from ..db import database, database_unavailable, get_session
from ..digits import ascii_number
from ..i18n import translator
from ..models import Call
from ..services import call_arrival, call_end, calls
from ..services.voicemail import announce_late_recording, notify_voicemail
from ..webhooks import form_text, twilio_signed
from ..webhooks import twiml_response as xml
from . import twiml
from .respond import call_language, fail_open, fallback_response, now, program_language

bp = Blueprint("voice", __name__, url_prefix="/voice")


@bp.post("/fallback")
@twilio_signed
def fallback() -> Response:
    """Dial the fallback numbers; this path never touches the database (SPEC §4.7)."""
    return fallback_response()


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
    return ascii_number(value, MAX_SECONDS_DIGITS)


def _step() -> int:
    return int(request.args["step"])


def _render(
    call_id: int,
    chain: list[dict[str, Any]],
    next_step: calls.Next,
    language: str,
    say: str | None = None,
    leg_recorded: bool = False,
) -> Response:
    """Turn the flow's decision into TwiML in the caller's language, recording what it starts."""
    timeout = current_app.config["HOTLINE_DIAL_TIMEOUT"]
    if say and isinstance(next_step, calls.Dial):
        # Every officer's call starts here: its TwiML from a template, not the builder.
        if not leg_recorded:  # else start_call committed the leg with the call
            session = get_session()
            calls.ensure_leg(session, call_id, chain, next_step.step, now(), next_step.number)
            session.commit()
        step, number = next_step.step, next_step.number
        document = twiml.greet_and_dial(say, call_id, step, number, timeout, language)
        return Response(document, mimetype="text/xml")
    session = get_session()
    response = VoiceResponse()
    if say:
        twiml.say(response, say, language)
    if isinstance(next_step, calls.Dial):
        calls.ensure_leg(session, call_id, chain, next_step.step, now(), next_step.number)
        twiml.dial_step(response, call_id, next_step.step, next_step.number, timeout, language)
    elif isinstance(next_step, calls.Voicemail):
        call_end.reach_voicemail(session, session.get_one(Call, call_id), now())
        twiml.voicemail(response, call_id, language)
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
    incoming_call = call_arrival.IncomingCall(
        form_text("CallSid", 64),
        form_text("From", 40),
        form_text("To", 40),
        now(),
        config["HOTLINE_DEFAULT_REGION"],
        config["HOTLINE_FALLBACK_NUMBERS"],
        rings=True,
    )
    # No session: start_call writes on a connection of its own.
    call = call_arrival.start_call(database().engine, incoming_call)
    if call.officer_id is None:
        language = program_language()
        return xml(twiml.ask_badge(call.id, language, offer_spanish=language != "es"))
    # The call, its referral and the first leg are on record (start_call committed them).
    language = call.language or program_language()
    first = calls.step_or_voicemail(call.chain, 0)
    caller = twiml.caller_words(call.officer_name, language)
    greeting = twiml.thanks(language, isinstance(first, calls.Dial), caller)
    return _render(call.id, call.chain, first, language, greeting, leg_recorded=True)


@bp.post("/badge")
@twilio_signed
@fail_open()
def badge() -> Response:
    """Identify the caller by badge (or go on unverified); ring the chain unless they hung up."""
    session = get_session()
    call = _call_from_query()
    language, digits = call_language(), request.form.get("Digits", "")
    if digits == twiml.SPANISH_DIGIT:  # 9 is never a badge (SPEC §4.9)
        if language != "es":
            return xml(twiml.ask_badge(call.id, "es", offer_spanish=False))
        digits = ""  # pressed again in Spanish: go on unverified
    calls.identify_by_badge(session, call, digits, now())
    # Never the officer's name, nor whether the badge matched: the caller's phone is
    # unverified, and either would let anyone read the roster badge by badge.
    first = calls.next_step(session, call.chain, 0) if call.ended_at is None else calls.Done()
    next_step = calls.unless_ended(session, call, first)
    greeting = twiml.thanks(language, isinstance(next_step, calls.Dial))
    return _render(call.id, call.chain, next_step, language, greeting)


def _anonymous_whisper() -> Response:
    """Whisper without the database: the person can still take the call."""
    language = program_language()
    _ = translator("voice", language)
    caller = _("the hotline")
    call_id, step = int(request.args.get("call", 0)), int(request.args.get("step", 0))
    return xml(twiml.whisper(call_id, step, caller, language))


@bp.post("/whisper")
@twilio_signed
@fail_open(_anonymous_whisper)
def whisper() -> Response:
    """Tell the dialled person, in their own language, who is calling and ask for 1."""
    session = get_session()
    call = _call_from_query()
    language = calls.dialled_language(session, call, _step()) or program_language()
    caller = twiml.caller_words(calls.caller_name(session, call), language)
    return xml(twiml.whisper(call.id, _step(), caller, language))


def _bridge_if_accepted() -> Response:
    """Without the database, still connect a person who pressed 1."""
    if request.form.get("Digits", "").startswith(twiml.ACCEPT_DIGIT):
        return xml(twiml.accepted(call_language()))
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
    return xml(twiml.accepted(call_language()) if taken else twiml.hang_up())


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
        twiml.BRIDGED_AFTER_SECONDS,
    )
    language = call_language()
    _ = translator("voice", language)
    still = _("Still trying, please hold.")
    say = still if isinstance(next_step, calls.Dial) else None
    return _render(call.id, call.chain, next_step, language, say)


@bp.post("/recorded")
@twilio_signed
@fail_open()
def recorded() -> Response:
    """Keep the recording and tell the chain and supervisors about it."""
    session = get_session()
    call = _call_from_query()
    url = form_text("RecordingUrl", 500)
    if url and call_end.keep_recording(call, url, _seconds("RecordingDuration")):
        # Committed alone, on the call's own row: Twilio never sends this step again, and
        # the referral's row may be held elsewhere past the deadline (SPEC §4.8).
        session.commit()
    announced_empty = call_end.announced_empty(session, call)  # the final status came first
    stored = bool(url) and call_end.store_recording(
        session, call, url, _seconds("RecordingDuration"), now()
    )
    _notify(call)
    if not call_end.holds_message(call):
        return xml(twiml.told_you_called(call_language()))
    if stored and announced_empty:
        config = current_app.config
        announce_late_recording(
            session, call, now(), config["HOTLINE_NUMBER"], config["HOTLINE_PUBLIC_URL"]
        )
        session.commit()
    _ = translator("voice", language := call_language())
    thanks = _("Thank you. Your message was delivered to the coordinators.")
    return xml(twiml.hang_up(thanks, language))


@bp.post("/voicemail-done")
@twilio_signed
@fail_open()
def voicemail_done() -> Response:
    """An empty recording: still tell everyone the officer called."""
    _notify(_call_from_query())
    return xml(twiml.told_you_called(call_language()))


def _notify(call: Call) -> None:
    config = current_app.config
    session = get_session()
    notify_voicemail(session, call, now(), config["HOTLINE_NUMBER"], config["HOTLINE_PUBLIC_URL"])
    session.commit()


def _retry_later() -> Response:
    """Ask Twilio to send the status again when the database failed it, not the status itself."""
    # The callback URL's connection override makes Twilio retry a 5xx; a status the app
    # cannot apply (garbage) would fail again, so it is answered 204.
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
        unseen = call_arrival.IncomingCall(
            call_sid,
            form_text("From", 40),
            form_text("To", 40),
            now(),
            config["HOTLINE_DEFAULT_REGION"],
            [],
            rings=False,  # it went to the fallback numbers: nobody of the chain was dialled
        )
        call_arrival.start_call_in_session(session, unseen)
        call = calls.find_call(session, call_sid)
        assert call is not None
    call_end.finish(session, call, form_text("CallStatus", 20), _seconds("CallDuration"), now())
    # The end commits with its notice, not before it: an end stored without its notice
    # (the referral's row held elsewhere through Twilio's retries) would never be told
    # to anyone, since the clock's sweep looks only at calls whose end was never stored.
    if call.ended_at is not None:
        _notify(call)
    session.commit()
    return Response(status=204)
