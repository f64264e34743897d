"""Feishu long-connection mode (`SALESBOT_FEISHU_MODE=ws`): events and card callbacks without a public URL.

lark-oapi's `lark.ws.Client` POSTs `{api_base}/callback/ws/endpoint` with the app id and secret for a wss URL,
then receives protobuf frames (`lark_oapi/ws/pb`): `type=event` data frames carry the same v2.0 JSON the
webhook gets, without the HTTP envelope or its encryption (the connection itself is authenticated), and each
is answered by a response frame: the ack, which for a `card.action.trigger` callback carries the toast and
card. The client writes that frame only after our handler returns, and the handler returns only after the
event row is committed: an event whose ack is lost with the connection is redelivered and stored once.

The SDK's own reconnecting (a fixed interval the server sets) is replaced by the Keeper's (`bot.longconn`):
`_reconnect` only reports the loss. `_connect`, `_get_conn_url`, `_disconnect`, `_ping_loop`, the module's
`loop` and the event handler's `_do_without_validation` hook are lark-oapi internals: the version is pinned
in pyproject and tests/test_feishu_ws.py runs the real client against a fake speaking its frames.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import lark_oapi
from lark_oapi.ws import client as lark_ws

from bot.platforms.base import CardAction
from bot.platforms.feishu_events import click_answer, translate_event
from bot.runtime import Runtime
from bot.webhook import Ignored, Malformed, take

log = logging.getLogger(__name__)

# How long `POST /callback/ws/endpoint` may take before the attempt counts as failed.
ENDPOINT_TIMEOUT = 15.0


def receive_event(rt: Runtime, app_id: str, payload: bytes) -> dict[str, Any] | None:
    """Store one event frame's payload (or answer a card click) and return the ack's data: the click's answer,
    or None. A payload that cannot be read is acknowledged and logged, since a redelivery cannot mend it;
    a database failure raises, the SDK answers 500 and Feishu delivers the event again."""
    try:
        event = json.loads(payload)
        if not isinstance(event, dict):
            raise Malformed("payload is not a JSON object")
        header = event.get("header")
        if isinstance(header, dict) and header.get("app_id") not in (None, app_id):
            raise Malformed(f"event for another app {header.get('app_id')!r}")
        outcome = translate_event(event)
    except (ValueError, RecursionError, Malformed) as exc:
        log.warning("feishu ws: dropped an unreadable event (%s)", getattr(exc, "reason", type(exc).__name__))
        return None
    if isinstance(outcome, Ignored):
        log.info("feishu ws: ignored %s", outcome.what)
        return None
    clicked = isinstance(outcome.item, CardAction)
    card = take(rt, "feishu", outcome, answer_clicks=clicked)
    return click_answer(card) if clicked else None


class _Events:
    """What lark.ws.Client calls with each event frame (in place of an EventDispatcherHandler)."""

    def __init__(self, rt: Runtime, app_id: str) -> None:
        self.rt, self.app_id = rt, app_id

    def _do_without_validation(self, payload: bytes) -> dict[str, Any] | None:
        return receive_event(self.rt, self.app_id, payload)


class _Client(lark_ws.Client):
    """lark.ws.Client whose reconnecting is the Keeper's: a lost connection only sets `lost`. The endpoint
    look-up (a `requests.post` without a timeout) is made beforehand in a thread, so a Feishu that does not
    answer cannot stall the event loop that renews the lease."""

    lost: asyncio.Event | None = None
    endpoint: str = ""

    def _get_conn_url(self) -> str:
        return self.endpoint

    def fetch_endpoint(self) -> str:
        return super()._get_conn_url()

    async def _reconnect(self) -> None:
        if self.lost is not None:
            self.lost.set()


class FeishuLink:
    """The Feishu long connection, opened and reopened by a Keeper on lark-oapi's own event loop."""

    platform = "feishu"

    def __init__(self, rt: Runtime) -> None:
        settings = rt.settings.feishu
        assert settings is not None
        self.loop = lark_ws.loop  # the SDK schedules its receive loop on this module-level loop
        self.client = _Client(
            settings.app_id,
            settings.app_secret,
            log_level=lark_oapi.LogLevel.WARNING,
            event_handler=_Events(rt, settings.app_id),  # type: ignore[arg-type]
            domain=settings.api_base,
        )
        self._ping: asyncio.Future[None] | None = None

    async def open(self) -> None:
        self.client.lost = asyncio.Event()
        fetch = asyncio.to_thread(self.client.fetch_endpoint)
        self.client.endpoint = await asyncio.wait_for(fetch, ENDPOINT_TIMEOUT)
        await self.client._connect()
        self._ping = asyncio.ensure_future(self.client._ping_loop())

    async def lost(self) -> str:
        assert self.client.lost is not None
        await self.client.lost.wait()
        return "the receive loop ended"

    async def close(self) -> None:
        if self._ping is not None:
            self._ping.cancel()
            await asyncio.gather(self._ping, return_exceptions=True)
            self._ping = None
        if self.client._conn is not None:
            await self.client._disconnect()
