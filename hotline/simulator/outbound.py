"""Play the calls the app places through the REST API at once, with the voice emulator."""

from __future__ import annotations

from ..messaging.transport import CallState, CallUnknown, SendResult
from .script import CallResult, CallScript
from .voice import VoiceEmulator


class EmulatedCalls:
    """A transport whose placed calls ring at once: the callee answers and follows `script`.

    It stands in for Twilio's Calls API in the simulator: Twilio would fetch the
    call's TwiML from the app once the callee answers; here the emulator does,
    before `place_call` returns. It sends no texts.
    """

    def __init__(self, emulator: VoiceEmulator, script: CallScript) -> None:
        self._emulator = emulator
        self._script = script
        self.results: list[CallResult] = []

    def send(self, *, to: str, sender: str, body: str) -> SendResult:
        """Refuse: texts go through the outbox's transport, not this one."""
        return SendResult.reject("the call emulator sends no texts")

    def delete_recording(self, sid: str) -> SendResult:
        """Refuse: recordings are deleted through the app's own transport, not this one."""
        return SendResult.reject("the call emulator deletes no recordings")

    def fetch_call(self, sid: str) -> CallState:
        """Tell nothing: the emulated calls are no Twilio account's to ask about."""
        return CallUnknown("the call emulator keeps no calls to ask about", unreachable=True)

    def place_call(self, *, to: str, sender: str, path: str, status_path: str) -> SendResult:
        """Play the whole call from the app's `path`; return its sid."""
        result = self._emulator.call(
            sender,
            to,
            self._script,
            path=path,
            direction="outbound-api",
            status_callback=status_path,
        )
        self.results.append(result)
        return SendResult.ok(result.call_sid)
