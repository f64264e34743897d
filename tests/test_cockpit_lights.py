"""The lights page: open leads by light, filtered by rep, stage, tag and light; and the alert behind an action."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from storage.alerts import alert_for_lead, alerts_to_notify, handle_alerts
from storage.leads import light
from storage.lights import LightFilter, lights
from storage.models import Lead
from storage.people import InvalidInput
from storage.refusals import Refusal, Why
from storage.scopes import scope_of
from tests.cockpit_world import TZ, World, at, build_world

NOW = at("2026-12-15T10:00")


@pytest.fixture
def world(db_url: str) -> Iterator[World]:
    yield from build_world(db_url)


def page(world: World, viewer: str = "wecom:boss1", **chosen):
    scope = scope_of(world.session, world.user(viewer))
    return lights(world.session, scope, NOW, TZ, world.rules, chosen=LightFilter(**chosen))


def idle(world: World, owner: str, company: str, days: float, stage: str = "contacted") -> Lead:
    lead = world.lead(owner, company, created=NOW - timedelta(days=days), stage=stage)
    world.note(lead, NOW - timedelta(days=days), tags=("price_sensitive",) if "贵" in company else ())
    return lead


def test_lights_are_counted_and_listed_worst_first(world: World) -> None:
    idle(world, "wecom:zhangwei", "绿", 1)
    idle(world, "wecom:zhangwei", "黄", 8)
    idle(world, "wecom:lisi", "红", 20)
    idle(world, "wecom:lisi", "更红", 40)
    idle(world, "wecom:wangwu", "别组红", 40)
    result = page(world)
    assert result.counts == {"red": 2, "yellow": 1, "green": 1}
    assert [(line.company, line.light) for line in result.leads.items] == [
        ("更红", "red"),
        ("红", "red"),
        ("黄", "yellow"),
        ("绿", "green"),
    ]


@pytest.mark.parametrize("days", [0, 2.99, 3, 6.99, 7, 13.99, 14, 30])
@pytest.mark.parametrize("stage", ["lead", "contacted", "proposal", "negotiation"])
def test_the_database_light_agrees_with_the_chat_light(world: World, days: float, stage: str) -> None:
    lead = world.lead("wecom:zhangwei", "甲", created=NOW - timedelta(days=days), stage=stage)
    [line] = page(world).leads.items
    assert line.light == light(lead, NOW, world.rules)
    assert sum(page(world).counts.values()) == 1 and page(world).counts[line.light] == 1


def test_filters_narrow_by_rep_stage_tag_and_light(world: World) -> None:
    idle(world, "wecom:zhangwei", "嫌贵的", 20)
    idle(world, "wecom:zhangwei", "谈判中", 1, stage="negotiation")
    idle(world, "wecom:lisi", "李四的", 20)
    zhang = world.user("wecom:zhangwei").id
    assert [x.company for x in page(world, rep_id=zhang).leads.items] == ["嫌贵的", "谈判中"]
    assert [x.company for x in page(world, stage="negotiation").leads.items] == ["谈判中"]
    assert [x.company for x in page(world, tag="price_sensitive").leads.items] == ["嫌贵的"]
    red = page(world, light="red")
    assert ([x.company for x in red.leads.items], red.counts) == (
        ["嫌贵的", "李四的"],
        {"red": 2, "yellow": 0, "green": 1},
    )


def test_a_rep_from_another_team_cannot_be_chosen(world: World) -> None:
    with pytest.raises(Refusal) as refused:
        page(world, rep_id=world.user("wecom:wangwu").id)
    assert refused.value.why == Why.USER_NOT_IN_SCOPE


@pytest.mark.parametrize(
    ("chosen", "message"),
    [
        ({"stage": "won"}, "unknown open stage 'won'"),
        ({"tag": "nope"}, "unknown tag 'nope'"),
        ({"light": "blue"}, "light must be one of red, yellow, green"),
    ],
)
def test_an_unknown_filter_value_is_refused(world: World, chosen: dict, message: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        page(world, **chosen)
    assert str(refused.value) == message


def test_acting_on_a_lead_without_an_alert_opens_one_that_is_not_pushed_and_shows_who_acted(world: World) -> None:
    lead = idle(world, "wecom:zhangwei", "红", 20)
    boss = world.user("wecom:boss1")
    alert = alert_for_lead(world.session, boss, lead.id, NOW)
    assert (alert.rule, alert.level, alert.manager_id) == ("stale", "red", boss.id)
    assert alert_for_lead(world.session, boss, lead.id, NOW) is alert
    assert alerts_to_notify(world.session, NOW, TZ) == {}
    handle_alerts([alert], actor=boss, action="take", now=NOW)
    world.session.flush()
    [line] = page(world).leads.items
    assert (line.open_alert_ids, line.acted.by_name, line.acted.action) == ((), "王经理", "take")


def test_an_untouched_lead_gets_an_untouched_alert(world: World) -> None:
    lead = world.lead("wecom:zhangwei", "没联系", created=NOW - timedelta(days=1))
    alert = alert_for_lead(world.session, world.user("wecom:boss1"), lead.id, NOW)
    assert (alert.rule, alert.basis_at) == ("untouched", lead.created_at)


def test_another_teams_manager_cannot_open_an_alert_on_the_lead(world: World) -> None:
    lead = idle(world, "wecom:zhangwei", "红", 20)
    with pytest.raises(Refusal) as refused:
        alert_for_lead(world.session, world.user("wecom:boss2"), lead.id, NOW)
    assert refused.value.why == Why.LEAD_NOT_YOURS
