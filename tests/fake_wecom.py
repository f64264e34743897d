"""A fake WeCom on loopback: the HTTP API wechatpy talks to, and the callbacks WeCom would POST.

`FakeWecom` is a real HTTP server (gettoken, message/send, media/get, message/update_template_card,
user/get, webhook/send, and the directory: department/list and user/list, one department a call). It records
every request and can be told to fail the next calls to a path:
an errcode (42001 token expired, 45009/45033 rate limits, …), an HTTP status, a dropped connection or a
slow answer. `Callbacks` turns a plaintext fixture from tests/fixtures/wecom/ into the encrypted, signed
POST WeCom would send, with the app credentials of the official test vector (platforms.md §1.4).
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit
from xml.etree import ElementTree

from wechatpy.enterprise.crypto import WeChatCrypto

from config.settings import WecomSettings
from tests.loopback import Served, reply_json

FIXTURES = Path(__file__).parent / "fixtures" / "wecom"
CORP_ID = "wx5823bf96d3bd56c7"
TOKEN = "QDG6eK"
AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
AGENT_ID = 218
SECRET = "fake-app-secret-0123456789"


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Failure:
    """How to answer one call instead of normally: an errcode, an HTTP status, a drop or a delay."""

    errcode: int | None = None
    status: int | None = None
    drop: bool = False
    delay: float = 0.0


@dataclass
class FakeWecom(Served):
    corp_id: str = CORP_ID
    secret: str = SECRET
    users: dict[str, str] = field(default_factory=lambda: {"zhangwei": "张伟", "lisi": "李四"})
    media: dict[str, bytes] = field(default_factory=dict)
    # The directory: department/list objects, and user/list objects (each lists its `department` ids).
    departments: list[dict[str, Any]] = field(default_factory=list)
    staff: list[dict[str, Any]] = field(default_factory=list)
    recorded: list[Recorded] = field(default_factory=list)
    token: str = ""
    # Web-page OAuth codes (snsapi_base) and the member each names; a code works once, as WeCom's do.
    oauth_codes: dict[str, str] = field(default_factory=dict)
    _failures: dict[str, list[Failure]] = field(default_factory=dict)
    _counter: itertools.count = field(default_factory=lambda: itertools.count(1))
    _server: ThreadingHTTPServer | None = None

    # ------------------------------------------------------------ control

    @property
    def url(self) -> str:
        return self.base_url

    @property
    def api_base(self) -> str:
        return f"{self.url}/cgi-bin/"

    def robot_url(self, key: str) -> str:
        return f"{self.api_base}webhook/send?{urlencode({'key': key})}"

    def settings(self) -> WecomSettings:
        return WecomSettings(
            corp_id=self.corp_id,
            agent_id=AGENT_ID,
            secret=self.secret,
            token=TOKEN,
            aes_key=AES_KEY,
            api_base=self.api_base,
        )

    def fail(self, path: str, *failures: Failure) -> None:
        """Answer the next calls to `path` (e.g. "message/send") with `failures`, in order."""
        self._failures.setdefault(path, []).extend(failures)

    def expire_token(self) -> None:
        """The token handed out so far stops working (errcode 42001), as after two hours."""
        self.token = ""

    def calls(self, path: str) -> list[Recorded]:
        return [r for r in self.recorded if r.path == f"/cgi-bin/{path}"]

    # ------------------------------------------------------------ the API

    def _handle(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        parts = urlsplit(handler.path)
        query = dict(parse_qsl(parts.query))
        self.recorded.append(Recorded(handler.command, parts.path, query, body))
        endpoint = parts.path.removeprefix("/cgi-bin/")
        pending = self._failures.get(endpoint)
        if pending:
            failure = pending.pop(0)
            time.sleep(failure.delay)
            if failure.drop:
                handler.close_connection = True
                handler.connection.shutdown(2)
                return
            if failure.status is not None:
                return reply_json(handler, {"error": "fake failure"}, status=failure.status)
            if failure.errcode is not None:
                return reply_json(handler, {"errcode": failure.errcode, "errmsg": f"fake error {failure.errcode}"})
        if endpoint == "gettoken":
            return reply_json(handler, self._gettoken(query))
        if endpoint == "webhook/send":
            return reply_json(handler, {"errcode": 0, "errmsg": "ok"})
        if not self.token or query.get("access_token") != self.token:
            return reply_json(handler, {"errcode": 42001, "errmsg": "access_token expired"})
        if endpoint == "media/get":
            return self._media(handler, query.get("media_id", ""))
        answer = {
            "message/send": lambda: self._message_send(json.loads(body)),
            "message/update_template_card": lambda: {"errcode": 0, "errmsg": "ok"},
            "user/get": lambda: self._user_get(query.get("userid", "")),
            "department/list": lambda: {"errcode": 0, "errmsg": "ok", "department": self.departments},
            "user/list": lambda: self._user_list(query.get("department_id", "")),
            "auth/getuserinfo": lambda: self._oauth_user(query.get("code", "")),
        }.get(endpoint)
        if answer is None:
            return reply_json(handler, {"errcode": 404, "errmsg": f"can not find fake endpoint {endpoint}"}, 404)
        reply_json(handler, answer())

    def _gettoken(self, query: dict[str, str]) -> dict[str, Any]:
        if query.get("corpid") != self.corp_id or query.get("corpsecret") != self.secret:
            return {"errcode": 40001, "errmsg": "invalid credential"}
        self.token = f"ACCESS_TOKEN_{next(self._counter)}"
        return {"errcode": 0, "errmsg": "ok", "access_token": self.token, "expires_in": 7200}

    def _message_send(self, data: dict[str, Any]) -> dict[str, Any]:
        n = next(self._counter)
        invalid = "|".join(u for u in data.get("touser", "").split("|") if u not in self.users)
        answer: dict[str, Any] = {"errcode": 0, "errmsg": "ok", "invaliduser": invalid, "msgid": f"MSGID_{n}"}
        if data.get("msgtype") == "template_card":
            answer["response_code"] = f"RESPONSE_CODE_{n}"
        return answer

    def _user_get(self, user_id: str) -> dict[str, Any]:
        if user_id not in self.users:
            return {"errcode": 60111, "errmsg": "userid not found"}
        return {"errcode": 0, "errmsg": "ok", "userid": user_id, "name": self.users[user_id]}

    def _user_list(self, department_id: str) -> dict[str, Any]:
        if not any(str(d["id"]) == department_id for d in self.departments):
            return {"errcode": 60123, "errmsg": "invalid party id"}
        members = [u for u in self.staff if int(department_id) in u["department"]]
        return {"errcode": 0, "errmsg": "ok", "userlist": members}

    # ------------------------------------------------------------ web-page OAuth (document 91023)

    def _oauth_user(self, code: str) -> dict[str, Any]:
        user_id = self.oauth_codes.pop(code, None)
        if user_id is None:
            return {"errcode": 40029, "errmsg": "invalid code"}
        return {"errcode": 0, "errmsg": "ok", "userid": user_id, "user_ticket": f"TICKET_{code}"}

    def _media(self, handler: BaseHTTPRequestHandler, media_id: str) -> None:
        if media_id not in self.media:
            return reply_json(handler, {"errcode": 40007, "errmsg": "invalid media_id"})
        data = self.media[media_id]
        handler.send_response(200)
        handler.send_header("Content-Type", "audio/amr")
        handler.send_header("Content-Disposition", f'attachment; filename="{media_id}.amr"')
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)


# ---------------------------------------------------------------- callbacks WeCom would POST


def fixture(name: str, **changes: str) -> str:
    """A plaintext fixture, with the text of some top-level elements replaced (a variant made in code)."""
    text = (FIXTURES / f"{name}.xml").read_text(encoding="utf-8")
    if not changes:
        return text
    root = ElementTree.fromstring(text)
    for tag, value in changes.items():
        element = root.find(tag)
        if element is None:
            element = ElementTree.SubElement(root, tag)
        element.text = value
    return ElementTree.tostring(root, encoding="unicode")


@dataclass(frozen=True)
class Signed:
    """An encrypted callback: the query string and the XML body."""

    query: dict[str, str]
    body: str

    @property
    def path(self) -> str:
        return f"/wecom/callback?{urlencode(self.query)}"


class Callbacks:
    """Encrypts and signs callbacks as WeCom does, with the given app credentials."""

    def __init__(self, token: str = TOKEN, aes_key: str = AES_KEY, corp_id: str = CORP_ID) -> None:
        self.corp_id = corp_id
        self.crypto = WeChatCrypto(token, aes_key, corp_id)

    def sign(self, plaintext: str, *, timestamp: int | None = None, nonce: str = "1372623149") -> Signed:
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        envelope = ElementTree.fromstring(self.crypto.encrypt_message(plaintext, nonce, stamp))
        encrypted = envelope.findtext("Encrypt", "")
        body = (
            f"<xml><ToUserName><![CDATA[{self.corp_id}]]></ToUserName>"
            f"<Encrypt><![CDATA[{encrypted}]]></Encrypt><AgentID><![CDATA[{AGENT_ID}]]></AgentID></xml>"
        )
        query = {"msg_signature": envelope.findtext("MsgSignature", ""), "timestamp": stamp, "nonce": nonce}
        return Signed(query, body)


def running() -> Iterator[FakeWecom]:
    """A started fake for the duration of a fixture: `yield from running()`."""
    fake = FakeWecom().start()
    try:
        yield fake
    finally:
        fake.stop()
