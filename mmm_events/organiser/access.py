"""Who may manage what, and loading what a view works on, refused (404) to those who may not.

Every feature's organiser pages use these: admins manage every event, organisers the events
they are assigned to. Rules of one feature stay in it (``news.services.may_manage_post``).
"""

from __future__ import annotations

from typing import TypeVar

from flask import abort
from flask_login import current_user
from sqlalchemy import Select, select

from ..extensions import db
from ..models import Event, User, event_organiser

Row = TypeVar("Row")


def visible_events(user: User) -> Select[tuple[Event]]:
    """The events ``user`` may manage, as a query to refine further: admins manage every
    event, organisers the events they are assigned to."""
    query = select(Event)
    if not user.is_admin:
        query = query.join(event_organiser).where(event_organiser.c.user_id == user.id)
    return query


def can_manage(user: User, event: Event) -> bool:
    return user.is_admin or any(o.id == user.id for o in event.organisers)


def event_for_organiser(event_id: int) -> Event:
    """The event, if the signed-in user may manage it; 404 otherwise, so that the
    existence of other organisers' events is not revealed."""
    event = db.session.get(Event, event_id)
    if event is None or not can_manage(current_user, event):
        abort(404)
    return event


def of_organisers_event(model: type[Row], row_id: int) -> Row:
    """The row of ``model`` (a registration, a letter, a document: anything with an
    ``event_id``) if the signed-in user may manage its event; 404 otherwise, as
    ``event_for_organiser``."""
    row = db.session.get(model, row_id)
    if row is None:
        abort(404)
    event_for_organiser(row.event_id)
    return row


def admin_required() -> None:
    if not current_user.is_admin:
        abort(403)
