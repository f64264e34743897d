"""The optional LLM reader: the model's reading where it fits the contract, the local reader's otherwise."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.llm_reader import LlmReader
from config.rules import default_rules
from config.settings import ConfigError, LlmSettings, load
from nlp import parse_note
from tests.fake_llm import FakeLlm

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
NOTE = "今天拜访杭州华力机械王总 13912345678 肉疼 下周三再约"


@pytest.fixture
def llm() -> Iterator[FakeLlm]:
    fake = FakeLlm().start()
    yield fake
    fake.stop()


def reader(llm: FakeLlm, timeout: float = 3.0) -> LlmReader:
    return LlmReader(LlmSettings(url=llm.url, model="qwen2.5-7b", api_key="sk-test", timeout=timeout), default_rules())


def customer(**fields) -> dict:
    return {"company": "杭州华力机械", "contact_name": "王总", "tags": [], "activity_type": "visit", **fields}


def test_the_models_tags_and_stage_are_used_with_the_rules_phone_and_date(llm) -> None:
    llm.answer(customer(tags=["price_sensitive"], stage_signal=None))
    note = reader(llm)(NOTE, NOW)
    assert note.tags == ("price_sensitive",)
    assert (note.company, note.contact_name, note.activity_type) == ("杭州华力机械", "王总", "visit")
    local = parse_note(NOTE, NOW)
    assert (note.phone, note.follow_up_at) == (local.phone, local.follow_up_at) == ("13912345678", local.follow_up_at)


def test_the_request_is_an_openai_chat_completion_with_the_taxonomy(llm) -> None:
    llm.answer(customer())
    reader(llm)(NOTE, NOW)
    body, headers = llm.requests[0], llm.headers[0]
    assert headers["Authorization"] == "Bearer sk-test"
    assert body["model"] == "qwen2.5-7b"
    system, user = body["messages"]
    assert (system["role"], user) == ("system", {"role": "user", "content": NOTE})
    assert "price_sensitive（价格敏感）" in system["content"]


def test_a_name_the_note_does_not_contain_is_the_local_readers(llm) -> None:
    llm.answer(customer(company="杭州华力机械有限公司"))
    assert reader(llm)(NOTE, NOW).company == "杭州华力机械"


@pytest.mark.parametrize(
    "content",
    [
        "好的，这位客户嫌贵。",
        '{"parts": []}',
        '{"parts": [{"company": "杭州华力机械", "tags": ["cheap"], "activity_type": "visit"}]}',
        '{"parts": [{"company": "杭州华力机械", "tags": [], "activity_type": "lunch"}]}',
        '{"parts": [{"tags": [], "activity_type": "visit"}, {"tags": [], "activity_type": "call"}]}',
    ],
    ids=["prose", "no-parts", "unknown-tag", "unknown-activity", "two-customers-for-one"],
)
def test_an_answer_outside_the_contract_falls_back_to_the_local_reader(llm, content: str, caplog) -> None:
    llm.content = content
    with caplog.at_level(logging.WARNING, logger="salesbot.llm"):
        assert reader(llm)(NOTE, NOW) == parse_note(NOTE, NOW)
    assert "local reader" in caplog.text


def test_an_answer_in_a_markdown_fence_is_read(llm) -> None:
    llm.content = '```json\n{"parts": [{"company": "杭州华力机械", "tags": ["urgent"], "activity_type": "visit"}]}\n```'
    assert reader(llm)(NOTE, NOW).tags == ("urgent",)


def test_a_server_error_falls_back_to_the_local_reader(llm) -> None:
    llm.statuses = [500]
    assert reader(llm)(NOTE, NOW) == parse_note(NOTE, NOW)


def test_a_slow_model_times_out_to_the_local_reader(llm, caplog) -> None:
    llm.answer(customer(tags=["urgent"]))
    llm.delay = 0.5
    with caplog.at_level(logging.WARNING, logger="salesbot.llm"):
        assert reader(llm, timeout=0.1)(NOTE, NOW) == parse_note(NOTE, NOW)
    assert "timed out" in caplog.text.lower() or "timeout" in caplog.text.lower()


def test_latency_is_logged(llm, caplog) -> None:
    llm.answer(customer())
    with caplog.at_level(logging.INFO, logger="salesbot.llm"):
        reader(llm)(NOTE, NOW)
    assert "LLM reader answered in" in caplog.text


def test_a_half_configured_llm_names_the_missing_variable() -> None:
    with pytest.raises(ConfigError, match="SALESBOT_LLM_API_KEY"):
        load({"SALESBOT_LLM_URL": "http://127.0.0.1:9/v1", "SALESBOT_LLM_MODEL": "qwen"}, env_file=None)


def test_chat_uses_the_llm_reader_when_it_is_configured(llm, tmp_path) -> None:
    from click.testing import CliRunner

    from bot.cli import main

    llm.answer(customer(tags=["payment_terms"]))
    env = {
        "SALESBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'llm.db'}",
        "SALESBOT_LLM_URL": llm.url,
        "SALESBOT_LLM_MODEL": "qwen",
        "SALESBOT_LLM_API_KEY": "sk-test",
    }
    result = CliRunner().invoke(
        main, ["chat", "--as", "chat:demo", "--now", NOW.isoformat()], input=NOTE + "\n", env=env
    )
    assert result.exit_code == 0, result.output
    assert "账期付款" in result.output
    assert len(llm.requests) == 1
