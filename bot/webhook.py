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

Every platform endpoint runs the same steps, in `receive`: size check → verify → translate → store → log. A
platform supplies an `Endpoint`: its verification and its translation into the neutral types.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from flask import Flask, Response, current_app, jsonify, request
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import RequestEntityTooLarge

from bot.cards import Card
from bot.inbound import accept, answer_click
from bot.platforms.base import CardAction, InboundMessage
from bot.runtime import Runtime

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


@dataclass(frozen=True)
class Delivery:
    """One translated request: the neutral message or click, the platform's own key for it (a retried
    delivery carries the same one), and what of the request is kept with the stored event."""

    item: InboundMessage | CardAction
    dedup_key: str
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Ignored:
    """A genuine request nobody needs to answer (a read receipt, an event we do not handle): acknowledged and
    logged, not stored."""

    what: str


Verified = TypeVar("Verified")


@dataclass(frozen=True)
class Endpoint(Generic[Verified]):
    """What a platform supplies to `receive`.

    `verify(body)` checks the request (its headers and query too) and returns what it carries, or raises a
    WebhookError; `translate` turns that into a Delivery, an Ignored, or a Response the platform gives itself
    (a URL-verification challenge). `acknowledge(ignored)` is the answer once a delivery is stored (or ignored).
    With `answer_click`, card clicks are handled in the request and answered with the card it returns (None
    for a click already handled): for platforms that want the result within their timeout.
    """

    platform: str
    max_bytes: int
    verify: Callable[[bytes], Verified]
    translate: Callable[[Verified], Delivery | Ignored | Response]
    acknowledge: Callable[[bool], Response]
    answer_click: Callable[[Card | None], Response] | None = None


def receive(endpoint: Endpoint[Any]) -> Response:
    """The view of a platform's inbound endpoint: size check → verify → translate → store → log."""
    body = request_body(endpoint.max_bytes)
    outcome = endpoint.translate(endpoint.verify(body))
    if isinstance(outcome, Response):
        return outcome
    if isinstance(outcome, Ignored):
        log.info("%s: ignored %s", endpoint.platform, outcome.what)
        return endpoint.acknowledge(True)
    clicked = endpoint.answer_click is not None and isinstance(outcome.item, CardAction)
    card = take(current_app.extensions["salesbot"], endpoint.platform, outcome, answer_clicks=clicked)
    if endpoint.answer_click is not None and clicked:
        return endpoint.answer_click(card)
    return endpoint.acknowledge(False)


def take(rt: Runtime, platform: str, outcome: Delivery, *, answer_clicks: bool) -> Card | None:
    """Store a delivery and queue it, or with `answer_clicks` handle a card click now and return the card
    that answers it (None for a click already handled). A webhook and a long connection both end here."""
    store = {"platform": platform, "dedup_key": outcome.dedup_key, "raw": outcome.raw}
    if answer_clicks and isinstance(outcome.item, CardAction):
        card = answer_click(rt, outcome.item, **store)
        if card is None:
            log.info("%s: click %s already handled", platform, outcome.dedup_key)
        return card
    if accept(rt, outcome.item, **store) is None:
        log.info("%s: repeat delivery %s", platform, outcome.dedup_key)
    return None


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(WebhookError)
    def refused(exc: WebhookError):
        log.warning("%s %s refused (%s): %s", request.method, request.path, exc.status, exc.reason)
        return jsonify({"error": exc.reason}), exc.status

    @app.errorhandler(SQLAlchemyError)
    def database_down(exc: SQLAlchemyError):
        log.error("%s %s: database unavailable (%s)", request.method, request.path, type(exc).__name__)
        return jsonify({"error": "database unavailable, try again"}), 503
