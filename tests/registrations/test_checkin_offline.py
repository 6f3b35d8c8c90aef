"""Check-in at the door with no network: the list the phone keeps, and the queued check-ins
it sends (each recorded once, by its key), refused from anyone but the signed-in organiser of
that event. The page is driven in Chromium: tests/browser/test_checkin_offline_browser.py."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from mmm_events.extensions import db
from mmm_events.models import AuditEntry, CheckInReceipt, Registration, RegistrationStatus
from tests.conftest import ORGANISER_PASSWORD, sign_in


@pytest.fixture
def event(create_event):
    return create_event(timezone="Africa/Casablanca")


@pytest.fixture
def organiser(create_user, event):
    return create_user(events=(event,), name="Amina Idrissi")


def sync(client, event, user, *items, owner=None):
    return client.post(
        f"/organiser/events/{event.id}/check-in/sync",
        json={"items": list(items)},
        headers={"X-Check-In-Owner": str(owner if owner is not None else user.id)},
    )


def item(code, *, key=None, at="2026-01-01T00:00:00+00:00", undo=False):
    return {"key": key or str(uuid.uuid4()), "code": code, "made_at": at, "undo": undo}


def row(app, registration):
    with app.app_context():
        return db.session.get(Registration, registration.id)


def test_list_holds_what_the_door_needs_and_no_email(app, client, event, organiser,
                                                      create_registration):
    day = event.starts_at.date()
    person = create_registration(event, full_name="Élodie Durand", organisation="MMM",
                                 email="elodie@example.org", days=(day,))
    create_registration(event, status=RegistrationStatus.WAITING, full_name="Wafa")
    sign_in(client, organiser)
    body = client.get(f"/organiser/events/{event.id}/check-in/list").get_json()
    assert body["people"][0] == {
        "code": person.check_in_token, "name": "Élodie Durand", "organisation": "MMM",
        "status": "confirmed", "days": [day.isoformat()], "checked_in_at": None,
        "checked_in_by": "",
    }
    assert [p["status"] for p in body["people"]] == ["confirmed", "waiting"]
    assert "elodie@example.org" not in str(body)
    assert body["keep_until"] == (event.ends_at + timedelta(days=1)).isoformat()
    # Only what changed since the last refresh.
    since = body["since"]
    assert client.get(f"/organiser/events/{event.id}/check-in/list",
                      query_string={"since": since}).get_json()["people"] != []
    later = datetime.now(UTC).isoformat()
    changed = client.get(f"/organiser/events/{event.id}/check-in/list",
                         query_string={"since": later}).get_json()
    assert changed["people"] == []
    assert sync(client, event, organiser, item(person.check_in_token)).status_code == 200
    changed = client.get(f"/organiser/events/{event.id}/check-in/list",
                         query_string={"since": later}).get_json()
    assert [(p["name"], p["checked_in_by"]) for p in changed["people"]] == [
        ("Élodie Durand", "Amina Idrissi")]
    assert client.get(f"/organiser/events/{event.id}/check-in/list",
                      query_string={"since": "yesterday"}).status_code == 400


def test_an_erasure_reaches_the_phones_next_refresh_under_the_same_code(
    app, client, event, organiser, create_registration
):
    from mmm_events.models import utcnow
    from mmm_events.privacy import people

    person = create_registration(event, full_name="Élodie Durand", organisation="MMM")
    sign_in(client, organiser)
    since = client.get(f"/organiser/events/{event.id}/check-in/list").get_json()["since"]
    with app.app_context():
        registration = db.session.get(Registration, person.id)
        people.erase(people.person_of_registration(registration), reason="asked",
                     now=utcnow())
        db.session.commit()
    changed = client.get(f"/organiser/events/{event.id}/check-in/list",
                         query_string={"since": since}).get_json()["people"]
    # The phone keeps its list by code: the entry it holds is replaced by the blanked one.
    assert [(p["code"], p["name"], p["organisation"], p["status"]) for p in changed] == [
        (person.check_in_token, "", "", "cancelled")]


def test_a_check_in_sent_twice_is_recorded_once(app, client, event, organiser,
                                                create_registration, create_user):
    person = create_registration(event, full_name="Nadia")
    sign_in(client, organiser)
    made = (datetime.now(UTC) - timedelta(minutes=20)).replace(microsecond=0)
    first = item(person.check_in_token, at=made.isoformat())
    answer = sync(client, event, organiser, first).get_json()["results"]
    assert [(r["key"], r["outcome"]) for r in answer] == [(first["key"], "new")]
    assert answer[0]["person"]["checked_in_at"] == made.isoformat()
    assert answer[0]["person"]["checked_in_by"] == "Amina Idrissi"
    # The retry of a lost answer: the same key.
    again = sync(client, event, organiser, first).get_json()["results"]
    assert [r["outcome"] for r in again] == ["repeat"]
    # The same ticket checked in on another phone while offline: recorded once, the first kept.
    other = create_user(events=(event,), name="Karim")
    phone_b = app.test_client()
    sign_in(phone_b, other)
    second = sync(phone_b, event, other, item(person.check_in_token)).get_json()["results"]
    assert second[0]["outcome"] == "already"
    assert second[0]["person"]["checked_in_by"] == "Amina Idrissi"
    assert row(app, person).checked_in_at == made
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CheckInReceipt)) == 2
        actions = db.session.scalars(select(AuditEntry.action)).all()
        assert actions.count("registrant.checked_in") == 1


def test_undo_leaves_an_audit_entry(app, client, event, organiser, create_registration):
    person = create_registration(event)
    sign_in(client, organiser)
    code = person.check_in_token
    answer = sync(client, event, organiser, item(code), item(code, undo=True),
                  item(code, undo=True)).get_json()["results"]
    assert [r["outcome"] for r in answer] == ["new", "undone", "not_checked_in"]
    assert row(app, person).checked_in_at is None
    assert row(app, person).checked_in_by_id is None
    with app.app_context():
        entries = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        assert [(e.action, e.detail["registration"]) for e in entries] == [
            ("registrant.checked_in", person.id), ("registrant.check_in_undone", person.id)]


def test_only_codes_of_that_event_and_confirmed_seats(app, client, event, organiser,
                                                      create_event, create_registration):
    elsewhere = create_registration(create_event(title="Another event"))
    waiting = create_registration(event, status=RegistrationStatus.WAITING)
    sign_in(client, organiser)
    answer = sync(client, event, organiser, item(elsewhere.check_in_token),
                  item(waiting.check_in_token)).get_json()["results"]
    assert [(r["outcome"], r["person"] is None) for r in answer] == [
        ("unknown", True), ("not_confirmed", False)]
    assert row(app, elsewhere).checked_in_at is None
    assert row(app, waiting).checked_in_at is None


@pytest.mark.parametrize("payload", [
    {"items": []}, {"items": "x"}, [], {"items": [{"key": "nope", "code": "c", "made_at": "x"}]},
    {"items": [{"key": str(uuid.uuid4()), "code": "c", "made_at": "2026-01-01T00:00:00"}]},
    {"items": [{"key": str(uuid.uuid4()), "code": "", "made_at": "2026-01-01T00:00:00Z"}]},
])
def test_a_malformed_batch_is_refused_whole(app, client, event, organiser, payload):
    sign_in(client, organiser)
    response = client.post(f"/organiser/events/{event.id}/check-in/sync", json=payload,
                           headers={"X-Check-In-Owner": str(organiser.id)})
    assert (response.status_code, response.get_json()) == (400, {"error": "batch"})


def test_a_queue_from_an_ended_session_or_another_organiser_is_refused(
    app, client, event, organiser, create_registration, create_user
):
    person = create_registration(event)
    # Signed out (the session ended): sent to sign in, nothing recorded.
    response = sync(client, event, organiser, item(person.check_in_token))
    assert response.status_code == 302
    assert "/sign-in" in response.headers["Location"]
    # Another organiser signed in on the phone that holds the first one's queue.
    other = create_user(events=(event,))
    sign_in(client, other)
    response = sync(client, event, other, item(person.check_in_token), owner=organiser.id)
    assert (response.status_code, response.get_json()) == (409, {"error": "owner"})
    # An organiser of another event.
    stranger = create_user()
    stranger_client = app.test_client()
    sign_in(stranger_client, stranger)
    assert sync(stranger_client, event, stranger, item(person.check_in_token)).status_code == 404
    assert row(app, person).checked_in_at is None


def test_the_phones_requests_never_undo_a_sign_out(app, client, event, organiser):
    """The door's phone asks for its list while its organiser signs out. The list's answer may
    arrive after the sign-out's: it must not carry a session cookie, or the browser would put
    back the signed-in session (or one holding "Please sign in") over the sign-out's, and the
    next page would lose "You are signed out."."""
    list_url = f"/organiser/events/{event.id}/check-in/list"
    script = {"Sec-Fetch-Mode": "cors"}
    sign_in(client, organiser)
    assert client.get(f"/organiser/events/{event.id}/check-in").status_code == 200
    answer = client.get(list_url, headers=script)
    assert answer.status_code == 200
    assert "Set-Cookie" not in answer.headers
    signed_in_cookie = client.get_cookie("session").value
    assert client.post("/sign-out").status_code == 302
    # The request the phone sent before the sign-out, read by the server after it.
    in_flight = app.test_client()
    in_flight.set_cookie("session", signed_in_cookie)
    late = in_flight.get(list_url, headers=script)
    assert (late.status_code, late.get_json()) == (401, {"error": "sign-in"})
    assert "Set-Cookie" not in late.headers
    assert "You are signed out." in client.get("/").get_data(as_text=True)
    # A page asked for with that cookie is still sent to sign in, with the reason.
    page = in_flight.get(list_url, headers={"Sec-Fetch-Mode": "navigate"})
    assert page.status_code == 302
    assert page.location.startswith("/sign-in")
    assert "Please sign in to see this page." in in_flight.get(page.location).get_data(
        as_text=True)


def test_sync_needs_the_csrf_token_in_a_header(make_app, event, organiser, create_registration):
    person = create_registration(event)
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    page = client.get("/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post("/sign-in", data={"email": organiser.email, "password": ORGANISER_PASSWORD,
                                  "csrf_token": token})
    assert sync(client, event, organiser, item(person.check_in_token)).status_code == 400
    fresh = client.get(f"/organiser/events/{event.id}/check-in/list").get_json()["csrf_token"]
    response = client.post(
        f"/organiser/events/{event.id}/check-in/sync",
        json={"items": [item(person.check_in_token)]},
        headers={"X-Check-In-Owner": str(organiser.id), "X-CSRFToken": fresh},
    )
    assert response.status_code == 200
    assert row(app, person).checked_in_at is not None


def test_sync_is_rate_limited_per_organiser(make_app, event, organiser, create_registration):
    app = make_app(CHECK_IN_SYNC_LIMIT_PER_ACCOUNT="2 per minute")
    client = app.test_client()
    sign_in(client, organiser)
    codes = [create_registration(event).check_in_token for _ in range(3)]
    assert [sync(client, event, organiser, item(c)).status_code for c in codes] == [200, 200, 429]
    refused = sync(client, event, organiser, item(codes[2]))
    assert refused.get_json()["error"] == "busy"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    with app.app_context():
        assert db.session.scalar(
            select(Registration.checked_in_at).where(Registration.check_in_token == codes[2])
        ) is None


def test_sign_out_clears_only_the_http_cache(client, organiser):
    sign_in(client, organiser)
    response = client.post("/sign-out")
    # Not "storage": that would delete the check-ins queued offline (the page deletes the list).
    assert response.headers["Clear-Site-Data"] == '"cache"'


def test_the_door_says_every_status_in_words(client, event, organiser):
    # The page's script reads "status_" + the status (pending-waiting as pending): a status
    # with no sentence would show as "undefined" at the door.
    sign_in(client, organiser)
    html = client.get(f"/organiser/events/{event.id}/check-in").text
    strings = json.loads(re.search(r'id="door-strings">(.*?)</script>', html, re.S).group(1))
    said = {key.removeprefix("status_") for key in strings if key.startswith("status_")}
    assert said == {s.value for s in RegistrationStatus} - {"pending-waiting"}
    assert strings["status_pending-approval"] == "Pending approval: not confirmed"


def test_the_worker_is_served_with_a_scope_over_the_organiser_pages(client, organiser):
    sign_in(client, organiser)
    response = client.get("/organiser/check-in-worker.js")
    assert response.status_code == 200
    assert response.headers["Service-Worker-Allowed"] == "/organiser/"
    assert response.mimetype == "text/javascript"
    assert b"mmm-check-in-v1" in response.data
