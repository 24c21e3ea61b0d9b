"""Jinja filters shared by every package's templates (UK formats, Europe/London time)."""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Flask

from portal.core.models import ROLES

LONDON = ZoneInfo("Europe/London")


def format_datetime(value: datetime | None) -> str:
    if value is None:
        return ""
    local = value.astimezone(LONDON)
    return local.strftime("%-d %B %Y at %-I:%M") + local.strftime("%p").lower()


def format_date(value: date | None) -> str:
    return value.strftime("%-d %B %Y") if value else ""


def format_money(pence: int | None) -> str:
    return "" if pence is None else f"£{pence / 100:,.2f}"


def init_app(app: Flask) -> None:
    app.add_template_filter(format_datetime, "datetime")
    app.add_template_filter(format_date, "date")
    app.add_template_filter(format_money, "money")
    app.add_template_filter(lambda role: ROLES.get(role, role), "role_label")
