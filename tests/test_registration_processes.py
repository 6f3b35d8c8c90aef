"""RSVP limits hold across processes: a real gunicorn with two workers and the default
in-memory rate-limit store, as for the sign-in limits."""

from __future__ import annotations

from tests.conftest import rsvp_form
from tests.processes import (
    Gunicorn,
    gunicorn,  # noqa: F401 - the fixture, used by name
    refused_in_a_worker_that_did_not_count,
)


def rsvp(server: Gunicorn, event, email: str, address: str) -> tuple[int, str]:
    return server.post_form(f"/events/{event.slug}", rsvp_form(event, email=email), address)


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
