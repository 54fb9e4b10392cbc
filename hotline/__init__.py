"""LEAD coordinator hotline: the Flask application factory."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from . import db, security, unavailable
from .config import ConfigError, load_settings
from .logs import keep_rows_out_of_logs

__all__ = ["ConfigError", "create_app"]

MAX_BODY_BYTES = 1024 * 1024


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Create the app from defaults, then the environment, then `config`.

    `config` may also hold INSTANCE_PATH (an absolute folder) to move the
    instance folder, where the default SQLite file and development secrets live.
    Nothing here touches the database: the app starts even when it is down.
    """
    overrides = dict(config or {})
    instance_path = overrides.pop("INSTANCE_PATH", None)
    app = Flask(
        __name__,
        instance_path=os.path.abspath(instance_path) if instance_path is not None else None,
        instance_relative_config=True,
    )
    app.config.from_mapping(load_settings(app.instance_path, overrides, os.environ))

    if app.config.get("MAX_CONTENT_LENGTH") is None:
        # Reject oversized bodies before reading them (SPEC §8: 413 over 1 MiB).
        app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.wsgi_app = security.StreamedBodyLimit(  # type: ignore[method-assign]
        app.wsgi_app, app.config["MAX_CONTENT_LENGTH"]
    )
    # Trust X-Forwarded-* only from as many proxies as there are: with none in front,
    # anyone could choose their own address (and sidestep the login lock-out).
    hops = app.config["HOTLINE_PROXY_COUNT"]
    if hops:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops
        )
    keep_rows_out_of_logs()
    if app.config["HOTLINE_ENV"] == "production" and app.config["HOTLINE_TRANSPORT"] == "log":
        logging.getLogger(__name__).warning(
            "HOTLINE_TRANSPORT is log in production: texts are stored and none is sent "
            "(set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN)"
        )
    elif app.config["HOTLINE_ENV"] == "production" and not app.config["HOTLINE_NUMBER"]:
        # Not refused (SPEC §2 does not require it), but Twilio refuses every text without it.
        logging.getLogger(__name__).warning(
            "HOTLINE_NUMBER is not set in production: Twilio refuses every text without "
            "a sender (set it to the hotline's own number)"
        )
    db.init_app(app)
    from .messaging.notices import install_wording
    from .sms.notices import wording

    # The domain queues typed notices; the SMS channel's words turn them into texts.
    install_wording(db.database(app).sessionmaker, wording(app.config["HOTLINE_LANGUAGE"]))

    from .cli import register_commands

    register_commands(app.cli)

    from . import api, health, metrics, sms, voice, web

    api.init_app(app)
    unavailable.init_app(app)
    app.register_blueprint(health.bp)
    metrics.init_app(app)
    app.register_blueprint(voice.bp)
    app.register_blueprint(sms.bp)
    web.init_app(app, exempt=[api.bp, voice.bp, sms.bp, health.bp, metrics.bp])
    security.init_app(app, refusals=[(voice.bp, 403), (sms.bp, 403), (api.bp, 401)])

    return app
