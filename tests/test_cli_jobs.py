"""The jobs through the `salesbot` command on the embedded default, in time order (issue: Jobs, done when)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from tests.fake_wecom import FakeWecom, running

NOTE = "今天拜访杭州华力机械王总 13912345678 嫌贵 要样机 下周三再约"


@pytest.fixture
def robot() -> Iterator[FakeWecom]:
    yield from running()


def test_a_week_of_jobs_each_pushes_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, robot: FakeWecom) -> None:
    monkeypatch.chdir(tmp_path)
    env = {"SALESBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'week.db'}"}

    def salesbot(*args: str, stdin: str = "") -> str:
        result = CliRunner().invoke(main, list(args), input=stdin, env=env)
        assert result.exit_code == 0, result.output
        return result.output

    def job(name: str, now: str) -> tuple[dict[str, int], str]:
        *printed, summary = salesbot("jobs", "run", name, "--now", now).splitlines()
        return json.loads(summary)["result"], "\n".join(printed)

    salesbot("users", "add", "wecom:wangjl", "--name", "王经理", "--role", "manager")
    salesbot("teams", "add", "华东一组", "--manager", "wecom:wangjl")
    salesbot("users", "add", "wecom:zhangwei", "--name", "张伟", "--team", "华东一组")
    salesbot("users", "add", "wecom:lisi", "--name", "李四", "--team", "华东一组")
    salesbot("chat", "--as", "wecom:zhangwei", "--now", "2026-11-25T10:00+08:00", stdin=NOTE + "\n")
    salesbot("leads", "add", "--owner", "wecom:lisi", "--company", "上海申通包装", "--now", "2026-11-25T10:00+08:00")
    salesbot("groups", "add", "--team", "华东一组", "--wecom-webhook", robot.robot_url("0b1c2d3e"))

    assert job("leaderboard", "2026-11-30T09:30+08:00")[0] == {
        "posts": 1,
        "private": 1,
    }  # 李四 logged nothing: not ranked
    assert job("leaderboard", "2026-11-30T09:30+08:00")[0] == {"posts": 0, "private": 0}
    [post] = [r.json for r in robot.calls("webhook/send")]
    assert (
        post["markdown"]["content"].splitlines()[0]
        == '<font color="info">**华东一组 · 第48周（11月23日–11月29日） 排行榜**</font>'
    )

    result, printed = job("escalate", "2026-12-01T11:00+08:00")
    assert result == {"new_alerts": 1, "cards": 1}
    assert printed.splitlines()[:2] == [
        "【高风险待介入】",
        "🆕 上海申通包装（李四负责）：分配于11月25日（周三），至今无人跟进",
    ]
    assert job("escalate", "2026-12-01T11:00+08:00")[0] == {"new_alerts": 0, "cards": 0}

    result, printed = job("reminders", "2026-12-02T09:05+08:00")
    assert (result["sent"], printed.splitlines()[0]) == (1, "【该跟进了：杭州华力机械】")
    assert job("reminders", "2026-12-02T09:05+08:00")[0]["sent"] == 0

    result, printed = job("escalate", "2026-12-10T11:00+08:00")
    assert result == {"new_alerts": 2, "cards": 1}
    assert printed.splitlines()[:3] == [
        "【线索转红：长期未跟进（2条）】",
        "🔴 杭州华力机械（张伟负责）：已15天没有跟进，上次提到「嫌贵」",
        "🔴 上海申通包装（李四负责）：已15天没有跟进",
    ]
    assert job("escalate", "2026-12-10T11:00+08:00")[0] == {"new_alerts": 0, "cards": 0}
    outbox = json.loads(salesbot("outbox", "list", "--json"))
    assert [row["status"] for row in outbox] == ["sent"] * len(outbox)


def test_outbox_list_hides_group_webhook_keys() -> None:
    from storage.views import masked

    assert masked("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx") == (
        "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=***"
    )
    assert masked("https://open.feishu.cn/open-apis/bot/v2/hook/2f1c9d6e-8b7a") == (
        "https://open.feishu.cn/open-apis/bot/v2/hook/***"
    )
    assert masked("wecom:zhangwei") == "wecom:zhangwei"


def test_group_bots_can_post_without_either_app_configured() -> None:
    import fakeredis

    from bot.platforms import build_senders
    from config.settings import Settings

    assert sorted(build_senders(Settings(), fakeredis.FakeRedis())) == ["feishu_webhook", "wecom_webhook"]
