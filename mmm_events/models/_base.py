"""Helpers shared by the models."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from sqlalchemy import DateTime, TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_token() -> str:
    """An unguessable token: 32 random bytes (256 bits), URL-safe."""
    return secrets.token_urlsafe(32)


def worth_looking_up(value: str | None, max_length: int = 64) -> bool:
    """Whether a slug or token that came from outside is worth a query. PostgreSQL refuses
    text with NUL characters (an error, not "no row"), and nothing we issue is that long."""
    return isinstance(value, str) and 0 < len(value) <= max_length and "\x00" not in value


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on every engine.

    SQLite keeps no time zone, so values come back naive; this puts UTC back on them,
    and refuses naive values on the way in, where their zone would be a guess.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where a UTC datetime is required")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
