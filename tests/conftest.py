"""Fixtures: an application on a fresh, migrated database per test, on every engine we ship for.

SQLite always; PostgreSQL too when TEST_DATABASE_URL names one. The schema is built once per
run by the Alembic migrations (so every test also exercises them), then each test gets its own
copy (SQLite) or emptied tables (PostgreSQL).
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import socket
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from flask import Flask, current_app
from flask_migrate import upgrade
from flask_sqlalchemy.session import Session as FlaskSession
from jinja2.bccache import Bucket, BytecodeCache
from sqlalchemy import Connection, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import scoped_session, sessionmaker

from mmm_events import create_app
from mmm_events.addresses import normalise_email
from mmm_events.extensions import db
from mmm_events.models import Event, NewsPost

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL", "")
ENGINES = ["sqlite", "postgresql"] if POSTGRES_URL else ["sqlite"]
# Under pytest-xdist each worker process ("gw0", "gw1", ...) has databases of its own.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")

BASE_CONFIG: dict[str, Any] = {
    "TESTING": True,
    # Tests run as production does; TESTING lets them go without SERVER_NAME.
    "MMM_ENV": "production",
    "SECRET_KEY": "test-secret-key-not-for-production",
    "WTF_CSRF_ENABLED": False,
    "MAIL_SERVER": "",
    "MAIL_DEFAULT_SENDER": "Make Mothers Matter <events@example.org>",
}


# Fixtures whose point is a second connection: a live server's threads, gunicorn's processes,
# the mail worker (its lease commits apart from the session) delivering to a real SMTP server.
REAL_COMMIT_FIXTURES = frozenset({"live_server", "gunicorn", "smtp_server"})


def pytest_collection_modifyitems(config, items):
    for item in items:
        if REAL_COMMIT_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.real_commits)


def pytest_report_header(config):
    engines = ", ".join(ENGINES)
    hint = "" if POSTGRES_URL else " (set TEST_DATABASE_URL to add PostgreSQL)"
    return f"mmm-events databases: {engines}{hint}"


def postgres_url(suffix: str = "") -> str:
    """TEST_DATABASE_URL, or under pytest-xdist a database of this worker's own beside it
    (``<name>_gw0``); ``suffix`` names another one beside that. Commits do not wait for the
    disk (synchronous_commit off, for these connections only): what the server shows other
    connections, and when, is unchanged; only a crash of the server could lose the last
    transactions, which a test database can afford."""
    url = make_url(POSTGRES_URL)
    if url.drivername in {"postgresql", "postgres"}:
        url = url.set(drivername="postgresql+psycopg")
    worker = f"_{WORKER}" if WORKER else ""
    url = url.set(database=f"{url.database}{worker}{suffix}")
    url = url.update_query_dict({"options": "-c synchronous_commit=off"})
    return url.render_as_string(hide_password=False)


def migrate_to_head(database_url: str, instance_path: Path) -> None:
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url})
    app.instance_path = str(instance_path)
    with app.app_context():
        upgrade()
        db.engine.dispose()


def create_postgres_database(url: str) -> None:
    """Create the database of ``url`` if it does not exist, through the server's ``postgres``
    maintenance database (CREATE DATABASE cannot run inside a transaction)."""
    name = make_url(url).database
    engine = create_engine(
        make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT"
    )
    with engine.connect() as connection:
        exists = connection.scalar(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
        )
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()


def reset_postgres_schema(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("sqlite-template")
    path = folder / "template.sqlite3"
    migrate_to_head(f"sqlite:///{path}", folder)
    return path


def migrated_postgres_database(url: str, instance_path: Path) -> str:
    create_postgres_database(url)
    reset_postgres_schema(url)
    migrate_to_head(url, instance_path)
    return url


@pytest.fixture(scope="session")
def migrated_postgres(tmp_path_factory) -> str:
    """The worker's PostgreSQL database for the tests that roll back (never committed to)."""
    return migrated_postgres_database(postgres_url(), tmp_path_factory.mktemp("pg-instance"))


@pytest.fixture(scope="session")
def committing_postgres(tmp_path_factory) -> str:
    """The worker's PostgreSQL database for the tests marked ``real_commits``, emptied before
    each: apart, so that what they commit never shows in a test that rolls back."""
    return migrated_postgres_database(
        postgres_url("_commits"), tmp_path_factory.mktemp("pg-instance")
    )


def empty_postgres_tables(url: str) -> None:
    engine = create_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


def needs_real_commits(request) -> bool:
    return request.node.get_closest_marker("real_commits") is not None


@pytest.fixture(scope="session")
def shared_sqlite(sqlite_template, tmp_path_factory) -> str:
    """The worker's SQLite database for the tests that roll back (never committed to)."""
    path = tmp_path_factory.mktemp("sqlite-shared") / "shared.sqlite3"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture(params=ENGINES)
def database_url(request, tmp_path) -> str:
    """A migrated database of the engine this test run is for: a fresh one (a copy of the
    template on SQLite, emptied tables on PostgreSQL) for tests marked ``real_commits``; for
    the others, the worker's database that is never committed to, which they only ever see
    inside a transaction that ``make_app`` rolls back."""
    real_commits = needs_real_commits(request)
    if request.param == "sqlite":
        if not real_commits:
            return request.getfixturevalue("shared_sqlite")
        path = tmp_path / "test.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    if not real_commits:
        return request.getfixturevalue("migrated_postgres")
    url = request.getfixturevalue("committing_postgres")
    empty_postgres_tables(url)
    return url


class MemoryBytecodeCache(BytecodeCache):
    """Jinja's compiled templates, shared by every app of the worker: each app has a Jinja
    environment of its own, and compiling the templates again for each was a fifth of the
    suite's time. A changed template has another checksum, so it is compiled afresh."""

    def __init__(self) -> None:
        self.compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        if bucket.key in self.compiled:
            bucket.bytecode_from_string(self.compiled[bucket.key])

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.compiled[bucket.key] = bucket.bytecode_to_string()


TEMPLATES = MemoryBytecodeCache()
# The apps ``make_app()`` builds for the worker's rolled-back tests, kept per database and
# overrides: building one (its URL map, its extensions) costs more than most tests (85 ms), and
# most tests ask for the same few (no overrides; SERVER_NAME; CSRF on). Each test gets one back
# with the configuration it was built with.
KEPT_APPS: dict[tuple[str, str], Flask] = {}


@pytest.fixture
def make_app(request, database_url, tmp_path) -> Iterator[Callable[..., Flask]]:
    """Build an app on this test's database, with extra configuration.

    Unless the test is marked ``real_commits``, every app of the test shares one connection in
    a transaction that is rolled back at the end: the session runs in SAVEPOINTs inside it, so
    the code's commits and rollbacks behave as usual (see ``OneTransaction``); and the app of
    each set of overrides is built once per worker (``KEPT_APPS``).
    """
    apps: list[Flask] = []
    reused: dict[Flask, dict[str, Any]] = {}  # a kept app: its configuration to put back
    transaction = None if needs_real_commits(request) else OneTransaction(database_url)

    def factory(**overrides: Any) -> Flask:
        key = (database_url, repr(sorted(overrides.items())))
        kept = KEPT_APPS.get(key) if transaction is not None else None
        # A second app with the same overrides in one test is a second server: a new one.
        keep = transaction is not None and kept not in apps
        app = kept if keep else None
        if app is None:
            app = create_app(
                {
                    **BASE_CONFIG,
                    "SQLALCHEMY_DATABASE_URI": database_url,
                    "MAILBOX_DIR": str(tmp_path / "mailbox"),
                    **overrides,
                }
            )
            app.jinja_env.bytecode_cache = TEMPLATES
            if keep:
                KEPT_APPS[key] = app
        if keep and app not in reused:
            reused[app] = dict(app.config)
        # The test's own folders: its mailbox, its uploads.
        app.config["MAILBOX_DIR"] = str(tmp_path / "mailbox")
        app.instance_path = str(tmp_path)
        apps.append(app)
        if transaction is not None:
            transaction.join(app)
        return app

    yield factory
    for app in apps:
        with app.app_context():
            db.session.remove()
    if transaction is not None:
        transaction.roll_back()
    for app, config in reused.items():
        app.config.clear()
        app.config.update(config)
    for app in set(apps) - set(reused):
        with app.app_context():
            db.engine.dispose()


class OneTransaction:
    """One connection in one transaction for the whole test, rolled back at its end (Indico's
    way). ``db.session`` is bound to the connection with ``join_transaction_mode=
    "create_savepoint"``, so the code's ``commit()`` releases a SAVEPOINT and its
    ``rollback()`` goes back to one. A second connection from an app's engine (another thread,
    the mail lease, a process) could not see the test's rows: it fails at once, saying that the
    test needs ``@pytest.mark.real_commits``. An app of the test on another database (a
    missing file, say) keeps its own engine."""

    def __init__(self, database_url: str) -> None:
        self.url = make_url(database_url)
        self.connection: Connection | None = None
        self.apps: set[Flask] = set()
        self.engines: list[Any] = []
        self._saved_session = db.session

    def join(self, app: Flask) -> None:
        with app.app_context():
            engine = db.engine
        if engine.url != self.url:
            return
        if self.connection is None:
            self.connection = engine.connect()
            if engine.dialect.name == "sqlite":
                # pysqlite would otherwise let SQLite end the transaction at the first
                # RELEASE SAVEPOINT: take BEGIN and COMMIT into our own hands.
                self.connection.connection.driver_connection.isolation_level = None
                self.connection.exec_driver_sql("BEGIN")
            else:
                self.connection.begin()
            factory = sessionmaker(
                class_=ConnectionSession,
                db=db,
                query_cls=db.Query,
                bind=self.connection,
                join_transaction_mode="create_savepoint",
                info={"apps": self.apps},
            )
            db.session = scoped_session(factory, scopefunc=app_context_id)
        self.apps.add(app)
        if engine not in self.engines:
            event.listen(engine, "checkout", refuse_second_connection)
            self.engines.append(engine)

    def roll_back(self) -> None:
        db.session = self._saved_session
        for engine in self.engines:
            event.remove(engine, "checkout", refuse_second_connection)
        if self.connection is not None:
            if self.connection.dialect.name == "sqlite":
                self.connection.exec_driver_sql("ROLLBACK")
            else:
                self.connection.rollback()
            self.connection.close()


class ConnectionSession(FlaskSession):
    """Flask-SQLAlchemy's session, on the test's connection rather than the app's engine
    (for the apps on the test's database)."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        if current_app._get_current_object() in self.info["apps"]:
            return self.bind
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)


def app_context_id() -> int:
    from flask.globals import app_ctx

    return id(app_ctx._get_current_object())


def refuse_second_connection(*_args) -> None:
    raise RuntimeError(
        "this test runs in one rolled-back transaction, and something opened a second database"
        " connection (a thread, the mail lease, db.engine): mark the test real_commits"
    )


@pytest.fixture
def app(make_app) -> Flask:
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def detached(app: Flask, obj):
    """Commit ``obj`` and hand it back loaded, usable after its app context has ended."""
    with app.app_context():
        db.session.add(obj)
        db.session.commit()
        db.session.refresh(obj)
        db.session.expunge(obj)
    return obj


@pytest.fixture
def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def clock(now) -> Iterator[time_machine.Traveller]:
    """The process's clock stopped at ``now`` (time-machine: ``datetime.now``, ``time.time``
    and the rest of the wall clock, wherever the code reads them), so that times and waits can
    be asserted exactly; ``clock.shift(timedelta(...))`` moves it on. Monotonic clocks keep
    running, so timeouts and the SMTP server's event loop are unaffected."""
    with time_machine.travel(now, tick=False) as traveller:
        yield traveller


@pytest.fixture
def create_event(app, now) -> Callable[..., Event]:
    """Make a published event two months ahead; any field can be overridden."""
    counter = iter(range(1, 10_000))

    def factory(**fields: Any) -> Event:
        n = next(counter)
        starts_at = fields.pop("starts_at", now + timedelta(days=60))
        values: dict[str, Any] = {
            "slug": f"event-{n}",
            "title": f"Event {n}",
            "hashtag": "#Mothers4Peace",
            "summary": "A summary.",
            "description": "A description.",
            "venue": "Conference centre",
            "city": "Casablanca",
            "country": "Morocco",
            "timezone": "Africa/Casablanca",
            "starts_at": starts_at,
            "ends_at": starts_at + timedelta(days=1, hours=8),
            "capacity": 50,
            "is_published": True,
        }
        values.update(fields)
        return detached(app, Event(**values))

    return factory


@pytest.fixture
def create_post(app) -> Callable[..., NewsPost]:
    counter = iter(range(1, 10_000))

    def factory(**fields: Any) -> NewsPost:
        n = next(counter)
        values: dict[str, Any] = {
            "slug": f"post-{n}",
            "title": f"Post {n}",
            "published_on": datetime(2020, 1, 1, tzinfo=UTC).date() + timedelta(days=n),
            "summary": f"Summary {n}.",
            "body": f"Body of post {n}.",
            "is_published": True,
        }
        values.update(fields)
        return detached(app, NewsPost(**values))

    return factory


# Registration and mail ------------------------------------------------------------------------

REGISTRATION_SERVER_NAME = "events.example.org"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# The ports SMTP servers listen on by convention (and Flask-Mail's default, localhost:25).
STANDARD_SMTP_PORTS = frozenset({25, 465, 587, 2525})


class SmtpGuard:
    """Refuses, at the socket, every connection to an SMTP port that the running test does not
    own: a standard SMTP port, or the port of an ``SmtpServer`` of an earlier test when
    smtplib is the one connecting (the system may since have handed that port to another
    server, such as a cluster's, which the test may reach). The attempts are kept, and the
    test fails at its end if there were any."""

    def __init__(self) -> None:
        self.seen_ports: set[int] = set()  # of every SmtpServer this worker has started
        self.owned_ports: set[int] = set()  # of the SmtpServers of the running test
        self.attempts: list[tuple[str, int]] = []

    def is_unexpected(self, address: Any) -> bool:
        if not isinstance(address, tuple) or len(address) < 2:
            return False  # a Unix socket
        port = address[1]
        return port not in self.owned_ports and (
            port in STANDARD_SMTP_PORTS or (port in self.seen_ports and _smtplib_connecting())
        )

    def own(self, port: int) -> None:
        self.seen_ports.add(port)
        self.owned_ports.add(port)


def _smtplib_connecting() -> bool:
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_globals.get("__name__") == "smtplib":
            return True
        frame = frame.f_back
    return False


SMTP_GUARD = SmtpGuard()


@pytest.fixture(autouse=True)
def smtp_guard(monkeypatch) -> Iterator[SmtpGuard]:
    """Fails any test that opens an SMTP connection it did not ask for (see ``SmtpGuard``).
    It covers this process; a subprocess a test starts gets the test's own settings."""
    connect = socket.socket.connect

    def guarded_connect(sock: socket.socket, address: Any) -> Any:
        if SMTP_GUARD.is_unexpected(address):
            SMTP_GUARD.attempts.append(tuple(address[:2]))
            raise ConnectionRefusedError(f"unexpected SMTP connection to {address[:2]}")
        return connect(sock, address)

    SMTP_GUARD.owned_ports.clear()
    SMTP_GUARD.attempts.clear()
    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    yield SMTP_GUARD
    attempts = list(SMTP_GUARD.attempts)
    SMTP_GUARD.owned_ports.clear()
    SMTP_GUARD.attempts.clear()
    if attempts:
        pytest.fail(f"the test opened SMTP connections it did not expect: {attempts}")


class SmtpServer:
    """A real SMTP server on loopback (aiosmtpd); what it receives, parsed.

    ``stop()`` and ``start()`` simulate an outage on the same port; ``delay`` (seconds) makes
    each message slow to accept.
    """

    def __init__(self) -> None:
        import threading

        self.host = "127.0.0.1"
        self.port = free_port()
        SMTP_GUARD.own(self.port)
        self.messages: list[Any] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.delay = 0.0
        self.connections = 0
        # Connections open at once (greeted, not yet said goodbye), and the most seen.
        self.open_connections = 0
        self.most_open_connections = 0
        self.refuse: set[str] = set()
        self._lock = threading.Lock()
        self._controller = None

    async def handle_EHLO(self, server, session, envelope, hostname, responses):  # noqa: N802
        # smtplib greets once per connection: this counts connections.
        with self._lock:
            self.connections += 1
            self.open_connections += 1
            self.most_open_connections = max(self.most_open_connections, self.open_connections)
        session.host_name = hostname
        return responses

    async def handle_QUIT(self, server, session, envelope):  # noqa: N802
        with self._lock:
            self.open_connections -= 1
        return "221 Bye"

    async def handle_RCPT(self, server, session, envelope, address, options):  # noqa: N802
        if address in self.refuse:
            return "550 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        import asyncio
        from email import message_from_bytes, policy

        if self.delay:
            await asyncio.sleep(self.delay)
        with self._lock:
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
            self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        self._controller = Controller(self, hostname=self.host, port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def config(self) -> dict[str, Any]:
        """App settings that deliver to this server."""
        return {"MAIL_SERVER": self.host, "MAIL_PORT": self.port, "MAIL_SUPPRESS_SEND": False}


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def make_mail_app(make_app, smtp_server) -> Callable[..., Flask]:
    """Build an app whose mail worker delivers to ``smtp_server``, with absolute links on
    ``REGISTRATION_SERVER_NAME``."""

    def factory(**overrides: Any) -> Flask:
        return make_app(
            **{"SERVER_NAME": REGISTRATION_SERVER_NAME, **smtp_server.config(), **overrides}
        )

    return factory


def rsvp_form(event, **overrides) -> dict:
    """The RSVP form as a person fills it in, every day of the event ticked; ``overrides``
    change or add fields."""
    return {
        "full_name": "Amina Benali",
        "email": "amina@example.org",
        "country": "Morocco",
        "language": "en",
        "consent": "y",
        "days": [d.isoformat() for d in event.days],
        **overrides,
    }


def drain_outbox(app: Flask, now: datetime | None = None):
    """Run the mail worker until nothing is due; the reports of each batch, in order."""
    from mmm_events.mail.worker import deliver_due

    reports = []
    with app.app_context():
        while True:
            report = deliver_due(now=now)
            reports.append(report)
            if report.claimed == 0 or report.sent == 0:
                break
        db.session.remove()
    return reports


def links_to(smtp_server, recipient: str, start: str) -> list[str]:
    """The paths starting with ``start`` in the plain-text emails delivered to ``recipient``."""
    found = []
    for message in smtp_server.messages:
        if message["To"].addresses[0].addr_spec == recipient:
            text = message.get_body(preferencelist=("plain",)).get_content()
            found += re.findall(r"https?://[^/\s]+(" + re.escape(start) + r"\S+)", text)
    return found


# Organiser area -------------------------------------------------------------------------------

ORGANISER_PASSWORD = "correct horse battery"


# The work factor of the accounts the factory makes: scrypt as production hashes (the same
# function, salt and key length), with N = 2**10 instead of 2**15. Signing in checks the hash in
# full, at the cost the hash itself names, and a test signs in a few times: at production's cost
# of a tenth of a second each, checking hashes was a sixth of the suite. What production stores
# is pinned by test_organiser_auth's users create test.
FACTORY_PASSWORD_METHOD = "scrypt:1024:8:1"


@functools.cache
def organiser_password_hash() -> str:
    """ORGANISER_PASSWORD hashed once per worker, with one salt that no test looks at."""
    from werkzeug.security import generate_password_hash

    return generate_password_hash(ORGANISER_PASSWORD, method=FACTORY_PASSWORD_METHOD)


@pytest.fixture
def create_user(app) -> Callable[..., Any]:
    """Make an account (an organiser unless ``admin=True``), assigned to ``events``."""
    from mmm_events.models import Role, User

    counter = iter(range(1, 10_000))

    def factory(*, admin: bool = False, events: tuple = (), **fields: Any) -> User:
        n = next(counter)
        with app.app_context():
            user = User(
                email=fields.pop("email", f"organiser{n}@example.org"),
                name=fields.pop("name", f"Organiser {n}"),
                role=Role.ADMIN if admin else Role.ORGANISER,
                **fields,
            )
            user.password_hash = organiser_password_hash()
            user.events = [db.session.get(Event, e.id) for e in events]
            db.session.add(user)
            db.session.commit()
            db.session.refresh(user)
            db.session.expunge(user)
        return user

    return factory


def sign_in(client, user, password: str = ORGANISER_PASSWORD):
    """Sign ``user`` in through the real form; the response of the POST."""
    return client.post("/sign-in", data={"email": user.email, "password": password})


@pytest.fixture
def create_registration(app) -> Callable[..., Any]:
    """Add a registration to ``event`` directly (status confirmed unless given), keeping the
    event's seat count right, with ``days`` of attendance."""
    from sqlalchemy import update

    from mmm_events.models import Registration, RegistrationDay, RegistrationStatus

    counter = iter(range(1, 100_000))

    def factory(event: Event, *, days: tuple = (), **fields: Any) -> Registration:
        n = next(counter)
        email = fields.pop("email", f"person{n}@example.org")
        values: dict[str, Any] = {
            "event_id": event.id,
            "full_name": f"Person {n}",
            "email": email,
            "email_normalised": normalise_email(email),
            "status": RegistrationStatus.CONFIRMED,
        }
        values.update(fields)
        with app.app_context():
            registration = Registration(**values)
            registration.attendance = [RegistrationDay(day=d) for d in days]
            db.session.add(registration)
            if registration.status is RegistrationStatus.CONFIRMED:
                db.session.execute(
                    update(Event)
                    .where(Event.id == event.id)
                    .values(seats_taken=Event.seats_taken + 1)
                )
            db.session.commit()
            db.session.refresh(registration)
            registration.days  # noqa: B018 - loads the days before detaching
            db.session.expunge(registration)
        return registration

    return factory


# Statements -----------------------------------------------------------------------------------


class StatementCount:
    """How many SQL statements ran; see ``count_queries``."""

    def __init__(self) -> None:
        self.n = 0


@pytest.fixture
def count_queries() -> Callable[[Flask], Any]:
    """``with count_queries(app) as counted: ...`` then ``counted.n``: the SQL statements the
    app's engine ran inside the block (an executemany counts once). Tests bound it from above,
    so that a change that makes a page or an RSVP ask the database once per row is seen."""
    from contextlib import contextmanager

    from sqlalchemy import event

    @contextmanager
    def counting(app: Flask):
        with app.app_context():
            engine = db.engine
        counted = StatementCount()

        def count(*_args: Any) -> None:
            counted.n += 1

        event.listen(engine, "before_cursor_execute", count)
        try:
            yield counted
        finally:
            event.remove(engine, "before_cursor_execute", count)

    return counting
