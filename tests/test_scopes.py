"""Scopes as a matrix: who sees whose lead, person and team. A rep sees their own; a manager their teams'
members; an admin everything. Chat's `can_act` follows the same rule."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import pytest

from storage.leads import can_act
from storage.refusals import Refusal, Why
from storage.scopes import ScopeKind, lead_in_scope, scope_of, team_in_scope, user_in_scope, visible_people
from tests.cockpit_world import World, at, build_world

VIEWERS = ("wecom:zhangwei", "wecom:lisi", "wecom:boss1", "wecom:boss2", "wecom:admin")
# Whose things each viewer may see: 张伟's (华东一组) and 王五's (华南二组).
SEES = {
    "wecom:zhangwei": {"wecom:zhangwei"},
    "wecom:lisi": {"wecom:lisi"},
    "wecom:boss1": {"wecom:zhangwei", "wecom:lisi", "wecom:boss1"},
    "wecom:boss2": {"wecom:wangwu", "wecom:boss2"},
    "wecom:admin": {"wecom:zhangwei", "wecom:lisi", "wecom:wangwu", "wecom:boss1", "wecom:boss2", "wecom:admin"},
}
TEAMS = {"wecom:boss1": {"华东一组"}, "wecom:boss2": {"华南二组"}, "wecom:admin": {"华东一组", "华南二组"}}


def assert_checked(check: Callable[[int], Any], row: Any, *, visible: bool, why: Why) -> None:
    """`check(row.id)` returns the row when it is visible, and refuses it with `why` otherwise."""
    if visible:
        assert check(row.id) is row
    else:
        with pytest.raises(Refusal) as refused:
            check(row.id)
        assert refused.value.why == why


@pytest.fixture
def world(db_url: str) -> Iterator[World]:
    yield from build_world(db_url)


@pytest.mark.parametrize("viewer", VIEWERS)
@pytest.mark.parametrize("owner", ["wecom:zhangwei", "wecom:wangwu"])
def test_a_lead_is_visible_exactly_to_its_owner_their_manager_and_admins(world: World, viewer: str, owner: str) -> None:
    lead = world.lead(owner, "杭州华力机械", created=at("2026-11-20T09:00"))
    check = partial(lead_in_scope, world.session, scope_of(world.session, world.user(viewer)))
    assert_checked(check, lead, visible=owner in SEES[viewer], why=Why.LEAD_NOT_YOURS)


@pytest.mark.parametrize("viewer", VIEWERS)
@pytest.mark.parametrize("owner", ["wecom:zhangwei", "wecom:wangwu"])
def test_chat_permissions_agree_with_the_scope(world: World, viewer: str, owner: str) -> None:
    lead = world.lead(owner, "杭州华力机械", created=at("2026-11-20T09:00"))
    assert can_act(world.session, world.user(viewer), lead) == (owner in SEES[viewer])


@pytest.mark.parametrize("viewer", VIEWERS)
@pytest.mark.parametrize("person", ["wecom:zhangwei", "wecom:wangwu"])
def test_a_person_is_visible_to_themselves_their_manager_and_admins(world: World, viewer: str, person: str) -> None:
    check = partial(user_in_scope, world.session, scope_of(world.session, world.user(viewer)))
    assert_checked(check, world.user(person), visible=person in SEES[viewer], why=Why.USER_NOT_IN_SCOPE)


@pytest.mark.parametrize("viewer", VIEWERS)
@pytest.mark.parametrize("team", ["华东一组", "华南二组"])
def test_a_team_is_visible_to_its_manager_and_admins_only(world: World, viewer: str, team: str) -> None:
    check = partial(team_in_scope, world.session, scope_of(world.session, world.user(viewer)))
    assert_checked(check, world.team(team), visible=team in TEAMS.get(viewer, set()), why=Why.TEAM_NOT_IN_SCOPE)


def test_unknown_ids_are_refused_like_foreign_ones(world: World) -> None:
    scope = scope_of(world.session, world.user("wecom:admin"))
    with pytest.raises(Refusal) as lead:
        lead_in_scope(world.session, scope, 999_999)
    with pytest.raises(Refusal) as user:
        user_in_scope(world.session, scope, 999_999)
    with pytest.raises(Refusal) as team:
        team_in_scope(world.session, scope, 999_999)
    assert (lead.value.why, user.value.why, team.value.why) == (
        Why.LEAD_GONE,
        Why.USER_NOT_IN_SCOPE,
        Why.TEAM_NOT_IN_SCOPE,
    )


@pytest.mark.parametrize("viewer", VIEWERS)
def test_the_scope_filter_keeps_the_same_people_as_the_checks(world: World, viewer: str) -> None:
    scope = scope_of(world.session, world.user(viewer))
    names = {u.identities[0].key for u in visible_people(world.session, scope)}
    assert names == SEES[viewer]


def test_each_role_gets_its_kind_of_scope(world: World) -> None:
    kinds = [scope_of(world.session, world.user(v)).kind for v in ("wecom:zhangwei", "wecom:boss1", "wecom:admin")]
    assert kinds == [ScopeKind.OWN, ScopeKind.TEAMS, ScopeKind.ALL]


def test_the_manager_of_a_parent_team_sees_the_sub_teams_leads(world: World) -> None:
    parent = world.team("华东一组")
    child = world.team("华南二组")
    child.parent_id = parent.id
    world.session.flush()
    lead = world.lead("wecom:wangwu", "宁波海天", created=at("2026-11-20T09:00"))
    scope = scope_of(world.session, world.user("wecom:boss1"))
    assert lead_in_scope(world.session, scope, lead.id) is lead
    assert team_in_scope(world.session, scope, child.id) is child
