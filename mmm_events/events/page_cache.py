"""The event page as every visitor sees it, rendered once per version of what it shows.

Why: rendering the page (its texts, the RSVP form's widgets) was two thirds of a view's
CPU time, and it is the same for every visitor of an event in a language until the event,
its texts, its questions or the privacy notice change.

The version is read from the database on every view, in the one statement that reads the
event: its content version (which every change to the event, its texts or its questions
moves on, ``models/content_version.py``), the notice in force and, for events whose choices
have places, which are full; with the registration state and whether seats are left. A
change made by any process or server makes a new key at once, so no page is ever stale.
Each process keeps its own few pages.

Only what differs per visitor is put in per request: the CSRF token and the number of seats
left. A page with anything of the visitor's own (an invitation, a query string, values and
errors sent back, a flashed message, an organiser signed in) is rendered whole, the plain
way (``events.views.detail``); tests/events/test_event_page_cache.py checks that both give
the same page.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from flask import current_app, request, session
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from ..i18n import current_language

# Markers the cached page holds where each visitor's own value goes.
SEATS_LEFT = Markup("<!--seats-left-->")
CSRF_TOKEN = "<!--csrf-token-->"  # noqa: S105 - where the token goes, not one
# Pages kept per process: a few languages of the events people are looking at.
MAX_PAGES = 256

_lock = threading.Lock()


def _pages() -> OrderedDict[tuple, str]:
    """This app's pages: an app of other settings renders other pages."""
    return current_app.extensions.setdefault("event_pages", OrderedDict())


def applies() -> bool:
    """Whether this request sees the page every visitor sees: a GET with no query string
    (no invitation), from someone not signed in, with no message waiting for them."""
    return (
        current_app.config["EVENT_PAGE_CACHE"]
        and request.method == "GET"
        and not request.args
        and "_flashes" not in session
        and not current_user.is_authenticated
    )


def version(shown: Any, state: str, seats_left: int) -> tuple:
    """What the page shows that is the same for every visitor, as a dictionary key: the
    event's content version (``models/content_version.py``), the notice in force, the
    options full, the registration state and whether seats are left."""
    return (
        shown.id,
        shown.content_version,
        current_language(),
        request.host_url,
        state,
        seats_left > 0,
        shown.notice,
        shown.full,
    )


def page(key: tuple, render: Callable[[Markup], str], seats_left: str, csrf: bool) -> str:
    """The page for ``key``, rendered by ``render(seats_left_marker)`` the first time, with
    this visitor's CSRF token (when the form has one: ``csrf``) and the sentence saying how
    many seats are left."""
    pages = _pages()
    with _lock:
        cached = pages.get(key)
        if cached is not None:
            pages.move_to_end(key)
    if cached is None:
        token = generate_csrf() if csrf else CSRF_TOKEN
        html = render(SEATS_LEFT)
        if csrf and html.count(token) != 1:
            # Not the page this module knows: serve it as rendered, keep nothing.
            return html.replace(SEATS_LEFT, escape(seats_left))
        cached = html.replace(token, CSRF_TOKEN)
        with _lock:
            pages[key] = cached
            while len(pages) > MAX_PAGES:
                pages.popitem(last=False)
    if csrf:
        cached = cached.replace(CSRF_TOKEN, generate_csrf())
    return cached.replace(SEATS_LEFT, escape(seats_left))


def kept() -> int:
    """How many pages this app keeps in this process."""
    return len(_pages())


def clear() -> None:
    """Forget every page (for tests that compare a first rendering with the plain one)."""
    with _lock:
        _pages().clear()
