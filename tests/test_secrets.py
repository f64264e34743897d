"""Secrets never leak: representative flows (forged callbacks, failing and refreshed sends, a database outage,
configuration errors) run with every logger at DEBUG, and no app secret, token, AES key, encrypt key or
access token appears in the logs, the captured output, the HTTP answers or the outbox's recorded errors.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from config.settings import ConfigError, load
from storage.models import OutboxMessage
from tests import fake_feishu, fake_wecom
from tests.fake_wecom import Failure
from tests.stack import Stack, build_stack

STATIC_SECRETS = (
    fake_wecom.SECRET,
    fake_wecom.TOKEN,
    fake_wecom.AES_KEY,
    fake_feishu.APP_SECRET,
    fake_feishu.VERIFICATION_TOKEN,
    fake_feishu.ENCRYPT_KEY,
)


@pytest.fixture
def stack(sqlite_url: str, caplog: pytest.LogCaptureFixture) -> Iterator[Stack]:
    caplog.set_level(logging.DEBUG)
    yield from build_stack(sqlite_url)


def leaks(texts: list[str], secrets: set[str]) -> list[str]:
    return sorted({secret for secret in secrets for text in texts if secret in text})


def issued_tokens(stack: Stack) -> set[str]:
    wecom = {r.query["access_token"] for r in stack.wecom.recorded if "access_token" in r.query}
    feishu = {r.headers.get("Authorization", "").removeprefix("Bearer ") for r in stack.feishu.requests}
    return (wecom | feishu) - {""}


def run_flows(stack: Stack) -> list[str]:
    """Drive the flows and return every answer and recorded error they produced."""
    answers: list[str] = []
    signed = stack.callbacks.sign(fake_wecom.fixture("text__plain"))
    query = {**signed.query, "msg_signature": "0" * 40}
    forged = stack.client.post("/wecom/callback", query_string=query, data=signed.body)
    answers.append(forged.get_data(as_text=True))
    body, headers = fake_feishu.event_request(fake_feishu.fixture("im.message.receive_v1__text"), key="wrong key")
    answers.append(stack.client.post("/feishu/events", data=body, headers=headers).get_data(as_text=True))

    stack.wecom.fail("message/send", Failure(status=502), Failure(errcode=40003))
    stack.feishu.fail("/open-apis/im/v1/messages", status=500)
    stack.wecom_text("7441256903418734592")
    stack.wecom_text("7441256903418734593", "电话苏州明达医疗器械 13800001111 下周报价")
    stack.feishu_text("om_aaaa0001", "电话宁波东海塑业李经理 13857426612 要报价")
    stack.work()
    stack.wecom.expire_token()
    stack.feishu.revoke_tokens()
    stack.wecom_text("7441256903418734594", "电话杭州华力机械王总 13912345678 样机已寄出")
    stack.feishu_text("om_aaaa0002", "电话宁波东海塑业李经理 13857426612 下周再约")
    stack.work()

    with stack.database_at("postgresql+psycopg://salesbot:db-password-7Yq@127.0.0.1:1/crm?connect_timeout=2"):
        answers.append(stack.wecom_text("7441256903418734595").get_data(as_text=True))
    with stack.rt.transaction() as s:
        answers.extend(e for e in s.scalars(select(OutboxMessage.last_error)) if e)
    return answers


# urllib3 writes every request line at DEBUG (masked by bot.platforms; checked separately below).
THIRD_PARTY_REQUEST_LOG = "urllib3.connectionpool"


def test_no_secret_or_access_token_appears_in_our_logs_output_or_answers(
    stack: Stack, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    answers = run_flows(stack)
    secrets = {*STATIC_SECRETS, *issued_tokens(stack), "db-password-7Yq"}
    output = capfd.readouterr()
    ours = [r for r in caplog.records if r.name != THIRD_PARTY_REQUEST_LOG]
    assert len(issued_tokens(stack)) >= 3  # the flows did fetch and refresh tokens
    assert [r.getMessage() for r in ours if "bad msg_signature" in r.getMessage()] != []  # refusals were logged
    assert leaks(answers, secrets) == []
    assert leaks([output.out, output.err], secrets) == []
    assert leaks([f"{r.getMessage()} {r.exc_text or ''}" for r in ours], secrets) == []


def test_no_secret_appears_even_in_third_party_debug_logs(stack: Stack, caplog: pytest.LogCaptureFixture) -> None:
    run_flows(stack)
    assert leaks([caplog.text], {*STATIC_SECRETS, *issued_tokens(stack)}) == []


@pytest.mark.parametrize(
    ("environ", "secret"),
    [
        ({"SALESBOT_WECOM_CORP_ID": "ww1", "SALESBOT_WECOM_SECRET": "wecom-secret-Q9"}, "wecom-secret-Q9"),
        (
            {
                "SALESBOT_WECOM_CORP_ID": "ww1",
                "SALESBOT_WECOM_AGENT_ID": "1000002",
                "SALESBOT_WECOM_SECRET": "wecom-secret-Q9",
                "SALESBOT_WECOM_TOKEN": "token-Q9",
                "SALESBOT_WECOM_AES_KEY": "too-short-aes-key-Q9",
            },
            "too-short-aes-key-Q9",
        ),
        ({"SALESBOT_FEISHU_APP_SECRET": "feishu-secret-Q9"}, "feishu-secret-Q9"),
        ({"SALESBOT_DATABASE_URL": "postgres://salesbot:db-password-Q9@db.internal/crm"}, "db-password-Q9"),
        ({"SALESBOT_REDIS_URL": "http://:redis-password-Q9@cache.internal:6379/0"}, "redis-password-Q9"),
    ],
    ids=["half-configured-wecom", "bad-aes-key", "half-configured-feishu", "bad-database-url", "bad-redis-url"],
)
def test_configuration_errors_name_the_variable_but_not_its_secret_value(environ: dict[str, str], secret: str) -> None:
    with pytest.raises(ConfigError) as failed:
        load(environ, env_file=None)
    assert "SALESBOT_" in str(failed.value)
    assert secret not in str(failed.value)
