"""The TwiML of each voice step, in the listener's language, built with twilio's VoiceResponse."""

from __future__ import annotations

from urllib.parse import quote_plus
from xml.sax.saxutils import escape, quoteattr

from twilio.twiml import TwiML
from twilio.twiml.voice_response import Dial, Gather, VoiceResponse

from ..i18n import translator
from ..plain_text import clean_text

ACCEPT_DIGIT = "1"
SPANISH_DIGIT = "9"
BADGE_TIMEOUT_SECONDS = 8
WHISPER_TIMEOUT_SECONDS = 10
# A leg that lasted longer was bridged: the whisper hangs up on whoever does not press 1
# once its sentence (well under 20 s) and the wait for a key are over.
BRIDGED_AFTER_SECONDS = WHISPER_TIMEOUT_SECONDS + 20
RECORDING_MAX_SECONDS = 180
RECORDING_SILENCE_SECONDS = 10
# How each language is spoken (SPEC §4.9): Twilio's language tag and an Amazon Polly voice.
SPOKEN = {"es": {"language": "es-US", "voice": "Polly.Lupe"}}
# Always in Spanish, after the badge prompt in the program's language (SPEC §4.9).
SPANISH_OFFER = "Para español, marque 9 y luego numeral."


def step_url(route: str, **query: int | str) -> str:
    """Return the app-relative URL of a follow-up step (Twilio resolves it against ours).

    As urlencode() writes it, without quoting a number (every call's first answer names
    two steps: urlencode's quoting was a third of the time of building it).
    """
    values = (
        f"{name}={value}" if isinstance(value, int) else f"{name}={quote_plus(value)}"
        for name, value in query.items()
    )
    return f"/voice/{route}?{'&'.join(values)}" if query else f"/voice/{route}"


def say(parent: TwiML, text: str, language: str) -> None:
    """Append one spoken sentence in `language` (English keeps Twilio's default voice)."""
    parent.say(clean_text(text), **SPOKEN.get(language, {}))  # a stored name may hold one


def emergency(language: str) -> str:
    """Return the emergency sentence every dead end ends with."""
    _ = translator("voice", language)
    return _("If this is an emergency, hang up and call 9 1 1.")


def fallback(numbers: list[str], timeout: int, language: str) -> VoiceResponse:
    """Dial the fallback numbers at once, or say the line is down (no database needed)."""
    _ = translator("voice", language)
    response = VoiceResponse()
    if not numbers:
        say(
            response,
            _("The LEAD hotline is not available right now.") + " " + emergency(language),
            language,
        )
        response.hangup()
        return response
    say(response, _("Connecting you to the LEAD hotline."), language)
    dial = Dial(timeout=timeout, answer_on_bridge=True)
    for number in numbers:
        dial.number(number)
    response.append(dial)
    return response


def ask_badge(call_id: int, language: str, *, offer_spanish: bool) -> VoiceResponse:
    """Ask an unknown caller once for a badge number; no answer goes on unverified."""
    _ = translator("voice", language)
    response = VoiceResponse()
    action = step_url("badge", call=call_id, lang=language)
    gather = Gather(input="dtmf", finish_on_key="#", timeout=BADGE_TIMEOUT_SECONDS, action=action)
    say(
        gather,
        _("LEAD hotline. Enter your badge number, then press pound, or stay on the line."),
        language,
    )
    if offer_spanish:
        say(gather, SPANISH_OFFER, "es")
    response.append(gather)
    response.redirect(action)
    return response


def dial_step(
    response: VoiceResponse, call_id: int, step: int, number: str, timeout: int, language: str
) -> VoiceResponse:
    """Append one escalation step: ring one number, whisper, then report the result."""
    dial = Dial(
        action=step_url("dial-result", call=call_id, step=step, lang=language),
        timeout=timeout,
        answer_on_bridge=True,
    )
    dial.number(number, url=step_url("whisper", call=call_id, step=step))
    response.append(dial)
    return response


def greet_and_dial(
    greeting: str, call_id: int, step: int, number: str, timeout: int, language: str
) -> str:
    """Return the first answer of a roster officer's call: a greeting, then the first step.

    The same document VoiceResponse builds (a test holds them equal), from a template:
    it is every officer's call, and the builder costs a fifth of the webhook's own CPU.
    """
    spoken = "".join(
        f" {name}={quoteattr(value)}" for name, value in SPOKEN.get(language, {}).items()
    )
    action = step_url("dial-result", call=call_id, step=step, lang=language)
    whisper = step_url("whisper", call=call_id, step=step)
    return (
        '<?xml version="1.0" encoding="UTF-8"?><Response>'
        f"<Say{spoken}>{escape(clean_text(greeting))}</Say>"
        f'<Dial action={quoteattr(action)} answerOnBridge="true" timeout="{int(timeout)}">'
        f"<Number url={quoteattr(whisper)}>{escape(number)}</Number></Dial></Response>"
    )


def thanks(language: str, rings: bool, caller: str | None = None) -> str:
    """Return the caller's thanks, naming `caller` if given; "connecting" only when one rings."""
    _ = translator("voice", language)
    # Nobody to ring (nobody on call, no fallback numbers): the voicemail prompt comes next.
    if caller is None:
        return (
            _("Thank you. Connecting you to the LEAD coordinator on call.")
            if rings
            else _("Thank you.")
        )
    if rings:
        return _(
            "Thank you, {caller}, connecting you to the LEAD coordinator on call.", caller=caller
        )
    return _("Thank you, {caller}.", caller=caller)


def caller_words(officer_name: str | None, language: str) -> str:
    """Return how a coordinator hears of the caller: "Officer Smith" or an unverified caller."""
    _ = translator("voice", language)
    if officer_name is None:
        return _("an unverified caller")
    # The roster may already say "Officer Smith": the title is spoken in the listener's words.
    return _("Officer {name}", name=without_title(officer_name))


def without_title(name: str) -> str:
    """Return an officer's name without a leading "Officer" the roster may carry."""
    head, _space, rest = name.partition(" ")
    return rest if head.lower() == "officer" and rest else name


def whisper(call_id: int, step: int, caller: str, language: str) -> VoiceResponse:
    """Tell the dialled person who calls; only pressing 1 accepts."""
    _ = translator("voice", language)
    response = VoiceResponse()
    gather = Gather(
        num_digits=1,
        timeout=WHISPER_TIMEOUT_SECONDS,
        action=step_url("accept", call=call_id, step=step, lang=language),
    )
    say(
        gather,
        _(
            "LEAD referral call from {caller}, press {digit} to accept.",
            caller=caller,
            digit=ACCEPT_DIGIT,
        ),
        language,
    )
    response.append(gather)
    response.hangup()
    return response


def accepted(language: str) -> VoiceResponse:
    """Bridge the dialled person to the caller."""
    response = VoiceResponse()
    _ = translator("voice", language)
    say(response, _("Connecting."), language)
    return response


def hang_up(message: str | None = None, language: str = "en") -> VoiceResponse:
    """End this leg or call, optionally after a sentence (already in `language`)."""
    response = VoiceResponse()
    if message:
        say(response, message, language)
    response.hangup()
    return response


def told_you_called(language: str) -> VoiceResponse:
    """End a voicemail that holds no message: the coordinators know of the call, not of words."""
    _ = translator("voice", language)
    told = _("The coordinators have been told you called.")
    return hang_up(f"{told} {emergency(language)}", language)


def voicemail(response: VoiceResponse, call_id: int, language: str) -> VoiceResponse:
    """Append the recording offer; an empty recording skips the action and reaches the redirect."""
    _ = translator("voice", language)
    # Only the chain's people and the supervisors are texted (SPEC §4.5): say no more.
    say(
        response,
        _(
            "Nobody could take the call. After the tone, leave your name, badge, call-back "
            "number and location, then press pound. The coordinators on call and the "
            "supervisors will be texted."
        ),
        language,
    )
    response.record(
        action=step_url("recorded", call=call_id, lang=language),
        max_length=RECORDING_MAX_SECONDS,
        timeout=RECORDING_SILENCE_SECONDS,
        finish_on_key="#",
        play_beep=True,
    )
    response.redirect(step_url("voicemail-done", call=call_id, lang=language))
    return response
