"""Every email in its reader's language, or the organiser is told before sending: the send
page says which invitees get which language and which texts they will read in the main one."""

from __future__ import annotations

import re

from sqlalchemy import select

from mmm_events.extensions import db
from mmm_events.models import Event, OutboxMessage
from tests.conftest import sign_in
from tests.invitations.test_invitations_sending import import_people


def test_the_send_page_names_the_texts_french_and_arabic_invitees_get_in_english(
    app, client, create_event, create_user, now
):
    event = create_event(title="Peace Conference", summary="Two days.")
    with app.app_context():
        stored = db.session.get(Event, event.id)
        stored.text_in("fr").title = "Conférence pour la paix"
        db.session.commit()
    import_people(app, event, "fr@example.org,Fatima,,fr,\nar@example.org,Amina,,ar,\n", now)
    sign_in(client, create_user(events=(event,)))
    page = client.post(
        f"/organiser/events/{event.id}/invitations/send", data={"scope": "all"}
    ).text
    notice = " ".join(re.sub(r"<[^>]+>", " ", page.split('id="untranslated"')[1]).split())
    assert notice.startswith(
        "> Some texts of this invitation are not written in every invitee’s language. They "
        "will read these in the main language (English): Français: Summary, Venue, City, "
        "Country العربية: Title, Summary, Venue, City, Country Write the missing texts first"
    )
    with app.app_context():
        assert db.session.scalar(select(OutboxMessage.id)) is None


def test_one_invitee_whose_language_lacks_texts_is_also_asked_about_first(
    app, client, create_event, create_user, now
):
    event = create_event(summary="")
    import_people(app, event, "fr@example.org,Fatima,,fr,\n", now)
    sign_in(client, create_user(events=(event,)))
    page = client.post(
        f"/organiser/events/{event.id}/invitations/send", data={"scope": "all"}
    ).text
    assert "Français: Title, Venue, City, Country" in " ".join(
        re.sub(r"<[^>]+>", " ", page).split()
    )


def test_one_seat_is_one_seat_in_each_language(client, create_event, create_user):
    event = create_event(capacity=1)
    sign_in(client, create_user(events=(event,)))
    dashboard = client.get("/organiser/", headers={"Accept-Language": "en"}).text
    assert "0 confirmed / 0 waiting / 1 seat</p>" in dashboard
    overview = f"/organiser/events/{event.id}"
    assert "Capacity: 1 seat." in client.get(overview, headers={"Accept-Language": "en"}).text
    assert "Capacité\u00a0: 1 place." in client.get(
        overview, headers={"Accept-Language": "fr"}
    ).text


def test_an_event_page_carries_a_link_preview_in_its_language(app, client):
    from datetime import date

    from mmm_events.demo import seed_demo

    with app.app_context():
        seed_demo(today=date(2026, 11, 27))
    page = client.get("/events/mothers4peace-casablanca?lang=fr").text
    assert '<meta property="og:title" content="Conférence internationale #Mothers4Peace">' in page
    assert '<meta property="og:locale" content="fr_FR">' in page
    assert (
        '<meta property="og:url" '
        'content="http://localhost/events/mothers4peace-casablanca?lang=fr">'
    ) in page
    # The demo conference has a cover: the large card.
    assert '<meta name="twitter:card" content="summary_large_image">' in page
    assert re.search(r'<meta property="og:description" content="Les mères au cœur', page)


def test_the_event_list_says_full_or_by_invitation_and_news_says_its_language(
    app, client, create_event, create_post
):
    create_event(title="Full one", capacity=0)
    create_event(title="Invited one", invite_only=True)
    page = client.get("/events/?lang=fr").text
    statuses = re.findall(r'<p class="status">([^<]+)</p>', page)
    assert sorted(statuses) == ["Complet, liste d’attente ouverte", "Sur invitation"]
    create_post(title="Peace news")
    news = client.get("/news/?lang=ar").text
    assert " · بالإنجليزية</p>" in news
