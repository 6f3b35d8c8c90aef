"""Badges and door lists: the PDFs read back (text, QR codes), who is on them, who may have
them, and the audit entry each download leaves."""

from __future__ import annotations

import io
from datetime import timedelta

import pypdfium2
import pytest
import zxingcpp
from pypdf import PdfReader
from sqlalchemy import select

from mmm_events.documents.badges import band_colour
from mmm_events.documents.doorlist import collation_key
from mmm_events.extensions import db
from mmm_events.models import AuditEntry, RegistrationStatus
from tests.conftest import sign_in

# Noto Sans Arabic draws a dotted letter as a dotless base and its dots, shared with sibling
# letters (ب ت ن ي): a PDF maps each glyph to one text, so only names of dotless letters
# extract back exactly whatever else the document holds (bench/README.md, "Limits").
ARABIC_NAME = "محمد العامر"
# Each download writes its audit entry on a connection of its own (audit.record_at_once).
pytestmark = pytest.mark.real_commits
OTHER_ARABIC_NAME = "سلمى عمر"


def pdf_text(body: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(body)).pages]


def page_size_mm(body: bytes, number: int = 0) -> tuple[int, int]:
    box = PdfReader(io.BytesIO(body)).pages[number].mediabox
    return round(float(box.width) * 25.4 / 72), round(float(box.height) * 25.4 / 72)


def qr_codes(body: bytes, number: int = 0) -> list[str]:
    """The QR codes on a page, read from the page rendered at 200 dpi as a scanner would."""
    document = pypdfium2.PdfDocument(body)
    image = document[number].render(scale=200 / 72).to_pil()
    found = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    document.close()
    return sorted(result.text for result in found)


@pytest.fixture
def event_with_people(create_event, create_registration, create_user):
    create_person = create_registration

    event = create_event(title="Mothers for Peace")

    def create_registration(event, **fields):
        return create_person(event, days=tuple(event.days), **fields)

    people = {
        "amelie": create_registration(
            event, full_name="Amélie Dupré", organisation="MMM France", country="France"
        ),
        "fatima": create_registration(
            event, full_name=ARABIC_NAME, organisation="دار السلام", country="مصر"
        ),
        "zoe": create_registration(event, full_name="Zoé Martin", organisation="UNICEF"),
        "waiting": create_registration(
            event, full_name="Wendy Waiting", status=RegistrationStatus.WAITING
        ),
        "cancelled": create_registration(
            event, full_name="Carl Cancelled", status=RegistrationStatus.CANCELLED
        ),
    }
    organiser = create_user(events=(event,))
    return event, people, organiser


def test_badge_sheet_holds_everyone_with_a_seat_and_their_check_in_codes(
    app, client, event_with_people
):
    event, people, organiser = event_with_people
    sign_in(client, organiser)
    response = client.get(f"/organiser/events/{event.id}/badges.pdf?band=country")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert page_size_mm(response.data) == (210, 297)
    [text] = pdf_text(response.data)
    assert "Amélie Dupré" in text
    assert ARABIC_NAME in text  # shaped, and extracted in its logical order
    assert "Zoé Martin" in text
    assert "Wendy Waiting" not in text and "Carl Cancelled" not in text
    assert "MMM France" in text and "#Mothers4Peace" in text and "Mothers for Peace" in text
    base = "http://localhost/organiser/check-in/"
    assert qr_codes(response.data) == sorted(
        base + people[key].check_in_token for key in ("amelie", "fatima", "zoe")
    )
    for person in people.values():
        assert person.token not in response.data.decode("latin-1")
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "badges.printed"))
        assert entry.event_id == event.id


def test_badges_for_a_filtered_selection_in_card_layout(client, event_with_people):
    event, people, organiser = event_with_people
    sign_in(client, organiser)
    response = client.get(f"/organiser/events/{event.id}/badges.pdf?layout=card&q=Zo")
    assert page_size_mm(response.data) == (90, 55)
    [text] = pdf_text(response.data)
    assert "Zoé Martin" in text and "Amélie" not in text
    # A filter on a status without a seat prints no one.
    empty = client.get(f"/organiser/events/{event.id}/badges.pdf?status=waiting")
    assert empty.status_code == 200
    assert "Wendy" not in "".join(pdf_text(empty.data))


def test_one_person_badge_for_a_late_arrival(client, event_with_people):
    event, people, organiser = event_with_people
    sign_in(client, organiser)
    fatima = people["fatima"]
    response = client.get(f"/organiser/registrations/{fatima.id}/badge.pdf")
    assert response.status_code == 200
    assert page_size_mm(response.data) == (90, 55)
    assert ARABIC_NAME in pdf_text(response.data)[0]
    assert qr_codes(response.data) == [f"http://localhost/organiser/check-in/{fatima.check_in_token}"]
    waiting = people["waiting"]
    assert client.get(f"/organiser/registrations/{waiting.id}/badge.pdf").status_code == 404


def test_bad_choices_are_refused_and_other_organisers_see_nothing(
    client, event_with_people, create_event, create_user
):
    event, people, organiser = event_with_people
    stranger = create_user(events=(create_event(),))
    sign_in(client, stranger)
    assert client.get(f"/organiser/events/{event.id}/badges.pdf").status_code == 404
    assert client.get(f"/organiser/events/{event.id}/documents").status_code == 404
    registration_id = people["amelie"].id
    assert client.get(f"/organiser/registrations/{registration_id}/badge.pdf").status_code == 404
    day = event.days[0].isoformat()
    assert client.get(f"/organiser/events/{event.id}/door-list/{day}.pdf").status_code == 404
    client.post("/sign-out")
    sign_in(client, organiser)
    assert client.get(f"/organiser/events/{event.id}/badges.pdf?layout=poster").status_code == 400
    assert client.get(f"/organiser/events/{event.id}/badges.pdf?band=email").status_code == 400
    assert client.get(f"/organiser/events/{event.id}/door-list/1999-01-01.pdf").status_code == 404
    assert client.get(f"/organiser/events/{event.id}/door-list/nonsense.pdf").status_code == 404


def test_door_list_sorted_for_the_reader_with_totals_and_page_numbers(
    app, client, event_with_people, create_registration
):
    event, people, organiser = event_with_people
    create_registration(event, full_name="Élodie Bernard", days=tuple(event.days))
    create_registration(event, full_name=OTHER_ARABIC_NAME, days=tuple(event.days))
    sign_in(client, organiser)
    day = event.days[0].isoformat()
    response = client.get(f"/organiser/events/{event.id}/door-list/{day}.pdf")
    assert response.status_code == 200
    text = "\n".join(pdf_text(response.data))
    names = ["Amélie Dupré", "Élodie Bernard", "Zoé Martin", OTHER_ARABIC_NAME, ARABIC_NAME]
    positions = [text.index(name) for name in names]
    assert positions == sorted(positions)
    assert "Wendy Waiting" not in text and "Carl Cancelled" not in text
    assert "Total: 5 people" in text
    assert "Page 1 of 1" in text
    with app.app_context():
        entry = db.session.scalar(
            select(AuditEntry).where(AuditEntry.action == "door_list.printed")
        )
        assert entry.detail == {"day": day}


def test_door_list_in_arabic_puts_arabic_names_first(client, event_with_people):
    event, people, organiser = event_with_people
    sign_in(client, organiser)
    client.get("/language/ar")
    day = event.days[0].isoformat()
    text = "\n".join(pdf_text(client.get(f"/organiser/events/{event.id}/door-list/{day}.pdf").data))
    # The Arabic headings share dotted letters' glyphs with the name (see ARABIC_NAME): the
    # row is found by its organisation, written in letters without dots.
    assert text.index("دار السلام") < text.index("Amélie Dupré") < text.index("Zoé Martin")


def test_door_list_of_a_multi_day_event_holds_those_attending_that_day(
    client, create_event, create_registration, create_user, now
):
    event = create_event(ends_at=now + timedelta(days=62))
    first, second = event.days[0], event.days[1]
    create_registration(event, full_name="Only First", days=(first,))
    create_registration(event, full_name="Both Days", days=(first, second))
    sign_in(client, create_user(events=(event,)))
    response = client.get(f"/organiser/events/{event.id}/door-list/{second}.pdf")
    text = "".join(pdf_text(response.data))
    assert "Both Days" in text and "Only First" not in text


def test_collation_ignores_accents_and_hamza_seats():
    names = ["Zoé", "élodie", "Eric", "Ève", "إيمان", "أحمد", "بشرى", "Adam"]
    assert sorted(names, key=lambda n: collation_key(n, "fr")) == [
        "Adam", "élodie", "Eric", "Ève", "Zoé", "أحمد", "إيمان", "بشرى",
    ]
    assert sorted(names, key=lambda n: collation_key(n, "ar"))[:3] == ["أحمد", "إيمان", "بشرى"]


def test_a_band_value_keeps_its_colour():
    assert band_colour("Speaker") == band_colour("Speaker")
    assert band_colour("") == ""
