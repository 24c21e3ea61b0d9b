"""Quality assurance: the QA framework, monitoring visits and actions, monthly returns, compliance statuses,
feedback from children, carers and professionals, and provider forum meetings (DESIGN.md, "Quality")."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (JSON, Boolean, CheckConstraint, Date, ForeignKey, Index, Numeric, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.db import Base, UTCDateTime, utcnow
from portal.core.models import Organisation, User, _in
from portal.models import Setting
from tendering.models import Placement  # noqa: F401 - feedback rows refer to placements

FRAMEWORKS = {
    "childrens_home": "Children's Homes (England) Regulations 2015",
    "fostering": "Fostering",
    "supported_accommodation": "Supported accommodation",
}
# Which framework a setting of each kind is visited against.
FRAMEWORK_FOR_KIND = {"childrens_home": "childrens_home", "secure": "childrens_home",
                      "parent_and_child": "childrens_home", "independent_fostering": "fostering",
                      "in_house_fostering": "fostering", "supported_accommodation": "supported_accommodation"}
VISIT_KINDS = {"planned": "Planned", "unannounced": "Unannounced", "triggered": "Triggered by a concern"}
VISIT_STATUSES = ("planned", "completed", "report_issued", "cancelled")
JUDGEMENTS = {"met": "Met", "partly_met": "Partly met", "not_met": "Not met"}
OVERALL_JUDGEMENTS = {"outstanding": "Outstanding", "good": "Good", "requires_improvement": "Requires improvement",
                      "inadequate": "Inadequate"}
ACTION_OWNERS = {"provider": "Provider", "council": "Council"}
ACTION_PRIORITIES = {"high": "High", "medium": "Medium", "low": "Low"}
ACTION_STATUSES = ("open", "provider_responded", "overdue", "closed")
COMPLIANCE_STATUSES = ("compliant", "warning", "at_risk", "non_compliant", "suspended")
SUBJECT_TYPES = ("provider", "setting")
RESPONDENT_TYPES = {"child": "Child or young person", "carer": "Carer", "social_worker": "Social worker",
                    "iro": "Independent reviewing officer"}
COMMENT_STATUSES = ("none", "pending", "approved", "redacted", "rejected")


class QualityStandard(Base):
    """Reference data: a standard that visits judge (the nine Children's Homes standards, and editable lists
    for fostering and supported accommodation)."""

    __tablename__ = "quality_standard"
    __table_args__ = (
        CheckConstraint(_in("framework", FRAMEWORKS), name="framework"),
        UniqueConstraint("framework", "code", name="framework_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    framework: Mapped[str] = mapped_column(String(30))
    code: Mapped[str] = mapped_column(String(60))
    title: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class MonitoringVisit(Base):
    """A QA visit to a setting: planned → completed → report_issued (or cancelled while planned)."""

    __tablename__ = "monitoring_visit"
    __table_args__ = (
        CheckConstraint(_in("kind", VISIT_KINDS), name="kind"),
        CheckConstraint(_in("status", VISIT_STATUSES), name="status"),
        CheckConstraint(f"overall_judgement IS NULL OR {_in('overall_judgement', OVERALL_JUDGEMENTS)}",
                        name="overall_judgement"),
        CheckConstraint("status NOT IN ('completed', 'report_issued') OR (completed_at IS NOT NULL "
                        "AND overall_judgement IS NOT NULL AND visited_on IS NOT NULL)", name="completed"),
        CheckConstraint("status <> 'report_issued' OR report_issued_at IS NOT NULL", name="report_issued"),
        CheckConstraint("kind <> 'triggered' OR trigger_reason IS NOT NULL", name="trigger_reason"),
        Index("ix_monitoring_visit_setting", "setting_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    setting_id: Mapped[int] = mapped_column(ForeignKey("setting.id"))
    provider_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    # the visiting QA officer's council
    council_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20), default="planned")
    status: Mapped[str] = mapped_column(String(20), default="planned")
    planned_for: Mapped[date] = mapped_column(Date)
    visited_on: Mapped[date | None] = mapped_column(Date)
    trigger_reason: Mapped[str | None] = mapped_column(Text)
    overall_judgement: Mapped[str | None] = mapped_column(String(30))
    summary: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    report_issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    setting: Mapped[Setting] = relationship()
    provider: Mapped[Organisation] = relationship(foreign_keys=[provider_id])
    council: Mapped[Organisation] = relationship(foreign_keys=[council_id])
    officer: Mapped[User | None] = relationship()
    judgements: Mapped[list["VisitJudgement"]] = relationship(back_populates="visit", cascade="all, delete-orphan")


class VisitJudgement(Base):
    """One standard judged at a visit: met, partly met or not met, with evidence."""

    __tablename__ = "visit_judgement"
    __table_args__ = (CheckConstraint(_in("judgement", JUDGEMENTS), name="judgement"),)

    visit_id: Mapped[int] = mapped_column(ForeignKey("monitoring_visit.id", ondelete="CASCADE"), primary_key=True)
    standard_id: Mapped[int] = mapped_column(ForeignKey("quality_standard.id"), primary_key=True, index=True)
    judgement: Mapped[str] = mapped_column(String(20))
    evidence: Mapped[str] = mapped_column(Text)

    visit: Mapped[MonitoringVisit] = relationship(back_populates="judgements")
    standard: Mapped[QualityStandard] = relationship(lazy="joined")


class QaAction(Base):
    """An action from a visit (or a concern): open → provider_responded → closed; open past its due date is
    overdue. `version` guards against two officers changing it at once."""

    __tablename__ = "qa_action"
    __table_args__ = (
        CheckConstraint(_in("owner", ACTION_OWNERS), name="owner"),
        CheckConstraint(_in("priority", ACTION_PRIORITIES), name="priority"),
        CheckConstraint(_in("status", ACTION_STATUSES), name="status"),
        CheckConstraint("status <> 'closed' OR closed_at IS NOT NULL", name="closed_at"),
        CheckConstraint("status <> 'provider_responded' OR responded_at IS NOT NULL", name="responded_at"),
        Index("ix_qa_action_status_due", "status", "due_on"),
        Index("ix_qa_action_provider", "provider_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("monitoring_visit.id"), index=True)
    setting_id: Mapped[int] = mapped_column(ForeignKey("setting.id"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    council_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    owner: Mapped[str] = mapped_column(String(20), default="provider")
    priority: Mapped[str] = mapped_column(String(10), default="medium")
    description: Mapped[str] = mapped_column(Text)
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="open")
    provider_response: Mapped[str | None] = mapped_column(Text)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    responded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    close_note: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    visit: Mapped[MonitoringVisit | None] = relationship()
    setting: Mapped[Setting] = relationship()
    provider: Mapped[Organisation] = relationship(foreign_keys=[provider_id])


class MonthlyReturn(Base):
    """A provider's short monthly return for one setting; overdue after the 10th of the following month."""

    __tablename__ = "monthly_return"
    __table_args__ = (
        UniqueConstraint("setting_id", "month", name="setting_month"),
        CheckConstraint("incidents >= 0 AND missing_episodes >= 0 AND unplanned_endings >= 0 "
                        "AND staff_vacancies >= 0", name="counts"),
        CheckConstraint("education_attendance_percent >= 0 AND education_attendance_percent <= 100",
                        name="attendance"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    setting_id: Mapped[int] = mapped_column(ForeignKey("setting.id"))
    provider_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    month: Mapped[date] = mapped_column(Date)  # the first day of the month reported on
    incidents: Mapped[int] = mapped_column()
    missing_episodes: Mapped[int] = mapped_column()
    education_attendance_percent: Mapped[float] = mapped_column(Numeric(5, 2))
    unplanned_endings: Mapped[int] = mapped_column()
    staff_vacancies: Mapped[int] = mapped_column()
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)

    setting: Mapped[Setting] = relationship()


class ComplianceStatus(Base):
    """The current compliance status of a provider or a setting, with the reasons of every failing rule and
    when each rule first failed (for grace periods). A DPS manager's lift is recorded here with its reason."""

    __tablename__ = "compliance_status"
    __table_args__ = (
        CheckConstraint(_in("subject_type", SUBJECT_TYPES), name="subject_type"),
        CheckConstraint(_in("status", COMPLIANCE_STATUSES), name="status"),
        CheckConstraint("(lifted_at IS NULL) = (lifted_reason IS NULL)", name="lift_reason"),
        UniqueConstraint("subject_type", "subject_id", name="subject"),
        Index("ix_compliance_status_status", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_type: Mapped[str] = mapped_column(String(10))
    subject_id: Mapped[int] = mapped_column()
    provider_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="compliant")
    reasons: Mapped[list[dict]] = mapped_column(JSON, default=list)  # [{"rule", "status", "reason"}]
    failing_since: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)  # rule -> ISO time first failed
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    evaluated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    lifted_reason: Mapped[str | None] = mapped_column(Text)
    lifted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)


class ComplianceChange(Base):
    """History: every change of a compliance status, with the reasons at the time."""

    __tablename__ = "compliance_change"
    __table_args__ = (
        CheckConstraint(_in("subject_type", SUBJECT_TYPES), name="subject_type"),
        CheckConstraint(f"from_status IS NULL OR {_in('from_status', COMPLIANCE_STATUSES)}", name="from_status"),
        CheckConstraint(_in("to_status", COMPLIANCE_STATUSES), name="to_status"),
        Index("ix_compliance_change_subject", "subject_type", "subject_id", "changed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_type: Mapped[str] = mapped_column(String(10))
    subject_id: Mapped[int] = mapped_column()
    provider_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    reasons: Mapped[list[dict]] = mapped_column(JSON, default=list)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class FeedbackRequest(Base):
    """A one-time feedback link about a placement: no account, expiring, single use. Only the token's hash
    is stored."""

    __tablename__ = "feedback_request"
    __table_args__ = (CheckConstraint(_in("respondent_type", RESPONDENT_TYPES), name="respondent_type"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    placement_id: Mapped[int] = mapped_column(ForeignKey("placement.id"), index=True)
    respondent_type: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    sent_to: Mapped[str | None] = mapped_column(String(254))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class FeedbackResponse(Base):
    """One completed feedback form. The comment is held back until a QA officer moderates it."""

    __tablename__ = "feedback_response"
    __table_args__ = (
        CheckConstraint(_in("respondent_type", RESPONDENT_TYPES), name="respondent_type"),
        CheckConstraint(_in("comment_status", COMMENT_STATUSES), name="comment_status"),
        CheckConstraint("(comment IS NULL) = (comment_status = 'none')", name="comment_status_matches"),
        Index("ix_feedback_response_provider", "provider_id", "setting_kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("feedback_request.id"), unique=True)
    placement_id: Mapped[int] = mapped_column(ForeignKey("placement.id"), index=True)
    setting_id: Mapped[int] = mapped_column(ForeignKey("setting.id"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    setting_kind: Mapped[str] = mapped_column(String(30))
    respondent_type: Mapped[str] = mapped_column(String(20))
    comment: Mapped[str | None] = mapped_column(Text)
    comment_status: Mapped[str] = mapped_column(String(20), default="none")
    comment_shown: Mapped[str | None] = mapped_column(Text)  # the approved or redacted text others may see
    pii_findings: Mapped[list[dict]] = mapped_column(JSON, default=list)
    moderated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    moderated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    scores: Mapped[list["FeedbackScore"]] = relationship(back_populates="response", cascade="all, delete-orphan")


class FeedbackScore(Base):
    __tablename__ = "feedback_score"
    __table_args__ = (CheckConstraint("score >= 1 AND score <= 5", name="score"),)

    response_id: Mapped[int] = mapped_column(ForeignKey("feedback_response.id", ondelete="CASCADE"),
                                             primary_key=True)
    theme: Mapped[str] = mapped_column(String(40), primary_key=True)
    score: Mapped[int] = mapped_column()

    response: Mapped[FeedbackResponse] = relationship(back_populates="scores")


class ForumMeeting(Base):
    """A provider forum meeting with its agenda and, afterwards, minutes (files in document storage)."""

    __tablename__ = "forum_meeting"

    id: Mapped[int] = mapped_column(primary_key=True)
    dps_id: Mapped[int | None] = mapped_column(ForeignKey("dps.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    meets_at: Mapped[datetime] = mapped_column(UTCDateTime())
    location: Mapped[str | None] = mapped_column(String(200))
    agenda: Mapped[str | None] = mapped_column(Text)
    agenda_key: Mapped[str | None] = mapped_column(String(300))
    agenda_filename: Mapped[str | None] = mapped_column(String(200))
    minutes_key: Mapped[str | None] = mapped_column(String(300))
    minutes_filename: Mapped[str | None] = mapped_column(String(200))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
