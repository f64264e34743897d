"""storage.bulk: many rows into a table (COPY on PostgreSQL, multi-row INSERTs on SQLite), in the caller's
transaction, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest
from sqlalchemy import select

from bot.runtime import Runtime
from storage.bulk import insert_rows
from storage.models import Lead, Reminder, User
from storage.people import add_user
from storage.states import LeadSource, ReminderStatus
from tests.conftest import NOW


@pytest.fixture
def rep(rt: Runtime) -> int:
    with rt.transaction() as s:
        return add_user(s, "wecom:zhangwei", name="张伟", role="rep", team=None, now=NOW).id


def lead_row(rep: int, n: int) -> dict[str, object]:
    return {
        "company": f"杭州第{n}机械有限公司",
        "company_key": f"杭州第{n}机械",
        "contact_name": "王总",
        "phone": f"139{n:08d}",
        "owner_id": rep,
        "stage": "lead",
        "stage_entered_at": NOW,
        "amount": 125_000,
        "source": LeadSource.IMPORT,
        "created_at": NOW,
        "last_activity_at": NOW - timedelta(days=3),
        "next_follow_up_at": None,
        "lost_reason": None,
        "lost_note": None,
    }


def test_rows_get_ids_in_their_order_and_read_back_as_written(rt: Runtime, rep: int) -> None:
    with rt.transaction() as s:
        ids = insert_rows(s, Lead.__table__, [lead_row(rep, n) for n in range(1, 1201)], ids=True)
    with rt.transaction() as s:
        leads = {lead.id: lead for lead in s.scalars(select(Lead))}
    assert ids == sorted(ids) and len(set(ids)) == 1200
    assert [leads[i].company for i in ids[:2]] == ["杭州第1机械有限公司", "杭州第2机械有限公司"]
    first = leads[ids[0]]
    assert (first.source, first.amount, first.phone) == (LeadSource.IMPORT, 125_000, "13900000001")
    assert first.last_activity_at == (NOW - timedelta(days=3)).astimezone(UTC)  # stored as UTC, read back aware


def test_a_column_the_rows_leave_out_takes_its_default(rt: Runtime, rep: int) -> None:
    with rt.transaction() as s:
        (lead_id,) = insert_rows(s, Lead.__table__, [lead_row(rep, 1)], ids=True)
    with rt.transaction() as s:
        assert s.get(Lead, lead_id).next_follow_up_has_time is False  # type: ignore[union-attr]


def test_rows_without_ids_wanted_are_inserted_and_go_with_a_rolled_back_transaction(rt: Runtime, rep: int) -> None:
    with rt.transaction() as s:
        (lead_id,) = insert_rows(s, Lead.__table__, [lead_row(rep, 1)], ids=True)
    reminder = {
        "lead_id": lead_id,
        "activity_id": None,
        "user_id": rep,
        "kind": "follow_up",
        "due_at": NOW + timedelta(days=1),
        "has_time": False,
        "status": ReminderStatus.PENDING,
        "settled_by_activity_id": None,
        "created_at": NOW,
        "sent_at": None,
    }
    with pytest.raises(RuntimeError), rt.transaction() as s:
        assert insert_rows(s, Reminder.__table__, [reminder]) == []
        assert s.scalar(select(Reminder.status)) is ReminderStatus.PENDING
        raise RuntimeError("undo")
    with rt.transaction() as s:
        assert s.scalars(select(Reminder)).all() == []
        assert s.scalar(select(User.id)) == rep
