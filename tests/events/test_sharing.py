"""Worth sharing: link previews (Open Graph, Twitter card) in the page's language with the
event's cover, the cover in emails, and what the list of events says of each."""

from __future__ import annotations

import re
from datetime import date, timedelta
from html import unescape

import pytest
from sqlalchemy import select

from mmm_events.demo import CONFERENCE_SLUG, seed_demo
from mmm_events.events.covers import read_cover, set_cover
from mmm_events.extensions import db
from mmm_events.models import CoverImage, Event
from tests.conftest import REGISTRATION_SERVER_NAME, drain_outbox, rsvp_form, sign_in

from .covers import photo


def meta(page: str) -> dict[str, str]:
    """The page's Open Graph and Twitter tags, by name (the last of a repeated one)."""
    return {
        name: unescape(content)
        for name, content in re.findall(
            r'<meta (?:property|name)="((?:og|twitter):[\w:]+)" content="([^"]*)">', page
        )
    }


@pytest.fixture
def demo(app):
    with app.app_context():
        seed_demo(today=date(2026, 11, 27))
        return [c.name for c in db.session.scalars(select(CoverImage).order_by(CoverImage.width))]


def test_the_demo_event_has_its_cover_in_three_sizes(app, demo):
    with app.app_context():
        event = db.session.scalar(select(Event).where(Event.slug == CONFERENCE_SLUG))
        assert [(c.width, c.height) for c in event.cover_images] == [
            (480, 270), (960, 540), (1600, 900)]
        assert event.text_in("ar").cover_alt.startswith("أمهات وأطفال يسيرون يدًا بيد")


@pytest.mark.parametrize("language", ["fr", "ar"])
def test_the_event_page_previews_in_its_language_with_its_cover(client, demo, language):
    page = client.get(f"/events/{CONFERENCE_SLUG}?lang={language}").get_data(as_text=True)
    expected = {
        "fr": ("Conférence internationale #Mothers4Peace", "Les mères au cœur du changement",
               "fr_FR", "Des mères et des enfants marchent main dans la main"),
        # Plain text: the Latin hashtag is isolated from the Arabic around it.
        "ar": ("المؤتمر الدولي \u2068#Mothers4Peace\u2069", "الأمهات في قلب التغيير", "ar_MA",
               "أمهات وأطفال يسيرون يدًا بيد"),
    }[language]
    title, description, locale, alt = expected
    tags = meta(page)
    assert tags["og:title"] == tags["twitter:title"] == title
    assert tags["og:description"].startswith(description)
    assert tags["twitter:description"] == tags["og:description"]
    assert tags["og:locale"] == locale
    assert tags["og:url"] == f"http://localhost/events/{CONFERENCE_SLUG}?lang={language}"
    assert tags["og:image"] == tags["twitter:image"] == f"http://localhost/covers/{demo[2]}"
    assert (tags["og:image:width"], tags["og:image:height"]) == ("1600", "900")
    assert tags["og:image:type"] == "image/jpeg"
    assert tags["og:image:alt"].startswith(alt)
    assert tags["twitter:image:alt"] == tags["og:image:alt"]
    assert tags["twitter:card"] == "summary_large_image"
    # The other two languages are named as alternates.
    alternates = re.findall(r'<meta property="og:locale:alternate" content="(\w+)">', page)
    assert sorted(alternates) == sorted({"en_GB", "fr_FR", "ar_MA"} - {locale})


def test_the_home_page_previews_the_site_with_the_next_events_cover(client, demo):
    tags = meta(client.get("/?lang=ar").get_data(as_text=True))
    assert tags["og:title"] == "\u2066Make Mothers Matter\u2069 في اليونسكو"
    assert tags["og:description"] == (
        "مؤتمرات ودعوات وأخبار من \u2066Make Mothers Matter\u2069."
    )
    assert tags["og:url"] == "http://localhost/?lang=ar"
    assert tags["og:locale"] == "ar_MA"
    assert tags["og:image"] == f"http://localhost/covers/{demo[2]}"
    assert tags["og:type"] == "website"


def test_a_news_post_previews_in_its_language_with_its_events_cover(client, demo):
    tags = meta(client.get("/news/invitation-mothers4peace-casablanca?lang=fr").text)
    assert tags["og:type"] == "article"
    assert tags["og:locale"] == "fr_FR"
    assert tags["og:image"] == f"http://localhost/covers/{demo[2]}"
    # A post about no event has a plain card.
    other = meta(client.get("/news/worlds-biggest-mama-meet-up?lang=fr").text)
    assert "og:image" not in other
    assert other["twitter:card"] == "summary"


def test_a_page_without_a_cover_has_a_plain_card(client, create_event):
    create_event(slug="plain", title="Plain")
    tags = meta(client.get("/events/plain").text)
    assert "og:image" not in tags
    assert tags["twitter:card"] == "summary"


def test_a_news_post_in_another_language_says_which(client, create_post):
    create_post(slug="peace-news", title="Peace news")
    page = client.get("/news/peace-news?lang=fr").text
    assert " · En anglais</p>" in page
    assert '<h1 lang="en" dir="ltr">Peace news</h1>' in page
    english = client.get("/news/peace-news?lang=en").text
    assert re.search(r'<p class="meta"><time datetime="[\d-]+">[^<]+</time></p>', english)


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("fr", ["Complet, liste d’attente ouverte", "Sur invitation", "Inscriptions closes"]),
        ("ar", ["مكتمل، وقائمة الانتظار مفتوحة", "بدعوة", "التسجيل مغلق"]),
    ],
)
def test_the_event_list_says_full_by_invitation_or_closed(
        client, create_event, now, language, expected):
    create_event(title="Full one", capacity=0)
    create_event(title="Invited one", invite_only=True, starts_at=now + timedelta(days=61))
    create_event(title="Closed one", starts_at=now + timedelta(days=62),
                 registration_closes_at=now - timedelta(days=1))
    create_event(title="Open one", starts_at=now + timedelta(days=63))
    page = client.get(f"/events/?lang={language}").text
    assert re.findall(r'<p class="status">([^<]+)</p>', page) == expected
    # The home page's cards say the same.
    home = client.get(f"/?lang={language}").text
    assert re.findall(r'<p class="status">([^<]+)</p>', home) == expected


@pytest.fixture
def mail_app(make_mail_app):
    return make_mail_app()


def test_the_confirmation_email_shows_the_small_cover_linked_to_the_event(
        mail_app, smtp_server, create_event):
    app = mail_app
    event = create_event(slug="peace", title="Peace", cover_alt="Mothers planting a tree")
    with app.app_context():
        stored = db.session.get(Event, event.id)
        stored.text_in("ar").cover_alt = "أمهات يغرسن شجرة"
        stored.text_in("ar").title = "السلام"
        set_cover(stored, read_cover(photo()))
        db.session.commit()
        small = stored.cover_images[0].name
    client = app.test_client()
    assert client.post("/events/peace", data=rsvp_form(event, language="ar")).status_code == 303
    drain_outbox(app)
    [message] = smtp_server.messages
    html = message.get_body(preferencelist=("html",)).get_content()
    host = f"http://{REGISTRATION_SERVER_NAME}"
    assert (
        f'<a href="{host}/events/peace"><img src="{host}/covers/{small}" width="480" '
        'height="240" alt="أمهات يغرسن شجرة" style="display:block;width:100%;max-width:480px;'
        'height:auto;border:0;border-radius:4px;"></a>'
    ) in html


def test_the_invitation_shows_the_cover_with_the_description_marked_english(
        app, client, create_event, create_user):
    event = create_event(slug="peace", title="Peace", cover_alt="Mothers planting a tree")
    with app.app_context():
        set_cover(db.session.get(Event, event.id), read_cover(photo()))
        db.session.commit()
    sign_in(client, create_user(events=(event,)))
    html = client.get(
        f"/organiser/events/{event.id}/invitations/preview.html?lang=fr").text
    assert re.search(
        r'<img src="http://localhost/covers/[0-9a-f]{64}-480\.jpg" width="480" height="240" '
        r'alt="Mothers planting a tree" lang="en"', html)
