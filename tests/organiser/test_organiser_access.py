"""Every organiser route, walked from the app's URL map: anonymous visitors are sent to
sign-in, and an organiser is refused everything about an event they are not assigned to."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import func, select

from mmm_events.documents.issued import issue
from mmm_events.documents.letters import PassportDetails, approve_letter, request_letter
from mmm_events.extensions import db
from mmm_events.models import (
    Event,
    NewsPost,
    OutboxMessage,
    OutboxStatus,
    Registration,
    RegistrationStatus,
    utcnow,
)
from tests.conftest import ORGANISER_PASSWORD, sign_in
from tests.questions.helpers import workshop

# Routes only administrators may use, whatever the event.
ADMIN_ONLY = {
    "organiser.event_organisers",
    "organiser.outbox",
    "organiser.outbox_retry",
    "organiser.outbox_retry_one",
    "organiser.users",
    "organiser.set_user_active",
    "organiser.send_reset_link",
    "organiser.privacy_notice",
    "organiser.audit_log",
    "organiser.audit_export",
    "organiser.people_search",
    "organiser.people_export",
    "organiser.people_erase",
}
# Routes about no event in particular, open to every organiser.
ANY_ORGANISER = {
    "organiser.dashboard",
    "organiser.new_event",
    "organiser.news_list",
    "organiser.new_post",
    "organiser.change_password",
    "organiser.processing_record",
    # The check-in page's service worker: one script for every event's page.
    "organiser.check_in_worker",
}


@pytest.fixture
def world(app, create_event, create_user, create_registration, create_post):
    """An event with a registration, a post and an email, and an organiser of ANOTHER event."""
    theirs = create_event(title="Their event", capacity=5)
    mine = create_event(title="My event")
    registration = create_registration(theirs, full_name="Fatima", days=(theirs.days[0],))
    waiting = create_registration(theirs, status=RegistrationStatus.WAITING)
    # An organiser of "theirs" who wrote a post about it.
    author = create_user(events=(theirs,))
    post = create_post(event_id=theirs.id, title="About their event", author_id=author.id)
    with app.app_context():
        outbox = OutboxMessage(
            message_id="<m1@example.org>",
            kind="confirmation",
            sender="a@example.org",
            recipient=registration.email,
            subject="Hello",
            text_body="Hello",
            status=OutboxStatus.FAILED,
            event_id=theirs.id,
            registration_id=registration.id,
        )
        db.session.add(outbox)
        db.session.commit()
        outbox_id = outbox.id
    organiser = create_user(events=(mine,))
    question_id = workshop(app, theirs)
    with app.app_context():
        stored = db.session.get(Registration, registration.id)
        document = issue(stored, "certificate", language="en", now=utcnow())
        stored.event.visa_letters = True
        stored.event.visa_signatory_name = "Anne-Claire Dupont"
        letter = request_letter(stored, PassportDetails(
            passport_name="Fatima Zahra", nationality="MA", birth_date=date(1980, 5, 1),
            passport_number="AB123456", passport_expires_on=date(2035, 1, 1)), now=utcnow())
        db.session.flush()
        # Approved, so that its PDF exists for the pages' walk.
        approve_letter(letter, now=utcnow(), by=None)
        db.session.commit()
        document_id, letter_id = document.id, letter.id
    values = {
        "event_id": theirs.id,
        "registration_id": registration.id,
        "token": registration.check_in_token,
        "post_id": post.id,
        "message_id": outbox_id,
        "user_id": organiser.id,
        # An invitee-list upload awaiting confirmation (invitations): any well-formed id.
        "upload_id": "u" * 32,
        # A day of the event (documents: its door list).
        "day": theirs.days[0].isoformat(),
        # One of the event's own questions (questions: edit, move, remove).
        "question_id": question_id,
        # A certificate issued to the registration (documents: revoke).
        "document_id": document_id,
        # A visa letter the registrant asked for (documents: approve, decline, revoke, PDF).
        "letter_id": letter_id,
    }
    return {
        "theirs": theirs,
        "registration": registration,
        "waiting": waiting,
        "organiser": organiser,
        "author": author,
        "post": post,
        "values": values,
    }


def organiser_rules(app):
    rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("organiser.")]
    assert len(rules) >= 25
    return rules


def _url(rule, values):
    unknown = set(rule.arguments) - set(values)
    assert not unknown, f"{rule.endpoint} takes {unknown}: teach this test to build it"
    return rule.build({name: values[name] for name in rule.arguments})[1]


def _requests(app, values):
    for rule in organiser_rules(app):
        for method in sorted(rule.methods & {"GET", "POST"}):
            yield rule, method, _url(rule, values)


def test_methods_a_route_does_not_take_are_refused(app, client, world):
    """So that walking GET and POST of the routes that take them covers everything."""
    sign_in(client, world["organiser"])
    for rule in organiser_rules(app):
        for method in {"GET", "POST"} - rule.methods:
            url = _url(rule, world["values"])
            assert client.open(url, method=method).status_code == 405, (method, url)


def _snapshot(app, world):
    with app.app_context():
        event = db.session.get(Event, world["theirs"].id)
        registration = db.session.get(Registration, world["registration"].id)
        waiting = db.session.get(Registration, world["waiting"].id)
        return (
            event.title,
            event.is_published,
            event.capacity,
            [u.id for u in event.organisers],
            registration.status,
            registration.checked_in_at,
            waiting.status,
            db.session.scalar(select(func.count(NewsPost.id))),
            [
                (m.id, m.status)
                for m in db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
            ],
        )


def test_anonymous_is_sent_to_sign_in_everywhere(app, client, world):
    before = _snapshot(app, world)
    for _rule, method, url in _requests(app, world["values"]):
        response = client.open(url, method=method, data={"confirm": "yes"})
        assert response.status_code == 302, (method, url, response.status_code)
        assert response.location.startswith("/sign-in?next="), (method, url)
    assert _snapshot(app, world) == before


def test_organiser_is_refused_other_events_everywhere(app, client, world):
    before = _snapshot(app, world)
    sign_in(client, world["organiser"])
    checked = 0
    for rule, method, url in _requests(app, world["values"]):
        response = client.open(
            url,
            method=method,
            data={
                "confirm": "yes",
                "publish": "0",
                "subject": "Hi",
                "body": "Hi",
                "statuses": "confirmed",
                "title": "Hacked",
            },
        )
        if rule.endpoint in ANY_ORGANISER:
            assert response.status_code in {200, 400}, (method, url, response.status_code)
            continue
        expected = {403} if rule.endpoint in ADMIN_ONLY else {404}
        assert response.status_code in expected, (method, url, response.status_code)
        checked += 1
    assert checked >= 28
    assert _snapshot(app, world) == before


def test_every_route_is_classified(app):
    for rule in organiser_rules(app):
        if not rule.arguments:
            assert rule.endpoint in ANY_ORGANISER | ADMIN_ONLY, rule.endpoint


# The exports among the pages commit audit entries on connections of their own.
@pytest.mark.real_commits
def test_assigned_organiser_and_admin_may_open_every_page(app, world, create_user):
    for user in (world["author"], create_user(admin=True)):
        client = app.test_client()
        assert sign_in(client, user).status_code == 302
        for rule, method, url in _requests(app, world["values"]):
            if method != "GET":
                continue
            # Closed at once: a streamed export left open keeps its request context pushed.
            with client.get(url) as response:
                status = response.status_code
            if rule.endpoint in ADMIN_ONLY and not user.is_admin:
                assert status == 403, url
            else:
                assert status == 200, (user.email, url, status)


NEWS_ROUTES_OF_A_POST = {
    "organiser.edit_post",
    "organiser.publish_post",
    "organiser.delete_post",
}


def _post_state(app, post_id):
    with app.app_context():
        post = db.session.get(NewsPost, post_id)
        return None if post is None else (post.title, post.is_published, post.event_id)


def _walk_post(app, client, post_id, values):
    """Every GET and POST of every route about one post: the status codes, in order."""
    codes = []
    for rule, method, url in _requests(app, {**values, "post_id": post_id}):
        if rule.endpoint in NEWS_ROUTES_OF_A_POST:
            data = {"confirm": "yes", "publish": "0", "title": "Hacked"}
            codes.append((rule.endpoint, method, client.open(url, method=method, data=data)
                          .status_code))
    return sorted(codes)


def test_news_routes_per_role(app, world, create_user, create_post):
    """Admins manage every post; an organiser only the posts they wrote about their events.

    Site-wide posts, the admin's posts about the organiser's event, and a co-organiser's
    posts are refused (404) on every route, and stay as they were."""
    theirs, author = world["theirs"], world["author"]
    admin = create_user(admin=True)
    co_organiser = create_user(events=(theirs,))
    site_wide = create_post(title="Site news", author_id=admin.id)
    admins_about_theirs = create_post(event_id=theirs.id, author_id=admin.id)
    unknown_author = create_post(event_id=theirs.id)
    refused = [(e, m, 404) for e, m in (
        ("organiser.delete_post", "GET"), ("organiser.delete_post", "POST"),
        ("organiser.edit_post", "GET"), ("organiser.edit_post", "POST"),
        ("organiser.publish_post", "POST"),
    )]
    for user, post in (
        (author, site_wide),
        (author, admins_about_theirs),
        (author, unknown_author),
        (co_organiser, world["post"]),
        (world["organiser"], world["post"]),
    ):
        client = app.test_client()
        sign_in(client, user)
        before = _post_state(app, post.id)
        assert _walk_post(app, client, post.id, world["values"]) == refused, (user.id, post.id)
        assert _post_state(app, post.id) == before
        listed = client.get("/organiser/news/").get_data(as_text=True)
        assert f'id="post-{post.id}"' not in listed
    client = app.test_client()
    sign_in(client, author)
    assert f'id="post-{world["post"].id}"' in client.get("/organiser/news/").get_data(
        as_text=True
    )
    client.post(f"/organiser/news/{world['post'].id}/publish", data={"publish": "0"})
    assert _post_state(app, world["post"].id)[1] is False
    admin_client = app.test_client()
    sign_in(admin_client, admin)
    for post in (site_wide, admins_about_theirs, unknown_author, world["post"]):
        assert admin_client.get(f"/organiser/news/{post.id}/edit").status_code == 200
        admin_client.post(f"/organiser/news/{post.id}/publish", data={"publish": "1"})
        assert _post_state(app, post.id)[1] is True


def test_post_without_csrf_token_is_refused(make_app, create_event, create_user):
    app = make_app(WTF_CSRF_ENABLED=True)
    event = create_event(is_published=True)
    user = create_user(events=(event,))
    client = app.test_client()
    page = client.get("/sign-in").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    client.post(
        "/sign-in",
        data={"email": user.email, "password": ORGANISER_PASSWORD, "csrf_token": token},
    )
    response = client.post(f"/organiser/events/{event.id}/publish", data={"publish": "0"})
    assert response.status_code == 400
    assert "This form has expired" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Event, event.id).is_published is True
    # Signing in starts a fresh session, with a fresh token.
    page = client.get(f"/organiser/events/{event.id}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post(
        f"/organiser/events/{event.id}/publish", data={"publish": "0", "csrf_token": token}
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Event, event.id).is_published is False


def test_unknown_ids_are_404(client, create_user):
    sign_in(client, create_user(admin=True))
    for url in (
        "/organiser/events/999",
        "/organiser/registrations/999",
        "/organiser/check-in/not-a-token",
        "/organiser/news/999/edit",
        f"/organiser/events/999/registrants.csv?day={date(2027, 5, 3)}",
    ):
        assert client.get(url).status_code == 404, url


def test_nul_characters_are_a_bad_request_not_an_error(client, create_event, create_user):
    event = create_event()
    user = create_user(events=(event,))
    response = client.post("/sign-in", data={"email": "a\x00@example.org", "password": "x"})
    assert response.status_code == 400
    sign_in(client, user)
    for method, url, data in (
        ("GET", f"/organiser/events/{event.id}/registrants?q=a%00b", None),
        ("GET", f"/organiser/events/{event.id}/registrants.csv?q=%00", None),
        ("GET", f"/organiser/events/{event.id}/check-in?q=%00", None),
        ("GET", "/organiser/check-in/abc%00def", None),
        ("POST", "/organiser/news/new", {"title": "a\x00b", "published_on": "2027-01-01"}),
        ("POST", f"/organiser/events/{event.id}/messages", {"subject": "\x00", "body": "x"}),
    ):
        response = client.open(url, method=method, data=data)
        assert response.status_code == 400, url


def test_ids_too_large_for_the_database_are_not_found(client, create_user):
    sign_in(client, create_user(admin=True))
    huge = 2**63
    for url in (
        f"/organiser/events/{huge}",
        f"/organiser/registrations/{huge}",
        f"/organiser/news/{huge}/edit",
        f"/organiser/events/{2**31}/registrants",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/organiser/outbox/{huge}/retry").status_code == 404
