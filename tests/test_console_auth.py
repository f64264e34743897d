"""Getting into the cockpit and out again: one-time links, sessions, CSRF, logout, `salesbot console link`."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot import runtime
from bot.cli import main
from bot.console import console_secret
from bot.runtime import Runtime
from tests.conftest import make_runtime
from tests.console_site import Site, build_site


@pytest.fixture
def site(rt: Runtime) -> Site:
    return build_site(rt)


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no CSRF field"
    return found[1]


def test_a_link_opens_a_session_and_lands_on_the_home_page(site: Site) -> None:
    client = site.app.test_client()
    answer = client.get(site.path(site.link("manager")))
    assert answer.status_code == 302
    assert answer.headers["Location"] == "/console/"
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/console" in cookie
    assert "Secure" not in cookie  # the default public URL is plain http


def test_links_are_built_on_the_public_url_and_name_no_one(site: Site) -> None:
    link = site.link("manager")
    assert link.startswith("http://127.0.0.1:8000/console/enter/")
    assert "boss1" not in link and "王" not in link


def test_a_replayed_link_is_refused_and_shows_nothing(site: Site) -> None:
    link = site.path(site.link("manager"))
    assert site.app.test_client().get(link).status_code == 302
    second = site.app.test_client().get(link)
    assert second.status_code == 403
    assert "王经理" not in second.get_data(as_text=True)
    assert "Set-Cookie" not in second.headers


def test_an_expired_link_is_refused(site: Site) -> None:
    old = site.link("manager", now=datetime.now(UTC) - timedelta(minutes=11))
    assert site.app.test_client().get(site.path(old)).status_code == 403


def test_a_tampered_link_is_refused(site: Site) -> None:
    link = site.path(site.link("manager"))
    token = link.rsplit("/", 1)[1]
    forged = link[: -len(token)] + token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert site.app.test_client().get(forged).status_code == 403
    assert site.app.test_client().get("/console/enter/nonsense").status_code == 403


def test_a_link_signed_with_another_key_is_refused(site: Site, db_url: str) -> None:
    other = make_runtime(db_url)
    other.settings = replace(other.settings, secret_key="a-different-secret-key-0123456789")
    try:
        foreign = Site(other, site.app, site.ids).link("manager")
    finally:
        other.close()
    assert site.app.test_client().get(site.path(foreign)).status_code == 403


def test_pages_need_a_session(site: Site) -> None:
    answer = site.app.test_client().get("/console/")
    assert answer.status_code == 401
    assert "看板" in answer.get_data(as_text=True)


def test_logout_without_the_csrf_token_is_refused(site: Site) -> None:
    client = site.client("manager")
    assert client.post("/console/logout").status_code == 400
    assert client.post("/console/logout", data={"csrf_token": "forged"}).status_code == 400
    assert client.get("/console/").status_code == 200  # still signed in


def test_logout_ends_the_session(site: Site) -> None:
    client = site.client("manager")
    token = _csrf(client.get("/console/").get_data(as_text=True))
    assert client.post("/console/logout", data={"csrf_token": token}).status_code == 200
    assert client.get("/console/").status_code == 401


def test_the_session_cookie_is_secure_behind_https(rt: Runtime) -> None:
    rt.settings = replace(rt.settings, public_url="https://crm.example.com")
    site = build_site(rt)
    answer = site.app.test_client().get(site.path(site.link("manager")))
    assert "Secure" in answer.headers["Set-Cookie"]


def test_pages_load_nothing_from_outside(site: Site) -> None:
    answer = site.client("manager").get("/console/")
    policy = answer.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy
    assert "http" not in re.sub(r'href="/console[^"]*"', "", answer.get_data(as_text=True)).replace("http-equiv", "")
    assert answer.headers["Referrer-Policy"] == "no-referrer"


def test_every_web_process_agrees_on_the_generated_secret(rt: Runtime, db_url: str) -> None:
    other = make_runtime(db_url)
    try:
        assert console_secret(rt) == console_secret(other)
        assert len(console_secret(rt)) >= 40
    finally:
        other.close()


def test_a_configured_secret_key_is_used_as_it_is(rt: Runtime) -> None:
    rt.settings = replace(rt.settings, secret_key="configured-secret-key-0123456789abcdef")
    assert console_secret(rt) == "configured-secret-key-0123456789abcdef"


def test_console_link_prints_a_link_that_opens_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    env = {
        "SALESBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "SALESBOT_PUBLIC_URL": "https://crm.example.com/",
    }
    runner = CliRunner()
    assert runner.invoke(main, ["users", "add", "wecom:boss1", "--name", "王经理"], env=env).exit_code == 0
    result = runner.invoke(main, ["console", "link", "--as", "wecom:boss1"], env=env)
    assert result.exit_code == 0, result.output
    link = result.output.strip()
    assert link.startswith("https://crm.example.com/console/enter/")
    from config.settings import load

    with runtime.installed(runtime.build_runtime(load(env, env_file=None))) as rt:
        from bot.app import create_app

        client = create_app(rt.settings, rt).test_client()
        path = link.removeprefix("https://crm.example.com")
        assert client.get(path).status_code == 302
        assert client.get(path).status_code == 403


def test_console_link_for_an_unknown_person_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    env = {"SALESBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}"}
    result = CliRunner().invoke(main, ["console", "link", "--as", "wecom:nobody"], env=env)
    assert result.exit_code == 1
    assert "no user wecom:nobody" in result.output


def test_pages_are_never_cached_but_the_stylesheet_may_be(site: Site) -> None:
    client = site.client("manager")
    assert client.get("/console/").headers["Cache-Control"] == "no-store"
    assert "no-store" not in client.get("/console/static/console.css").headers.get("Cache-Control", "")
