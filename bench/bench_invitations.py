"""Invitations: 10,000 personalised invitations rendered and delivered by the mail worker,
through an SMTP relay that takes 20 ms to accept each message, against that relay's own limit.

  (a) the application's path: ``invitations.services.send_invitations`` (the organiser's bulk
      send) queues 10,000 outbox rows naming their invitation, without rendering them; then
      WORKERS real mail workers (``flask mail-worker --once``, each its own process, start-up
      included, each batch over one SMTP connection) claim them, render each personalised
      email (text, HTML, calendar file, headers), build it with Flask-Mail and deliver it;
  (b) the relay's own limit for as many connections as the workers used at once: the very
      messages, built beforehand, sent by bare ``smtplib.SMTP.sendmail`` loops, one thread
      and connection each, doing nothing else.

The relay (aiosmtpd, sleeping 20 ms in DATA like a real relay's checks) runs in a third
process, so that it competes with neither. Printed: the workers' rate against the relay's
limit (below 1 by the time a worker takes to build each message before the relay reads it)
(target >= 0.9), the workers' CPU per message with the ceiling it sets on that ratio
(a worker's connection waits while it builds the next message), and a worker's peak memory
(target < 200 MB). SQLite by default; BENCH_DATABASE_URL names a PostgreSQL database to use
instead (its public schema is dropped and rebuilt). BENCH_MAIL_WORKERS sets how many worker
processes run (2 by default; the relay's limit is then measured over as many connections);
BENCH_INVITATIONS shortens the run on a loaded machine (the target is set on 10,000).
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import smtplib
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from bench.database import postgres_url, reset_postgres
from bench.servers import SECRET, free_port

COUNT = int(os.environ.get("BENCH_INVITATIONS", 10_000))
# What the relay takes to accept one message; the limit of one connection is its inverse.
RELAY_SECONDS = 0.020
# Messages the bare loops send to measure the relay's limit: enough for a steady rate.
BASELINE_COUNT = min(2_000, COUNT)
SERVER_NAME = "events.example.org"
# Mail worker processes side by side, each one connection at a time: how mail goes faster
# (a worker is one plain loop; see mmm_events/mail/worker.py).
WORKERS = int(os.environ.get("BENCH_MAIL_WORKERS", 2))
# At least this share of the relay's limit, for as many connections as the workers use.
TARGET_RATIO = 0.9
MEMORY_TARGET_MB = 200


def _serve_smtp(port: int, received, most_open, ready, stop) -> None:
    import asyncio

    from aiosmtpd.controller import Controller

    class Handler:
        open = 0

        async def handle_EHLO(self, server, session, envelope, hostname, responses):  # noqa: N802
            Handler.open += 1
            with most_open.get_lock():
                most_open.value = max(most_open.value, Handler.open)
            session.host_name = hostname
            return responses

        async def handle_QUIT(self, server, session, envelope):  # noqa: N802
            Handler.open -= 1
            return "221 Bye"

        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
            await asyncio.sleep(RELAY_SECONDS)
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
        # The most connections open at once: what the worker used, for the relay's limit.
        self.most_open = context.Value("i", 0)
        self.ready = context.Event()
        self.stop_event = context.Event()
        self.process = context.Process(
            target=_serve_smtp,
            args=(self.port, self.received, self.most_open, self.ready, self.stop_event),
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
        with self.most_open.get_lock():
            self.most_open.value = 0


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
    from mmm_events.models import Event, utcnow

    app = create_app(config)
    with app.app_context():
        started = time.perf_counter()
        result = services.send_invitations(db.session.get(Event, event_id), now=utcnow())
        db.session.commit()
        elapsed = time.perf_counter() - started
        assert result.queued == COUNT, result
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


def _children_cpu_seconds() -> float:
    """CPU time of this process's children that have ended and been waited for."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_workers(config: dict) -> tuple[float, float, float]:
    """(a), second half: WORKERS real workers, each in its own process; (seconds, the
    highest peak RSS of one in MB, their CPU seconds together, start-up included)."""
    env = {
        **os.environ,
        "MMM_ENV": "production",
        "DATABASE_URL": config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": SECRET,
        "SERVER_NAME": SERVER_NAME,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(config["MAIL_PORT"]),
    }
    started, cpu_before = time.perf_counter(), _children_cpu_seconds()
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "mmm_events", "mail-worker", "--once"],
            env=env,
            stdout=subprocess.PIPE,
        )
        for _ in range(WORKERS)
    ]
    done, peaks = threading.Event(), [[0.0] for _ in processes]
    watchers = [
        threading.Thread(target=_peak_rss_mb, args=(process.pid, done, peak))
        for process, peak in zip(processes, peaks, strict=True)
    ]
    for watcher in watchers:
        watcher.start()
    outputs = [process.communicate()[0].decode().strip() for process in processes]
    elapsed = time.perf_counter() - started
    done.set()
    for watcher in watchers:
        watcher.join()
    for process, output in zip(processes, outputs, strict=True):
        if process.returncode != 0:
            raise RuntimeError(f"a mail worker failed: {output}")
        print(output)
    return elapsed, max(peak[0] for peak in peaks), _children_cpu_seconds() - cpu_before


def prerendered(config: dict) -> list[tuple[str, str, bytes]]:
    """The first messages of the queue, rendered and built the worker's way, for (b)."""
    from mmm_events import create_app
    from mmm_events.extensions import db
    from mmm_events.mail import fill
    from mmm_events.mail.messages import OutboxEmail
    from mmm_events.mail.renderers import RENDERERS
    from mmm_events.models import OutboxMessage

    app = create_app(config)
    with app.app_context():
        messages = []
        rows = db.session.scalars(
            select(OutboxMessage).order_by(OutboxMessage.id).limit(BASELINE_COUNT)
        )
        for row in rows:
            fill(row, RENDERERS[row.render["renderer"]].render(row))
            messages.append((row.sender, row.recipient, OutboxEmail(row).as_bytes()))
        db.session.rollback()
        db.engine.dispose()
    return messages


def bare_loops(port: int, messages: list[tuple[str, str, bytes]], connections: int) -> float:
    """(b): ``connections`` threads, each one connection and one sendmail per message."""

    def loop(share):
        with smtplib.SMTP("127.0.0.1", port) as connection:
            for sender, recipient, data in share:
                connection.sendmail(sender, [recipient], data)

    threads = [
        threading.Thread(target=loop, args=(messages[n::connections],))
        for n in range(connections)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def main() -> None:
    with tempfile.TemporaryDirectory() as folder, SmtpProcess() as smtp:
        instance = Path(folder)
        url = postgres_url() or f"sqlite:///{instance / 'bench.sqlite3'}"
        os.environ["INSTANCE_PATH"] = str(instance)
        config = settings(url, smtp.port, instance)
        print(f"database: {url.split('://')[0]}; SMTP relay: aiosmtpd, own process, ", end="")
        print(f"{RELAY_SECONDS * 1000:.0f} ms per message")
        event_id = prepare(url, config)

        queue_seconds = render(config, event_id)
        messages = prerendered(config)
        connections = WORKERS
        # The relay's limit, measured before and after the worker: the machine's load moves.
        bare_seconds = bare_loops(smtp.port, messages, connections)
        smtp.reset()
        worker_seconds, worker_mb, worker_cpu = run_workers(config)
        delivered, used = smtp.received.value, smtp.most_open.value
        if delivered != COUNT:
            raise RuntimeError(f"the relay received {delivered} messages, not {COUNT}")
        if used != connections:
            raise RuntimeError(f"the workers used {used} connections at once, not {connections}")
        smtp.reset()
        bare_seconds += bare_loops(smtp.port, messages, connections)
        if smtp.received.value != len(messages):
            raise RuntimeError(f"the baseline delivered {smtp.received.value} messages")

    size = sum(len(m[2]) for m in messages) / len(messages) / 1024
    worker_rate = COUNT / worker_seconds
    relay_rate = 2 * len(messages) / bare_seconds
    nominal = connections / RELAY_SECONDS
    print(f"messages: {COUNT:,}, {size:.1f} KB each on average (text, HTML, .ics)")
    print(f"connections the workers used at once: {connections} (one per worker)")
    queue_rate = COUNT / queue_seconds
    print(f"(a) bulk send, queueing:           {queue_seconds:.1f} s ({queue_rate:,.0f}/s)")
    print(f"(a) mail workers, render+send:     {worker_seconds:.1f} s ({worker_rate:,.1f}/s)")
    print(f"(b) relay's limit, bare loops:     {relay_rate:,.1f}/s (nominal {nominal:,.0f}/s)")
    print(
        f"ratio workers / relay's limit:     {worker_rate / relay_rate:.2f}"
        f"  (target >= {TARGET_RATIO})"
    )
    print(f"ratio workers / nominal limit:     {worker_rate / nominal:.2f}")
    # A worker holds the relay's connection idle while it builds the next message: one that
    # takes c ms of CPU a message sends at most RELAY / (RELAY + c) of the relay's limit.
    cpu_ms = worker_cpu * 1000 / COUNT
    ceiling = RELAY_SECONDS * 1000 / (RELAY_SECONDS * 1000 + cpu_ms)
    print(f"worker CPU per message:            {cpu_ms:.1f} ms (start-up included)")
    print(f"ceiling of the ratio at that CPU:  {ceiling:.2f} (an idle machine)")
    print(
        f"worker peak memory (RSS):          {worker_mb:.0f} MB"
        f"  (target < {MEMORY_TARGET_MB} MB)"
    )


if __name__ == "__main__":
    main()
