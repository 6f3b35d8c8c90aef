"""The organisers' area: the dashboard, and every area's routes registered on one blueprint."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user

from ..extensions import db
from ..models import Event
from .access import visible_events
from .blueprint import bp


@bp.get("/")
def dashboard():
    mine = db.session.scalars(visible_events(current_user).order_by(Event.starts_at.desc()))
    return render_template("organiser/dashboard.html", events=list(mine))


# Imported last, for the routes they add to ``bp``: they may import ``bp`` from here.
from . import checkin, events, exports, invitations, messages, news, outbox, registrants, users  # noqa: E402, F401, I001
from ..privacy import organiser as privacy_pages  # noqa: E402, F401
