"""Who may manage what: admins manage everything, organisers the events they are assigned to."""

from __future__ import annotations

from flask import abort
from flask_login import current_user
from sqlalchemy import Select, select

from ..extensions import db
from ..models import Event, User, event_organiser


def visible_events(user: User) -> Select[tuple[Event]]:
    """The events ``user`` may manage, as a query to refine further."""
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


def admin_required() -> None:
    if not current_user.is_admin:
        abort(403)
