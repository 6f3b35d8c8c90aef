"""Language choice: an explicit choice kept in a cookie, else the browser's preference.

The interface languages are English, French and Arabic. Arabic is written right to left, and
its dates and numbers follow Moroccan conventions (see ``FORMATTING_LOCALES``).
"""

from __future__ import annotations

from flask import current_app, has_request_context, request, url_for
from flask_babel import get_locale

LANGUAGE_COOKIE = "lang"
# A year: the choice outlives the browser session, and signing in or out keeps it.
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
# Each language named in itself, for the switch and the email-language choice.
LANGUAGE_NAMES = {"en": "English", "fr": "Français", "ar": "العربية"}
RIGHT_TO_LEFT = frozenset({"ar"})
# Babel's locale for dates and numbers. Arabic uses Morocco's: Western digits (0-9, the
# "latn" numbering system Moroccan readers expect) and the month names used in Morocco
# ("ماي", "يوليوز", "غشت"); the event series is held in Morocco.
FORMATTING_LOCALES = {"ar": "ar_MA"}


def select_locale() -> str | None:
    # Outside a request (the mail worker, the CLI) the caller sets the language with
    # flask_babel.force_locale; None means the default.
    if not has_request_context():
        return None
    languages = current_app.config["LANGUAGES"]
    # ?lang= names one page's language (the hreflang alternates point there) without
    # changing the visitor's choice; the cookie is that choice.
    for chosen in (request.args.get("lang"), request.cookies.get(LANGUAGE_COOKIE)):
        if chosen in languages:
            return chosen
    return request.accept_languages.best_match(languages) or "en"


def current_language() -> str:
    """The interface language's code: "en", "fr" or "ar"."""
    locale = get_locale()
    return locale.language if locale else "en"


def text_direction(language: str | None = None) -> str:
    """"rtl" or "ltr", for the ``dir`` attribute of a page, an email or a block."""
    return "rtl" if (language or current_language()) in RIGHT_TO_LEFT else "ltr"


def formatting_locale() -> str:
    """The locale Babel formats dates and numbers with, for the current language."""
    language = current_language()
    return FORMATTING_LOCALES.get(language, language)


def language_url(language: str) -> str | None:
    """This page in another language (for hreflang alternates), or None where the page has
    no address of its own (an error page, a form's POST)."""
    if request.method != "GET" or request.endpoint is None or request.url_rule is None:
        return None
    arguments = {**request.args.to_dict(), **(request.view_args or {}), "lang": language}
    return url_for(request.endpoint, **arguments, _external=True)
