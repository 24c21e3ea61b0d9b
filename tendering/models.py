"""Referrals (anonymised needs specifications) and their distribution to providers."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (JSON, BigInteger, Boolean, CheckConstraint, Date, ForeignKey, Index, Numeric, String, Text,
                        UniqueConstraint, text)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.db import Base, UTCDateTime, utcnow
from portal.core.models import Organisation, User, _in
from portal.models import Dps, Lot, Need, Setting

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
        CheckConstraint("quality_locked_at IS NOT NULL OR status NOT IN ('quality_evaluated', 'price_evaluated', "
                        "'awarded')", name="locked_before_price"),
        Index("ix_referral_council_status", "council_id", "status"),
        Index("ix_referral_council_published", "council_id", "published_at",
              postgresql_include=["status", "lot_id"]),
        Index("ix_referral_council_created", "council_id", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    dps_id: Mapped[int] = mapped_column(ForeignKey("dps.id"), index=True)
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lot.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
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
    # The child's home postcode district (internal): placements record their distance from it.
    home_district: Mapped[str | None] = mapped_column(String(4))
    # Set when an officer re-runs a referral that ended with no suitable proposal.
    rerun_of_id: Mapped[int | None] = mapped_column(ForeignKey("referral.id"), index=True)
    # Lifecycle timestamps.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    quality_locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    price_revealed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    awarded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    placed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # cancelled or no suitable proposal

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
    need_code: Mapped[str] = mapped_column(ForeignKey("need.code"), primary_key=True, index=True)
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
        Index("ix_referral_provider_declined", "referral_id", postgresql_include=["decline_reason"],
              postgresql_where=text("declined_at IS NOT NULL"), sqlite_where=text("declined_at IS NOT NULL")),
        Index("ix_referral_provider_inbox", "provider_id", "invited_at", "referral_id",
              postgresql_where=text("invited"), sqlite_where=text("invited")),
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


PROPOSAL_STATUSES = ("draft", "submitted", "withdrawn")
LIVE_PROPOSAL_STATUSES = ("draft", "submitted")
SCORES = {0: "0 – Unacceptable or no evidence", 1: "1 – Poor", 2: "2 – Acceptable", 3: "3 – Good", 4: "4 – Excellent"}
AWARD_KINDS = ("competition", "spot_purchase")
AWARD_STATUSES = ("active", "rescinded")


class Clarification(Base):
    """A provider's question about a referral. Answers go to every invitee; who asked is never shown to them."""

    __tablename__ = "clarification"
    __table_args__ = (
        CheckConstraint("(answer IS NULL) = (answered_at IS NULL)", name="answered"),
        Index("ix_clarification_referral", "referral_id", "asked_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referral.id", ondelete="CASCADE"))
    provider_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    asked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    question: Mapped[str] = mapped_column(Text)
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)

    referral: Mapped[Referral] = relationship()


class Proposal(Base):
    """A provider's answer to a referral. One live (draft or submitted) proposal per provider per referral."""

    __tablename__ = "proposal"
    __table_args__ = (
        CheckConstraint(_in("status", PROPOSAL_STATUSES), name="status"),
        CheckConstraint("weekly_core_fee_pence IS NULL OR weekly_core_fee_pence > 0", name="core_fee_positive"),
        CheckConstraint("notice_period_weeks IS NULL OR (notice_period_weeks >= 0 AND notice_period_weeks <= 52)",
                        name="notice_period"),
        CheckConstraint("status <> 'submitted' OR (submitted_at IS NOT NULL AND setting_id IS NOT NULL "
                        "AND weekly_core_fee_pence IS NOT NULL)", name="submitted_complete"),
        CheckConstraint("status <> 'withdrawn' OR withdrawn_at IS NOT NULL", name="withdrawn_at"),
        CheckConstraint("quality_percent IS NULL OR (quality_percent >= 0 AND quality_percent <= 100)",
                        name="quality_percent"),
        Index("uq_proposal_live", "referral_id", "provider_id", unique=True,
              postgresql_where=text("status IN ('draft', 'submitted')"),
              sqlite_where=text("status IN ('draft', 'submitted')")),
        UniqueConstraint("referral_id", "blind_position", name="blind_position"),
        Index("ix_proposal_referral_status", "referral_id", "status"),
        Index("ix_proposal_referral_submitted", "referral_id", postgresql_include=["suitable", "weekly_cost_pence"],
              postgresql_where=text("status = 'submitted'"), sqlite_where=text("status = 'submitted'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referral.id", ondelete="CASCADE"))
    provider_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    setting_id: Mapped[int | None] = mapped_column(ForeignKey("setting.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    revision: Mapped[int] = mapped_column(default=0)  # number of the latest saved revision
    outcome_answers: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)  # outcome code -> answer
    need_answers: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)  # essential need code -> answer
    staffing: Mapped[str | None] = mapped_column(Text)
    education_offer: Mapped[str | None] = mapped_column(Text)
    start_date: Mapped[date | None] = mapped_column(Date)
    weekly_core_fee_pence: Mapped[int | None] = mapped_column(BigInteger)
    notice_period_weeks: Mapped[int | None] = mapped_column()
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Fixed at closing: the random order panel members see ("Proposal A" is position 0).
    blind_position: Mapped[int | None] = mapped_column()
    # Written when quality is locked, then when prices are revealed.
    quality_percent: Mapped[float | None] = mapped_column(Numeric(5, 2))
    suitable: Mapped[bool | None] = mapped_column(Boolean)
    weekly_cost_pence: Mapped[int | None] = mapped_column(BigInteger)
    price_score: Mapped[float | None] = mapped_column(Numeric(6, 2))
    final_score: Mapped[float | None] = mapped_column(Numeric(6, 2))
    rank: Mapped[int | None] = mapped_column()

    referral: Mapped[Referral] = relationship()
    provider: Mapped[Organisation] = relationship()
    setting: Mapped[Setting | None] = relationship()
    services: Mapped[list["ProposalService"]] = relationship(back_populates="proposal", cascade="all, delete-orphan",
                                                             order_by="ProposalService.position")

    @property
    def label(self) -> str | None:
        """'A', 'B', … 'Z', 'AA' … — how panel members know this proposal."""
        if self.blind_position is None:
            return None
        n, letters = self.blind_position, ""
        while True:
            n, r = divmod(n, 26)
            letters = chr(65 + r) + letters
            if n == 0:
                return letters
            n -= 1


class ProposalService(Base):
    """An itemised additional service: what, unit, unit price, quantity per week, for how many weeks."""

    __tablename__ = "proposal_service"
    __table_args__ = (
        CheckConstraint("unit_price_pence >= 0", name="unit_price"),
        CheckConstraint("quantity_per_week > 0", name="quantity"),
        CheckConstraint("weeks > 0 AND weeks <= 520", name="weeks"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    description: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(40))
    unit_price_pence: Mapped[int] = mapped_column(BigInteger)
    quantity_per_week: Mapped[float] = mapped_column(Numeric(7, 2))
    weeks: Mapped[int] = mapped_column()

    proposal: Mapped[Proposal] = relationship(back_populates="services")


class ProposalRevision(Base):
    """Every saved version of a proposal, kept: the content as the provider saved or submitted it."""

    __tablename__ = "proposal_revision"
    __table_args__ = (UniqueConstraint("proposal_id", "number", name="number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column()
    status: Mapped[str] = mapped_column(String(20))  # the proposal's status when this revision was saved
    content: Mapped[dict] = mapped_column(JSON)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PanelAssignment(Base):
    """A council user on a referral's evaluation panel; submitted_at once they have submitted all their scores."""

    __tablename__ = "panel_assignment"

    referral_id: Mapped[int] = mapped_column(ForeignKey("referral.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), primary_key=True, index=True)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    referral: Mapped[Referral] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])


class PanelScore(Base):
    """One panel member's score (0–4, with a reason) for one outcome of one proposal."""

    __tablename__ = "panel_score"
    __table_args__ = (
        CheckConstraint("score >= 0 AND score <= 4", name="score"),
        CheckConstraint(_in("outcome", OUTCOMES), name="outcome"),
    )

    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), primary_key=True, index=True)
    outcome: Mapped[str] = mapped_column(String(30), primary_key=True)
    score: Mapped[int] = mapped_column()
    reason: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class ModeratedScore(Base):
    """The officer's one moderated score and reason per outcome per proposal: what suitability is judged on."""

    __tablename__ = "moderated_score"
    __table_args__ = (
        CheckConstraint("score >= 0 AND score <= 4", name="score"),
        CheckConstraint(_in("outcome", OUTCOMES), name="outcome"),
    )

    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id", ondelete="CASCADE"), primary_key=True)
    outcome: Mapped[str] = mapped_column(String(30), primary_key=True)
    score: Mapped[int] = mapped_column()
    reason: Mapped[str] = mapped_column(Text)
    moderated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    moderated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class Award(Base):
    """The decision: a suitable proposal won, or (after no suitable proposal) a spot purchase with its rationale.
    At most one active award per referral, enforced by a partial unique index."""

    __tablename__ = "award"
    __table_args__ = (
        CheckConstraint(_in("kind", AWARD_KINDS), name="kind"),
        CheckConstraint(_in("status", AWARD_STATUSES), name="status"),
        CheckConstraint("kind <> 'competition' OR proposal_id IS NOT NULL", name="competition_has_proposal"),
        CheckConstraint("kind <> 'spot_purchase' OR (reason IS NOT NULL AND proposal_id IS NULL)",
                        name="spot_purchase_rationale"),
        CheckConstraint("weekly_cost_pence > 0", name="weekly_cost"),
        Index("uq_award_active_referral", "referral_id", unique=True,
              postgresql_where=text("status = 'active'"), sqlite_where=text("status = 'active'")),
        Index("ix_award_active_kind", "referral_id", postgresql_include=["kind", "weekly_cost_pence", "awarded_at"],
              postgresql_where=text("status = 'active'"), sqlite_where=text("status = 'active'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referral.id", ondelete="CASCADE"))
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("proposal.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20), default="competition")
    status: Mapped[str] = mapped_column(String(20), default="active")
    provider_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    setting_id: Mapped[int] = mapped_column(ForeignKey("setting.id"), index=True)
    weekly_cost_pence: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str | None] = mapped_column(Text)  # why not the top-ranked, or the spot purchase rationale
    awarded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    awarded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    referral: Mapped[Referral] = relationship()
    proposal: Mapped[Proposal | None] = relationship()
    provider: Mapped[Organisation] = relationship()
    setting: Mapped[Setting] = relationship()


class Placement(Base):
    """Where the child lives: made from an award (or spot purchase); later an end date and how it ended."""

    __tablename__ = "placement"
    __table_args__ = (
        CheckConstraint("weekly_core_fee_pence > 0", name="core_fee"),
        CheckConstraint("weekly_cost_pence >= weekly_core_fee_pence", name="weekly_cost"),
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="end_after_start"),
        CheckConstraint("(end_date IS NULL) = (ended_planned IS NULL)", name="ending"),
        Index("ix_placement_council_start", "council_id", "start_date"),
        Index("ix_placement_council_current", "council_id", postgresql_include=["weekly_cost_pence", "referral_id"],
              postgresql_where=text("end_date IS NULL"), sqlite_where=text("end_date IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    award_id: Mapped[int] = mapped_column(ForeignKey("award.id"), unique=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referral.id"), unique=True)
    council_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    provider_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    setting_id: Mapped[int] = mapped_column(ForeignKey("setting.id"), index=True)
    case_reference: Mapped[str | None] = mapped_column(String(40))
    start_date: Mapped[date] = mapped_column(Date)
    weekly_core_fee_pence: Mapped[int] = mapped_column(BigInteger)
    additional_services: Mapped[list[dict]] = mapped_column(JSON, default=list)
    weekly_cost_pence: Mapped[int] = mapped_column(BigInteger)
    distance_miles: Mapped[float | None] = mapped_column(Numeric(6, 1))
    inside_council: Mapped[bool | None] = mapped_column(Boolean)
    spot_purchase: Mapped[bool] = mapped_column(Boolean, default=False)
    moved_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    end_date: Mapped[date | None] = mapped_column(Date)
    ended_planned: Mapped[bool | None] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    referral: Mapped[Referral] = relationship()
    award: Mapped[Award] = relationship()
    council: Mapped[Organisation] = relationship(foreign_keys=[council_id])
    provider: Mapped[Organisation] = relationship(foreign_keys=[provider_id])
    setting: Mapped[Setting] = relationship()

    @property
    def code(self) -> str:
        return f"PL-{self.id:06d}"


class ReferralCompetition(Base):
    """One narrow row per published referral: what its competition drew and cost, for the sufficiency picture.
    Derived data, rebuilt from the tables above by tendering.competition_summary (a periodic job, and lazily
    before the dashboard reads it); `status` is the referral's status when the row was built, so a row whose
    referral has moved on is stale."""

    __tablename__ = "referral_competition"
    __table_args__ = (Index("ix_referral_competition_council_published", "council_id", "published_at"),)

    referral_id: Mapped[int] = mapped_column(ForeignKey("referral.id", ondelete="CASCADE"), primary_key=True)
    council_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    lot_kind: Mapped[str | None] = mapped_column(String(40))
    area: Mapped[str] = mapped_column(String(12))  # postcode area of the preferred district, else the home district
    status: Mapped[str] = mapped_column(String(30))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    awarded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    submitted: Mapped[int] = mapped_column(default=0)
    suitable: Mapped[int] = mapped_column(default=0)
    median_suitable_pence: Mapped[int | None] = mapped_column(BigInteger)
    award_kind: Mapped[str | None] = mapped_column(String(20))
    awarded_cost_pence: Mapped[int | None] = mapped_column(BigInteger)
    refreshed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
