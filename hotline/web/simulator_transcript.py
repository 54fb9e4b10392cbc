"""The simulator's call transcript: each event of a call as a labelled line of words."""

from __future__ import annotations

import re
from collections.abc import Mapping

from ..i18n import N_
from ..simulator import CallResult
from ..simulator.script import LegOutcome
from .language import web_text as _

NUMBER = re.compile(r"\+\d{7,15}")
# What a dialled phone may do, in the words the call form shows.
LEG_CHOICES: dict[LegOutcome, str] = {
    "accept": N_("answers and presses 1"),
    "no-answer": N_("lets it ring out"),
    "busy": N_("is busy"),
    "voicemail": N_("voicemail picks up"),
    "decline": N_("answers and declines (presses 2)"),
}
EVENT_LABELS = {
    "say": N_("Caller hears"),
    "whisper": N_("Dialled phone hears"),
    "dial": N_("Dialling"),
    "leg": N_("Leg"),
    "gather": N_("Caller presses"),
    "record": N_("Voicemail"),
    "hangup": N_("Hang-up"),
    "error": N_("Error"),
    "end": N_("Call ended"),
}


def transcript(
    result: CallResult, names: Mapping[str, str], labels: Mapping[str, str] = EVENT_LABELS
) -> list[tuple[str, str]]:
    """Return a call's events as (who or what, words) lines, numbers shown with names."""

    def named(match: re.Match[str]) -> str:
        number = match.group()
        return f"{names[number]} ({number})" if number in names else number

    lines: list[tuple[str, str]] = []
    for event in result.events:
        if event.kind not in labels:
            continue  # requests are listed apart; pauses and redirects say nothing
        label = labels[event.kind]
        text: str = NUMBER.sub(named, event.text)
        if event.kind == "gather" and event.detail.get("side") == "callee":
            label = N_("Dialled phone presses")
        outcome = event.detail.get("outcome", "")
        if event.kind == "leg" and event.text.endswith("answered") and outcome in LEG_CHOICES:
            text = _("{event}: {choice}", event=text, choice=_(LEG_CHOICES[outcome]))
        if event.kind == "end":
            seconds = event.detail.get("duration", "?")
            text = _("{event} after {seconds} s", event=text, seconds=seconds)
        lines.append((_(label), text))
    return lines
