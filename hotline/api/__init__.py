"""The JSON API at /api/v1 (SPEC §8)."""

from __future__ import annotations

import logging

from flask import Blueprint, Flask, Response, current_app, jsonify, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException, InternalServerError, MethodNotAllowed

from ..db import discard_session
from ..logs import log_exception
from ..security import CutOff
from . import calendar, oncall, participants, people, records
from .framework import ApiError
from .openapi import document

PREFIX = "/api/v1"
log = logging.getLogger(__name__)

bp = Blueprint("api", __name__, url_prefix=PREFIX)
bp.register_blueprint(people.bp)
bp.register_blueprint(oncall.bp)
bp.register_blueprint(calendar.bp)
bp.register_blueprint(records.bp)
bp.register_blueprint(participants.bp)


@bp.errorhandler(CutOff)
def cut_off(error: CutOff) -> tuple[Response, int]:
    """Tell a client cut off for its refused requests so in the error object (SPEC §8)."""
    return ApiError(429, "too_many_refusals", str(error)).response()


@bp.get("/openapi.json")
def openapi() -> Response:
    """Publish the OpenAPI document."""
    return jsonify(document(PREFIX))


def in_api() -> bool:
    """Tell whether the request is the API's: its own address (`/api/v1`) or below it."""
    return request.path == PREFIX or request.path.startswith(PREFIX + "/")


def init_app(app: Flask) -> None:
    """Register the API and make every error under it a JSON error object."""
    app.register_blueprint(bp)
    app.register_error_handler(ApiError, lambda error: error.response())

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> ResponseReturnValue | HTTPException:
        if not in_api():
            return page_for(error)
        codes = {413: "too_large", 404: "not_found", 405: "method_not_allowed", 400: "malformed"}
        status = error.code or 500
        message = error.description or "error"
        if isinstance(error, MethodNotAllowed) and error.valid_methods:
            message = f"{request.method} is not allowed here; this address takes " + ", ".join(
                sorted(error.valid_methods)
            )
        answer, status = ApiError(status, codes.get(status, "error"), message).response()
        # The error's own headers (a 405's Allow, a Retry-After) stay; the body is ours.
        for name, value in error.get_headers():
            if name.lower() != "content-type":
                answer.headers[name] = value
        return answer, status

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> ResponseReturnValue | HTTPException:
        if isinstance(error, HTTPException):
            return http_error(error)
        log_exception(log, "unexpected error on %s %s", request.method, request.path)
        # A failed write leaves PostgreSQL's transaction aborted, and the error page
        # reads the database (who is signed in, the clock banner): start it afresh.
        discard_session()
        if in_api():
            return ApiError(500, "internal", "internal error").response()
        return page_for(InternalServerError())

    def page_for(error: HTTPException) -> ResponseReturnValue | HTTPException:
        # The web app, when it is installed, answers with its own styled pages.
        styled = current_app.extensions.get("hotline.error_page")
        if styled is None:
            return error if error.code != 500 else Response("internal error", status=500)
        return styled(error)  # type: ignore[no-any-return]
