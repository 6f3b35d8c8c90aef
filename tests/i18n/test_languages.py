"""Three interface languages: choosing one, Arabic laid out right to left with Moroccan dates,
names in any script, and each person's email language."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from mmm_events.extensions import db
from mmm_events.invitations import emails as invitation_emails
from mmm_events.invitations.importing import parse_rows
from mmm_events.models import Event, Language, Registration
from tests.conftest import drain_outbox, sign_in

CASABLANCA = ZoneInfo("Africa/Casablanca")
ISOLATES = re.compile("[\u2066-\u2069]")
ARABIC_NAME = "أمينة بنعلي"


def html_of(response) -> str:
    return response.get_data(as_text=True)


def visible(text: str) -> str:
    """``text`` without the invisible direction isolates, as a reader sees it."""
    return ISOLATES.sub("", text)


@pytest.fixture
def conference(create_event, now):
    first = (now + timedelta(days=60)).astimezone(CASABLANCA).date()
    return create_event(
        title="International Conference #Mothers4Peace",
        slug="m4p",
        starts_at=datetime.combine(first, time(9, 0), CASABLANCA),
        ends_at=datetime.combine(first + timedelta(days=1), time(17, 30), CASABLANCA),
    )


# Choosing a language -------------------------------------------------------------------------


def test_first_visit_follows_the_browsers_arabic_and_lays_the_page_out_right_to_left(client):
    html = html_of(client.get("/", headers={"Accept-Language": "ar-MA,ar;q=0.9,fr;q=0.5"}))
    assert '<html lang="ar" dir="rtl">' in html
    assert "<span dir=\"auto\">\u2066Make Mothers Matter\u2069</span>" in html
    assert visible("الانتقال إلى المحتوى الرئيسي") in visible(html)


def test_the_switch_names_each_language_in_itself_on_every_page(client, conference):
    for path in ("/", "/events/", "/events/m4p", "/news/", "/privacy", "/no-such-page"):
        html = html_of(client.get(path))
        switch = html.split('<nav class="lang-switch"')[1].split("</nav>")[0]
        assert re.findall(r'lang="(\w+)" dir="(\w+)"[^>]*>([^<]+)</a>', switch) == [
            ("en", "ltr", "English"),
            ("fr", "ltr", "Français"),
            ("ar", "rtl", "العربية"),
        ], path


def test_the_choice_is_remembered_over_the_browsers_preference(client):
    response = client.get("/language/ar?next=/events/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/events/"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("lang=ar;")
    assert "Max-Age=31536000" in cookie
    html = html_of(client.get("/", headers={"Accept-Language": "fr"}))
    assert '<html lang="ar" dir="rtl">' in html
    assert 'hreflang="ar" aria-current="true"' in html
    client.get("/language/en")
    assert '<html lang="en">' in html_of(client.get("/", headers={"Accept-Language": "ar"}))


def test_an_unknown_language_changes_nothing(client):
    response = client.get("/language/de?next=/news/")
    assert response.headers["Location"] == "/news/"
    assert "Set-Cookie" not in response.headers


def test_the_head_links_this_page_in_each_language(client, conference):
    html = html_of(client.get("/events/m4p", query_string={"lang": "fr"}))
    assert '<html lang="fr">' in html
    assert re.findall(r'<link rel="alternate" hreflang="(\w+)" href="([^"]+)">', html) == [
        ("en", "http://localhost/events/m4p?lang=en"),
        ("fr", "http://localhost/events/m4p?lang=fr"),
        ("ar", "http://localhost/events/m4p?lang=ar"),
    ]
    assert (
        '<link rel="alternate" type="application/atom+xml" title="Actualités de Make Mothers '
        'Matter" href="/news/feed.atom?lang=fr" hreflang="fr">'
    ) in html
    # ?lang= shows one page in a language; it does not change the visitor's choice.
    assert '<html lang="en">' in html_of(client.get("/events/m4p"))


def test_the_atom_feed_exists_in_each_language_and_links_the_others(client, create_post):
    create_post(title="Mothers as peacebuilders")
    feed = html_of(client.get("/news/feed.atom", query_string={"lang": "ar"}))
    assert '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="ar">' in feed
    assert "<title>أخبار \u2066Make Mothers Matter\u2069</title>" in feed
    alternate = r'<link rel="alternate" type="([^"]+)" hreflang="(\w+)" href="([^"]+)"/>'
    assert re.findall(alternate, feed) == [
        ("text/html", "ar", "http://localhost/news/?lang=ar"),
        ("application/atom+xml", "en", "http://localhost/news/feed.atom?lang=en"),
        ("application/atom+xml", "fr", "http://localhost/news/feed.atom?lang=fr"),
    ]
    assert (
        '<link rel="self" type="application/atom+xml" '
        'href="http://localhost/news/feed.atom?lang=ar"/>'
    ) in feed


# Arabic formatting ---------------------------------------------------------------------------


def test_arabic_dates_use_western_digits_and_moroccan_month_names(app):
    from mmm_events.web import event_dates, local_datetime, long_date

    event = Event(
        starts_at=datetime(2027, 5, 3, 8, 0, tzinfo=ZoneInfo("UTC")),
        ends_at=datetime(2027, 7, 4, 16, 30, tzinfo=ZoneInfo("UTC")),
        timezone="Africa/Casablanca",
    )
    with app.test_request_context(), force_locale("ar"):
        assert event_dates(event) == "3 ماي – 4 يوليوز 2027"
        assert long_date(date(2027, 8, 1)) == "1 غشت 2027"
        # Day first, as Moroccans write it, with the right-to-left marks CLDR puts in.
        assert local_datetime(event.starts_at, event.zone) == "03\u200f/05\u200f/2027، 09:00"


# Names in any script, and each person's email language ---------------------------------------


def rsvp(client, event, **overrides):
    data = {
        "full_name": ARABIC_NAME,
        "email": "amina@example.org",
        "organisation": "جمعية الأمهات",
        "country": "المغرب",
        "language": "ar",
        "consent": "y",
        "days": [d.isoformat() for d in event.days],
    }
    data.update(overrides)
    response = client.post(f"/events/{event.slug}", data=data)
    assert response.status_code == 303
    return response


def test_the_arabic_form_offers_arabic_emails_by_default(client, conference):
    html = html_of(client.get("/events/m4p", headers={"Accept-Language": "ar"}))
    assert (
        '<input checked id="language-2" name="language" required type="radio" value="ar"> '
        '<label for="language-2">العربية</label>'
    ) in html
    assert 'dir="auto" id="full_name"' in html
    assert visible("(اختياري)") in visible(html)


def test_an_arabic_registration_is_confirmed_in_arabic_right_to_left(
    make_mail_app, smtp_server, conference
):
    app = make_mail_app()
    client = app.test_client()
    rsvp(client, conference)
    with app.app_context():
        registration = db.session.scalar(select(Registration))
        assert (registration.full_name, registration.language) == (ARABIC_NAME, Language.AR)
    drain_outbox(app)
    [message] = smtp_server.messages
    assert visible(message["Subject"]) == "تسجيلك مؤكد: International Conference #Mothers4Peace"
    # The event's English title keeps its own direction inside the Arabic subject.
    assert "\u2068International Conference #Mothers4Peace\u2069" in message["Subject"]
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert '<html lang="ar" dir="rtl">' in html
    assert '<body dir="rtl"' in html
    assert f"\u2068{ARABIC_NAME}\u2069" in text
    assert "شكرًا على تسجيلك. مقعدك مؤكد." in visible(text)
    day_one = conference.local_start.date()
    assert f"{day_one.day} " in visible(text)
    assert not re.search("[\u0660-\u0669]", text), "Arabic-Indic digits: Morocco reads 0-9"


def test_the_arabic_name_travels_rfc_2047_encoded_in_to_and_the_envelope_has_the_address(
    make_mail_app, smtp_server, conference
):
    app = make_mail_app()
    rsvp(app.test_client(), conference)
    drain_outbox(app)
    [message] = smtp_server.messages
    [raw_to] = [value for name, value in message.raw_items() if name == "To"]
    assert raw_to.isascii()
    assert re.fullmatch(r"=\?utf-8\?b\?[A-Za-z0-9+/=]+\?= <amina@example\.org>", raw_to)
    [to] = message["To"].addresses
    assert (to.display_name, to.addr_spec) == (ARABIC_NAME, "amina@example.org")
    assert smtp_server.envelopes == [("events@example.org", ["amina@example.org"])]


def test_arabic_emails_put_gaps_and_borders_on_the_right_to_left_sides(
    make_mail_app, smtp_server, conference
):
    app = make_mail_app()
    rsvp(app.test_client(), conference)
    drain_outbox(app)
    html = smtp_server.messages[0].get_body(preferencelist=("html",)).get_content()
    assert '<html lang="ar" dir="rtl">' in html
    assert "border-left" not in html
    assert "12px 4px 0" not in html
    # Each label of the facts table has its gap on its left, towards its value.
    labels = re.findall(r'<td style="(padding:4px[^"]*)">', html)
    assert labels == [
        "padding:4px 0;padding-left:12px;font-weight:bold;vertical-align:top;text-align:right;",
        "padding:4px 0;text-align:right;",
    ] * 5
    # The table says its direction itself: some mail clients drop it from those around.
    assert html.count('<table role="presentation" dir="rtl"') == 2
    with app.test_request_context():
        event = db.session.get(Event, conference.id)
        invitation = invitation_emails.sample_invitation(
            event, email="amina@example.org", name=ARABIC_NAME, language=Language.AR
        )
        test_html = invitation_emails.render_invitation(event, invitation, test=True).html
        english_html = invitation_emails.render_invitation(
            event, invitation_emails.sample_invitation(
                event, email="amina@example.org", name="Amina", language=Language.EN
            ), test=True
        ).html
    assert "border-right:4px solid #b26a00;" in test_html
    assert "border-left" not in test_html
    assert re.findall(r"padding-(\w+):12px", test_html) == ["left", "left"]
    assert "border-left:4px solid #b26a00;" in english_html
    assert re.findall(r"padding-(\w+):12px", english_html) == ["right", "right"]


def test_the_email_language_can_be_changed_on_the_manage_page(app, client, conference):
    rsvp(client, conference, language="en", full_name="Amina Benali")
    with app.app_context():
        registration = db.session.scalar(select(Registration))
    edit = f"/events/manage/{registration.token}/edit"
    form = html_of(client.get(edit))
    assert (
        '<input id="language-2" name="language" required type="radio" value="ar"> '
        '<label for="language-2">العربية</label>'
    ) in form
    response = client.post(
        edit,
        data={
            "full_name": ARABIC_NAME,
            "email": "amina@example.org",
            "country": "Morocco",
            "language": "ar",
            "days": [d.isoformat() for d in conference.days],
        },
    )
    assert response.status_code == 303
    with app.app_context():
        registration = db.session.get(Registration, registration.id)
        assert (registration.full_name, registration.language) == (ARABIC_NAME, Language.AR)


# A download commits its audit entry on a connection of its own (audit.record_at_once).
@pytest.mark.real_commits
def test_organisers_find_and_export_names_in_arabic_script(
    app, client, conference, create_user, create_registration
):
    create_registration(conference, full_name=ARABIC_NAME, organisation="جمعية الأمهات")
    create_registration(conference, full_name="Élodie Martin")
    sign_in(client, create_user(events=(conference,)))
    listing = html_of(
        client.get(f"/organiser/events/{conference.id}/registrants", query_string={"q": "أمينة"})
    )
    body = listing.split("<tbody>")[1].split("</tbody>")[0]
    assert re.findall(r'<a dir="auto" href="/organiser/registrations/\d+">([^<]+)</a>', body) == [
        ARABIC_NAME
    ]
    assert '<td dir="auto">جمعية الأمهات</td>' in body
    export = client.get(f"/organiser/events/{conference.id}/registrants.csv").get_data()
    assert export.startswith("\ufeff".encode())
    assert f"{ARABIC_NAME},".encode() in export


def test_invitee_lists_accept_arabic_as_a_language(app):
    rows = [
        (1, ["email", "name", "organisation", "language"]),
        (2, ["a@example.org", ARABIC_NAME, "", "ar"]),
        (3, ["b@example.org", "Bob", "", "العربية"]),
        (4, ["c@example.org", "Chloé", "", "Arabe"]),
    ]
    with app.app_context():
        report = parse_rows(iter(rows))
    assert [(r.name, r.language) for r in report.accepted] == [
        (ARABIC_NAME, Language.AR),
        ("Bob", Language.AR),
        ("Chloé", Language.AR),
    ]
    assert report.rejected == []


# The invitation's wording ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "sentence"),
    [
        (
            "en",
            "Make Mothers Matter is delighted to invite you, as a representative of Association "
            "des mères, to take part in International Conference #Mothers4Peace.",
        ),
        (
            "fr",
            "Make Mothers Matter a le plaisir de vous inviter à participer à l'événement "
            "«\u00a0International Conference #Mothers4Peace\u00a0» pour y représenter "
            "l'organisation Association des mères.",
        ),
        (
            "ar",
            "يسرّ Make Mothers Matter أن تدعوكم، بصفتكم ممثلين عن Association des mères، إلى "
            "المشاركة في International Conference #Mothers4Peace.",
        ),
    ],
)
def test_the_invitation_invites_people_as_representatives_of_their_organisation(
    app, conference, language, sentence
):
    with app.test_request_context():
        event = db.session.get(Event, conference.id)
        invitation = invitation_emails.sample_invitation(
            event,
            email="amina@example.org",
            name="Amina",
            language=Language(language),
            organisation="Association des mères",
        )
        email = invitation_emails.render_invitation(event, invitation)
    assert sentence in visible(email.text)
    assert "on behalf of" not in email.text


def test_english_invitations_write_the_month_in_words(app, conference):
    with app.test_request_context():
        event = db.session.get(Event, conference.id)
        invitation = invitation_emails.sample_invitation(
            event, email="amina@example.org", name="Amina", language=Language.EN
        )
        text = invitation_emails.render_invitation(event, invitation).text
    start, end = conference.local_start, conference.local_end
    assert (
        f"from {start:%b} {start.day}, {start.year}, 9:00\u202fAM to {end:%b} {end.day}, "
    ) in text
    assert not re.search(r"\b\d{1,2}/\d{1,2}/\d{2}\b", text)


def test_arabic_subjects_and_display_names_travel_as_rfc_2047_encoded_words(app):
    from email import message_from_bytes, policy

    from mmm_events.mail.messages import OutboxEmail
    from mmm_events.models import OutboxMessage, utcnow

    subject = "تسجيلك مؤكد: \u2068International Conference #Mothers4Peace\u2069"
    row = OutboxMessage(
        id=1,
        message_id="<1.2.3@example.org>",
        kind="test",
        sender="Make Mothers Matter <events@example.org>",
        recipient=f"{ARABIC_NAME} <amina@example.org>",
        subject=subject,
        text_body="شكرًا على تسجيلك.\n",
        html_body='<p dir="rtl">شكرًا على تسجيلك.</p>',
        attachments=[],
        headers={},
        created_at=utcnow(),
    )
    with app.app_context():
        raw = OutboxEmail(row).as_bytes()
    head = raw.split(b"\r\n\r\n")[0]
    assert head.isascii()
    assert re.search(rb"^To: =\?utf-8\?b\?", head, re.MULTILINE)
    assert re.search(rb"^Subject: =\?utf-8\?b\?", head, re.MULTILINE)
    message = message_from_bytes(raw, policy=policy.default)
    [to] = message["To"].addresses
    assert (to.display_name, to.addr_spec) == (ARABIC_NAME, "amina@example.org")
    assert message["Subject"] == subject


def test_organisers_preview_the_invitation_in_arabic(app, client, conference, create_user):
    client.get("/language/fr")
    sign_in(client, create_user(events=(conference,)))
    response = client.get(
        f"/organiser/events/{conference.id}/invitations/preview.html", query_string={"lang": "ar"}
    )
    assert response.status_code == 200
    html = html_of(response)
    assert '<html lang="ar" dir="rtl">' in html
    assert "International Conference #Mothers4Peace" in visible(html)
    # Signing in kept the language chosen before.
    assert '<html lang="fr">' in html_of(client.get("/organiser/"))
