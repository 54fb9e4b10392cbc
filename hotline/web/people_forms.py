"""Check posted people forms against the interfaces' schemas, every field at once."""

from __future__ import annotations

from typing import Any, TypeVar

from flask import abort, current_app, request
from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from ..i18n import N_
from ..schemas.common import validation_context
from ..services.errors import Conflict, DomainError, NotFound
from .language import web_text

MIN_PASSWORD_LENGTH = 10
Errors = dict[str, str]
# Plain words for schema messages that quote a pattern or a list (only badges have a pattern).
PLAIN_MESSAGES = {
    "string_pattern_mismatch": N_("Use 1 to 20 digits, nothing else."),
    "literal_error": N_("Choose one of the listed values."),
}
T = TypeVar("T")


def row_or_404(session: Session, model: type[T], row_id: int) -> T:
    """Return the row with this id or end the request with 404 (ids past the database's
    integers are refused before any view: `refuse_ids_past_the_database`)."""
    row = session.get(model, row_id)
    if row is None:
        abort(404)
    return row


def check(model: type[BaseModel], values: dict[str, Any]) -> tuple[Any | None, Errors]:
    """Return the validated model, or None and one message per offending field."""
    try:
        context = validation_context(current_app.config)
        return model.model_validate(values, context=context), {}
    except ValidationError as error:
        errors: Errors = {}
        for problem in error.errors():
            name = str(problem["loc"][0]) if problem["loc"] else "form"
            blank = str(values.get(name, "")).strip() == ""
            kind, limit = problem["type"], problem.get("ctx", {})
            # Empty once trimmed, or once its invisible characters went (a pasted "\u200b").
            empty = kind == "string_too_short" and (blank or limit.get("min_length") == 1)
            message: str
            if empty or (blank and kind == "string_pattern_mismatch"):
                message = web_text("Required.")
            elif kind == "string_too_long":
                message = web_text("Use at most {n} characters.", n=limit["max_length"])
            elif kind in PLAIN_MESSAGES:
                message = web_text(PLAIN_MESSAGES[kind])
            else:
                message = str(problem["msg"]).removeprefix("Value error, ")
            errors.setdefault(name, sentence(message))
        return None, errors


def sentence(message: str) -> str:
    """Return a message as a sentence: capital first, full stop last."""
    message = message[:1].upper() + message[1:]
    return message if message.endswith((".", "!", "?")) else message + "."


def password_hash(password: str, errors: Errors, field: str = "password") -> str | None:
    """Return the hash of a new password, None when none is given; note one too short at `field`."""
    if not password:
        return None
    if len(password) < MIN_PASSWORD_LENGTH:
        errors[field] = web_text("Use at least {n} characters.", n=MIN_PASSWORD_LENGTH)
        return None
    return generate_password_hash(password)


def domain_status(error: DomainError, errors: Errors) -> int:
    """Note a refused change next to its field and return the page's status (409 or 422).

    A row named in the address that does not exist ends the request with 404.
    """
    if isinstance(error, NotFound) and error.field is None:
        abort(404)
    errors[error.field or "form"] = sentence(error.message)
    return 409 if isinstance(error, Conflict) else 422


def commit_or_conflict(session: Session, field: str) -> Conflict | None:
    """Commit; return a Conflict on `field` when a concurrent change took the same value."""
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        return Conflict(web_text("That value is already used."), field)
    return None


def drawn_on_the_page(fields: tuple[str, ...]) -> dict[str, Any]:
    """Return what the posted edit form showed of `fields` and its active box (`was_` twins).

    A field still as the page showed it was not touched: it is no change, even if
    another supervisor changed it since (a new phone, say).
    """
    drawn: dict[str, Any] = {
        name: request.form[f"was_{name}"] for name in fields if f"was_{name}" in request.form
    }
    # A tick box posts nothing when unticked: its twin says "on" or "off" as drawn.
    if request.form.get("was_active") in ("on", "off"):
        drawn["active"] = request.form["was_active"] == "on"
    return drawn


def changed_on_the_page(
    posted: dict[str, Any], current: dict[str, Any], drawn: dict[str, Any]
) -> dict[str, Any]:
    """Return the posted fields that differ both from the row now and from what the page showed."""
    return {k: v for k, v in posted.items() if current[k] != v and drawn.get(k, current[k]) != v}
