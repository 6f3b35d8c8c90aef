"""Places and times in the reader's words: a time zone named as people say it, in their
language, never "Africa/Casablanca"; a one-day event's date written once; a held seat's
deadline saying whose time it is; the organiser picking the zone from a list."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from flask_babel import force_locale

from mmm_events.demo import seed_demo
from mmm_events.extensions import db
from mmm_events.models import Event
from mmm_events.registrations.calendar import event_ics
from mmm_events.web import event_times, time_zone_name
from tests.conftest import rsvp_form, sign_in

ISOLATES = re.compile("[\u2066-\u2069]")
CASABLANCA = ZoneInfo("Africa/Casablanca")
MAY = datetime(2027, 5, 3, 9, 0, tzinfo=UTC)
# Babel's interval of hours, with its thin spaces around the dash.
ONE_DAY_IN_FRENCH = "10 juin 2027, 10:00\u2009–\u200913:00"


@pytest.mark.parametrize(
    ("language", "zone", "name"),
    [
        ("en", "Africa/Casablanca", "Casablanca time, UTC+1"),
        ("fr", "Africa/Casablanca", "heure de Casablanca, UTC+1"),
        ("ar", "Africa/Casablanca", "توقيت الدار البيضاء، UTC+1"),
        ("fr", "Europe/Amsterdam", "heure d’Amsterdam, UTC+2"),
        ("en", "Asia/Kolkata", "Kolkata time, UTC+5:30"),
        ("en", "America/Sao_Paulo", "São Paulo time, UTC-3"),
        ("fr", "UTC", "UTC"),
    ],
)
def test_a_time_zone_is_named_in_the_readers_language(app, language, zone, name):
    with app.test_request_context(), force_locale(language):
        assert ISOLATES.sub("", time_zone_name(zone, MAY)) == name


def test_a_one_day_event_writes_its_date_once(app, client, create_event):
    event = create_event(
        slug="one-day",
        starts_at=datetime(2027, 6, 10, 10, 0, tzinfo=CASABLANCA),
        ends_at=datetime(2027, 6, 10, 13, 0, tzinfo=CASABLANCA),
    )
    with app.test_request_context(), force_locale("fr"):
        assert event_times(db.session.get(Event, event.id)) == ONE_DAY_IN_FRENCH
    page = client.get("/events/one-day", headers={"Accept-Language": "fr"}).text
    assert ONE_DAY_IN_FRENCH in page
    assert "(heure de Casablanca, UTC+1)" in page
    assert "Africa/Casablanca" not in page
    assert "jeudi 10 juin" not in page
    english = client.get("/events/one-day", headers={"Accept-Language": "en"}).text
    assert "June 10, 2027, 10:00\u202fAM\u2009–\u20091:00\u202fPM" in english


def test_a_held_seat_says_whose_time_its_deadline_is(app, client, create_event):
    event = create_event(slug="held", confirm_email=True)
    response = client.post("/events/held", data=rsvp_form(event))
    page = client.get(response.location).text
    assert re.search(r"A seat is held for you until [^<]*\(Casablanca time, UTC\+[01]\)", page)


def test_the_organiser_picks_the_time_zone_from_a_list_in_their_language(
    app, client, create_user
):
    sign_in(client, create_user(admin=True))
    page = client.get("/organiser/events/new", headers={"Accept-Language": "fr"}).text
    select = page.split('<select', 1)[1] if '<select' in page else ""
    assert re.search(r'<select[^>]*id="timezone"', page)
    assert '<option selected value="Africa/Casablanca">heure : Maroc · Casablanca</option>' in (
        page
    ), select[:300]
    assert '<option value="Europe/Paris">heure : France · Paris</option>' in page


def test_the_place_is_written_in_each_readers_language(app, client):
    with app.app_context():
        seed_demo(today=date(2026, 11, 27))
        event_id = db.session.scalar(db.select(Event.id))
    arabic = client.get("/events/mothers4peace-casablanca?lang=ar").text
    assert "<dd>مركز المؤتمرات<br>الدار البيضاء، المغرب</dd>" in arabic
    assert "Morocco" not in arabic
    french = client.get("/events/mothers4peace-casablanca?lang=fr").text
    assert "<dd>Centre de conférences<br>Casablanca, Maroc</dd>" in french
    assert "Morocco" not in french
    home = client.get("/?lang=ar").text
    assert '<span class="place">الدار البيضاء، المغرب</span>' in home
    with app.test_request_context():
        event = db.session.get(Event, event_id)
        calendar = event_ics(event, language="ar").decode()
    assert "LOCATION:مركز المؤتمرات، الدار البيضاء، المغرب" in calendar.replace("\r\n ", "")


def test_the_organiser_writes_the_place_in_each_language(app, client, create_user):
    from tests.events.test_organiser_events import event_form

    sign_in(client, create_user(admin=True))
    form = event_form(city_fr="Casablanca", country_fr="Maroc", country_ar="المغرب")
    assert client.post("/organiser/events/new", data=form).status_code == 302
    with app.app_context():
        event = db.session.scalar(db.select(Event))
        places = {code: (t.city, t.country) for code, t in event.texts.items()}
        assert (event.city, event.country) == ("Casablanca", "Morocco")
    assert places == {
        "en": ("Casablanca", "Morocco"),
        "fr": ("Casablanca", "Maroc"),
        "ar": ("", "المغرب"),
    }
    edit = client.get(f"/organiser/events/{event.id}/edit").text
    assert 'name="country_ar" type="text" value="المغرب"' in edit
