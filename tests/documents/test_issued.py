"""Issued documents: the reference and the link, issued once per registration and kind, the
public verification page (exactly the allowed facts, in three languages, private and not
indexed), an organiser's revocation, and the holder's erasure withdrawing it."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select

from mmm_events.documents import issued
from mmm_events.extensions import db
from mmm_events.models import AuditEntry, IssuedDocument, Language, Registration, utcnow
from mmm_events.privacy import people
from tests.conftest import ORGANISER_PASSWORD, sign_in
from tests.invitations.test_state_races import ORDERS, clash
from tests.races import threaded_app

ARABIC_NAME = "محمد العامر"


class Facts(HTMLParser):
    """The <dt>/<dd> pairs of a page, and its state notice, as text."""

    def __init__(self) -> None:
        super().__init__()
        self.facts: list[tuple[str, str]] = []
        self.state = ""
        self._in: str | None = None
        self._text = ""

    def handle_starttag(self, tag, attrs):
        if tag in ("dt", "dd") or dict(attrs).get("id") == "document-state":
            self._in, self._text = ("state" if tag == "p" else tag), ""

    def handle_endtag(self, tag):
        if self._in is None or tag not in ("dt", "dd", "p"):
            return
        text = " ".join(self._text.split())
        if self._in == "dt":
            self.facts.append((text, ""))
        elif self._in == "dd":
            self.facts[-1] = (self.facts[-1][0], text)
        else:
            self.state = text
        self._in = None

    def handle_data(self, data):
        if self._in is not None:
            self._text += data


def facts_of(page: str) -> Facts:
    parser = Facts()
    parser.feed(page)
    return parser


def issue_certificate(app, registration_id: int, now=None):
    with app.app_context():
        registration = db.session.get(Registration, registration_id)
        document = issued.issue(registration, "certificate", language="en", now=now or utcnow())
        db.session.commit()
        return document.id, document.reference, document.token


@pytest.fixture
def attendee(create_event, create_registration, now):
    event = create_event(title="Mothers for Peace")
    person = create_registration(
        event, full_name="Amélie Dupré", email="amelie@example.org", organisation="MMM France",
        country="France",
    )
    return event, person


def test_a_document_gets_a_readable_reference_and_a_secret_link_once(app, attendee, now):
    event, person = attendee

    first = issue_certificate(app, person.id, now)
    again = issue_certificate(app, person.id, now)

    assert again == first
    _id, reference, token = first
    assert re.fullmatch(rf"MMM-{event.starts_at.year}-[2-9A-HJKMNP-TV-Z]{{8}}", reference)
    assert len(token) == 43 and reference not in token
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(IssuedDocument)) == 1
        document = db.session.scalar(select(IssuedDocument))
        assert (document.holder_name, document.event_id, document.registration_id,
                document.language, document.issued_at) == (
            "Amélie Dupré", event.id, person.id, "en", now)


def test_an_unknown_kind_is_refused(app, attendee, now):
    _event, person = attendee
    with app.app_context():
        registration = db.session.get(Registration, person.id)
        with pytest.raises(ValueError, match="unknown kind"):
            issued.issue(registration, "diploma", language="en", now=now)
        with pytest.raises(ValueError, match="unknown kind"):
            IssuedDocument(kind="diploma")


def test_the_verification_page_shows_the_reference_name_event_and_date_and_nothing_else(
    app, client, attendee, now
):
    event, person = attendee
    _id, reference, token = issue_certificate(app, person.id, now)

    response = client.get(f"/documents/verify/{token}?lang=en")

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    found = facts_of(page)
    with app.app_context():
        from mmm_events.web import event_dates, long_date

        with app.test_request_context("/?lang=en"):
            # The parser joins words with plain spaces; the date range has thin ones.
            dates = " ".join(event_dates(db.session.get(type(event), event.id)).split())
            issued_on = long_date(now, event.timezone)
    assert found.facts == [
        ("Reference", reference),
        ("Issued to", "Amélie Dupré"),
        ("Event", f"Mothers for Peace ({dates})"),
        ("Date of issue", issued_on),
    ]
    assert found.state == "This document is genuine: Make Mothers Matter issued it as follows."
    for private in ("amelie@example.org", "MMM France", "France", person.token,
                    person.check_in_token):
        assert private not in page
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Robots-Tag"] == "noindex, nofollow"
    assert '<meta name="robots" content="noindex, nofollow">' in page


@pytest.mark.parametrize(
    ("language", "direction", "heading", "label"),
    [
        ("fr", "ltr", "Vérification du document", "Délivré à"),
        ("ar", "rtl", "التحقق من الوثيقة", "صادرة باسم"),
    ],
)
def test_the_verification_page_speaks_french_and_arabic(
    app, client, create_event, create_registration, now, language, direction, heading, label
):
    event = create_event(title="Mothers for Peace")
    person = create_registration(event, full_name=ARABIC_NAME, language=Language.AR)
    _id, reference, token = issue_certificate(app, person.id, now)

    page = client.get(f"/documents/verify/{token}?lang={language}").get_data(as_text=True)

    opening = f'<html lang="{language}" dir="rtl">' if direction == "rtl" else (
        f'<html lang="{language}">')
    assert opening in page
    assert f"<h1>{heading}</h1>" in page
    facts = dict(facts_of(page).facts)
    assert facts[label] == ARABIC_NAME
    assert reference in page


@pytest.mark.parametrize("token", ["unknown", "x" * 300, "%00"])
def test_an_unknown_link_is_not_found(client, token):
    assert client.get(f"/documents/verify/{token}").status_code in (404, 400)


def test_an_unknown_token_answers_404_with_the_error_page(client):
    response = client.get("/documents/verify/AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-abcde")
    assert response.status_code == 404
    assert response.headers["Cache-Control"] == "no-store"


@pytest.fixture
def csrf_app(make_app):
    return make_app(WTF_CSRF_ENABLED=True)


def csrf_token(client, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"', page).group(1)


def test_an_organiser_revokes_a_document_once_and_its_page_says_so(
    csrf_app, create_event, create_registration, create_user, now
):
    app = csrf_app
    event = create_event(title="Mothers for Peace")
    person = create_registration(event, full_name="Amélie Dupré", email="amelie@example.org")
    document_id, reference, token = issue_certificate(app, person.id, now)
    organiser = create_user(events=(event,))
    client = app.test_client()
    client.post("/sign-in", data={"email": organiser.email, "password": ORGANISER_PASSWORD,
                                  "csrf_token": csrf_token(client, "/sign-in")})
    documents_page = f"/organiser/events/{event.id}/documents"
    revoke = f"/organiser/documents/{document_id}/revoke"

    assert client.post(revoke).status_code == 400  # no CSRF token: nothing changes
    with app.app_context():
        assert db.session.get(IssuedDocument, document_id).revoked_at is None

    token_value = csrf_token(client, documents_page)
    response = client.post(revoke, data={"csrf_token": token_value})
    assert response.status_code == 303
    again = client.post(revoke, data={"csrf_token": token_value}, follow_redirects=True)
    assert f"Document {reference} was already revoked: nothing was changed." in again.get_data(
        as_text=True)

    with app.app_context():
        document = db.session.get(IssuedDocument, document_id)
        assert document.revoked_at is not None
        assert document.revoked_by_id == organiser.id
        entries = list(db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "document.revoked")))
        assert [(e.event_id, e.actor_id, e.detail) for e in entries] == [
            (event.id, organiser.id, {"document_id": document_id, "kind": "certificate"})
        ]
        assert entries[0].subject_key is not None
    page = app.test_client().get(f"/documents/verify/{token}?lang=en").get_data(as_text=True)
    found = facts_of(page)
    assert found.state.startswith("Revoked. The organisers revoked this document on ")
    assert found.state.endswith(". It is no longer valid.")
    assert [label for label, _value in found.facts] == [
        "Reference", "Issued to", "Event", "Date of issue"]


def test_a_revoked_certificate_makes_room_for_a_new_one(app, attendee, now):
    _event, person = attendee
    document_id, reference, _token = issue_certificate(app, person.id, now)
    with app.app_context():
        assert issued.revoke(db.session.get(IssuedDocument, document_id), by=None, now=now)
        assert not issued.revoke(db.session.get(IssuedDocument, document_id), by=None, now=now)
        db.session.commit()
    _new_id, new_reference, _new_token = issue_certificate(app, person.id, now)
    assert new_reference != reference


def test_organisers_of_another_event_can_neither_see_nor_revoke(
    app, client, attendee, create_event, create_user, now
):
    _event, person = attendee
    document_id, _reference, _token = issue_certificate(app, person.id, now)
    stranger = create_user(events=(create_event(),))
    sign_in(client, stranger)

    assert client.post(f"/organiser/documents/{document_id}/revoke").status_code == 404
    assert client.post("/organiser/documents/999999/revoke").status_code == 404
    with app.app_context():
        assert db.session.get(IssuedDocument, document_id).revoked_at is None


def test_the_documents_page_lists_issued_documents_with_their_state(
    app, client, attendee, create_user, now
):
    event, person = attendee
    _id, reference, _token = issue_certificate(app, person.id, now)
    sign_in(client, create_user(events=(event,)))

    page = client.get(f"/organiser/events/{event.id}/documents?lang=en").get_data(as_text=True)

    assert f'<bdi dir="ltr">{reference}</bdi>' in page
    assert f"Revoke {reference}" in page
    assert "Certificate of attendance" in page


def test_the_holders_own_export_lists_their_documents(app, attendee, now):
    event, person = attendee
    document_id, reference, token = issue_certificate(app, person.id, now)
    with app.app_context():
        registration = db.session.get(Registration, person.id)
        exported = people.export(people.person_of_registration(registration), now=now)
    [row] = exported["tables"]["issued_document"]
    assert (row["id"], row["reference"], row["holder_name"], row["kind"], row["event_id"]) == (
        document_id, reference, "Amélie Dupré", "certificate", event.id)
    assert "token" not in row and token not in str(exported)


def test_erasure_withdraws_the_document_and_its_page_no_longer_names_anyone(
    app, client, attendee, now
):
    _event, person = attendee
    document_id, reference, token = issue_certificate(app, person.id, now)
    with app.app_context():
        report = people.erase(people.find_person("amelie@example.org"), reason="request",
                              now=now)
        db.session.commit()
        document = db.session.get(IssuedDocument, document_id)
        assert (document.withdrawn, document.holder_name, document.reference) == (
            True, "", reference)
    assert report.erased["issued_document"] == 1

    page = client.get(f"/documents/verify/{token}?lang=en").get_data(as_text=True)
    found = facts_of(page)
    assert found.facts == [("Reference", reference)]
    assert found.state.startswith("This document has been withdrawn")
    assert "Amélie" not in page


def test_the_retention_purge_keeps_documents_verifiable(app, client, create_event,
                                                        create_registration, now):
    from datetime import timedelta

    from mmm_events.privacy.retention import purge

    event = create_event(title="Long ago", starts_at=now - timedelta(days=800))
    person = create_registration(event, full_name="Amélie Dupré")
    _id, reference, token = issue_certificate(app, person.id, now - timedelta(days=790))
    with app.app_context():
        report = purge(now=now)
        db.session.commit()
        assert [p.registrations for p in report.events] == [1]
        assert db.session.get(Registration, person.id).full_name == ""

    facts = dict(facts_of(client.get(f"/documents/verify/{token}?lang=en")
                          .get_data(as_text=True)).facts)
    assert (facts["Reference"], facts["Issued to"]) == (reference, "Amélie Dupré")


@pytest.mark.real_commits
@pytest.mark.parametrize("order", ORDERS)
def test_two_first_downloads_at_once_issue_one_document(
    make_app, database_url, create_event, create_registration, order
):
    app = threaded_app(make_app, database_url, 4)
    event = create_event()
    person = create_registration(event)

    def issue():
        registration = db.session.get(Registration, person.id)
        return issued.issue(registration, "certificate", language="en", now=utcnow()).reference

    first, second = clash(app, order, issue, issue)

    assert first == second
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(IssuedDocument)) == 1
