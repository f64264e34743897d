"""The Flask app factory: runtime objects hang off the app, errors become short JSON answers."""

from __future__ import annotations

import logging
from datetime import datetime

from flask import Flask, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

from bot.console import register_console
from bot.longconn import LinkState, read_state
from bot.platforms import connecting_platforms, register_webhooks
from bot.runtime import Runtime, build_runtime
from bot.webhook import register_error_handlers
from config.settings import Settings
from config.workdays import default_calendar
from storage.db import is_sqlite

log = logging.getLogger(__name__)

# Platforms send small bodies; anything larger is refused before it is read (413).
MAX_BODY_BYTES = 1 << 20


def create_app(settings: Settings, runtime: Runtime | None = None) -> Flask:
    """Build the web app. Without `runtime`, connect to the database and queue `settings` names."""
    app = Flask("salesbot")
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    rt = runtime or build_runtime(settings)
    app.extensions["salesbot"] = rt
    calendar = default_calendar().status(datetime.now(settings.tz).date())
    if calendar["warning"]:
        log.warning("working-day calendar: %s", calendar["warning"])

    @app.get("/healthz")
    def healthz():
        database_ok = True
        try:
            with rt.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except SQLAlchemyError:
            log.warning("health check: database unreachable")
            database_ok = False
        waiting = rt.queue.waiting()  # grows when no worker runs
        queue_ok = waiting is not None
        # Long connections, as the worker holding each writes its state (bot/longconn.py).
        links = {name: read_state(rt.queue.connection, name) for name in connecting_platforms(settings)}
        links_ok = all(link["state"] == LinkState.CONNECTED for link in links.values())
        body = {
            "status": "ok" if database_ok and queue_ok and links_ok else "degraded",
            "database": {"ok": database_ok, "kind": "sqlite" if is_sqlite(settings.database_url) else "postgresql"},
            "queue": {"ok": queue_ok, "kind": "embedded" if rt.queue.embedded else "redis", "waiting": waiting},
            "platforms": settings.platforms,
            "connections": links,
            "timezone": settings.timezone,
            "calendar": default_calendar().status(datetime.now(settings.tz).date()),
        }
        return jsonify(body), 200 if database_ok else 503

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        return jsonify({"error": exc.name, "detail": exc.description}), exc.code or 500

    register_error_handlers(app)
    register_webhooks(app, settings)
    register_console(app, rt)
    return app
