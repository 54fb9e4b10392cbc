"""Single sign-on through the city's OpenID Connect provider (SPEC §9), with Authlib.

The authorization code flow with PKCE (S256), the provider found by discovery
from HOTLINE_OIDC_ISSUER, its ID token checked against its published keys
(signature, issuer, audience, expiry, nonce). An identity signs in only as an
existing active user with the same email, which the provider must say it
verified: nobody is created here. The provider's own second factor stands in
for the app's TOTP.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from authlib.integrations.base_client import OAuthError
from authlib.integrations.flask_client import OAuth
from flask import Flask, current_app, redirect, render_template, request, session, url_for
from joserfc.errors import JoseError
from requests.exceptions import RequestException
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from ..db import get_session
from ..models import User
from . import bp
from .auth import record_attempt, site_target, start_session
from .language import web_text as _

PROVIDER = "city"
EXTENSION_KEY = "hotline.oauth"
# Seconds to wait for each answer of the provider: the web workers also answer Twilio's
# webhooks, so a provider that hangs must not hold one until gunicorn kills it.
TIMEOUT_SECONDS = 5
# An OAuth error code (RFC 6749 §4.1.2.1): the callback's `error` is written by whoever
# wrote the URL, so only a word of this shape reaches the log, never a forged log line.
ERROR_CODE = re.compile(r"[A-Za-z0-9_.-]{1,64}")


def enabled() -> bool:
    """Tell whether single sign-on is configured."""
    return bool(current_app.config.get("HOTLINE_OIDC_ISSUER"))


def init_app(app: Flask) -> None:
    """Register the provider when the three settings are given (the metadata is read lazily)."""
    if not app.config.get("HOTLINE_OIDC_ISSUER"):
        return
    issuer = str(app.config["HOTLINE_OIDC_ISSUER"]).rstrip("/")
    oauth = OAuth(app)  # one per app: its client caches the provider's metadata and keys
    app.extensions[EXTENSION_KEY] = oauth
    oauth.register(
        PROVIDER,
        client_id=app.config["HOTLINE_OIDC_CLIENT_ID"],
        client_secret=app.config["HOTLINE_OIDC_CLIENT_SECRET"],
        server_metadata_url=f"{issuer}/.well-known/openid-configuration",
        client_kwargs={
            "scope": "openid email",
            "code_challenge_method": "S256",
            "default_timeout": app.config.get("OIDC_TIMEOUT_SECONDS", TIMEOUT_SECONDS),
        },
    )


def provider() -> Any:
    """Return this app's client of the provider."""
    return current_app.extensions[EXTENSION_KEY].create_client(PROVIDER)


def callback_url() -> str:
    """Return the address the provider sends the browser back to (the public one when set)."""
    path = url_for("web.login_sso_callback")
    base = current_app.config.get("HOTLINE_PUBLIC_URL") or request.url_root
    return str(base).rstrip("/") + path


@bp.get("/login/sso")
def login_sso() -> Response | tuple[str, int]:
    """Send the browser to the city's sign-in page."""
    if not enabled():
        return redirect(url_for("web.login"))
    session["sso_next"] = site_target(request.args.get("next", ""))
    try:
        answer: Response = provider().authorize_redirect(callback_url())
    except RequestException as error:  # discovery out of reach, failing or too slow
        return out_of_reach(error)
    return answer


@bp.get("/login/sso/callback")
def login_sso_callback() -> Response | tuple[str, int]:
    """Take the provider's answer: sign in the existing active user with that verified email."""
    if not enabled():
        return redirect(url_for("web.login"))
    try:
        # The issuer configured, not the one the discovery document names (OpenID
        # Connect Discovery §4.3: they must be identical), with or without its last
        # slash, which some providers write and a setting may leave out.
        issuer = str(current_app.config["HOTLINE_OIDC_ISSUER"]).rstrip("/")
        claims_options = {"iss": {"essential": True, "values": [issuer, f"{issuer}/"]}}
        token = provider().authorize_access_token(claims_options=claims_options)
    except (OAuthError, JoseError) as error:
        # JoseError: an ID token with the wrong issuer, audience or nonce, or expired
        # (a clock that drifted from the provider's, or a replay).
        code = str(error.error or "")
        shown = code if ERROR_CODE.fullmatch(code) else "(not an OAuth error code)"
        current_app.logger.warning("single sign-on refused: %s", shown)
        return refused(_("The city's sign-in did not complete. Try again, or use your password."))
    except RequestException as error:  # the token exchange or the keys out of reach
        return out_of_reach(error)
    claims = token.get("userinfo") or {}
    email = str(claims.get("email") or "").strip().lower()
    if not email or claims.get("email_verified") is not True:
        return refused(_("The city's sign-in did not confirm an email address for you."))
    db = get_session()
    user = db.scalars(select(User).where(func.lower(User.email) == email)).first()
    ok = user is not None and user.active
    record_attempt(db, email, request.remote_addr or "unknown", datetime.now(UTC), ok)
    if user is None or not user.active:
        # No self-registration: a supervisor adds people; a deactivated one stays out.
        return refused(_("There is no active hotline account for {email}.", email=email))
    target = session.get("sso_next") or url_for("web.dashboard")
    start_session(user)  # a fresh session: the target is read before
    return redirect(target)


def refused(reason: str, status: int = 401) -> tuple[str, int]:
    """Show the sign-in page with why single sign-on did not sign anyone in."""
    return render_template("login.html", error=reason), status


def out_of_reach(error: RequestException) -> tuple[str, int]:
    """Say the provider cannot be reached, on the sign-in page whose password form still works."""
    current_app.logger.warning("single sign-on provider out of reach: %s", type(error).__name__)
    reason = _(
        "The city's sign-in cannot be reached right now. Try again in a few minutes, "
        "or sign in with your password."
    )
    return refused(reason, 503)
