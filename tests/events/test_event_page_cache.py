"""The event page kept rendered per version of the event (issue 24, point 1): the page it
serves is the page the plain rendering gives, with each visitor's own CSRF token and the seats
left as they are now, and a change made by another process shows at once."""

from __future__ import annotations

import re
import urllib.request

import pytest
from sqlalchemy import update

from mmm_events.events import page_cache
from mmm_events.events.covers import read_cover, remove_cover, set_cover
from mmm_events.extensions import db
from mmm_events.models import Event, Question, QuestionKind, QuestionOption, User
from mmm_events.privacy.consent import publish_notice
from tests.conftest import rsvp_form
from tests.events.covers import photo
from tests.processes import gunicorn  # noqa: F401 - the fixture, used by name

TOKEN = re.compile(r'(name="csrf_token" type="hidden" value=")([^"]+)(")')


@pytest.fixture
def app(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        page_cache.clear()
    return app


def _page(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _plain_page(app, path: str) -> str:
    app.config["EVENT_PAGE_CACHE"] = False
    try:
        return _page(app.test_client(), path)
    finally:
        app.config["EVENT_PAGE_CACHE"] = True


def _without_token(page: str) -> tuple[str, str]:
    (token,) = [m.group(2) for m in TOKEN.finditer(page)]
    return TOKEN.sub(r"\1TOKEN\3", page), token


def _set_seats_taken(app, event, taken: int) -> None:
    with app.app_context():
        db.session.execute(update(Event).where(Event.id == event.id).values(seats_taken=taken))
        db.session.commit()


@pytest.mark.parametrize("language", ["en", "fr", "ar"])
@pytest.mark.parametrize("taken", [0, 49, 50])
def test_the_kept_page_is_the_plain_page_with_each_visitors_token(
    app, create_event, language, taken
):
    event = create_event(capacity=50, confirm_email=taken == 49)
    _set_seats_taken(app, event, taken)
    path = f"/events/{event.slug}"
    first, second = app.test_client(), app.test_client()
    for client in (first, second):
        client.get(f"/language/{language}")
    kept = [_without_token(_page(client, path)) for client in (first, second, first)]
    plain, _ = _without_token(_plain_page_in(app, path, language))
    assert [page for page, _ in kept] == [plain, plain, plain]
    with app.app_context():
        assert page_cache.kept() == 1
    tokens = [token for _, token in kept]
    # Each visitor's own token, which their RSVP is accepted with.
    assert tokens[0] != tokens[1]
    response = first.post(path, data=rsvp_form(event, csrf_token=tokens[2]))
    assert response.status_code == 303


def _plain_page_in(app, path: str, language: str) -> str:
    app.config["EVENT_PAGE_CACHE"] = False
    try:
        client = app.test_client()
        client.get(f"/language/{language}")
        return _page(client, path)
    finally:
        app.config["EVENT_PAGE_CACHE"] = True


def test_the_seats_left_are_counted_on_every_view(app, client, create_event):
    event = create_event(capacity=50)
    path = f"/events/{event.slug}"
    assert "50 seats left" in _page(client, path)
    _set_seats_taken(app, event, 49)
    page = _page(client, path)
    assert "1 seat left" in page
    assert "50 seats left" not in page
    _set_seats_taken(app, event, 50)
    page = _page(client, path)
    assert "Full: new registrations join the waiting list" in page
    assert "Join the waiting list" in page


def test_a_choice_that_fills_up_is_shown_full_at_once(app, client, create_event):
    event = create_event()
    with app.app_context():
        question = Question(event_id=event.id, kind=QuestionKind.RADIO, position=1)
        question.text_in("en").label = "Workshop"
        option = QuestionOption(position=1, places=1)
        option.text_in("en").label = "Gardens"
        question.options.append(option)
        db.session.add(question)
        db.session.commit()
        option_id = option.id
    path = f"/events/{event.slug}"
    assert "(full)" not in _page(client, path)
    with app.app_context():
        db.session.execute(
            update(QuestionOption).where(QuestionOption.id == option_id).values(places_taken=1)
        )
        db.session.commit()
    assert "Gardens (full)" in _page(client, path)


def test_an_event_given_a_deleted_events_id_shows_its_own_page(app, client, create_event):
    first = create_event(title="The first event")
    assert "The first event" in _page(client, f"/events/{first.slug}")
    with app.app_context():
        db.session.delete(db.session.get(Event, first.id))
        db.session.commit()
        # SQLite gives the highest id again once its row is deleted.
        again = Event(**{c: getattr(first, c) for c in (
            "slug", "timezone", "starts_at", "ends_at", "capacity", "is_published")})
        again.title = "The second event"
        db.session.add(again)
        db.session.commit()
    page = _page(client, f"/events/{first.slug}")
    assert "The second event" in page
    assert "The first event" not in page


def test_a_cover_given_or_removed_shows_on_the_next_view(app, client, create_event):
    event = create_event()
    path = f"/events/{event.slug}"
    assert 'class="cover event-cover"' not in _page(client, path)
    with app.app_context():
        stored = db.session.get(Event, event.id)
        set_cover(stored, read_cover(photo(1200, 800)))
        stored.text_in("en").cover_alt = "Mothers around a table"
        db.session.commit()
    assert 'alt="Mothers around a table"' in _page(client, path)
    with app.app_context():
        remove_cover(db.session.get(Event, event.id))
        db.session.commit()
    assert 'alt="Mothers around a table"' not in _page(client, path)


def test_every_change_to_what_the_page_shows_moves_the_version_on(app, create_event):
    event = create_event()
    with app.app_context():
        def version() -> int:
            db.session.expire_all()
            return db.session.get(Event, event.id).content_version

        stored = db.session.get(Event, event.id)
        first = version()
        stored.seats_taken = 3  # shown per request: no new version
        db.session.commit()
        assert version() == first
        stored.text_in("fr").summary = "Un résumé."
        db.session.commit()
        assert version() == first + 1
        question = Question(event_id=event.id, kind=QuestionKind.RADIO, position=1)
        question.text_in("en").label = "Workshop"
        db.session.add(question)
        db.session.commit()
        assert version() == first + 2
        option = QuestionOption(position=1)
        option.text_in("en").label = "Gardens"
        question.options.append(option)
        db.session.commit()
        assert version() == first + 3
        option.text_in("en").label = "Rose gardens"
        db.session.commit()
        assert version() == first + 4
        stored.hashtag = "#Peace"
        db.session.commit()
        assert version() == first + 5
        db.session.delete(option)
        db.session.commit()
        assert version() == first + 6


def get(server, path: str) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{server.port}{path}", timeout=30) as response:
        return response.read().decode()


def test_a_change_made_elsewhere_shows_on_every_worker_at_once(
    app, gunicorn, create_event, create_user  # noqa: F811
):
    server = gunicorn(MMM_ENV="development")
    event = create_event(title="Before the change")
    path = f"/events/{event.slug}"
    for _ in range(6):  # each of the two workers keeps the page
        assert "Before the change" in get(server, path)
    # Changed by this test's process, read back from the server's.
    with app.app_context():
        stored = db.session.get(Event, event.id)
        stored.title = "After the change"
        stored.text_in("fr").title = "Après le changement"
        publish_notice({"en": "Second notice."}, author=db.session.get(User, create_user().id),
                       now=stored.created_at)
        db.session.commit()
    for _ in range(6):
        page = get(server, path)
        assert "After the change" in page
        assert "Before the change" not in page
        assert "/privacy/versions/1" in page
        assert "Après le changement" in get(server, f"{path}?lang=fr")
