"""A real HTTP server on 127.0.0.1 for the fake platform APIs: one handler function, one thread."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

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
