"""Rules about events as the public sees them. Registering to them is in
``mmm_events.registrations``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from ..extensions import db
from ..models import Event
from ..models._base import worth_looking_up

# Kept importable from here for the organiser's event form (organiser/events.py), which adds
# seats and fills them; its rules live with the other registration rules.


def upcoming_events(now: datetime, limit: int | None = None) -> list[Event]:
    """Published events that have not ended, soonest first."""
    query = (
        select(Event)
        .where(Event.is_published.is_(True), Event.ends_at > now)
        .order_by(Event.starts_at, Event.id)
    )
    if limit is not None:
        query = query.limit(limit)
    return list(db.session.scalars(query))


def past_events(now: datetime, limit: int = 20) -> list[Event]:
    query = (
        select(Event)
        .where(Event.is_published.is_(True), Event.ends_at <= now)
        .order_by(Event.starts_at.desc(), Event.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(query))


def published_event(slug: str) -> Event | None:
    """The event the public may see under this slug; drafts do not exist for them."""
    if not worth_looking_up(slug, 120):
        return None
    return db.session.scalar(
        select(Event).where(Event.slug == slug, Event.is_published.is_(True))
    )
