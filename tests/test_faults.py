"""Fault injection on real PostgreSQL and Redis (SQLite too where it means something): Redis or the database
down while callbacks arrive, workers SIGKILLed mid-message and mid-send, platform APIs failing, and a
load of duplicated deliveries. Observed through rows and the fake platform APIs only.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
from click.testing import CliRunner
from sqlalchemy import distinct, func, select, text
from sqlalchemy.orm import Session

from bot import runtime
from bot.cli import main
from bot.inbound import accept
from bot.periodic import escalate
from bot.platforms.base import InboundMessage
from bot.platforms.wecom_client import WecomClient
from bot.platforms.wecom_send import AppSender
from bot.tasks import sweep
from jobs.queue import ThreadWorker
from storage.leads import add_assigned_lead
from storage.models import Activity, Alert, InboundEvent, Lead, OutboxMessage
from storage.outbox import BACKOFF, MAX_ATTEMPTS
from storage.people import add_team, add_user
from tests.conftest import make_runtime
from tests.fake_wecom import AES_KEY, AGENT_ID, CORP_ID, SECRET, TOKEN, Failure, FakeWecom
from tests.stack import FEISHU_REP, Stack, build_stack, unreachable_database
from tests.waiting import feeder_waits_on_the_inbox, wait_until

DEAD_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1
# Workers in other processes and row locks need a server database.
POSTGRESQL_ONLY = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
SALESBOT = shutil.which("salesbot", path=str(Path(sys.executable).parent))


def later(**delta: float) -> str:
    return (datetime.now(UTC) + timedelta(**delta)).isoformat()


@pytest.fixture
def stack(db_url: str, redis_url: str) -> Iterator[Stack]:
    yield from build_stack(db_url, redis_url=redis_url)


def statuses(stack: Stack) -> list[tuple[str, str]]:
    with stack.rt.transaction() as s:
        return [(e.platform, e.status) for e in s.scalars(select(InboundEvent).order_by(InboundEvent.id))]


def outbox(stack: Stack) -> list[tuple[str, str, int]]:
    with stack.rt.transaction() as s:
        rows = s.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        return [(m.recipient, m.status, m.attempts) for m in rows]


# ---------------------------------------------------------------- Redis down


def test_callbacks_arriving_while_redis_is_down_are_stored_acked_and_processed_once_when_it_returns(
    stack: Stack,
) -> None:
    working = stack.rt.queue
    stack.rt.queue = runtime.make_queue(DEAD_REDIS)
    answers = [
        stack.wecom_text("7441256903418734592").status_code,
        stack.wecom_text("7441256903418734592").status_code,  # WeCom's retry of the same MsgId
        stack.feishu_text("om_aaaa0001", "电话宁波东海塑业李经理 13857426612 要报价").status_code,
        stack.feishu_text("om_aaaa0001", "电话宁波东海塑业李经理 13857426612 要报价").status_code,
    ]
    assert answers == [200, 200, 200, 200]
    assert statuses(stack) == [("wecom", "pending"), ("feishu", "pending")]

    stack.rt.queue = working
    assert working.waiting() == 0  # nothing reached Redis: only the rows know
    assert sweep(later(minutes=1)) == {"inbound": 2, "outbox": 0}
    stack.work()
    assert sweep(later(minutes=2)) == {"inbound": 0, "outbox": 0}
    stack.work()
    assert statuses(stack) == [("wecom", "done"), ("feishu", "done")]
    assert stack.count(Activity) == 2
    assert [s["touser"] for s in stack.wecom_sends] == ["zhangwei"]
    assert [m["receive_id"] for m in stack.feishu.messages] == [FEISHU_REP]
    assert [status for _, status, _ in outbox(stack)] == ["sent", "sent"]


# ---------------------------------------------------------------- database down


@pytest.mark.parametrize("platform", ["wecom", "feishu"])
def test_with_the_database_unreachable_the_webhook_answers_503_and_stores_nothing(
    stack: Stack, db_url: str, tmp_path: Path, platform: str
) -> None:
    post = stack.wecom_text if platform == "wecom" else stack.feishu_text
    with stack.database_at(unreachable_database(db_url, tmp_path)):
        response = post("7441256903418734592" if platform == "wecom" else "om_aaaa0001")
    assert (response.status_code, response.get_json()) == (503, {"error": "database unavailable, try again"})
    assert (stack.count(InboundEvent), stack.rt.queue.waiting()) == (0, 0)


# ---------------------------------------------------------------- workers killed with SIGKILL


@dataclass
class HoldingWecom(FakeWecom):
    """Holds each message/send once it has accepted it, until released. Like WeCom, a template card whose
    task_id was accepted before is answered with errcode 42014 instead of being delivered again."""

    hold: bool = False
    arrived: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    delivered: list[str] = field(default_factory=list)

    def _message_send(self, data: dict[str, Any]) -> dict[str, Any]:
        task = data.get("template_card", {}).get("task_id")
        if task is not None and task in self.delivered:
            return {"errcode": 42014, "errmsg": "task_id exist"}
        self.delivered.append(task or data.get("msgtype", ""))
        if self.hold:
            self.arrived.set()
            self.release.wait(30)
        return super()._message_send(data)


@pytest.fixture
def holding_wecom() -> Iterator[HoldingWecom]:
    server = HoldingWecom().start()
    yield server
    server.release.set()
    server.stop()


@pytest.fixture
def pg_stack(db_url: str, redis_url: str, holding_wecom: HoldingWecom) -> Iterator[Stack]:
    yield from build_stack(db_url, redis_url=redis_url, wecom=holding_wecom)


class Worker:
    """`salesbot worker [--burst]` in its own process group, against the stack's database, Redis and fake WeCom."""

    def __init__(self, stack: Stack, cwd: Path, burst: bool = True) -> None:
        assert SALESBOT is not None
        wecom = stack.wecom.settings()
        env = {k: v for k, v in os.environ.items() if not k.startswith("SALESBOT_")}
        env.update(
            SALESBOT_DATABASE_URL=stack.rt.settings.database_url,
            SALESBOT_REDIS_URL=str(stack.rt.settings.redis_url),
            SALESBOT_WECOM_CORP_ID=CORP_ID,
            SALESBOT_WECOM_AGENT_ID=str(AGENT_ID),
            SALESBOT_WECOM_SECRET=SECRET,
            SALESBOT_WECOM_TOKEN=TOKEN,
            SALESBOT_WECOM_AES_KEY=AES_KEY,
            SALESBOT_WECOM_API_BASE=wecom.api_base,
        )
        self.process = subprocess.Popen(
            [SALESBOT, "worker", *(["--burst"] if burst else [])],
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the work horse and scheduler die with it
        )

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=30)

    def finish(self) -> str:
        output, _ = self.process.communicate(timeout=60)
        assert self.process.returncode == 0, output.decode()
        return output.decode()


def rows(stack: Stack, query: Any, **params: Any) -> list[Any]:
    """Rows of one query in a transaction of its own (pg_stat_activity is frozen within a transaction)."""
    with stack.rt.engine.connect() as conn:
        return list(conn.execute(query, params).all())


def kill_when_blocked(stack: Stack, tmp_path: Path, blocker: Session, table: str) -> None:
    """Start a burst worker, SIGKILL it once it waits on a lock `blocker` holds while inserting into `table`
    (so inside its transaction), release the lock, and wait until the killed transaction is gone."""
    worker = Worker(stack, tmp_path)
    try:
        waiting = text("SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE :insert")
        [(backend,)] = wait_until(
            lambda: rows(stack, waiting, insert=f"INSERT INTO {table} %"), f"the worker to block on {table}"
        )
    finally:
        worker.kill()
        blocker.rollback()
        blocker.close()
    gone = text("SELECT pid FROM pg_stat_activity WHERE pid = :pid")
    wait_until(lambda: not rows(stack, gone, pid=backend), "the killed worker's transaction to end")


@POSTGRESQL_ONLY
def test_a_running_worker_answers_a_message_that_arrives_while_it_waits(pg_stack: Stack, tmp_path: Path) -> None:
    """The long-running worker's feeder is blocked on the inbox when the webhook pushes the event id."""
    worker = Worker(pg_stack, tmp_path, burst=False)
    try:
        wait_until(lambda: feeder_waits_on_the_inbox(pg_stack.rt.queue.connection), "the worker to wait on the inbox")
        assert pg_stack.wecom_text("7441256903418734592").status_code == 200
        wait_until(lambda: pg_stack.wecom.calls("message/send"), "the reply at the fake WeCom API")
    finally:
        worker.stop()
    assert (pg_stack.count(Activity), statuses(pg_stack)) == (1, [("wecom", "done")])


@POSTGRESQL_ONLY
def test_a_worker_killed_in_the_middle_of_a_message_leaves_no_trace_and_the_retry_logs_it_once(
    pg_stack: Stack, tmp_path: Path
) -> None:
    """The worker is killed inside its transaction, after writing the lead and activity and while inserting
    the reply (held on a unique-index lock the test owns). Nothing of it survives; sweep and restart log
    the note once and reply once."""
    stack = pg_stack
    assert stack.wecom_text("7441256903418734592").status_code == 200
    with stack.rt.transaction() as s:
        event_id = s.scalars(select(InboundEvent.id)).one()
    blocker = Session(stack.rt.engine)
    blocker.add(
        OutboxMessage(
            kind="reply",
            recipient="wecom:zhangwei",
            channel="wecom",
            dedup_key=f"reply:{event_id}:0",
            payload={},
            status="pending",
            attempts=0,
            created_at=datetime.now(UTC),
            next_attempt_at=datetime.now(UTC) + timedelta(days=1),
        )
    )
    blocker.flush()  # holds the dedup key's index entry until rolled back
    kill_when_blocked(stack, tmp_path, blocker, "outbox")

    assert (stack.count(Activity), stack.count(OutboxMessage), statuses(stack)) == (0, 0, [("wecom", "pending")])
    assert sweep(later(minutes=1)) == {"inbound": 1, "outbox": 0}
    Worker(stack, tmp_path).finish()
    assert (stack.count(Activity), statuses(stack)) == (1, [("wecom", "done")])
    assert outbox(stack) == [("wecom:zhangwei", "sent", 1)]
    assert len(stack.wecom.calls("message/send")) == 1


@POSTGRESQL_ONLY
def test_a_worker_killed_in_the_middle_of_an_escalation_leaves_no_alert_and_the_rerun_alerts_once(
    pg_stack: Stack, tmp_path: Path
) -> None:
    """The escalation job is killed inside its transaction, while inserting the alert (its foreign key check
    waits on a lead row the test holds FOR UPDATE). Nothing of it survives; the next run alerts the manager
    once, with one card, and a run after that adds nothing."""
    stack = pg_stack
    assigned = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
    with stack.rt.transaction() as s:
        add_user(s, "wecom:zhangwei", name="张伟", role="manager", team=None, now=assigned)
        add_team(s, "华东一组", manager_key="wecom:zhangwei", now=assigned)
        rep = add_user(s, "wecom:lisi", name="李四", role="rep", team="华东一组", now=assigned)
        lead = add_assigned_lead(
            s, rep, company="上海申通包装", contact_name=None, phone=None, now=assigned, rules=stack.rt.rules
        )
        lead_id = lead.id
    due = "2026-12-01T03:00:00+00:00"  # Tuesday 11:00 in Shanghai: more than 72 working hours later
    blocker = Session(stack.rt.engine)
    blocker.execute(select(Lead).where(Lead.id == lead_id).with_for_update())
    stack.rt.queue.enqueue(escalate, due, job_id="escalate-1")
    kill_when_blocked(stack, tmp_path, blocker, "alerts")
    assert (stack.count(Alert), stack.count(OutboxMessage)) == (0, 0)

    for run in (2, 3):
        stack.rt.queue.enqueue(escalate, due, job_id=f"escalate-{run}")
        Worker(stack, tmp_path).finish()
    assert (stack.count(Alert), outbox(stack)) == (1, [("wecom:zhangwei", "sent", 1)])
    assert len(stack.wecom.calls("message/send")) == 1


@POSTGRESQL_ONLY
def test_a_worker_killed_while_sending_resends_once_and_the_platform_absorbs_the_repeat(
    pg_stack: Stack, tmp_path: Path
) -> None:
    """Delivery is at least once: the worker dies after WeCom accepted the card but before it could mark the
    row sent. After the lease runs out the sweep sends again with the same task_id, WeCom answers 42014
    (already delivered), and the row is marked sent. The person sees one card; WeCom sees two requests."""
    stack = pg_stack
    holding = stack.wecom
    assert isinstance(holding, HoldingWecom)
    assert stack.wecom_text("7441256903418734592").status_code == 200
    holding.hold = True
    worker = Worker(stack, tmp_path)
    assert holding.arrived.wait(30), "the worker never sent"
    worker.kill()
    holding.hold = False
    holding.release.set()

    assert (stack.count(Activity), statuses(stack)) == (1, [("wecom", "done")])
    assert outbox(stack) == [("wecom:zhangwei", "pending", 1)]
    assert sweep(later(minutes=1)) == {"inbound": 0, "outbox": 0}  # still leased to the dead worker
    assert sweep(later(minutes=3)) == {"inbound": 0, "outbox": 1}
    Worker(stack, tmp_path).finish()
    assert outbox(stack) == [("wecom:zhangwei", "sent", 2)]
    sends = stack.wecom.calls("message/send")
    assert len(sends) == 2
    assert sends[0].json["template_card"]["task_id"] == sends[1].json["template_card"]["task_id"]
    assert len(holding.delivered) == 1
    assert stack.count(Activity) == 1


# ---------------------------------------------------------------- platform APIs failing


@pytest.fixture
def quick_stack(stack: Stack) -> Stack:
    """The stack with a WeCom sender that gives up on a silent API after half a second."""
    connection = stack.rt.queue.connection
    client = WecomClient(stack.wecom.settings(), connection, timeout=0.5)
    stack.rt.senders["wecom"] = AppSender(client, AGENT_ID, connection)
    return stack


def sent_wecom(stack: Stack) -> int:
    return len([r for r in stack.wecom.calls("message/send") if r.query.get("access_token") == stack.wecom.token])


@pytest.mark.parametrize(
    "failure",
    [Failure(status=502), Failure(drop=True), Failure(delay=1.0), Failure(errcode=45009), Failure(errcode=-1)],
    ids=["http-502", "dropped", "timeout", "rate-limit-45009", "busy-minus-1"],
)
def test_a_wecom_send_failing_transiently_is_retried_after_the_backoff(quick_stack: Stack, failure: Failure) -> None:
    stack = quick_stack
    stack.wecom.fail("message/send", failure)
    stack.wecom_text("7441256903418734592")
    stack.work()
    assert outbox(stack) == [("wecom:zhangwei", "pending", 1)]
    assert sweep(later(seconds=BACKOFF[0].total_seconds() - 2))["outbox"] == 0
    assert sweep(later(seconds=BACKOFF[0].total_seconds() + 2))["outbox"] == 1
    stack.work()
    assert outbox(stack) == [("wecom:zhangwei", "sent", 2)]
    assert len(stack.wecom.calls("message/send")) == 2


@pytest.mark.parametrize(
    ("status", "code"),
    [(500, 0), (502, 0), (400, 99991400), (400, 230020), (500, 1000004)],
    ids=["http-500", "http-502", "app-rate-limit", "target-rate-limit", "internal-error"],
)
def test_a_feishu_send_failing_transiently_is_retried_after_the_backoff(stack: Stack, status: int, code: int) -> None:
    stack.feishu.fail("/open-apis/im/v1/messages", status=status, code=code)
    stack.feishu_text("om_aaaa0001")
    stack.work()
    assert outbox(stack) == [(f"feishu:{FEISHU_REP}", "pending", 1)]
    assert sweep(later(seconds=BACKOFF[0].total_seconds() + 2))["outbox"] == 1
    stack.work()
    assert outbox(stack) == [(f"feishu:{FEISHU_REP}", "sent", 2)]
    assert len(stack.feishu.messages) == 2


def test_expired_access_tokens_are_refreshed_within_the_same_attempt(stack: Stack) -> None:
    stack.wecom_text("7441256903418734592")
    stack.feishu_text("om_aaaa0001", "电话宁波东海塑业李经理 13857426612 要报价")
    stack.work()
    stack.wecom.expire_token()
    stack.feishu.revoke_tokens()
    stack.wecom_text("7441256903418734593", "电话苏州明达医疗器械 13800001111 下周报价")
    stack.feishu_text("om_aaaa0002", "电话宁波东海塑业李经理 13857426612 下周再约")
    stack.work()
    assert [status for _, status, _ in outbox(stack)] == ["sent"] * 4
    assert [attempts for *_, attempts in outbox(stack)] == [1] * 4
    assert len(stack.wecom.calls("gettoken")) == 2
    assert len(stack.feishu.calls("/open-apis/auth/v3/tenant_access_token/internal")) == 2


def outbox_list_json(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[dict[str, Any]]:
    """`salesbot outbox list --json`, as an operator would run it (the command installs its own runtime)."""
    installed = runtime.current()
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["outbox", "list", "--json"], env={"SALESBOT_DATABASE_URL": database_url})
    runtime.install(installed)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_a_send_that_keeps_failing_backs_off_longer_each_time_then_is_failed_and_listed(
    quick_stack: Stack, db_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    stack = quick_stack
    stack.wecom.fail("message/send", *[Failure(status=503)] * MAX_ATTEMPTS)
    stack.wecom_text("7441256903418734592")
    stack.work()
    moment = datetime.now(UTC)
    for wait in BACKOFF:
        moment += wait
        assert sweep((moment - timedelta(seconds=2)).isoformat())["outbox"] == 0
        assert sweep((moment + timedelta(seconds=2)).isoformat())["outbox"] == 1
        stack.work()
        moment += timedelta(seconds=2)
    assert outbox(stack) == [("wecom:zhangwei", "failed", MAX_ATTEMPTS)]
    assert sweep((moment + timedelta(days=1)).isoformat())["outbox"] == 0
    [row] = outbox_list_json(db_url, monkeypatch, tmp_path)
    assert (row["recipient"], row["status"], row["attempts"], row["sent_at"]) == (
        "wecom:zhangwei",
        "failed",
        6,
        None,
    )
    assert row["last_error"] == "WeCom API answered HTTP 503"
    assert len(stack.wecom.calls("message/send")) == MAX_ATTEMPTS


@dataclass
class OneBadRecipient(FakeWecom):
    """WeCom that keeps refusing messages to one member with a frequency-limit error (45009)."""

    refused: str = "lisi"

    def _message_send(self, data: dict[str, Any]) -> dict[str, Any]:
        if data.get("touser") == self.refused:
            return {"errcode": 45009, "errmsg": "api freq out of limit"}
        return super()._message_send(data)


def test_a_recipient_whose_sends_keep_failing_holds_up_nobody_else(db_url: str, redis_url: str) -> None:
    fake = OneBadRecipient().start()
    try:
        for stack in build_stack(db_url, redis_url=redis_url, wecom=fake):
            stack.wecom_text("1001", "电话宁波东海塑业李经理 13857426612 要报价", user="lisi")
            stack.wecom_text("1002")
            stack.wecom_text("1003", "电话苏州明达医疗器械 13800001111 下周报价")
            stack.work()
            assert outbox(stack) == [
                ("wecom:lisi", "pending", 1),
                ("wecom:zhangwei", "sent", 1),
                ("wecom:zhangwei", "sent", 1),
            ]
            moment = datetime.now(UTC) + timedelta(days=1)
            for _ in range(MAX_ATTEMPTS):
                sweep(moment.isoformat())
                stack.work()
                moment += timedelta(hours=1)
            stack.wecom_text("1004", "电话杭州华力机械王总 13912345678 样机已寄出")
            stack.work()
            assert outbox(stack) == [
                ("wecom:lisi", "failed", MAX_ATTEMPTS),
                ("wecom:zhangwei", "sent", 1),
                ("wecom:zhangwei", "sent", 1),
                ("wecom:zhangwei", "sent", 1),
            ]
            assert stack.count(Activity) == 4
    finally:
        fake.stop()


# ---------------------------------------------------------------- load with duplicated deliveries

REPS = 50
MESSAGES = 1000
COMMANDS = ("我的线索", "今日待办", "帮助")
DELIVERIES = 1988  # with the seeds below


def load(seed: int = 7) -> list[tuple[str, str, str]]:
    """(dedup key, sender, text) for 1,000 distinct messages: notes on each rep's own customers (by phone)
    and, every tenth message, a command."""
    rng = random.Random(seed)
    phrases = ("要报价", "嫌贵", "要样机 下周三再约", "预算明确 月底签", "竞品对比中", "明天上午10点再电话")
    messages = []
    for n in range(MESSAGES):
        rep = n % REPS
        if n % 10 == 9:
            body = COMMANDS[n % len(COMMANDS)]
        else:
            phone = f"139{rep:04d}{rng.randrange(6):04d}"
            body = f"电话联系客户{phone} {rng.choice(phrases)}"
        messages.append((f"msg-{n}", f"wecom:rep{rep:02d}", body))
    return messages


@POSTGRESQL_ONLY
def test_a_thousand_messages_from_fifty_reps_delivered_up_to_three_times_give_one_activity_each(
    db_url: str, redis_url: str
) -> None:
    """Deliveries (each message once to three times, shuffled) are accepted from eight threads at once and
    processed by four worker threads, on PostgreSQL and a real Redis."""
    with runtime.installed(make_runtime(db_url, runtime.make_queue(redis_url))) as rt:
        messages = load()
        rng = random.Random(11)
        deliveries = [m for m in messages for _ in range(rng.randint(1, 3))]
        rng.shuffle(deliveries)
        now = datetime.now(UTC)

        def deliver(chunk: list[tuple[str, str, str]]) -> None:
            for key, sender, body in chunk:
                message = InboundMessage(channel="chat", sender=sender, text=body, received_at=now)
                accept(rt, message, platform="wecom", dedup_key=key)

        run_threads(deliver, [deliveries[i::8] for i in range(8)])
        rt.queue.drain_inbox()
        connection = redis.Redis.from_url(redis_url)
        run_threads(
            lambda _: ThreadWorker([rt.queue.rq], connection=connection).work(burst=True, logging_level="WARNING"),
            [None] * 4,
        )
        notes = sum(1 for _, _, body in messages if body not in COMMANDS)
        assert (len(deliveries), notes) == (DELIVERIES, 900)
        with rt.transaction() as s:
            events = s.execute(select(InboundEvent.status, func.count()).group_by(InboundEvent.status)).all()
            activities = s.execute(select(func.count(), func.count(distinct(Activity.inbound_event_id)))).one()
        assert [tuple(row) for row in events] == [("done", MESSAGES)]
        assert tuple(activities) == (notes, notes)
        assert len(rt.senders["chat"].sent) == MESSAGES  # type: ignore[attr-defined]


def run_threads(target: Any, args: list[Any]) -> None:
    errors: list[BaseException] = []

    def guarded(arg: Any) -> None:
        try:
            target(arg)
        except BaseException as exc:  # surfaced below: a thread's failure must fail the test
            errors.append(exc)

    threads = [threading.Thread(target=guarded, args=(arg,)) for arg in args]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
