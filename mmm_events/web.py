"""What every page shares: template filters, context, response headers."""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import lru_cache
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, available_timezones

from babel import Locale
from babel.dates import (
    format_date,
    format_datetime,
    format_interval,
    format_time,
    get_timezone_location,
)
from flask import Flask, abort, current_app, redirect, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import pgettext
from jinja2 import pass_eval_context
from markupsafe import Markup, escape
from werkzeug.exceptions import HTTPException

from . import bidi
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


def _utc_offset(moment: datetime) -> str:
    """"UTC+1", "UTC-3", "UTC+5:30", or "UTC"."""
    minutes = int(moment.utcoffset().total_seconds() // 60)
    if minutes == 0:
        return "UTC"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{'+' if minutes > 0 else '-'}{hours}" + (f":{rest:02d}" if rest else "")


@lru_cache(maxsize=1024)
def _zone_city(key: str, locale: str) -> str:
    return get_timezone_location(ZoneInfo(key), locale=locale, return_city=True)


def time_zone_name(zone: str | ZoneInfo, moment: datetime) -> str:
    """A time zone as people say it, in the reader's language, with its offset at ``moment``:
    "Casablanca time, UTC+1", "heure de Casablanca, UTC+1"; never "Africa/Casablanca"."""
    tz = zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone)
    offset = _utc_offset(moment.astimezone(tz))
    if tz.key in ("UTC", "Etc/UTC"):
        return offset
    city = _zone_city(tz.key, _locale())
    if city and city[0].casefold() in "aeiouyéèâîô":
        # French elides before a vowel: "heure d’Amsterdam".
        return pgettext(
            "city starting with a vowel", "%(city)s time, %(offset)s", city=city, offset=offset
        )
    return _("%(city)s time, %(offset)s", city=city, offset=offset)


def local_datetime_in_zone(value: datetime, zone: str | ZoneInfo) -> str:
    """A moment with whose time it is: "May 3, 2027, 8:34 PM (Casablanca time, UTC+1)"."""
    return f"{local_datetime(value, zone)} ({time_zone_name(zone, value)})"


@lru_cache(maxsize=8)
def _zone_choices(locale: str) -> tuple[tuple[str, str], ...]:
    # Six hundred zones, named once per language: a fraction of a second the first time.
    named = []
    for key in sorted(available_timezones()):
        if "/" not in key or key.startswith(("Etc/", "SystemV/")):
            continue
        place, city = get_timezone_location(ZoneInfo(key), locale=locale), _zone_city(key, locale)
        named.append((key, place if city in place else f"{place} · {city}"))
    return (("UTC", "UTC"), *sorted(named, key=lambda choice: choice[1]))


def time_zone_choices() -> list[tuple[str, str]]:
    """Every place's time zone, named in the reader's language, for the event editor."""
    return list(_zone_choices(_locale()))


def zoned_datetime(value: datetime, zone: str | ZoneInfo) -> Markup:
    """A moment in the organiser area, the same way on every page: date, hours and minutes in
    ``zone`` (the event's, or UTC for the outbox), followed by that zone's name, inside a
    <time> element carrying the exact moment."""
    tz = zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone)
    return Markup('<time datetime="{}">{} <span class="timezone">({})</span></time>').format(
        value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        local_datetime(value, tz),
        time_zone_name(tz, value),
    )


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


def event_times(event) -> str | None:
    """A one-day event's day and hours: "10 June 2027, 10:00–13:00" (the date once); None for
    an event of several days."""
    start, end = event.local_start, event.local_end
    if start.date() != end.date():
        return None
    locale = _locale()
    skeleton = "hm" if "a" in Locale.parse(locale).time_formats["short"].pattern else "Hm"
    hours = format_interval(start.time(), end.time(), skeleton, locale=locale)
    return _("%(day)s, %(hours)s", day=_long_date(start.date(), locale), hours=hours)


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


def isolate(text) -> str:
    """The ``isolate`` filter of plain-text emails: a name, a title or an organiser's text on
    a line of its own or after a label, kept in its own direction."""
    return bidi.isolate(text, text_direction())


def bdi(text) -> Markup:
    """The ``bdi`` filter of HTML pages and emails: a name, a place or a title written by
    people, isolated from the sentence around it where it may run the other way."""
    return bidi.bdi(text, text_direction())


@pass_eval_context
def local_join(eval_ctx, items) -> str:
    """The non-empty ``items`` (a venue, a city, a country) joined with the reader's comma
    ("، " in Arabic), each isolated from the others: HTML in HTML templates, text in text."""
    separator = "، " if current_language() == "ar" else ", "
    present = [item for item in items if item]
    if eval_ctx.autoescape:
        return escape(separator).join(bdi(item) for item in present)
    return separator.join(isolate(item) for item in present)


STATUS_LABELS = {
    # Registrations
    "confirmed": _l("Confirmed"),
    "waiting": _l("Waiting list"),
    "cancelled": _l("Cancelled"),
    "pending": _l("Seat held, address to confirm"),
    "pending-waiting": _l("Waiting list, address to confirm"),
    "pending-approval": _l("Pending approval"),
    "not-approved": _l("Not approved"),
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


def error_item(label, problem) -> str:
    """One line of a form's error summary, read as a sentence in each language: the label's
    own full stop or colon is dropped before ": problem" (no "the event.: Please tick", no
    ". :" in French), and a question is followed by the problem alone ("Which days will you
    attend? Please choose at least one day.")."""
    label = str(label).rstrip(" .:\u00a0\u202f")
    if label.endswith(("?", "\u061f", "!")):
        return _("%(question)s %(problem)s", question=label, problem=problem)
    return _("%(field)s: %(problem)s", field=label, problem=problem)


# The languages named in the reader's language, where they are data (a person's language in
# a list or an export) rather than a choice of language (``i18n.LANGUAGE_NAMES``).
LANGUAGE_LABELS = {"en": _l("English"), "fr": _l("French"), "ar": _l("Arabic")}


def language_label(language) -> str:
    """A person's language (``Language`` or its code), named in the page's language."""
    return str(LANGUAGE_LABELS[str(language)])


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


def keep_private(response):
    """For a page whose address or form holds a personal token: no cache may keep it, and no
    other site sees its address in a Referer header."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


# Long only because it lists what it registers: the template helpers, then the request hooks.
def register(app: Flask) -> None:
    app.add_template_filter(local_datetime)
    app.add_template_filter(local_time)
    app.add_template_filter(local_datetime_in_zone)
    app.add_template_global(time_zone_name)
    app.add_template_global(event_times)
    app.add_template_filter(zoned_datetime)
    app.add_template_filter(long_date)
    app.add_template_filter(bdi)
    app.add_template_filter(isolate)
    app.add_template_filter(local_join)
    app.add_template_global(event_dates)
    app.add_template_global(status_label)
    app.add_template_global(language_label)
    app.add_template_global(error_item)
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

    @app.before_request
    def drop_trailing_direction_marks():
        """A link copied out of a right-to-left email may bring the invisible direction mark
        that followed it: the same address without it (308 keeps a POST a POST), rather than
        a 404 for a token that looks right."""
        path = request.path
        cleaned = bidi.strip_direction_controls(path)
        if cleaned != path:
            query = request.query_string.decode("ascii", "replace")
            return redirect(request.script_root + cleaned + (f"?{query}" if query else ""), 308)
        return None

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
            # and its address holds their token.
            keep_private(response)
        return response
