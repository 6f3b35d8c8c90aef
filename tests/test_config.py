"""Configuration: safe defaults, clear errors, and what the environment sets."""

from __future__ import annotations

import pytest

from mmm_events import create_app
from mmm_events.config import ConfigurationError


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    for name in (
        "SECRET_KEY", "DATABASE_URL", "MMM_ENV", "PREFERRED_URL_SCHEME", "MAIL_PORT",
        "SERVER_NAME", "PORT",
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
