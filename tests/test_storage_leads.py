from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.runtime import Runtime
from config.rules import default_rules
from storage.leads import Refusal, company_key, lead_for_actor, light, match_or_create_lead
from storage.people import add_team, add_user, ensure_user
from storage.refusals import Why

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
RULES = default_rules()


def test_company_key_ignores_legal_form_width_case_and_spaces() -> None:
    assert company_key("杭州华力机械有限公司") == company_key("杭州 华力机械") == "杭州华力机械"
    assert company_key("ＡＢＣ Tech Co., Ltd.") == company_key("abc tech") == "abctech"


def test_company_key_keeps_the_city_so_namesakes_stay_apart() -> None:
    assert company_key("杭州华力机械") != company_key("苏州华力机械")


def test_a_note_about_a_new_customer_creates_a_lead_for_the_author(rt: Runtime) -> None:
    with rt.transaction() as s:
        rep = ensure_user(s, "wecom:zhangwei", name="张伟", now=NOW)
        match = match_or_create_lead(
            s, rep, company="杭州华力机械", contact_name="王总", phone="13912345678", now=NOW, rules=RULES
        )
        assert match is not None
        assert (match.created, match.owned_by_other, match.lead.owner_id, match.lead.stage) == (
            True,
            False,
            rep.id,
            "lead",
        )


def test_phone_matches_before_company_name(rt: Runtime) -> None:
    with rt.transaction() as s:
        rep = ensure_user(s, "wecom:zhangwei", name="张伟", now=NOW)
        first = match_or_create_lead(
            s, rep, company="华力机械", contact_name=None, phone="13912345678", now=NOW, rules=RULES
        )
        again = match_or_create_lead(
            s, rep, company="完全不同的名字", contact_name="王总", phone="13912345678", now=NOW, rules=RULES
        )
        assert first is not None and again is not None
        assert (again.lead.id, again.created, again.lead.contact_name) == (first.lead.id, False, "王总")


def test_a_note_without_company_or_phone_matches_nothing(rt: Runtime) -> None:
    with rt.transaction() as s:
        rep = ensure_user(s, "wecom:zhangwei", name="张伟", now=NOW)
        assert match_or_create_lead(s, rep, company=None, contact_name="王总", phone=None, now=NOW, rules=RULES) is None


def test_another_reps_customer_is_reported_not_duplicated(rt: Runtime) -> None:
    with rt.transaction() as s:
        owner = ensure_user(s, "wecom:zhangwei", name="张伟", now=NOW)
        other = ensure_user(s, "wecom:lisi", name="李四", now=NOW)
        mine = match_or_create_lead(
            s, owner, company="杭州华力机械有限公司", contact_name=None, phone=None, now=NOW, rules=RULES
        )
        theirs = match_or_create_lead(
            s, other, company="杭州华力机械", contact_name="王总", phone=None, now=NOW, rules=RULES
        )
        assert mine is not None and theirs is not None
        assert (theirs.lead.id, theirs.owned_by_other, theirs.lead.contact_name) == (mine.lead.id, True, None)


def test_only_owner_their_manager_and_admins_may_act_on_a_lead(rt: Runtime) -> None:
    with rt.transaction() as s:
        rep = add_user(s, "wecom:zhangwei", name="张伟", role="rep", team=None, now=NOW)
        boss = add_user(s, "wecom:boss", name="王经理", role="manager", team=None, now=NOW)
        add_team(s, "华东", manager_key="wecom:boss", now=NOW)
        add_user(s, "wecom:zhangwei", name="张伟", role="rep", team="华东", now=NOW)
        other_boss = add_user(s, "wecom:boss2", name="赵经理", role="manager", team=None, now=NOW)
        peer = add_user(s, "wecom:lisi", name="李四", role="rep", team="华东", now=NOW)
        admin = add_user(s, "wecom:admin", name="管理员", role="admin", team=None, now=NOW)
        match = match_or_create_lead(s, rep, company="华力机械", contact_name=None, phone=None, now=NOW, rules=RULES)
        assert match is not None
        lead_id = match.lead.id
        for allowed in (rep, boss, admin):
            assert lead_for_actor(s, allowed, lead_id).id == lead_id
        for refused in (peer, other_boss):
            with pytest.raises(Refusal) as refused_with:
                lead_for_actor(s, refused, lead_id)
            assert (refused_with.value.why, refused_with.value.lead) == (Why.LEAD_NOT_YOURS, match.lead)


@pytest.mark.parametrize(
    ("idle_days", "expected"), [(0, "green"), (6.9, "green"), (7, "yellow"), (13.9, "yellow"), (14, "red")]
)
def test_light_follows_days_without_activity(rt: Runtime, idle_days: float, expected: str) -> None:
    with rt.transaction() as s:
        rep = ensure_user(s, "wecom:zhangwei", name="张伟", now=NOW)
        match = match_or_create_lead(s, rep, company="华力机械", contact_name=None, phone=None, now=NOW, rules=RULES)
        assert match is not None
        match.lead.last_activity_at = NOW
        assert light(match.lead, NOW + timedelta(days=idle_days), RULES) == expected


def test_closed_leads_never_turn_red(rt: Runtime) -> None:
    with rt.transaction() as s:
        rep = ensure_user(s, "wecom:zhangwei", name="张伟", now=NOW)
        match = match_or_create_lead(s, rep, company="华力机械", contact_name=None, phone=None, now=NOW, rules=RULES)
        assert match is not None
        match.lead.stage = "won"
        assert light(match.lead, NOW + timedelta(days=60), RULES) == "green"
