"""The public site: home, events, the invitation page, privacy, language switch, errors."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from mmm_events.demo import seed_demo
from mmm_events.extensions import db
from mmm_events.models import Event


def text_of(response) -> str:
    """The visible text of a page, whitespace folded, for assertions on what people read."""
    html = response.get_data(as_text=True)
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_home_presents_mmm_focuses_events_and_news(client, create_event, create_post, now):
    create_event(title="International Conference #Mothers4Peace", slug="m4p")
    create_post(title="MMM joins the World's Biggest Mama Meet up")
    page = text_of(client.get("/"))
    assert "Make Mothers Matter at UNESCO" in page
    for focus in (
        "The essential role of mothers for education",
        "Mothers and peace",
        "A UNESCO–MMM partnership for field projects",
    ):
        assert focus in page
    assert "International Conference #Mothers4Peace" in page
    assert "MMM joins the World&#39;s Biggest Mama Meet up" in page


def test_home_lists_upcoming_events_soonest_first_and_hides_drafts_and_past(
    client, create_event, now
):
    create_event(title="Later", starts_at=now + timedelta(days=90))
    create_event(title="Sooner", starts_at=now + timedelta(days=10))
    create_event(title="Secret draft", is_published=False)
    create_event(title="Long gone", starts_at=now - timedelta(days=30))
    page = text_of(client.get("/"))
    assert page.index("Sooner") < page.index("Later")
    assert "Secret draft" not in page
    assert "Long gone" not in page


def test_events_list_separates_upcoming_and_past(client, create_event, now):
    create_event(title="Coming up")
    create_event(title="Last year", starts_at=now - timedelta(days=365))
    page = text_of(client.get("/events/"))
    assert page.index("Upcoming") < page.index("Coming up") < page.index("Past events")
    assert page.index("Past events") < page.index("Last year")


def test_event_page_shows_the_invitation_in_the_event_time_zone(client, app):
    with app.app_context():
        seed_demo(today=date(2026, 11, 27))
    page = text_of(client.get("/events/mothers4peace-casablanca"))
    assert "International Conference #Mothers4Peace" in page
    assert "#Mothers4Peace" in page
    # 09:00 and 17:30 in Casablanca (UTC+1 in May), whatever the server's zone.
    assert "From May 3, 2027, 9:00 AM to May 4, 2027, 5:30 PM" in page
    assert "May 3 – 4, 2027" in page
    assert "Conference centre Casablanca, Morocco" in page
    assert "250 seats left" in page


def test_event_page_counts_seats_left_and_says_when_full(client, create_event):
    create_event(slug="almost", capacity=10, seats_taken=9)
    assert "1 seat left" in text_of(client.get("/events/almost"))
    create_event(slug="full", capacity=10, seats_taken=10)
    assert "Full: new registrations join the waiting list" in text_of(client.get("/events/full"))


def test_event_description_is_markdown_without_script(client, create_event):
    create_event(
        slug="md",
        description="**Bold** words\n\n<script>alert(1)</script>\n\n[x](javascript:alert(2))",
    )
    html = client.get("/events/md").get_data(as_text=True)
    assert "<strong>Bold</strong> words" in html
    assert "<script>alert(1)" not in html
    assert "javascript:" not in html


@pytest.mark.parametrize("slug", ["does-not-exist", "draft"])
def test_unknown_and_draft_events_are_404(client, create_event, slug):
    create_event(slug="draft", is_published=False)
    response = client.get(f"/events/{slug}")
    assert response.status_code == 404
    assert "Page not found" in text_of(response)


def test_privacy_notice_names_the_contact_address(client):
    page = text_of(client.get("/privacy"))
    assert "Privacy notice" in page
    assert "events@makemothersmatter.org" in page


def test_language_switch_keeps_the_choice_and_refuses_foreign_redirects(client):
    response = client.get("/language/fr?next=/events/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/events/"
    assert '<html lang="fr">' in client.get("/").get_data(as_text=True)
    for target in ("https://evil.example/", "//evil.example/", "javascript:alert(1)"):
        response = client.get("/language/en", query_string={"next": target})
        assert response.headers["Location"] == "/"


def test_browser_language_is_followed_without_a_choice(client):
    html = client.get("/", headers={"Accept-Language": "fr-FR,fr;q=0.9"}).get_data(as_text=True)
    assert '<html lang="fr">' in html
    html = client.get("/", headers={"Accept-Language": "de-DE"}).get_data(as_text=True)
    assert '<html lang="en">' in html


def test_pages_carry_a_strict_content_security_policy(client):
    response = client.get("/")
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_every_page_has_one_h1_a_skip_link_and_landmarks(client, create_event, create_post):
    create_event(slug="e")
    create_post(slug="p")
    for url in ("/", "/events/", "/events/e", "/news/", "/news/p", "/privacy", "/missing"):
        html = client.get(url).get_data(as_text=True)
        assert html.count("<h1") == 1, url
        assert '<a class="skip-link" href="#main">' in html, url
        assert '<main id="main"' in html and "<header" in html and "<footer" in html, url
        assert "<nav" in html, url


def test_no_asset_comes_from_another_site(client, create_event):
    create_event(slug="e")
    for url in ("/", "/events/e", "/news/"):
        html = client.get(url).get_data(as_text=True)
        for src in re.findall(r'(?:src|href)="([^"]+)"', html):
            assert not src.startswith(("http://", "https://", "//")) or "localhost" in src, src


def test_seed_demo_is_idempotent(app, runner):
    first = runner.invoke(args=["seed-demo"])
    assert "Added demo content: mothers4peace-casablanca, invitation-mothers4peace-casablanca" in (
        first.output
    )
    second = runner.invoke(args=["seed-demo"])
    assert second.output.strip() == "Demo content already present; nothing added."
    with app.app_context():
        events = db.session.scalars(select(Event)).all()
        assert [e.slug for e in events] == ["mothers4peace-casablanca"]
        assert events[0].city == "Casablanca" and events[0].capacity == 250


def test_seed_demo_if_empty_leaves_existing_content_alone(runner, create_event):
    create_event(slug="real-event")
    result = runner.invoke(args=["seed-demo", "--if-empty"])
    assert result.output.strip() == "The database already has content; demo content not loaded."


def test_the_site_speaks_french(client, app):
    with app.app_context():
        seed_demo(today=date(2026, 11, 27))
    client.get("/language/fr")
    home = text_of(client.get("/"))
    assert "Make Mothers Matter à l'UNESCO" in home
    assert "Événements à venir" in home and "Dernières actualités" in home
    event = text_of(client.get("/events/mothers4peace-casablanca"))
    assert "Du 3 mai 2027, 09:00 au 4 mai 2027, 17:30" in event
    assert "250 places restantes" in event
    news = text_of(client.get("/news/"))
    assert "27 novembre 2026" in news and "Lire plus" in news


@pytest.mark.parametrize("target", ["/\t/evil.example", "\\\\evil.example", "/\n/evil.example"])
def test_language_switch_refuses_addresses_browsers_would_read_as_another_site(client, target):
    response = client.get("/language/fr", query_string={"next": target})
    assert response.headers["Location"] == "/"


def _invitation_token(app, event) -> str:
    from mmm_events.models import Invitation, InvitationStatus, Language

    with app.app_context():
        invitation = Invitation(
            event_id=event.id,
            email="Invitee@Example.org",
            email_normalised="invitee@example.org",
            name="Fatima Zahra",
            organisation="UNESCO NatCom",
            language=Language.FR,
            status=InvitationStatus.INVITED,
        )
        db.session.add(invitation)
        db.session.commit()
        return invitation.token


def test_an_rsvp_form_filled_in_from_an_invitation_is_never_cached(app, client, create_event):
    event = create_event(invite_only=True)
    token = _invitation_token(app, event)
    personal = client.get(f"/events/{event.slug}?invitation={token}")
    assert 'value="Fatima Zahra"' in personal.text
    assert personal.headers["Cache-Control"] == "no-store"
    assert personal.headers["Referrer-Policy"] == "no-referrer"
    # Sent back with a mistake, the form shows the person's details again.
    refused = client.post(
        f"/events/{event.slug}", data={"invitation": token, "full_name": "Fatima Zahra"}
    )
    assert 'value="Fatima Zahra"' in refused.text
    assert refused.headers["Cache-Control"] == "no-store"
    anonymous = client.get(f"/events/{event.slug}")
    assert "Cache-Control" not in anonymous.headers
    assert anonymous.headers["Referrer-Policy"] == "same-origin"


def test_https_sites_send_strict_transport_security(make_app):
    https = make_app(PREFERRED_URL_SCHEME="https").test_client().get("/")
    assert https.headers["Strict-Transport-Security"] == "max-age=31536000"
    shorter = make_app(PREFERRED_URL_SCHEME="https", HSTS_SECONDS=600).test_client().get("/")
    assert shorter.headers["Strict-Transport-Security"] == "max-age=600"
    off = make_app(PREFERRED_URL_SCHEME="https", HSTS_SECONDS=0).test_client().get("/")
    assert "Strict-Transport-Security" not in off.headers
    plain = make_app().test_client().get("/")
    assert "Strict-Transport-Security" not in plain.headers


def test_event_page_shows_the_html_stored_when_the_description_was_saved(
    app, client, create_event
):
    event = create_event(description="Some *emphasis*.")
    with app.app_context():
        stored = db.session.get(Event, event.id)
        assert stored.description_html == "<p>Some <em>emphasis</em>.</p>"
        # The page shows what was stored; it does not render the Markdown again.
        stored.description_html = "<p>Stored <strong>once</strong>.</p>"
        db.session.commit()
    page = client.get(f"/events/{event.slug}").text
    assert "<p>Stored <strong>once</strong>.</p>" in page
    assert "<em>emphasis</em>" not in page
