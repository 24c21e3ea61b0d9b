"""Configuration from environment variables, with embedded defaults.

Nothing set → SQLite under instance/, jobs in-process, documents on local disk, email to the
outbox table. Each variable switches one part to its production service.
"""
from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENVIRONMENTS = ("production", "development", "test")


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def load_config(overrides: dict | None = None) -> dict:
    """Build the Flask config mapping. `overrides` (tests) win over the environment."""
    env = os.environ.get("HOMEFINDER_ENV", "production")
    if overrides and "HOMEFINDER_ENV" in overrides:
        env = overrides["HOMEFINDER_ENV"]
    if env not in ENVIRONMENTS:
        raise RuntimeError(f"HOMEFINDER_ENV must be one of {', '.join(ENVIRONMENTS)}, not {env!r}")
    production = env == "production"
    instance = Path(os.environ.get("HOMEFINDER_INSTANCE", ROOT / "instance"))

    cfg: dict = {
        "HOMEFINDER_ENV": env,
        "SECRET_KEY": os.environ.get("SECRET_KEY") or None,
        "INSTANCE_DIR": str(instance),
        "DATABASE_URL": os.environ.get("DATABASE_URL") or f"sqlite:///{instance / 'homefinder.db'}",
        "DATABASE_POOL_SIZE": _int("DATABASE_POOL_SIZE", 5),
        "REDIS_URL": os.environ.get("REDIS_URL") or None,
        "S3_BUCKET": os.environ.get("S3_BUCKET") or None,
        "S3_ENDPOINT_URL": os.environ.get("S3_ENDPOINT_URL") or None,
        "S3_REGION": os.environ.get("S3_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "eu-west-2",
        "DOCUMENTS_DIR": os.environ.get("DOCUMENTS_DIR") or str(instance / "documents"),
        "BACKUP_DIR": os.environ.get("BACKUP_DIR") or str(instance / "backups"),
        "DOCUMENT_LINK_SECONDS": _int("DOCUMENT_LINK_SECONDS", 300),
        "EXPORT_RETENTION_HOURS": _int("EXPORT_RETENTION_HOURS", 24),
        "MAIL_SERVER": os.environ.get("MAIL_SERVER") or None,
        "MAIL_PORT": _int("MAIL_PORT", 587),
        "MAIL_USE_TLS": _bool("MAIL_USE_TLS", True),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD") or None,
        "MAIL_SENDER": os.environ.get("MAIL_SENDER") or "Homefinder <no-reply@homefinder.example>",
        "BASE_URL": os.environ.get("BASE_URL") or "http://127.0.0.1:5000",
        "JOB_MAX_ATTEMPTS": _int("JOB_MAX_ATTEMPTS", 5),
        "EMAIL_BATCH_SIZE": _int("EMAIL_BATCH_SIZE", 25),
        # The sufficiency dashboard's tables are kept this long per set of filters (0: built on every request).
        "DASHBOARD_CACHE_SECONDS": _int("DASHBOARD_CACHE_SECONDS", 60),
        "JOB_BACKOFF_SECONDS": _int("JOB_BACKOFF_SECONDS", 30),
        "JOB_CLAIM_SECONDS": _int("JOB_CLAIM_SECONDS", 15 * 60),
        "LOGIN_LIMIT": os.environ.get("LOGIN_LIMIT") or "5 per 15 minutes",
        "PASSWORD_RESET_SECONDS": _int("PASSWORD_RESET_SECONDS", 3600),
        "INVITE_SECONDS": _int("INVITE_SECONDS", 7 * 24 * 3600),
        "SESSION_COOKIE_SECURE": _bool("SESSION_COOKIE_SECURE", production),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": _bool("SESSION_COOKIE_SECURE", production),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "PERMANENT_SESSION_LIFETIME": _int("SESSION_HOURS", 8) * 3600,  # absolute: sign in again after this
        "SESSION_IDLE_MINUTES": _int("SESSION_IDLE_MINUTES", 30),
        "TWO_FACTOR_PENDING_SECONDS": _int("TWO_FACTOR_PENDING_SECONDS", 300),
        "WTF_CSRF_TIME_LIMIT": None,
        "MAX_CONTENT_LENGTH": 12 * 1024 * 1024,
        "TESTING": env == "test",
        "DEBUG": False,
    }
    if overrides:
        cfg.update(overrides)
    if cfg["SECRET_KEY"] is None:
        if cfg["HOMEFINDER_ENV"] == "production":
            raise RuntimeError("SECRET_KEY must be set when HOMEFINDER_ENV=production")
        cfg["SECRET_KEY"] = "homefinder-development-only-secret"
    return cfg
