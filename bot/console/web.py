"""The cockpit's blueprint and what every one of its requests shares: the runtime, the signed-in viewer,
a database session, the security headers, and error pages that show nothing but the error."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, g, render_template, request, session, url_for
from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException

from bot import texts
from bot.console.csrf import csrf_token
from bot.runtime import Runtime
from storage.models import User

console = Blueprint("console", __name__, url_prefix="/console", template_folder="templates", static_folder="static")

USER_ID = "uid"

# Everything the pages load comes from the app itself: no CDN, no outside script, no framing.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


def runtime() -> Runtime:
    return current_app.extensions["salesbot"]


def secret() -> str:
    """The key that signs links and session cookies (see bot.console.links.console_secret)."""
    return str(current_app.secret_key)


# app.config key: a function returning the instant the cockpit takes as now (benchmarks on generated data).
CLOCK = "SALESBOT_CONSOLE_CLOCK"


def now() -> datetime:
    clock = current_app.config.get(CLOCK)
    return clock() if clock is not None else datetime.now(UTC)


@contextmanager
def transaction() -> Iterator[Session]:
    with runtime().transaction() as db:
        yield db


def cockpit_path(target: str) -> str:
    """`target` if it is a path of the cockpit, else the lights page: a form's way back never leaves the site."""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/console/"):
        return url_for("console.lights")
    return target


def sign_in(user: User) -> None:
    """Start a fresh session for `user` (a new cookie: nothing of an earlier session survives)."""
    session.clear()
    session.permanent = True
    session[USER_ID] = user.id


def viewer(db: Session) -> User:
    """The signed-in user; 401 without a session (or when the user is gone)."""
    user_id = session.get(USER_ID)
    user = db.get(User, user_id) if isinstance(user_id, int) else None
    if user is None:
        abort(401)
    g.viewer = user
    return user


@console.app_template_global()
def csrf_field_value() -> str:
    return csrf_token()


@console.app_template_global()
def page_url(number: int) -> str:
    """This page with the same filters, at page `number`."""
    args = {k: v for k, v in request.args.items() if k != "page"}
    return url_for(str(request.endpoint), **(request.view_args or {}), **args, page=number)


@console.app_template_filter("stage_label")
def stage_label(stage_id: str) -> str:
    try:
        return runtime().rules.stage(stage_id).label
    except KeyError:
        return stage_id


@console.app_template_filter("local")
def local_time(moment: datetime | None) -> str:
    """A stored instant as the viewer's local month-day and clock time: 12-01 15:00."""
    if moment is None:
        return "—"
    return moment.astimezone(runtime().settings.tz).strftime("%m-%d %H:%M")


@console.after_request
def _headers(response):
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Content-Type-Options"] = "nosniff"
    if request.endpoint != "console.static":  # pages hold lead data: never cached; the stylesheet may be
        response.headers["Cache-Control"] = "no-store"
    return response


@console.errorhandler(HTTPException)
def _error(exc: HTTPException):
    message = texts.CONSOLE_ERRORS.get(exc.code or 500, texts.CONSOLE_ERRORS[500])
    return render_template("console/error.html", message=message, code=exc.code), exc.code or 500
