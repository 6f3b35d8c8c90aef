"""A registration rush through the load balancer, with a web server and a mail worker killed.

`make bench BENCH=cluster` (not part of the test suite; about three minutes). It starts the
`make cluster` layout (scripts/cluster.py: nginx, two gunicorn servers, two mail workers, on
PostgreSQL ``mmm_cluster_bench``) with the mail workers delivering to an SMTP sink
in this process, then:

  1. throughput of the RSVP (open the event page, post the form) with CLIENTS clients for
     WINDOW seconds against one web server directly, then through nginx with two;
  2. the rush: CLIENTS clients register for RUSH seconds through nginx while an organiser
     exports the registrant list and sends invitations to INVITEES people; meanwhile one web
     server is killed (SIGKILL) and started again, and one mail worker is killed while it
     sends and started again;
  3. checks: confirmed never exceeds capacity; every registration a client saw succeed is in
     the database exactly once; every registration and invitation email arrived at the sink,
     duplicates counted against the bound (the one batch of the killed worker); 5xx answers
     counted inside and outside the window when a server was down.

The load runs in a separate process (``python -m bench.bench_cluster load ...``) so that it
shares no GIL with the SMTP sink. Prints a summary and exits non-zero if a check fails.
"""

from __future__ import annotations

import http.client
import json
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy import create_engine, func, select, text

from bench.database import reset_postgres
from bench.servers import RSVP_LIMITS_UNDER_LOAD
from scripts.cluster import Cluster, Settings

DATABASE = "postgresql+psycopg://postgres@127.0.0.1:5432/mmm_cluster_bench"
CLIENTS = 64
WINDOW = 15.0
RUSH = 60.0
CAPACITY = 400
INVITEES = 2000
BATCH = 20
PASSWORD = "benchmark organiser password"
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


# The load generator (its own process) ------------------------------------------------------


class Browser:
    """One visitor: a cookie jar of one cookie, a connection per request (as nginx sees many
    visitors), and the record of every POST: (start, end, status, email)."""

    def __init__(self, port: int):
        self.port, self.cookie = port, ""

    def request(self, method: str, path: str, form=None) -> tuple[int, str, str]:
        headers = {"Cookie": self.cookie} if self.cookie else {}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            cookie = response.getheader("Set-Cookie")
            if cookie:
                self.cookie = cookie.split(";", 1)[0]
            return response.status, response.getheader("Location") or "", response.read().decode()
        except OSError:
            return 0, "", ""  # no answer at all: counted apart from 5xx
        finally:
            connection.close()


def rsvp_once(browser: Browser, slug: str, days: list[str]) -> tuple[int, str]:
    status, _, page = browser.request("GET", f"/events/{slug}")
    token = CSRF.search(page)
    if status != 200 or token is None:
        return status, ""
    email = f"rush-{uuid.uuid4().hex}@example.org"
    form = [("csrf_token", token.group(1)), ("full_name", "Rush Person"), ("email", email),
            ("organisation", "MMM"), ("country", "Morocco"), ("needs", ""),
            ("language", "en"), ("consent", "y"), *[("days", day) for day in days]]
    status, _, _ = browser.request("POST", f"/events/{slug}", form)
    return status, email


def load(port: int, slug: str, days: list[str], clients: int, seconds: float) -> dict:
    records: list[tuple[float, float, int, str]] = []
    lock = threading.Lock()
    deadline = time.time() + seconds

    def visitor():
        browser, mine = Browser(port), []
        while time.time() < deadline:
            started = time.time()
            status, email = rsvp_once(browser, slug, days)
            mine.append((started, time.time(), status, email))
        with lock:
            records.extend(mine)

    threads = [threading.Thread(target=visitor) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"seconds": seconds, "records": records}


def run_load(port: int, slug: str, days: list[str], seconds: float) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "bench.bench_cluster", "load", str(port), slug, ",".join(days),
         str(CLIENTS), str(seconds)],
        stdout=subprocess.PIPE, text=True,
    )


def results(process: subprocess.Popen) -> dict:
    output, _ = process.communicate()
    return json.loads(output)


# The SMTP sink -------------------------------------------------------------------------------


class Sink:
    """Every message received, by Message-ID."""

    def __init__(self):
        from aiosmtpd.controller import Controller

        self.received: Counter[str] = Counter()
        self.lock = threading.Lock()
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        match = re.search(rb"^Message-ID:\s*(<[^>]+>)", envelope.content, re.M | re.I)
        with self.lock:
            self.received[match.group(1).decode() if match else "?"] += 1
        return "250 OK"

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc_info):
        self.controller.stop()


# Setting up and checking ---------------------------------------------------------------------


def prepare(database: str) -> tuple[str, int, list[str]]:
    """The event (CAPACITY seats), an admin and INVITEES imported invitees."""
    from mmm_events import create_app
    from mmm_events.accounts.services import create_user
    from mmm_events.extensions import db
    from mmm_events.invitations import services
    from mmm_events.models import Event, utcnow

    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": database})
    with app.app_context():
        starts = utcnow() + timedelta(days=60)
        event = Event(slug="rush", title="#Mothers4Peace rush", timezone="Africa/Casablanca",
                      starts_at=starts, ends_at=starts + timedelta(days=1, hours=8),
                      capacity=CAPACITY, is_published=True, summary="", venue="", city="",
                      country="Morocco")
        db.session.add(event)
        create_user("organiser@example.org", PASSWORD, admin=True, name="Organiser")
        db.session.flush()
        rows = "".join(f"invitee{n}@example.org,Invitee {n},,en\n" for n in range(INVITEES))
        report = services.build_import_report(
            event, "list.csv", ("email,name,organisation,language\n" + rows).encode()
        )
        services.save_import(event, report, now=utcnow())
        db.session.commit()
        result = (event.slug, event.id, [d.isoformat() for d in event.days])
        db.engine.dispose()
    return result


def organiser(
    port: int, event_id: int, log: list[str], sent: threading.Event, stop: threading.Event
) -> None:
    """Sign in, send the invitations, then export the registrant list every few seconds."""
    browser = Browser(port)
    _, _, page = browser.request("GET", "/sign-in")
    status, _, _ = browser.request("POST", "/sign-in", [
        ("csrf_token", CSRF.search(page).group(1)), ("email", "organiser@example.org"),
        ("password", PASSWORD)])
    log.append(f"organiser signed in: {status}")
    _, _, page = browser.request("GET", f"/organiser/events/{event_id}/invitations")
    status, _, _ = browser.request("POST", f"/organiser/events/{event_id}/invitations/send", [
        ("csrf_token", CSRF.search(page).group(1)), ("scope", "all")])
    log.append(f"invitations sent: {status}")
    sent.set()
    while not stop.wait(5):
        status, _, body = browser.request("GET", f"/organiser/events/{event_id}/registrants.csv")
        log.append(f"export: {status}, {body.count(chr(10))} lines")


def wait_for_batches(database: str) -> int:
    """How many emails are claimed by workers, once some are (at most 10 s): the moment to
    kill one mid-batch."""
    engine = create_engine(database)
    deadline = time.time() + 10
    with engine.connect() as connection:
        while True:
            sending = connection.scalar(
                text("SELECT count(*) FROM outbox_message WHERE status = 'sending'"))
            connection.commit()
            if sending or time.time() > deadline:
                break
            time.sleep(0.05)
    engine.dispose()
    return sending


def wait_for_outbox(engine, seconds: float) -> dict[str, int]:
    deadline = time.time() + seconds
    while True:
        with engine.connect() as connection:
            counts = dict(connection.execute(
                text("SELECT status, count(*) FROM outbox_message GROUP BY status")).all())
        if not counts.get("queued") and not counts.get("sending") or time.time() > deadline:
            return counts
        time.sleep(1)


def throughput(result: dict) -> float:
    return sum(1 for r in result["records"] if r[2] == 303) / result["seconds"]


def rush(cluster: Cluster, slug: str, event_id: int, days: list[str]) -> tuple[dict, tuple, list]:
    """The 60 s rush through nginx, with the organiser, and the two kills; returns the load's
    records, the (start, end) of the web server's absence, and the organiser's log."""
    port = cluster.settings.port
    load_process = run_load(port, slug, days, RUSH)
    log: list[str] = []
    stop, sent = threading.Event(), threading.Event()
    desk = threading.Thread(target=organiser, args=(port, event_id, log, sent, stop))
    time.sleep(8)
    desk.start()
    sent.wait(30)
    sending = wait_for_batches(cluster.settings.database_url)
    cluster.kill_worker(0)
    log.append(f"mail worker 1 killed (SIGKILL) while {sending} emails were being sent")
    time.sleep(3)
    cluster.start_worker(0)
    time.sleep(8)
    down = time.time()
    cluster.kill_web(0)
    log.append("web server 1 killed (SIGKILL)")
    time.sleep(3)
    cluster.start_web(0)
    cluster.wait_for(f"http://127.0.0.1:{cluster.settings.web_port}/readyz")
    up = time.time()
    log.append(f"web server 1 back after {up - down:.1f} s")
    result = results(load_process)
    stop.set()
    desk.join()
    return result, (down, up), log


def check_registrations(engine, records: list, down: tuple[float, float]) -> list[str]:
    failures = []
    succeeded = [r[3] for r in records if r[2] == 303]
    with engine.connect() as connection:
        statuses = dict(connection.execute(
            text("SELECT lower(status::text), count(*) FROM registration GROUP BY 1")).all())
        stored = Counter(dict(connection.execute(
            text("SELECT email, count(*) FROM registration GROUP BY email")).all()))
    confirmed = statuses.get("confirmed", 0)
    print(f"registrations: {sum(statuses.values())} ({statuses}); capacity {CAPACITY}")
    if confirmed > CAPACITY:
        failures.append(f"{confirmed} confirmed for {CAPACITY} seats")
    missing = [email for email in succeeded if stored[email] != 1]
    print(f"successful POSTs: {len(succeeded)}; not stored exactly once: {len(missing)}")
    if missing:
        failures.append(f"{len(missing)} successful registrations not stored exactly once")
    unseen = sum(stored.values()) - len(succeeded)
    print(f"stored although the client saw no success (killed mid-request): {unseen}")
    errors = [r for r in records if r[2] >= 500 or r[2] == 0]
    outside = [r for r in errors if r[1] < down[0] or r[0] > down[1]]
    print(f"5xx or no answer: {len(errors)} while a server was down, "
          f"{len(outside)} outside that window ({Counter(r[2] for r in errors)})")
    if outside:
        failures.append(f"{len(outside)} errors while every server was up")
    return failures


def check_emails(engine, sink: Sink) -> list[str]:
    failures = []
    counts = wait_for_outbox(engine, 120)
    with engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT message_id, registration_id IS NOT NULL, invitation_id IS NOT NULL "
            "FROM outbox_message")).all()
        registrations = connection.scalar(select(func.count()).select_from(text("registration")))
    print(f"outbox: {counts}")
    by_registration = sum(1 for r in rows if r[1])
    by_invitation = sum(1 for r in rows if r[2])
    if by_registration != registrations or by_invitation != INVITEES:
        failures.append(f"{by_registration} registration emails for {registrations} "
                        f"registrations, {by_invitation} invitations for {INVITEES}")
    ids = {r[0] for r in rows}
    missing = [i for i in ids if sink.received[i] == 0]
    duplicates = sum(n - 1 for i, n in sink.received.items() if n > 1)
    strangers = [i for i in sink.received if i not in ids]
    bound = BATCH
    print(f"emails: {len(ids)} queued, {len(ids) - len(missing)} arrived, {duplicates} "
          f"duplicates (bound for one killed worker: {bound}), {len(strangers)} unknown")
    if missing or strangers or duplicates > bound:
        failures.append(f"{len(missing)} missing, {duplicates} duplicates, "
                        f"{len(strangers)} unknown emails")
    return failures


def main() -> None:
    with tempfile.TemporaryDirectory() as run, Sink() as sink:
        settings = Settings(
            port=8090, web_port=8111, database_url=DATABASE, run_dir=Path(run),
            seed_demo=False,
            environment={"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(sink.port),
                         "MAIL_BATCH_SIZE": str(BATCH), "MAIL_TIMEOUT": "1",
                         "MAIL_LEASE_SECONDS": "10", "MAIL_POLL_SECONDS": "1",
                         **RSVP_LIMITS_UNDER_LOAD},
        )
        cluster = Cluster(settings)
        cluster.ensure_database()
        reset_postgres(DATABASE)
        with cluster:
            slug, event_id, days = prepare(DATABASE)
            one = results(run_load(settings.web_port, slug, days, WINDOW))
            two = results(run_load(settings.port, slug, days, WINDOW))
            print(f"RSVP throughput, {CLIENTS} clients, {WINDOW:.0f} s each: one web server "
                  f"{throughput(one):.0f}/s; two behind nginx {throughput(two):.0f}/s "
                  f"(ratio {throughput(two) / max(throughput(one), 0.001):.2f})")
            rushed, down, log = rush(cluster, slug, event_id, days)
            print("\n".join(log))
            print(f"rush: {len(rushed['records'])} registrations tried, "
                  f"{throughput(rushed):.0f} successful/s over {RUSH:.0f} s")
            engine = create_engine(DATABASE)
            records = one["records"] + two["records"] + rushed["records"]
            failures = check_registrations(engine, records, down)
            failures += check_emails(engine, sink)
            engine.dispose()
    print("FAILED: " + "; ".join(failures) if failures else "all checks passed")
    if failures:
        raise SystemExit(1)


if __name__ == "__main__" and sys.argv[1:2] == ["load"]:
    port, slug, days, clients, seconds = sys.argv[2:7]
    print(json.dumps(load(int(port), slug, [d for d in days.split(",") if d], int(clients),
                          float(seconds))))
