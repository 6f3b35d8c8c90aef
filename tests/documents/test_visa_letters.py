"""Visa invitation letters: asked for from the manage link, approved by an organiser, emailed
as a PDF that reads back (names, Arabic in logical order, the QR code of the verification
link), verified by anyone with the link, revoked; the passport details seen only by the
event's organisers, audited, and never on the verification page."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select

from mmm_events.documents import letters
from mmm_events.extensions import db
from mmm_events.models import AuditEntry, Event, LetterStatus, OutboxMessage, VisaLetter
from tests.conftest import REGISTRATION_SERVER_NAME, drain_outbox, rsvp_form, sign_in
from tests.documents.test_documents import ARABIC_NAME, qr_codes

# Downloads write their audit entry on a connection of their own (audit.record_at_once).
pytestmark = pytest.mark.real_commits

PASSPORT = {
    "passport_name": "Amina BENALI",
    "nationality": "MA",
    "birth_date": "1985-04-12",
    "passport_number": "ab 123-4567",
    "passport_expires_on": "2031-01-31",
}


@pytest.fixture
def app(make_mail_app):
    return make_mail_app()


@pytest.fixture
def visa_event(create_event):
    return create_event(
        title="Mothers for Peace", summary="A conference on mothers as peacebuilders.",
        visa_letters=True, visa_covers_costs=True, visa_signatory_name="Anne-Claire Dupont",
        visa_signatory_role="President",
    )


def ask(client, registration, **changes):
    return client.post(
        f"/documents/visa-letter/{registration.token}", data={**PASSPORT, **changes}
    )


def letter_row(app, registration) -> VisaLetter:
    """The registration's letter, with its issued document, detached."""
    with app.app_context():
        letter = db.session.scalar(
            select(VisaLetter).where(VisaLetter.registration_id == registration.id)
        )
        if letter.document is not None:
            db.session.expunge(letter.document)
        db.session.expunge(letter)
        return letter


def verify_url(letter: VisaLetter) -> str:
    return f"http://{REGISTRATION_SERVER_NAME}/documents/verify/{letter.document.token}"


def pdf_text(body: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)


def test_a_request_is_stored_apart_with_the_passport_number_as_printed(
    app, client, visa_event, create_registration
):
    person = create_registration(visa_event, full_name="Amina Benali")

    response = ask(client, person)

    assert response.status_code == 303
    letter = letter_row(app, person)
    assert (letter.status, letter.passport_name, letter.nationality, letter.birth_date,
            letter.passport_number, letter.passport_expires_on) == (
        LetterStatus.REQUESTED, "Amina BENALI", "MA", date(1985, 4, 12), "AB1234567",
        date(2031, 1, 31),
    )
    page = client.get(f"/documents/visa-letter/{person.token}").text
    assert "The organisers will email you their decision." in page


def test_no_letter_on_an_event_that_does_not_offer_them(client, create_event,
                                                        create_registration):
    person = create_registration(create_event())

    assert client.get(f"/documents/visa-letter/{person.token}").status_code == 404
    assert ask(client, person).status_code == 404


@pytest.mark.parametrize(("language", "changes", "message"), [
    ("en", {"passport_expires_on": "2020-01-01"},
     "Your passport must still be valid after the event: it expires before the event ends."),
    ("fr", {"passport_expires_on": "2020-01-01"},
     "Votre passeport doit être encore valable après l’événement"),
    ("ar", {"passport_expires_on": "2020-01-01"}, "يجب أن يبقى جواز سفرك صالحًا بعد الفعالية"),
    ("en", {"birth_date": "2090-01-01"},
     "Please check your date of birth: it must be in the past, after 1900."),
    ("fr", {"birth_date": "1850-01-01"}, "Vérifiez votre date de naissance"),
    ("ar", {"birth_date": "2090-01-01"}, "يرجى التحقق من تاريخ ميلادك"),
    ("en", {"passport_number": "12"},
     "A passport number has 5 to 20 letters and digits; please check it."),
    ("fr", {"nationality": "XX"}, "Veuillez choisir le pays qui a délivré votre passeport."),
    ("ar", {"passport_name": ""}, "يرجى كتابة اسمك كما هو مكتوب في جواز سفرك تمامًا."),
])
def test_wrong_passport_details_are_refused_with_a_clear_message_in_each_language(
    app, client, visa_event, create_registration, language, changes, message
):
    person = create_registration(visa_event)
    client.get(f"/language/{language}")

    response = ask(client, person, **changes)

    assert response.status_code == 422
    assert message in response.text
    with app.app_context():
        assert db.session.scalar(select(VisaLetter.id)) is None


def test_an_approved_letter_is_emailed_as_a_pdf_that_reads_back_and_verifies(
    app, client, visa_event, create_registration, create_user, smtp_server, now
):
    person = create_registration(visa_event, full_name="Amina Benali")
    ask(client, person)
    organiser = create_user(events=(visa_event,))
    sign_in(client, organiser)
    letter = letter_row(app, person)

    response = client.post(f"/organiser/visa-letters/{letter.id}/approve",
                           follow_redirects=True)
    assert "Approved: the letter is on its way to the person by email." in response.text
    drain_outbox(app)

    [message] = smtp_server.messages
    assert message["Subject"] == "Your visa invitation letter: Mothers for Peace"
    letter = letter_row(app, person)
    reference = letter.document.reference
    assert reference.startswith(f"MMM-{visa_event.starts_at.year}-")
    assert (letter.document.kind, letter.document.holder_name) == ("visa_letter", "Amina BENALI")
    [pdf] = list(message.iter_attachments())
    assert pdf.get_filename() == f"visa-letter-{reference}.pdf"
    body = pdf.get_content()
    text = pdf_text(body)
    for expected in ("Amina BENALI", "AB1234567", "Morocco", "April 12, 1985",
                     "January 31, 2031", "Mothers for Peace", "Anne-Claire Dupont", "President",
                     "Make Mothers Matter covers the costs of travel and accommodation",
                     reference):
        assert expected in text
    assert qr_codes(body) == [verify_url(letter)]
    # The body quotes no passport detail: only the letter does.
    assert "AB1234567" not in message.get_body(("plain",)).get_content()

    client.get("/sign-out")
    page = client.get(verify_url(letter)).text
    assert reference in page and "Amina BENALI" in page
    assert "This document is genuine" in page
    for secret in ("AB1234567", "1985", "2031", "Morocco"):
        assert secret not in page


def render_for(app, registration, language):
    from mmm_events.documents.letter_pdf import render_letter

    with app.app_context():
        letter = db.session.scalar(
            select(VisaLetter).where(VisaLetter.registration_id == registration.id)
        )
        if letter.status is LetterStatus.REQUESTED:
            assert letters.approve_letter(letter, now=letter.requested_at, by=None)
            db.session.commit()
        with app.test_request_context():
            return render_letter(db.session.get(VisaLetter, letter.id), language)


def test_an_arabic_name_reads_back_in_logical_order_and_the_arabic_letter_right_to_left(
    app, client, visa_event, create_registration
):
    person = create_registration(visa_event, full_name=ARABIC_NAME, language="ar")
    ask(client, person, passport_name=ARABIC_NAME)

    english = pdf_text(render_for(app, person, "en"))
    arabic = render_for(app, person, "ar")

    assert f"Full name as in the passport {ARABIC_NAME}" in english
    # Noto Sans Arabic shares glyphs between dotted letters (test_documents.ARABIC_NAME):
    # in a letter written in Arabic only dotless words read back exactly, as this title.
    assert pdf_text(arabic).splitlines()[3] == "رسالة دعوة"
    assert qr_codes(arabic) == [verify_url(letter_row(app, person))]


def test_organisers_see_passport_details_with_an_audit_entry_and_revoke_the_letter(
    app, client, visa_event, create_registration, create_user
):
    person = create_registration(visa_event)
    ask(client, person)
    letter = letter_row(app, person)
    stranger = create_user()
    sign_in(client, stranger)
    assert client.get(f"/organiser/events/{visa_event.id}/visa-letters").status_code == 404
    assert client.post(f"/organiser/visa-letters/{letter.id}/approve").status_code == 404
    client.get("/sign-out")
    sign_in(client, create_user(events=(visa_event,)))

    page = client.get(f"/organiser/events/{visa_event.id}/visa-letters").text
    client.post(f"/organiser/visa-letters/{letter.id}/approve")
    download = client.get(f"/organiser/visa-letters/{letter.id}/letter.pdf")
    revoked = client.post(f"/organiser/visa-letters/{letter.id}/revoke", follow_redirects=True)

    assert "AB1234567" in page
    assert download.mimetype == "application/pdf"
    assert "Revoked: the letter" in revoked.text
    with app.app_context():
        actions = [e.action for e in db.session.scalars(
            select(AuditEntry).where(AuditEntry.event_id == visa_event.id).order_by(AuditEntry.id)
        )]
    # The list shown again after the revocation is one more sight of the passport details.
    assert actions == ["passport.shown", "visa_letter.decided", "visa_letter.downloaded",
                       "visa_letter.decided", "passport.shown"]
    verified = client.get(verify_url(letter_row(app, person))).text
    assert "Revoked." in verified
    assert client.get(f"/documents/visa-letter/{person.token}.pdf").status_code == 404


def test_after_a_revocation_the_person_corrects_the_request_and_a_new_letter_is_issued(
    app, client, visa_event, create_registration, create_user, smtp_server
):
    person = create_registration(visa_event)
    ask(client, person, passport_number="AB1234576")  # two digits swapped
    letter = letter_row(app, person)
    organiser = app.test_client()
    sign_in(organiser, create_user(events=(visa_event,)))
    organiser.post(f"/organiser/visa-letters/{letter.id}/approve")
    first = letter_row(app, person).document
    # Issued, and in force: the request cannot be changed.
    assert ask(client, person).status_code == 303
    assert letter_row(app, person).passport_number == "AB1234576"
    organiser.post(f"/organiser/visa-letters/{letter.id}/revoke")

    page = client.get(f"/documents/visa-letter/{person.token}").text
    assert "The organisers revoked your letter: it is no longer valid." in page
    assert 'value="AB1234576"' in page
    assert ask(client, person, passport_number="AB1234567").status_code == 303
    asked_again = letter_row(app, person)
    assert (asked_again.status, asked_again.document_id) == (LetterStatus.REQUESTED, None)
    assert organiser.post(f"/organiser/visa-letters/{letter.id}/approve").status_code == 303
    second = letter_row(app, person).document
    drain_outbox(app)

    assert second.id != first.id and second.reference != first.reference
    assert [m["Subject"] for m in smtp_server.messages] == [
        "Your visa invitation letter: Mothers for Peace"] * 2
    [pdf] = list(smtp_server.messages[1].iter_attachments())
    assert "AB1234567" in pdf_text(pdf.get_content())
    assert pdf.get_filename() == f"visa-letter-{second.reference}.pdf"
    assert "Revoked." in client.get(f"http://{REGISTRATION_SERVER_NAME}/documents/verify/"
                                    f"{first.token}").text
    assert "This document is genuine" in client.get(
        f"http://{REGISTRATION_SERVER_NAME}/documents/verify/{second.token}").text
    download = client.get(f"/documents/visa-letter/{person.token}.pdf")
    assert download.status_code == 200
    assert "AB1234567" in pdf_text(download.data)


def test_no_letter_is_approved_while_nobody_is_set_to_sign_it(
    app, client, create_event, create_registration, create_user
):
    event = create_event(title="Mothers for Peace", visa_letters=True)
    person = create_registration(event)
    ask(client, person)
    letter = letter_row(app, person)
    sign_in(client, create_user(events=(event,)))

    page = client.get(f"/organiser/events/{event.id}/visa-letters").text
    assert "No signatory is set for the letters yet" in page
    assert f'href="/organiser/events/{event.id}/edit">Edit the event</a>' in page
    assert f"/organiser/visa-letters/{letter.id}/approve" not in page
    refused = client.post(f"/organiser/visa-letters/{letter.id}/approve",
                          follow_redirects=True)
    assert ("Set the name and role of the letters&#39; signatory in the event&#39;s settings "
            "first: a consulate takes no unsigned letter.") in refused.text
    after = letter_row(app, person)
    assert (after.status, after.document_id) == (LetterStatus.REQUESTED, None)
    with app.app_context():
        assert db.session.scalars(select(OutboxMessage.kind)).all() == []
        assert db.session.scalars(select(AuditEntry.action).where(
            AuditEntry.action == "visa_letter.decided")).all() == []


def test_a_declined_request_is_emailed_with_the_message_and_can_be_sent_again(
    app, client, visa_event, create_registration, create_user, smtp_server
):
    person = create_registration(visa_event)
    ask(client, person)
    letter = letter_row(app, person)
    sign_in(client, create_user(events=(visa_event,)))

    client.post(f"/organiser/visa-letters/{letter.id}/decline",
                data={"message": "Please check the expiry date."})
    client.post(f"/organiser/visa-letters/{letter.id}/decline", data={"message": "Again"})
    drain_outbox(app)

    [message] = smtp_server.messages
    assert "Please check the expiry date." in message.get_body(("plain",)).get_content()
    assert "AB1234567" not in message.as_string()
    assert ask(client, person).status_code == 303
    assert letter_row(app, person).status is LetterStatus.REQUESTED


def test_the_purge_deletes_passport_details_and_the_letter_stays_verifiable(
    app, client, visa_event, create_registration, now
):
    person = create_registration(visa_event)
    ask(client, person)
    with app.app_context():
        letter = db.session.scalar(select(VisaLetter))
        letters.approve_letter(letter, now=now, by=None)
        db.session.commit()
    drain_outbox(app)
    before = visa_event.ends_at + timedelta(days=29)
    after = visa_event.ends_at + timedelta(days=30)

    with app.app_context():
        assert letters.purge_passport_data(now=before) == {}
        assert letters.purge_passport_data(now=after) == {visa_event.id: 1}
        db.session.commit()
        assert letters.purge_passport_data(now=after) == {}
        stored = db.session.scalar(select(VisaLetter))
        sent = db.session.scalar(select(OutboxMessage))
        assert (stored.passport_name, stored.nationality, stored.birth_date,
                stored.passport_number, stored.passport_expires_on) == ("", "", None, "", None)
        assert stored.passport_purged_at == after
        assert sent.attachments == []
        url, reference = verify_url(stored), stored.document.reference

    page = client.get(url).text
    assert reference in page and "Amina BENALI" in page
    assert "This document is genuine" in page


def rsvp_with_letter(event, **changes):
    return rsvp_form(event, visa_letter="y", **{
        **{f"visa-{name}": value for name, value in PASSPORT.items()}, **changes,
    })


def test_a_letter_is_asked_for_with_the_rsvp(app, client, visa_event):
    response = client.post(f"/events/{visa_event.slug}", data=rsvp_with_letter(visa_event))

    assert response.status_code == 303
    with app.app_context():
        letter = db.session.scalar(select(VisaLetter))
        assert (letter.status, letter.passport_number, letter.registration.email) == (
            LetterStatus.REQUESTED, "AB1234567", "amina@example.org")


def test_the_rsvp_refuses_wrong_passport_details_only_when_a_letter_is_asked_for(
    app, client, visa_event
):
    wrong = rsvp_with_letter(visa_event, **{"visa-passport_expires_on": "2020-01-01"})
    refused = client.post(f"/events/{visa_event.slug}", data=wrong)
    without = client.post(f"/events/{visa_event.slug}", data={**wrong, "visa_letter": ""})

    assert refused.status_code == 422
    assert 'href="#visa-passport_expires_on"' in refused.text
    assert "Your passport must still be valid after the event" in refused.text
    assert without.status_code == 303
    with app.app_context():
        assert db.session.scalar(select(VisaLetter.id)) is None


def test_passport_details_stay_out_of_the_registrant_list_its_exports_and_other_emails(
    app, client, visa_event, create_user, smtp_server
):
    client.post(f"/events/{visa_event.slug}", data=rsvp_with_letter(visa_event))
    drain_outbox(app)
    sign_in(client, create_user(events=(visa_event,)))
    base = f"/organiser/events/{visa_event.id}/registrants"

    # Each export is streamed: read to its end before the next request.
    bodies = []
    for path in (base, f"{base}.csv", f"{base}.xlsx"):
        response = client.get(path)
        assert response.status_code == 200, path
        bodies.append(response.get_data())

    # The workbook is zipped: its cells are read back.
    cells = [str(cell.value) for row in load_workbook(io.BytesIO(bodies[2])).active.iter_rows()
             for cell in row if cell.value is not None]
    texts = [bodies[0].decode(), bodies[1].decode("utf-8-sig"), "\n".join(cells)]
    for text in texts:
        assert "Amina Benali" in text
        assert "AB1234567" not in text and "1985" not in text and "BENALI" not in text
    [confirmation] = smtp_server.messages
    assert "AB1234567" not in confirmation.as_string()


def test_flask_privacy_purge_deletes_passport_details_past_the_events_setting(
    app, client, create_event, create_registration, now
):
    ended = create_event(visa_letters=True, passport_data_days=10,
                         starts_at=now - timedelta(days=12))
    recent = create_event(visa_letters=True, passport_data_days=10,
                          starts_at=now - timedelta(days=5))
    people = [create_registration(ended), create_registration(recent)]
    with app.app_context():
        for person in people:
            db.session.add(VisaLetter(
                registration_id=person.id, event_id=person.event_id, passport_name="A B",
                nationality="MA", birth_date=date(1985, 4, 12), passport_number="AB1234567",
                passport_expires_on=date(2035, 1, 31), requested_at=now,
            ))
        db.session.commit()

    result = app.test_cli_runner().invoke(args=["privacy", "purge"])

    assert "passport details: deleted those of 1 visa letters" in result.output.splitlines()
    with app.app_context():
        numbers = dict(db.session.execute(
            select(VisaLetter.event_id, VisaLetter.passport_number)).all())
        assert numbers == {ended.id: "", recent.id: "AB1234567"}
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "passport.purged"))
        assert (entry.event_id, entry.detail) == (ended.id, {"letters": 1})


def test_the_letter_names_the_place_in_the_letters_language(app, client, visa_event,
                                                            create_registration):
    with app.app_context():
        event = db.session.get(Event, visa_event.id)
        event.venue, event.city, event.country = "Palais des Congrès", "Casablanca", "Morocco"
        event.text_in("fr").country = "Maroc"
        db.session.commit()
    person = create_registration(visa_event, full_name="Élodie Martin", language="fr")
    ask(client, person, passport_name="ELODIE MARTIN")

    english = " ".join(pdf_text(render_for(app, person, "en")).split())
    french = " ".join(pdf_text(render_for(app, person, "fr")).split())

    assert "Palais des Congrès, Casablanca, Morocco." in english
    # The French text of the country; the venue and city, not translated, in the main language.
    assert "Palais des Congrès, Casablanca, Maroc." in french


def test_the_signatorys_role_is_in_the_letters_language_or_the_main_one(
    app, client, visa_event, create_registration
):
    with app.app_context():
        event = db.session.get(Event, visa_event.id)
        event.text_in("fr").visa_signatory_role = "Présidente"
        db.session.commit()
    person = create_registration(visa_event, full_name="Élodie Martin", language="fr")
    ask(client, person, passport_name="ELODIE MARTIN")

    def signature(language: str) -> list[str]:
        lines = pdf_text(render_for(app, person, language)).splitlines()
        at = lines.index("Anne-Claire Dupont")
        return lines[at : at + 3]

    assert signature("fr") == ["Anne-Claire Dupont", "Présidente", "Make Mothers Matter"]
    assert signature("en") == ["Anne-Claire Dupont", "President", "Make Mothers Matter"]
    # No Arabic role is written: the Arabic letter gets the main language's.
    arabic = pdf_text(render_for(app, person, "ar"))
    assert "President" in arabic and "Présidente" not in arabic


def papers_section(client, registration) -> str:
    page = client.get(f"/organiser/registrations/{registration.id}").text
    assert "AB1234567" not in page  # passport details stay on the audited Visa letters page
    return page.split('<h2 id="papers">')[1].split("<h2>")[0]


def test_a_registrants_page_shows_their_letter_and_documents_and_revokes_one_there(
    app, client, visa_event, create_registration, create_user
):
    person = create_registration(visa_event, full_name="Amina Benali")
    sign_in(client, create_user(events=(visa_event,)))
    assert "Not asked for" in papers_section(client, person)
    ask(client, person)
    letter = letter_row(app, person)

    waiting = papers_section(client, person)
    assert "Visa invitation letter</dt>" in waiting and "Awaiting a decision ·" in waiting
    assert (f'href="/organiser/events/{visa_event.id}/visa-letters#letter-{letter.id}"'
            in waiting)
    assert "No document has been issued to this person." in waiting

    client.post(f"/organiser/visa-letters/{letter.id}/approve")
    reference = letter_row(app, person).document.reference
    issued = papers_section(client, person)
    assert "Issued ·" in issued
    assert f'<td><bdi dir="ltr">{reference}</bdi></td>' in issued
    assert f"Revoke {reference}" in issued

    revoked = client.post(
        f"/organiser/documents/{letter_row(app, person).document.id}/revoke",
        data={"back": "registration"},
    )
    assert revoked.status_code == 303
    assert revoked.location == f"/organiser/registrations/{person.id}#papers"
    after = papers_section(client, person)
    assert "Revoked ·" in after and f"Revoke {reference}" not in after
    assert "Revoked on " in after


def test_a_registrants_page_of_an_event_without_letters_or_documents_has_no_papers(
    client, create_event, create_registration, create_user
):
    event = create_event()
    person = create_registration(event)
    sign_in(client, create_user(events=(event,)))
    page = client.get(f"/organiser/registrations/{person.id}").text
    assert 'id="papers"' not in page and "Emails sent" in page
