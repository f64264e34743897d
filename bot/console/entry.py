"""Getting in and out: a one-time link, the in-app logins of WeCom and Feishu, and logging out."""

from __future__ import annotations

import hmac
import logging
import secrets

from flask import abort, redirect, render_template, request, session, url_for

from bot import texts
from bot.console.csrf import check_csrf
from bot.console.links import open_link
from bot.console.signin import (
    SignInFailed,
    feishu_authorize_url,
    feishu_identity,
    wecom_authorize_url,
    wecom_identity,
)
from bot.console.web import console, now, runtime, secret, sign_in, transaction
from config.settings import Settings
from storage.people import find_user

log = logging.getLogger(__name__)

STATE = "login_state"
PLATFORMS = ("wecom", "feishu")


@console.get("/enter/<token>")
def enter(token: str):
    """Open the session a one-time link is for; 403 (and nothing else) for a bad, expired or spent link."""
    with transaction() as db:
        user = open_link(db, token, secret=secret(), now=now())
        if user is None:
            log.info("console: refused a bad, expired or spent link")
            abort(403)
        sign_in(user)
    return redirect(url_for("console.home"))


def _configured(platform: str) -> Settings:
    settings = runtime().settings
    if platform not in PLATFORMS or getattr(settings, platform) is None:
        abort(404)
    return settings


def _done_url(platform: str) -> str:
    return f"{runtime().settings.public_url}{url_for('console.login_done', platform=platform)}"


@console.get("/login/<platform>")
def login(platform: str):
    """Where the 看板 button of a card points: the platform identifies the user inside its client."""
    settings = _configured(platform)
    state = secrets.token_urlsafe(24)
    session[STATE] = state
    build = wecom_authorize_url if platform == "wecom" else feishu_authorize_url
    return redirect(build(settings, _done_url(platform), state))


@console.get("/login/<platform>/done")
def login_done(platform: str):
    """The platform sends the browser back with a code; `state` must be the one this browser was given."""
    settings = _configured(platform)
    expected, sent, code = session.pop(STATE, None), request.args.get("state", ""), request.args.get("code", "")
    if not isinstance(expected, str) or not hmac.compare_digest(expected.encode(), sent.encode()) or not code:
        abort(403)
    try:
        if platform == "wecom":
            identity = wecom_identity(settings, runtime().queue.connection, code)
        else:
            identity = feishu_identity(settings, code)
    except SignInFailed as exc:
        log.info("console: %s sign-in refused: %s", platform, exc)
        abort(403)
    with transaction() as db:
        user = find_user(db, identity)
        if user is None:  # only people the bot knows may look
            abort(403)
        sign_in(user)
    return redirect(url_for("console.home"))


@console.post("/logout")
def logout():
    check_csrf()
    session.clear()
    return render_template("console/error.html", message=texts.SIGNED_OUT, code=None)
