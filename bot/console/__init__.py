"""The manager's cockpit (看板): server-rendered pages inside the chat clients, behind one-time links and the
platforms' in-app logins. See docs/console.md."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface

from bot.console.links import console_secret, new_link
from bot.console.web import console
from bot.runtime import Runtime

__all__ = ["console_secret", "new_link", "register_console"]

SESSION_LIFETIME = timedelta(hours=12)


class ConsoleSessions(SecureCookieSessionInterface):
    """Signed-cookie sessions for the cockpit's paths only, with the signing key resolved on the first such
    request: the app starts (and /healthz answers) while the database that keeps the key is down."""

    def __init__(self, resolve_key: Callable[[], str]) -> None:
        self.resolve_key = resolve_key

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if not request.path.startswith(console.url_prefix or "/console"):
            return None  # Flask makes a null session: the webhooks keep no state
        if not app.secret_key:
            app.secret_key = self.resolve_key()
        return super().open_session(app, request)


def register_console(app: Flask, rt: Runtime) -> None:
    """Mount the cockpit on `app`: its routes, the session cookie's settings and the signing key."""
    from bot.console import actions, entry, pages  # noqa: F401  (their routes join the blueprint)

    app.session_interface = ConsoleSessions(lambda: console_secret(rt))
    app.config.update(
        SESSION_COOKIE_NAME="salesbot_console",
        SESSION_COOKIE_PATH="/console",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=rt.settings.public_url.startswith("https://"),
        PERMANENT_SESSION_LIFETIME=SESSION_LIFETIME,
    )
    app.register_blueprint(console)
