"""Run Alembic migrations for the app's database (used by the CLI, tests and make demo)."""
from __future__ import annotations

from alembic import command
from alembic.config import Config
from flask import Flask

from portal.config import ROOT


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(app: Flask, revision: str = "head") -> None:
    command.upgrade(alembic_config(app.config["DATABASE_URL"]), revision)


def downgrade(app: Flask, revision: str) -> None:
    command.downgrade(alembic_config(app.config["DATABASE_URL"]), revision)
