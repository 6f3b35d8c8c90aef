"""What every page shares: template filters, context, response headers."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime, format_interval, format_time
from flask import Flask, abort, current_app, request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

from .i18n import (
    LANGUAGE_NAMES,
    current_language,
    formatting_locale,
    language_url,
    text_direction,
)


def _locale() -> str:
    return formatting_locale()


def local_datetime(value: datetime, zone: str | ZoneInfo, fmt: str = "medium") -> str:
    """A moment as read in a time zone, e.g. an event's start in Casablanca.

    "medium" is the date with hours and minutes ("May 3, 2027, 9:00 AM"): seconds mean nothing
    to someone planning a trip.
    """
    tz = zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone)
    return _local_datetime(value, tz, fmt, _locale())


@lru_cache(maxsize=1024)
def _local_datetime(value: datetime, tz: ZoneInfo, fmt: str, locale: str) -> str:
    # Every view of an event page and every email about it shows the same few moments, and
    # Babel takes a quarter of a millisecond to format each one.
    if fmt == "medium":
        local = value.astimezone(tz)
        # Arabic has its own comma; Babel's own pattern would change English and French.
        separator = "، " if locale.startswith("ar") else ", "
        return format_date(local, "medium", locale=locale) + separator + format_time(
            local, "short", locale=locale
        )
    return format_datetime(value, fmt, tzinfo=tz, locale=locale)


def local_time(value: datetime, zone: str | ZoneInfo) -> str:
    tz = zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone)
    return format_time(value, "short", tzinfo=tz, locale=_locale())


def long_date(value: date | datetime, zone: str | ZoneInfo | None = None) -> str:
    if isinstance(value, datetime):
        value = value.astimezone(ZoneInfo(zone) if isinstance(zone, str) else zone).date()
    return _long_date(value, _locale())


@lru_cache(maxsize=512)
def _long_date(day: date, locale: str) -> str:
    # Every RSVP form lists the event's days, and Babel takes a tenth of a millisecond each.
    return format_date(day, "long", locale=locale)


def event_dates(event) -> str:
    """The event's days as a range such as "3–4 May 2027", in its own time zone."""
    return _date_range(event.local_start.date(), event.local_end.date(), _locale())


@lru_cache(maxsize=256)
def _date_range(first: date, last: date, locale: str) -> str:
    # Babel takes a tenth of a millisecond to match the interval's pattern, and every
    # registration's email shows the range twice (text and HTML).
    if first == last:
        return format_date(first, "full", locale=locale)
    return format_interval(first, last, "yMMMMd", locale=locale)


STATUS_LABELS = {
    # Registrations
    "confirmed": _l("Confirmed"),
    "waiting": _l("Waiting list"),
    "cancelled": _l("Cancelled"),
    "pending": _l("Seat held, address to confirm"),
    "pending-waiting": _l("Waiting list, address to confirm"),
    # Invitations
    "imported": _l("Imported"),
    "invited": _l("Invited"),
    "accepted": _l("Accepted"),
    "declined": _l("Declined"),
    "revoked": _l("Revoked"),
    # Emails in the outbox (and invitations whose email failed)
    "queued": _l("Queued"),
    "sending": _l("Sending"),
    "sent": _l("Sent"),
    "failed": _l("Failed"),
}


def status_label(status) -> str:
    """What a registration, invitation or email status is called on the page."""
    return str(STATUS_LABELS[str(status)])


def local_path(target: str | None, default: str) -> str:
    """``target`` if it is a path on this site, else ``default``: an open redirect (after
    sign-in, after switching language) would lend our name to phishing."""
    if not target:
        return default
    # Browsers drop tabs and line breaks inside addresses ("/\t/evil.example" becomes
    # "//evil.example") and read a backslash as a slash.
    if not target.isprintable() or " " in target:
        return default
    target = target.replace("\\", "/")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


def _carries_an_invitation() -> bool:
    """Whether the request names an invitation's token, in its address or its form (the RSVP
    form, events.views.detail, is filled in from the invitation)."""
    try:
        return bool(request.values.get("invitation"))
    except HTTPException:
        # A body too large to read: the response is an error page, with nothing personal.
        return False


def register(app: Flask) -> None:
    app.add_template_filter(local_datetime)
    app.add_template_filter(local_time)
    app.add_template_filter(long_date)
    app.add_template_global(event_dates)
    app.add_template_global(status_label)
    app.add_template_global(text_direction)
    app.add_template_global(language_url)

    @app.context_processor
    def inject_site():
        return {
            "current_locale": current_language(),
            "languages": current_app.config["LANGUAGES"],
            "language_names": LANGUAGE_NAMES,
            "contact_email": current_app.config["CONTACT_EMAIL"],
        }

    @app.before_request
    def refuse_nul_in_address():
        """400 for a NUL character in the path or the query string. No address of ours holds
        one, and PostgreSQL answers text containing NUL with an error, not "no such row"."""
        if "\x00" in request.path or any(
            "\x00" in value for values in request.args.listvalues() for value in values
        ):
            abort(400)

    @app.after_request
    def security_headers(response):
        # Everything is served from here: no CDN, no inline script.
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "frame-ancestors 'none'; form-action 'self'; base-uri 'self'",
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        config = current_app.config
        if config["PREFERRED_URL_SCHEME"] == "https" and config["HSTS_SECONDS"] > 0:
            response.headers.setdefault(
                "Strict-Transport-Security", f"max-age={config['HSTS_SECONDS']}"
            )
        if _carries_an_invitation():
            # An RSVP form filled in from an invitation shows a person's name and address,
            # and its address holds their token: no cache may keep it, no other site see it.
            response.headers["Cache-Control"] = "no-store"
            response.headers["Referrer-Policy"] = "no-referrer"
        return response
