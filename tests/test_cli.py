"""The `salesbot` command, invoked as a user would, on a throwaway SQLite database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.cli import main

NOTE = "今天拜访杭州华力机械王总 13912345678 嫌贵 要样机 下周三再约"
NOW = "2026-11-25T10:00:00+08:00"


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Run `salesbot ARGS` with stdin; the working directory has no .env, the database is fresh."""
    monkeypatch.chdir(tmp_path)
    env = {"SALESBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}"}

    def invoke(*args: str, stdin: str = "", extra_env: dict[str, str] | None = None) -> Result:
        return CliRunner().invoke(main, list(args), input=stdin, env={**env, **(extra_env or {})})

    return invoke


def test_chat_confirms_a_note_then_lists_the_lead(run) -> None:
    result = run("chat", "--as", "wecom:zhangwei", "--now", NOW, stdin=f"{NOTE}\n我的线索\n")
    assert result.exit_code == 0, result.output
    assert "【已记录：杭州华力机械】" in result.output
    assert "联系人：王总" in result.output
    assert "标签：价格敏感、需要样机" in result.output
    assert "下次跟进：12月2日（周三）" in result.output
    assert "【我的线索（1）】\n🟢 杭州华力机械 · 王总 · 初访" in result.output


def test_leads_list_json_shows_the_lead_owned_by_its_rep(run) -> None:
    run("chat", "--as", "wecom:zhangwei", "--now", NOW, stdin=f"{NOTE}\n")
    result = run("leads", "list", "--json", "--now", NOW)
    leads = json.loads(result.output)
    assert [(x["company"], x["contact_name"], x["phone"], x["owner"], x["light"]) for x in leads] == [
        ("杭州华力机械", "王总", "13912345678", "wecom:zhangwei", "green")
    ]
    assert leads[0]["tags"] == ["price_sensitive", "needs_sample"]
    assert leads[0]["next_follow_up_at"] == "2026-12-02T10:00:00+08:00"


def test_the_same_note_from_another_rep_reports_the_collision(run) -> None:
    run("chat", "--as", "wecom:zhangwei", "--now", NOW, stdin=f"{NOTE}\n")
    result = run("chat", "--as", "wecom:lisi", "--now", NOW, stdin=f"{NOTE}\n")
    assert "已由其他同事跟进（线索 #1），没有重复创建" in result.output
    assert len(json.loads(run("leads", "list", "--json").output)) == 1
    assert len(json.loads(run("activities", "list", "--json").output)) == 1


def test_list_commands_print_empty_json_arrays_on_a_fresh_database(run) -> None:
    for noun in ("leads", "activities", "outbox", "users", "teams"):
        result = run(noun, "list", "--json")
        assert (result.exit_code, json.loads(result.output)) == (0, []), noun


def test_outbox_list_shows_the_sent_reply(run) -> None:
    run("chat", "--as", "wecom:zhangwei", "--now", NOW, stdin=f"{NOTE}\n")
    [row] = json.loads(run("outbox", "list", "--json").output)
    assert (row["kind"], row["recipient"], row["channel"], row["dedup_key"], row["status"], row["attempts"]) == (
        "reply",
        "wecom:zhangwei",
        "chat",
        "reply:1:0",
        "sent",
        1,
    )


def test_activities_list_json_has_the_contract_fields(run) -> None:
    run("chat", "--as", "wecom:zhangwei", "--now", NOW, stdin=f"{NOTE}\n")
    [row] = json.loads(run("activities", "list", "--json").output)
    assert set(row) == {"id", "lead_id", "author", "type", "text", "tags", "follow_up_at", "source", "created_at"}
    assert (row["author"], row["type"], row["source"], row["created_at"]) == (
        "wecom:zhangwei",
        "visit",
        "chat",
        NOW,
    )


def test_parse_prints_one_contract_object_per_line(run) -> None:
    stdin = (
        json.dumps({"text": "明天下午三点给杭州华力机械王总打电话 13912345678 要报价", "now": NOW}) + "\n" + NOTE + "\n"
    )
    result = run("parse", "--now", NOW, stdin=stdin)
    first, second = (json.loads(line) for line in result.output.splitlines())
    assert set(first) == {
        "tags",
        "activity_type",
        "contact_name",
        "company",
        "phone",
        "amount",
        "follow_up_at",
        "follow_up_has_time",
        "risk_words",
        "stage_signal",
        "parts",
    }
    assert (first["follow_up_at"], first["follow_up_has_time"]) == ("2026-11-26T15:00:00+08:00", True)
    assert (second["follow_up_at"], second["follow_up_has_time"]) == ("2026-12-02T10:00:00+08:00", False)


def test_parse_runs_without_loading_the_database_layer(tmp_path) -> None:
    """`salesbot parse` reads notes and nothing else: SQLAlchemy, Alembic and Flask stay out of its memory."""
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from bot.cli import main\n"
        "try:\n"
        "    main(['parse', '--now', sys.argv[1]])\n"
        "except SystemExit:\n"
        "    pass\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('sqlalchemy', 'alembic', 'flask'))\n"
        "print(loaded, file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, NOW],
        input=NOTE + "\n",
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "SALESBOT_DATA_DIR": str(tmp_path)},
    )
    assert json.loads(done.stdout)["tags"], done.stdout
    assert done.stderr.strip().splitlines()[-1] == "[]"


def test_users_and_teams_are_added_and_listed(run) -> None:
    assert run("users", "add", "wecom:boss", "--name", "王经理", "--role", "manager").exit_code == 0
    assert run("teams", "add", "华东一组", "--manager", "wecom:boss").exit_code == 0
    assert run("users", "add", "wecom:zhangwei", "--name", "张伟", "--team", "华东一组").exit_code == 0
    users = json.loads(run("users", "list", "--json").output)
    assert [(u["name"], u["role"], u["team"], u["identities"]) for u in users] == [
        ("王经理", "manager", None, ["wecom:boss"]),
        ("张伟", "rep", "华东一组", ["wecom:zhangwei"]),
    ]
    [team] = json.loads(run("teams", "list", "--json").output)
    assert (team["name"], team["manager"], team["members"]) == ("华东一组", "wecom:boss", ["wecom:zhangwei"])


def test_adding_a_user_to_an_unknown_team_fails_with_a_clear_message(run) -> None:
    result = run("users", "add", "wecom:zhangwei", "--name", "张伟", "--team", "不存在")
    assert (result.exit_code, result.output.strip()) == (1, "Error: no team named '不存在'")


def test_a_malformed_identity_is_refused(run) -> None:
    result = run("chat", "--as", "zhangwei")
    assert result.exit_code == 2
    assert "is not an identity like wecom:zhangwei" in result.output


def test_leads_add_gives_a_rep_an_untouched_lead(run) -> None:
    run("users", "add", "wecom:zhangwei", "--name", "张伟")
    result = run(
        "leads", "add", "--owner", "wecom:zhangwei", "--company", "上海申通包装", "--contact", "钱工", "--now", NOW
    )
    assert result.exit_code == 0, result.output
    [lead] = json.loads(run("leads", "list", "--json").output)
    assert (lead["company"], lead["owner"], lead["last_activity_at"], lead["created_at"]) == (
        "上海申通包装",
        "wecom:zhangwei",
        None,
        NOW,
    )


def test_a_half_configured_platform_stops_with_the_missing_variable_named(run) -> None:
    result = run("leads", "list", "--json", extra_env={"SALESBOT_WECOM_CORP_ID": "wx5823bf96d3bd56c7"})
    assert result.exit_code == 1
    assert "SALESBOT_WECOM_CORP_ID is set but" in result.output and "SALESBOT_WECOM_TOKEN" in result.output


def test_jobs_run_sweep_reports_what_it_re_enqueued(run) -> None:
    result = run("jobs", "run", "sweep", "--now", NOW)
    assert (result.exit_code, json.loads(result.output)) == (0, {"job": "sweep", "result": {"inbound": 0, "outbox": 0}})


def test_db_upgrade_is_idempotent(run) -> None:
    assert run("db", "upgrade").output == "database is up to date\n"
    assert run("db", "upgrade").output == "database is up to date\n"


def test_an_event_left_unprocessed_by_a_dead_worker_is_picked_up_by_jobs_run_sweep(run, tmp_path: Path) -> None:
    from datetime import datetime

    from bot.inbound import accept
    from bot.platforms.base import InboundMessage
    from bot.runtime import build_runtime
    from config.settings import Settings

    run("db", "upgrade")
    rt = build_runtime(Settings(database_url=f"sqlite:///{tmp_path / 'cli.db'}"))
    message = InboundMessage(
        channel="wecom", sender="wecom:zhangwei", text=NOTE, received_at=datetime.fromisoformat(NOW)
    )
    assert accept(rt, message, platform="wecom", dedup_key="7166436485912345678") == 1
    rt.close()  # the process dies with the job still in its queue

    assert json.loads(run("activities", "list", "--json").output) == []
    result = run("jobs", "run", "sweep", "--now", "2026-11-25T10:05:00+08:00")
    *printed, summary = result.output.splitlines()
    assert json.loads(summary)["result"]["inbound"] == 1
    assert printed[0] == "【已记录：杭州华力机械】"  # no WeCom here: the reply is printed instead
    [activity] = json.loads(run("activities", "list", "--json").output)
    assert (activity["author"], activity["text"]) == ("wecom:zhangwei", NOTE)


def test_nlp_status_names_the_shipped_model_by_default(run) -> None:
    status = json.loads(run("nlp", "status").output)
    assert status["kind"] == "shipped"
    assert status["examples"] >= 2000
    assert "price_sensitive" in status["tags"]


def test_nlp_train_saves_a_deployment_model_that_is_then_in_use(run, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    notes = [("华力机械王总嫌贵", ["price_sensitive"]), ("恒通要样机", ["needs_sample"]), ("东升模具黄了", ["lost"])]
    (corpus / "ours.jsonl").write_text(
        "".join(
            json.dumps({"text": text, "tags": tags, "activity_type": "other", "stage_signal": None}) + "\n"
            for text, tags in notes
        ),
        encoding="utf-8",
    )
    data = tmp_path / "data"
    env = {"SALESBOT_DATA_DIR": str(data)}
    trained = run("nlp", "train", "--corpus", str(corpus), extra_env=env)
    assert trained.exit_code == 0, trained.output
    assert (data / "reader_model.json.gz").is_file()
    status = json.loads(run("nlp", "status", extra_env=env).output)
    assert (status["kind"], status["examples"]) == ("deployment", 3)


def test_nlp_train_learns_a_companys_own_notes_with_the_corpus(run, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    line = {"text": "华力机械王总嫌贵", "tags": ["price_sensitive"], "activity_type": "other", "stage_signal": None}
    (corpus / "ours.jsonl").write_text(json.dumps(line, ensure_ascii=False) + "\n", encoding="utf-8")
    own = tmp_path / "own.jsonl"
    own.write_text(json.dumps({"text": "客户说肉疼", "tags": ["price_sensitive"]}, ensure_ascii=False) + "\n")
    env = {"SALESBOT_DATA_DIR": str(tmp_path / "data")}
    assert run("nlp", "train", "--corpus", str(corpus), "--examples", str(own), extra_env=env).exit_code == 0
    status = json.loads(run("nlp", "status", extra_env=env).output)
    assert status["sources"] == {"corpus": 1, "examples": 1}


def test_nlp_train_refuses_an_unreadable_example_file(run, tmp_path: Path) -> None:
    own = tmp_path / "own.jsonl"
    own.write_text('{"text": "客户说肉疼"}\n', encoding="utf-8")
    result = run("nlp", "train", "--examples", str(own))
    assert result.exit_code != 0
    assert "own.jsonl line 1" in result.output


def test_nlp_train_without_a_corpus_says_where_it_looked(run, tmp_path: Path) -> None:
    result = run("nlp", "train", "--corpus", str(tmp_path))
    assert result.exit_code != 0
    assert str(tmp_path) in result.output and "--corpus" in result.output


def test_targets_are_set_changed_and_listed_as_json(run) -> None:
    assert run("users", "add", "wecom:boss", "--name", "王经理", "--role", "manager").exit_code == 0
    assert run("teams", "add", "华东一组", "--manager", "wecom:boss").exit_code == 0
    assert run("users", "add", "wecom:zhangwei", "--name", "张伟", "--team", "华东一组").exit_code == 0
    result = run("targets", "set", "--team", "华东一组", "--month", "2026-12", "--amount", "1000000")
    assert (result.exit_code, result.output) == (0, "target 2026-12: 华东一组 1000000\n")
    assert run("targets", "set", "--team", "华东一组", "--month", "2026-12", "--amount", "2000000").exit_code == 0
    assert run("targets", "set", "--rep", "wecom:zhangwei", "--month", "2026-12", "--amount", "500000").exit_code == 0
    assert json.loads(run("targets", "list", "--json").output) == [
        {"team": "华东一组", "rep": None, "month": "2026-12", "amount": 2000000},
        {"team": None, "rep": "wecom:zhangwei", "month": "2026-12", "amount": 500000},
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--team", "华东一组", "--month", "12/2026", "--amount", "1"], "Error: month must be YYYY-MM, got '12/2026'"),
        (["--month", "2026-12", "--amount", "1"], "Error: give either a team or a rep"),
        (["--team", "不存在", "--month", "2026-12", "--amount", "1"], "Error: no team named '不存在'"),
    ],
)
def test_a_bad_target_on_the_command_line_fails_with_a_clear_message(run, args: list[str], message: str) -> None:
    result = run("targets", "set", *args)
    assert (result.exit_code, result.output.strip()) == (1, message)
