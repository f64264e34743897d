"""How people, leads, money and times read in zh-CN cards."""

from __future__ import annotations

from datetime import datetime, tzinfo

from bot import texts
from storage.models import Lead, User

WEEKDAYS = "一二三四五六日"


SOMEONE = texts.SOMEONE


def known_name(user: User) -> str | None:
    """The person's name, or None when all we have is a platform id (a user created on first contact whose
    directory entry could not be read is named after their id: `zhangwei`, `ou_7d8a…`)."""
    if not user.name or any(user.name == identity.external_id for identity in user.identities):
        return None
    return user.name


def person_name(user: User) -> str:
    """How a card names a person: their name, or a neutral 同事."""
    return known_name(user) or SOMEONE


def lead_name(lead: Lead) -> str:
    return lead.company or lead.contact_name or lead.phone or texts.lead_number(lead.id)


def money(yuan: int | float) -> str:
    if yuan >= 100_000_000 and yuan % 1_000_000 == 0:
        return f"{yuan / 100_000_000:g}亿元"
    if yuan >= 10_000 and yuan % 100 == 0:
        return f"{yuan / 10_000:g}万元"
    return f"{yuan:,}元"


def when(moment: datetime, now: datetime, tz: tzinfo, *, has_time: bool) -> str:
    """`12月2日（周三）`, with ` 15:00` when a clock time was stated; 今天/明天/后天 in front when near."""
    local, today = moment.astimezone(tz), now.astimezone(tz).date()
    days = (local.date() - today).days
    relative = {0: "今天", 1: "明天", 2: "后天"}.get(days)
    text = f"{local.month}月{local.day}日（周{WEEKDAYS[local.weekday()]}）"
    if relative:
        text = f"{relative} {text}"
    if local.year != today.year:
        text = f"{local.year}年{text}"
    return f"{text} {local:%H:%M}" if has_time else text
