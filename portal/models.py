"""The provider side of the market: the DPS and its lots, settings (homes), vacancies, needs."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import JSON, CheckConstraint, Column, Date, ForeignKey, Index, String, Table, Text, UniqueConstraint
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
    Column("council_id", ForeignKey("organisation.id"), primary_key=True),
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
    Column("need_code", ForeignKey("need.code"), primary_key=True),
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
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
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
