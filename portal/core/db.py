"""Database plumbing: declarative base with a naming convention, engine and request session."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy import DateTime, MetaData, create_engine, event, make_url
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, scoped_session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on PostgreSQL and SQLite alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None:
            if value.tzinfo is None:
                raise ValueError("naive datetime given to a UTCDateTime column")
            value = value.astimezone(timezone.utc)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def make_engine(url: str, pool_size: int = 5) -> Engine:
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    if url.startswith("sqlite"):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)  # a fresh checkout has no instance/
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # foreign keys are off by default in SQLite
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.close()

        return engine
    return create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)


def _new_session() -> Session:
    return current_app.extensions["homefinder.sessionmaker"]()


# One session per thread (request, job or CLI command); removed when the app context ends.
session: scoped_session[Session] = scoped_session(_new_session)


def init_app(app: Flask) -> None:
    engine = make_engine(app.config["DATABASE_URL"], app.config["DATABASE_POOL_SIZE"])
    app.extensions["homefinder.engine"] = engine
    app.extensions["homefinder.sessionmaker"] = sessionmaker(bind=engine, expire_on_commit=False)

    @app.teardown_appcontext
    def _remove_session(exc):
        session.remove()


def engine() -> Engine:
    return current_app.extensions["homefinder.engine"]




def commit() -> None:
    """Commit the current transaction, then dispatch the jobs it queued (never before)."""
    pending = session.info.pop("homefinder.pending_jobs", [])
    session.commit()
    if pending:
        dispatcher = current_app.extensions["homefinder.dispatcher"]
        for run in pending:
            dispatcher.dispatch(run.id, run.key)


@event.listens_for(Session, "after_soft_rollback")
def _forget_pending_jobs(sess: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:  # the outermost transaction, not a savepoint
        sess.info.pop("homefinder.pending_jobs", None)
