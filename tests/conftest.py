"""Fixtures: an application on a fresh, migrated database per test, on every engine we ship for.

SQLite always; PostgreSQL too when TEST_DATABASE_URL names one. The schema is built once per
run by the Alembic migrations (so every test also exercises them), then each test gets its own
copy (SQLite) or emptied tables (PostgreSQL).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from mmm_events import create_app
from mmm_events.addresses import normalise_email
from mmm_events.extensions import db
from mmm_events.models import Event, NewsPost

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL", "")
ENGINES = ["sqlite", "postgresql"] if POSTGRES_URL else ["sqlite"]

BASE_CONFIG: dict[str, Any] = {
    "TESTING": True,
    # Tests run as production does; TESTING lets them go without SERVER_NAME.
    "MMM_ENV": "production",
    "SECRET_KEY": "test-secret-key-not-for-production",
    "WTF_CSRF_ENABLED": False,
    "RATELIMIT_ENABLED": False,
    "MAIL_SERVER": "",
    "MAIL_DEFAULT_SENDER": "Make Mothers Matter <events@example.org>",
}


def pytest_report_header(config):
    engines = ", ".join(ENGINES)
    hint = "" if POSTGRES_URL else " (set TEST_DATABASE_URL to add PostgreSQL)"
    return f"mmm-events databases: {engines}{hint}"


def postgres_url() -> str:
    url = make_url(POSTGRES_URL)
    if url.drivername in {"postgresql", "postgres"}:
        url = url.set(drivername="postgresql+psycopg")
    return url.render_as_string(hide_password=False)


def migrate_to_head(database_url: str, instance_path: Path) -> None:
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url})
    app.instance_path = str(instance_path)
    with app.app_context():
        upgrade()
        db.engine.dispose()


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


@pytest.fixture(scope="session")
def migrated_postgres(tmp_path_factory) -> str:
    url = postgres_url()
    reset_postgres_schema(url)
    migrate_to_head(url, tmp_path_factory.mktemp("pg-instance"))
    return url


def empty_postgres_tables(url: str) -> None:
    engine = create_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=ENGINES)
def database_url(request, tmp_path) -> str:
    """A migrated, empty database of the engine this test run is for."""
    if request.param == "sqlite":
        path = tmp_path / "test.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("migrated_postgres")
    empty_postgres_tables(url)
    return url


@pytest.fixture
def make_app(database_url, tmp_path) -> Iterator[Callable[..., Flask]]:
    """Build an app on this test's database, with extra configuration."""
    apps: list[Flask] = []

    def factory(**overrides: Any) -> Flask:
        app = create_app(
            {
                **BASE_CONFIG,
                "SQLALCHEMY_DATABASE_URI": database_url,
                "MAILBOX_DIR": str(tmp_path / "mailbox"),
                **overrides,
            }
        )
        app.instance_path = str(tmp_path)
        apps.append(app)
        return app

    yield factory
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


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
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SmtpServer:
    """A real SMTP server on loopback (aiosmtpd); what it receives, parsed.

    ``stop()`` and ``start()`` simulate an outage on the same port; ``delay`` (seconds) makes
    each message slow to accept.
    """

    def __init__(self) -> None:
        import threading

        self.host = "127.0.0.1"
        self.port = free_port()
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


# Organiser area -------------------------------------------------------------------------------

ORGANISER_PASSWORD = "correct horse battery"


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
            user.set_password(ORGANISER_PASSWORD)
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
