"""Public event pages: the list and the invitation."""

from __future__ import annotations

from flask import Blueprint, abort, render_template

from ..models import utcnow
from . import services

bp = Blueprint("events", __name__, url_prefix="/events")


@bp.get("/")
def index():
    now = utcnow()
    return render_template(
        "events/index.html",
        upcoming=services.upcoming_events(now),
        past=services.past_events(now),
    )


@bp.get("/<slug>")
def detail(slug: str):
    event = services.published_event(slug)
    if event is None:
        abort(404)
    return render_template(
        "events/detail.html", event=event, registration_state=event.registration_state(utcnow())
    )
