"""The TwiML of each voice step, built with twilio's VoiceResponse."""

from __future__ import annotations

from urllib.parse import urlencode

from twilio.twiml.voice_response import Dial, Gather, VoiceResponse

ACCEPT_DIGIT = "1"
BADGE_TIMEOUT_SECONDS = 8
WHISPER_TIMEOUT_SECONDS = 10
RECORDING_MAX_SECONDS = 180
RECORDING_SILENCE_SECONDS = 10
EMERGENCY = "If this is an emergency, hang up and call 9 1 1."


def step_url(route: str, **query: int | str) -> str:
    """Return the app-relative URL of a follow-up step (Twilio resolves it against ours)."""
    return f"/voice/{route}?{urlencode(query)}" if query else f"/voice/{route}"


def text(response: VoiceResponse) -> str:
    """Return the TwiML document."""
    return str(response)


def fallback(numbers: list[str], timeout: int) -> VoiceResponse:
    """Dial the fallback numbers at once, or say the line is down (no database needed)."""
    response = VoiceResponse()
    if not numbers:
        response.say(f"The LEAD hotline is not available right now. {EMERGENCY}")
        response.hangup()
        return response
    response.say("Connecting you to the LEAD hotline.")
    dial = Dial(timeout=timeout, answer_on_bridge=True)
    for number in numbers:
        dial.number(number)
    response.append(dial)
    return response


def ask_badge(call_id: int) -> VoiceResponse:
    """Ask an unknown caller once for a badge number; no answer goes on unverified."""
    response = VoiceResponse()
    gather = Gather(
        input="dtmf",
        finish_on_key="#",
        timeout=BADGE_TIMEOUT_SECONDS,
        action=step_url("badge", call=call_id),
    )
    gather.say("LEAD hotline. Enter your badge number, then press pound, or stay on the line.")
    response.append(gather)
    response.redirect(step_url("badge", call=call_id))
    return response


def dial_step(
    response: VoiceResponse, call_id: int, step: int, number: str, timeout: int
) -> VoiceResponse:
    """Append one escalation step: ring one number, whisper, then report the result."""
    dial = Dial(
        action=step_url("dial-result", call=call_id, step=step),
        timeout=timeout,
        answer_on_bridge=True,
    )
    dial.number(number, url=step_url("whisper", call=call_id, step=step))
    response.append(dial)
    return response


def whisper(call_id: int, step: int, caller: str) -> VoiceResponse:
    """Tell the dialled person who calls; only pressing 1 accepts."""
    response = VoiceResponse()
    gather = Gather(
        num_digits=1,
        timeout=WHISPER_TIMEOUT_SECONDS,
        action=step_url("accept", call=call_id, step=step),
    )
    gather.say(f"LEAD referral call from {caller}, press {ACCEPT_DIGIT} to accept.")
    response.append(gather)
    response.hangup()
    return response


def accepted() -> VoiceResponse:
    """Bridge the dialled person to the caller."""
    response = VoiceResponse()
    response.say("Connecting.")
    return response


def hang_up(message: str | None = None) -> VoiceResponse:
    """End this leg or call, optionally after a sentence."""
    response = VoiceResponse()
    if message:
        response.say(message)
    response.hangup()
    return response


def voicemail(response: VoiceResponse, call_id: int) -> VoiceResponse:
    """Append the recording offer; an empty recording skips the action and reaches the redirect."""
    response.say(
        "Nobody could take the call. After the tone, leave your name, badge, "
        "call-back number and location, then press pound. Every coordinator will be told."
    )
    response.record(
        action=step_url("recorded", call=call_id),
        max_length=RECORDING_MAX_SECONDS,
        timeout=RECORDING_SILENCE_SECONDS,
        finish_on_key="#",
        play_beep=True,
    )
    response.redirect(step_url("voicemail-done", call=call_id))
    return response
