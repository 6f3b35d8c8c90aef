"""The organisers' area: everything here needs sign-in."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from ..extensions import db, login_manager
from ..models import Event
from .access import visible_events

bp = Blueprint("organiser", __name__, url_prefix="/organiser")


@bp.before_request
def require_sign_in():
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    return None


@bp.after_request
def never_cache(response):
    # Registrant details must not linger in shared or back-button caches.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/")
def dashboard():
    mine = db.session.scalars(visible_events(current_user).order_by(Event.starts_at.desc()))
    return render_template("organiser/dashboard.html", events=list(mine))


# The areas register their routes on ``bp`` when imported; they import ``bp`` from here, so
# they come last.
from . import (  # noqa: E402, F401
    checkin,
    events,
    exports,
    invitations,
    messages,
    news,
    outbox,
    registrants,
)
