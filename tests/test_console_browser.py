"""The cockpit in a real browser: headless Chromium logs in through a link, opens every page at phone width
(390 px) and desktop width, acts on a red lead, and the database shows who acted. Nothing may be loaded from
outside the app. Screenshots go to build/screenshots/."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from bot import runtime
from bot.app import create_app
from config.settings import Settings
from storage.models import Alert
from tests.browser import ARGS, CHROMIUM, DESKTOP, PHONE, Served, page_on, screenshot
from tests.conftest import RecordingSender, unavailable
from tests.console_site import Seeded, Site, add_people, seed, seed_showcase

PAGES = {
    "home": "/console/",
    "risk": "/console/list/risk",
    "pipeline": "/console/pipeline",
    "lights": "/console/lights",
    "behaviour": "/console/behaviour",
    "topics": "/console/topics",
    "board": "/console/board",
}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        unavailable("Debian's chromium (apt-get install chromium)", FileNotFoundError(CHROMIUM))
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def served(db_url: str) -> Iterator[tuple[Site, Seeded]]:
    """The real app on a free port (its public URL), over a fresh database with the seeded company."""
    with Served() as server:
        settings = Settings(database_url=db_url, public_url=server.url)
        with runtime.installed(runtime.build_runtime(settings)) as rt:
            rt.senders["chat"] = RecordingSender()
            server.app = create_app(settings, rt)
            now = datetime.now(UTC)
            site = Site(rt, server.app, add_people(rt, now))  # type: ignore[arg-type]
            yield site, seed(rt, now)


def _open(page: Any, url: str) -> None:
    answer = page.goto(url)
    assert answer is not None and answer.status == 200, f"{url}: {answer and answer.status}"


def test_a_manager_opens_the_cockpit_from_a_link_and_takes_a_red_lead(browser: Any, served, db_url: str) -> None:
    site, leads = served
    kind = "sqlite" if db_url.startswith("sqlite") else "postgresql"
    with page_on(browser, site.rt.settings.public_url, PHONE) as (page, outside):
        _open(page, site.link("manager"))
        assert page.url.endswith("/console/")
        assert page.locator("#n-risk b").inner_text() == "2"  # 杭州华力机械 and 上海申通包装, never touched
        page.click("#n-risk")
        row = page.locator(f"#lead-{leads.red}")
        assert "杭州华力机械" in row.inner_text()
        row.locator('button[data-action="take"]').click()
        page.wait_for_selector(".flash")
        assert "王经理" in page.locator(".flash").inner_text()
        screenshot(page, f"acted-phone-{kind}")
        assert outside.urls == []
    with site.rt.transaction() as db:
        alerts = list(db.scalars(select(Alert).where(Alert.lead_id == leads.red)))
        assert alerts and {(a.handled_by_id, a.handled_action) for a in alerts} == {(site.ids["manager"], "take")}


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_every_page_opens_at_phone_and_desktop_width_with_nothing_from_outside(browser: Any, served) -> None:
    site, _ = served
    seed_showcase(site.rt, datetime.now(UTC))
    for name, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        with page_on(browser, site.rt.settings.public_url, viewport) as (page, outside):
            _open(page, site.link("manager"))
            for page_name, path in {**PAGES, "rep": f"/console/reps/{site.ids['rep']}"}.items():
                _open(page, site.rt.settings.public_url + path)
                width = page.evaluate("document.documentElement.scrollWidth")
                assert width <= viewport["width"], f"{page_name} is {width} px wide at {viewport['width']}"
                screenshot(page, f"{page_name}-{name}")
            assert outside.urls == []


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_reps_link_shows_only_their_own_and_another_teams_page_is_forbidden(browser: Any, served) -> None:
    site, _ = served
    with page_on(browser, site.rt.settings.public_url, PHONE) as (page, _outside):
        _open(page, site.link("rep"))
        page.goto(site.rt.settings.public_url + "/console/lights")
        text = page.locator("main").inner_text()
        assert "杭州华力机械" in text and "上海申通包装" not in text and "广州南方电气" not in text
        answer = page.goto(f"{site.rt.settings.public_url}/console/reps/{site.ids['other_rep']}")
        assert answer is not None and answer.status == 403
        assert "王五" not in page.locator("main").inner_text()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_replayed_link_shows_nothing_in_the_browser(browser: Any, served) -> None:
    site, _ = served
    link = site.link("manager")
    with page_on(browser, site.rt.settings.public_url, PHONE) as (page, _):
        _open(page, link)
    with page_on(browser, site.rt.settings.public_url, PHONE) as (page, _):
        answer = page.goto(link)
        assert answer is not None and answer.status == 403
        assert "杭州华力机械" not in page.content() and "王经理" not in page.content()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_an_admin_lands_on_one_teams_heat_map_and_picks_another(browser: Any, served) -> None:
    site, _ = served
    for name, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        with page_on(browser, site.rt.settings.public_url, viewport) as (page, outside):
            _open(page, site.link("admin"))
            _open(page, site.rt.settings.public_url + PAGES["behaviour"])
            assert "全公司" in page.locator("#company").inner_text()
            chart = page.locator("svg").first
            assert "张伟" in chart.inner_html() and "王五" not in chart.inner_html()
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= viewport["width"], f"the admin's heat map is {width} px wide at {viewport['width']}"
            screenshot(page, f"behaviour-admin-{name}")
            page.select_option('select[name="team"]', label="华南二组")
            with page.expect_navigation():
                page.click('form.filters button[type="submit"]')
            chart = page.locator("svg").first
            assert "王五" in chart.inner_html() and "张伟" not in chart.inner_html()
            assert outside.urls == []
