"""The optional LLM reader: an OpenAI-compatible /chat/completions endpoint reads the note, the local reader
checks it.

The model is asked for JSON with one object per customer the note is about (company, contact, tags,
activity type, stage signal). Its answer is validated against the taxonomy; phone, amount and
follow-up time always come from the local reader's rules, and a company or contact that is not written
in the note is the local reader's. A timeout (3 s by default), an HTTP or network error, an answer that
is not valid JSON or does not fit the contract, or a different number of customers than the local reader
found: the local reader's note is used. Every call logs its latency.
"""

from __future__ import annotations

import json
import logging
import re
import time
from dataclasses import dataclass, replace
from datetime import datetime

import requests

from config.rules import Rules
from config.settings import LlmSettings
from nlp import ParsedNote, parse_note
from nlp.lexicon import STAGE_SIGNALS
from nlp.model import ACTIVITIES

log = logging.getLogger("salesbot.llm")

_FENCE = re.compile(r"^```(?:json)?\s*|\s*```$")


class InvalidAnswer(ValueError):
    """The model's answer does not fit the parse contract."""


@dataclass(frozen=True)
class LlmPart:
    company: str | None
    contact_name: str | None
    tags: tuple[str, ...]
    activity_type: str
    stage_signal: str | None


def instructions(rules: Rules) -> str:
    """The system prompt: the taxonomy with its definitions and the JSON to answer with."""
    tags = "\n".join(f"- {tag}（{label}）：{rules.tag_descriptions[tag]}" for tag, label in rules.tag_labels.items())
    return (
        "你是销售CRM的记录助手。销售发来一条跟进记录（打字或语音转写），请读出其中每一家客户的信息，"
        "只输出一个JSON对象，不要输出其他文字：\n"
        '{"parts": [{"company": 客户公司名（按原文写法，没有则null，不是竞品或我方）, '
        '"contact_name": 客户联系人（按原文写法，如王总、李工，没有则null）, '
        '"tags": [标签id], "activity_type": 活动类型, "stage_signal": 阶段信号或null}]}\n'
        "一条记录提到几家客户，parts就有几个，按原文顺序；只提到一家或没提客户名时只有一个。\n"
        f"标签id（否定、转折、假设不算：“不需要样机”不是needs_sample）：\n{tags}\n"
        f"活动类型：{', '.join(ACTIVITIES)}（按记录的拜访/电话/微信/会议/演示/报价/寄样/合同，没说就是other）。\n"
        "阶段信号：won（签了、拿下、成交、中标、下单），lost（黄了、定了别家、不做了），"
        "contract（合同在走流程但还没签），quote_sent（报价已发给客户），没有则null。"
    )


def parse_answer(content: str, text: str, rules: Rules) -> list[LlmPart]:
    """The customers of the model's answer; raises InvalidAnswer when it does not fit the contract."""
    try:
        data = json.loads(_FENCE.sub("", content.strip()))
    except json.JSONDecodeError as exc:
        raise InvalidAnswer(f"not JSON: {exc}") from exc
    parts = data.get("parts") if isinstance(data, dict) else None
    if not isinstance(parts, list) or not parts or not all(isinstance(p, dict) for p in parts):
        raise InvalidAnswer("no list of parts")
    return [_part(p, text, rules) for p in parts]


def _part(raw: dict, text: str, rules: Rules) -> LlmPart:
    tags = raw.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) and t in rules.tag_labels for t in tags):
        raise InvalidAnswer(f"tags outside the taxonomy: {tags!r}")
    activity, signal = raw.get("activity_type", "other"), raw.get("stage_signal")
    if activity not in ACTIVITIES or (signal is not None and signal not in STAGE_SIGNALS):
        raise InvalidAnswer(f"activity_type {activity!r} or stage_signal {signal!r} outside the contract")
    order = list(rules.tag_labels)
    return LlmPart(
        company=_written(raw.get("company"), text),
        contact_name=_written(raw.get("contact_name"), text),
        tags=tuple(sorted(set(tags), key=order.index)),
        activity_type=activity,
        stage_signal=signal,
    )


def _written(value: object, text: str) -> str | None:
    """The name when the note really has it (a model may tidy or invent names); else None."""
    return value if isinstance(value, str) and value and value in text else None


def merge(local: ParsedNote, parts: list[LlmPart]) -> ParsedNote:
    """The local note with the model's reading of each customer; raises InvalidAnswer when the two readers
    disagree on how many customers the note names."""
    locals_ = local.parts or (local,)
    if len(parts) != len(locals_):
        raise InvalidAnswer(f"{len(parts)} customers, the local reader found {len(locals_)}")
    merged = tuple(
        replace(
            mine,
            tags=theirs.tags,
            activity_type=theirs.activity_type,
            stage_signal=theirs.stage_signal,
            company=theirs.company or mine.company,
            contact_name=theirs.contact_name or mine.contact_name,
        )
        for mine, theirs in zip(locals_, parts, strict=True)
    )
    return replace(merged[0], truncated=local.truncated, parts=merged)


class LlmReader:
    """Reads notes with the configured model, falling back to the local reader."""

    def __init__(self, settings: LlmSettings, rules: Rules) -> None:
        self.settings = settings
        self.rules = rules
        self._prompt = instructions(rules)
        self._http = requests.Session()

    def __call__(self, text: str, now: datetime) -> ParsedNote:
        local = parse_note(text, now)
        started = time.monotonic()
        try:
            note = merge(local, parse_answer(self._ask(text), text, self.rules))
        except (requests.RequestException, InvalidAnswer, KeyError, IndexError, TypeError, ValueError) as exc:
            log.warning("LLM reader failed after %.0f ms (%s); the local reader's note is used", _ms(started), exc)
            return local
        log.info("LLM reader answered in %.0f ms", _ms(started))
        return note

    def _ask(self, text: str) -> str:
        response = self._http.post(
            f"{self.settings.url}/chat/completions",
            headers={"Authorization": f"Bearer {self.settings.api_key}"},
            json={
                "model": self.settings.model,
                "temperature": 0,
                "messages": [{"role": "system", "content": self._prompt}, {"role": "user", "content": text}],
            },
            timeout=self.settings.timeout,
        )
        response.raise_for_status()
        return str(response.json()["choices"][0]["message"]["content"])


def _ms(started: float) -> float:
    return (time.monotonic() - started) * 1000
