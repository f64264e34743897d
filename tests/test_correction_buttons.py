"""One-tap corrections: 去掉/加回 a tag on the logged note's card, and 改阶段 on the lead card. Every tap is a stored
correction, exactly like the typed command; a second tap of the same button changes nothing."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from sqlalchemy import select

from bot.cards import MAX_BUTTONS, Button
from bot.correction_examples import correction_records
from bot.platforms.feishu_cards import render_card
from bot.platforms.wecom_send import decode_button_key, render_template_card
from bot.runtime import Runtime
from config.rules import Stage
from storage.models import StageChange
from storage.states import CorrectionField, LostReason
from tests.conftest import Chat, RecordingSender
from tests.test_corrections import LATER, NOTE, NOW, TZ, corrections, lead, logged, tags_of


def button(sent: RecordingSender, label: str) -> Button:
    [found] = [b for b in sent.sent[-1][1].buttons if b.label == label]
    return found


def labels(sent: RecordingSender) -> list[str]:
    return [b.label for b in sent.sent[-1][1].buttons]


def tap(chat: Chat, sent: RecordingSender, label: str) -> str:
    pressed = button(sent, label)
    return chat.click(pressed.action, pressed.value, LATER)


# ---------------------------------------------------------------- tags on the logged note's card


def test_the_logged_card_has_a_button_to_take_off_each_tag(rt: Runtime, sent: RecordingSender) -> None:
    logged(rt, sent)
    assert labels(sent) == ["撤销", "去掉 价格敏感", "去掉 需要样机"]


def test_a_tag_button_takes_the_tag_off_the_note_and_keeps_the_correction(rt: Runtime, sent: RecordingSender) -> None:
    chat = logged(rt, sent)
    reply = tap(chat, sent, "去掉 价格敏感")
    assert reply.splitlines()[0] == "【已记录：杭州华力机械】"
    assert "标签：需要样机" in reply.splitlines()
    assert labels(sent) == ["撤销", "加回 价格敏感", "去掉 需要样机"]
    assert tags_of(rt) == ["needs_sample"]
    assert corrections(rt) == [(1, 1, 1, CorrectionField.TAGS, "needs_sample,price_sensitive", "needs_sample")]


def test_a_tag_taken_off_by_mistake_is_put_back_from_the_same_card(rt: Runtime, sent: RecordingSender) -> None:
    chat = logged(rt, sent)
    tap(chat, sent, "去掉 价格敏感")
    reply = tap(chat, sent, "加回 价格敏感")
    assert "标签：价格敏感、需要样机" in reply.splitlines()
    assert labels(sent) == ["撤销", "去掉 价格敏感", "去掉 需要样机"]
    assert sorted(tags_of(rt)) == ["needs_sample", "price_sensitive"]
    assert [c[4:] for c in corrections(rt)] == [
        ("needs_sample,price_sensitive", "needs_sample"),
        ("needs_sample", "needs_sample,price_sensitive"),
    ]


def test_a_second_tap_of_a_tag_button_changes_nothing(rt: Runtime, sent: RecordingSender) -> None:
    chat = logged(rt, sent)
    pressed = button(sent, "去掉 价格敏感")
    chat.click(pressed.action, pressed.value, LATER)
    again = chat.click(pressed.action, pressed.value, LATER + timedelta(minutes=1))
    assert "标签：需要样机" in again.splitlines()
    assert len(corrections(rt)) == 1


def test_a_tag_tapped_off_is_exported_as_the_typed_correction_is(rt: Runtime, sent: RecordingSender) -> None:
    chat = logged(rt, sent)
    tap(chat, sent, "去掉 价格敏感")
    with rt.transaction() as s:
        [record] = correction_records(s, tz=TZ, rules=rt.rules)
    assert (record["text"], record["tags"], record["corrected"]) == (NOTE, ["needs_sample"], ["tags"])


def test_the_tag_buttons_the_card_has_no_room_for_are_left_to_typing(rt: Runtime, sent: RecordingSender) -> None:
    chat = logged(rt, sent)
    for tag in ("竞品对比", "需求紧急", "关注交期", "账期付款"):
        chat.say(f"加 {tag}", LATER)
    Chat(rt, sent).click("note_tag", {"activity_id": 1, "tag": "price_sensitive", "on": False}, LATER)
    assert labels(sent) == ["撤销", "加回 价格敏感", "去掉 需要样机", "去掉 竞品对比", "去掉 需求紧急", "去掉 关注交期"]
    assert len(labels(sent)) == MAX_BUTTONS
    assert chat.say("去掉 账期付款", LATER) == "已去掉「账期付款」标签（杭州华力机械）。"


def test_a_tag_button_of_an_undone_note_is_refused(rt: Runtime, sent: RecordingSender) -> None:
    chat = logged(rt, sent)
    pressed = button(sent, "去掉 价格敏感")
    chat.say("撤销", NOW + timedelta(minutes=1))
    assert chat.click(pressed.action, pressed.value, LATER) == "这条记录已经撤销过了。"
    assert corrections(rt) == []


def test_a_forged_tag_button_is_refused_as_stale(rt: Runtime, sent: RecordingSender) -> None:
    chat = logged(rt, sent)
    for value in ({"tag": "big_client", "on": False}, {"tag": ["price_sensitive"], "on": False}, {"tag": "lost"}):
        assert chat.click("note_tag", {"activity_id": 1, **value}, LATER) == "这个按钮已失效，请重新发送指令。"
    assert corrections(rt) == []


def test_a_context_note_keeps_its_not_this_one_button_after_its_tag_buttons(rt: Runtime, sent: RecordingSender) -> None:
    chat = logged(rt, sent)
    chat.say("他说要样机，下周再谈", NOW + timedelta(minutes=5))
    assert labels(sent) == ["撤销", "去掉 需要样机", "不是这家"]


def test_a_context_note_answers_a_tag_tap_with_its_context_line_and_not_this_one_button(
    rt: Runtime, sent: RecordingSender
) -> None:
    chat = logged(rt, sent)
    chat.say("他说要样机，下周再谈", NOW + timedelta(minutes=5))
    reply = tap(chat, sent, "去掉 需要样机")
    assert "🔗 没写客户名，接着刚才那条记在「杭州华力机械」上。" in reply.splitlines()
    assert labels(sent) == ["撤销", "加回 需要样机", "不是这家"]


def test_a_voice_note_answers_a_tag_tap_with_what_was_heard(rt: Runtime, sent: RecordingSender) -> None:
    chat = Chat(rt, sent)
    chat.say("今天拜访杭州华力机械王总 嫌贵 要样机", NOW, extra={"transcript": True})
    reply = tap(chat, sent, "去掉 价格敏感")
    assert "🎤 听到：今天拜访杭州华力机械王总 嫌贵 要样机" in reply.splitlines()
    assert labels(sent) == ["撤销", "加回 价格敏感", "去掉 需要样机"]


# ---------------------------------------------------------------- 改阶段 on the lead card


def stage_card(rt: Runtime, sent: RecordingSender) -> Chat:
    chat = logged(rt, sent)
    chat.say("查 华力", LATER)
    tap(chat, sent, "改阶段")
    return chat


def test_the_stage_button_offers_every_other_stage(rt: Runtime, sent: RecordingSender) -> None:
    stage_card(rt, sent)
    assert sent.texts[-1].splitlines() == [
        "【改阶段：杭州华力机械】",
        "现在是「初访」。点一下要改成的阶段，也可以回复「#1 阶段 需求确认」。",
        "[线索]  [需求确认]  [方案/报价]  [谈判]  [成交]  [丢单]",
    ]


def test_a_stage_tapped_is_set_through_a_recorded_stage_change(rt: Runtime, sent: RecordingSender) -> None:
    chat = stage_card(rt, sent)
    assert tap(chat, sent, "谈判") == "阶段已改为「谈判」（杭州华力机械）。"
    assert lead(rt).stage == "negotiation"
    with rt.transaction() as s:
        assert s.scalars(select(StageChange.to_stage).order_by(StageChange.id)).all() == ["contacted", "negotiation"]
    assert corrections(rt) == [(1, 1, None, CorrectionField.STAGE, "contacted", "negotiation")]


def test_won_tapped_on_the_stage_card_is_a_win(rt: Runtime, sent: RecordingSender) -> None:
    chat = stage_card(rt, sent)
    assert tap(chat, sent, "成交").startswith("【🎉 赢单：杭州华力机械】")
    assert lead(rt).stage == "won"


def test_lost_tapped_on_the_stage_card_goes_through_the_lost_reason_flow(rt: Runtime, sent: RecordingSender) -> None:
    chat = stage_card(rt, sent)
    reply = tap(chat, sent, "丢单")
    assert reply.splitlines()[:3] == [
        "【输单：杭州华力机械】",
        "阶段从「初访」改为丢单，原因会计入周报。原因不对可以点下面改。",
        "原因：价格",
    ]
    assert labels(sent) == ["竞品", "没预算", "其他"]
    assert (lead(rt).stage, lead(rt).lost_reason) == ("lost", LostReason.PRICE)


def test_a_second_tap_on_lost_keeps_the_reason_set_right_since(rt: Runtime, sent: RecordingSender) -> None:
    chat = stage_card(rt, sent)
    lost = button(sent, "丢单")
    chat.click(lost.action, lost.value, LATER)
    tap(chat, sent, "竞品")
    assert chat.click(lost.action, lost.value, LATER) == "「杭州华力机械」本来就在「丢单」阶段。"
    assert lead(rt).lost_reason == LostReason.COMPETITOR


def test_a_pipeline_too_long_for_one_card_offers_the_nearest_stages_and_both_outcomes(
    rt: Runtime, sent: RecordingSender
) -> None:
    extra = (Stage("visit", "拜访", 15), Stage("trial", "试用", 50), Stage("tender", "招标", 70))
    stages = rt.rules.stages
    rt.rules = replace(rt.rules, stages=(*stages[:2], extra[0], stages[2], extra[1], stages[3], extra[2], *stages[4:]))
    stage_card(rt, sent)
    assert labels(sent) == ["线索", "拜访", "需求确认", "试用", "成交", "丢单"]


def test_the_stage_card_renders_its_buttons_on_wecom_and_feishu(rt: Runtime, sent: RecordingSender) -> None:
    stage_card(rt, sent)
    card = sent.sent[-1][1]
    template = render_template_card(card, "task-1")
    assert [decode_button_key(b["key"]) for b in template["button_list"]] == [(b.action, b.value) for b in card.buttons]
    [row] = [e for e in render_card(card)["body"]["elements"] if e["tag"] == "column_set"]
    assert row["flex_mode"] == "flow"  # six buttons wrap on a phone instead of shrinking
    assert [c["elements"][0]["text"]["content"] for c in row["columns"]] == [b.label for b in card.buttons]
