"""The cockpit's pages and actions over HTTP (Flask's test client): scopes as a matrix, the alert actions with the
card buttons' effects, CSRF on every action, and no lead data in URLs or logs."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from bot.runtime import Runtime
from storage.models import Alert, Lead, OutboxMessage, User
from storage.people import find_team
from tests.console_site import Seeded, Site, alert_ids, build_site, seed


@pytest.fixture
def site(rt: Runtime) -> Site:
    return build_site(rt)


@pytest.fixture
def leads(site: Site) -> Seeded:
    return seed(site.rt, datetime.now(UTC))


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found
    return found[1]


def _act(site: Site, who: str, action: str, lead_id: int, **extra: object):
    client = site.client(who)
    token = _csrf(client.get("/console/").get_data(as_text=True))
    data = {"csrf_token": token, "alert_id": [str(i) for i in alert_ids(site.rt, lead_id)], **extra}
    return client.post(f"/console/act/{action}", data=data)


def _alerts(site: Site, lead_id: int) -> list[Alert]:
    with site.rt.transaction() as db:
        rows = list(db.scalars(select(Alert).where(Alert.lead_id == lead_id)))
        db.expunge_all()
        return rows


# ---------------------------------------------------------------- scopes


@pytest.mark.parametrize(
    ("who", "sees", "does_not_see"),
    [
        ("rep", ["杭州华力机械"], ["广州南方电气"]),
        ("manager", ["杭州华力机械"], ["广州南方电气"]),
        ("other_manager", ["广州南方电气"], ["杭州华力机械"]),
        ("admin", ["杭州华力机械", "广州南方电气"], []),
    ],
)
@pytest.mark.usefixtures("leads")
def test_the_high_risk_list_holds_only_leads_in_the_viewers_scope(
    site: Site, who: str, sees: list[str], does_not_see: list[str]
) -> None:
    html = site.client(who).get("/console/list/risk").get_data(as_text=True)
    for company in sees:
        assert company in html
    for company in does_not_see:
        assert company not in html


@pytest.mark.usefixtures("leads")
def test_the_home_page_counts_the_viewers_own_figures(site: Site) -> None:
    html = site.client("rep").get("/console/").get_data(as_text=True)
    today = re.search(r'id="n-today".*?<b>(\d+)</b>', html, re.S)
    assert today and today[1] == "1"  # 苏州明达医疗's follow-up is overdue


def test_an_unknown_list_is_not_found(site: Site) -> None:
    assert site.client("manager").get("/console/list/everything").status_code == 404


# ---------------------------------------------------------------- actions


def test_a_manager_takes_a_red_lead_and_the_alert_records_who_acted(site: Site, leads: Seeded) -> None:
    answer = _act(site, "manager", "take", leads.red, next="/console/list/risk")
    assert answer.status_code == 302 and answer.headers["Location"] == "/console/list/risk"
    alerts = _alerts(site, leads.red)
    assert alerts and all(a.handled_by_id == site.ids["manager"] and a.handled_action == "take" for a in alerts)


def test_the_page_after_an_action_says_what_was_done(site: Site, leads: Seeded) -> None:
    client = site.client("manager")
    token = _csrf(client.get("/console/").get_data(as_text=True))
    data = {"csrf_token": token, "alert_id": [str(i) for i in alert_ids(site.rt, leads.red)], "next": "/console/"}
    html = client.post("/console/act/take", data=data, follow_redirects=True).get_data(as_text=True)
    assert "王经理" in html and "✅" in html


def test_nudging_sends_the_rep_the_same_card_the_alert_button_does(site: Site, leads: Seeded) -> None:
    assert _act(site, "manager", "nudge", leads.red).status_code == 302
    with site.rt.transaction() as db:
        nudges = list(db.scalars(select(OutboxMessage).where(OutboxMessage.kind == "nudge")))
        assert [m.recipient for m in nudges] == ["wecom:zhangwei"]
    assert {a.handled_action for a in _alerts(site, leads.red)} == {"nudge"}


def test_reassigning_moves_the_lead_to_the_chosen_rep(site: Site, leads: Seeded) -> None:
    assert _act(site, "manager", "reassign", leads.red, user_id=str(site.ids["rep2"])).status_code == 302
    with site.rt.transaction() as db:
        assert db.get(Lead, leads.red).owner_id == site.ids["rep2"]  # type: ignore[union-attr]


def test_reassigning_to_another_teams_rep_is_refused(site: Site, leads: Seeded) -> None:
    answer = _act(site, "manager", "reassign", leads.red, user_id=str(site.ids["other_rep"]))
    assert answer.status_code == 403
    with site.rt.transaction() as db:
        assert db.get(Lead, leads.red).owner_id == site.ids["rep"]  # type: ignore[union-attr]


def test_snoozing_puts_the_alerts_off(site: Site, leads: Seeded) -> None:
    assert _act(site, "manager", "snooze", leads.red).status_code == 302
    assert {a.status for a in _alerts(site, leads.red)} == {"snoozed"}


@pytest.mark.parametrize("who", ["rep", "other_manager"])
def test_acting_on_an_alert_outside_ones_scope_is_refused(site: Site, leads: Seeded, who: str) -> None:
    answer = _act(site, who, "take", leads.red)
    assert answer.status_code == 403
    assert all(a.handled_by_id is None for a in _alerts(site, leads.red))


def test_an_action_without_the_csrf_token_changes_nothing(site: Site, leads: Seeded) -> None:
    client = site.client("manager")
    answer = client.post("/console/act/take", data={"alert_id": [str(i) for i in alert_ids(site.rt, leads.red)]})
    assert answer.status_code == 400
    assert all(a.handled_by_id is None for a in _alerts(site, leads.red))


def test_an_action_without_a_session_is_refused(site: Site, leads: Seeded) -> None:
    answer = site.app.test_client().post("/console/act/take", data={"alert_id": "1", "csrf_token": "x"})
    assert answer.status_code in (400, 401)
    assert all(a.handled_by_id is None for a in _alerts(site, leads.red))


def test_an_action_never_returns_to_another_site(site: Site, leads: Seeded) -> None:
    answer = _act(site, "manager", "take", leads.red, next="https://evil.example.com/console/")
    assert answer.headers["Location"] == "/console/lights"


def test_forged_alert_ids_are_a_bad_request(site: Site) -> None:
    client = site.client("manager")
    token = _csrf(client.get("/console/").get_data(as_text=True))
    assert client.post("/console/act/take", data={"csrf_token": token, "alert_id": "1 OR 1=1"}).status_code == 400
    assert client.post("/console/act/take", data={"csrf_token": token}).status_code == 400


# ---------------------------------------------------------------- no lead data in URLs or logs


def test_no_lead_data_reaches_urls_or_logs(site: Site, leads: Seeded, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    client = site.client("admin")
    pages = ["/console/", "/console/list/risk", "/console/list/today"]
    html = "".join(client.get(page).get_data(as_text=True) for page in pages)
    _act(site, "manager", "take", leads.red)
    assert "杭州华力机械" in html  # the pages show it…
    urls = re.findall(r'(?:href|action)="([^"]*)"', html)
    for secret in ("杭州华力机械", "苏州明达医疗", "王总", "13912345678"):
        assert not any(secret in url for url in urls)  # …but no link carries it
        assert secret not in caplog.text


# ---------------------------------------------------------------- lights, pipeline, behaviour


@pytest.mark.usefixtures("leads")
def test_the_lights_page_filters_by_rep(site: Site) -> None:
    html = site.client("manager").get(f"/console/lights?rep={site.ids['rep2']}").get_data(as_text=True)
    assert "上海申通包装" in html and "杭州华力机械" not in html


@pytest.mark.usefixtures("leads")
def test_a_rep_filter_outside_the_scope_is_refused(site: Site) -> None:
    assert site.client("manager").get(f"/console/lights?rep={site.ids['other_rep']}").status_code == 403
    assert site.client("rep").get(f"/console/lights?rep={site.ids['rep2']}").status_code == 403


@pytest.mark.parametrize("query", ["light=purple", "stage=nope", "rep=abc", "page=0"])
def test_a_bad_filter_is_a_bad_request(site: Site, query: str) -> None:
    assert site.client("manager").get(f"/console/lights?{query}").status_code == 400


def test_acting_on_a_lead_no_scan_alerted_opens_its_alert(site: Site, leads: Seeded) -> None:
    client = site.client("manager")
    token = _csrf(client.get("/console/lights").get_data(as_text=True))
    answer = client.post("/console/act/take", data={"csrf_token": token, "lead_id": str(leads.yellow)})
    assert answer.status_code == 302
    (alert,) = _alerts(site, leads.yellow)
    assert (alert.handled_by_id, alert.handled_action) == (site.ids["manager"], "take")


def test_a_rep_cannot_open_an_alert_on_their_own_lead(site: Site, leads: Seeded) -> None:
    client = site.client("rep")
    token = _csrf(client.get("/console/lights").get_data(as_text=True))
    assert client.post("/console/act/take", data={"csrf_token": token, "lead_id": str(leads.fresh)}).status_code == 403
    assert _alerts(site, leads.fresh) == []


def test_the_lights_page_shows_who_acted_on_a_lead(site: Site, leads: Seeded) -> None:
    _act(site, "manager", "take", leads.red)
    html = site.client("admin").get(f"/console/lights?rep={site.ids['rep']}").get_data(as_text=True)
    assert re.search(r"杭州华力机械.*?✅ 王经理 已接手跟进", html, re.S)


def test_a_rep_sees_no_action_buttons(site: Site, leads: Seeded) -> None:
    html = site.client("rep").get("/console/lights").get_data(as_text=True)
    assert "杭州华力机械" in html and 'data-action="take"' not in html


@pytest.mark.usefixtures("leads")
def test_the_pipeline_shows_each_stages_probability_and_the_weighted_forecast(site: Site) -> None:
    html = site.client("manager").get("/console/pipeline").get_data(as_text=True)
    assert '需求确认</a></td><td class="n">35%' in html
    assert "<svg" in html and "接下来做什么" in html


@pytest.mark.usefixtures("leads")
def test_the_heat_map_is_an_svg_with_a_row_per_rep(site: Site) -> None:
    html = site.client("manager").get("/console/behaviour").get_data(as_text=True)
    svg = html[html.index("<svg") : html.index("</svg>")]
    assert "张伟" in svg and "李四" in svg and "王五" not in svg
    assert site.client("manager").get("/console/behaviour?type=visit").status_code == 200
    assert site.client("manager").get("/console/behaviour?type=nonsense").status_code == 400


def _team_id(site: Site, name: str) -> int:
    with site.rt.transaction() as db:
        return find_team(db, name).id


@pytest.mark.usefixtures("leads")
def test_an_admins_heat_map_opens_on_one_team_under_the_whole_companys_summary(site: Site) -> None:
    html = site.client("admin").get("/console/behaviour").get_data(as_text=True)
    assert "张伟" in _chart(html) and "王五" not in _chart(html)  # 华东一组, the first by name
    assert "<h2>全公司</h2>" in html and "<h2>各团队</h2>" in html
    assert f'<option value="{_team_id(site, "华南二组")}">华南二组</option>' in html


@pytest.mark.usefixtures("leads")
def test_an_admin_picks_the_team_the_heat_map_shows(site: Site) -> None:
    html = site.client("admin").get(f"/console/behaviour?team={_team_id(site, '华南二组')}").get_data(as_text=True)
    assert "王五" in _chart(html) and "张伟" not in _chart(html)
    assert "<h2>全公司</h2>" in html


@pytest.mark.usefixtures("leads")
def test_the_admins_summary_names_who_has_stopped_logging_anywhere_in_the_company(site: Site) -> None:
    with site.rt.transaction() as db:
        db.execute(update(User).values(created_at=datetime.now(UTC) - timedelta(days=30)))  # all here a month
    html = site.client("admin").get("/console/behaviour").get_data(as_text=True)
    assert "王五（华南二组）：从没记录过，连续两周无新增客户" in html  # another team than the map's
    assert "李四（华东一组）：从没记录过" in html and "李四（华东一组）：从没记录过，" not in html  # a lead this week
    assert "张伟（华东一组）" not in html


@pytest.mark.usefixtures("leads")
def test_a_manager_sees_their_own_teams_map_without_the_company_summary(site: Site) -> None:
    html = site.client("manager").get("/console/behaviour").get_data(as_text=True)
    assert "全公司" not in html and "张伟" in _chart(html)
    assert site.client("manager").get(f"/console/behaviour?team={_team_id(site, '华南二组')}").status_code == 403


# ---------------------------------------------------------------- what customers raise


@pytest.mark.usefixtures("leads")
def test_the_topics_page_counts_tags_and_links_each_to_its_notes(site: Site) -> None:
    html = site.client("manager").get("/console/topics").get_data(as_text=True)
    assert '<a href="/console/notes?tag=price_sensitive">价格敏感</a>' in html


@pytest.mark.usefixtures("leads")
def test_a_tag_opens_the_notes_that_raised_it_within_the_scope(site: Site) -> None:
    assert "嫌贵" in site.client("manager").get("/console/notes?tag=price_sensitive").get_data(as_text=True)
    assert "嫌贵" not in site.client("other_manager").get("/console/notes?tag=price_sensitive").get_data(as_text=True)


@pytest.mark.usefixtures("leads")
def test_a_term_opens_the_notes_that_contain_it(site: Site) -> None:
    html = site.client("manager").get("/console/notes?term=样机").get_data(as_text=True)
    assert "拜访王总 嫌贵 要样机" in html


def test_an_unknown_tag_is_a_bad_request(site: Site) -> None:
    assert site.client("manager").get("/console/notes?tag=nonsense").status_code == 400


# ---------------------------------------------------------------- leaderboard history and a rep's page


@pytest.mark.parametrize(
    ("who", "whose", "status"),
    [
        ("rep", "rep", 200),
        ("rep", "rep2", 403),
        ("manager", "rep2", 200),
        ("manager", "other_rep", 403),
        ("admin", "other_rep", 200),
    ],
)
@pytest.mark.usefixtures("leads")
def test_a_reps_page_is_open_to_them_their_manager_and_admins(site: Site, who: str, whose: str, status: int) -> None:
    assert site.client(who).get(f"/console/reps/{site.ids[whose]}").status_code == status


@pytest.mark.usefixtures("leads")
def test_a_reps_page_lists_what_they_must_do_today(site: Site) -> None:
    html = site.client("rep").get(f"/console/reps/{site.ids['rep']}").get_data(as_text=True)
    assert "今日必做" in html and "杭州华力机械" in html


def test_another_teams_leaderboard_is_forbidden(site: Site) -> None:
    with site.rt.transaction() as db:
        from storage.people import find_team

        other = find_team(db, "华南二组").id
    assert site.client("manager").get(f"/console/board?team={other}").status_code == 403
    assert site.client("admin").get(f"/console/board?team={other}").status_code == 200


def test_a_manager_sees_their_teams_leaderboard_history(site: Site) -> None:
    html = site.client("manager").get("/console/board").get_data(as_text=True)
    assert "华东一组" in html and "周" in html


def test_the_reassign_page_offers_the_managers_other_reps(site: Site, leads: Seeded) -> None:
    html = site.client("manager").get(f"/console/reassign/{leads.red}?back=/console/lights").get_data(as_text=True)
    assert "李四" in html and "王五" not in html
    assert f'name="alert_id" value="{alert_ids(site.rt, leads.red)[0]}"' in html


def test_the_reassign_page_of_another_teams_lead_is_forbidden(site: Site, leads: Seeded) -> None:
    assert site.client("manager").get(f"/console/reassign/{leads.other}").status_code == 403
    assert site.client("rep").get(f"/console/reassign/{leads.red}").status_code == 403


def test_a_long_heat_map_comes_in_pages(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.console import pages

    monkeypatch.setattr(pages, "HEAT_ROWS", 1)
    first = site.client("manager").get("/console/behaviour").get_data(as_text=True)
    second = site.client("manager").get("/console/behaviour?page=2").get_data(as_text=True)
    assert "下一页" in first
    assert ("张伟" in _chart(first)) != ("张伟" in _chart(second))


def _chart(html: str) -> str:
    return html[html.index("<svg") : html.index("</svg>")]
