"""The provider side of the market: the DPS and its lots, settings (homes), vacancies, needs."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import (JSON, BigInteger, CheckConstraint, Column, Date, ForeignKey, Index, String, Table, Text,
                        UniqueConstraint, text)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.db import Base, UTCDateTime, utcnow
from portal.core.models import Organisation, User, _in

SETTING_KINDS = {
    "childrens_home": "Children's home",
    "independent_fostering": "Independent fostering agency",
    "supported_accommodation": "Supported accommodation (16 to 17)",
    "parent_and_child": "Parent and child",
    "secure": "Secure children's home",
    "in_house_fostering": "In-house fostering",
}
REGISTRATION_STATUSES = ("active", "suspended", "cancelled", "resigned")
RATINGS = ("Outstanding", "Good", "Requires improvement to be good", "Inadequate")
SETTING_STATUSES = ("open", "closed")
LOT_KINDS = {
    "residential": ("Residential children's homes", ("childrens_home", "secure")),
    "fostering": ("Independent fostering", ("independent_fostering", "in_house_fostering")),
    "supported_16_17": ("Supported accommodation 16 to 17", ("supported_accommodation",)),
    "parent_and_child": ("Parent and child", ("parent_and_child",)),
    "solo_bespoke": ("Solo and bespoke", ("childrens_home",)),
}
STALE_AFTER = timedelta(days=7)
REMIND_AFTER = timedelta(days=6)


class Dps(Base):
    """A dynamic purchasing system; several councils may share one (a consortium)."""

    __tablename__ = "dps"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    lots: Mapped[list["Lot"]] = relationship(back_populates="dps", order_by="Lot.id")
    councils: Mapped[list[Organisation]] = relationship(secondary="dps_council")


dps_council = Table(
    "dps_council",
    Base.metadata,
    Column("dps_id", ForeignKey("dps.id"), primary_key=True),
    Column("council_id", ForeignKey("organisation.id"), primary_key=True, index=True),
)


class Lot(Base):
    __tablename__ = "lot"
    __table_args__ = (UniqueConstraint("dps_id", "kind"), CheckConstraint(_in("kind", LOT_KINDS), name="kind"))

    id: Mapped[int] = mapped_column(primary_key=True)
    dps_id: Mapped[int] = mapped_column(ForeignKey("dps.id"))
    kind: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))

    dps: Mapped[Dps] = relationship(back_populates="lots")

    @property
    def setting_kinds(self) -> tuple[str, ...]:
        return LOT_KINDS[self.kind][1]


class Need(Base):
    """The needs taxonomy (reference data, seeded by a migration)."""

    __tablename__ = "need"

    code: Mapped[str] = mapped_column(String(60), primary_key=True)
    label: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(default=0)


setting_need = Table(
    "setting_need",
    Base.metadata,
    Column("setting_id", ForeignKey("setting.id", ondelete="CASCADE"), primary_key=True),
    Column("need_code", ForeignKey("need.code"), primary_key=True, index=True),
)


class Setting(Base):
    """One home or service. Its full postcode is confidential: others see only the district."""

    __tablename__ = "setting"
    __table_args__ = (
        CheckConstraint(_in("kind", SETTING_KINDS), name="kind"),
        CheckConstraint(_in("registration_status", REGISTRATION_STATUSES), name="registration_status"),
        CheckConstraint(f"overall_effectiveness IS NULL OR {_in('overall_effectiveness', RATINGS)}",
                        name="overall_effectiveness"),
        CheckConstraint(_in("status", SETTING_STATUSES), name="status"),
        CheckConstraint("registered_places >= 0", name="registered_places"),
        CheckConstraint("min_age >= 0 AND max_age <= 25 AND min_age <= max_age", name="ages"),
        CheckConstraint("accepts_male OR accepts_female", name="sexes"),
        Index("ix_setting_provider", "provider_id"),
        Index("ix_setting_matching", "kind", "status", "suspended"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    name: Mapped[str] = mapped_column(String(200))
    urn: Mapped[str | None] = mapped_column(String(12), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    registration_status: Mapped[str] = mapped_column(String(20), default="active")
    overall_effectiveness: Mapped[str | None] = mapped_column(String(40))
    inspection_date: Mapped[date | None] = mapped_column(Date)
    registered_places: Mapped[int] = mapped_column(default=0)
    min_age: Mapped[int] = mapped_column(default=0)
    max_age: Mapped[int] = mapped_column(default=17)
    accepts_male: Mapped[bool] = mapped_column(default=True)
    accepts_female: Mapped[bool] = mapped_column(default=True)
    postcode: Mapped[str] = mapped_column(String(8))
    district: Mapped[str] = mapped_column(String(4), index=True)
    status: Mapped[str] = mapped_column(String(10), default="open")
    suspended: Mapped[bool] = mapped_column(default=False)
    suspended_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    provider: Mapped[Organisation] = relationship()
    needs: Mapped[list[Need]] = relationship(secondary=setting_need, order_by=Need.position)
    vacancy: Mapped["Vacancy | None"] = relationship(back_populates="setting", uselist=False)

    @property
    def kind_label(self) -> str:
        return SETTING_KINDS[self.kind]


class Vacancy(Base):
    """The current vacancy of a setting; every change also goes to vacancy_history."""

    __tablename__ = "vacancy"
    __table_args__ = (CheckConstraint("places_free >= 0", name="places_free"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    setting_id: Mapped[int] = mapped_column(ForeignKey("setting.id", ondelete="CASCADE"), unique=True)
    places_free: Mapped[int] = mapped_column(default=0)
    free_from: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(String(500))
    confirmed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    setting: Mapped[Setting] = relationship(back_populates="vacancy")
    __mapper_args__ = {"version_id_col": version}

    def is_stale(self, now: datetime | None = None) -> bool:
        return (now or utcnow()) - self.confirmed_at >= STALE_AFTER


class VacancyHistory(Base):
    __tablename__ = "vacancy_history"
    __table_args__ = (Index("ix_vacancy_history_setting_recorded", "setting_id", "recorded_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    setting_id: Mapped[int] = mapped_column(ForeignKey("setting.id", ondelete="CASCADE"))
    places_free: Mapped[int] = mapped_column()
    free_from: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(String(500))
    change: Mapped[str] = mapped_column(String(20))  # "updated" or "confirmed"
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


OFSTED_IMPORT_STATUSES = ("queued", "running", "completed", "failed")


class OfstedImport(Base):
    """One upload of Ofsted's provider-level CSV and what reconciling it did (see portal/ofsted.py)."""

    __tablename__ = "ofsted_import"
    __table_args__ = (CheckConstraint(_in("status", OFSTED_IMPORT_STATUSES), name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    storage_key: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(20), default="queued")
    total_rows: Mapped[int] = mapped_column(default=0)
    processed_rows: Mapped[int] = mapped_column(default=0)
    changes_count: Mapped[int] = mapped_column(default=0)
    unknown_count: Mapped[int] = mapped_column(default=0)
    rejected_count: Mapped[int] = mapped_column(default=0)
    report: Mapped[dict | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    uploaded_by: Mapped[User | None] = relationship()

    @property
    def finished(self) -> bool:
        return self.status in ("completed", "failed")


class ReferralPreference(Base):
    """What a provider wants to be sent: lots, ages, needs (empty need list: any need)."""

    __tablename__ = "referral_preference"
    __table_args__ = (CheckConstraint("min_age >= 0 AND max_age <= 25 AND min_age <= max_age", name="ages"),)

    provider_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), primary_key=True)
    lot_kinds: Mapped[list[str]] = mapped_column(JSON, default=list)
    min_age: Mapped[int] = mapped_column(default=0)
    max_age: Mapped[int] = mapped_column(default=17)
    need_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


DOCUMENT_KINDS = {
    "public_liability": "Public liability insurance",
    "employers_liability": "Employer's liability insurance",
    "professional_indemnity": "Professional indemnity insurance",
    "safeguarding_policy": "Safeguarding policy",
    "whistleblowing_policy": "Whistleblowing policy",
    "statement_of_purpose": "Statement of purpose",
}
INSURANCE_KINDS = ("public_liability", "employers_liability", "professional_indemnity")
DOCUMENT_STATUSES = ("current", "superseded", "deleted")
MAX_DOCUMENT_BYTES = 10 * 1024 * 1024


class Document(Base):
    """A file behind the storage interface; insurance carries its cover and expiry date."""

    __tablename__ = "document"
    __table_args__ = (
        CheckConstraint(_in("kind", DOCUMENT_KINDS), name="kind"),
        CheckConstraint(_in("status", DOCUMENT_STATUSES), name="status"),
        CheckConstraint(f"size_bytes > 0 AND size_bytes <= {MAX_DOCUMENT_BYTES}", name="size"),
        CheckConstraint("cover_amount_pence IS NULL OR cover_amount_pence > 0", name="cover"),
        Index("ix_document_organisation_kind", "organisation_id", "kind"),
        Index("ix_document_expires_on", "expires_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    setting_id: Mapped[int | None] = mapped_column(ForeignKey("setting.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column()
    storage_key: Mapped[str] = mapped_column(String(255), unique=True)
    cover_amount_pence: Mapped[int | None] = mapped_column(BigInteger)
    expires_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="current")
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    setting: Mapped[Setting | None] = relationship()

    @property
    def kind_label(self) -> str:
        return DOCUMENT_KINDS[self.kind]


APPLICATION_STATUSES = ("draft", "submitted", "clarification_requested", "admitted", "rejected", "suspended",
                        "withdrawn")
IN_PROGRESS = ("draft", "submitted", "clarification_requested")

dps_application_lot = Table(
    "dps_application_lot",
    Base.metadata,
    Column("application_id", ForeignKey("dps_application.id", ondelete="CASCADE"), primary_key=True),
    Column("lot_id", ForeignKey("lot.id"), primary_key=True, index=True),
)


class DpsApplication(Base):
    """A provider's application to join lots of a DPS; its status is the admission lifecycle."""

    __tablename__ = "dps_application"
    __table_args__ = (
        CheckConstraint(_in("status", APPLICATION_STATUSES), name="status"),
        CheckConstraint("status = 'draft' OR submitted_at IS NOT NULL", name="submitted"),
        CheckConstraint("extension_reason IS NOT NULL OR NOT extended", name="extension_reason"),
        # One application in progress per provider per DPS (admitted ones may later apply for more lots).
        Index("uq_dps_application_in_progress", "dps_id", "provider_id", unique=True,
              postgresql_where=text("status IN ('draft', 'submitted', 'clarification_requested')"),
              sqlite_where=text("status IN ('draft', 'submitted', 'clarification_requested')")),
        Index("ix_dps_application_status_due", "status", "decision_due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dps_id: Mapped[int] = mapped_column(ForeignKey("dps.id"))
    provider_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    status: Mapped[str] = mapped_column(String(30), default="draft")
    questionnaire: Mapped[dict] = mapped_column(JSON, default=dict)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decision_due_on: Mapped[date | None] = mapped_column(Date)
    extended: Mapped[bool] = mapped_column(default=False)
    extension_reason: Mapped[str | None] = mapped_column(Text)
    clarification_request: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decision_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    dps: Mapped[Dps] = relationship()
    provider: Mapped[Organisation] = relationship()
    lots: Mapped[list[Lot]] = relationship(secondary=dps_application_lot, order_by=Lot.id)
