"""Real HTTP and WebSocket servers on 127.0.0.1 for the fake platform APIs: one handler function, one thread."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from ssl import SSLContext
from typing import Any, Self

from websockets.asyncio.server import ServerConnection
from websockets.asyncio.server import serve as ws_serve

Handle = Callable[[BaseHTTPRequestHandler, bytes], None]


def serve(handle: Handle) -> ThreadingHTTPServer:
    """Start a server calling `handle(request, body)` for every GET and POST; stop it with `stop`."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            handle(self, b"")

        def do_POST(self) -> None:
            handle(self, self.rfile.read(int(self.headers.get("Content-Length") or 0)))

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def base_url(server: ThreadingHTTPServer) -> str:
    host, port = server.server_address[:2]
    return f"http://{host}:{port}"


def stop(server: ThreadingHTTPServer) -> None:
    server.shutdown()
    server.server_close()


def reply_json(request: BaseHTTPRequestHandler, answer: dict[str, Any], status: int = 200) -> None:
    data = json.dumps(answer, ensure_ascii=False).encode()
    request.send_response(status)
    request.send_header("Content-Type", "application/json; charset=utf-8")
    request.send_header("Content-Length", str(len(data)))
    request.end_headers()
    request.wfile.write(data)


class Served:
    """A fake API served on loopback by its `_handle(request, body)` method: start, stop, base URL."""

    _server: ThreadingHTTPServer | None

    def _handle(self, request: BaseHTTPRequestHandler, body: bytes) -> None:
        raise NotImplementedError

    def start(self) -> Self:
        self._server = serve(self._handle)
        return self

    def stop(self) -> None:
        assert self._server is not None
        stop(self._server)

    @property
    def base_url(self) -> str:
        assert self._server is not None
        return base_url(self._server)


@contextmanager
def websocket_server(
    handler: Callable[[ServerConnection], Awaitable[None]], *, ssl: SSLContext | None = None
) -> Iterator[tuple[str, asyncio.AbstractEventLoop]]:
    """A real WebSocket server on 127.0.0.1 (the `websockets` library) running `handler` per connection on an
    event loop in a thread of its own; yields its base URL (ws:// or wss://) and that loop."""
    loop = asyncio.new_event_loop()
    started, stopping = threading.Event(), asyncio.Event()
    url = ""

    async def main() -> None:
        nonlocal url
        async with ws_serve(handler, "127.0.0.1", 0, ssl=ssl, ping_interval=None, close_timeout=1) as server:
            port = next(iter(server.sockets)).getsockname()[1]
            url = f"{'wss' if ssl else 'ws'}://127.0.0.1:{port}"
            started.set()
            await stopping.wait()

    thread = threading.Thread(target=loop.run_until_complete, args=(main(),), daemon=True)
    thread.start()
    started.wait(10)
    try:
        yield url, loop
    finally:
        loop.call_soon_threadsafe(stopping.set)
        thread.join(10)
        loop.close()


@dataclass
class OneClient:
    """What a fake long-connection server knows of its connected client (platforms deliver to one)."""

    live: ServerConnection | None = None
    loop: asyncio.AbstractEventLoop | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def drop(self) -> None:
        """Abort the live connection now, without a close handshake, as a network failure would."""
        with self.lock:
            live, self.live = self.live, None
        if live is not None and self.loop is not None:
            self.loop.call_soon_threadsafe(live.transport.abort)

    def forget(self, ws: ServerConnection) -> None:
        with self.lock:
            if self.live is ws:
                self.live = None
