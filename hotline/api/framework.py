"""One decorator per endpoint: authenticate, parse, call the view, render JSON, document.

Every route of the API is declared with `endpoint`, which both handles the
request and records the operation, so /openapi.json is generated from the
very schemas that validate requests.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from flask import Blueprint, Response, current_app, g, jsonify, request
from pydantic import BaseModel, ValidationError

from ..audit import Actor
from ..db import get_session
from ..jobs import check_coverage_if_changed
from ..models import User
from ..permissions import ROLE_WORDS, Capability, can, holders
from ..schemas.common import OUT_OF_YEARS, validation_context
from ..services.errors import DomainError
from ..services.people import first_error
from ..services.tokens import user_for_token

# "public", or what the caller must be able to do (hotline.permissions decides who can).
Access = Literal["public"] | Capability
MAX_PATH_ID = 2**31 - 1  # ids are 32-bit integers in PostgreSQL


class ApiError(Exception):
    """An error answered as SPEC §8's JSON error object."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field

    def response(self) -> tuple[Response, int]:
        """Return the JSON answer."""
        body = {"error": {"code": self.code, "message": self.message, "field": self.field}}
        answer = jsonify(body)
        if self.status == 401:
            answer.headers["WWW-Authenticate"] = "Bearer"
        return answer, self.status


DOMAIN_STATUS = {"invalid": 422, "conflict": 409, "not_found": 404}


@dataclass(frozen=True)
class Operation:
    """An endpoint as the OpenAPI document describes it."""

    method: str
    rule: str
    name: str
    summary: str
    access: Access
    body: type[BaseModel] | None
    query: type[BaseModel] | None
    returns: type[BaseModel] | None
    status: int
    media_type: str = "application/json"
    etag: bool = False  # answers with the version it shows as the ETag
    if_match: bool = False  # takes If-Match, and is a 412 when it names a stale version


OPERATIONS: list[Operation] = []


def current_actor() -> Actor:
    """Return the API caller as an audit actor."""
    return Actor(g.api_user.id, "api")


def authenticate(access: Access) -> None:
    """Set g.api_user from the bearer token or raise 401/403."""
    if access == "public":
        return
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    user: User | None = None
    if scheme.lower() == "bearer" and token.strip():
        user = user_for_token(get_session(), token.strip())
    if user is None:
        raise ApiError(401, "unauthorized", "a valid bearer token is required")
    if not can(user, access):
        *others, last = [f"{ROLE_WORDS[role]}s" for role in holders(access)]
        who = f"{', '.join(others)} and {last}" if others else last
        raise ApiError(403, "forbidden", f"only {who} may do this")
    g.api_user = user


def parse_body(model: type[BaseModel]) -> BaseModel:
    """Return the request's JSON object validated by `model`, or raise 400/422."""
    raw = request.get_data(cache=True)  # past MAX_CONTENT_LENGTH this raises 413
    try:
        parsed = json.loads(raw)
    except (ValueError, RecursionError):
        raise ApiError(400, "malformed", "the body is not valid JSON") from None
    if not isinstance(parsed, dict):
        raise ApiError(400, "malformed", "the body must be a JSON object")
    try:
        return model.model_validate_json(raw, context=validation_context(current_app.config))
    except ValidationError as error:
        # Python's json reads a lone surrogate ("\ud800") that is no character at all;
        # the strict parser refuses it, and that is a malformed body, not a bad field.
        if any(problem["type"] == "json_invalid" for problem in error.errors()):
            raise ApiError(400, "malformed", "the body is not valid JSON text") from None
        field, message = first_error(error)
        raise ApiError(422, "invalid", message, field) from None


# An instant whose offset's '+' was not escaped in the URL: it arrives as a space.
_SPACED_OFFSET = re.compile(r"^(\d{4}-\d{2}-\d{2}T[0-9:.]+) (\d{2}(?::?\d{2})?)$")


def query_values() -> dict[str, str]:
    """Return the query string's values as clients mean them.

    An empty value is one not given (`?since=` as a form leaves it), and an
    offset's bare '+' is put back: a space can stand for nothing else there. A
    value given twice is refused (400), never read as its first.
    """
    given = {name: [v for v in request.args.getlist(name) if v.strip()] for name in request.args}
    for name, values in given.items():
        if len(values) > 1:  # taking the first alone would answer another question
            raise ApiError(400, "bad_query", f"{name} is given more than once: give it once", name)
    return {
        name: _SPACED_OFFSET.sub(r"\1+\2", values[0]) for name, values in given.items() if values
    }


def refuse_query() -> None:
    """Raise 400 naming a query parameter that a route without any was given."""
    # A filter a route does not take would be ignored: the whole list, read as filtered.
    name = next(iter(query_values()), None)
    if name is not None:
        raise ApiError(400, "bad_query", f"this route takes no {name} parameter", name)


def parse_query(model: type[BaseModel]) -> BaseModel:
    """Return the query string validated by `model`, or raise 400 (or 422)."""
    try:
        return model.model_validate(query_values())
    except ValidationError as error:
        field, message = first_error(error)
        # A well-formed instant outside the years computed fails validation: 422 (SPEC §8).
        if error.errors()[0]["type"] == OUT_OF_YEARS:
            raise ApiError(422, "invalid", message, field) from None
        raise ApiError(400, "bad_query", message, field) from None


@functools.cache  # asked at each creation; the routes are all registered by then
def has_address(rule: str) -> bool:
    """Tell whether what a POST to `rule` creates has an address of its own (`rule/<id>`)."""
    own = re.compile(re.escape(rule) + r"/<int:\w+>")
    return any(own.fullmatch(op.rule) for op in OPERATIONS)


@dataclass(frozen=True)
class Versioned:
    """A view's answer with the version it shows, sent as the ETag for a later If-Match."""

    body: dict[str, Any]
    etag: str


def endpoint(
    bp: Blueprint,
    rule: str,
    method: str,
    *,
    summary: str,
    access: Access = "read_oncall",
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    returns: type[BaseModel] | None = None,
    status: int = 200,
    media_type: str = "application/json",
    etag: bool = False,
    if_match: bool = False,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare an API route: its access rule, input schemas and answer schema."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        OPERATIONS.append(
            Operation(
                method,
                rule,
                view.__name__,
                summary,
                access,
                body,
                query,
                returns,
                status,
                media_type,
                etag,
                if_match,
            )
        )

        @functools.wraps(view)
        def handle(**path: Any) -> Any:
            try:
                authenticate(access)  # first: without a token, nothing about ids is told
                if any(isinstance(v, int) and v > MAX_PATH_ID for v in path.values()):
                    raise ApiError(404, "not_found", "no such resource")
                if body is not None:
                    path["body"] = parse_body(body)
                if query is not None:
                    path["query"] = parse_query(query)
                else:
                    refuse_query()
                result = view(**path)
                if method != "GET":
                    get_session().commit()
                    check_coverage_if_changed(current_app, get_session(), datetime.now(UTC))
            except DomainError as error:
                get_session().rollback()
                raise ApiError(
                    DOMAIN_STATUS[error.code], error.code, error.message, error.field
                ) from None
            if isinstance(result, Response):
                return result
            if result is None:
                return Response(status=204)
            assert returns is not None
            shown = result.body if isinstance(result, Versioned) else result
            dumped = returns.model_validate(shown).model_dump(mode="json", by_alias=True)
            answer = jsonify(dumped)
            if isinstance(result, Versioned):
                answer.set_etag(result.etag)
            if status == 201 and has_address(rule):
                answer.headers["Location"] = f"{request.path}/{dumped['id']}"
            return answer, status

        bp.add_url_rule(rule, endpoint=view.__name__, view_func=handle, methods=[method])
        return handle

    return decorate
