"""Registration under load: the RSVP POST against a bare insert, and the RSVP's latency while
the mail server is slow.

The app runs under gunicorn (2 workers) on a free port; the load comes from a second process
(``bench.loadgen``: threads and http.client). Measured in the same run, on SQLite and, when
BENCH_DATABASE_URL names one, on PostgreSQL (its public schema is dropped and rebuilt):

  (a) RSVP POST: the full form with its CSRF token, validation, the seat claim, the insert
      and the outbox row;
  (b) a bare endpoint of the same app and configuration that only inserts one row. It exists
      only in the app this module builds for gunicorn (``bench_app``), never in production.

It prints the ratio of throughputs a/b (target >= 0.7), and the RSVP's p50/p99 latency with the
mail worker delivering to an SMTP server that answers at once, then to one that takes one
second per message (target: p99 within 20%): requests never wait for the mail server.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

from sqlalchemy import create_engine, insert, text

from bench.database import postgres_url, reset_postgres

ROOT = Path(__file__).resolve().parent.parent
BARE_PATH = "/bench/insert-one-row"
SECRET = "benchmark-secret-key-not-for-production"
THREADS = 8
SECONDS = 6.0
ROUNDS = 3


def bench_app():
    """What gunicorn serves: the real application, plus the bare endpoint (b)."""
    from mmm_events import create_app
    from mmm_events.extensions import csrf, db
    from mmm_events.models import Registration, RegistrationStatus
    from mmm_events.models._base import new_token

    app = create_app()
    event_id = int(os.environ["BENCH_BARE_EVENT_ID"])

    @csrf.exempt
    def insert_one_row():
        token = new_token()
        db.session.execute(
            insert(Registration).values(
                event_id=event_id,
                token=token,
                full_name="Bare insert",
                email=f"{token}@example.org",
                email_normalised=f"{token}@example.org",
                status=RegistrationStatus.WAITING,
            )
        )
        db.session.commit()
        return "ok"

    app.add_url_rule(BARE_PATH, "bench_insert_one_row", insert_one_row, methods=["POST"])
    return app


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SlowableSmtp:
    """aiosmtpd on loopback; ``delay`` seconds before accepting each message."""

    def __init__(self):
        from aiosmtpd.controller import Controller

        self.delay = 0.0
        self.received = 0
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        if self.delay:
            await asyncio.sleep(self.delay)
        self.received += 1
        return "250 OK"


def prepare_database(url: str, instance: Path) -> tuple[str, int, list[str]]:
    """Migrate, then add the RSVP event and the bare endpoint's event."""
    from flask_migrate import upgrade

    from mmm_events import create_app
    from mmm_events.extensions import db
    from mmm_events.models import Event, utcnow

    if url.startswith("postgresql"):
        reset_postgres(url)
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET, "SERVER_NAME": "127.0.0.1"}
    )
    with app.app_context():
        upgrade()
        starts = utcnow() + timedelta(days=60)
        events = [
            Event(slug=slug, title=slug, timezone="Africa/Casablanca", starts_at=starts,
                  ends_at=starts + timedelta(days=1, hours=8), capacity=10**6,
                  is_published=True)
            for slug in ("bench-rsvp", "bench-bare")
        ]
        db.session.add_all(events)
        db.session.commit()
        days = [d.isoformat() for d in events[0].days]
        result = (events[0].slug, events[1].id, days)
        db.session.remove()
        db.engine.dispose()
    return result


def load(port: int, mode: str, seconds: float, slug: str = "", days=()) -> dict:
    command = [
        sys.executable, "-m", "bench.loadgen", "--port", str(port), "--mode", mode,
        "--threads", str(THREADS), "--seconds", str(seconds), "--slug", slug,
        "--days", ",".join(days), "--path", BARE_PATH,
    ]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
    result = json.loads(done.stdout)
    result["per_second"] = result["requests"] / result["seconds"]
    return result


def combine(results: list[dict]) -> dict:
    requests = sum(r["requests"] for r in results)
    seconds = sum(r["seconds"] for r in results)
    return {
        "requests": requests,
        "errors": sum(r["errors"] for r in results),
        "seconds": seconds,
        "per_second": requests / seconds,
        "latencies_ms": [ms for r in results for ms in r["latencies_ms"]],
    }


def percentile(values: list[float], p: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def wait_until_up(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("gunicorn exited: " + process.stderr.read().decode())
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/events/", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer within 30 s")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def empty_outbox(url: str) -> None:
    """Start each latency run with nothing queued, so that both runs are alike."""
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE outbox_message SET status = 'sent' WHERE status IN ('queued', 'sending')")
        )
    engine.dispose()


def run_engine(label: str, url: str) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-registration-") as folder:
        instance = Path(folder)
        if url == "sqlite":
            url = f"sqlite:///{instance / 'bench.sqlite3'}"
        slug, bare_event_id, days = prepare_database(url, instance)
        smtp = SlowableSmtp()
        smtp.controller.start()
        port = free_port()
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "SECRET_KEY": SECRET,
            "MMM_ENV": "production",
            "SERVER_NAME": "127.0.0.1",
            "INSTANCE_PATH": str(instance),
            "BENCH_BARE_EVENT_ID": str(bare_event_id),
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": str(smtp.port),
            "MAIL_POLL_SECONDS": "1",
        }
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}",
             "--log-level", "warning", "bench.bench_registration:bench_app()"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        worker = None
        try:
            wait_until_up(port, server)
            load(port, "rsvp", 1, slug, days)  # warm up both workers and both paths
            load(port, "bare", 1)
            # Alternating short rounds, so that a burst of other work on the machine weighs
            # on both sides alike.
            rounds = [
                (load(port, "bare", SECONDS / ROUNDS), load(port, "rsvp", SECONDS / ROUNDS,
                                                            slug, days))
                for _ in range(ROUNDS)
            ]
            bare, rsvp = (combine([r[i] for r in rounds]) for i in (0, 1))

            worker = subprocess.Popen(
                [str(Path(sys.executable).with_name("flask")), "--app", "mmm_events",
                 "mail-worker"],
                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            )
            latencies = {}
            for name, delay in (("fast", 0.0), ("slow", 1.0)):
                empty_outbox(url)
                smtp.delay = delay
                latencies[name] = load(port, "rsvp", SECONDS, slug, days)
        finally:
            if worker is not None:
                stop(worker)
            stop(server)
            smtp.controller.stop()
    errors = sum(r["errors"] for r in (bare, rsvp, *latencies.values()))
    fast, slow = latencies["fast"]["latencies_ms"], latencies["slow"]["latencies_ms"]
    return {
        "label": label,
        "a": rsvp["per_second"],
        "b": bare["per_second"],
        "fast_p50": percentile(fast, 50),
        "fast_p99": percentile(fast, 99),
        "slow_p50": percentile(slow, 50),
        "slow_p99": percentile(slow, 99),
        "delivered": smtp.received,
        "errors": errors,
    }


def main() -> None:
    engines = [("SQLite", "sqlite")]
    postgres = postgres_url()
    if postgres:
        engines.append(("PostgreSQL", postgres))
    else:
        print("PostgreSQL: skipped (set BENCH_DATABASE_URL to a database it may wipe)")
    print(f"gunicorn, 2 workers; load: {THREADS} threads in another process, {SECONDS:.0f} s "
          f"per measurement (a and b: {ROUNDS} alternating rounds each)")
    for label, url in engines:
        r = run_engine(label, url)
        print(
            f"{r['label']}: (a) RSVP {r['a']:.0f} req/s, (b) bare insert {r['b']:.0f} req/s, "
            f"a/b = {r['a'] / r['b']:.2f} (target >= 0.70)"
        )
        print(
            f"{r['label']}: RSVP latency with fast SMTP p50 {r['fast_p50']:.1f} ms, "
            f"p99 {r['fast_p99']:.1f} ms; with SMTP taking 1 s per message p50 "
            f"{r['slow_p50']:.1f} ms, p99 {r['slow_p99']:.1f} ms; "
            f"p99 slow/fast = {r['slow_p99'] / r['fast_p99']:.2f} (target <= 1.20); "
            f"{r['delivered']} emails delivered meanwhile; {r['errors']} failed requests"
        )


if __name__ == "__main__":
    main()
