"""A fake OpenAI-compatible speech-to-text server on loopback: POST /v1/audio/transcriptions.

It answers `text` for every file, records each request's multipart form, and can be told to answer the
next requests with an HTTP status instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.loopback import Served, reply_json


@dataclass(frozen=True)
class Upload:
    headers: dict[str, str]
    form: dict[str, str]
    file: bytes


@dataclass
class FakeSpeech(Served):
    text: str = ""
    uploads: list[Upload] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        """The base URL, as SALESBOT_ASR_URL takes it."""
        return f"{self.base_url}/v1"

    def _handle(self, request: BaseHTTPRequestHandler, body: bytes) -> None:
        self._record(dict(request.headers.items()), body)
        status = self.statuses.pop(0) if self.statuses else 200
        if request.path != "/v1/audio/transcriptions":
            status = 404
        reply_json(request, {"text": self.text} if status == 200 else {"error": "fake"}, status)

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
