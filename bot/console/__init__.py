"""The manager's cockpit (看板): server-rendered pages inside the chat clients, behind one-time links and the
platforms' in-app logins. See docs/console.md."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask

from bot.console.links import console_secret, new_link
from bot.console.web import console
from bot.runtime import Runtime

__all__ = ["console_secret", "new_link", "register_console"]

SESSION_LIFETIME = timedelta(hours=12)


def register_console(app: Flask, rt: Runtime) -> None:
    """Mount the cockpit on `app`: its routes, the session cookie's settings and the signing key."""
    from bot.console import actions, entry, pages  # noqa: F401  (their routes join the blueprint)

    app.secret_key = console_secret(rt)
    app.config.update(
        SESSION_COOKIE_NAME="salesbot_console",
        SESSION_COOKIE_PATH="/console",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=rt.settings.public_url.startswith("https://"),
        PERMANENT_SESSION_LIFETIME=SESSION_LIFETIME,
    )
    app.register_blueprint(console)
