"""What customers raise: tag counts by week and trend, click-through to the notes, and the top terms."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest

from nlp.keywords import top_terms
from storage.people import InvalidInput
from storage.scopes import scope_of
from storage.topics import corpus, notes, topics
from tests.cockpit_world import TZ, World, at, build_world

NOW = at("2026-12-15T10:00")  # Tuesday of the week starting 12-14


@pytest.fixture
def world(db_url: str) -> Iterator[World]:
    yield from build_world(db_url)


def scope(world: World, viewer: str = "wecom:boss1"):
    return scope_of(world.session, world.user(viewer))


def test_tags_are_counted_per_local_week_most_frequent_first_with_last_weeks_change(world: World) -> None:
    lead = world.lead("wecom:zhangwei", "甲", created=at("2026-10-01T09:00"))
    world.note(lead, at("2026-12-13T23:59"), tags=("price_sensitive",))  # Sunday: last week
    world.note(lead, at("2026-12-14T00:00"), tags=("price_sensitive", "needs_sample"))  # Monday: this week
    world.note(lead, at("2026-12-07T00:00"), tags=("price_sensitive",))  # last week
    world.note(lead, at("2026-12-01T09:00"), tags=("needs_sample",))  # the week before
    world.note(lead, at("2026-10-01T09:00"), tags=("competitor",))  # before the 8 weeks
    result = topics(world.session, scope(world), NOW, TZ, world.rules)
    assert (result.weeks[0], result.weeks[-1], len(result.weeks)) == (date(2026, 10, 26), date(2026, 12, 14), 8)
    assert [(t.label, t.per_week[-3:], t.total, t.change) for t in result.tags] == [
        ("价格敏感", (0, 2, 1), 3, 2),
        ("需要样机", (1, 0, 1), 2, -1),
    ]


def test_another_teams_notes_are_not_counted(world: World) -> None:
    lead = world.lead("wecom:wangwu", "乙", created=at("2026-12-01T09:00"))
    world.note(lead, at("2026-12-14T09:00"), tags=("price_sensitive",))
    assert topics(world.session, scope(world), NOW, TZ, world.rules).tags == ()


def test_a_tag_clicks_through_to_its_notes_newest_first_in_pages(world: World) -> None:
    lead = world.lead("wecom:zhangwei", "甲", created=at("2026-12-01T09:00"))
    for day in range(3):
        world.note(lead, at("2026-12-10T09:00") + timedelta(days=day), tags=("price_sensitive",), text=f"嫌贵{day}")
    world.note(lead, at("2026-12-14T09:00"), text="没标签")
    first = notes(world.session, scope(world), NOW, TZ, world.rules, tag="price_sensitive", per_page=2)
    second = notes(world.session, scope(world), NOW, TZ, world.rules, tag="price_sensitive", per_page=2, page=2)
    assert ([n.text for n in first.items], first.total, first.pages) == (["嫌贵2", "嫌贵1"], 3, 2)
    assert [(n.text, n.company, n.author_name, n.tags) for n in second.items] == [
        ("嫌贵0", "甲", "张伟", ("price_sensitive",))
    ]


def test_a_term_clicks_through_to_the_notes_containing_it_literally(world: World) -> None:
    lead = world.lead("wecom:zhangwei", "甲", created=at("2026-12-01T09:00"))
    world.note(lead, at("2026-12-14T09:00"), text="要样机")
    world.note(lead, at("2026-12-14T10:00"), text="折扣50%可以")
    world.note(lead, at("2026-12-14T11:00"), text="折扣500")
    assert [n.text for n in notes(world.session, scope(world), NOW, TZ, world.rules, term="样机").items] == ["要样机"]
    assert [n.text for n in notes(world.session, scope(world), NOW, TZ, world.rules, term="50%").items] == [
        "折扣50%可以"
    ]


def test_an_unknown_tag_is_refused(world: World) -> None:
    with pytest.raises(InvalidInput):
        notes(world.session, scope(world), NOW, TZ, world.rules, tag="nope")


def test_the_top_terms_of_the_scopes_notes_leave_out_customer_names_and_routine_words(world: World) -> None:
    lead = world.lead("wecom:zhangwei", "宁波海天", created=at("2026-12-01T09:00"))
    for text in ["宁波海天嫌贵，在和竞品比价", "海天要样机，关注交期", "今天电话沟通，海天还是嫌贵"]:
        world.note(lead, at("2026-12-14T09:00"), text=text)
    found = corpus(world.session, scope(world), NOW, TZ, world.rules)
    terms = top_terms(found.texts, names=found.names, k=5)
    assert terms[0].term == "嫌贵" and terms[0].notes == 2
    words = {t.term for t in terms}
    assert {"竞品", "样机"} <= words and not words & {"海天", "宁波", "电话", "沟通", "今天"}


def test_no_notes_give_no_terms() -> None:
    assert top_terms([]) == []
