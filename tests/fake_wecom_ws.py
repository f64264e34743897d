"""A fake of WeCom's AI-bot long-connection server (wss://openws.work.weixin.qq.com), speaking the JSON frames
of `wecom-aibot-python-sdk` / `@wecom/aibot-node-sdk`:

- client → server: `aibot_subscribe` {bot_id, secret}, `ping`, `aibot_send_msg` {chatid, msgtype, …},
  `aibot_respond_update_msg` {response_type, template_card}, each answered by a frame with the same
  `headers.req_id` and `errcode` / `errmsg`;
- server → client: `aibot_msg_callback` and `aibot_event_callback` frames (tests/fixtures/wecom_bot).

The SDK connects with TLS only (it passes its certifi context), so the fake serves a self-signed certificate
for 127.0.0.1 and `trust()` adds it to the SDK's context. Frames pushed while no client is subscribed wait
for the next subscription; `drop()` aborts the socket as a network failure would.
"""

from __future__ import annotations

import asyncio
import copy
import datetime
import functools
import ipaddress
import itertools
import json
import ssl
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from tests.loopback import OneClient, websocket_server

FIXTURES = Path(__file__).parent / "fixtures" / "wecom_bot"
BOT_ID = "aib-fake-Qm3x9"
BOT_SECRET = "fake-bot-secret-7Hk2"
INVALID_SECRET = 40001


def fixture(name: str, **body: Any) -> dict[str, Any]:
    """A callback frame from the fixtures, with top-level body fields replaced."""
    frame = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    frame["body"].update(body)
    return frame


@functools.cache
def _certificate() -> tuple[bytes, bytes]:
    """One self-signed certificate per test process (the SDK's context, trusting it once, trusts every fake)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fake openws")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


@dataclass
class FakeWecomWs(OneClient):
    """State behind the server. Tests `push` callback frames and read `sends` (the bodies of
    `aibot_send_msg` frames), `updates` (`aibot_respond_update_msg` frames), `subscriptions`."""

    sends: list[dict[str, Any]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    subscriptions: int = 0
    send_errcodes: list[int] = field(default_factory=list)  # the next sends' errcodes, one each
    flap: bool = False  # abort every connection right after its subscription succeeds
    url: str = ""
    cert_pem: bytes = b""
    _waiting: list[dict[str, Any]] = field(default_factory=list)
    _ids: Iterator[int] = field(default_factory=itertools.count)

    def trust(self) -> None:
        """Make the SDK's TLS context accept this server's certificate."""
        from aibot import ws

        ws._SSL_CONTEXT.load_verify_locations(cadata=self.cert_pem.decode())

    def push(self, frame: dict[str, Any]) -> None:
        frame = copy.deepcopy(frame)
        with self.lock:
            live = self.live
            if live is None:
                self._waiting.append(frame)
        if live is not None and self.loop is not None:
            asyncio.run_coroutine_threadsafe(live.send(json.dumps(frame, ensure_ascii=False)), self.loop)

    @property
    def subscribed(self) -> bool:
        return self.live is not None

    async def _serve(self, ws: ServerConnection) -> None:
        try:
            async for message in ws:
                await self._receive(ws, json.loads(message))
        except ConnectionClosed:
            pass
        finally:
            self.forget(ws)

    async def _answer(self, ws: ServerConnection, frame: dict[str, Any], errcode: int = 0) -> None:
        answer = {"headers": {"req_id": frame["headers"]["req_id"]}, "errcode": errcode, "errmsg": "ok"}
        if errcode:
            answer["errmsg"] = "fake failure"
        await ws.send(json.dumps(answer))

    async def _receive(self, ws: ServerConnection, frame: dict[str, Any]) -> None:
        cmd, body = frame.get("cmd"), frame.get("body") or {}
        if cmd == "aibot_subscribe":
            if (body.get("bot_id"), body.get("secret")) != (BOT_ID, BOT_SECRET):
                await self._answer(ws, frame, INVALID_SECRET)
                return
            await self._answer(ws, frame)
            with self.lock:
                self.subscriptions += 1
                self.live = ws
                waiting, self._waiting = self._waiting, []
            if self.flap:
                self._waiting = waiting
                ws.transport.abort()
                return
            for pushed in waiting:
                await ws.send(json.dumps(pushed, ensure_ascii=False))
        elif cmd == "ping":
            await self._answer(ws, frame)
        elif cmd == "aibot_send_msg":
            with self.lock:
                errcode = self.send_errcodes.pop(0) if self.send_errcodes else 0
                if not errcode:
                    self.sends.append(body)
            await self._answer(ws, frame, errcode)
        elif cmd == "aibot_respond_update_msg":
            with self.lock:
                self.updates.append(frame)
            await self._answer(ws, frame)


def serve_fake() -> Iterator[FakeWecomWs]:
    """Run the fake on a free loopback port (wss) for the duration of a fixture."""
    fake = FakeWecomWs()
    fake.cert_pem, key_pem = _certificate()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with tempfile.TemporaryDirectory() as folder:
        cert_file, key_file = Path(folder) / "cert.pem", Path(folder) / "key.pem"
        cert_file.write_bytes(fake.cert_pem)
        key_file.write_bytes(key_pem)
        context.load_cert_chain(cert_file, key_file)
    with websocket_server(fake._serve, ssl=context) as (fake.url, fake.loop):
        yield fake
