"""The check-in page's script: the event's list for the phone, the queued check-ins it sends,
and its service worker. The page itself, and check-in without script, are in ``checkin``.
Routes only; the rules are in ``mmm_events.registrations.door``."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from pathlib import Path

from flask import Response, current_app, jsonify, request
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from ...attempts import TooManyAttempts
from ...extensions import db
from ...models import utcnow
from ...organiser.access import event_for_organiser
from ...organiser.blueprint import bp
from .. import door

# The phone says whose list and queue it holds; a queue kept from another organiser's session
# (signed out, then someone else signed in on the same phone) is refused, not recorded as theirs.
OWNER_HEADER = "X-Check-In-Owner"
REFRESH_OVERLAP = timedelta(minutes=1)


@bp.get("/events/<int:event_id>/check-in/list")
def check_in_list(event_id: int):
    """The list as JSON; ``?since=`` (the ``since`` of the previous answer) for the changes
    only."""
    event = event_for_organiser(event_id)
    since = None
    if request.args.get("since"):
        try:
            since = datetime.fromisoformat(request.args["since"])
        except ValueError:
            return jsonify(error="since"), 400
        if since.tzinfo is None:
            return jsonify(error="since"), 400
    now = utcnow()
    return jsonify(
        # A change committed while this answer was read may carry an earlier time than
        # ``now``: the next refresh looks back a little before it.
        since=(now - REFRESH_OVERLAP).isoformat(),
        keep_until=door.keep_until(event).isoformat(),
        # A fresh token for the queue's next sync: the one in a page kept offline may be old.
        csrf_token=generate_csrf(),
        people=door.door_list(event, since),
    )


@bp.post("/events/<int:event_id>/check-in/sync")
def check_in_sync(event_id: int):
    """Record a batch of queued check-ins; for each, whether it was new or already recorded."""
    event = event_for_organiser(event_id)
    if request.headers.get(OWNER_HEADER) != str(current_user.id):
        return jsonify(error="owner"), 409
    now = utcnow()
    try:
        batch = door.parse_batch(request.get_json(silent=True), now=now)
    except door.BadBatch:
        return jsonify(error="batch"), 400
    try:
        door.count_sync(current_user, now=now)
    except TooManyAttempts as refused:
        wait = max(1, math.ceil((refused.until - now).total_seconds()))
        return jsonify(error="busy", retry_after=wait), 429, {"Retry-After": str(wait)}
    results = door.record_batch(event, current_user, batch, now=now)
    db.session.commit()
    return jsonify(results=results)


@bp.get("/check-in-worker.js")
def check_in_worker():
    """The service worker, served from here so that its scope covers the check-in pages
    (a worker controls only the addresses under its own)."""
    script = Path(current_app.static_folder or "", "js", "checkin-worker.js").read_bytes()
    return Response(script, mimetype="text/javascript",
                    headers={"Service-Worker-Allowed": "/organiser/"})
