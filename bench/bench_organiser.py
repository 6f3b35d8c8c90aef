"""The registrant list and the CSV and XLSX exports of 100,000 registrations, on SQLite and
PostgreSQL.

Each measurement is printed beside a baseline of the same run on the same rows: a bare
``SELECT ... LIMIT 50`` for the list page, a bare ``csv.writer`` over the same columns for the
export. PostgreSQL is measured when BENCH_DATABASE_URL names a database (its ``public`` schema
is dropped and rebuilt).

Targets (issue 4): list page under 150 ms; export under 3 s with memory growth under 50 MB.
Issue 11: the XLSX export at most 3x the CSV export's time in the same run.
"""

from __future__ import annotations

import csv
import os
import resource
import statistics
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import insert, text

from bench.database import postgres_url, reset_postgres
from mmm_events import create_app
from mmm_events.extensions import db
from mmm_events.models import (
    Event,
    Registration,
    RegistrationDay,
    RegistrationStatus,
    Role,
    User,
)

ROWS = 100_000
BATCH = 10_000
PASSWORD = "benchmark password"
FIRST_NAMES = [
    "Amina", "Fatima", "Élodie", "Wanjiru", "Carla", "Mei", "Sara", "Nadia", "Ana", "Zoë",
]
SEARCH = "wanjiru"


def _config(url: str, instance: Path) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "benchmark",
        "SQLALCHEMY_DATABASE_URI": url,
        "WTF_CSRF_ENABLED": False,
        "MAILBOX_DIR": str(instance / "mailbox"),
    }


def _load(app) -> tuple[int, float]:
    """The event, an admin and ROWS registrations (with days) inserted in bulk; seconds taken."""
    with app.app_context():
        starts = datetime(2027, 5, 3, 8, 0, tzinfo=UTC)
        event = Event(
            slug="mothers4peace",
            title="Mothers4Peace",
            timezone="Africa/Casablanca",
            starts_at=starts,
            ends_at=starts + timedelta(days=1, hours=8),
            capacity=ROWS,
            seats_taken=0,
            is_published=True,
        )
        admin = User(email="bench@example.org", role=Role.ADMIN)
        admin.set_password(PASSWORD)
        db.session.add_all([event, admin])
        db.session.commit()
        day1, day2 = event.days
        statuses = [RegistrationStatus.CONFIRMED] * 8 + [
            RegistrationStatus.WAITING,
            RegistrationStatus.CANCELLED,
        ]
        started = time.perf_counter()
        confirmed = 0
        for first in range(0, ROWS, BATCH):
            rows, days = [], []
            for n in range(first, min(first + BATCH, ROWS)):
                status = statuses[n % 10]
                confirmed += status is RegistrationStatus.CONFIRMED
                name = f"{FIRST_NAMES[n % 10]} Person{n}"
                rows.append(
                    {
                        "id": n + 1,
                        "event_id": event.id,
                        "token": f"bench-token-{n}",
                        "full_name": name,
                        "email": f"person{n}@example.org",
                        "email_normalised": f"person{n}@example.org",
                        "organisation": f"Organisation {n % 500}",
                        "country": "Morocco",
                        "status": status,
                        "consented_at": starts,
                        "created_at": starts - timedelta(seconds=ROWS - n),
                        "updated_at": starts,
                    }
                )
                days.append({"registration_id": n + 1, "day": day1})
                if n % 3 == 0:
                    days.append({"registration_id": n + 1, "day": day2})
            # Core inserts with executemany: the ORM's unit of work would cost several times more.
            connection = db.session.connection()
            connection.execute(insert(Registration.__table__), rows)
            connection.execute(insert(RegistrationDay.__table__), days)
        db.session.execute(
            text("UPDATE event SET seats_taken = :n WHERE id = :id"),
            {"n": confirmed, "id": event.id},
        )
        db.session.commit()
        elapsed = time.perf_counter() - started
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("ANALYZE"))
            db.session.execute(
                text("SELECT setval('registration_id_seq', (SELECT max(id) FROM registration))")
            )
            db.session.commit()
        return event.id, elapsed


def _median_ms(function, repeat: int = 7) -> float:
    function()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(engine: str, url: str, instance: Path) -> None:
    app = create_app(_config(url, instance))
    app.instance_path = str(instance)
    with app.app_context():
        upgrade()
    event_id, load_seconds = _load(app)
    print(f"[{engine}] loaded {ROWS:,} registrations in {load_seconds:.2f} s", flush=True)

    client = app.test_client()
    response = client.post("/sign-in", data={"email": "bench@example.org", "password": PASSWORD})
    assert response.status_code == 302, response.status_code
    base = f"/organiser/events/{event_id}/registrants"

    columns = (
        "id, full_name, email, organisation, country, language, status, created_at, "
        "checked_in_at, cancelled_at, needs"
    )

    def bare_select():
        with app.app_context():
            list(
                db.session.execute(
                    text(f"SELECT {columns} FROM registration WHERE event_id = :e LIMIT 50"),  # noqa: S608
                    {"e": event_id},
                )
            )

    def page(**args):
        def request():
            response = client.get(base, query_string=args)
            assert response.status_code == 200
            response.get_data()

        return request

    baseline = _median_ms(bare_select)
    print(f"[{engine}] baseline: bare SELECT ... LIMIT 50: {baseline:.2f} ms")
    for label, args in (
        ("first page, no search", {}),
        (f"first page, search {SEARCH!r}", {"q": SEARCH}),
        (f"search {SEARCH!r}, by name, page 100", {"q": SEARCH, "sort": "name", "page": 100}),
        ("waiting, by email desc", {"status": "waiting", "sort": "email", "order": "desc"}),
        ("search 'élodie' (not ASCII)", {"q": "élodie"}),
        ("sorted by checked-in time, page 1000", {"sort": "checked_in", "page": 1000}),
    ):
        ms = _median_ms(page(**args))
        verdict = "ok" if ms < 150 else "OVER the 150 ms target"
        print(f"[{engine}] list {label}: {ms:.1f} ms ({ms / baseline:.0f}x baseline) {verdict}")

    def bare_csv():
        sink = open(os.devnull, "w", newline="", encoding="utf-8")  # noqa: SIM115
        with app.app_context(), sink:
            writer = csv.writer(sink)
            result = db.session.execute(
                text(f"SELECT {columns} FROM registration WHERE event_id = :e ORDER BY id"),  # noqa: S608
                {"e": event_id},
            )
            for row in result:
                writer.writerow(row)

    started = time.perf_counter()
    bare_csv()
    csv_baseline = time.perf_counter() - started
    print(f"[{engine}] baseline: bare csv.writer over the same rows: {csv_baseline:.2f} s")

    def export(extension: str = "csv"):
        started = time.perf_counter()
        response = client.get(f"{base}.{extension}")
        first_chunk = None
        size = 0
        for chunk in response.response:
            if first_chunk is None:
                first_chunk = time.perf_counter() - started
            size += len(chunk)
        response.close()
        return time.perf_counter() - started, first_chunk, size

    export()
    rss_before = _peak_rss_mb()
    seconds, first_chunk, size = export()
    rss_growth = _peak_rss_mb() - rss_before
    tracemalloc.start()
    export()
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    verdict = "ok" if seconds < 3 and traced_peak / 2**20 < 50 else "OVER target"
    print(
        f"[{engine}] CSV export of {ROWS:,} rows ({size / 2**20:.1f} MB): {seconds:.2f} s "
        f"({seconds / csv_baseline:.1f}x baseline), first bytes after {first_chunk * 1000:.0f} ms; "
        f"peak memory growth {traced_peak / 2**20:.1f} MB (tracemalloc), "
        f"peak RSS growth {rss_growth:.1f} MB; {verdict}",
        flush=True,
    )
    # The XLSX against the CSV of the same run: the target is at most 3x.
    export("xlsx")
    xlsx_seconds, xlsx_first_chunk, xlsx_size = export("xlsx")
    ratio = xlsx_seconds / seconds
    print(
        f"[{engine}] XLSX export of {ROWS:,} rows ({xlsx_size / 2**20:.1f} MB): "
        f"{xlsx_seconds:.2f} s, {ratio:.1f}x the CSV export, first bytes after "
        f"{xlsx_first_chunk * 1000:.0f} ms; {'ok' if ratio <= 3 else 'OVER target'}",
        flush=True,
    )
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-organiser-") as folder:
        instance = Path(folder)
        run("sqlite", f"sqlite:///{instance / 'bench.sqlite3'}", instance)
        url = postgres_url()
        if url:
            reset_postgres(url)
            run("postgresql", url, instance)
        else:
            print("[postgresql] skipped: set BENCH_DATABASE_URL to measure it too")


if __name__ == "__main__":
    main()
