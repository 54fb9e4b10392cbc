"""What one text does to an officer's intake, as the domain tells the SMS channel (typed)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .intake_steps import Step


@dataclass(frozen=True)
class Asked:
    """The intake asks `step` now: after a fitting answer, again after one that did not fit,
    or first (`officer_name` greets a roster officer)."""

    step: Step
    answers: dict[str, Any]
    retry: bool = False
    badge_noted: bool = False
    officer_name: str | None = None
    # The intake's save (CONVERSATION_UPDATE's values): hotline.sms.handle.answer_text
    # writes it with the reply's log entry.
    saves: dict[str, Any] | None = None


@dataclass(frozen=True)
class Declined:
    """No consent: no referral, nothing of the person kept."""


@dataclass(frozen=True)
class Sent:
    """The referral was made; `told` whether anyone on call could be texted.

    `delayed`: the clock that sends texts is not running (SPEC §2), so they wait.
    """

    referral_id: int
    told: bool
    delayed: bool = False


@dataclass(frozen=True)
class Dropped:
    """The officer dropped the intake."""


IntakeReply = Asked | Declined | Sent | Dropped
