"""An intake step's last writes: the intake saved as it was read, and the reply logged.

Every step of an officer's text intake ends with these two, so PostgreSQL takes
them as one statement (a data-modifying CTE: one round trip, the reply logged
only if the save held). SQLite, which has none, runs the two in turn. Either
way an intake changed by another text since it was read raises IntakeMoved,
and the caller handles the text again.
"""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import Connection, Select, bindparam, exists, func, insert, literal, select

from ..models import Conversation, Message
from ..statements import table_of
from .sms_intake import CONVERSATION_UPDATE, IntakeMoved, write_as_read

REPLY_INSERT = insert(table_of(Message))  # built once: most texts get a reply
# Every column a reply sets, defaults included: a CTE's INSERT gets none filled in.
REPLY_FIELDS = ("direction", "from_number", "to_number", "body", "status", "created_at", "kind")


def log_reply(connection: Connection, reply: dict[str, Any]) -> None:
    """Log the reply to a text (REPLY_FIELDS)."""
    connection.execute(REPLY_INSERT, reply)


def save_and_reply(connection: Connection, saves: dict[str, Any], reply: dict[str, Any]) -> None:
    """Save the intake as read (CONVERSATION_UPDATE's values) and log the reply; or IntakeMoved."""
    if connection.dialect.name != "postgresql":
        write_as_read(connection, CONVERSATION_UPDATE, saves)
        log_reply(connection, reply)
        return
    params = {**saves, **{f"m_{name}": reply[name] for name in REPLY_FIELDS}}
    if connection.execute(_in_one_statement(), params).scalar_one() != 1:
        raise IntakeMoved


@functools.cache
def _in_one_statement() -> Select[Any]:
    """Return PostgreSQL's one statement for the save and the reply, built once."""
    messages = table_of(Message)
    saved = CONVERSATION_UPDATE.returning(table_of(Conversation).c.phone).cte("intake_saved")
    values = select(
        *(bindparam(f"m_{name}", type_=messages.c[name].type) for name in REPLY_FIELDS),
        literal(0),
    ).where(exists().select_from(saved))
    replied = insert(messages).from_select([*REPLY_FIELDS, "attempts"], values)
    return select(func.count()).select_from(saved).add_cte(replied.cte("intake_replied"))
