"""``/readyz``: whether this web server should receive traffic, and what an operator checks
first. ``/healthz`` (in web.py) only says the process and its database answer.

Ready means: the database answers, and its schema is not behind this code. A schema *ahead*
of the code is the normal state of a rolling release (migrations run first, then the servers
are replaced), so it is ready too. Whether a mail worker was seen recently is reported but
does not take web servers out of rotation: visitors can register while mail waits.
"""

from __future__ import annotations

import sqlite3

from alembic.script import ScriptDirectory
from flask import Blueprint, abort, current_app, jsonify
from sqlalchemy import Connection, func, inspect, select, text
from sqlalchemy.exc import SQLAlchemyError

from ..database import health_connection
from .access import operator_request
from .heartbeat import MailWorkerHeartbeat, seen_recently

bp = Blueprint("operations_readiness", __name__)


def migration_state(connection: Connection) -> tuple[str, str | None, set[str]]:
    """("current" | "ahead" | "behind", the database's revision, this code's heads)."""
    scripts = ScriptDirectory(current_app.extensions["migrate"].directory)
    heads = set(scripts.get_heads())
    revision = None
    if inspect(connection).has_table("alembic_version"):
        revision = connection.scalar(text("SELECT version_num FROM alembic_version"))
    if revision in heads:
        return "current", revision, heads
    known = {script.revision for script in scripts.walk_revisions()}
    # Unknown to this code: a newer release has migrated the database already.
    return ("behind" if revision is None or revision in known else "ahead"), revision, heads


@bp.get("/readyz")
def readyz():
    if not operator_request():
        abort(403)
    # On the health check's own connection: a database that has stopped answering makes
    # this server unready within HEALTH_CHECK_TIMEOUT seconds, as /healthz says so.
    try:
        with health_connection(current_app) as connection:
            state, revision, heads = migration_state(connection)
            worker_seen = connection.scalar(select(func.max(MailWorkerHeartbeat.last_seen_at)))
    except (SQLAlchemyError, sqlite3.Error) as exc:
        current_app.logger.warning("readiness: database unavailable: %s", exc)
        return jsonify(ready=False, database="unavailable"), 503
    ready = state != "behind"
    body = {
        "ready": ready,
        "database": "ok",
        "migrations": state,
        "database_revision": revision,
        "code_revisions": sorted(heads),
        "mail_worker_seen_recently": seen_recently(worker_seen),
        "mail_worker_last_seen": worker_seen.isoformat() if worker_seen else None,
    }
    return jsonify(body), 200 if ready else 503
