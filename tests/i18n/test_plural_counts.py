"""Counts read right in every language (issue 25, point 7): "1 minute", not "1 minutes", in
English, French and Arabic, wherever a number that settings or people choose meets a noun."""

from __future__ import annotations

import re

import pytest

from tests.conftest import sign_in

ISOLATES = re.compile("[\u2066-\u2069]")


def _text(html: str) -> str:
    return ISOLATES.sub("", re.sub(r"[ \t\n]+", " ", re.sub(r"<[^>]+>", " ", html)))


@pytest.mark.parametrize(
    ("minutes", "language", "expected"),
    [
        (1, "en", "your seat is held for 1 minute until you follow it."),
        (20, "en", "your seat is held for 20 minutes until you follow it."),
        (1, "fr", "votre place est réservée 1\u00a0minute, le temps de le suivre."),
        (20, "fr", "votre place est réservée 20\u00a0minutes, le temps de le suivre."),
        (1, "ar", "يبقى مقعدك محجوزًا مدة دقيقة واحدة حتى تتبعه."),
        (2, "ar", "يبقى مقعدك محجوزًا مدة دقيقتين حتى تتبعه."),
        (5, "ar", "يبقى مقعدك محجوزًا مدة 5 دقائق حتى تتبعه."),
        (30, "ar", "يبقى مقعدك محجوزًا مدة 30 دقيقة حتى تتبعه."),
    ],
)
def test_the_rsvp_form_says_how_long_a_seat_is_held(
    make_app, create_event, minutes, language, expected
):
    app = make_app(RSVP_HOLD_MINUTES=minutes)
    event = create_event(confirm_email=True)
    page = app.test_client().get(f"/events/{event.slug}", query_string={"lang": language})
    assert expected in _text(page.text)


@pytest.mark.parametrize(
    ("months", "days", "language", "expected"),
    [
        (1, 1, "en", ["Until 1 month after the event ends",
                      "Texts of emails: 1 day after sending. The address and delivery status: "
                      "until 1 month after the event ends."]),
        (1, 1, "fr", ["Jusqu’à 1 mois après la fin",
                      "Textes des e-mails\u00a0: 1 jour après l’envoi."]),
        (1, 2, "ar", ["طوال الشهر الذي يلي انتهاء الفعالية، ثم",
                      "نصوص الرسائل: طوال اليومين اللذين يليان إرسالها. العنوان وحالة التسليم: "
                      "طوال الشهر الذي يلي انتهاء الفعالية."]),
        (12, 7, "ar", ["طوال 12 شهرًا بعد انتهاء الفعالية، ثم",
                       "نصوص الرسائل: طوال الأيام الـ7 التي تلي إرسالها."]),
    ],
)
def test_the_record_of_processing_counts_months_and_days(
    make_app, create_user, months, days, language, expected
):
    app = make_app(PRIVACY_RETENTION_MONTHS=months, PRIVACY_OUTBOX_BODY_DAYS=days)
    client = app.test_client()
    sign_in(client, create_user())
    page = _text(client.get("/organiser/privacy/record", query_string={"lang": language}).text)
    for sentence in expected:
        assert sentence in page


def test_one_confirmed_person_needs_one_seat(app, client, create_event, create_registration,
                                             create_user):
    from tests.events.test_organiser_events import event_form

    event = create_event(capacity=5, timezone="Europe/Paris")
    create_registration(event)
    sign_in(client, create_user(events=(event,)))
    response = client.post(f"/organiser/events/{event.id}/edit", data=event_form(capacity=0))
    assert response.status_code == 400
    assert ("1 person is already confirmed, so the event needs at least 1 seat."
            in response.text)
