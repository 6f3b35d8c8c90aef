"""Loading what a view works on, refused (404) to those who may not manage it.

The rules themselves live with their feature: ``events.editing`` for events, ``news.services``
for posts.
"""

from __future__ import annotations

from flask import abort
from flask_login import current_user

from ..events.editing import can_manage, visible_events
from ..extensions import db
from ..models import Event, NewsPost
from ..news.services import may_manage_post

# visible_events is imported from here by the dashboard and the other organiser modules.
__all__ = ["admin_required", "event_for_organiser", "post_for_organiser", "visible_events"]


def event_for_organiser(event_id: int) -> Event:
    """The event, if the signed-in user may manage it; 404 otherwise, so that the
    existence of other organisers' events is not revealed."""
    event = db.session.get(Event, event_id)
    if event is None or not can_manage(current_user, event):
        abort(404)
    return event


def post_for_organiser(post_id: int) -> NewsPost:
    """The post, if the signed-in user may manage it; 404 otherwise, as for events."""
    post = db.session.get(NewsPost, post_id)
    if post is None or not may_manage_post(current_user, post):
        abort(404)
    return post


def admin_required() -> None:
    if not current_user.is_admin:
        abort(403)
