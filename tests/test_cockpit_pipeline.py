"""The pipeline page's figures: per stage count, amount and weight; age in stage; skipped stages; longest sat."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from storage.pipeline import pipeline, skips
from storage.scopes import scope_of
from tests.cockpit_world import RULES, TZ, World, at, build_world

NOW = at("2026-12-15T10:00")


@pytest.fixture
def world(db_url: str) -> Iterator[World]:
    yield from build_world(db_url)


def figures(world: World, viewer: str = "wecom:boss1"):
    return pipeline(world.session, scope_of(world.session, world.user(viewer)), NOW, TZ, world.rules)


def test_each_stage_shows_its_count_amount_and_probability_weighted_amount(world: World) -> None:
    world.lead("wecom:zhangwei", "甲", created=at("2026-12-01T09:00"), stage="proposal", amount=100_000)
    world.lead("wecom:lisi", "乙", created=at("2026-12-01T09:00"), stage="proposal", amount=50_000)
    world.lead("wecom:lisi", "丙", created=at("2026-12-01T09:00"), stage="proposal")
    world.lead("wecom:wangwu", "丁", created=at("2026-12-01T09:00"), stage="proposal", amount=999)
    result = figures(world)
    proposal = next(s for s in result.stages if s.stage == "proposal")
    assert (proposal.label, proposal.probability, proposal.count, proposal.amount, proposal.weighted) == (
        "方案/报价",
        60,
        3,
        150_000,
        90_000,
    )
    assert (result.open_count, result.open_amount, result.weighted) == (3, 150_000, 90_000)


def test_every_configured_stage_is_listed_in_order_with_its_probability(world: World) -> None:
    assert [(s.label, s.probability) for s in figures(world).stages] == [
        ("线索", 5),
        ("初访", 10),
        ("需求确认", 35),
        ("方案/报价", 60),
        ("谈判", 80),
        ("成交", 100),
        ("丢单", 0),
    ]


def test_age_in_stage_counts_from_the_latest_stage_change_else_from_creation(world: World) -> None:
    moved = world.lead("wecom:zhangwei", "甲", created=at("2026-11-01T10:00"))
    world.move(moved, "contacted", at("2026-12-05T10:00"))  # 10 days in 初访
    world.lead("wecom:lisi", "乙", created=at("2026-12-11T10:00"), stage="contacted")  # 4 days, never moved
    contacted = next(s for s in figures(world).stages if s.stage == "contacted")
    assert contacted.avg_age_days == 7.0


def test_a_stage_without_open_leads_has_no_average_age(world: World) -> None:
    assert next(s for s in figures(world).stages if s.stage == "negotiation").avg_age_days is None


@pytest.mark.parametrize(
    ("from_stage", "to_stage", "skipped"),
    [
        ("contacted", "qualified", ()),
        ("contacted", "proposal", ("需求确认",)),
        ("lead", "negotiation", ("初访", "需求确认", "方案/报价")),
        ("negotiation", "won", ()),
        ("proposal", "won", ("谈判",)),
        ("lead", "lost", ()),
        ("proposal", "contacted", ()),
    ],
)
def test_a_move_skips_the_open_stages_it_jumps_over(from_stage: str, to_stage: str, skipped: tuple) -> None:
    assert skips(from_stage, to_stage, RULES) == skipped


def test_leads_that_skipped_a_stage_are_listed_newest_first_with_what_they_skipped(world: World) -> None:
    early = world.lead("wecom:zhangwei", "甲", created=at("2026-11-01T10:00"), stage="contacted")
    world.move(early, "proposal", at("2026-12-01T10:00"))
    late = world.lead("wecom:lisi", "乙", created=at("2026-11-01T10:00"), stage="proposal")
    world.move(late, "won", at("2026-12-10T10:00"))
    steady = world.lead("wecom:lisi", "丙", created=at("2026-11-01T10:00"), stage="contacted")
    world.move(steady, "qualified", at("2026-12-12T10:00"))
    other_team = world.lead("wecom:wangwu", "丁", created=at("2026-11-01T10:00"))
    world.move(other_team, "negotiation", at("2026-12-12T10:00"))
    assert [(j.lead.company, j.skipped) for j in figures(world).skipped] == [("乙", ("谈判",)), ("甲", ("需求确认",))]


def test_the_longest_sitting_open_leads_come_first(world: World) -> None:
    world.lead("wecom:zhangwei", "新", created=at("2026-12-14T10:00"))
    old = world.lead("wecom:zhangwei", "老", created=at("2026-10-01T10:00"))
    world.move(old, "contacted", at("2026-11-15T10:00"))
    world.lead("wecom:zhangwei", "成交了", created=at("2026-01-01T10:00"), stage="won")
    assert [(s.lead.company, s.in_stage_days) for s in figures(world).longest] == [("老", 30), ("新", 1)]
