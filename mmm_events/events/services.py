"""Rules about events as the public sees them. Registering to them is in
``mmm_events.registrations``."""

from __future__ import annotations

import functools
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, String, bindparam, cast, func, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Event, PrivacyNotice, Question, QuestionOption
from ..models._base import utcnow, worth_looking_up


def upcoming_events(now: datetime, limit: int | None = None) -> list[Event]:
    """Published events that have not ended, soonest first."""
    query = (
        select(Event)
        .where(Event.is_published.is_(True), Event.ends_at > now)
        .order_by(Event.starts_at, Event.id)
    )
    if limit is not None:
        query = query.limit(limit)
    return list(db.session.scalars(query.options(selectinload(Event.cover_images))))


def past_events(now: datetime, limit: int = 20) -> list[Event]:
    query = (
        select(Event)
        .where(Event.is_published.is_(True), Event.ends_at <= now)
        .order_by(Event.starts_at.desc(), Event.id.desc())
        .limit(limit)
        .options(selectinload(Event.cover_images))
    )
    return list(db.session.scalars(query))


def published_event(slug: str) -> Event | None:
    """The event the public may see under this slug; drafts do not exist for them."""
    if not worth_looking_up(slug, 120):
        return None
    return db.session.scalar(
        select(Event).where(Event.slug == slug, Event.is_published.is_(True))
    )


def list_status(event: Event, now: datetime | None = None) -> str | None:
    """What the list of events says of an upcoming event beside its dates, when a reader
    would otherwise find out only on its page: that it is closed, invited people only, or
    full (newcomers then join the waiting list, as its page says)."""
    state = event.registration_state(now or utcnow())
    if state == "closed":
        return _l("Registration closed")
    if event.invite_only:
        return _l("By invitation")
    if event.seats_left == 0:
        return _l("Full, waiting list open")
    return None


def page_version(slug: str):
    """What the event page every visitor sees depends on, in one statement of plain columns
    (no event loaded): the event's id, content version and the columns of its registration
    state and seats, the version of the privacy notice in force (None before the first),
    and the ids of its questions' options whose places are all taken (a text, None when
    none are). None when the public may not see the event."""
    if not worth_looking_up(slug, 120):
        return None
    return db.session.execute(_page_version_statement(), {"slug": slug}).first()


@functools.cache
def _page_version_statement() -> Select:
    # Built once, the slug bound at each view: building it anew was a third of a kept page
    # view's CPU (SQLAlchemy coerces each column and hashes the statement for its cache).
    notice = select(func.max(PrivacyNotice.version)).scalar_subquery()
    full = (
        select(func.aggregate_strings(cast(QuestionOption.id, String), ","))
        .join(Question, Question.id == QuestionOption.question_id)
        .where(
            Question.event_id == Event.id,
            QuestionOption.places.is_not(None),
            QuestionOption.places_taken >= QuestionOption.places,
        )
        .scalar_subquery()
    )
    return select(
        Event.id, Event.content_version, Event.is_published, Event.registration_opens_at,
        Event.registration_closes_at, Event.ends_at, Event.capacity, Event.seats_taken,
        Event.invite_only, notice.label("notice"), full.label("full"),
    ).where(Event.slug == bindparam("slug"), Event.is_published.is_(True))
