"""Invitations: 10,000 personalised invitations rendered and delivered by the mail worker,
against a bare smtplib loop, in the same run, to the same local SMTP server.

  (a) the application's path: ``invitations.services.send_invitations`` (the organiser's bulk
      send) queues 10,000 outbox rows naming their invitation, without rendering them; then
      the real mail worker (``flask mail-worker --once``, its own process, its start-up
      included, as configured by default: two delivery threads, each with its own SMTP
      connection) claims them, renders each personalised email (text, HTML, calendar file,
      headers) and delivers it;
  (b) the baseline: the same 10,000 messages, rendered beforehand to bytes, sent by a bare loop
      of ``smtplib.SMTP.sendmail`` over one connection.

The SMTP server (aiosmtpd) runs in a third process, so that it competes with neither. Printed:
the worker's delivery rate and the end-to-end rate (rendering included) against the baseline's,
their ratios (target >= 0.8 for delivery), and the worker's peak memory (target < 200 MB).
SQLite by default; BENCH_DATABASE_URL names a PostgreSQL database to use instead (its public
schema is dropped and rebuilt).
"""

from __future__ import annotations

import multiprocessing
import os
import smtplib
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from bench.database import postgres_url, reset_postgres

COUNT = 10_000
SECRET = "benchmark-secret-key-not-for-production"
SERVER_NAME = "events.example.org"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _serve_smtp(port: int, received, ready, stop) -> None:
    from aiosmtpd.controller import Controller

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
            with received.get_lock():
                received.value += 1
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    stop.wait()
    controller.stop()


class SmtpProcess:
    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        self.port = free_port()
        self.received = context.Value("i", 0)
        self.ready = context.Event()
        self.stop_event = context.Event()
        self.process = context.Process(
            target=_serve_smtp, args=(self.port, self.received, self.ready, self.stop_event)
        )

    def __enter__(self):
        self.process.start()
        if not self.ready.wait(30):
            raise RuntimeError("the SMTP server did not start")
        return self

    def __exit__(self, *exc_info):
        self.stop_event.set()
        self.process.join(10)

    def reset(self) -> None:
        with self.received.get_lock():
            self.received.value = 0


def settings(url: str, smtp_port: int, instance: Path) -> dict:
    return {
        "SQLALCHEMY_DATABASE_URI": url,
        "SECRET_KEY": SECRET,
        "SERVER_NAME": SERVER_NAME,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": smtp_port,
        "MAILBOX_DIR": str(instance / "mailbox"),
    }


def prepare(url: str, config: dict) -> int:
    """A migrated database with one event and 10,000 imported invitees; returns the event id."""
    from flask_migrate import upgrade

    from mmm_events import create_app
    from mmm_events.extensions import db
    from mmm_events.invitations import services
    from mmm_events.models import Event, utcnow

    if url.startswith("postgresql"):
        reset_postgres(url)
    app = create_app(config)
    with app.app_context():
        upgrade()
        starts = utcnow() + timedelta(days=60)
        event = Event(
            slug="mothers4peace",
            title="#Mothers4Peace",
            summary="Mothers as peacebuilders: a conference with UNESCO.",
            venue="Conference centre",
            city="Casablanca",
            country="Morocco",
            timezone="Africa/Casablanca",
            starts_at=starts,
            ends_at=starts + timedelta(days=1, hours=8),
            capacity=500,
            is_published=True,
            contact_email="events@example.org",
        )
        db.session.add(event)
        db.session.commit()
        rows = "".join(
            f"person{n}@example.org,Person {n},Organisation {n % 97},{'fr' if n % 3 else 'en'},\n"
            for n in range(COUNT)
        )
        started = time.perf_counter()
        report = services.build_import_report(
            event, "list.csv", ("email,name,organisation,language\n" + rows).encode()
        )
        services.save_import(event, report, now=utcnow())
        db.session.commit()
        print(f"import of {COUNT:,} rows: {time.perf_counter() - started:.2f} s")
        event_id = event.id
        db.engine.dispose()
    return event_id


def render(config: dict, event_id: int) -> float:
    """(a), first half: the organiser's bulk send, which queues the rows for the worker."""
    from mmm_events import create_app
    from mmm_events.extensions import db
    from mmm_events.invitations import services
    from mmm_events.mail.worker import delivery_threads
    from mmm_events.models import Event, utcnow

    app = create_app(config)
    with app.app_context():
        started = time.perf_counter()
        result = services.send_invitations(db.session.get(Event, event_id), now=utcnow())
        db.session.commit()
        elapsed = time.perf_counter() - started
        assert result.queued == COUNT, result
        print(f"mail worker: {delivery_threads()} delivery thread(s), one SMTP connection each")
        db.engine.dispose()
    return elapsed


def _peak_rss_mb(pid: int, done: threading.Event, peak: list[float]) -> None:
    """Follow the process's own high-water mark (VmHWM) until it ends.

    Not ru_maxrss from wait4: on Linux that also counts the memory of the process before it
    exec'd, i.e. a copy of this (large) benchmark process.
    """
    status = Path(f"/proc/{pid}/status")
    while not done.is_set():
        try:
            for line in status.read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak[0] = max(peak[0], int(line.split()[1]) / 1024)
        except (FileNotFoundError, ProcessLookupError):
            return
        done.wait(0.02)


def run_worker(config: dict) -> tuple[float, float]:
    """(a), second half: the real worker in its own process; (seconds, peak RSS in MB)."""
    env = {
        **os.environ,
        "MMM_ENV": "production",
        "DATABASE_URL": config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": SECRET,
        "SERVER_NAME": SERVER_NAME,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(config["MAIL_PORT"]),
    }
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "mmm_events", "mail-worker", "--once"],
        env=env,
        stdout=subprocess.PIPE,
    )
    done, peak = threading.Event(), [0.0]
    watcher = threading.Thread(target=_peak_rss_mb, args=(process.pid, done, peak))
    watcher.start()
    output = process.communicate()[0].decode().strip()
    elapsed = time.perf_counter() - started
    done.set()
    watcher.join()
    if process.returncode != 0:
        raise RuntimeError(f"the mail worker failed: {output}")
    print(output)
    return elapsed, peak[0]


def prerendered(config: dict) -> list[tuple[str, str, bytes]]:
    """The very messages the worker sent, as bytes, for the baseline."""
    from mmm_events import create_app
    from mmm_events.extensions import db
    from mmm_events.mail.mime import build_message
    from mmm_events.models import OutboxMessage

    app = create_app(config)
    with app.app_context():
        messages = []
        for row in db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)):
            message = build_message(row)
            messages.append((row.sender, row.recipient, message.as_bytes()))
        db.engine.dispose()
    return messages


def bare_loop(port: int, messages: list[tuple[str, str, bytes]]) -> float:
    """(b): one connection, one sendmail per message, nothing else."""
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as connection:
        for sender, recipient, data in messages:
            connection.sendmail(sender, [recipient], data)
    return time.perf_counter() - started


def main() -> None:
    with tempfile.TemporaryDirectory() as folder, SmtpProcess() as smtp:
        instance = Path(folder)
        url = postgres_url() or f"sqlite:///{instance / 'bench.sqlite3'}"
        os.environ["INSTANCE_PATH"] = str(instance)
        config = settings(url, smtp.port, instance)
        print(f"database: {url.split('://')[0]}; SMTP server: aiosmtpd, own process")
        event_id = prepare(url, config)

        render_seconds = render(config, event_id)
        worker_seconds, worker_mb = run_worker(config)
        delivered = smtp.received.value
        if delivered != COUNT:
            raise RuntimeError(f"the server received {delivered} messages, not {COUNT}")

        messages = prerendered(config)
        smtp.reset()
        bare_seconds = bare_loop(smtp.port, messages)
        if smtp.received.value != COUNT:
            raise RuntimeError(f"the baseline delivered {smtp.received.value}, not {COUNT}")

    size = sum(len(m[2]) for m in messages) / len(messages) / 1024
    bare_rate = COUNT / bare_seconds
    worker_rate = COUNT / worker_seconds
    end_to_end_rate = COUNT / (render_seconds + worker_seconds)
    print(f"messages: {COUNT:,}, {size:.1f} KB each on average (text, HTML, .ics)")
    render_rate = COUNT / render_seconds
    print(f"(a) bulk send, queueing:       {render_seconds:.1f} s ({render_rate:,.0f}/s)")
    print(f"(a) mail worker, render+send:  {worker_seconds:.1f} s ({worker_rate:,.0f}/s)")
    print(f"(b) bare smtplib loop:         {bare_seconds:.1f} s ({bare_rate:,.0f}/s)")
    print(f"ratio worker / bare loop:      {worker_rate / bare_rate:.2f}  (target >= 0.8)")
    print(f"ratio queue+worker / bare:     {end_to_end_rate / bare_rate:.2f}")
    print(f"worker peak memory (RSS):      {worker_mb:.0f} MB  (target < 200 MB)")


if __name__ == "__main__":
    main()
