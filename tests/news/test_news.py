"""News: the listing with pagination, each post, and the Atom feed."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date

import feedparser
import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from mmm_events.demo import seed_demo
from mmm_events.extensions import db
from mmm_events.models import NewsPost
from mmm_events.news.services import PER_PAGE
from tests.public.test_public import text_of

ATOM = "{http://www.w3.org/2005/Atom}"


def test_listing_is_newest_first_with_date_summary_and_read_more(client, app):
    with app.app_context():
        seed_demo(today=date(2026, 11, 27))
    page = text_of(client.get("/news/"))
    titles = [
        "Invitation: International Conference #Mothers4Peace, 3–4 May, Casablanca",
        "MMM joins the World&#39;s Biggest Mama Meet up",
        "MMM at the EU Development Days",
    ]
    positions = [page.index(t) for t in titles]
    assert positions == sorted(positions)
    # Dates that fit the conference of 3 May 2027: none in the future, all before it.
    assert "November 27, 2026" in page and "March 8, 2026" in page and "June 15, 2025" in page
    html = client.get("/news/").get_data(as_text=True)
    assert html.count(">Read more<") == 3
    assert 'href="/news/worlds-biggest-mama-meet-up"' in html


def test_pagination_boundaries(client, create_post):
    for _ in range(PER_PAGE + 1):
        create_post()
    first = client.get("/news/")
    assert first.status_code == 200
    first_html = first.get_data(as_text=True)
    assert first_html.count(">Read more<") == PER_PAGE
    assert "Page 1 of 2" in text_of(first)
    assert 'rel="next" href="/news/?page=2"' in first_html
    assert 'rel="prev"' not in first_html
    second = client.get("/news/?page=2")
    assert second.get_data(as_text=True).count(">Read more<") == 1
    # The oldest post (post-1) is alone on the last page.
    assert "Post 1" in text_of(second) and "Post 11" not in text_of(second)
    assert 'rel="prev" href="/news/?page=1"' in second.get_data(as_text=True)
    for beyond in ("3", "0", "-1"):
        assert client.get(f"/news/?page={beyond}").status_code == 404


def test_page_that_is_not_a_number_falls_back_to_the_first(client, create_post):
    create_post(title="Only post")
    assert "Only post" in text_of(client.get("/news/?page=abc"))


def test_single_page_has_no_pagination(client, create_post):
    create_post()
    assert "Page 1 of 1" not in text_of(client.get("/news/"))


def test_post_page_renders_markdown_and_links_its_event(client, create_event, create_post):
    event = create_event(slug="m4p", title="The conference")
    create_post(slug="news-1", title="Big news", body="Some *emphasis*.", event_id=event.id)
    response = client.get("/news/news-1")
    html = response.get_data(as_text=True)
    assert '<h1 dir="auto">Big news</h1>' in html
    assert "<em>emphasis</em>" in html
    assert 'href="/events/m4p"' in html


@pytest.mark.parametrize("slug", ["missing", "draft"])
def test_unknown_and_draft_posts_are_404(client, create_post, slug):
    create_post(slug="draft", is_published=False)
    assert client.get(f"/news/{slug}").status_code == 404


def test_drafts_are_not_listed_nor_in_the_feed(client, create_post):
    create_post(title="Public post")
    create_post(title="Draft post", is_published=False)
    assert "Draft post" not in text_of(client.get("/news/"))
    assert b"Draft post" not in client.get("/news/feed.atom").data


def test_atom_feed_is_valid_xml_with_entries_newest_first(client, app):
    with app.app_context():
        seed_demo(today=date(2026, 11, 27))
    response = client.get("/news/feed.atom")
    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"
    feed = ET.fromstring(response.data)
    assert feed.tag == f"{ATOM}feed"
    assert feed.findtext(f"{ATOM}title") == "Make Mothers Matter news"
    assert feed.find(f"{ATOM}link[@rel='self']").get("href") == "http://localhost/news/feed.atom"
    assert feed.findtext(f"{ATOM}updated")
    entries = feed.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}published") for e in entries] == [
        "2026-11-27T00:00:00Z",
        "2026-03-08T00:00:00Z",
        "2025-06-15T00:00:00Z",
    ]
    first = entries[0]
    assert first.findtext(f"{ATOM}id") == (
        "http://localhost/news/invitation-mothers4peace-casablanca"
    )
    assert first.find(f"{ATOM}link").get("href") == first.findtext(f"{ATOM}id")
    # Every entry has what RFC 4287 requires.
    for entry in entries:
        for element in ("id", "title", "updated"):
            assert entry.findtext(f"{ATOM}{element}"), element


def test_feed_escapes_markup_in_titles(client, create_post):
    create_post(title="Mothers & <daughters>", summary="a < b & c")
    feed = ET.fromstring(client.get("/news/feed.atom").data)
    entry = feed.find(f"{ATOM}entry")
    assert entry.findtext(f"{ATOM}title") == "Mothers & <daughters>"
    assert entry.findtext(f"{ATOM}summary") == "a < b & c"


def test_feed_entries_carry_the_full_sanitised_text(client, create_post):
    create_post(
        summary="Short.",
        body="**Peace** begins [at home](/events/).\n\n<script>alert(1)</script>",
    )
    raw = client.get("/news/feed.atom").data
    assert b"script" not in raw
    parsed = feedparser.parse(raw)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    entry = parsed.entries[0]
    assert entry.summary == "Short."
    assert entry.content[0].type == "text/html"
    assert entry.content[0].value == (
        '<p><strong>Peace</strong> begins <a href="http://localhost/events/">at home</a>.</p>'
    )


@pytest.mark.parametrize(
    ("today", "invitation", "womens_day", "development_days"),
    [
        (date(2026, 11, 27), date(2026, 11, 27), date(2026, 3, 8), date(2025, 6, 15)),
        (date(2027, 4, 20), date(2027, 3, 15), date(2027, 3, 8), date(2026, 6, 15)),
        (date(2027, 3, 10), date(2027, 3, 10), date(2027, 3, 8), date(2026, 6, 15)),
    ],
)
def test_demo_news_dates_fit_the_demo_conference(today, invitation, womens_day,
                                                 development_days):
    from mmm_events.demo import news_dates

    assert news_dates(today) == {
        "invitation": invitation,
        "womens_day": womens_day,
        "development_days": development_days,
    }


def test_empty_feed_is_still_valid(client):
    feed = ET.fromstring(client.get("/news/feed.atom").data)
    assert feed.findall(f"{ATOM}entry") == []
    assert feed.findtext(f"{ATOM}updated") == "1970-01-01T00:00:00Z"


def test_a_feed_reader_accepts_the_feed(client, app):
    with app.app_context():
        seed_demo(today=date(2026, 11, 27))
    parsed = feedparser.parse(client.get("/news/feed.atom").data)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    assert parsed.feed.title == "Make Mothers Matter news"
    assert [e.title for e in parsed.entries] == [
        "Invitation: International Conference #Mothers4Peace, 3–4 May, Casablanca",
        "MMM joins the World's Biggest Mama Meet up",
        "MMM at the EU Development Days",
    ]
    assert parsed.entries[1].link == "http://localhost/news/worlds-biggest-mama-meet-up"


@pytest.mark.parametrize("path", ["/news/a%00b", "/news/?page=%00", "/events/%00", "/%00"])
def test_nul_characters_in_addresses_are_a_bad_request_on_every_engine(client, path):
    assert client.get(path).status_code == 400


@pytest.mark.real_commits  # the migration runs on its own connection
def test_the_migration_renders_the_texts_saved_before_it(app):
    """Rows written before the HTML columns existed get their HTML from the migration."""
    with app.app_context():
        downgrade(revision="0005_outbox_claim_order")
        db.session.execute(
            text(
                "INSERT INTO event (id, slug, title, hashtag, summary, description, venue, city,"
                " country, timezone, starts_at, ends_at, capacity, is_published, contact_email,"
                " created_at, updated_at) VALUES (1, 'e', 'E', '', '', :description, '', '', '',"
                " 'UTC', :starts, :ends, 10, true, '', :starts, :starts)"
            ),
            {
                "description": "Come *early*. <script>alert(1)</script>",
                "starts": "2027-05-03 09:00:00+00:00",
                "ends": "2027-05-04 17:00:00+00:00",
            },
        )
        db.session.execute(
            text(
                "INSERT INTO news_post (id, slug, title, published_on, summary, body, event_id,"
                " is_published, created_at, updated_at) VALUES (1, 'n', 'N', '2027-01-01', '',"
                " :body, 1, true, :now, :now)"
            ),
            {"body": "A [link](https://example.org).", "now": "2027-01-01 00:00:00+00:00"},
        )
        db.session.commit()
        upgrade()
        # Since 0016_content_languages the texts live in one row per language.
        event_html, post_html, author = db.session.execute(
            text(
                "SELECT event_text.description_html, news_text.body_html, news_post.author_id"
                " FROM event JOIN event_text ON event_text.event_id = event.id"
                " JOIN news_post ON news_post.event_id = event.id"
                " JOIN news_text ON news_text.post_id = news_post.id"
            )
        ).one()
        db.session.commit()
    assert event_html == "<p>Come <em>early</em>. </p>"
    assert post_html == '<p>A <a href="https://example.org">link</a>.</p>'
    assert author is None


def test_a_post_shows_the_html_stored_when_it_was_saved(app, client, create_post):
    post = create_post(slug="stored", body="Some *emphasis*.")
    with app.app_context():
        stored = db.session.get(NewsPost, post.id)
        assert stored.body_html == "<p>Some <em>emphasis</em>.</p>"
        stored.body_html = "<p>Stored <strong>once</strong>.</p>"
        db.session.commit()
    page = client.get("/news/stored").get_data(as_text=True)
    assert "<p>Stored <strong>once</strong>.</p>" in page
    assert "<em>emphasis</em>" not in page
