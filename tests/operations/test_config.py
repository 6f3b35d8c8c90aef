"""Configuration: safe defaults, clear errors, and what the environment sets."""

from __future__ import annotations

import os
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from mmm_events import create_app
from mmm_events.config import ConfigurationError
from mmm_events.extensions import db
from tests.conftest import free_port


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    for name in (
        "SECRET_KEY", "DATABASE_URL", "MMM_ENV", "PREFERRED_URL_SCHEME", "MAIL_PORT",
        "SERVER_NAME", "PORT", "FLASK_DEBUG", "HEALTH_CHECK_TIMEOUT",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    return monkeypatch


def test_production_refuses_to_start_without_a_secret_key(clean_env):
    with pytest.raises(ConfigurationError, match="SECRET_KEY is not set"):
        create_app()


def test_production_refuses_to_start_without_its_public_address(clean_env):
    clean_env.setenv("SECRET_KEY", "x" * 40)
    with pytest.raises(ConfigurationError, match="SERVER_NAME is not set"):
        create_app()


def test_development_links_point_at_the_local_server(clean_env):
    clean_env.setenv("MMM_ENV", "development")
    clean_env.setenv("PORT", "8000")
    assert create_app().config["SERVER_NAME"] == "127.0.0.1:8000"


def test_development_generates_a_secret_once_and_keeps_it(clean_env, tmp_path):
    clean_env.setenv("MMM_ENV", "development")
    first = create_app().config["SECRET_KEY"]
    second = create_app().config["SECRET_KEY"]
    assert first == second
    assert len(first) >= 48
    assert (tmp_path / "secret_key").read_text() == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_defaults_use_sqlite_in_the_instance_folder(clean_env, tmp_path):
    clean_env.setenv("SECRET_KEY", "x" * 40)
    clean_env.setenv("SERVER_NAME", "events.example.org")
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/mmm_events.sqlite3"
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["SESSION_COOKIE_SECURE"] is False


def test_environment_settings_are_applied(clean_env):
    clean_env.setenv("SECRET_KEY", "x" * 40)
    clean_env.setenv("SERVER_NAME", "events.example.org")
    clean_env.setenv("DATABASE_URL", "postgres://mmm:pw@db.internal/mmm")
    clean_env.setenv("PREFERRED_URL_SCHEME", "https")
    clean_env.setenv("MAIL_PORT", "587")
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://mmm:pw@db.internal/mmm"
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["MAIL_PORT"] == 587


def test_a_malformed_number_is_a_clear_error(clean_env):
    clean_env.setenv("SECRET_KEY", "x" * 40)
    clean_env.setenv("SERVER_NAME", "events.example.org")
    clean_env.setenv("MAIL_PORT", "twenty-five")
    with pytest.raises(ConfigurationError, match="MAIL_PORT must be a whole number"):
        create_app()


def test_behind_a_proxy_the_forwarded_scheme_and_host_are_trusted(make_app):
    app = make_app(PROXY_COUNT=1)
    client = app.test_client()
    response = client.get(
        "/news/feed.atom",
        headers={"X-Forwarded-Proto": "https", "X-Forwarded-Host": "events.example.org"},
    )
    assert b'href="https://events.example.org/news/feed.atom"' in response.data


def test_without_a_proxy_forwarded_headers_are_ignored(client):
    response = client.get("/news/feed.atom", headers={"X-Forwarded-Host": "evil.example"})
    assert b"evil.example" not in response.data


def test_health_check_answers_when_the_database_does(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_health_check_reports_an_unreachable_database(make_app, tmp_path):
    app = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/missing-dir/none.sqlite3")
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "database unavailable"}


@pytest.mark.parametrize("name", ["testing", "staging", "Production", "dev"])
def test_only_production_and_development_are_environments(clean_env, name):
    clean_env.setenv("SECRET_KEY", "x" * 40)
    clean_env.setenv("SERVER_NAME", "events.example.org")
    clean_env.setenv("MMM_ENV", name)
    expected = f"MMM_ENV must be production or development, not '{name}'"
    with pytest.raises(ConfigurationError, match=expected):
        create_app()
    # Not even for tests: they run as production does.
    with pytest.raises(ConfigurationError, match="MMM_ENV must be"):
        create_app({"TESTING": True, "MMM_ENV": name})


def test_debug_mode_cannot_be_turned_on_in_production(clean_env):
    clean_env.setenv("SECRET_KEY", "x" * 40)
    clean_env.setenv("SERVER_NAME", "events.example.org")
    clean_env.setenv("FLASK_DEBUG", "1")
    with pytest.raises(ConfigurationError, match="Debug mode is on"):
        create_app()
    clean_env.delenv("FLASK_DEBUG")
    with pytest.raises(ConfigurationError, match="Debug mode is on"):
        create_app({"DEBUG": True})
    assert create_app().debug is False
    clean_env.setenv("FLASK_DEBUG", "1")
    clean_env.setenv("MMM_ENV", "development")
    assert create_app().debug is True


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def permissive_umask():
    """The umask most systems start processes with, whatever an earlier test left."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_private_files_are_readable_by_the_service_only(clean_env, tmp_path, permissive_umask):
    instance = tmp_path / "instance"
    clean_env.setenv("INSTANCE_PATH", str(instance))
    clean_env.setenv("MMM_ENV", "development")
    app = create_app()
    assert _mode(instance) == 0o700
    database = instance / "mmm_events.sqlite3"
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            connection.execute(text("SELECT count(*) FROM event"))
            assert _mode(database) == 0o600
            assert _mode(f"{database}-wal") == 0o600
        db.engine.dispose()
    # Whatever else the process writes, as the mail worker writes the mailbox's messages.
    mailbox = instance / "mailbox"
    mailbox.mkdir()
    (mailbox / "message.eml").write_bytes(b"Subject: hello\n")
    assert (_mode(mailbox), _mode(mailbox / "message.eml")) == (0o700, 0o600)


def test_health_check_never_creates_a_missing_sqlite_database(make_app, tmp_path):
    missing = tmp_path / "gone.sqlite3"
    app = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{missing}")
    client = app.test_client()
    response = client.get("/healthz")
    assert (response.status_code, response.get_json()) == (503, {"status": "database unavailable"})
    # Nor does any other page (the test client raises what would be a 500).
    with pytest.raises(OperationalError, match="does not exist"):
        client.get("/")
    assert not missing.exists()


def test_health_check_reports_a_database_without_the_schema(make_app, tmp_path):
    empty = tmp_path / "empty.sqlite3"
    empty.touch()
    app = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{empty}")
    assert app.test_client().get("/healthz").status_code == 503


@dataclass
class SilentServer:
    port: int
    accepted: list[socket.socket]

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://mmm@127.0.0.1:{self.port}/mmm"


@pytest.fixture
def silent_server():
    """A TCP server that accepts connections and never says a word, like a PostgreSQL
    server that has stopped answering."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield SilentServer(listener.getsockname()[1], accepted)
    stop.set()
    thread.join()
    for connection in accepted:
        connection.close()
    listener.close()


def test_health_check_gives_up_on_a_postgresql_server_that_does_not_answer(
    make_app, silent_server
):
    app = make_app(
        SQLALCHEMY_DATABASE_URI=silent_server.url,
        HEALTH_CHECK_TIMEOUT=2,
    )
    responses = []
    request = threading.Thread(
        target=lambda: responses.append(app.test_client().get("/healthz")), daemon=True
    )
    request.start()
    # Far beyond the 2 s the check allows itself; without timeouts it waits for ever.
    request.join(timeout=60)
    assert not request.is_alive(), "/healthz is still waiting for the database"
    assert responses[0].status_code == 503
    assert responses[0].get_json() == {"status": "database unavailable"}


def test_readiness_gives_up_on_a_postgresql_server_that_does_not_answer(
    make_app, silent_server
):
    """/readyz waits no longer than /healthz: HEALTH_CHECK_TIMEOUT, not the 10 s every other
    request waits for a connection (DATABASE_CONNECT_TIMEOUT)."""
    app = make_app(SQLALCHEMY_DATABASE_URI=silent_server.url, HEALTH_CHECK_TIMEOUT=2)
    responses = []
    started = time.monotonic()
    request = threading.Thread(
        target=lambda: responses.append(app.test_client().get("/readyz")), daemon=True
    )
    request.start()
    request.join(timeout=60)
    assert not request.is_alive(), "/readyz is still waiting for the database"
    assert time.monotonic() - started < 6
    assert responses[0].status_code == 503
    assert responses[0].get_json() == {"ready": False, "database": "unavailable"}


def _health_status(url: str, statuses: list[int]) -> None:
    try:
        with urllib.request.urlopen(url, timeout=120) as response:  # noqa: S310 - loopback
            statuses.append(response.status)
    except urllib.error.HTTPError as error:
        statuses.append(error.code)


def _wait_until(condition, what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.05)


def test_gunicorn_stops_while_the_health_check_waits_for_a_silent_database(
    tmp_path, silent_server
):
    """Told to stop while /healthz waits for a database that does not answer, gunicorn
    answers 503 and stops, long before its own graceful timeout would kill the worker."""
    port = free_port()
    environment = {
        **os.environ,
        "MMM_ENV": "production",
        "SECRET_KEY": "x" * 40,
        "SERVER_NAME": "events.example.org",
        "DATABASE_URL": silent_server.url,
        "INSTANCE_PATH": str(tmp_path),
    }
    environment.pop("FLASK_DEBUG", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", "1", "-b", f"127.0.0.1:{port}",
         "--graceful-timeout", "120", "mmm_events:create_app()"],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        def listening() -> bool:
            with socket.socket() as probe:
                return probe.connect_ex(("127.0.0.1", port)) == 0

        _wait_until(listening, "gunicorn to listen")
        statuses: list[int] = []
        request = threading.Thread(
            target=_health_status, args=(f"http://127.0.0.1:{port}/healthz", statuses)
        )
        request.start()
        _wait_until(lambda: silent_server.accepted, "the health check to reach the database")
        server.send_signal(signal.SIGTERM)
        # Well within the 120 s graceful timeout: the check gives up after 2 s.
        assert server.wait(timeout=60) == 0
        request.join(timeout=60)
        assert statuses == [503]
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


def test_health_check_gives_up_on_a_statement_that_waits(make_app, database_url):
    """PostgreSQL answers, but the read waits (here behind a lock): the statement timeout
    ends it, and the check says 503."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite readers do not wait for a writer in WAL mode")
    app = make_app(HEALTH_CHECK_TIMEOUT=2)
    blocker = create_engine(database_url)
    try:
        with blocker.begin() as connection:
            connection.execute(text("LOCK TABLE event IN ACCESS EXCLUSIVE MODE"))
            response = app.test_client().get("/healthz")
        assert (response.status_code, response.get_json()) == (
            503,
            {"status": "database unavailable"},
        )
        assert app.test_client().get("/healthz").status_code == 200
    finally:
        blocker.dispose()


def test_readiness_gives_up_on_a_statement_that_waits(make_app, database_url):
    """PostgreSQL answers, but reading the mail workers' heartbeats waits behind a lock: the
    statement timeout ends it within HEALTH_CHECK_TIMEOUT, and /readyz says 503."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite readers do not wait for a writer in WAL mode")
    app = make_app(HEALTH_CHECK_TIMEOUT=2)
    blocker = create_engine(database_url)
    responses = []
    try:
        with blocker.begin() as connection:
            connection.execute(text("LOCK TABLE mail_worker_heartbeat IN ACCESS EXCLUSIVE MODE"))
            request = threading.Thread(
                target=lambda: responses.append(app.test_client().get("/readyz")), daemon=True
            )
            started = time.monotonic()
            request.start()
            request.join(timeout=30)
            waited = time.monotonic() - started
        request.join(timeout=30)
        assert waited < 6, "/readyz waited for the lock"
        assert (responses[0].status_code, responses[0].get_json()) == (
            503,
            {"ready": False, "database": "unavailable"},
        )
        assert app.test_client().get("/readyz").status_code == 200
    finally:
        blocker.dispose()
