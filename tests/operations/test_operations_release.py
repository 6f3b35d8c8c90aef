"""A rolling release migrates first: the previous release's code must work on the new schema.

"The previous release" for migration 0012_operations is the code just before the commit that
added it, taken from git. It runs in a subprocess (its own ``mmm_events`` package) against a
database migrated up to 0012_operations: it shows pages, registers someone, and its mail
worker delivers both its own email and one queued by the current code (which fills the new
``request_id`` column). Later migrations of the same release move event texts into their own
tables and replace the suppression list's addresses with keyed hashes; the previous release
cannot run on those (the README's rolling-release section says so), so the database is taken
back to 0012 for the old code, and to head again afterwards.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
from io import BytesIO
from pathlib import Path

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import select

from mmm_events.extensions import db
from mmm_events.models import OutboxMessage, OutboxStatus, Registration
from tests.registrations.test_registration_mail import rsvp

ROOT = Path(__file__).resolve().parents[2]
RELEASE_MIGRATION = "0012_operations"
MIGRATION = f"migrations/versions/{RELEASE_MIGRATION}.py"

OLD_RELEASE = """
import json, sys
from datetime import UTC, datetime, timedelta
from mmm_events import create_app
from mmm_events.extensions import db
from mmm_events.mail.worker import deliver_due
from mmm_events.models import Event

url, mailbox, slug = sys.argv[1:4]
app = create_app({
    "TESTING": True, "SECRET_KEY": "test", "SQLALCHEMY_DATABASE_URI": url,
    "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False, "MAIL_SERVER": "",
    "MAILBOX_DIR": mailbox, "SERVER_NAME": "events.example.org",
})
client = app.test_client()
event_page = client.get(f"/events/{slug}")
with app.app_context():
    event = db.session.scalar(db.select(Event).where(Event.slug == slug))
    days = [d.isoformat() for d in event.days]
posted = client.post(f"/events/{slug}", data={
    "full_name": "Old Release", "email": "old@example.org", "country": "Morocco",
    "language": "en", "consent": "y", "days": days,
})
with app.app_context():
    report = deliver_due()
    db.session.remove()
    db.engine.dispose()
import mmm_events
print(json.dumps({
    "package": mmm_events.__file__,
    "home": client.get("/").status_code, "event_page": event_page.status_code,
    "register": posted.status_code, "sent": report.sent, "failed": report.failed,
}))
"""


def previous_release(destination: Path) -> None:
    """Extract the code from just before the commit that added this issue's migration."""
    try:
        added = subprocess.run(
            ["git", "log", "--diff-filter=A", "--format=%H", "--", MIGRATION],
            cwd=ROOT, capture_output=True, text=True, check=True,
        ).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        added = []
    if not added:
        pytest.skip(f"not a git checkout with {MIGRATION} committed")
    archive = subprocess.run(
        ["git", "archive", "--format=tar", f"{added[-1]}^", "mmm_events", "templates",
         "static", "migrations"],
        cwd=ROOT, capture_output=True, check=True,
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(destination, filter="data")
    # Its translations, compiled as `make` would.
    for catalog in destination.glob("mmm_events/translations/*/LC_MESSAGES/messages.po"):
        subprocess.run(
            [sys.executable, "-m", "babel.messages.frontend", "compile", "-i", str(catalog),
             "-o", str(catalog.with_suffix(".mo"))],
            check=True, capture_output=True,
        )


# Migrations and the previous release's process use connections of their own.
@pytest.mark.real_commits
def test_previous_release_runs_on_the_new_schema(app, client, create_event, tmp_path):
    old = tmp_path / "previous-release"
    previous_release(old)
    assert not (old / MIGRATION).exists()
    event = create_event(slug="rolling-release")
    rsvp(client, event, email="new@example.org")  # queued by the current code
    with app.app_context():
        downgrade(revision=RELEASE_MIGRATION)
    try:
        check_the_previous_release(app, old, event, tmp_path)
    finally:
        with app.app_context():
            upgrade()


def check_the_previous_release(app, old: Path, event, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", OLD_RELEASE, app.config["SQLALCHEMY_DATABASE_URI"],
         str(tmp_path / "old-mailbox"), event.slug],
        cwd=old, env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(old)},
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    outcome = json.loads(result.stdout.splitlines()[-1])
    assert Path(outcome.pop("package")).is_relative_to(old)
    assert outcome == {"home": 200, "event_page": 200, "register": 303, "sent": 2, "failed": 0}
    with app.app_context():
        people = db.session.scalars(select(Registration.email).order_by(Registration.id)).all()
        rows = db.session.execute(
            select(OutboxMessage.recipient, OutboxMessage.status, OutboxMessage.request_id)
            .order_by(OutboxMessage.id)
        ).all()
    assert people == ["new@example.org", "old@example.org"]
    assert [(r.recipient, r.status) for r in rows] == [
        ("new@example.org", OutboxStatus.SENT),
        ("old@example.org", OutboxStatus.SENT),
    ]
    # The old code leaves the new column empty; the new code filled it.
    assert rows[0].request_id is not None and rows[1].request_id is None
    assert len(list((tmp_path / "old-mailbox").glob("*.eml"))) == 2
