"""Typed models. Every datetime is aware UTC (see storage.db.UTCDateTime)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.db import Base, state_type
from storage.states import (
    AlertLevel,
    AlertRule,
    AlertStatus,
    CorrectionField,
    InboundStatus,
    LeadSource,
    LostReason,
    OutboxStatus,
    ReminderStatus,
    Role,
)

ROLES = tuple(Role)


class Team(Base):
    """A sales team. Teams nest (`parent_id`): a manager sees the teams under theirs. A team synced from a
    directory department carries its `platform` and department id (`external_id`); one made by hand has none."""

    __tablename__ = "teams"
    __table_args__ = (Index("ix_teams_platform_external_id", "platform", "external_id", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", use_alter=True))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    platform: Mapped[str | None] = mapped_column(String(16))
    external_id: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime]

    manager: Mapped[User | None] = relationship(foreign_keys=[manager_id])
    parent: Mapped[Team | None] = relationship(remote_side=[id])

    def __repr__(self) -> str:
        return f"<Team {self.id} {self.name}>"


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[Role] = mapped_column(state_type(Role, "role", 16), default=Role.REP)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    created_at: Mapped[datetime]
    # What the bot is waiting for from this person, e.g. {"reschedule": reminder_id, "until": iso}.
    pending: Mapped[dict | None]
    # Gone from the directory: kept (their leads and history stay), but no longer reached or let in.
    deactivated_at: Mapped[datetime | None]
    # The role was given by an operator (`users add --role`, `teams add`): a directory sync leaves it alone.
    role_by_hand: Mapped[bool] = mapped_column(default=False)

    team: Mapped[Team | None] = relationship(foreign_keys=[team_id])
    identities: Mapped[list[Identity]] = relationship(back_populates="user", order_by="Identity.id")

    def __repr__(self) -> str:
        return f"<User {self.id} {self.name} {self.role}>"


class Identity(Base):
    """A user's account on one platform, written `PLATFORM:ID` (wecom:zhangwei, feishu:ou_…, chat:demo)."""

    __tablename__ = "identities"
    __table_args__ = (UniqueConstraint("platform", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    platform: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(128))

    user: Mapped[User] = relationship(back_populates="identities")

    @property
    def key(self) -> str:
        return f"{self.platform}:{self.external_id}"

    def __repr__(self) -> str:
        return f"<Identity {self.key} user={self.user_id}>"


class GroupTarget(Base):
    """Where a team's group posts (the weekly leaderboard) go."""

    __tablename__ = "group_targets"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(32))  # wecom_webhook | feishu_chat | feishu_webhook
    address: Mapped[str] = mapped_column(String(512))
    secret: Mapped[str | None] = mapped_column(String(256))
    created_at: Mapped[datetime]

    def __repr__(self) -> str:
        return f"<GroupTarget {self.id} team={self.team_id} {self.channel}>"


class Tag(Base):
    __tablename__ = "tags"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    label: Mapped[str] = mapped_column(String(64))

    def __repr__(self) -> str:
        return f"<Tag {self.id}>"


activity_tags = Table(
    "activity_tags",
    Base.metadata,
    Column("activity_id", ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id"), primary_key=True),
)


class Lead(Base):
    """A prospective deal. `company_key` and `phone` are unique so one customer has one lead."""

    __tablename__ = "leads"
    # The escalation scan's range: per stage, by the moment the lead went idle.
    __table_args__ = (
        Index("ix_leads_stage_idle_since", "stage", text("coalesce(last_activity_at, created_at)")),
        # A rep's new leads in a week (leaderboard, cockpit).
        Index("ix_leads_owner_id_created_at", "owner_id", "created_at"),
        # The pipeline's leads that sat longest: walked oldest first until enough open ones are found.
        Index("ix_leads_stage_entered_at", "stage_entered_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company: Mapped[str | None] = mapped_column(String(200))
    company_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    # The block an import looks the lead up by (`nlp.duplicates.block_key` of the company, its 字号), kept by the
    # import: each one brings every lead's block up to date before its first row, so a lead the conversation
    # created or renamed since the last import may hold none or an old one until then.
    name_block: Mapped[str | None] = mapped_column(String(200), index=True)
    contact_name: Mapped[str | None] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    stage: Mapped[str] = mapped_column(String(32))
    # When the lead entered `stage` (the pipeline's age in stage): every path that sets `stage` sets it too.
    stage_entered_at: Mapped[datetime]
    amount: Mapped[int | None]
    source: Mapped[LeadSource] = mapped_column(state_type(LeadSource, "source", 32))
    created_at: Mapped[datetime]
    last_activity_at: Mapped[datetime | None] = mapped_column(index=True)
    next_follow_up_at: Mapped[datetime | None] = mapped_column(index=True)
    next_follow_up_has_time: Mapped[bool] = mapped_column(default=False)
    # Why a lost deal was lost: a category for the weekly report, and the rep's own words.
    lost_reason: Mapped[LostReason | None] = mapped_column(state_type(LostReason, "lost_reason", 16))
    lost_note: Mapped[str | None] = mapped_column(String(200))

    owner: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<Lead {self.id} {self.company or self.phone} owner={self.owner_id}>"


class Activity(Base):
    """One logged touch on a lead. `inbound_event_id` is unique: one inbound message, one activity."""

    __tablename__ = "activities"
    __table_args__ = (
        Index("ix_activities_author_id_created_at", "author_id", "created_at"),
        # The cockpit's heat map over everyone: an index-only scan of a date range.
        Index("ix_activities_created_at_author_id_type", "created_at", "author_id", "type"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    type: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    follow_up_at: Mapped[datetime | None]
    follow_up_has_time: Mapped[bool] = mapped_column(default=False)
    source: Mapped[str] = mapped_column(String(32))  # platform the note came from: wecom | feishu | chat | cli
    inbound_event_id: Mapped[int | None] = mapped_column(ForeignKey("inbound_events.id"), unique=True)
    created_lead: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(index=True)

    lead: Mapped[Lead] = relationship()
    author: Mapped[User] = relationship()
    tags: Mapped[list[Tag]] = relationship(secondary=activity_tags, order_by=Tag.id)

    def __repr__(self) -> str:
        return f"<Activity {self.id} lead={self.lead_id} {self.type}>"


class Reminder(Base):
    """A follow-up the bot will push to `user_id` at `due_at`; one per (activity, kind) and per
    (lead, kind, due time), so SOP cadence nudges are created once."""

    __tablename__ = "reminders"
    __table_args__ = (
        UniqueConstraint("activity_id", "kind"),
        UniqueConstraint("lead_id", "kind", "due_at"),
        Index("ix_reminders_status_due_at", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    activity_id: Mapped[int | None] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(32))  # follow_up | sop_d1 | sop_d3 | …
    due_at: Mapped[datetime]
    has_time: Mapped[bool] = mapped_column(default=False)
    status: Mapped[ReminderStatus] = mapped_column(
        state_type(ReminderStatus, "status", 16), default=ReminderStatus.PENDING
    )
    # The activity that closed this reminder; undoing that activity reopens it.
    settled_by_activity_id: Mapped[int | None] = mapped_column(ForeignKey("activities.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]

    def __repr__(self) -> str:
        return f"<Reminder {self.id} lead={self.lead_id} {self.kind} {self.status}>"


class InboundEvent(Base):
    """Everything a platform delivered to us, stored before the HTTP ack. Unique per platform key."""

    __tablename__ = "inbound_events"
    __table_args__ = (
        UniqueConstraint("platform", "dedup_key"),
        Index("ix_inbound_events_status_received_at", "status", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    dedup_key: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))  # text | voice | card_action | event | unsupported
    sender: Mapped[str] = mapped_column(String(160))  # PLATFORM:ID
    payload: Mapped[dict]
    status: Mapped[InboundStatus] = mapped_column(
        state_type(InboundStatus, "status", 16), default=InboundStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(String(500))
    received_at: Mapped[datetime]
    processed_at: Mapped[datetime | None]

    def __repr__(self) -> str:
        return f"<InboundEvent {self.id} {self.platform}:{self.dedup_key} {self.status}>"


class OutboxMessage(Base):
    """A message the bot owes someone. `dedup_key` is unique, so each effect is sent at most once."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_next_attempt_at", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # reply | reminder | alert | digest | leaderboard
    recipient: Mapped[str] = mapped_column(String(512))  # PLATFORM:ID, or a group target address
    channel: Mapped[str] = mapped_column(String(32))  # wecom | feishu | chat | wecom_webhook | …
    dedup_key: Mapped[str] = mapped_column(String(200), unique=True)
    payload: Mapped[dict]
    status: Mapped[OutboxStatus] = mapped_column(state_type(OutboxStatus, "status", 16), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
    platform_message_id: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]
    next_attempt_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} {self.dedup_key} {self.status}>"


class StageChange(Base):
    """A lead moved from one sales stage to another (the leaderboard counts advances and wins)."""

    __tablename__ = "stage_changes"
    __table_args__ = (
        Index("ix_stage_changes_actor_id_created_at", "actor_id", "created_at"),
        # When a lead entered its stage: its latest change, one index lookup.
        Index("ix_stage_changes_lead_id_created_at", "lead_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    activity_id: Mapped[int | None] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"))
    from_stage: Mapped[str] = mapped_column(String(32))
    to_stage: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(index=True)

    def __repr__(self) -> str:
        return f"<StageChange {self.id} lead={self.lead_id} {self.from_stage}->{self.to_stage}>"


class Alert(Base):
    """A lead that needs a manager: untouched since assignment, or stale (red).

    One row per (lead, rule, level, basis_at): `basis_at` is the moment the idle time counts from (the last
    activity, or the assignment), so each episode of neglect alerts exactly once.
    """

    __tablename__ = "alerts"
    __table_args__ = (
        UniqueConstraint("lead_id", "rule", "level", "basis_at"),
        Index("ix_alerts_status_notified_at", "status", "notified_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    rule: Mapped[AlertRule] = mapped_column(state_type(AlertRule, "rule", 32))
    level: Mapped[AlertLevel] = mapped_column(state_type(AlertLevel, "level", 16))
    basis_at: Mapped[datetime]
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[AlertStatus] = mapped_column(state_type(AlertStatus, "status", 16), default=AlertStatus.OPEN)
    created_at: Mapped[datetime]
    notified_at: Mapped[datetime | None]
    snoozed_until: Mapped[datetime | None]
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    handled_action: Mapped[str | None] = mapped_column(String(32))
    handled_at: Mapped[datetime | None]

    lead: Mapped[Lead] = relationship()

    def __repr__(self) -> str:
        return f"<Alert {self.id} lead={self.lead_id} {self.rule}/{self.level} {self.status}>"


class Correction(Base):
    """A rep set right what the bot had recorded: on a note (`activity_id`) or on its lead, one field's value
    before and after (tags as comma-separated ids). The reader learns from these (`salesbot nlp corrections`)."""

    __tablename__ = "corrections"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    activity_id: Mapped[int | None] = mapped_column(ForeignKey("activities.id", ondelete="SET NULL"), index=True)
    field: Mapped[CorrectionField] = mapped_column(state_type(CorrectionField, "field", 16))
    before: Mapped[str | None] = mapped_column(String(200))
    after: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]

    def __repr__(self) -> str:
        return f"<Correction {self.id} lead={self.lead_id} {self.field}: {self.before!r}->{self.after!r}>"


class Merge(Base):
    """Lead `from_lead_id` was merged into `into_lead_id` and deleted. `moved` keeps what it takes to restore it:
    the deleted lead's row, the ids of the rows that moved, the rows dropped as duplicates, and what the
    surviving lead took over from it."""

    __tablename__ = "merges"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    from_lead_id: Mapped[int]  # no foreign key: the lead is gone until the merge is undone
    into_lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    moved: Mapped[dict]
    created_at: Mapped[datetime]
    undone_at: Mapped[datetime | None]

    def __repr__(self) -> str:
        return f"<Merge {self.id} #{self.from_lead_id}->#{self.into_lead_id}>"


class Target(Base):
    """A sales target for one month (`YYYY-MM`, local): a team's or a rep's, exactly one of the two."""

    __tablename__ = "targets"
    __table_args__ = (
        UniqueConstraint("team_id", "month"),
        UniqueConstraint("user_id", "month"),
        CheckConstraint("(team_id IS NULL) <> (user_id IS NULL)", name="team_or_user"),
        CheckConstraint("amount >= 0", name="amount_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    month: Mapped[str] = mapped_column(String(7))
    amount: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    def __repr__(self) -> str:
        return f"<Target {self.id} team={self.team_id} user={self.user_id} {self.month} {self.amount}>"


class ConsoleLink(Base):
    """A one-time link into the cockpit: `jti` is the random id its signed token carries; `used_at` is set
    when it opens a session, so a second use finds it spent."""

    __tablename__ = "console_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    jti: Mapped[str] = mapped_column(String(32), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
    used_at: Mapped[datetime | None]


class ConsoleSecret(Base):
    """A secret the web processes share (the key that signs links and session cookies when none is set)."""

    __tablename__ = "console_secrets"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(32), unique=True)
    value: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime]
