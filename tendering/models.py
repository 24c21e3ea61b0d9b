"""Referrals (anonymised needs specifications) and their distribution to providers."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, Boolean, CheckConstraint, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.db import Base, UTCDateTime, utcnow
from portal.core.models import Organisation, User, _in
from portal.models import Dps, Lot, Need

REFERRAL_STATUSES = ("draft", "published", "closed", "quality_evaluated", "price_evaluated", "awarded", "placed",
                     "cancelled", "no_suitable_proposal")
OUTCOMES = {
    "be_healthy": "Be healthy",
    "stay_safe": "Stay safe",
    "enjoy_and_achieve": "Enjoy and achieve",
    "positive_contribution": "Make a positive contribution",
    "economic_wellbeing": "Achieve economic well-being",
}
SEXES = {"female": "Female", "male": "Male"}
LEGAL_STATUSES = {
    "section_20": "Accommodated (section 20)",
    "interim_care_order": "Interim care order",
    "care_order": "Care order",
    "placement_order": "Placement order",
    "remand": "Remanded to local authority accommodation",
    "other": "Other",
}
EDUCATION_STATUSES = {
    "in_school": "In school",
    "alternative_provision": "In alternative provision",
    "not_in_education": "Not in education",
    "post_16": "In college, training or employment (post-16)",
}
DURATIONS = {
    "emergency_short": "Emergency or short term (under 3 months)",
    "medium": "Medium term (3 to 12 months)",
    "long_term": "Long term (over a year)",
}
SEVERITIES = ("low", "medium", "high")
PRICE_METHODS = {"lowest_price": "Lowest price among suitable proposals",
                 "quality_price": "Quality and price weighting"}
DECLINE_REASONS = {"no_vacancy": "No vacancy", "cannot_meet_needs": "Cannot meet needs", "location": "Location",
                   "other": "Other"}
# Free-text fields the anonymisation gate scans before publishing (internal fields are never shown).
FREE_TEXT_FIELDS = ("cultural_needs", "religious_needs", "language_needs", "education_notes", "what_matters",
                    *(f"outcome_{code}" for code in OUTCOMES))


class Referral(Base):
    """One child's needs, written so that the child cannot be identified."""

    __tablename__ = "referral"
    __table_args__ = (
        CheckConstraint(_in("status", REFERRAL_STATUSES), name="status"),
        CheckConstraint("age IS NULL OR (age >= 0 AND age <= 25)", name="age"),
        CheckConstraint("group_size >= 1 AND group_size <= 8", name="group_size"),
        CheckConstraint("max_distance_miles IS NULL OR max_distance_miles > 0", name="max_distance"),
        CheckConstraint("min_outcome_score >= 0 AND min_outcome_score <= 4", name="min_outcome_score"),
        CheckConstraint("quality_threshold >= 0 AND quality_threshold <= 100", name="quality_threshold"),
        CheckConstraint("quality_weight >= 0 AND quality_weight <= 100", name="quality_weight"),
        CheckConstraint("budget_ceiling_pence IS NULL OR budget_ceiling_pence > 0", name="budget"),
        CheckConstraint("status = 'draft' OR published_at IS NOT NULL", name="published_at"),
        Index("ix_referral_council_status", "council_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    dps_id: Mapped[int] = mapped_column(ForeignKey("dps.id"))
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lot.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    status: Mapped[str] = mapped_column(String(30), default="draft")
    # The child, anonymised.
    age: Mapped[int | None] = mapped_column()
    sex: Mapped[str | None] = mapped_column(String(10))
    legal_status: Mapped[str | None] = mapped_column(String(30))
    group_size: Mapped[int] = mapped_column(default=1)
    cultural_needs: Mapped[str | None] = mapped_column(Text)
    religious_needs: Mapped[str | None] = mapped_column(Text)
    language_needs: Mapped[str | None] = mapped_column(Text)
    education_status: Mapped[str | None] = mapped_column(String(30))
    education_notes: Mapped[str | None] = mapped_column(Text)
    outcome_be_healthy: Mapped[str | None] = mapped_column(Text)
    outcome_stay_safe: Mapped[str | None] = mapped_column(Text)
    outcome_enjoy_and_achieve: Mapped[str | None] = mapped_column(Text)
    outcome_positive_contribution: Mapped[str | None] = mapped_column(Text)
    outcome_economic_wellbeing: Mapped[str | None] = mapped_column(Text)
    what_matters: Mapped[str | None] = mapped_column(Text)
    # Location wishes.
    preferred_district: Mapped[str | None] = mapped_column(String(4))
    max_distance_miles: Mapped[int | None] = mapped_column()
    avoid_districts: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Timing.
    emergency: Mapped[bool] = mapped_column(Boolean, default=False)
    start_date: Mapped[date | None] = mapped_column(Date)
    expected_duration: Mapped[str | None] = mapped_column(String(30))
    response_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime())
    clarification_cutoff: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Evaluation rules.
    min_outcome_score: Mapped[int] = mapped_column(default=2)
    quality_threshold: Mapped[int] = mapped_column(default=60)
    outcome_weights: Mapped[dict[str, int]] = mapped_column(JSON, default=lambda: {code: 20 for code in OUTCOMES})
    price_method: Mapped[str] = mapped_column(String(20), default="quality_price")
    quality_weight: Mapped[int] = mapped_column(default=70)
    # Internal only: never shown to providers.
    case_reference: Mapped[str | None] = mapped_column(String(40))
    budget_ceiling_pence: Mapped[int | None] = mapped_column(BigInteger)
    internal_notes: Mapped[str | None] = mapped_column(Text)
    # Lifecycle timestamps.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    council: Mapped[Organisation] = relationship(foreign_keys=[council_id])
    dps: Mapped[Dps] = relationship()
    lot: Mapped[Lot | None] = relationship()
    created_by: Mapped[User | None] = relationship()
    needs: Mapped[list["ReferralNeed"]] = relationship(back_populates="referral", cascade="all, delete-orphan",
                                                       order_by="ReferralNeed.need_code")

    def outcome_text(self, code: str) -> str | None:
        return getattr(self, f"outcome_{code}")


class ReferralNeed(Base):
    __tablename__ = "referral_need"
    __table_args__ = (CheckConstraint(_in("severity", SEVERITIES), name="severity"),)

    referral_id: Mapped[int] = mapped_column(ForeignKey("referral.id", ondelete="CASCADE"), primary_key=True)
    need_code: Mapped[str] = mapped_column(ForeignKey("need.code"), primary_key=True)
    severity: Mapped[str] = mapped_column(String(10), default="medium")
    essential: Mapped[bool] = mapped_column(Boolean, default=False)

    referral: Mapped[Referral] = relationship(back_populates="needs")
    need: Mapped[Need] = relationship(lazy="joined")


class ReferralProvider(Base):
    """Every provider considered for a referral: invited or not, and why; later, a decline."""

    __tablename__ = "referral_provider"
    __table_args__ = (
        CheckConstraint(f"decline_reason IS NULL OR {_in('decline_reason', DECLINE_REASONS)}", name="decline_reason"),
        CheckConstraint("invited OR declined_at IS NULL", name="decline_needs_invitation"),
        Index("ix_referral_provider_provider_invited", "provider_id", "invited"),
    )

    referral_id: Mapped[int] = mapped_column(ForeignKey("referral.id", ondelete="CASCADE"), primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), primary_key=True)
    invited: Mapped[bool] = mapped_column(Boolean)
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)  # why not invited (empty when invited)
    setting_ids: Mapped[list[int]] = mapped_column(JSON, default=list)  # its matching settings, best first
    rank: Mapped[int | None] = mapped_column()  # 0 current vacancy, 1 stale, 2 none (best of its settings)
    invited_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    declined_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decline_reason: Mapped[str | None] = mapped_column(String(30))
    decline_text: Mapped[str | None] = mapped_column(Text)

    referral: Mapped[Referral] = relationship()
    provider: Mapped[Organisation] = relationship()
