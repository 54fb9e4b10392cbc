"""An inbound text's first step: who sent it, and the text logged (SPEC §5), in one go.

Every text starts here, so it is built for the hot path. PostgreSQL reads the
sender and logs the text in one statement (a data-modifying CTE beside the
read). SQLite, which has none, reads first and inserts second, so that its
write lock is held only from the log to the commit. Either way a MessageSid
already logged writes nothing, and the id answered is None.
"""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import Select, bindparam, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.orm import Session

from ..models import Message
from ..statements import insert_unless_present, table_of
from .text_sender import SENDER_QUERY, Sender, identify, sender_from

# Every column the log entry sets, defaults included: a CTE's INSERT gets none filled in.
MESSAGE_FIELDS = (
    "direction",
    "from_number",
    "to_number",
    "body",
    "status",
    "message_sid",
    "created_at",
    "attempts",
)


def identify_and_log(
    session: Session, phone: str, message: dict[str, Any]
) -> tuple[Sender, int | None]:
    """Return who sent the text, and its log entry's id (None when its MessageSid is known)."""
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        sender = identify(session, phone)
        return sender, insert_unless_present(session, Message, message)
    params = {"phone": phone} | {f"m_{name}": message[name] for name in MESSAGE_FIELDS}
    row = connection.execute(_read_and_log(), params).one()
    return sender_from(phone, row), row.message_id


@functools.cache
def _read_and_log() -> Select[Any]:
    """Return PostgreSQL's one statement: SENDER_QUERY with the text's insert beside it."""
    messages = table_of(Message)
    values = {name: bindparam(f"m_{name}", type_=messages.c[name].type) for name in MESSAGE_FIELDS}
    logged = (
        postgresql_insert(messages)
        .values(values)
        .on_conflict_do_nothing()
        .returning(messages.c.id)
        .cte("logged")
    )
    return SENDER_QUERY.add_columns(select(logged.c.id).scalar_subquery().label("message_id"))
