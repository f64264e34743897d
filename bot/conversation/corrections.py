"""Corrections, outcomes and merges in chat: 去掉/加 标签, 公司是, 联系人, 电话, 下次跟进, 阶段, 赢单, 输单 原因,
合并 #5 到 #2 and 撤销合并, as reply commands and card buttons.

A correction is about the rep's last note of the day, or about the lead it names first ("#3 阶段 报价",
"华力 去掉 价格敏感"); a name that fits several of the rep's leads is asked about with one button per lead.
The rules live in storage (corrections, outcomes, merging); this module reads the command and words the answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, time

from bot import texts
from bot.cards import MAX_BUTTONS, Button, Card, Field
from bot.conversation.resolving import resolve_name
from bot.conversation.turn import Turn, one_id
from bot.format import lead_name, person_name
from config.rules import Stage
from nlp import parse_note
from nlp.intents import Command, Intent, read_command
from storage import corrections, outcomes
from storage.activities import last_note, lead_tag_ids
from storage.leads import lead_for_actor
from storage.merging import last_merge, merge_leads, undo_merge, undoable_merge
from storage.models import Lead
from storage.refusals import Refusal, Why
from storage.states import LostReason

UNDO_MERGE_WORDS = frozenset({"撤销合并", "取消合并", "撤回合并"})


def respond(turn: Turn, text: str) -> Card | None:
    """The answer to a correction, outcome or merge command; None when `text` is none of them."""
    if re.sub(r"[\s\W_]+", "", text) in UNDO_MERGE_WORDS:
        merge = last_merge(turn.session, turn.actor, turn.now)
        if merge is None:
            return Card.text(texts.NOTHING_TO_UNDO_MERGE)
        return _undo_merge(turn, merge.id)
    command = read_command(text)
    if command is not None and command.intent is Intent.MERGE:
        return _merge(turn, *command.lead_ids)
    if command is None or command.intent not in HANDLERS or _a_note_after_all(turn, command):
        return None
    target = _target(turn, command)
    if isinstance(target, Card):
        return target
    return HANDLERS[command.intent](turn, target, command.value)


def _a_note_after_all(turn: Turn, command: Command) -> bool:
    """ "加微信 明天再聊" reads like 加 TAG, but no tag is that long or has a space: it is a note."""
    tag_intent = command.intent in (Intent.ADD_TAG, Intent.REMOVE_TAG)
    return tag_intent and _tag_id(turn, command.value) is None and (" " in command.value or len(command.value) > 6)


def _target(turn: Turn, command: Command) -> corrections.Target | Card:
    """The note or lead the command is about, or the card asking which lead (or saying there is none)."""
    if command.target is None:
        day_start = datetime.combine(turn.now.date(), time(), tzinfo=turn.now.tzinfo)
        activity = last_note(turn.session, turn.actor, since=day_start)
        if activity is None:
            raise Refusal(Why.NO_NOTE)
        return corrections.Target(lead_for_actor(turn.session, turn.actor, activity.lead_id), activity)
    leads = _named(turn, command.target)
    if not leads:
        return Card.text(texts.no_such_lead(command.target))
    if len(leads) > 1:
        return _which_lead(command, leads)
    return corrections.Target(leads[0], None)


def _named(turn: Turn, target: str) -> list[Lead]:
    """The leads a correction names: "#3" (if the rep may act on it), or those the name may mean, read the way
    a note naming it would be (浙江华力 and 华力 both mean 杭州华力机械), among the rep's own."""
    if target.startswith("#") and target[1:].isdigit():
        return [lead_for_actor(turn.session, turn.actor, int(target[1:]))]
    resolved = resolve_name(turn, target)
    leads = [resolved.lead] if resolved.lead is not None else resolved.choices()
    return [lead for lead in leads if lead.owner_id == turn.actor.id]


def _which_lead(command: Command, leads: list[Lead]) -> Card:
    example = f"#{leads[0].id} {_spoken(command)}"
    return Card(
        title=texts.WHICH_LEAD,
        lines=texts.which_lead(command.target or "", example),
        buttons=tuple(
            Button(
                texts.which_lead_line(lead.id, lead_name(lead), lead.contact_name),
                "correct",
                {"lead_id": lead.id, "intent": command.intent.value, "value": command.value},
            )
            for lead in leads[:5]
        ),
    )


_SPOKEN = {
    Intent.REMOVE_TAG: "去掉",
    Intent.ADD_TAG: "加",
    Intent.SET_COMPANY: "公司是",
    Intent.SET_CONTACT: "联系人",
    Intent.SET_PHONE: "电话",
    Intent.SET_FOLLOW_UP: "下次跟进",
    Intent.SET_STAGE: "阶段",
    Intent.WON: "赢单",
    Intent.LOST: "输单",
}


def _spoken(command: Command) -> str:
    return f"{_SPOKEN[command.intent]} {command.value}".strip()


# ---------------------------------------------------------------- what each command does


def _tag_id(turn: Turn, value: str) -> str | None:
    """The tag id a rep means by `value`: an id, a label, one half of a label like 丢单/拒绝, or a part of only
    one label (竞品 → 竞品对比)."""
    wanted = value.strip().lower()
    labels = {tag_id: label.lower() for tag_id, label in turn.rules.tag_labels.items()}
    for tag_id, label in labels.items():
        if wanted in (tag_id, label, *label.split("/")):
            return tag_id
    containing = [tag_id for tag_id, label in labels.items() if wanted in label]
    return containing[0] if len(containing) == 1 else None


def _unknown_tag(turn: Turn, value: str) -> Card:
    return Card.text(texts.unknown_tag(value, list(turn.rules.tag_labels.values())))


def _remove_tag(turn: Turn, target: corrections.Target, value: str) -> Card:
    tag = _tag_id(turn, value)
    if tag is None:
        return _unknown_tag(turn, value)
    label, name = turn.rules.tag_label(tag), lead_name(target.lead)
    if corrections.remove_tag(turn.session, turn.actor, target, tag, turn.now):
        return Card.text(texts.tag_removed(label, name))
    return Card.text(texts.tag_absent(label, name))


def _add_tag(turn: Turn, target: corrections.Target, value: str) -> Card:
    tag = _tag_id(turn, value)
    if tag is None:
        return _unknown_tag(turn, value)
    label, name = turn.rules.tag_label(tag), lead_name(target.lead)
    if corrections.add_tag(turn.session, turn.actor, target, tag, turn.now, turn.rules):
        return Card.text(texts.tag_added(label, name))
    return Card.text(texts.tag_present(label, name))


def _held_elsewhere(turn: Turn, target: corrections.Target, what: str, refusal: Refusal) -> Card:
    """A company or phone another lead has: merge it if it is the rep's own duplicate, else whose it is."""
    other = refusal.lead
    if refusal.why is not Why.LEAD_EXISTS or other is None:
        raise refusal
    if other.owner_id == turn.actor.id:
        return Card.text(texts.held_by_own(what, other.id, lead_name(other), target.lead.id))
    return Card.text(texts.held_by_other(what, other.id, lead_name(other), person_name(other.owner)))


def _set_company(turn: Turn, target: corrections.Target, value: str) -> Card:
    try:
        corrections.set_company(turn.session, turn.actor, target, value, turn.now)
    except Refusal as refusal:
        return _held_elsewhere(turn, target, texts.COMPANY_WORD, refusal)
    return Card.text(texts.company_set(value, target.lead.id))


def _set_contact(turn: Turn, target: corrections.Target, value: str) -> Card:
    corrections.set_contact(turn.session, turn.actor, target, value, turn.now)
    return Card.text(texts.contact_set(value, lead_name(target.lead)))


def _set_phone(turn: Turn, target: corrections.Target, value: str) -> Card:
    phone = corrections.mobile(value)
    if phone is None:
        return Card.text(texts.BAD_PHONE)
    try:
        corrections.set_phone(turn.session, turn.actor, target, phone, turn.now)
    except Refusal as refusal:
        return _held_elsewhere(turn, target, texts.PHONE_WORD, refusal)
    return Card.text(texts.phone_set(phone, lead_name(target.lead)))


def _set_follow_up(turn: Turn, target: corrections.Target, value: str) -> Card:
    parsed = parse_note(value, turn.now)
    if parsed.follow_up_at is None:
        return Card.text(texts.BAD_FOLLOW_UP)
    at, has_time = parsed.follow_up_at, parsed.follow_up_has_time
    corrections.set_follow_up(turn.session, turn.actor, target, at, has_time=has_time, now=turn.now, rules=turn.rules)
    return Card.text(texts.follow_up_moved(turn.when(at, has_time=has_time), lead_name(target.lead)))


def _stage_id(turn: Turn, value: str) -> str | None:
    """The stage a rep means: its id, its label, or a word of its label (报价 → 方案/报价)."""
    wanted = value.strip().lower()
    for stage in turn.rules.stages:
        if wanted in (stage.id, stage.label, *stage.label.split("/")):
            return stage.id
    return next((s.id for s in turn.rules.stages if wanted in s.label), None)


def _set_stage(turn: Turn, target: corrections.Target, value: str) -> Card:
    """An open stage through a recorded stage change; 成交 and 丢单 as outcomes. The stage the lead is in already
    changes nothing (so a second tap on a 改阶段 or 输单 button keeps a reason set right since)."""
    stage = _stage_id(turn, value)
    if stage is None:
        return Card.text(texts.unknown_stage(value, [s.label for s in turn.rules.stages]))
    lead, label = target.lead, turn.rules.stage(stage).label
    if lead.stage == stage:
        return Card.text(texts.stage_unchanged(label, lead_name(lead)))
    if stage in turn.rules.won_stages:
        return _won(turn, target, "")
    if stage in turn.rules.closed_stages:
        return _lost(turn, target, "")
    corrections.set_stage(turn.session, turn.actor, target, stage, turn.now)
    return Card.text(texts.stage_set(label, lead_name(lead)))


def _won(turn: Turn, target: corrections.Target, _value: str) -> Card:
    lead = target.lead
    was = outcomes.close(turn.session, turn.actor, lead, outcomes.won_stage(turn.rules), now=turn.now, rules=turn.rules)
    return Card(
        title=texts.won_title(lead_name(lead)),
        lines=(texts.won_line(turn.rules.stage(was).label),),
        level="success",
    )


def _lost(turn: Turn, target: corrections.Target, value: str) -> Card:
    lead = target.lead
    said = parse_note(value, turn.now).tags if value else ()
    reason = outcomes.lost_reason(value, [said, lead_tag_ids(turn.session, [lead.id])[lead.id]])
    stage = outcomes.lost_stage(turn.rules)
    was = outcomes.close(
        turn.session, turn.actor, lead, stage, now=turn.now, rules=turn.rules, reason=reason, note=value
    )
    return _lost_card(lead, texts.lost_line(turn.rules.stage(was).label))


def _lost_card(lead: Lead, line: str) -> Card:
    """The lost lead with its reason, and one button per other reason to set it right."""
    reason = lead.lost_reason or LostReason.OTHER
    fields = [(texts.REASON, texts.LOST_REASONS[reason])]
    if lead.lost_note:
        fields.append((texts.LOST_WORDS, lead.lost_note))
    return Card(
        title=texts.lost_title(lead_name(lead)),
        lines=(line,),
        fields=tuple(Field(label, value) for label, value in fields),
        buttons=tuple(
            Button(texts.LOST_REASONS[other], "lost_reason", {"lead_id": lead.id, "reason": other.value})
            for other in LostReason
            if other != reason
        ),
        level="warning",
    )


HANDLERS: dict[Intent, Callable[[Turn, corrections.Target, str], Card]] = {
    Intent.REMOVE_TAG: _remove_tag,
    Intent.ADD_TAG: _add_tag,
    Intent.SET_COMPANY: _set_company,
    Intent.SET_CONTACT: _set_contact,
    Intent.SET_PHONE: _set_phone,
    Intent.SET_FOLLOW_UP: _set_follow_up,
    Intent.SET_STAGE: _set_stage,
    Intent.WON: _won,
    Intent.LOST: _lost,
}


# ---------------------------------------------------------------- merging


def _merge(turn: Turn, from_id: int, into_id: int) -> Card:
    merged = merge_leads(turn.session, turn.actor, from_id, into_id, now=turn.now, rules=turn.rules)
    source = merged.merge.moved["lead"]
    into = lead_for_actor(turn.session, turn.actor, into_id)
    source_name = source["company"] or source["contact_name"] or source["phone"] or texts.lead_number(from_id)
    return Card(
        title=texts.merged_title(source_name, lead_name(into)),
        lines=texts.merged_lines(from_id, into_id, merged.counts),
        buttons=(Button(texts.UNDO_MERGE_BUTTON, "merge_undo", {"merge_id": merged.merge.id}, style="danger"),),
        level="success",
        note=texts.MERGE_NOTE,
    )


def _undo_merge(turn: Turn, merge_id: int) -> Card:
    merge = undoable_merge(turn.session, turn.actor, merge_id, turn.now)
    restored = undo_merge(turn.session, merge, turn.now)
    return Card.text(texts.merge_undone(restored.id, lead_name(restored), merge.into_lead_id))


# ---------------------------------------------------------------- card buttons


def _correct_button(turn: Turn, value: dict) -> Card:
    """A correction carried by a button, on its lead: a lead chosen on the 哪一家？ card, a stage on the 改阶段
    card."""
    intent, text = value.get("intent"), value.get("value")
    if intent not in {i.value for i in HANDLERS} or not isinstance(text, str):
        raise Refusal(Why.STALE_BUTTON)
    lead = lead_for_actor(turn.session, turn.actor, one_id(value, "lead_id"))
    return HANDLERS[Intent(intent)](turn, corrections.Target(lead, None), text)


def _won_button(turn: Turn, value: dict) -> Card:
    lead = lead_for_actor(turn.session, turn.actor, one_id(value, "lead_id"))
    return _set_stage(turn, corrections.Target(lead, None), outcomes.won_stage(turn.rules))


def _lost_button(turn: Turn, value: dict) -> Card:
    lead = lead_for_actor(turn.session, turn.actor, one_id(value, "lead_id"))
    return _set_stage(turn, corrections.Target(lead, None), outcomes.lost_stage(turn.rules))


def _stage_choices(stages: tuple[Stage, ...], here: int) -> list[Stage]:
    """Every stage but the one at `here`, in pipeline order. A pipeline too long for one card keeps the closed
    stages and the open ones nearest `here`, those ahead of it first."""
    others = [i for i in range(len(stages)) if i != here]
    if len(others) > MAX_BUTTONS:
        closed = [i for i in others if stages[i].closed]
        nearest = sorted((i for i in others if not stages[i].closed), key=lambda i: (abs(i - here), i < here))
        others = sorted([*closed, *nearest[: MAX_BUTTONS - len(closed)]])
    return [stages[i] for i in others]


def _stage_menu_button(turn: Turn, value: dict) -> Card:
    """改阶段 on the lead card: one button per stage the lead can go to; a tap is the 阶段 command."""
    lead = lead_for_actor(turn.session, turn.actor, one_id(value, "lead_id"))
    stages = turn.rules.stages
    here = [s.id for s in stages].index(lead.stage)
    choices = _stage_choices(stages, here)
    nearby = [*stages[here + 1 :], *reversed(stages[:here])]  # the example: the next open stage, or the one before
    example = next((s.label for s in nearby if not s.closed), choices[0].label)
    lost = outcomes.lost_stage(turn.rules)
    return Card(
        title=texts.stage_menu_title(lead_name(lead)),
        lines=(texts.stage_menu_line(turn.rules.stage(lead.stage).label, lead.id, example),),
        buttons=tuple(
            Button(
                stage.label,
                "correct",
                {"lead_id": lead.id, "intent": Intent.SET_STAGE.value, "value": stage.id},
                style="danger" if stage.id == lost else "default",
            )
            for stage in choices
        ),
    )


def _lost_reason_button(turn: Turn, value: dict) -> Card:
    lead = lead_for_actor(turn.session, turn.actor, one_id(value, "lead_id"))
    reason = outcomes.set_lost_reason(lead, value.get("reason"), turn.rules)
    return _lost_card(lead, texts.lost_reason_set(texts.LOST_REASONS[reason], lead_name(lead)))


def _merge_undo_button(turn: Turn, value: dict) -> Card:
    return _undo_merge(turn, one_id(value, "merge_id"))


BUTTONS: dict[str, Callable[[Turn, dict], Card]] = {
    "correct": _correct_button,
    "lead_won": _won_button,
    "lead_lost": _lost_button,
    "stage_menu": _stage_menu_button,
    "lost_reason": _lost_reason_button,
    "merge_undo": _merge_undo_button,
}
