"""What each role may do, decided in one place (SPEC §1, §6, §8) for the web, API and SMS alike.

Views ask `can(user, capability)`; none compares role names. A prosecutor sees
only the prosecutor view and records charges; case managers work participants
and read referrals; only coordinators and supervisors work referrals and use
the staff SMS commands; only supervisors change the program.
"""

from __future__ import annotations

from typing import Literal, Protocol

Role = Literal["coordinator", "supervisor", "case_manager", "prosecutor"]
ROLES: tuple[Role, ...] = ("coordinator", "supervisor", "case_manager", "prosecutor")
ROLE_WORDS: dict[str, str] = {
    "coordinator": "coordinator",
    "supervisor": "supervisor",
    "case_manager": "case manager",
    "prosecutor": "prosecutor",
}
# The roles that keep the program running: one of them must stay active (SPEC §2).
GUARDIAN_ROLE: Role = "supervisor"

Capability = Literal[
    "take_calls",  # be on a rotation or an override: calls and referral texts ring them
    "read_oncall",  # who is on call, the schedule, rotations and overrides (read only)
    "read_referrals",  # referrals, their calls and texts, the message and call logs
    "work_referrals",  # ACK, complete, assess, notes, intake outcomes, call back
    "staff_sms",  # the staff SMS commands (ACK, NOTE, INTAKE, NONCOMPLY, WHO, TAKE, CALL)
    "edit_program",  # rotations, overrides, people, roster, tokens
    "supervise",  # reports and the audit log
    "see_participants",  # open /participants at all: in full, or as the prosecutor's view
    "keep_caseload",  # have participants of one's own: the home page is the caseload
    "read_participants",  # participants in full: plan, consents, contacts
    "write_participants",  # create and change participants, consents and plans
    "prosecutor_view",  # status-only view of consenting participants
    "record_charge",  # a pending charge on a participant
]

STAFF: frozenset[Role] = frozenset({"coordinator", "supervisor"})
PROGRAM: frozenset[Role] = frozenset({"coordinator", "supervisor", "case_manager"})
GRANTS: dict[Capability, frozenset[Role]] = {
    "take_calls": STAFF,
    "read_oncall": frozenset(ROLES),
    "read_referrals": PROGRAM,
    "work_referrals": STAFF,
    "staff_sms": STAFF,
    "edit_program": frozenset({"supervisor"}),
    "supervise": frozenset({"supervisor"}),
    "see_participants": frozenset(ROLES),
    "keep_caseload": frozenset({"case_manager"}),
    "read_participants": PROGRAM,
    "write_participants": PROGRAM,
    "prosecutor_view": frozenset({"prosecutor"}),
    "record_charge": frozenset({"prosecutor", "supervisor"}),
}


class Person(Protocol):
    """Anything with a role and an active flag (a User row, an API caller)."""

    @property
    def role(self) -> str: ...

    @property
    def active(self) -> bool: ...


def can(user: Person | None, capability: Capability) -> bool:
    """Tell whether `user` (None: nobody signed in) may do `capability`."""
    if user is None or not user.active:
        return False
    return user.role in GRANTS[capability]


def holders(capability: Capability) -> tuple[str, ...]:
    """Return the roles granted `capability`, in the roles' order (for queries and messages)."""
    return tuple(role for role in ROLES if role in GRANTS[capability])
