"""A fake of Feishu's long-connection server: the WebSocket lark.ws.Client connects to after
`POST /callback/ws/endpoint` (answered by tests/fake_feishu.py with this server's URL).

It speaks the SDK's frames (lark_oapi/ws/pb: a protobuf `Frame` whose headers say type=event|ping|pong,
message_id, trace_id, sum, seq; the event JSON as payload) and keeps what Feishu keeps: every event it pushed
stays pending until the client answers its frame with code 200, and is pushed again on the next connection.
`drop_after(n)` makes the next connection lose the n-th ack it gets and abort the socket (no close
handshake), as a network failure would: that event was stored (the client acks after the commit) and is
pushed again.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from lark_oapi.ws.const import HEADER_MESSAGE_ID, HEADER_SEQ, HEADER_SUM, HEADER_TRACE_ID, HEADER_TYPE
from lark_oapi.ws.enum import FrameType, MessageType
from lark_oapi.ws.pb.pbbp2_pb2 import Frame
from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from tests.loopback import OneClient, websocket_server

SERVICE_ID = 7


def headers_of(frame: Frame) -> dict[str, str]:
    return {h.key: h.value for h in frame.headers}


def data_frame(message_id: str, payload: dict[str, Any], kind: MessageType = MessageType.EVENT) -> Frame:
    frame = Frame(SeqID=0, LogID=0, service=SERVICE_ID, method=FrameType.DATA.value)
    values = {HEADER_TYPE: kind.value, HEADER_MESSAGE_ID: message_id, HEADER_TRACE_ID: uuid.uuid4().hex}
    for key, value in {**values, HEADER_SUM: "1", HEADER_SEQ: "0"}.items():
        header = frame.headers.add()
        header.key, header.value = key, value
    frame.payload = json.dumps(payload, ensure_ascii=False).encode()
    return frame


@dataclass
class FakeFeishuWs(OneClient):
    """State behind the server: tests `push` events and read `acks` (message id → the ack's decoded data,
    None when it had none), `pushes` (how often each was sent) and `connections`."""

    pending: dict[str, dict[str, Any]] = field(default_factory=dict)  # pushed, not yet acknowledged
    acks: dict[str, Any] = field(default_factory=dict)
    pushes: Counter[str] = field(default_factory=Counter)
    connections: int = 0
    pings: int = 0
    url: str = ""
    _drop_after: int | None = None
    _ids: Iterator[int] = field(default_factory=itertools.count)

    def endpoint(self) -> dict[str, Any]:
        """The data of a successful `/callback/ws/endpoint` answer."""
        config = {"ReconnectCount": -1, "ReconnectInterval": 1, "ReconnectNonce": 0, "PingInterval": 120}
        return {"URL": f"{self.url}/ws?device_id=fake-device&service_id={SERVICE_ID}", "ClientConfig": config}

    def push(self, payload: dict[str, Any]) -> str:
        """Deliver an event (v2.0 JSON, as the webhook would get it decrypted); returns the frame's message id."""
        message_id = f"fake-msg-{next(self._ids)}"
        with self.lock:
            self.pending[message_id] = payload
            live = self.live
        if live is not None and self.loop is not None:
            asyncio.run_coroutine_threadsafe(self._send(live, message_id, payload), self.loop)
        return message_id

    def drop_after(self, frames: int) -> None:
        self._drop_after = frames

    @property
    def connected(self) -> bool:
        return self.live is not None

    async def _send(self, ws: ServerConnection, message_id: str, payload: dict[str, Any]) -> None:
        self.pushes[message_id] += 1
        await ws.send(data_frame(message_id, payload).SerializeToString())

    async def _serve(self, ws: ServerConnection) -> None:
        with self.lock:
            self.connections += 1
            self.live = ws
            backlog = list(self.pending.items())
        acks_left, self._drop_after = self._drop_after, None
        try:
            for message_id, payload in backlog:
                await self._send(ws, message_id, payload)
            async for message in ws:
                acked = await self._receive(ws, message, lose=acks_left == 1)
                if acked and acks_left is not None:
                    acks_left -= 1
                    if acks_left == 0:
                        ws.transport.abort()
                        return
        except ConnectionClosed:
            pass
        finally:
            self.forget(ws)

    async def _receive(self, ws: ServerConnection, message: str | bytes, *, lose: bool) -> bool:
        """Answer a ping, or take an ack (unless it is to be lost); whether it was an ack."""
        frame = Frame()
        frame.ParseFromString(message if isinstance(message, bytes) else message.encode())
        headers = headers_of(frame)
        if frame.method == FrameType.CONTROL.value and headers.get(HEADER_TYPE) == MessageType.PING.value:
            self.pings += 1
            pong = Frame(SeqID=0, LogID=0, service=frame.service, method=FrameType.CONTROL.value)
            header = pong.headers.add()
            header.key, header.value = HEADER_TYPE, MessageType.PONG.value
            await ws.send(pong.SerializeToString())
            return False
        if frame.method != FrameType.DATA.value:
            return False
        response = json.loads(frame.payload)
        if response.get("code") != 200 or lose:
            return True  # not acknowledged: pushed again on the next connection
        data = response.get("data")
        with self.lock:
            self.pending.pop(headers[HEADER_MESSAGE_ID], None)
            self.acks[headers[HEADER_MESSAGE_ID]] = json.loads(base64.b64decode(data)) if data else None
        return True


def serve_fake() -> Iterator[FakeFeishuWs]:
    """Run the fake on a free loopback port for the duration of a fixture."""
    fake = FakeFeishuWs()
    with websocket_server(fake._serve) as (fake.url, fake.loop):
        yield fake
