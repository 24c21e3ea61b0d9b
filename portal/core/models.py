"""Core tables every package relies on: organisations, users and roles, audit, jobs, mail, inbox."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_login import UserMixin
from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.db import Base, UTCDateTime, utcnow

ORG_KINDS = ("provider", "council", "operator")

ROLES: dict[str, str] = {
    "provider_admin": "Provider admin",
    "provider_staff": "Provider staff",
    "placements_officer": "Placements officer",
    "panel_member": "Panel member",
    "qa_officer": "QA officer",
    "dps_manager": "DPS manager",
    "system_admin": "System admin",
}
PROVIDER_ROLES = frozenset({"provider_admin", "provider_staff"})
COUNCIL_ROLES = frozenset({"placements_officer", "panel_member", "qa_officer", "dps_manager"})
OPERATOR_ROLES = frozenset({"system_admin"})
ROLES_FOR_KIND = {"provider": PROVIDER_ROLES, "council": COUNCIL_ROLES, "operator": OPERATOR_ROLES}
USER_STATUSES = ("invited", "active", "removed")


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Organisation(Base):
    __tablename__ = "organisation"
    __table_args__ = (CheckConstraint(_in("kind", ORG_KINDS), name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    # An in-house fostering service is a provider organisation run by a council.
    council_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Profile (providers sign up with these; councils may leave them empty).
    companies_house_number: Mapped[str | None] = mapped_column(String(8), unique=True)
    address: Mapped[str | None] = mapped_column(Text)
    postcode: Mapped[str | None] = mapped_column(String(8))
    contact_name: Mapped[str | None] = mapped_column(String(200))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    contact_phone: Mapped[str | None] = mapped_column(String(30))
    # A council's area as postcode districts: a placement there is "inside the council".
    area_districts: Mapped[list[str]] = mapped_column(JSON, default=list)

    users: Mapped[list["User"]] = relationship(back_populates="organisation")

    @property
    def is_provider(self) -> bool:
        return self.kind == "provider"

    @property
    def is_council(self) -> bool:
        return self.kind == "council"


class User(UserMixin, Base):
    __tablename__ = "user_account"
    __table_args__ = (
        CheckConstraint(_in("status", USER_STATUSES), name="status"),
        CheckConstraint("email = lower(email)", name="email_lower"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="invited")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Two-factor: a TOTP secret is stored once the user has proved their app with a first code
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Lockout: consecutive failed sign-ins; locked_at set at the limit, cleared by the emailed unlock link
    failed_login_count: Mapped[int] = mapped_column(default=0, server_default="0")
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    organisation: Mapped[Organisation] = relationship(back_populates="users", lazy="joined")
    role_rows: Mapped[list["UserRole"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(r.role for r in self.role_rows)

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def is_active(self) -> bool:  # flask-login refuses inactive users
        return self.status == "active"

    def get_id(self) -> str:
        # The session carries the id and a fragment of the password hash, so a password change
        # or removal ends every other session of that user.
        return f"{self.id}:{(self.password_hash or '')[-12:]}"


class UserRole(Base):
    __tablename__ = "user_role"
    __table_args__ = (
        UniqueConstraint("user_id", "role"),
        CheckConstraint(_in("role", ROLES), name="role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(40))

    user: Mapped[User] = relationship(back_populates="role_rows")


class RecoveryCode(Base):
    """Single-use codes for signing in without the authenticator app; only argon2 hashes are kept."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AuditEvent(Base):
    """Append-only: on PostgreSQL a trigger rejects UPDATE and DELETE."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    action: Mapped[str] = mapped_column(String(80))
    object_type: Mapped[str] = mapped_column(String(60))
    object_id: Mapped[str] = mapped_column(String(60))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    ip: Mapped[str | None] = mapped_column(String(45))


JOB_STATUSES = ("queued", "running", "retrying", "succeeded", "failed")


class JobRun(Base):
    """One row per idempotency key: the database's memory of a background job."""

    __tablename__ = "job_run"
    __table_args__ = (
        CheckConstraint(_in("status", JOB_STATUSES), name="status"),
        CheckConstraint("attempts >= 0 AND attempts <= max_attempts", name="attempts"),
        Index("ix_job_run_status_run_after", "status", "run_after"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(255), unique=True)
    function: Mapped[str] = mapped_column(String(200))
    args: Mapped[list[Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), default="queued")
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column(default=5)
    last_error: Mapped[str | None] = mapped_column(Text)
    run_after: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


EMAIL_STATUSES = ("queued", "sent", "failed")


class EmailMessage(Base):
    """An email rendered when it was queued; sent (or written to the outbox) by a job."""

    __tablename__ = "email_message"
    __table_args__ = (CheckConstraint(_in("status", EMAIL_STATUSES), name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(255), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    to_address: Mapped[str] = mapped_column(String(254))
    kind: Mapped[str] = mapped_column(String(60))
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="queued")
    transport: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class InboxMessage(Base):
    __tablename__ = "inbox_message"
    __table_args__ = (Index("ix_inbox_message_user_created", "user_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(255), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    kind: Mapped[str] = mapped_column(String(60))
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
