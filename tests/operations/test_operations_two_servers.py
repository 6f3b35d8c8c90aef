"""Two web servers behind a load balancer: each request of one visitor may reach either.

Two applications on one database with one SECRET_KEY, each with its own instance folder,
answer a visitor's requests in turn. Whatever a server remembers only on its own disk or in
its own memory shows up here: the sign-in, the CSRF token, flashed messages, the chosen
language, rate limits, the invitation import, check-in, the RSVP's result page and the
development mailbox must all hold from one request to the next.
"""

from __future__ import annotations

import email
import email.policy
import io
import re

import pytest
from sqlalchemy import func, select
from werkzeug.test import Client

from mmm_events.extensions import db
from mmm_events.models import AccountAttempt, AttemptKind, Invitation, Registration
from tests.conftest import ORGANISER_PASSWORD, drain_outbox, rsvp_form

# Two servers on one database: each with its own connections, as in production.
pytestmark = pytest.mark.real_commits

# The sign-in form (WTForms) and the sign-out button (base.html) write it differently.
CSRF = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')


class Alternating:
    """A load balancer in turn: request n goes to server n mod 2."""

    def __init__(self, *apps):
        self.apps, self.count = apps, 0

    def __call__(self, environ, start_response):
        app = self.apps[self.count % len(self.apps)]
        self.count += 1
        return app(environ, start_response)


def token(page: str) -> str:
    return CSRF.search(page).group(1)


def two_servers(make_app, tmp_path, **config):
    """Two applications with CSRF on, each with its own instance folder, and a browser whose
    every request goes to the other one than the request before."""
    servers = []
    for n in (1, 2):
        app = make_app(WTF_CSRF_ENABLED=True, **config)
        app.instance_path = str(tmp_path / f"server-{n}")
        servers.append(app)
    return servers, Client(Alternating(*servers))


def signed_in(browser: Client, user) -> str:
    """Sign ``user`` in (GET on one server, POST on the other); the organiser home page."""
    page = browser.get("/sign-in").get_data(as_text=True)
    response = browser.post(
        "/sign-in",
        data={"csrf_token": token(page), "email": user.email, "password": ORGANISER_PASSWORD},
    )
    assert response.status_code == 302
    return browser.get("/organiser/").get_data(as_text=True)


def test_a_visitor_moves_between_two_servers_unnoticed(make_app, create_user, tmp_path):
    _, browser = two_servers(make_app, tmp_path)
    user = create_user()

    chosen = browser.get("/language/fr?next=/sign-in")  # server 1
    assert (chosen.status_code, chosen.headers["Location"]) == (302, "/sign-in")
    page = browser.get("/sign-in").get_data(as_text=True)  # server 2
    assert '<html lang="fr">' in page
    signed_in = browser.post(  # server 1
        "/sign-in",
        data={"csrf_token": token(page), "email": user.email, "password": ORGANISER_PASSWORD},
    )
    assert signed_in.status_code == 302
    area = browser.get("/organiser/")  # server 2
    assert area.status_code == 200
    page = area.get_data(as_text=True)
    assert '<html lang="fr">' in page
    signed_out = browser.post("/sign-out", data={"csrf_token": token(page)})  # server 1
    assert signed_out.status_code == 302
    home = browser.get("/").get_data(as_text=True)  # server 2
    assert len(re.findall(r'class="flash flash-success"', home)) == 1
    again = browser.get("/").get_data(as_text=True)  # server 1: the message was shown once
    assert 'class="flash' not in again
    assert browser.get("/organiser/").status_code == 302  # server 2: signed out


# Rate limits ----------------------------------------------------------------------------------


def test_the_email_me_my_link_limit_is_counted_in_the_database_for_both_servers(
    app, make_app, create_event, tmp_path
):
    _, browser = two_servers(make_app, tmp_path)
    event = create_event()
    page = browser.get(f"/events/{event.slug}").get_data(as_text=True)  # server 1
    url = f"/events/{event.slug}/send-link"
    data = {"csrf_token": token(page), "email": "someone@example.org"}
    environ = {"REMOTE_ADDR": "203.0.113.9"}
    # "10 per hour" for one address, whichever server counts: 5 requests reach each.
    statuses = [browser.post(url, data=data, environ_base=environ).status_code for _ in range(10)]
    assert statuses == [303] * 10
    refused = browser.post(url, data=data, environ_base=environ)
    assert refused.status_code == 429
    assert "Too many links were asked for from your network in a short time." in (
        refused.get_data(as_text=True)
    )
    # The count lives in the database, not in either process's memory.
    with app.app_context():
        assert db.session.scalar(
            select(func.count(AccountAttempt.id)).where(
                AccountAttempt.kind == AttemptKind.MANAGE_LINK
            )
        ) == 10


def test_failed_sign_ins_on_either_server_add_up(make_app, create_user, tmp_path):
    _, browser = two_servers(
        make_app,
        tmp_path,
        SIGN_IN_LIMIT_PER_IP="100 per 15 minutes",
        SIGN_IN_LIMIT_PER_ACCOUNT="3 per 15 minutes",
    )
    user = create_user()
    page = browser.get("/sign-in").get_data(as_text=True)  # server 1
    wrong = {"csrf_token": token(page), "email": user.email, "password": "wrong password"}
    statuses = [browser.post("/sign-in", data=wrong).status_code for _ in range(3)]
    assert statuses == [400, 400, 400]
    right = {**wrong, "password": ORGANISER_PASSWORD}
    refused = browser.post("/sign-in", data=right)  # server 1 again: its own count was 2
    assert refused.status_code == 429
    assert "Too many attempts. Please try again in 1 minute." in refused.get_data(as_text=True)
    assert browser.get("/organiser/").status_code == 302  # not signed in


# Organiser work -------------------------------------------------------------------------------


def test_an_import_uploaded_on_one_server_is_confirmed_on_the_other(
    make_app, create_event, create_user, tmp_path
):
    servers, browser = two_servers(make_app, tmp_path)
    event = create_event()
    signed_in(browser, create_user(events=(event,)))  # servers 1, 2, 1
    url = f"/organiser/events/{event.id}/invitations/import"
    page = browser.get(url).get_data(as_text=True)  # server 2
    csv = b"email,name,organisation,language,note\na@example.org,Ann,UNESCO,en,\n"
    csv += b"b@example.org,Ben,MMM,fr,\n"
    report = browser.post(  # server 1 stores the upload
        url,
        data={"csrf_token": token(page), "file": (io.BytesIO(csv), "list.csv")},
        content_type="multipart/form-data",
    )
    page = report.get_data(as_text=True)
    assert report.status_code == 200
    assert "2 rows will be added." in page
    action = re.search(r'action="(/organiser/events/\d+/invitations/import/[^"]+)"', page)
    confirmed = browser.post(action.group(1), data={"csrf_token": token(page)})  # server 2
    assert confirmed.status_code == 302
    overview = browser.get(confirmed.headers["Location"]).get_data(as_text=True)  # server 1
    assert "2 invitees added to the list." in overview
    with servers[0].app_context():
        emails = db.session.scalars(
            select(Invitation.email).where(Invitation.event_id == event.id).order_by("email")
        ).all()
    assert emails == ["a@example.org", "b@example.org"]


def test_a_code_scanned_on_one_server_is_checked_in_on_the_other(
    make_app, create_event, create_registration, create_user, tmp_path
):
    servers, browser = two_servers(make_app, tmp_path)
    event = create_event()
    registration = create_registration(event, full_name="Fatima Zahra")
    signed_in(browser, create_user(events=(event,)))  # servers 1, 2, 1
    url = f"/organiser/check-in/{registration.check_in_token}"
    page = browser.get(url).get_data(as_text=True)  # server 2: the scanned code
    assert "<h1>Fatima Zahra</h1>" in page
    response = browser.post(url, data={"csrf_token": token(page)})  # server 1
    assert (response.status_code, response.headers["Location"]) == (302, url)
    page = browser.get(url).get_data(as_text=True)  # server 2
    assert "Fatima Zahra is checked in." in page
    with servers[0].app_context():
        assert db.session.get(Registration, registration.id).checked_in_at is not None


# The public side ------------------------------------------------------------------------------


def rsvp(browser: Client, event) -> str:
    """Answer the invitation: the form on one server, the answer on the other, the result
    page on the first; that page."""
    page = browser.get(f"/events/{event.slug}").get_data(as_text=True)
    answer = browser.post(
        f"/events/{event.slug}",
        data=rsvp_form(event, csrf_token=token(page)),
    )
    assert (answer.status_code, answer.headers["Location"]) == (
        303,
        f"/events/{event.slug}/registered",
    )
    result = browser.get(answer.headers["Location"])
    assert result.status_code == 200
    return result.get_data(as_text=True)


def test_the_rsvp_result_is_shown_by_the_other_server(make_app, create_event, tmp_path):
    servers, browser = two_servers(make_app, tmp_path)
    event = create_event(capacity=1)
    page = rsvp(browser, event)  # servers 1, 2, 1
    assert "<h1>You are registered</h1>" in page
    assert "Thank you, Amina Benali." in page
    with servers[1].app_context():
        assert db.session.scalar(select(func.count()).select_from(Registration)) == 1


def test_the_development_mailbox_shows_on_one_server_what_the_other_sent(
    make_app, create_event, tmp_path
):
    # Both servers read MAILBOX_DIR, the one folder the worker writes to (make cluster gives
    # them one too); nothing about the mailbox is kept in either instance folder.
    servers, browser = two_servers(make_app, tmp_path, MMM_ENV="development",
                                   SERVER_NAME="localhost")
    event = create_event()
    rsvp(browser, event)  # servers 1, 2, 1
    assert [report.sent for report in drain_outbox(servers[0])][0] == 1
    listing = browser.get("/dev/mailbox/")  # server 2
    assert listing.status_code == 200
    names = re.findall(r'href="/dev/mailbox/([^"/]+\.eml)"', listing.get_data(as_text=True))
    assert len(names) == 1
    assert "amina@example.org" in listing.get_data(as_text=True)
    message = browser.get(f"/dev/mailbox/{names[0]}")  # server 1
    assert message.status_code == 200
    assert "Amina Benali" in message.get_data(as_text=True)
    raw = browser.get(f"/dev/mailbox/{names[0]}/raw")  # server 2
    try:
        assert raw.headers["Content-Type"] == "message/rfc822"
        sent = email.message_from_bytes(raw.get_data(), policy=email.policy.default)
    finally:
        raw.close()
    assert sent["To"].addresses[0].addr_spec == "amina@example.org"
