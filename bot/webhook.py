"""What every platform endpoint shares: errors that carry their HTTP status, and their one handler.

| failure                                              | answer                    | stored? |
|------------------------------------------------------|---------------------------|---------|
| forged signature, wrong app/corp id or token         | 403 Forbidden             | nothing |
| timestamp outside the window (WeCom 300 s,           | 403 StaleRequest          | nothing |
|   Feishu its 8 h retry window)                       |                           |         |
| undecryptable, malformed XML/JSON                    | 400 Malformed             | nothing |
| body over the limit, declared or chunked             | 413 Too Large             | nothing |
| database unavailable                                 | 503, the platform retries | nothing |
| unsupported message type                             | 200, a polite reply       | the event row, for the record |
| unknown event type                                   | 200, logged               | nothing |
"""

from __future__ import annotations

import logging

from flask import Flask, jsonify, request
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import RequestEntityTooLarge

log = logging.getLogger(__name__)


class WebhookError(Exception):
    """A request we refuse. Subclasses set `status`; the reason is short, English and safe to return."""

    status = 400

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Forbidden(WebhookError):
    """The request is not from the platform we trust: bad signature, wrong corp/app id or token."""

    status = 403


class StaleRequest(WebhookError):
    """A correctly signed request outside the accepted time window. (Replays inside the window are
    harmless: every delivery is stored once per platform message id.)"""

    status = 403


class Malformed(WebhookError):
    """Signed correctly (or not signed at all) but undecryptable, or not the XML/JSON it should be."""

    status = 400


def request_body(limit: int) -> bytes:
    """The request body, or 413 when it is longer than `limit` bytes, whether its length is declared or it
    arrives chunked; never more than `limit` + 1 bytes are read. (Werkzeug stops a chunked body at the
    maximum without saying whether more followed; reading one byte further tells.)"""
    if request.content_length is not None and request.content_length > limit:
        raise RequestEntityTooLarge(f"at most {limit} bytes are accepted here")
    request.max_content_length = limit + 1
    body = request.get_data()
    if len(body) > limit:
        raise RequestEntityTooLarge(f"at most {limit} bytes are accepted here")
    return body


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(WebhookError)
    def refused(exc: WebhookError):
        log.warning("%s %s refused (%s): %s", request.method, request.path, exc.status, exc.reason)
        return jsonify({"error": exc.reason}), exc.status

    @app.errorhandler(SQLAlchemyError)
    def database_down(exc: SQLAlchemyError):
        log.error("%s %s: database unavailable (%s)", request.method, request.path, type(exc).__name__)
        return jsonify({"error": "database unavailable, try again"}), 503
