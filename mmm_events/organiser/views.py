"""The organisers' area: the dashboard, and every area's routes registered on one blueprint."""

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


# Imported last, for the routes they add to ``bp``: they may import ``bp`` from here.
from . import checkin, events, exports, invitations, messages, news, outbox, registrants, users  # noqa: E402, F401, I001
from ..privacy import organiser as privacy_pages  # noqa: E402, F401
