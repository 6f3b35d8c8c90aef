"""Managing events and news in the organiser area, and Markdown that cannot run script."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from mmm_events.extensions import db
from mmm_events.models import (
    Event,
    NewsPost,
    OutboxMessage,
    Registration,
    RegistrationStatus,
    User,
)
from mmm_events.news.services import NewsError, save_post
from mmm_events.text import render_markdown
from tests.conftest import sign_in


def event_form(**overrides):
    data = {
        "title_en": "#Mothers4Peace: Casablanca",
        "slug": "",
        "hashtag": "#Mothers4Peace",
        "summary_en": "Two days on peace.",
        "description_en": "**Welcome**",
        "venue_en": "Hotel Atlas",
        "city_en": "Casablanca",
        "country_en": "Morocco",
        "timezone": "Europe/Paris",
        "starts_at": "2027-01-10T09:00",
        "ends_at": "2027-01-11T17:30",
        "capacity": "120",
        "registration_opens_at": "2026-12-01T08:00",
        "registration_closes_at": "2027-01-09T23:59",
        "contact_email": "events@example.org",
        "invitation_subject_en": "Join us",
        "invitation_message_en": "Dear friend",
        "is_published": "y",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def organiser(client, create_user):
    user = create_user()
    sign_in(client, user)
    return user


def _event(app, **where) -> Event | None:
    with app.app_context():
        event = db.session.scalar(select(Event).filter_by(**where))
        if event is not None:
            event.organisers  # noqa: B018 - loaded before the context ends
            db.session.expunge(event)
        return event


def test_create_event_with_every_field(app, client, organiser):
    response = client.post("/organiser/events/new", data=event_form())
    assert response.status_code == 302
    event = _event(app, slug="mothers4peace-casablanca")
    assert response.location == f"/organiser/events/{event.id}"
    assert event.title == "#Mothers4Peace: Casablanca"
    assert event.hashtag == "#Mothers4Peace"
    assert event.summary == "Two days on peace."
    assert event.description == "**Welcome**"
    assert (event.venue, event.city, event.country) == ("Hotel Atlas", "Casablanca", "Morocco")
    assert event.timezone == "Europe/Paris"
    # Typed as Paris wall-clock time (UTC+1 in January), stored in UTC.
    assert event.starts_at == datetime(2027, 1, 10, 8, 0, tzinfo=UTC)
    assert event.ends_at == datetime(2027, 1, 11, 16, 30, tzinfo=UTC)
    assert event.registration_opens_at == datetime(2026, 12, 1, 7, 0, tzinfo=UTC)
    assert event.registration_closes_at == datetime(2027, 1, 9, 22, 59, tzinfo=UTC)
    assert event.capacity == 120
    assert event.seats_taken == 0
    assert event.contact_email == "events@example.org"
    assert event.invite_only is False
    assert event.invitation_subject == "Join us"
    assert event.invitation_message == "Dear friend"
    assert event.is_published is True
    assert [u.id for u in event.organisers] == [organiser.id]
    edit = client.get(f"/organiser/events/{event.id}/edit").get_data(as_text=True)
    assert 'value="2027-01-10T09:00"' in edit
    assert 'value="mothers4peace-casablanca"' in edit


def test_the_signatorys_role_is_written_in_each_language(app, client, organiser):
    response = client.post("/organiser/events/new", data=event_form(
        visa_letters="y", visa_signatory_name="Anne-Claire Dupont",
        visa_signatory_role_en=" President ", visa_signatory_role_fr="Présidente",
        visa_signatory_role_ar="",
    ))
    assert response.status_code == 302
    event = _event(app, slug="mothers4peace-casablanca")
    assert event.visa_signatory_role == "President"
    with app.app_context():
        roles = {text.language: text.visa_signatory_role
                 for text in db.session.get(Event, event.id).texts.values()}
    assert roles == {"en": "President", "fr": "Présidente"}
    edit = client.get(f"/organiser/events/{event.id}/edit").get_data(as_text=True)
    assert ("<label for=\"visa_signatory_role_fr\">Signatory's role in French <span "
            'class="optional">(optional)</span></label>' in edit)
    assert ('name="visa_signatory_role_fr" type="text" value="Présidente"' in edit)
    assert 'dir="rtl" id="visa_signatory_role_ar" lang="ar"' in edit


def test_slug_is_generated_unique_and_editable(app, client, organiser):
    client.post("/organiser/events/new", data=event_form(title_en="Peace Day"))
    client.post("/organiser/events/new", data=event_form(title_en="Peace Day"))
    with app.app_context():
        slugs = list(db.session.scalars(select(Event.slug).order_by(Event.id)))
    assert slugs == ["peace-day", "peace-day-2"]
    response = client.post("/organiser/events/new", data=event_form(slug="peace-day"))
    assert response.status_code == 400
    assert "Another event already uses this web address." in response.get_data(as_text=True)
    response = client.post("/organiser/events/new", data=event_form(slug="Not A Slug"))
    assert "Use lower-case letters, digits and dashes only." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(Event.id))) == 2


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"ends_at": "2027-01-10T09:00"}, "The end must be after the start."),
        (
            {"registration_closes_at": "2026-11-30T08:00"},
            "Registration must close after it opens.",
        ),
        ({"capacity": "-1"}, "Number must be between 0 and 1000000."),
        ({"timezone": "Mars/Olympus"}, "Please choose a time zone from the list."),
        ({"title_en": ""}, "Please give the title in the main language."),
        ({"starts_at": "tomorrow"}, "Not a valid datetime value."),
        (
            {"contact_email": "not an email"},
            "Please enter a valid email address, like name@example.org.",
        ),
        (
            {"timezone": "Pacific/Honolulu", "ends_at": "9999-12-31T23:59"},
            "Please give a date between the years 2000 and 2200.",
        ),
    ],
)
def test_invalid_events_are_refused_with_a_message(app, client, organiser, overrides, message):
    response = client.post("/organiser/events/new", data=event_form(**overrides))
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(Event.id))) == 0


def test_capacity_cannot_go_below_the_confirmed_count(
    app, client, create_event, create_user, create_registration
):
    event = create_event(capacity=5, timezone="Europe/Paris")
    for _ in range(3):
        create_registration(event)
    sign_in(client, create_user(events=(event,)))
    form = event_form(capacity="2", starts_at="2027-01-10T09:00")
    response = client.post(f"/organiser/events/{event.id}/edit", data=form)
    assert response.status_code == 400
    assert (
        "3 people are already confirmed, so the event needs at least 3 seats."
        in response.get_data(as_text=True)
    )
    with app.app_context():
        stored = db.session.get(Event, event.id)
        assert (stored.capacity, stored.seats_taken, stored.title) == (5, 3, event.title)
    response = client.post(f"/organiser/events/{event.id}/edit", data=event_form(capacity="3"))
    assert response.status_code == 302
    with app.app_context():
        stored = db.session.get(Event, event.id)
        assert (stored.capacity, stored.title) == (3, "#Mothers4Peace: Casablanca")


def test_seats_added_go_to_the_people_waiting_in_order_and_they_are_emailed(
    app, client, create_event, create_user, create_registration
):
    # At the times the form below gives (Paris, winter): only the seats change.
    event = create_event(
        capacity=2,
        timezone="Europe/Paris",
        starts_at=datetime(2027, 1, 10, 8, 0, tzinfo=UTC),
        ends_at=datetime(2027, 1, 11, 16, 30, tzinfo=UTC),
    )
    for _ in range(2):
        create_registration(event)
    waiting = [create_registration(event, status=RegistrationStatus.WAITING) for _ in range(3)]
    sign_in(client, create_user(events=(event,)))
    response = client.post(
        f"/organiser/events/{event.id}/edit", data=event_form(capacity="4"), follow_redirects=True
    )
    assert "2 people moved from the waiting list to a seat, and are told by email." in (
        response.get_data(as_text=True)
    )
    with app.app_context():
        statuses = [db.session.get(Registration, r.id).status for r in waiting]
        assert statuses == [
            RegistrationStatus.CONFIRMED,
            RegistrationStatus.CONFIRMED,
            RegistrationStatus.WAITING,
        ]
        assert db.session.get(Event, event.id).seats_taken == 4
        emails = db.session.execute(
            select(OutboxMessage.kind, OutboxMessage.registration_id).order_by(OutboxMessage.id)
        ).all()
        assert emails == [
            ("registration_promoted", waiting[0].id),
            ("registration_promoted", waiting[1].id),
        ]
    # More seats than people waiting: everyone gets one, and the seats left stay free.
    response = client.post(
        f"/organiser/events/{event.id}/edit", data=event_form(capacity="10"), follow_redirects=True
    )
    assert "1 person moved from the waiting list to a seat, and is told by email." in (
        response.get_data(as_text=True)
    )
    with app.app_context():
        assert db.session.get(Registration, waiting[2].id).status is RegistrationStatus.CONFIRMED
        assert db.session.get(Event, event.id).seats_taken == 5
    # Nobody waiting: nothing to say.
    response = client.post(
        f"/organiser/events/{event.id}/edit", data=event_form(capacity="12"), follow_redirects=True
    )
    assert "moved from the waiting list" not in response.get_data(as_text=True)


def test_publish_and_unpublish(app, client, create_event, create_user):
    event = create_event(is_published=False)
    sign_in(client, create_user(events=(event,)))
    assert client.get(f"/events/{event.slug}").status_code == 404
    client.post(f"/organiser/events/{event.id}/publish", data={"publish": "1"})
    assert client.get(f"/events/{event.slug}").status_code == 200
    client.post(f"/organiser/events/{event.id}/publish", data={"publish": "0"})
    assert client.get(f"/events/{event.slug}").status_code == 404


def test_delete_asks_for_confirmation(app, client, create_event, create_user, create_registration):
    event = create_event()
    create_registration(event)
    sign_in(client, create_user(events=(event,)))
    page = client.get(f"/organiser/events/{event.id}/delete").get_data(as_text=True)
    assert "This also deletes 1 registration. It cannot be undone." in page
    assert client.post(f"/organiser/events/{event.id}/delete").status_code == 400
    assert _event(app, id=event.id) is not None
    response = client.post(f"/organiser/events/{event.id}/delete", data={"confirm": "yes"})
    assert response.location == "/organiser/"
    with app.app_context():
        assert db.session.get(Event, event.id) is None
        assert db.session.scalar(select(func.count(Registration.id))) == 0


def test_admin_assigns_organisers(app, client, create_event, create_user):
    event = create_event()
    sara = create_user(name="Sara")
    other = create_user(name="Other")
    sign_in(client, create_user(admin=True))
    page = client.get(f"/organiser/events/{event.id}/organisers").get_data(as_text=True)
    assert f"Sara &lt;{sara.email}&gt;" in page
    response = client.post(
        f"/organiser/events/{event.id}/organisers", data={"organisers": [sara.id, other.id]}
    )
    assert response.status_code == 302
    client.post(f"/organiser/events/{event.id}/organisers", data={"organisers": [sara.id]})
    with app.app_context():
        assert [u.id for u in db.session.get(Event, event.id).organisers] == [sara.id]
        assert [e.id for e in db.session.get(User, sara.id).events] == [event.id]
    sara_client = app.test_client()
    sign_in(sara_client, sara)
    assert sara_client.get(f"/organiser/events/{event.id}").status_code == 200
    assert event.title in sara_client.get("/organiser/").get_data(as_text=True)


def test_dashboard_lists_only_assigned_events(client, create_event, create_user):
    mine, theirs = create_event(title="Mine"), create_event(title="Theirs")
    sign_in(client, create_user(events=(mine,)))
    page = client.get("/organiser/").get_data(as_text=True)
    assert "Mine" in page
    assert "Theirs" not in page
    assert theirs.id != mine.id


def news_form(**overrides):
    data = {
        "title_en": "Casablanca: what to expect",
        "slug": "",
        "published_on": "2027-03-01",
        "summary_en": "A short summary.",
        "body_en": "Some *text*.",
        "event_id": "0",
    }
    data.update(overrides)
    return data


def _post(app, **where) -> NewsPost:
    with app.app_context():
        post = db.session.scalar(select(NewsPost).filter_by(**where))
        db.session.expunge(post)
        return post


def test_news_draft_then_published_with_event_link(app, client, create_event, create_user):
    event = create_event()
    sign_in(client, create_user(events=(event,)))
    response = client.post("/organiser/news/new", data=news_form(event_id=str(event.id)))
    assert response.status_code == 302
    post = _post(app, slug="casablanca-what-to-expect")
    assert (post.title, post.published_on, post.event_id, post.is_published) == (
        "Casablanca: what to expect",
        date(2027, 3, 1),
        event.id,
        False,
    )
    assert client.get(f"/news/{post.slug}").status_code == 404
    client.post(f"/organiser/news/{post.id}/publish", data={"publish": "1"})
    assert client.get(f"/news/{post.slug}").status_code == 200
    response = client.post(
        f"/organiser/news/{post.id}/edit",
        data=news_form(
            title_en="New title", slug="new-title", is_published="y", event_id=str(event.id)
        ),
    )
    assert response.status_code == 302
    post = _post(app, id=post.id)
    assert (post.title, post.slug, post.event_id, post.is_published) == (
        "New title",
        "new-title",
        event.id,
        True,
    )
    assert client.post(f"/organiser/news/{post.id}/delete").status_code == 400
    client.post(f"/organiser/news/{post.id}/delete", data={"confirm": "yes"})
    with app.app_context():
        assert db.session.get(NewsPost, post.id) is None


def test_news_cannot_link_another_organisers_event(app, client, create_event, create_user):
    theirs = create_event()
    sign_in(client, create_user())
    response = client.post("/organiser/news/new", data=news_form(event_id=str(theirs.id)))
    assert response.status_code == 400
    assert "Not a valid choice." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(NewsPost.id))) == 0


def test_site_wide_news_is_for_admins_only(app, client, create_event, create_user):
    event = create_event()
    organiser = create_user(events=(event,))
    sign_in(client, organiser)
    page = client.get("/organiser/news/new").get_data(as_text=True)
    assert "No event" not in page
    response = client.post("/organiser/news/new", data=news_form(event_id="0"))
    assert response.status_code == 400
    assert "Not a valid choice." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(NewsPost.id))) == 0
    admin, admin_user = app.test_client(), create_user(admin=True)
    sign_in(admin, admin_user)
    assert "No event" in admin.get("/organiser/news/new").get_data(as_text=True)
    assert admin.post("/organiser/news/new", data=news_form(event_id="0")).status_code == 302
    post = _post(app, slug="casablanca-what-to-expect")
    assert (post.event_id, post.author_id) == (None, admin_user.id)


def test_the_rule_refuses_site_wide_news_from_an_organiser(app, create_event, create_user):
    event = create_event()
    organiser = create_user(events=(event,))
    with app.app_context():
        user = db.session.get(User, organiser.id)
        data = {
            "main_language": "en",
            "texts": {"en": {"title": "T"}},
            "slug": "",
            "published_on": date(2027, 3, 1),
            "event_id": 0,
        }
        with pytest.raises(NewsError) as refused:
            save_post(None, data, user=user)
        assert (refused.value.field, refused.value.message) == (
            "event_id",
            "Please choose one of your events.",
        )
        saved = save_post(None, {**data, "event_id": event.id}, user=user)
        assert (saved.event_id, saved.author_id) == (event.id, organiser.id)


def test_news_slug_clash_and_missing_date(client, create_event, create_user, create_post):
    create_post(slug="taken")
    event = create_event()
    sign_in(client, create_user(events=(event,)))
    response = client.post(
        "/organiser/news/new", data=news_form(slug="taken", event_id=str(event.id))
    )
    assert "Another post already uses this web address." in response.get_data(as_text=True)
    response = client.post(
        "/organiser/news/new", data=news_form(published_on="", event_id=str(event.id))
    )
    assert "This field is required." in response.get_data(as_text=True)


ATTACKS = """
# Title

<script>alert("script")</script>
<img src="x" onerror="alert('img')">
<a href="#" onclick="alert('click')">click me</a>
[a link](javascript:alert('link'))
<iframe src="https://evil.example.com"></iframe>
<p style="background:url(javascript:alert(1))">styled</p>
[fine](https://makemothersmatter.org)
"""


def _assert_harmless(html: str) -> None:
    lowered = html.lower()
    for needle in ("<script", "onerror", "onclick", "javascript:", "<iframe", "style=", "<img"):
        assert needle not in lowered, needle


def test_markdown_keeps_no_script_no_handler_no_javascript_link():
    html = str(render_markdown(ATTACKS))
    _assert_harmless(html)
    assert '<a href="https://makemothersmatter.org">fine</a>' in html
    assert ">a link</a>" in html
    assert "click me" in html


def test_injected_script_does_not_survive_on_public_pages(
    client, create_user, create_event, app
):
    event = create_event(description=ATTACKS)
    sign_in(client, create_user(events=(event,)))
    client.post(
        "/organiser/news/new",
        data=news_form(slug="attack", body_en=ATTACKS, is_published="y", event_id=str(event.id)),
    )
    for url in (f"/events/{event.slug}", "/news/attack"):
        page = client.get(url).get_data(as_text=True)
        body = page.split('id="main"')[1].split("</main>")[0]
        _assert_harmless(body)
        assert '<a href="https://makemothersmatter.org">fine</a>' in body
