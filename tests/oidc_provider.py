"""A small OpenID Connect provider the single sign-on tests serve on loopback.

Real discovery, a real JWKS and RS256-signed ID tokens, the authorization code
flow with PKCE (S256 only) and client_secret_basic: the app talks to it over
HTTP exactly as to a city's provider. The signed-in identity is whatever the
test sets; the provider approves every authorization request for it.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from flask import Flask, abort, jsonify, redirect, request
from joserfc import jwt
from joserfc.jwk import RSAKey
from werkzeug.serving import make_server

CLIENT_ID = "lead-hotline"
CLIENT_SECRET = "test-client-secret"


@dataclass
class Provider:
    """The provider's state: its issuer URL, the identity it signs in, codes and what they saw."""

    issuer: str = ""
    # The issuer its discovery document and tokens name, when not its own address.
    named_issuer: str | None = None
    identity: dict[str, Any] = field(default_factory=dict)
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    token_requests: list[dict[str, str]] = field(default_factory=list)
    # Cleared, the token endpoint holds each request until it is set again (a provider
    # that accepts the connection and never answers).
    answering: threading.Event = field(default_factory=threading.Event)


def provider_app(state: Provider) -> Flask:
    """Build the provider's routes around `state`."""
    app = Flask("oidc-provider")
    key = RSAKey.generate_key(2048, parameters={"kid": "test-key"})

    @app.get("/.well-known/openid-configuration")
    def discovery() -> Any:
        return jsonify(
            issuer=state.named_issuer or state.issuer,
            authorization_endpoint=f"{state.issuer}/authorize",
            token_endpoint=f"{state.issuer}/token",
            jwks_uri=f"{state.issuer}/jwks",
            response_types_supported=["code"],
            subject_types_supported=["public"],
            id_token_signing_alg_values_supported=["RS256"],
            code_challenge_methods_supported=["S256"],
            token_endpoint_auth_methods_supported=["client_secret_basic"],
            scopes_supported=["openid", "email"],
        )

    @app.get("/jwks")
    def jwks() -> Any:
        return jsonify(keys=[key.as_dict(private=False)])

    @app.get("/authorize")
    def authorize() -> Any:
        args = request.args
        if args.get("client_id") != CLIENT_ID or args.get("response_type") != "code":
            abort(400)
        if args.get("code_challenge_method") != "S256" or not args.get("code_challenge"):
            abort(400)  # PKCE is required, as a city's provider may require it
        code = secrets.token_urlsafe(16)
        state.codes[code] = {
            "redirect_uri": args["redirect_uri"],
            "nonce": args.get("nonce"),
            "challenge": args["code_challenge"],
            "identity": dict(state.identity),
        }
        query = urlencode({"code": code, "state": args.get("state", "")})
        return redirect(f"{args['redirect_uri']}?{query}")

    @app.post("/token")
    def token() -> Any:
        state.answering.wait(timeout=60)
        form = request.form
        state.token_requests.append(dict(form))
        expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if request.headers.get("Authorization") != f"Basic {expected}":
            return jsonify(error="invalid_client"), 401
        granted = state.codes.pop(form.get("code", ""), None)
        if granted is None or form.get("redirect_uri") != granted["redirect_uri"]:
            return jsonify(error="invalid_grant"), 400
        verifier = form.get("code_verifier", "")
        digest = hashlib.sha256(verifier.encode()).digest()
        if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != granted["challenge"]:
            return jsonify(error="invalid_grant", error_description="PKCE"), 400
        now = int(time.time())
        claims = {
            "iss": state.named_issuer or state.issuer,
            "sub": granted["identity"].get("sub", "subject-1"),
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 300,
            "nonce": granted["nonce"],
            **{k: v for k, v in granted["identity"].items() if k != "sub"},
        }
        header = {"alg": "RS256", "kid": "test-key"}
        id_token = jwt.encode(header, claims, key)
        return jsonify(
            access_token=secrets.token_urlsafe(16),
            token_type="Bearer",
            expires_in=300,
            id_token=id_token,
        )

    return app


@contextmanager
def serving(identity: dict[str, Any]) -> Iterator[Provider]:
    """Serve a provider on a free loopback port for the duration of the block."""
    state = Provider(identity=identity)
    state.answering.set()
    server = make_server("127.0.0.1", 0, provider_app(state), threaded=True)
    state.issuer = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.answering.set()  # let a held request end
        server.shutdown()
        thread.join()
