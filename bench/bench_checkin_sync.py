"""The door's phone coming back online with 500 check-ins queued: one sync request, on SQLite
and, when BENCH_DATABASE_URL names a database it may wipe, PostgreSQL.

The request goes through the whole app (Flask's test client: session, the organiser's access
to the event, the rate limit counted in the database, the JSON answer) on an event of 2,000
registrations. Measured three times on the same queue:
  - first sync: 500 check-ins recorded (500 conditional UPDATEs, receipts and audit entries);
  - the same batch again (an answer lost on the way): 500 recognised by their keys;
  - another phone's 500 check-ins of the same people: 500 "already checked in".
Target (issue 23): each under 2 s.
"""

from __future__ import annotations

import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import insert

from bench.database import engines, reset_postgres
from bench.report import print_rows
from mmm_events import create_app
from mmm_events.extensions import db
from mmm_events.models import Event, Registration, RegistrationStatus, Role, User

REGISTRATIONS = 2_000
QUEUED = 500
TARGET_SECONDS = 2.0
PASSWORD = "benchmark password"


def _app(url: str, instance: Path):
    app = create_app({
        "TESTING": True, "SECRET_KEY": "benchmark", "SQLALCHEMY_DATABASE_URI": url,
        "WTF_CSRF_ENABLED": False, "MAILBOX_DIR": str(instance / "mailbox"),
    })  # fmt: skip
    app.instance_path = str(instance)
    return app


def _load(app) -> tuple[int, int, list[str]]:
    """An event, an admin and REGISTRATIONS confirmed registrations; their check-in codes."""
    with app.app_context():
        upgrade()
        starts = datetime.now(UTC) - timedelta(hours=1)
        event = Event(slug="door", title="Door", timezone="Africa/Casablanca",
                      starts_at=starts, ends_at=starts + timedelta(hours=8),
                      capacity=REGISTRATIONS, seats_taken=REGISTRATIONS, is_published=True)
        admin = User(email="bench@example.org", name="Door", role=Role.ADMIN)
        admin.set_password(PASSWORD)
        db.session.add_all([event, admin])
        db.session.commit()
        codes = [f"bench-check-in-{n}" for n in range(REGISTRATIONS)]
        db.session.execute(insert(Registration.__table__), [
            {"event_id": event.id, "token": f"bench-token-{n}", "check_in_token": code,
             "full_name": f"Person {n}", "email": f"p{n}@example.org",
             "email_normalised": f"p{n}@example.org", "organisation": "", "country": "",
             "needs": "", "language": "en", "status": RegistrationStatus.CONFIRMED,
             "legacy_ticket": False, "consented_at": starts, "created_at": starts,
             "updated_at": starts}
            for n, code in enumerate(codes)
        ])  # fmt: skip
        db.session.commit()
        return event.id, admin.id, codes


def _sync(client, event_id: int, owner: int, items: list[dict]) -> tuple[float, list[str]]:
    started = time.perf_counter()
    response = client.post(f"/organiser/events/{event_id}/check-in/sync", json={"items": items},
                           headers={"X-Check-In-Owner": str(owner)})
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, response.status_code
    return elapsed, [r["outcome"] for r in response.get_json()["results"]]


def _queue(codes: list[str]) -> list[dict]:
    made = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
    return [{"key": str(uuid.uuid4()), "code": c, "made_at": made} for c in codes]


def run(label: str, url: str, instance: Path) -> None:
    app = _app(url, instance)
    event_id, owner, codes = _load(app)
    client = app.test_client()
    client.post("/sign-in", data={"email": "bench@example.org", "password": PASSWORD})
    queue = _queue(codes[:QUEUED])
    rows = []
    for name, items, expected in (
        ("first sync of 500 queued check-ins", queue, "new"),
        ("the same 500 again (a lost answer)", queue, "repeat"),
        ("another phone's 500 of the same people", _queue(codes[:QUEUED]), "already"),
    ):
        seconds, outcomes = _sync(client, event_id, owner, items)
        assert outcomes == [expected] * QUEUED, set(outcomes)
        rows.append((name, f"{seconds:.2f} s", f"< {TARGET_SECONDS:.0f} s",
                     seconds < TARGET_SECONDS))
    print_rows(label, rows)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-checkin-") as folder:
        instance = Path(folder)
        for label, url in engines():
            if url == "sqlite":
                url = f"sqlite:///{instance / 'bench.sqlite3'}"
            else:
                reset_postgres(url)
            run(label, url, instance)


if __name__ == "__main__":
    main()
