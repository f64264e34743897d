"""The WeCom AI bot's long connection, with Tencent's `wecom-aibot-python-sdk` (package `aibot`).

Chosen among the PyPI candidates because it is the one WeCom publishes (GitHub WecomTeam, author
wecom@tencent.com, MIT) and mirrors the official `@wecom/aibot-node-sdk` module by module; the others are
personal ports or forks of it. Its `WSClient` subscribes with the Bot ID and Secret, keeps the heartbeat
(`ping` frames), emits `message` / `event` for `aibot_msg_callback` / `aibot_event_callback` frames, and sends
`aibot_send_msg` / `aibot_respond_update_msg` frames, waiting for each one's ack.

Its own reconnecting is switched off (`max_reconnect_attempts=0`): the Keeper (bot.longconn) reconnects, holds
the lease and reports the state. While the connection is up this link also relays what `BotSender`s anywhere
in the deployment queue in Redis, and answers card clicks at once (a card can be updated only with the
click's req_id, within 5 s), with the same conversation code as every other platform.

WeCom pushes each frame once and never again (frames have no ack). One that cannot be stored, because the
database stays down through a few retries, is kept on disk (`SALESBOT_DATA_DIR/wecom-bot-spool/`, bot.spool)
and stored from there once the database is back, by this process or the next one to hold the connection.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from datetime import UTC, datetime
from typing import Any

from aibot import WSClient
from aibot.types import WSClientOptions
from sqlalchemy.exc import SQLAlchemyError

from bot.cards import Card
from bot.platforms.base import CardAction, replaces_card
from bot.platforms.wecom_bot import ANSWER, MARKDOWN_LIMIT, PLATFORM, REQUESTS, SEND_MARGIN, translate
from bot.platforms.wecom_send import render_markdown, render_update
from bot.runtime import Runtime
from bot.spool import Spool
from bot.webhook import Delivery, Ignored, Malformed, take

log = logging.getLogger(__name__)

AUTH_TIMEOUT = 10.0
CLOSE_TIMEOUT = 5.0
HEARTBEAT_MS = 30_000
# An event is pushed once (frames have no ack): a store that fails is tried again for a while, then kept on disk
# and tried every DRAIN_EVERY seconds.
STORE_RETRIES = (0.5, 1, 2, 4, 8)
DRAIN_EVERY = 10.0
SPOOL = "wecom-bot-spool"
ACK_ERRCODE = re.compile(r"errcode=(-?\d+)")


class _SdkLog:
    """The SDK's logger interface (debug/info/warn/error) onto ours."""

    def __init__(self) -> None:
        self.log = logging.getLogger("aibot")

    def debug(self, message: str, *args: Any) -> None:
        self.log.debug(message)

    def info(self, message: str, *args: Any) -> None:
        self.log.debug(message)  # it narrates every frame at info

    def warn(self, message: str, *args: Any) -> None:
        self.log.warning(message)

    def error(self, message: str, *args: Any) -> None:
        self.log.warning(message)


def ack_errcode(exc: BaseException) -> int:
    """The errcode of a failed send as the SDK reports it (RuntimeError "Reply ack error: errcode=…"); -1
    (transient) for a timeout or a connection that went away."""
    found = ACK_ERRCODE.search(str(exc))
    return int(found[1]) if found else -1


class WecomBotLink:
    """The AI bot's connection, opened and reopened by a Keeper on an event loop of its own."""

    platform = PLATFORM

    def __init__(
        self, rt: Runtime, *, store_retries: tuple[float, ...] = STORE_RETRIES, drain_every: float = DRAIN_EVERY
    ) -> None:
        settings = rt.settings.wecom_bot
        assert settings is not None
        self.rt, self.settings = rt, settings
        self.store_retries, self.drain_every = store_retries, drain_every
        self.spool = Spool(rt.settings.data_dir / SPOOL)
        self.loop = asyncio.new_event_loop()
        self.client: WSClient | None = None
        self._lost: asyncio.Future[str] | None = None
        self._chores: list[asyncio.Future[None]] = []
        self._storing: set[asyncio.Future[None]] = set()

    async def open(self) -> None:
        loop = asyncio.get_running_loop()
        ready: asyncio.Future[None] = loop.create_future()
        lost: asyncio.Future[str] = loop.create_future()
        options = WSClientOptions(
            bot_id=self.settings.bot_id,
            secret=self.settings.secret,
            max_reconnect_attempts=0,
            heartbeat_interval=HEARTBEAT_MS,
            ws_url=self.settings.ws_url,
            logger=_SdkLog(),
        )
        client = WSClient(options)

        def failed(exc: Exception) -> None:
            if not ready.done():
                ready.set_exception(exc)

        def disconnected(reason: str) -> None:
            failed(ConnectionError(f"closed before subscribing: {reason}"))
            if not lost.done():
                lost.set_result(reason)

        client.on("authenticated", lambda: ready.done() or ready.set_result(None))
        client.on("error", failed)
        client.on("disconnected", disconnected)
        client.on("message", self._frame)
        client.on("event", self._frame)
        self.client, self._lost = client, lost
        await client.connect()
        await asyncio.wait_for(ready, AUTH_TIMEOUT)
        self._chores = [asyncio.ensure_future(self._relay_sends()), asyncio.ensure_future(self._drain_spool())]

    async def lost(self) -> str:
        assert self._lost is not None
        return await self._lost

    async def close(self) -> None:
        if self._storing:  # events in hand are stored (and clicks answered) before the socket goes
            await asyncio.wait(set(self._storing), timeout=CLOSE_TIMEOUT)
        for chore in self._chores:
            chore.cancel()
        await asyncio.gather(*self._chores, return_exceptions=True)
        self._chores = []
        if self.client is not None:
            client, self.client = self.client, None
            client.disconnect()  # schedules the close: wait for it, so the socket is gone when this returns
            deadline = asyncio.get_running_loop().time() + CLOSE_TIMEOUT
            while client._ws_manager._ws is not None and asyncio.get_running_loop().time() < deadline:
                await asyncio.sleep(0.02)

    # ------------------------------------------------------------ inbound

    def _frame(self, frame: dict[str, Any]) -> None:
        """A callback frame: stored (committed) under its msgid, or a click answered at once."""
        headers = frame.get("headers") if isinstance(frame.get("headers"), dict) else {}
        received = _now()
        # What translate reads: kept on disk as it is if the database cannot take the event.
        record = {"cmd": str(frame.get("cmd")), "req_id": str(headers.get("req_id") or ""), "body": frame.get("body")}
        try:
            outcome = translate(record["cmd"], record["req_id"], record["body"], received)
        except Malformed as exc:
            log.warning("wecom ai bot: dropped an unreadable frame (%s)", exc.reason)
            return
        if isinstance(outcome, Ignored):
            log.info("wecom ai bot: ignored %s", outcome.what)
            return
        task = asyncio.ensure_future(self._store(frame, outcome, {**record, "received_at": received.isoformat()}))
        self._storing.add(task)
        task.add_done_callback(self._storing.discard)

    async def _store(self, frame: dict[str, Any], outcome: Delivery, record: dict[str, Any]) -> None:
        clicked = isinstance(outcome.item, CardAction)
        for pause in (*self.store_retries, None):
            try:
                card = take(self.rt, PLATFORM, outcome, answer_clicks=clicked)
                break
            except SQLAlchemyError as exc:
                if pause is None:
                    path = self.spool.keep(outcome.dedup_key, record)
                    log.error("wecom ai bot: database unavailable; event %s kept in %s", outcome.dedup_key, path)
                    return
                log.warning("wecom ai bot: cannot store %s yet (%s)", outcome.dedup_key, type(exc).__name__)
                await asyncio.sleep(pause)
        if clicked and card is not None:
            assert isinstance(outcome.item, CardAction)
            await self._answer_click(frame, outcome.item, card)

    async def _answer_click(self, frame: dict[str, Any], click: CardAction, card: Card) -> None:
        assert self.client is not None
        try:
            if replaces_card(card):
                await self.client.update_template_card(frame, render_update(card, click.update_ref["task_id"]))
            else:  # a refusal goes to the clicker alone; the card stays as it is
                body = {"msgtype": "markdown", "markdown": {"content": render_markdown(card, MARKDOWN_LIMIT)}}
                await self.client.send_message(click.actor.removeprefix(f"{PLATFORM}:"), body)
        except Exception as exc:  # the click did its work; only showing the result failed
            log.warning("wecom ai bot: could not answer click %s (%s)", click.update_ref, exc)

    async def _drain_spool(self) -> None:
        """Store what was kept on disk, oldest first, whenever the database takes it. A click kept there is
        too late to update its card (a card is updated within 5 s of the click) but still does its work."""
        while True:
            for key, record in list(self.spool.items()):
                when = datetime.fromisoformat(record["received_at"])
                try:
                    outcome = translate(str(record["cmd"]), str(record["req_id"]), record["body"], when)
                except Malformed:
                    outcome = Ignored("unreadable")
                if isinstance(outcome, Delivery):
                    try:
                        await asyncio.to_thread(take, self.rt, PLATFORM, outcome, answer_clicks=False)
                    except SQLAlchemyError:
                        break  # still down: the rest waits too
                    log.info("wecom ai bot: event %s kept on disk is stored", key)
                self.spool.remove(key)
            await asyncio.sleep(self.drain_every)

    # ------------------------------------------------------------ outbound

    async def _relay_sends(self) -> None:
        """Send what BotSenders queue, one at a time, and answer each with the platform's errcode."""
        connection = self.rt.queue.connection
        while True:
            popped = await asyncio.to_thread(connection.blpop, [REQUESTS], 1)
            if popped is None:
                continue
            request = json.loads(popped[1])
            if request["deadline"] - time.time() < SEND_MARGIN:
                log.info("wecom ai bot: request %s given up by its sender; not sent", request["id"])
                continue
            assert self.client is not None
            try:
                ack = await self.client.send_message(request["chatid"], request["body"])
                answer = {"errcode": ack.get("errcode", 0), "errmsg": ack.get("errmsg")}
            except Exception as exc:  # the SDK reports errcodes, timeouts and a lost socket as exceptions
                answer = {"errcode": ack_errcode(exc), "errmsg": str(exc)[:200]}
            key = ANSWER.format(id=request["id"])
            connection.rpush(key, json.dumps(answer, ensure_ascii=False))
            connection.expire(key, 60)


def _now() -> datetime:
    return datetime.now(UTC)
