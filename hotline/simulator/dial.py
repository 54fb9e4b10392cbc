"""Play a <Dial>: ring its numbers, run the whisper on the callee's side, report back."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin
from xml.etree.ElementTree import Element

from .call import (
    API_VERSION,
    CallerHungUp,
    CallState,
    Document,
    WebhookFailed,
    gather_timeout,
    gathered,
    new_sid,
    require_post,
)
from .script import Leg
from .twiml import UnsupportedTwiml

DEFAULT_DIAL_TIMEOUT = 30
DEFAULT_TIME_LIMIT = 4 * 60 * 60
RING_SECONDS = 5
NEVER_RINGS = ("busy", "failed")


@dataclass
class Ring:
    """One dialled number: what its person does and how its child call ends."""

    number: str
    noun: Element | None
    leg: Leg
    sid: str
    origin: str  # the URL of the document holding the <Dial>
    status: str = "no-answer"
    seconds: int = 0
    sequence: int = 0


def dial(call: CallState, document: Document, verb: Element) -> Document | None:
    """Play one <Dial>; return the action's document, or None to go on after the <Dial>."""
    require_post(verb)
    rings = [
        Ring(number, noun, call.next_leg(number), new_sid("CA"), document.url)
        for number, noun in _targets(verb)
    ]
    call.result.dialled.append([ring.number for ring in rings])
    detail = {name: verb.attrib[name] for name in ("action", "timeout") if name in verb.attrib}
    call.log("dial", " ".join(ring.number for ring in rings), **detail)
    caller_id = verb.get("callerId")
    winner = next((ring for ring in rings if ring.leg.answers), None)
    for ring in rings:
        _progress(call, ring, caller_id, "initiated")
        if ring.leg.outcome not in NEVER_RINGS:
            _progress(call, ring, caller_id, "ringing")
    try:
        bridged = winner is not None and _answer(call, document, winner, caller_id)
    except CallerHungUp:
        assert winner is not None  # only a callee-side request can be the last one
        call.log("leg", f"{winner.number} hung up: the caller left before the bridge")
        _hang_up(call, rings, winner, caller_id)
        _report(call, document, verb, rings, winner, status="completed")
        raise
    if winner is None:
        timeout = int(verb.get("timeout", str(DEFAULT_DIAL_TIMEOUT)))
        call.spend(timeout if any(r.leg.outcome == "no-answer" for r in rings) else 1)
    elif bridged:
        # Twilio ends a bridged call at the <Dial timeLimit> (4 hours by default).
        talk = min(winner.leg.talk_seconds, int(verb.get("timeLimit", str(DEFAULT_TIME_LIMIT))))
        winner.seconds = call.spend(talk)
        call.result.answered_by = winner.number
        call.log("leg", f"{winner.number} bridged", talk_seconds=str(winner.seconds))
    _hang_up(call, rings, winner, caller_id)
    return _report(call, document, verb, rings, winner)


def _targets(verb: Element) -> list[tuple[str, Element | None]]:
    text = (verb.text or "").strip()
    if text:
        return [(text, None)]
    for noun in verb:
        if noun.tag != "Number":
            raise UnsupportedTwiml(f"<Dial><{noun.tag}>: the emulator only dials <Number>")
    return [((noun.text or "").strip(), noun) for noun in verb]


def _answer(call: CallState, document: Document, ring: Ring, caller_id: str | None) -> bool:
    """Pick up `ring` and run its whisper; return True when the parties get bridged."""
    ring.status = "completed"
    ring.seconds = call.spend(RING_SECONDS)
    call.log("leg", f"{ring.number} answered", outcome=ring.leg.outcome, sid=ring.sid)
    _progress(call, ring, caller_id, "answered")
    url = ring.noun.get("url") if ring.noun is not None else None
    if ring.noun is None or url is None:
        return True
    require_post(ring.noun)
    params = _child_params(call, ring, caller_id, "in-progress")
    try:
        whisper = call.fetch(urljoin(document.url, url), params, callee=True)
        return _screen(call, ring, whisper, params)
    except WebhookFailed as failure:
        # The callee hears Twilio's error message and the child call ends unbridged.
        call.log("error", str(failure), side="callee", code=failure.code)
        return False


def _screen(call: CallState, ring: Ring, whisper: Document, params: dict[str, str]) -> bool:
    """Run a whisper document on the callee's side; return True when it ends in a bridge."""
    while True:
        for verb in whisper.root:
            if verb.tag in ("Say", "Play", "Pause"):
                ring.seconds += call.prompt(verb, callee=True)
            elif verb.tag == "Gather":
                for child in verb:
                    ring.seconds += call.prompt(child, callee=True)
                submitted = gathered(verb, ring.leg.keys())
                call.log("gather", (submitted or {}).get("Digits", "no input"), side="callee")
                if submitted is not None:
                    require_post(verb)
                    action = urljoin(whisper.url, verb.get("action", whisper.url))
                    whisper = call.fetch(action, {**params, **submitted}, callee=True)
                    break
                ring.seconds += call.spend(gather_timeout(verb))
            elif verb.tag == "Redirect":
                require_post(verb)
                target = urljoin(whisper.url, (verb.text or "").strip())
                call.log("redirect", target, side="callee")
                whisper = call.fetch(target, params, callee=True)
                break
            elif verb.tag in ("Hangup", "Reject"):
                call.log("hangup", f"{ring.number} hung up before the bridge", side="callee")
                return False
            else:
                raise UnsupportedTwiml(f"<{verb.tag}> on the callee's side of a <Dial>")
        else:
            return True


def _hang_up(
    call: CallState, rings: list[Ring], winner: Ring | None, caller_id: str | None
) -> None:
    """End every child call: the unanswered ones stop ringing, and report them all."""
    for ring in rings:
        if ring is not winner:
            if ring.leg.outcome in NEVER_RINGS:
                ring.status = ring.leg.outcome
            else:
                ring.status = "canceled" if winner is not None else "no-answer"
            call.log("leg", f"{ring.number} {ring.status}", outcome=ring.leg.outcome)
        _progress(call, ring, caller_id, "completed")


def _report(
    call: CallState,
    document: Document,
    verb: Element,
    rings: list[Ring],
    winner: Ring | None,
    *,
    status: str = "in-progress",
) -> Document | None:
    """POST the <Dial> action, if any; its answer is ignored when the caller is gone."""
    action = verb.get("action")
    if action is None:
        return None
    extra = {"DialCallStatus": _dial_status(rings, winner)}
    if winner is not None:
        extra |= {"DialCallSid": winner.sid, "DialCallDuration": str(winner.seconds)}
    elif len(rings) == 1:
        extra["DialCallSid"] = rings[0].sid
    url = urljoin(document.url, action)
    if status == "completed":
        call.post(url, call.params(status, **extra))
        return None
    return call.fetch(url, call.params(status, **extra))


def _dial_status(rings: list[Ring], winner: Ring | None) -> str:
    if winner is not None:
        return "completed"
    statuses = {ring.status for ring in rings}
    return next(status for status in ("no-answer", "busy", "failed") if status in statuses)


def _child_params(
    call: CallState, ring: Ring, caller_id: str | None, status: str
) -> dict[str, str]:
    """Return the parameters Twilio sends about a dialled (child) call."""
    caller = caller_id or call.base["To"]
    return {
        "AccountSid": call.base["AccountSid"],
        "CallSid": ring.sid,
        "ParentCallSid": call.base["CallSid"],
        "From": caller,
        "To": ring.number,
        "Caller": caller,
        "Called": ring.number,
        "CallStatus": status,
        "Direction": "outbound-dial",
        "ApiVersion": API_VERSION,
    }


def _progress(call: CallState, ring: Ring, caller_id: str | None, event: str) -> None:
    """POST the <Number statusCallback> for one call-progress event, when subscribed."""
    if ring.noun is None or "statusCallback" not in ring.noun.attrib:
        return
    subscribed = ring.noun.get("statusCallbackEvent", "completed").replace(",", " ").split()
    if event not in subscribed:
        return
    require_post(ring.noun, "statusCallbackMethod")
    status = {"answered": "in-progress", "completed": ring.status}.get(event, event)
    params = _child_params(call, ring, caller_id, status)
    params |= {"CallbackSource": "call-progress-events", "SequenceNumber": str(ring.sequence)}
    if event == "completed":
        params["CallDuration"] = str(ring.seconds)
    ring.sequence += 1
    call.post(urljoin(ring.origin, ring.noun.attrib["statusCallback"]), params)
