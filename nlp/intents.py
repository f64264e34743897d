"""Short messages that ask the bot for something instead of reporting a visit: look-ups, corrections,
outcomes, merges and answers to a question card. Pure: text in, a `Command` (or None: a note) out.

The words are the ones reps type: 查 华力 / 华力怎么样了; 去掉 价格敏感 / 加 需要样机; 公司是 … / 联系人 … /
电话 … / 下次跟进 周五下午3点 / 阶段 报价; 赢单 / 输单 价格太高; 合并 #5 到 #2; 1 / 2 / 新的. A correction may
name its lead first ("#3 阶段 报价", "华力 去掉 价格敏感"); otherwise it is about the rep's last note. Tag and
stage values are returned as written: the conversation maps them onto config/tags.toml and stages.toml.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from nlp.note import ParsedNote
from nlp.script import simplified


class Intent(StrEnum):
    LOOKUP = "lookup"
    REMOVE_TAG = "remove_tag"
    ADD_TAG = "add_tag"
    SET_COMPANY = "set_company"
    SET_CONTACT = "set_contact"
    SET_PHONE = "set_phone"
    SET_FOLLOW_UP = "set_follow_up"
    SET_STAGE = "set_stage"
    WON = "won"
    LOST = "lost"
    MERGE = "merge"
    CHOOSE = "choose"  # an answer to a question card: value is "1".."3" or "new"


@dataclass(frozen=True)
class Command:
    intent: Intent
    value: str = ""
    target: str | None = None  # the lead it names: "#5" or a company as written; None = the last note's
    lead_ids: tuple[int, ...] = ()  # MERGE: (from, into)


_SEP = r"[\s:：,，]*"
_TARGET = r"(?:(?P<target>#\d+|[^\s#:：,，]{2,20}?)\s*)?"
_SET = r"(?:是|改成|改为|应该是|叫|改到|设为)"
# (intent, the words, the value's shape): a value of the wrong shape makes the message a note after all
# ("公司有点远", "电话没人接", "今天加了微信"). Tag and stage names are checked by the caller.
_CORRECTIONS = (
    (Intent.REMOVE_TAG, r"(?:去掉|去除|删掉|删除|取消|移除)(?:标签)?", r"[^了过着\s][^，,。]{0,9}?"),
    (Intent.ADD_TAG, r"(?:加上|添加|增加|补上|加)(?:标签)?", r"[^了过着个\s][^，,。]{0,9}?"),
    (Intent.SET_COMPANY, rf"(?:公司|客户|公司名|客户名|公司名称){_SET}", r"\S.{1,39}"),
    (Intent.SET_CONTACT, rf"联系人{_SET}?", r"[^\s，,。]{1,12}"),
    (Intent.SET_PHONE, rf"(?:电话|手机|手机号|号码){_SET}?", r"\+?[\d\s-]{7,20}"),
    (Intent.SET_FOLLOW_UP, rf"(?:下次跟进|跟进时间|提醒时间|下次联系){_SET}?", r"\S.{0,29}"),
    (Intent.SET_STAGE, rf"阶段{_SET}?", r"[^\s，,。]{1,8}"),
)
_CORRECTION_RES = tuple(
    (intent, re.compile(rf"^{_TARGET}{words}{_SEP}(?P<value>{value})(?:标签)?[。!！\s]*$"))
    for intent, words, value in _CORRECTIONS
)
_WON = re.compile(rf"^{_TARGET}(?:赢单|成交了?|已成交)(?:了)?(?P<value>.*)$")
_LOST = re.compile(rf"^{_TARGET}(?:输单|丢单|已丢单)(?:了)?{_SEP}(?:原因{_SEP})?(?P<value>.*)$")
_MERGE = re.compile(r"^合并\s*#?(?P<a>\d+)\s*(?:到|进|入|至|->|→)\s*#?(?P<b>\d+)$")
_LOOKUP = re.compile(
    r"^(?:(?:查一下|查查|查询|查|看一下|看看)\s*(?P<a>.+?)|(?P<b>.+?)\s*(?:怎么样了|怎么样|什么情况|啥情况|进展如何|"
    r"进展怎么样|最近怎么样|情况如何|到哪一步了|跟到哪了))[?？。!！\s]*$"
)
_CHOICE = re.compile(r"^(?:选\s*)?(?:第\s*)?(?P<n>[1-9]|[一二三])\s*(?:个|家|条)?$")
_NEW = re.compile(r"^(?:新的|新客户|新建|是新客户|都不是|新线索|新的客户)$")
_CN_DIGITS = {"一": "1", "二": "2", "三": "3"}
_FILLER = re.compile(r"[\s?？。!！,，、~…]+|那边|那家|这家|呢|吧|啊")


def read_command(text: str) -> Command | None:
    """The command `text` gives, or None when it is a note (or a reply the caller reads otherwise)."""
    text = simplified(text.strip())
    if not text or len(text) > 60:
        return None
    if m := _CHOICE.match(text):
        return Command(Intent.CHOOSE, _CN_DIGITS.get(m["n"], m["n"]))
    if _NEW.match(text):
        return Command(Intent.CHOOSE, "new")
    if m := _MERGE.match(text):
        return Command(Intent.MERGE, lead_ids=(int(m["a"]), int(m["b"])))
    # A correction names its field first, so "阶段 成交" sets the stage rather than naming a lead "阶段".
    for intent, pattern in _CORRECTION_RES:
        if (m := pattern.match(text)) and _plausible_target(m["target"]):
            return Command(intent, m["value"].strip(" 。"), target=m["target"])
    if (m := _WON.match(text)) and not m["value"].strip(" ！!。"):
        return Command(Intent.WON, target=m["target"])
    if m := _LOST.match(text):
        return Command(Intent.LOST, m["value"].strip(" 。"), target=m["target"])
    if m := _LOOKUP.match(text):
        return Command(Intent.LOOKUP, (m["a"] or m["b"]).strip())
    return None


def _plausible_target(target: str | None) -> bool:
    """A named lead is "#N" or a name without verbs of a note in it (so "今天加了微信" is no command)."""
    return target is None or target.startswith("#") or not re.search(r"[了过的说要在]", target)


def bare_name(text: str, note: ParsedNote) -> str | None:
    """The company when `text` is nothing but a customer's name (杭州华力机械, 华力那边?): a look-up, not a note."""
    if not note.company or note.tags or note.follow_up_at or note.phone or note.amount or note.stage_signal:
        return None
    rest = _FILLER.sub("", simplified(text).replace(note.company, "", 1))
    if note.contact_name:
        rest = rest.replace(note.contact_name, "", 1)
    return note.company if not rest else None
