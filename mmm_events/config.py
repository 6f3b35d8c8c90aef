"""Configuration: defaults, then environment variables, then ``instance/config.py``.

Every setting an administrator may change is read here and listed in the README's table.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

import click
from flask import Flask
from flask.helpers import get_debug_flag
from limits import parse

# What MMM_ENV may say. Anything else is a mistake, refused at start-up rather than guessed.
ENVIRONMENTS = ("production", "development")


class ConfigurationError(click.ClickException, RuntimeError):
    """The application cannot start with the configuration it was given.

    A ClickException so that a ``flask`` command run with a wrong configuration prints its one
    sentence ("Error: SECRET_KEY is not set ...") and exits with status 1, not a traceback.
    """


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ConfigurationError(f"{name} must be a whole number, not {value!r}") from exc


def from_environment(instance_path: str) -> dict:
    """Settings taken from the process environment, with their defaults."""
    # One long table on purpose: every setting an administrator may change is read here, in
    # one place, beside its default, as the README's table lists them.
    sqlite_default = "sqlite:///" + str(Path(instance_path) / "mmm_events.sqlite3")
    mail_server = os.environ.get("MAIL_SERVER", "")
    return {
        # "production" refuses to start without an explicit SECRET_KEY, or in debug mode;
        # "development" generates a key and keeps it in the instance folder. Nothing else.
        "MMM_ENV": os.environ.get("MMM_ENV", "production"),
        "SECRET_KEY": os.environ.get("SECRET_KEY") or None,
        "SQLALCHEMY_DATABASE_URI": os.environ.get("DATABASE_URL") or sqlite_default,
        # Seconds the web servers and the mail worker wait for a PostgreSQL connection.
        "DATABASE_CONNECT_TIMEOUT": _env_int("DATABASE_CONNECT_TIMEOUT", 10),
        # GET /healthz opens its own connection and reads the schema; it answers 503 when that
        # takes longer than this many seconds (connect and statement timeouts; at least 2 on
        # PostgreSQL).
        "HEALTH_CHECK_TIMEOUT": _env_int("HEALTH_CHECK_TIMEOUT", 2),
        "SERVER_NAME": os.environ.get("SERVER_NAME") or None,
        "PREFERRED_URL_SCHEME": os.environ.get("PREFERRED_URL_SCHEME", "http"),
        # Cookies only over HTTPS; always on when the site is served over HTTPS (see finish).
        "SESSION_COOKIE_SECURE": _env_bool("SESSION_COOKIE_SECURE", False),
        "REMEMBER_COOKIE_SECURE": _env_bool("SESSION_COOKIE_SECURE", False),
        # When the site is served over HTTPS (PREFERRED_URL_SCHEME=https), browsers are told
        # to use nothing else for this many seconds (Strict-Transport-Security); 0 sends none.
        "HSTS_SECONDS": _env_int("HSTS_SECONDS", 365 * 24 * 3600),
        # Flask-Mail. With no MAIL_SERVER, mail is written to instance/mailbox/ as .eml files.
        "MAIL_SERVER": mail_server,
        "MAIL_PORT": _env_int("MAIL_PORT", 25),
        "MAIL_USE_TLS": _env_bool("MAIL_USE_TLS", False),
        "MAIL_USE_SSL": _env_bool("MAIL_USE_SSL", False),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD") or None,
        "MAIL_DEFAULT_SENDER": os.environ.get(
            "MAIL_DEFAULT_SENDER", "Make Mothers Matter <events@makemothersmatter.org>"
        ),
        "MAIL_TIMEOUT": _env_int("MAIL_TIMEOUT", 30),
        "MAILBOX_DIR": os.environ.get("MAILBOX_DIR") or str(Path(instance_path) / "mailbox"),
        # The mail worker: rows claimed per batch (one SMTP connection and one commit each),
        # attempts before a row is marked failed, the first retry delay (doubled after each
        # failure, at most six hours), how long a claim lasts before a dead worker's rows are
        # due again (renewed every third of it while the worker is busy with the batch), and
        # how often an idle worker looks for new rows.
        "MAIL_BATCH_SIZE": _env_int("MAIL_BATCH_SIZE", 200),
        "MAIL_MAX_ATTEMPTS": _env_int("MAIL_MAX_ATTEMPTS", 8),
        "MAIL_RETRY_SECONDS": _env_int("MAIL_RETRY_SECONDS", 60),
        "MAIL_LEASE_SECONDS": _env_int("MAIL_LEASE_SECONDS", 60),
        "MAIL_POLL_SECONDS": _env_int("MAIL_POLL_SECONDS", 2),
        "CONTACT_EMAIL": os.environ.get("CONTACT_EMAIL", "events@makemothersmatter.org"),
        # The letterhead of visa invitation letters: the organisation's name, its postal
        # address (one line each, separated by line breaks or " | "), and its logo (a PNG,
        # JPEG or SVG file on this machine, embedded in each letter; empty: no logo).
        "LETTERHEAD_NAME": os.environ.get("LETTERHEAD_NAME", "Make Mothers Matter"),
        "LETTERHEAD_ADDRESS": os.environ.get("LETTERHEAD_ADDRESS", ""),
        "LETTERHEAD_LOGO": os.environ.get(
            "LETTERHEAD_LOGO", str(Path(__file__).parent.parent / "static" / "img" / "logo.svg")
        ),
        "SESSION_LIFETIME_HOURS": _env_int("SESSION_LIFETIME_HOURS", 8),
        # How many reverse proxies / load balancers stand in front of the app. Their
        # X-Forwarded-For/-Proto/-Host headers are trusted only this many hops deep, so that
        # rate limits see the visitor's address and links keep https.
        "PROXY_COUNT": _env_int("PROXY_COUNT", 0),
        # Sign-in limits, counted in the database so that they hold across every web process
        # and server (see accounts/limits.py). Failed sign-ins allowed from one client address in
        # the period, then refused until the oldest leaves it.
        "SIGN_IN_LIMIT_PER_IP": os.environ.get("SIGN_IN_LIMIT_PER_IP", "20 per 15 minutes"),
        # Failed sign-ins on one account in a row (each within the period of the one before),
        # after which each further attempt waits 1, 2, 4 ... minutes, at most
        # SIGN_IN_MAX_WAIT_MINUTES, and the owner is emailed once. Failures from elsewhere do
        # not count at an address the owner signed in from in the last
        # SIGN_IN_USUAL_ADDRESS_DAYS days.
        "SIGN_IN_LIMIT_PER_ACCOUNT": os.environ.get(
            "SIGN_IN_LIMIT_PER_ACCOUNT", "5 per 15 minutes"
        ),
        "SIGN_IN_MAX_WAIT_MINUTES": _env_int("SIGN_IN_MAX_WAIT_MINUTES", 15),
        "SIGN_IN_USUAL_ADDRESS_DAYS": _env_int("SIGN_IN_USUAL_ADDRESS_DAYS", 30),
        # Password reset by email: how long a link works, and how many links one account
        # is sent, and one client may ask for, in a period.
        "PASSWORD_RESET_LINK_MINUTES": _env_int("PASSWORD_RESET_LINK_MINUTES", 60),
        "PASSWORD_RESET_LIMIT_PER_ACCOUNT": os.environ.get(
            "PASSWORD_RESET_LIMIT_PER_ACCOUNT", "3 per hour"
        ),
        "PASSWORD_RESET_LIMIT_PER_IP": os.environ.get(
            "PASSWORD_RESET_LIMIT_PER_IP", "10 per hour"
        ),
        # RSVP limits, counted in the database like the sign-in limits (see
        # registrations/limits.py): RSVPs accepted from one client address (any event) in
        # the period, well above what a family or an office behind one address sends; and
        # RSVPs for one event from everyone. A refused RSVP gets a page saying when to retry.
        "RSVP_LIMIT_PER_IP": os.environ.get("RSVP_LIMIT_PER_IP", "20 per 10 minutes"),
        "RSVP_LIMIT_PER_EVENT": os.environ.get("RSVP_LIMIT_PER_EVENT", "500 per 10 minutes"),
        # On events that ask people to confirm their address (double opt-in), how long a
        # registration holds its seat before the link in the email is followed, and how many
        # such unconfirmed holds one client address (an IPv6 address: its /64) may have at a
        # time, across events; the next is refused until one is confirmed or runs out.
        "RSVP_HOLD_MINUTES": _env_int("RSVP_HOLD_MINUTES", 30),
        "RSVP_HOLDS_PER_CLIENT": _env_int("RSVP_HOLDS_PER_CLIENT", 3),
        # The event page every visitor sees, kept rendered per version of the event in each
        # process (events/page_cache.py); off, every view renders it whole, the plain way.
        "EVENT_PAGE_CACHE": _env_bool("EVENT_PAGE_CACHE", True),
        # "Email me my link" (a registration's manage link, emailed again): requests one
        # client address may send in the period, counted in the database like the RSVPs.
        "MANAGE_LINK_LIMIT_PER_IP": os.environ.get("MANAGE_LINK_LIMIT_PER_IP", "10 per hour"),
        # Check-in at the door: batches of queued check-ins one organiser's phone may send in
        # the period (each up to 500 check-ins), counted in the database; then 429 and the
        # phone keeps its queue and retries.
        "CHECK_IN_SYNC_LIMIT_PER_ACCOUNT": os.environ.get(
            "CHECK_IN_SYNC_LIMIT_PER_ACCOUNT", "120 per minute"
        ),
        # Personal data (see privacy/): registrations and invitations are anonymised this many
        # months after their event ends, and the bodies of sent emails (which hold manage
        # links) are deleted this many days after sending, by `flask privacy purge`.
        "PRIVACY_RETENTION_MONTHS": _env_int("PRIVACY_RETENTION_MONTHS", 6),
        "PRIVACY_OUTBOX_BODY_DAYS": _env_int("PRIVACY_OUTBOX_BODY_DAYS", 30),
    }


def secret_key_for(app: Flask) -> str:
    """The development secret: generated once, then read back from the instance folder.

    Kept on disk so that sessions and links survive a restart of ``make run``.
    """
    path = Path(app.instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


# The limits counted in the database (mmm_events.attempts).
COUNTED_LIMITS = (
    "SIGN_IN_LIMIT_PER_IP",
    "SIGN_IN_LIMIT_PER_ACCOUNT",
    "PASSWORD_RESET_LIMIT_PER_ACCOUNT",
    "PASSWORD_RESET_LIMIT_PER_IP",
    "RSVP_LIMIT_PER_IP",
    "RSVP_LIMIT_PER_EVENT",
    "MANAGE_LINK_LIMIT_PER_IP",
    "CHECK_IN_SYNC_LIMIT_PER_ACCOUNT",
)


def _check_limits(config) -> None:
    """Refuse to start with a limit that would otherwise fail at the first sign-in or RSVP."""
    for name in COUNTED_LIMITS:
        try:
            parse(str(config[name]))
        except ValueError as exc:
            raise ConfigurationError(
                f"{name} must read like '5 per 15 minutes', not {config[name]!r}"
            ) from exc
    if config["RSVP_HOLDS_PER_CLIENT"] < 1:
        raise ConfigurationError("RSVP_HOLDS_PER_CLIENT must be at least 1.")


def finish(app: Flask) -> None:
    """Derive settings that depend on others, and refuse to start when something is missing."""
    config = app.config
    if config["MMM_ENV"] not in ENVIRONMENTS:
        raise ConfigurationError(
            f"MMM_ENV must be production or development, not {config['MMM_ENV']!r}."
        )
    # FLASK_DEBUG (or DEBUG in instance/config.py) would serve tracebacks and, under
    # `flask run`, Werkzeug's debugger: a console that runs any code a visitor types.
    if config["MMM_ENV"] == "production" and (config.get("DEBUG") or get_debug_flag()):
        raise ConfigurationError(
            "Debug mode is on (FLASK_DEBUG or DEBUG) with MMM_ENV=production. Turn it off; "
            "debug mode is for MMM_ENV=development only."
        )
    if not config.get("SECRET_KEY"):
        if config["MMM_ENV"] == "production" and not config.get("TESTING"):
            raise ConfigurationError(
                "SECRET_KEY is not set: in production set the SECRET_KEY environment variable "
                "to a long random string (python3 -c 'import secrets; "
                "print(secrets.token_urlsafe(48))'), or for a development checkout run "
                "`make run` once (it writes MMM_ENV = \"development\" to instance/config.py)."
            )
        config["SECRET_KEY"] = secret_key_for(app)
    if not config.get("SERVER_NAME"):
        # The mail worker writes links into emails outside any request: it needs the address
        # people use to reach the site.
        if config["MMM_ENV"] == "development":
            config["SERVER_NAME"] = f"127.0.0.1:{os.environ.get('PORT') or 5000}"
        elif config["MMM_ENV"] == "production" and not config.get("TESTING"):
            raise ConfigurationError(
                "SERVER_NAME is not set. In production, set it to the public host name of the "
                "site (for example events.makemothersmatter.org): links in emails use it."
            )
    _check_limits(config)
    _database(config)
    _session_cookie(config)


def _database(config) -> None:
    """The database's address with the driver we ship, and the engine's options."""
    uri = config["SQLALCHEMY_DATABASE_URI"]
    # Heroku-style URLs name no driver; we ship psycopg 3.
    if uri.startswith("postgres://"):
        uri = "postgresql+psycopg://" + uri.removeprefix("postgres://")
    elif uri.startswith("postgresql://"):
        uri = "postgresql+psycopg://" + uri.removeprefix("postgresql://")
    config["SQLALCHEMY_DATABASE_URI"] = uri
    if uri.startswith("sqlite"):
        # Writers wait for each other instead of failing at once with "database is locked".
        config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"connect_args": {"timeout": 30}})
    else:
        config.setdefault(
            "SQLALCHEMY_ENGINE_OPTIONS",
            {
                "pool_pre_ping": True,
                "connect_args": {"connect_timeout": config["DATABASE_CONNECT_TIMEOUT"]},
            },
        )


def _session_cookie(config) -> None:
    """How long a sign-in lasts, and the session cookie's flags."""
    # A signed-in organiser is signed out after this long (see accounts.views.expire_old_sessions).
    config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=config["SESSION_LIFETIME_HOURS"])
    # The cookie is set when the session changes, not on every answer: that cap counts from
    # sign-in anyway, and an answer to a request sent before a sign-out (the door's list, on
    # the phone) would otherwise put the signed-in cookie back over the sign-out's.
    config["SESSION_REFRESH_EACH_REQUEST"] = False
    secure = config["PREFERRED_URL_SCHEME"] == "https"
    # Flask's defaults already hold these keys (False), so setdefault would never apply.
    config["SESSION_COOKIE_SECURE"] = bool(config.get("SESSION_COOKIE_SECURE")) or secure
    config["REMEMBER_COOKIE_SECURE"] = bool(config.get("REMEMBER_COOKIE_SECURE")) or secure
    config["SESSION_COOKIE_HTTPONLY"] = True
    config["SESSION_COOKIE_SAMESITE"] = "Lax"
