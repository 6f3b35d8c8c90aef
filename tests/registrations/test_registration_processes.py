"""RSVP and "Email me my link" limits hold across processes: a real gunicorn with two workers,
as for the sign-in limits."""

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


def test_seats_held_unconfirmed_are_counted_across_workers(gunicorn, create_event):  # noqa: F811
    server = gunicorn(MMM_ENV="development")
    event = create_event(confirm_email=True)
    # The default: three unconfirmed holds at a time from one client address.
    held = [rsvp(server, event, f"invented{n}@example.org", "203.0.113.7") for n in range(3)]
    assert [status for status, _ in held] == [303, 303, 303]
    refused_in_a_worker_that_did_not_count(
        server, held, lambda: rsvp(server, event, "invented@example.org", "203.0.113.7"), 3
    )
    # One IPv6 /64 is one client, whatever address of it a request comes from.
    for n in range(1, 4):
        assert rsvp(server, event, f"v6-{n}@example.org", f"2001:db8:7:7::{n}")[0] == 303
    assert rsvp(server, event, "v6-4@example.org", "2001:db8:7:7:abcd::1")[0] == 429


def test_repeated_rsvps_leave_the_event_limit_to_new_people(
    gunicorn, create_event  # noqa: F811
):
    server = gunicorn(MMM_ENV="development", RSVP_LIMIT_PER_EVENT="3 per 10 minutes")
    event = create_event()
    assert rsvp(server, event, "amina@example.org", "203.0.113.1")[0] == 303
    repeats = [rsvp(server, event, "amina@example.org", f"203.0.113.{n}")[0] for n in range(10)]
    assert repeats == [200] * 10
    assert rsvp(server, event, "new1@example.org", "198.51.100.1")[0] == 303
    assert rsvp(server, event, "new2@example.org", "198.51.100.2")[0] == 303
    assert rsvp(server, event, "new3@example.org", "198.51.100.3")[0] == 429


def test_email_me_my_link_accepts_exactly_the_documented_number(
    gunicorn, create_event  # noqa: F811
):
    # The default and documented limit: 10 per hour from one client address.
    server = gunicorn(MMM_ENV="development")
    event = create_event()
    workers = server.workers()
    answers = []
    for n in range(25):
        # Each worker in turn, so that both count some.
        with server.only_worker(workers[n % 2]):
            answers.append(
                server.post_form(
                    f"/events/{event.slug}/send-link", {"email": "amina@example.org"},
                    "203.0.113.9", page=f"/events/{event.slug}",
                )
            )  # fmt: skip
    statuses = [status for status, _ in answers]
    assert statuses == [303] * 10 + [429] * 15
    assert [pid for _, pid in answers] == [workers[n % 2] for n in range(25)]
