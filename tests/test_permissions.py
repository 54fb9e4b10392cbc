"""What each role may do is one table (hotline.permissions), and every channel asks it."""

from __future__ import annotations

from hotline.permissions import GRANTS, ROLES, can


class Member:
    def __init__(self, role: str, active: bool = True) -> None:
        self.role, self.active = role, active


# Read across: coordinator, supervisor, case manager, prosecutor.
EXPECTED = {
    "take_calls": (1, 1, 0, 0),
    "read_oncall": (1, 1, 1, 1),
    "read_referrals": (1, 1, 1, 0),
    "work_referrals": (1, 1, 0, 0),
    "staff_sms": (1, 1, 0, 0),
    "edit_program": (0, 1, 0, 0),
    "supervise": (0, 1, 0, 0),
    "see_participants": (1, 1, 1, 1),
    "keep_caseload": (0, 0, 1, 0),
    "read_participants": (1, 1, 1, 0),
    "write_participants": (1, 1, 1, 0),
    "prosecutor_view": (0, 0, 0, 1),
    "record_charge": (0, 1, 0, 1),
}


def test_each_role_may_do_exactly_what_the_table_says() -> None:
    assert set(EXPECTED) == set(GRANTS)
    for capability, row in EXPECTED.items():
        granted = tuple(int(can(Member(role), capability)) for role in ROLES)  # type: ignore[arg-type]
        assert granted == row, capability


def test_nobody_and_the_inactive_may_do_nothing() -> None:
    for capability in GRANTS:
        assert not can(None, capability)
        assert not can(Member("supervisor", active=False), capability)
