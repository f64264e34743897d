"""A fake OpenAI-compatible speech-to-text server on loopback: POST /v1/audio/transcriptions.

It answers `text` for every file, records each request's multipart form, and can be told to answer the
next requests with an HTTP status instead.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Upload:
    headers: dict[str, str]
    form: dict[str, str]
    file: bytes


@dataclass
class FakeSpeech:
    text: str = ""
    uploads: list[Upload] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        """The base URL, as SALESBOT_ASR_URL takes it."""
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def start(self) -> FakeSpeech:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                fake._record(dict(self.headers.items()), body)
                status = fake.statuses.pop(0) if fake.statuses else 200
                if self.path != "/v1/audio/transcriptions":
                    status = 404
                answer = json.dumps({"text": fake.text} if status == 200 else {"error": "fake"}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()

    def _record(self, headers: dict[str, str], body: bytes) -> None:
        head = f"Content-Type: {headers.get('Content-Type', '')}\r\n\r\n".encode()
        message = BytesParser(policy=HTTP).parsebytes(head + body)
        form: dict[str, str] = {}
        file = b""
        for part in message.iter_parts():
            payload = part.get_payload(decode=True) or b""
            if part.get_filename():
                file = payload
            else:
                form[str(part.get_param("name", header="content-disposition"))] = payload.decode()
        self.uploads.append(Upload(headers, form, file))
