"""A fake Feishu open platform on a loopback port, so lark-oapi's real client runs against it, plus the
helpers that encrypt and sign event requests the way Feishu does (an implementation independent of
lark-oapi's, checked against the official test vector).

The fake answers only the endpoints salesbot uses, records every request, and fails on demand: HTTP
5xx, an error code (rate limit, permission), or a revoked tenant_access_token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from Crypto.Cipher import AES

FIXTURES = Path(__file__).parent / "fixtures" / "feishu"
APP_ID = "cli_a5f1c2d3e4b5c6d7"
APP_SECRET = "fake-app-secret-9Xq2"
VERIFICATION_TOKEN = "066zT6pS4QCbgj5Do145GfDbbagCHGgF"
ENCRYPT_KEY = "test key"  # the key of Feishu's official decrypt sample


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def encrypt(plaintext: bytes, key: str, iv: bytes | None = None) -> str:
    """base64(iv + AES-256-CBC(PKCS7(plaintext))) with key = SHA-256(encrypt key)."""
    iv = iv or os.urandom(16)
    pad = 16 - len(plaintext) % 16
    cipher = AES.new(hashlib.sha256(key.encode()).digest(), AES.MODE_CBC, iv)
    return base64.b64encode(iv + cipher.encrypt(plaintext + bytes([pad]) * pad)).decode()


def signature(timestamp: str, nonce: str, key: str, body: bytes) -> str:
    return hashlib.sha256((timestamp + nonce + key).encode() + body).hexdigest()


def event_request(
    payload: dict[str, Any], *, key: str = ENCRYPT_KEY, timestamp: str = "", nonce: str = "8f3c1a"
) -> tuple[bytes, dict[str, str]]:
    """The body and headers Feishu would send for `payload` with encryption on (signed now by default)."""
    timestamp = timestamp or str(int(time.time()))
    body = json.dumps({"encrypt": encrypt(json.dumps(payload, ensure_ascii=False).encode(), key)}).encode()
    headers = {
        "Content-Type": "application/json",
        "X-Lark-Request-Timestamp": timestamp,
        "X-Lark-Request-Nonce": nonce,
        "X-Lark-Signature": signature(timestamp, nonce, key, body),
    }
    return body, headers


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    at: float  # time.time() when it arrived

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Failure:
    path: str  # a regular expression matched against the request path
    status: int = 500
    code: int = 0
    times: int = 1
    after: int = 0  # let this many matching requests through first (fail on page 3: after=2)


@dataclass
class FakeFeishu:
    """State behind the server. Tests set `resources`, `users`, `transcripts`, `hook_secrets` and call
    `fail(...)` / `revoke_tokens()`; they read `requests`."""

    requests: list[Recorded] = field(default_factory=list)
    resources: dict[tuple[str, str], bytes] = field(default_factory=dict)
    users: dict[str, str] = field(default_factory=dict)
    transcripts: list[str] = field(default_factory=list)
    # The directory (contact v3 objects): departments under the root, and users with their `department_ids`.
    departments: list[dict[str, Any]] = field(default_factory=list)
    staff: list[dict[str, Any]] = field(default_factory=list)
    page_limit: int = 2  # the most items a page holds here, whatever page_size asks: readers must page
    hook_secrets: dict[str, str] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
    tokens: set[str] = field(default_factory=set)
    sent: dict[str, str] = field(default_factory=dict)  # create uuid -> message id
    # Web-app login: codes the authorize page would hand back, and the open_id each signs in.
    login_codes: dict[str, str] = field(default_factory=dict)
    user_tokens: dict[str, str] = field(default_factory=dict)  # user_access_token -> open_id
    url: str = ""
    # The long-connection server `POST /callback/ws/endpoint` sends lark.ws.Client to (tests/fake_feishu_ws.py).
    ws: Any = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def fail(self, path: str, *, status: int = 500, code: int = 0, times: int = 1, after: int = 0) -> None:
        self.failures.append(Failure(path, status, code, times, after))

    def revoke_tokens(self) -> None:
        """Every issued tenant_access_token is now rejected (code 99991663), as after a secret reset."""
        self.tokens.clear()

    def calls(self, pattern: str, method: str | None = None) -> list[Recorded]:
        return [r for r in self.requests if re.fullmatch(pattern, r.path) and method in (None, r.method)]

    @property
    def messages(self) -> list[dict[str, Any]]:
        """Bodies of successful im/v1 message creations, oldest first."""
        return [r.json for r in self.calls("/open-apis/im/v1/messages", "POST")]


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _answer(self, status: int, body: dict[str, Any] | bytes, content_type: str = "application/json") -> None:
        data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _handle(self) -> None:
        fake = self.server.fake
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        request = Recorded(
            self.command, parts.path, parse_qs(parts.query), dict(self.headers), self.rfile.read(length), time.time()
        )
        with fake.lock:
            fake.requests.append(request)
            failure = next((f for f in fake.failures if f.times > 0 and re.fullmatch(f.path, parts.path)), None)
            if failure is not None and failure.after > 0:
                failure.after -= 1
                failure = None
            elif failure is not None:
                failure.times -= 1
        if failure is not None:
            if failure.code:
                self._answer(failure.status, {"code": failure.code, "msg": "fake failure"})
            else:
                self._answer(failure.status, b"<html>502 Bad Gateway</html>", "text/html")
            return
        status, body, content_type = self.server.route(request)
        self._answer(status, body, content_type)

    do_GET = do_POST = do_PATCH = _handle


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, fake: FakeFeishu) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.fake = fake
        self.counter = 0

    def _next(self, prefix: str) -> str:
        with self.fake.lock:
            self.counter += 1
            return f"{prefix}{self.counter:08d}"

    def route(self, r: Recorded) -> tuple[int, dict[str, Any] | bytes, str]:
        fake, json_type = self.fake, "application/json"
        if r.path == "/open-apis/auth/v3/tenant_access_token/internal":
            body = r.json
            if (body.get("app_id"), body.get("app_secret")) != (APP_ID, APP_SECRET):
                return 400, {"code": 10014, "msg": "app secret invalid"}, json_type
            token = self._next("t-fake")
            fake.tokens.add(token)
            return 200, {"code": 0, "msg": "ok", "tenant_access_token": token, "expire": 7200}, json_type
        if r.path == "/open-apis/auth/v3/app_access_token/internal":
            return self._app_token(r)
        if r.path.startswith("/open-apis/authen/v1/"):
            return self._login(r)
        if r.path == "/callback/ws/endpoint":
            body = r.json
            if (body.get("AppID"), body.get("AppSecret")) != (APP_ID, APP_SECRET) or fake.ws is None:
                return 200, {"code": 1000040345, "msg": "app secret invalid"}, json_type
            return 200, {"code": 0, "msg": "ok", "data": fake.ws.endpoint()}, json_type
        if r.path.startswith("/open-apis/bot/v2/hook/"):
            return self._hook(r)
        if r.headers.get("Authorization", "").removeprefix("Bearer ") not in fake.tokens:
            return 400, {"code": 99991663, "msg": "Invalid access token for authorization"}, json_type
        if r.path == "/open-apis/im/v1/messages" and r.method == "POST":
            body = r.json
            message_id = fake.sent.setdefault(body.get("uuid") or self._next("u"), self._next("om_fake"))
            return 200, {"code": 0, "msg": "success", "data": {"message_id": message_id}}, json_type
        if re.fullmatch(r"/open-apis/im/v1/messages/om_\w+", r.path) and r.method == "PATCH":
            return 200, {"code": 0, "msg": "success", "data": {}}, json_type
        found = re.fullmatch(r"/open-apis/im/v1/messages/(\w+)/resources/([\w-]+)", r.path)
        if found and r.method == "GET":
            data = fake.resources.get((found[1], found[2]))
            if data is None or r.query.get("type") != ["file"]:
                return 400, {"code": 234003, "msg": "File not in msg."}, json_type
            return 200, data, "audio/ogg"
        if r.path == "/open-apis/contact/v3/departments/0/children" and r.method == "GET":
            return self._page(r, fake.departments)
        if r.path == "/open-apis/contact/v3/users/find_by_department" and r.method == "GET":
            department = (r.query.get("department_id") or [""])[0]
            return self._page(r, [u for u in fake.staff if department in u["department_ids"]])
        found = re.fullmatch(r"/open-apis/contact/v3/users/(\w+)", r.path)
        if found and r.method == "GET":
            if found[1] not in fake.users:
                return 400, {"code": 41050, "msg": "no user authority error"}, json_type
            user = {"open_id": found[1], "name": fake.users[found[1]]}
            return 200, {"code": 0, "msg": "success", "data": {"user": user}}, json_type
        if r.path == "/open-apis/speech_to_text/v1/speech/file_recognize":
            return self._recognize(r)
        return 404, {"code": 404, "msg": f"fake feishu has no {r.method} {r.path}"}, json_type

    def _page(self, r: Recorded, items: list[dict[str, Any]]) -> tuple[int, dict[str, Any], str]:
        """One page of `items`: `page_token` is where it starts, `has_more` and the next token say what is left."""
        start = int((r.query.get("page_token") or ["0"])[0])
        size = min(int((r.query.get("page_size") or ["20"])[0]), self.fake.page_limit)
        end = start + size
        data: dict[str, Any] = {"has_more": end < len(items), "items": items[start:end]}
        if end < len(items):
            data["page_token"] = str(end)
        return 200, {"code": 0, "msg": "success", "data": data}, "application/json"

    # ------------------------------------------------------------ web-app login (authen/v1)

    def _app_token(self, r: Recorded) -> tuple[int, dict[str, Any], str]:
        body = r.json
        if (body.get("app_id"), body.get("app_secret")) != (APP_ID, APP_SECRET):
            return 400, {"code": 10014, "msg": "app secret invalid"}, "application/json"
        token = self._next("a-fake")
        self.fake.tokens.add(token)
        return 200, {"code": 0, "msg": "ok", "app_access_token": token, "expire": 7200}, "application/json"

    def _login(self, r: Recorded) -> tuple[int, dict[str, Any], str]:
        fake, bearer = self.fake, r.headers.get("Authorization", "").removeprefix("Bearer ")
        if r.path == "/open-apis/authen/v1/oidc/access_token" and r.method == "POST":
            if bearer not in fake.tokens:
                return 400, {"code": 99991663, "msg": "Invalid access token for authorization"}, "application/json"
            open_id = fake.login_codes.pop(r.json.get("code", ""), None)
            if r.json.get("grant_type") != "authorization_code" or open_id is None:
                return 400, {"code": 20003, "msg": "invalid code"}, "application/json"
            token = self._next("u-fake")
            fake.user_tokens[token] = open_id
            data = {"access_token": token, "token_type": "Bearer", "expires_in": 6900, "scope": ""}
            return 200, {"code": 0, "msg": "success", "data": data}, "application/json"
        if r.path == "/open-apis/authen/v1/user_info" and r.method == "GET":
            open_id = fake.user_tokens.get(bearer)
            if open_id is None:
                return 401, {"code": 99991668, "msg": "Invalid access token"}, "application/json"
            data = {"name": fake.users.get(open_id, ""), "open_id": open_id, "union_id": "on_fake", "tenant_key": "t"}
            return 200, {"code": 0, "msg": "success", "data": data}, "application/json"
        return 404, {"code": 404, "msg": f"fake feishu has no {r.method} {r.path}"}, "application/json"

    def _recognize(self, r: Recorded) -> tuple[int, dict[str, Any], str]:
        body = r.json
        config, pcm = body.get("config", {}), base64.b64decode(body.get("speech", {}).get("speech", ""))
        valid = (
            config.get("format") == "pcm"
            and config.get("engine_type") == "16k_auto"
            and re.fullmatch(r"\w{16}", config.get("file_id", ""))
            and 0 < len(pcm) <= 60 * 16000 * 2
        )
        if not valid:
            return 400, {"code": 2200003, "msg": "invalid speech request"}, "application/json"
        text = self.fake.transcripts.pop(0) if self.fake.transcripts else ""
        return 200, {"code": 0, "msg": "success", "data": {"recognition_text": text}}, "application/json"

    def _hook(self, r: Recorded) -> tuple[int, dict[str, Any], str]:
        secret = self.fake.hook_secrets.get(r.path.rsplit("/", 1)[1])
        body = r.json
        if secret is not None:
            key = f"{body.get('timestamp')}\n{secret}".encode()
            expected = base64.b64encode(hmac.new(key, digestmod=hashlib.sha256).digest()).decode()
            if body.get("sign") != expected:
                return (
                    200,
                    {"code": 19021, "msg": "sign match fail or timestamp is not within one hour"},
                    "application/json",
                )
        return 200, {"code": 0, "msg": "success", "data": {}}, "application/json"


def serve() -> Iterator[FakeFeishu]:
    """Run a fake on a free loopback port for the duration of a fixture."""
    fake = FakeFeishu()
    server = _Server(fake)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
