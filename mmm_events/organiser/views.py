"""The organisers' dashboard: the events the signed-in person manages.

Each feature adds its own organiser pages to the same blueprint (its ``manage`` module);
``create_app`` imports them before it registers the blueprint."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user
from sqlalchemy import func, select

from ..extensions import db
from ..models import Event, Registration, RegistrationStatus
from .access import visible_events
from .blueprint import bp


@bp.get("/")
def dashboard():
    mine = list(
        db.session.scalars(visible_events(current_user).order_by(Event.starts_at.desc()))
    )
    return render_template(
        "organiser/dashboard.html", events=mine, waiting=waiting_counts([e.id for e in mine])
    )


def waiting_counts(event_ids: list[int]) -> dict[int, int]:
    """People on each event's waiting list, in one statement (confirmed people are counted
    on the event itself, ``seats_taken``)."""
    if not event_ids:
        return {}
    return dict(
        db.session.execute(
            select(Registration.event_id, func.count())
            .where(
                Registration.event_id.in_(event_ids),
                Registration.status == RegistrationStatus.WAITING,
            )
            .group_by(Registration.event_id)
        ).all()
    )

