"""RSVP limits hold across processes: a real gunicorn with two workers and the default
in-memory rate-limit store, as for the sign-in limits."""

from __future__ import annotations

import http.cookiejar
import urllib.error
import urllib.parse
import urllib.request

from tests.test_sign_in_processes import (
    Gunicorn,
    _NoRedirect,
    gunicorn,  # noqa: F401 - the fixture, used by name
    refused_in_a_worker_that_did_not_count,
)


def rsvp(server: Gunicorn, event, email: str, address: str) -> tuple[int, str]:
    """Register through the form (CSRF token and all) from ``address``; the status of the
    POST and the pid of the worker that answered it."""
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect()
    )
    url = f"http://127.0.0.1:{server.port}/events/{event.slug}"
    with opener.open(url, timeout=30) as form:
        page = form.read().decode()
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    before = len(server._log_lines()) + 1  # the GET's line may not be written yet
    fields = {
        "csrf_token": token,
        "full_name": "Amina Benali",
        "email": email,
        "country": "Morocco",
        "language": "en",
        "consent": "y",
        "days": [d.isoformat() for d in event.days],
    }
    request = urllib.request.Request(
        url,
        data=urllib.parse.urlencode(fields, doseq=True).encode(),
        headers={"X-Forwarded-For": address},
    )
    try:
        with opener.open(request, timeout=30) as response:
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    return status, server._pid_of_post(before, status)


def test_rsvp_limit_per_address_holds_across_workers(gunicorn, create_event):  # noqa: F811
    # "development": production would ask for SERVER_NAME, which this free port cannot name.
    server = gunicorn(MMM_ENV="development", RSVP_LIMIT_PER_IP="3 per 10 minutes")
    event = create_event()
    accepted = [rsvp(server, event, f"person{n}@example.org", "203.0.113.7") for n in range(3)]
    assert [status for status, _ in accepted] == [303, 303, 303]
    refused_in_a_worker_that_did_not_count(
        server, accepted, lambda: rsvp(server, event, "late@example.org", "203.0.113.7"), 3
    )
    # Another address (another office) is not concerned.
    assert rsvp(server, event, "late@example.org", "198.51.100.1")[0] == 303
