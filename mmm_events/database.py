"""Engine settings that the URL alone cannot express."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import event

from .extensions import db


def configure_engines(app: Flask) -> None:
    with app.app_context():
        engine = db.engine
    if engine.dialect.name != "sqlite":
        return

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


def _casefold(value):
    return value.casefold() if isinstance(value, str) else value
