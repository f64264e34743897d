"""The webhooks under attack: signature, timestamp, replay and tamper matrices for WeCom and Feishu, a
Hypothesis fuzz of bodies, headers and query strings, and bombs and oversized bodies bounded in memory and
time. Every refused request answers 4xx and leaves no row behind.
"""

from __future__ import annotations

import io
import json
import time
import tracemalloc
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.test import EnvironBuilder, run_wsgi_app

from storage.models import InboundEvent, OutboxMessage
from tests import fake_feishu
from tests.fake_feishu import event_request
from tests.fake_wecom import Callbacks, fixture
from tests.stack import Stack, build_stack, feishu_message

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
OTHER_AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"


@pytest.fixture
def web(sqlite_url: str) -> Iterator[Stack]:
    yield from build_stack(sqlite_url)


def rows(web: Stack) -> tuple[int, int]:
    return web.count(InboundEvent), web.count(OutboxMessage)


# ---------------------------------------------------------------- WeCom matrix

Request = tuple[str, dict[str, str], bytes]  # method path, query, body


def wecom_request(callbacks: Callbacks | None = None, *, timestamp: int | None = None, **changes: str) -> Request:
    signed = (callbacks or Callbacks()).sign(fixture("text__plain", **changes), timestamp=timestamp)
    return "/wecom/callback", dict(signed.query), signed.body.encode()


def tampered_ciphertext() -> Request:
    path, query, body = wecom_request()
    start = body.index(b"<Encrypt><![CDATA[") + len(b"<Encrypt><![CDATA[")
    flipped = b"B" if body[start + 5 : start + 6] != b"B" else b"C"
    return path, query, body[: start + 5] + flipped + body[start + 6 :]


def changed(name: str, value: str) -> Request:
    path, query, body = wecom_request()
    return path, {**query, name: value}, body


def without(name: str) -> Request:
    path, query, body = wecom_request()
    return path, {k: v for k, v in query.items() if k != name}, body


WECOM_REFUSALS: list[tuple[str, Callable[[], Request], int, str]] = [
    ("forged-signature", lambda: changed("msg_signature", "0" * 40), 403, "bad msg_signature"),
    ("signed-with-another-token", lambda: wecom_request(Callbacks(token="NotOurToken")), 403, "bad msg_signature"),
    ("ciphertext-tampered", tampered_ciphertext, 403, "bad msg_signature"),
    (
        "timestamp-changed-after-signing",
        lambda: changed("timestamp", str(int(time.time()) + 1)),
        403,
        "bad msg_signature",
    ),
    ("nonce-changed-after-signing", lambda: changed("nonce", "1372623150"), 403, "bad msg_signature"),
    (
        "stale-timestamp",
        lambda: wecom_request(timestamp=int(time.time()) - 301),
        403,
        "timestamp more than 300s away from our clock",
    ),
    (
        "future-timestamp",
        lambda: wecom_request(timestamp=int(time.time()) + 330),  # past the bound even if the test is slow
        403,
        "timestamp more than 300s away from our clock",
    ),
    ("timestamp-not-a-number", lambda: changed("timestamp", "12ab"), 400, "timestamp is not a number"),
    ("no-signature", lambda: without("msg_signature"), 403, "msg_signature, timestamp and nonce are required"),
    ("no-timestamp", lambda: without("timestamp"), 403, "msg_signature, timestamp and nonce are required"),
    ("no-nonce", lambda: without("nonce"), 403, "msg_signature, timestamp and nonce are required"),
    (
        "encrypted-for-another-corp",
        lambda: wecom_request(Callbacks(corp_id="ww0000000000000001")),
        403,
        "encrypted for another corp id",
    ),
    ("another-agent", lambda: wecom_request(AgentID="1000002"), 403, "message for another agent id"),
    ("another-corp-inside", lambda: wecom_request(ToUserName="ww0000000000000001"), 403, "message for another corp id"),
]


@pytest.mark.parametrize(
    ("make", "status", "error"), [case[1:] for case in WECOM_REFUSALS], ids=[case[0] for case in WECOM_REFUSALS]
)
def test_wecom_refuses_each_forged_stale_or_tampered_callback_and_stores_nothing(
    web: Stack, caplog: pytest.LogCaptureFixture, make: Callable[[], Request], status: int, error: str
) -> None:
    path, query, body = make()
    response = web.client.post(path, query_string=query, data=body, content_type="text/xml")
    assert (response.status_code, response.get_json()) == (status, {"error": error})
    assert rows(web) == (0, 0)
    assert [r.levelname for r in caplog.records if error in r.getMessage()] == ["WARNING"]


def test_a_callback_encrypted_with_another_aes_key_is_refused(web: Stack) -> None:
    """Signed with our token but encrypted with another key: the plaintext is noise, so which check trips
    (padding, UTF-8, the embedded corp id) depends on the random prefix WeCom's scheme puts before it."""
    path, query, body = wecom_request(Callbacks(aes_key=OTHER_AES_KEY))
    response = web.client.post(path, query_string=query, data=body, content_type="text/xml")
    error = response.get_json()["error"]
    assert (response.status_code, error.startswith("cannot decrypt (")) in ((400, True), (403, False))
    assert error.startswith("cannot decrypt (") or error == "encrypted for another corp id"
    assert rows(web) == (0, 0)


def test_a_genuine_wecom_callback_replayed_within_the_window_is_stored_once(web: Stack) -> None:
    path, query, body = wecom_request()
    answers = [web.client.post(path, query_string=query, data=body).status_code for _ in range(3)]
    web.work()
    assert answers == [200, 200, 200]
    assert rows(web) == (1, 1)
    assert len(web.wecom_sends) == 1


def test_a_wecom_card_click_replayed_acts_once(web: Stack) -> None:
    web.wecom_text("7441256903418734592")
    web.work()
    click = fixture("event__template_card_event", EventKey='undo:{"activity_id":1}')
    signed = web.callbacks.sign(click)
    answers = [web.client.post(signed.path, data=signed.body).status_code for _ in range(2)]
    web.work()
    assert answers == [200, 200]
    assert rows(web) == (2, 2)
    assert len(web.wecom.calls("message/update_template_card")) == 1


# ---------------------------------------------------------------- Feishu matrix

Headers = dict[str, str]


def feishu_request(payload: dict[str, Any] | None = None, **signing: str) -> tuple[bytes, Headers]:
    return event_request(payload or feishu_message("om_5ce6d572455d361153b7cb51da133945"), **signing)


def feishu_header_changed(name: str, value: str) -> tuple[bytes, Headers]:
    body, headers = feishu_request()
    return body, {**headers, name: value}


def feishu_body_swapped() -> tuple[bytes, Headers]:
    """A genuine request's headers on another encrypted body (as if the body were altered in transit)."""
    _, headers = feishu_request()
    other, _ = feishu_request(feishu_message("om_attacker", "电话杭州华力机械 13900000000 撤单"))
    return other, headers


def feishu_unencrypted() -> tuple[bytes, Headers]:
    body = json.dumps(feishu_message("om_plain")).encode()
    return body, {"X-Lark-Request-Timestamp": "1700000000", "X-Lark-Request-Nonce": "n", "X-Lark-Signature": "0"}


def feishu_payload(**header: str) -> tuple[bytes, Headers]:
    payload = feishu_message("om_5ce6d572455d361153b7cb51da133945")
    payload["header"].update(header)
    return feishu_request(payload)


FEISHU_REFUSALS: list[tuple[str, Callable[[], tuple[bytes, Headers]], int, str]] = [
    ("forged-signature", lambda: feishu_header_changed("X-Lark-Signature", "0" * 64), 403, "bad X-Lark-Signature"),
    (
        "timestamp-changed-after-signing",
        lambda: feishu_header_changed("X-Lark-Request-Timestamp", "1700000001"),
        403,
        "bad X-Lark-Signature",
    ),
    (
        "nonce-changed-after-signing",
        lambda: feishu_header_changed("X-Lark-Request-Nonce", "8f3c1b"),
        403,
        "bad X-Lark-Signature",
    ),
    ("body-swapped", feishu_body_swapped, 403, "bad X-Lark-Signature"),
    ("another-encrypt-key", lambda: feishu_request(key="not our key"), 403, "bad X-Lark-Signature"),
    ("no-signature", lambda: (feishu_request()[0], {}), 403, "missing X-Lark-Signature"),
    ("not-encrypted", feishu_unencrypted, 403, "bad X-Lark-Signature"),
    ("wrong-verification-token", lambda: feishu_payload(token="stolen"), 403, "wrong verification token"),
    ("another-app", lambda: feishu_payload(app_id="cli_someoneelse0000"), 403, "event for another app"),
    (
        "signed-beyond-the-retry-window",
        lambda: feishu_request(timestamp=str(int(time.time()) - 8 * 3600 - 60)),
        403,
        "X-Lark-Request-Timestamp outside the 8 h retry window",
    ),
    (
        "signed-in-the-future",
        lambda: feishu_request(timestamp=str(int(time.time()) + 600)),
        403,
        "X-Lark-Request-Timestamp outside the 8 h retry window",
    ),
    (
        "timestamp-not-a-number",
        lambda: feishu_request(timestamp="12ab"),
        400,
        "X-Lark-Request-Timestamp is not a number",
    ),
]


@pytest.mark.parametrize(
    ("make", "status", "error"), [case[1:] for case in FEISHU_REFUSALS], ids=[case[0] for case in FEISHU_REFUSALS]
)
def test_feishu_refuses_each_forged_or_tampered_event_and_stores_nothing(
    web: Stack,
    caplog: pytest.LogCaptureFixture,
    make: Callable[[], tuple[bytes, Headers]],
    status: int,
    error: str,
) -> None:
    body, headers = make()
    response = web.client.post("/feishu/events", data=body, headers=headers, content_type="application/json")
    assert (response.status_code, response.get_json()) == (status, {"error": error})
    assert rows(web) == (0, 0)
    assert [r.levelname for r in caplog.records if error in r.getMessage()] == ["WARNING"]


def test_a_genuine_feishu_event_replayed_within_the_retry_window_is_stored_once(web: Stack) -> None:
    """Feishu's own retries come for hours with (perhaps) the first signature, so a replay inside that window
    is accepted and absorbed by the message_id dedup key."""
    body, headers = feishu_request(timestamp=str(int(time.time()) - 7 * 3600))
    answers = [web.client.post("/feishu/events", data=body, headers=headers).status_code for _ in range(3)]
    web.work()
    assert answers == [200, 200, 200]
    assert rows(web) == (1, 1)
    assert len(web.feishu.messages) == 1


def test_a_feishu_card_click_replayed_acts_once_and_says_so(web: Stack) -> None:
    web.feishu_text("om_5ce6d572455d361153b7cb51da133945")
    web.work()
    click = fake_feishu.fixture("card.action.trigger__undo")
    click["event"]["action"]["value"]["value"]["activity_id"] = 1
    body, headers = feishu_request(click)
    first, again = (web.client.post("/feishu/events", data=body, headers=headers) for _ in range(2))
    assert first.get_json()["toast"]["content"].startswith("已撤销对「杭州华力机械」")
    assert again.get_json() == {"toast": {"type": "info", "content": "已处理过这次点击"}}


# ---------------------------------------------------------------- fuzz

text_values = st.text(max_size=60)
query_values = st.dictionaries(
    st.sampled_from(["msg_signature", "timestamp", "nonce", "echostr", "x"]), text_values, max_size=5
)
bodies = st.one_of(
    st.binary(max_size=2048),
    text_values.map(str.encode),
    st.builds(
        lambda fields: ("<xml>" + "".join(f"<{k}>{v}</{k}>" for k, v in fields.items()) + "</xml>").encode(),
        st.dictionaries(st.sampled_from(["Encrypt", "ToUserName", "AgentID", "MsgType"]), text_values, max_size=4),
    ),
)


@FUZZ
@given(method=st.sampled_from(["GET", "POST"]), query=query_values, body=bodies)
def test_fuzzed_wecom_requests_are_refused_with_a_4xx_and_store_nothing(
    web: Stack, method: str, query: dict[str, str], body: bytes
) -> None:
    response = web.client.open(f"/wecom/callback?{urlencode(query)}", method=method, data=body)
    assert response.status_code in (400, 403, 413)
    assert rows(web) == (0, 0)


@FUZZ
@given(signature_=st.text(max_size=64), nonce=st.text(min_size=1, max_size=20), body=bodies)
def test_fuzzed_wecom_posts_with_a_fresh_timestamp_are_refused_and_store_nothing(
    web: Stack, signature_: str, nonce: str, body: bytes
) -> None:
    query = {"msg_signature": signature_ or "x", "timestamp": str(int(time.time())), "nonce": nonce}
    response = web.client.post("/wecom/callback", query_string=query, data=body)
    assert response.status_code in (400, 403)
    assert rows(web) == (0, 0)


wecom_fields = st.dictionaries(
    st.sampled_from(
        [
            *("ToUserName", "FromUserName", "CreateTime", "MsgType", "Content", "MsgId", "AgentID"),
            *("Event", "EventKey", "MediaId", "Format", "ResponseCode", "TaskId"),
        ]
    ),
    st.one_of(
        text_values,
        st.sampled_from(["text", "voice", "event", "image", "template_card_event", "enter_agent", "218", "zhangwei"]),
    ),
    max_size=9,
)


@FUZZ
@given(fields=wecom_fields)
def test_genuinely_signed_wecom_callbacks_with_arbitrary_fields_never_crash(web: Stack, fields: dict[str, str]) -> None:
    """The plaintext inside a valid envelope is attacker-shaped too (a leaked key): it is answered 200 or
    4xx, never 500, and only a 200 may store a row."""
    before = rows(web)
    xml = "<xml>" + "".join(f"<{k}><![CDATA[{v.replace(']]>', '')}]]></{k}>" for k, v in fields.items()) + "</xml>"
    try:
        signed = web.callbacks.sign(xml)
    except ValueError:  # text the encoder itself cannot carry (e.g. lone surrogates): nothing to send
        return
    response = web.client.post(signed.path, data=signed.body)
    assert response.status_code in (200, 400, 403)
    if response.status_code != 200:
        assert rows(web) == before


headers_strategy = st.dictionaries(
    st.sampled_from(["X-Lark-Signature", "X-Lark-Request-Timestamp", "X-Lark-Request-Nonce", "X-Other"]),
    st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=64),
    max_size=4,
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | text_values,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(text_values, children, max_size=4),
    max_leaves=20,
)


@FUZZ
@given(
    body=st.one_of(bodies, json_values.map(lambda v: json.dumps(v).encode()), st.just(b'{"encrypt": "AAAA"}')),
    headers=headers_strategy,
)
def test_fuzzed_feishu_requests_are_refused_with_a_4xx_and_store_nothing(
    web: Stack, body: bytes, headers: dict[str, str]
) -> None:
    response = web.client.post("/feishu/events", data=body, headers=headers, content_type="application/json")
    assert response.status_code in (400, 403)
    assert rows(web) == (0, 0)


@st.composite
def mutated_events(draw: st.DrawFn) -> dict[str, Any]:
    """A genuine message or card event with a few values somewhere inside replaced by arbitrary JSON."""
    name = draw(st.sampled_from(["im.message.receive_v1__text", "card.action.trigger__undo"]))
    payload = fake_feishu.fixture(name)
    for _ in range(draw(st.integers(1, 3))):
        node: Any = payload
        while True:
            keys = sorted(node) if isinstance(node, dict) else []
            keys = [k for k in keys if k not in ("token", "app_id")]  # keep the event ours
            if not keys:
                break
            key = draw(st.sampled_from(keys))
            if not isinstance(node[key], dict) or draw(st.booleans()):
                node[key] = draw(json_values)
                break
            node = node[key]
    return payload


@FUZZ
@given(payload=mutated_events())
def test_genuinely_signed_feishu_events_with_arbitrary_fields_never_crash(web: Stack, payload: dict[str, Any]) -> None:
    before = rows(web)
    try:
        body, headers = event_request(payload)
    except UnicodeEncodeError:  # lone surrogates cannot be sent as UTF-8 by anyone
        return
    response = web.client.post("/feishu/events", data=body, headers=headers)
    assert response.status_code in (200, 400, 403)
    if response.status_code != 200:
        assert rows(web) == before


# ---------------------------------------------------------------- bombs and oversized bodies


def measured(call: Callable[[], Any]) -> tuple[Any, float, int]:
    """The response, the seconds it took and the peak bytes Python allocated meanwhile."""
    tracemalloc.start()
    started = time.perf_counter()
    try:
        response = call()
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return response, elapsed, peak


def billion_laughs(levels: int = 10) -> str:
    entities = ['<!ENTITY l0 "lol">'] + [f'<!ENTITY l{n} "{f"&l{n - 1};" * 10}">' for n in range(1, levels)]
    return f'<?xml version="1.0"?><!DOCTYPE xml [{"".join(entities)}]><xml><Encrypt>&l{levels - 1};</Encrypt></xml>'


def quadratic_blowup() -> str:
    entity = "A" * 20_000
    return f'<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY a "{entity}">]><xml><Encrypt>{"&a;" * 2_000}</Encrypt></xml>'


@pytest.mark.parametrize("bomb", [billion_laughs, quadratic_blowup], ids=["billion-laughs", "quadratic-blowup"])
@pytest.mark.parametrize("where", ["envelope", "inside-the-signed-message"])
def test_an_xml_bomb_is_refused_quickly_in_little_memory(web: Stack, bomb: Callable[[], str], where: str) -> None:
    xml = bomb()
    if where == "envelope":
        path, query, _ = wecom_request()
        data = xml.encode()
    else:
        signed = web.callbacks.sign(xml)
        path, query, data = "/wecom/callback", signed.query, signed.body.encode()
    response, seconds, peak = measured(lambda: web.client.post(path, query_string=query, data=data))
    assert (response.status_code, response.get_json()) == (400, {"error": "not acceptable XML (DTDForbidden)"})
    assert seconds < 1.0
    assert peak < 8 * len(data) + (2 << 20)  # a few copies of the body, never the expansion
    assert rows(web) == (0, 0)


def test_a_deeply_nested_json_body_is_refused_as_malformed(web: Stack) -> None:
    data = b"[" * 200_000 + b"]" * 200_000
    response, seconds, _ = measured(
        lambda: web.client.post("/feishu/events", data=data, content_type="application/json")
    )
    assert (response.status_code, response.get_json()) == (400, {"error": "body is not JSON"})
    assert seconds < 2.0
    assert rows(web) == (0, 0)


class Endless(io.RawIOBase):
    """A request body that produces `size` bytes on demand and counts how many were read."""

    def __init__(self, size: int) -> None:
        self.size, self.read_bytes = size, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = min(len(buffer), self.size - self.read_bytes)
        buffer[:n] = b"A" * n
        self.read_bytes += n
        return n


WECOM_QUERY = {"msg_signature": "x", "timestamp": str(int(time.time())), "nonce": "n"}
OVERSIZED = [
    (
        "wecom-content-length",
        "/wecom/callback",
        True,
        64 * 1024,
        "413 REQUEST ENTITY TOO LARGE",
        "Request Entity Too Large",
    ),
    (
        "feishu-content-length",
        "/feishu/events",
        True,
        1 << 20,
        "413 REQUEST ENTITY TOO LARGE",
        "Request Entity Too Large",
    ),
    # Without a length (Transfer-Encoding: chunked) the body is read up to the limit and one byte more.
    ("wecom-chunked", "/wecom/callback", False, 64 * 1024, "413 REQUEST ENTITY TOO LARGE", "Request Entity Too Large"),
    ("feishu-chunked", "/feishu/events", False, 1 << 20, "413 REQUEST ENTITY TOO LARGE", "Request Entity Too Large"),
]


@pytest.mark.parametrize(
    ("path", "declared", "limit", "status", "error"), [c[1:] for c in OVERSIZED], ids=[c[0] for c in OVERSIZED]
)
def test_an_oversized_body_is_refused_having_read_at_most_the_limit(
    web: Stack, path: str, declared: bool, limit: int, status: str, error: str
) -> None:
    body = Endless(200 << 20)  # 200 MiB, produced only as far as it is read
    query = WECOM_QUERY if path.startswith("/wecom") else {}
    environ = EnvironBuilder(path, method="POST", query_string=query).get_environ()
    environ["wsgi.input"] = body
    if declared:
        environ["CONTENT_LENGTH"] = str(body.size)
    else:  # Transfer-Encoding: chunked, as the WSGI server passes it on
        environ.pop("CONTENT_LENGTH", None)
        environ["wsgi.input_terminated"] = True
    (answer, answered, _), seconds, peak = measured(
        lambda: run_wsgi_app(web.client.application, environ, buffered=True)
    )
    assert (answered, json.loads(b"".join(answer))["error"]) == (status, error)
    assert body.read_bytes <= limit + 65536
    assert seconds < 2.0
    assert peak < 4 * limit + (4 << 20)
    assert rows(web) == (0, 0)


def chunked(path: str, body: bytes, headers: Headers) -> dict[str, Any]:
    """A WSGI environ for a body sent with Transfer-Encoding: chunked (no Content-Length)."""
    environ = EnvironBuilder(path, method="POST", headers=headers).get_environ()
    environ.pop("CONTENT_LENGTH", None)
    environ["wsgi.input"], environ["wsgi.input_terminated"] = io.BytesIO(body), True
    return environ


def test_genuine_callbacks_sent_chunked_are_accepted(web: Stack) -> None:
    signed = web.callbacks.sign(fixture("text__plain"))
    feishu_body, feishu_headers = feishu_request()
    answers = [
        run_wsgi_app(web.client.application, chunked(path, body, headers), buffered=True)[1]
        for path, body, headers in (
            (signed.path, signed.body.encode(), {"Content-Type": "text/xml"}),
            ("/feishu/events", feishu_body, feishu_headers),
        )
    ]
    assert answers == ["200 OK", "200 OK"]
    assert rows(web) == (2, 0)
