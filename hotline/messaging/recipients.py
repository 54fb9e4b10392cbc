"""Who a text goes to: a user's number, whether it opted out, and the language they read."""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import bindparam, select

from ..models import OptOut, User

# Built once: every referral sent by text runs one of them.
RECIPIENT_COLUMNS = (
    User.id,
    User.phone,
    OptOut.phone.is_not(None).label("opted_out"),
    User.language,
)
USER_RECIPIENT = (
    select(*RECIPIENT_COLUMNS)
    .outerjoin(OptOut, OptOut.phone == User.phone)
    .where(User.id == bindparam("user_id"))
)
# The one definition of "every active supervisor" (told of gaps, voicemails, failures).
SUPERVISOR_RECIPIENTS = (
    select(*RECIPIENT_COLUMNS)
    .outerjoin(OptOut, OptOut.phone == User.phone)
    .where(User.role == "supervisor", User.active.is_(True))
    .order_by(User.id)
)


class Recipient(NamedTuple):
    """A user to text, whether their number opted out (read with them), and their language."""

    id: int
    phone: str
    opted_out: bool
    language: str | None = None
