"""Short commands: 帮助, 我的线索, 今日待办, 撤销, and 分配 for managers."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta

from bot import notices, texts
from bot.cards import Card
from bot.conversation import corrections
from bot.conversation.handover import move_lead
from bot.conversation.turn import Turn
from bot.format import known_name, lead_name, person_name
from config.rules import Rules
from nlp import parse_note
from storage.activities import Undone, last_undoable, lead_tag_ids, undo_activity
from storage.leads import (
    add_assigned_lead,
    due_follow_ups,
    find_lead,
    lead_for_actor,
    light,
    owned_leads,
    team_members,
)
from storage.models import User
from storage.refusals import Refusal, Why
from storage.roles import is_manager

MAX_LIST = 15
ASSIGN = "分配"
MY_LEADS_WORDS = ("我的线索", "我的客户", "线索")


def help_card(rules: Rules, person: User, *, greeting: bool = False) -> Card:
    """The usage card, listing the commands `person`'s role may use; `greeting` when they opened the chat."""
    title = texts.greeting_title(known_name(person)) if greeting else texts.HELP_TITLE
    return Card(title=title, lines=texts.help_lines(rules, manages=is_manager(person)))


def respond(turn: Turn, text: str) -> Card | None:
    """The answer to a command, or None when `text` is no command."""
    if text.startswith(ASSIGN):
        return _assign(turn, text.removeprefix(ASSIGN).strip())
    for word in MY_LEADS_WORDS:
        rest = text.removeprefix(word).strip()
        if text.startswith(word) and rest and (view := leads_view(rest, turn.rules)) is not None:
            return _my_leads(turn, view)
    correction = corrections.respond(turn, text)
    if correction is not None:
        return correction
    command = COMMANDS.get(_command_key(text))
    return command(turn) if command is not None else None


def _command_key(text: str) -> str:
    return re.sub(r"[\s\W_]+", "", text).lower()


def _help(turn: Turn) -> Card:
    return help_card(turn.rules, turn.actor)


@dataclass(frozen=True)
class LeadsView:
    """我的线索, optionally 红灯/黄灯/绿灯, a tag, and a page: "我的线索 红灯", "我的线索 价格敏感 2"."""

    light: str | None = None
    tag: str | None = None
    page: int = 1

    def label(self, rules: Rules) -> str:
        shown = [texts.LIGHT_FILTERS_SHOWN[self.light]] if self.light else []
        if self.tag:
            shown.append(rules.tag_label(self.tag))
        return " · ".join(shown)


def leads_view(rest: str, rules: Rules) -> LeadsView | None:
    """The view `rest` asks for, or None when it is not one (then the message is something else)."""
    view = LeadsView()
    labels = {label: tag_id for tag_id, label in rules.tag_labels.items()}
    for word in rest.replace("，", " ").split():
        if word in texts.LIGHT_FILTERS:
            view = replace(view, light=texts.LIGHT_FILTERS[word])
        elif word in labels or word in rules.tag_labels:
            view = replace(view, tag=labels.get(word, word))
        elif page := re.fullmatch(r"第?(\d{1,3})页?", word):
            view = replace(view, page=max(1, int(page.group(1))))
        else:
            return None
    return view


def _my_leads(turn: Turn, view: LeadsView | None = None) -> Card:
    view = view or LeadsView()
    leads = owned_leads(turn.session, turn.actor)
    if not leads:
        return Card(title=texts.MY_LEADS, lines=(texts.NO_LEADS,))
    severity = {"red": 0, "yellow": 1, "green": 2}
    far = datetime.max.replace(tzinfo=turn.now.tzinfo)
    lights = {lead.id: light(lead, turn.now, turn.rules) for lead in leads}
    counts = {c: sum(1 for v in lights.values() if v == c) for c in severity}
    tags = lead_tag_ids(turn.session, [ld.id for ld in leads])
    shown = [
        lead
        for lead in leads
        if (view.light is None or lights[lead.id] == view.light) and (view.tag is None or view.tag in tags[lead.id])
    ]
    shown.sort(key=lambda ld: (severity[lights[ld.id]], ld.next_follow_up_at or far, ld.id))
    pages = max(1, -(-len(shown) // MAX_LIST))
    page = min(view.page, pages)
    lines = []
    for lead in shown[(page - 1) * MAX_LIST : page * MAX_LIST]:
        parts = [f"{texts.LIGHTS[lights[lead.id]]} {lead_name(lead)}"]
        if lead.company and lead.contact_name:
            parts.append(lead.contact_name)
        parts.append(turn.rules.stage(lead.stage).label)
        if tags[lead.id]:
            parts.append("/".join(turn.rules.tag_label(t) for t in turn.rules.sort_tags(tags[lead.id])))
        if lead.next_follow_up_at:
            parts.append(texts.next_follow_up(turn.when(lead.next_follow_up_at, has_time=lead.next_follow_up_has_time)))
        lines.append(" · ".join(parts))
    if not shown:
        lines.append(texts.NO_LEADS_IN_VIEW)
    if page < pages:
        lines.append(texts.next_page(len(shown) - page * MAX_LIST, view.label(turn.rules), page + 1, pages))
    title = texts.MY_LEADS + (f" · {view.label(turn.rules)}" if view.label(turn.rules) else "")
    return Card(
        title=texts.counted(title, len(shown)),
        lines=tuple(lines),
        note=texts.my_leads_note(counts, turn.rules),
    )


def _today(turn: Turn) -> Card:
    end_of_day = datetime.combine(turn.now.date() + timedelta(days=1), time(), tzinfo=turn.now.tzinfo)
    leads = due_follow_ups(turn.session, turn.actor, end_of_day, turn.rules)
    if not leads:
        return Card(title=texts.TODAY, lines=(texts.NOTHING_DUE,))
    lines = []
    for lead in leads[:MAX_LIST]:
        due = lead.next_follow_up_at
        assert due is not None
        mark = texts.OVERDUE if due.astimezone(turn.now.tzinfo).date() < turn.now.date() else texts.DUE
        who = f"{lead_name(lead)} {lead.contact_name or ''}" if lead.company else lead_name(lead)
        lines.append(f"{mark} {turn.when(due, has_time=lead.next_follow_up_has_time)} {who}")
    if len(leads) > MAX_LIST:
        lines.append(texts.more(len(leads) - MAX_LIST))
    return Card(title=texts.counted(texts.TODAY, len(leads)), lines=tuple(lines), note=texts.TODAY_NOTE)


def _undo(turn: Turn) -> Card:
    activity = last_undoable(turn.session, turn.actor, turn.now, turn.rules)
    if activity is None:
        return Card.text(texts.nothing_to_undo(turn.rules))
    return undone_card(undo_activity(turn.session, activity))


def undone_card(undone: Undone) -> Card:
    name = undone.company or texts.lead_number(undone.lead_id)
    return Card.text(texts.undone(name, lead_deleted=undone.lead_deleted))


def _assign(turn: Turn, request: str) -> Card:
    """分配 <customer, contact, phone> 给 <rep>: a manager gives a rep a new lead, or moves an existing one."""
    if not is_manager(turn.actor):
        raise Refusal(Why.MANAGERS_ONLY)
    what, sep, who = request.rpartition("给")
    members = team_members(turn.session, turn.actor)
    rep = next((m for m in members if m.name == who.strip()), None)
    if not sep or rep is None:
        names = "、".join(person_name(m) for m in members) or texts.NO_TEAM_MEMBERS
        return Card.text(*texts.assign_usage(names))
    parsed = parse_note(what, turn.now)
    if not parsed.company and not parsed.phone:
        return Card.text(texts.ASSIGN_NO_CUSTOMER)
    lead = find_lead(turn.session, phone=parsed.phone, company=parsed.company)
    if lead is not None:
        lead = lead_for_actor(turn.session, turn.actor, lead.id)
        if lead.owner_id == rep.id:
            return Card.text(texts.already_owned(lead_name(lead), person_name(rep)))
        move_lead(turn, lead, rep)
    else:
        lead = add_assigned_lead(
            turn.session,
            rep,
            company=parsed.company or parsed.phone or "",
            contact_name=parsed.contact_name,
            phone=parsed.phone,
            now=turn.now,
            rules=turn.rules,
        )
        card = notices.assigned_card(lead, turn.actor, turn.rules)
        notices.push(turn.session, rep, card, kind="assign", dedup_key=f"assign:{lead.id}:{rep.id}")
    untouched = turn.rules.untouched_hours if lead.last_activity_at is None else None
    return Card.text(texts.assigned(lead_name(lead), person_name(rep), untouched))


def _console(turn: Turn) -> Card:
    from bot.console.doors import console_card

    return console_card(turn.session, turn.actor, turn.now)


COMMANDS: dict[str, Callable[[Turn], Card]] = {
    "帮助": _help,
    "help": _help,
    "菜单": _help,
    "我的线索": _my_leads,
    "线索": _my_leads,
    "我的客户": _my_leads,
    "今日待办": _today,
    "今天待办": _today,
    "待办": _today,
    "撤销": _undo,
    "撤回": _undo,
    "undo": _undo,
    "看板": _console,
    "驾驶舱": _console,
    "指挥舱": _console,
}
