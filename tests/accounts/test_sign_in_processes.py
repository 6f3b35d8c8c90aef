"""Sign-in limits hold across processes: a real gunicorn with two workers, as the README's
production command runs it, with the default in-memory rate-limit store."""

from __future__ import annotations

from tests.conftest import ORGANISER_PASSWORD
from tests.processes import (
    Gunicorn,
    gunicorn,  # noqa: F401 - the fixture, used by name
    refused_in_a_worker_that_did_not_count,
)


def sign_in(server: Gunicorn, email: str, password: str, address: str) -> tuple[int, str]:
    return server.post_form("/sign-in", {"email": email, "password": password}, address)


def test_per_address_limit_holds_across_workers(gunicorn, create_user):  # noqa: F811
    server = gunicorn(SIGN_IN_LIMIT_PER_IP="3 per 15 minutes")
    user = create_user()
    failures = [
        sign_in(server, f"guess{n}@example.org", "wrong password", "203.0.113.7")
        for n in range(3)
    ]
    assert [status for status, _ in failures] == [400, 400, 400]
    refused_in_a_worker_that_did_not_count(
        server, failures, lambda: sign_in(server, user.email, ORGANISER_PASSWORD, "203.0.113.7"), 3
    )
    # Another address is not concerned.
    assert sign_in(server, user.email, ORGANISER_PASSWORD, "198.51.100.1")[0] == 302


def test_per_account_limit_holds_across_workers(gunicorn, create_user):  # noqa: F811
    server = gunicorn(SIGN_IN_LIMIT_PER_ACCOUNT="2 per 15 minutes")
    user, other = create_user(), create_user()
    # The owner's usual address: a successful sign-in from it.
    assert sign_in(server, user.email, ORGANISER_PASSWORD, "192.0.2.10")[0] == 302
    failures = [
        sign_in(server, user.email, "wrong password", f"203.0.113.{n}") for n in (1, 2)
    ]
    assert [status for status, _ in failures] == [400, 400]
    refused_in_a_worker_that_did_not_count(
        server, failures, lambda: sign_in(server, user.email, ORGANISER_PASSWORD, "198.51.100.3"), 2
    )
    # The owner, where they usually sign in, is not made to wait by the attack.
    assert sign_in(server, user.email, ORGANISER_PASSWORD, "192.0.2.10")[0] == 302
    assert sign_in(server, other.email, ORGANISER_PASSWORD, "198.51.100.3")[0] == 302
