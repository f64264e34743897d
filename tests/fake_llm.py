"""A fake OpenAI-compatible chat completions server on loopback: POST /v1/chat/completions.

It answers with `content` as the assistant's message (after `delay` seconds), records each request's
JSON body and headers, and can be told to answer the next requests with an HTTP status instead.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.loopback import Served, reply_json


@dataclass
class FakeLlm(Served):
    content: str = '{"parts": [{"company": null, "contact_name": null, "tags": [], "activity_type": "other"}]}'
    delay: float = 0.0
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        """The base URL, as SALESBOT_LLM_URL takes it."""
        return f"{self.base_url}/v1"

    def answer(self, *parts: dict[str, Any]) -> None:
        """Answer the next requests with these customers, as a model following the prompt would."""
        self.content = json.dumps({"parts": list(parts)}, ensure_ascii=False)

    def _handle(self, request: BaseHTTPRequestHandler, body: bytes) -> None:
        self.headers.append(dict(request.headers.items()))
        self.requests.append(json.loads(body or b"{}"))
        time.sleep(self.delay)  # the model thinking: what the reader's timeout is tested against
        status = self.statuses.pop(0) if self.statuses else 200
        if request.path != "/v1/chat/completions":
            status = 404
        if status != 200:
            reply_json(request, {"error": {"message": "fake"}}, status)
            return
        reply_json(request, {"choices": [{"index": 0, "message": {"role": "assistant", "content": self.content}}]})
