"""Engine settings that the URL alone cannot express, and the health check's own connection."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask, has_request_context
from sqlalchemy import Connection, Engine, create_engine, event, select, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from .extensions import db
from .folding import fold
from .models import Event

# Indexes only PostgreSQL has, made by their migration rather than by the models (a trigram
# index has no SQLite equivalent): comparing the models with a database leaves them out.
POSTGRESQL_ONLY_INDEXES = frozenset({"ix_registration_search_trgm"})


def compared_with_models(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic's ``include_object``: everything but the PostgreSQL-only indexes."""
    return not (type_ == "index" and name in POSTGRESQL_ONLY_INDEXES)


def configure_engines(app: Flask) -> None:
    with app.app_context():
        engine = db.engine
    if engine.dialect.name != "sqlite":
        return
    database_file = _sqlite_file(engine.url)

    @event.listens_for(engine, "do_connect")
    def _refuse_to_create_in_a_request(_dialect, _record, _cargs, _cparams):
        # SQLite creates a missing file on connect: a request (or a health check) would then
        # find, or leave behind, an empty database where the real one should be.
        if database_file is not None and has_request_context() and not database_file.exists():
            raise sqlite3.OperationalError(f"the database file {database_file} does not exist")

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        # WAL lets readers go on while one registration writes; foreign keys are off by
        # default in SQLite, and the schema relies on them for cascades.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()
        # SQLite folds the case of ASCII letters only; searching "élodie" must find "Élodie".
        dbapi_connection.create_function("casefold", 1, _casefold, deterministic=True)
        dbapi_connection.create_function("fold_search", 1, _fold, deterministic=True)


def _casefold(value):
    return value.casefold() if isinstance(value, str) else value


def _fold(value):
    return fold(value) if isinstance(value, str) else value


def _sqlite_file(url: URL) -> Path | None:
    """The file of an SQLite database; None for one held in memory."""
    if not url.database or url.database == ":memory:" or url.database.startswith("file:"):
        return None
    return Path(url.database)


def database_is_readable(app: Flask) -> bool:
    """Whether the database answers a read of the schema within HEALTH_CHECK_TIMEOUT seconds."""
    try:
        with health_connection(app) as connection:
            connection.execute(select(Event.id).limit(1))
    except (SQLAlchemyError, sqlite3.Error):
        return False
    return True


@contextmanager
def health_connection(app: Flask) -> Iterator[Connection]:
    """A connection for the health checks (``/healthz``, ``/readyz``), bounded by connect and
    statement timeouts of HEALTH_CHECK_TIMEOUT seconds, so that a server that accepts
    connections but never answers cannot hold the request (nor a worker that is asked to
    stop) for longer than that. Raises SQLAlchemyError or sqlite3.Error when it gives up.
    """
    engine = app.extensions.get("mmm_health_engine")
    if engine is None:
        engine = app.extensions["mmm_health_engine"] = _health_engine(app)
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            # SET rather than a connection option, which PgBouncer refuses.
            seconds = int(app.config["HEALTH_CHECK_TIMEOUT"])
            connection.execute(text(f"SET statement_timeout = {seconds * 1000}"))
        yield connection


def _health_engine(app: Flask) -> Engine:
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    seconds = app.config["HEALTH_CHECK_TIMEOUT"]
    if url.get_backend_name() == "sqlite":
        database_file = _sqlite_file(url)
        if database_file is None:
            with app.app_context():
                return db.engine
        # mode=rw opens the file if it exists and never creates it.
        url = url.set(database=f"file:{database_file}", query={"mode": "rw", "uri": "true"})
        return create_engine(url, poolclass=NullPool, connect_args={"timeout": seconds})
    return create_engine(url, poolclass=NullPool, connect_args={"connect_timeout": seconds})
