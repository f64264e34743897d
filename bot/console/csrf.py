"""CSRF protection for the cockpit's forms: a per-session random token every POST must echo.

A synchronizer token in the signed session cookie, compared in constant time, plus the session cookie's
SameSite=Lax. Chosen over flask-wtf's CSRFProtect, which would bring WTForms (no form here needs it) and
guards every POST of the app, the platforms' webhooks included, unless each is exempted.
"""

from __future__ import annotations

import hmac
import secrets

from flask import abort, request, session

FIELD = "csrf_token"


def csrf_token() -> str:
    """This session's token (made on first use), for a hidden form field."""
    token = session.get(FIELD)
    if not isinstance(token, str):
        token = session[FIELD] = secrets.token_urlsafe(32)
    return token


def check_csrf() -> None:
    """Refuse (400) a POST whose form does not carry this session's token."""
    expected = session.get(FIELD)
    sent = request.form.get(FIELD, "")
    if not isinstance(expected, str) or not hmac.compare_digest(expected.encode(), sent.encode()):
        abort(400, description="missing or wrong CSRF token")
