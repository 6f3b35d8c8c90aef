"""``/readyz``: whether this web server should receive traffic, and what an operator checks
first. ``/healthz`` (in web.py) only says the process and its database answer.

Ready means: the database answers, and its schema is not behind this code. A schema *ahead*
of the code is the normal state of a rolling release (migrations run first, then the servers
are replaced), so it is ready too. Whether a mail worker was seen recently is reported but
does not take web servers out of rotation: visitors can register while mail waits.
"""

from __future__ import annotations

from alembic.script import ScriptDirectory
from flask import Blueprint, current_app, jsonify
from sqlalchemy import inspect, text
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db
from .heartbeat import last_worker_seen, worker_seen_recently

bp = Blueprint("operations_readiness", __name__)


def migration_state() -> tuple[str, str | None, set[str]]:
    """("current" | "ahead" | "behind", the database's revision, this code's heads)."""
    scripts = ScriptDirectory(current_app.extensions["migrate"].directory)
    heads = set(scripts.get_heads())
    revision = None
    if inspect(db.engine).has_table("alembic_version"):
        revision = db.session.scalar(text("SELECT version_num FROM alembic_version"))
    if revision in heads:
        return "current", revision, heads
    known = {script.revision for script in scripts.walk_revisions()}
    # Unknown to this code: a newer release has migrated the database already.
    return ("behind" if revision is None or revision in known else "ahead"), revision, heads


@bp.get("/readyz")
def readyz():
    try:
        state, revision, heads = migration_state()
        worker_seen = last_worker_seen()
        worker_recent = worker_seen_recently()
    except SQLAlchemyError as exc:
        db.session.rollback()
        current_app.logger.warning("readiness: database unavailable: %s", exc)
        return jsonify(ready=False, database="unavailable"), 503
    ready = state != "behind"
    body = {
        "ready": ready,
        "database": "ok",
        "migrations": state,
        "database_revision": revision,
        "code_revisions": sorted(heads),
        "mail_worker_seen_recently": worker_recent,
        "mail_worker_last_seen": worker_seen.isoformat() if worker_seen else None,
    }
    return jsonify(body), 200 if ready else 503
