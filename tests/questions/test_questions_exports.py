"""Answers in the CSV and XLSX exports: one column per question, in the organiser's language,
choices as words, dates as dates, numbers as numbers; sensitive ones only when asked (audited),
and still readable after the question or its options change."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from mmm_events.extensions import db
from mmm_events.models import AuditEntry
from tests.conftest import rsvp_form, sign_in
from tests.questions.helpers import add, option_ids, texts

# Streams, threads, the CLI and the mail worker use connections of their own.
pytestmark = pytest.mark.real_commits


def _event_with_answers(app, client, create_event):
    event = create_event(hashtag="")
    diet = add(app, event, kind="checkboxes", texts=texts("Dietary needs", "Régime alimentaire"),
               options=[{"texts": texts("Vegetarian", "Végétarien")},
                        {"texts": texts("Halal", "Halal")}])
    guests = add(app, event, kind="number", texts=texts("Guests", "Invités"))
    arrival = add(app, event, kind="date", texts=texts("Arrival", "Arrivée"))
    passport = add(app, event, kind="text", sensitive=True, texts=texts("Passport number"))
    vegetarian, halal = option_ids(app, diet)
    client.post(f"/events/{event.slug}", data=rsvp_form(event, **{
        f"q{diet}": [str(vegetarian), str(halal)], f"q{guests}": "2",
        f"q{arrival}": "2027-03-07", f"q{passport}": "X1234567"}))
    client.post(f"/events/{event.slug}", data=rsvp_form(event, email="b@example.org"))
    return event


def _csv(client, event, **args) -> list[list[str]]:
    response = client.get(f"/organiser/events/{event.id}/registrants.csv", query_string=args)
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def test_the_csv_has_one_column_per_question_without_the_sensitive_ones(
    app, client, create_event, create_user
):
    event = _event_with_answers(app, client, create_event)
    sign_in(client, create_user(events=(event,)))
    rows = _csv(client, event)
    days = len(event.days)
    assert rows[0][11 + days:] == ["Dietary needs", "Guests", "Arrival"]
    assert rows[1][11 + days:] == ["Vegetarian, Halal", "2", "2027-03-07"]
    assert rows[2][11 + days:] == ["", "", ""]
    french = _csv(client, event, lang="fr")
    assert french[0][11 + days:] == ["Régime alimentaire", "Invités", "Arrivée"]
    assert french[1][11 + days] == "Végétarien, Halal"


def test_sensitive_answers_only_when_asked_and_each_time_audited(
    app, client, create_event, create_user
):
    event = _event_with_answers(app, client, create_event)
    sign_in(client, create_user(events=(event,)))
    rows = _csv(client, event, sensitive="1")
    assert rows[0][-1] == "Passport number"
    assert rows[1][-1] == "X1234567"
    with app.app_context():
        details = [e.detail for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))
                   if e.action == "registrants.exported"]
    assert details == [{"format": "csv", "sensitive": True}]


def test_the_xlsx_holds_dates_as_dates_and_numbers_as_numbers(
    app, client, create_event, create_user
):
    event = _event_with_answers(app, client, create_event)
    sign_in(client, create_user(events=(event,)))
    response = client.get(f"/organiser/events/{event.id}/registrants.xlsx")
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    rows = list(sheet.iter_rows(values_only=True))
    days = len(event.days)
    assert rows[0][11 + days:] == ("Dietary needs", "Guests", "Arrival")
    assert rows[1][11 + days:] == ("Vegetarian, Halal", 2, datetime(2027, 3, 7))  # noqa: DTZ001
    assert isinstance(rows[1][12 + days], int)
    assert rows[1][13 + days].date() == date(2027, 3, 7)


def test_the_list_shows_chosen_columns_filters_by_choice_and_searches_answers(
    app, client, create_event, create_user
):
    event = create_event()
    question = add(app, event, kind="radio", texts=texts("Workshop"),
                   options=[{"texts": texts("Peace")}, {"texts": texts("Mediation")}])
    role = add(app, event, kind="text", texts=texts("Role"))
    passport = add(app, event, kind="text", sensitive=True, texts=texts("Passport number"))
    peace, mediation = option_ids(app, question)
    for email, option, words in (("a@example.org", peace, "Journalist"),
                                 ("b@example.org", mediation, "Teacher")):
        client.post(f"/events/{event.slug}", data=rsvp_form(
            event, email=email, full_name=email[0].upper(),
            **{f"q{question}": str(option), f"q{role}": words, f"q{passport}": "X99"}))
    sign_in(client, create_user(events=(event,)))
    base = f"/organiser/events/{event.id}/registrants"
    page = client.get(base, query_string={"column": [str(question), str(role)]}).text
    assert '<th scope="col">Workshop</th><th scope="col">Role</th>' in page
    assert '<td dir="auto">Mediation</td><td dir="auto">Teacher</td>' in page
    assert "Passport number</label>" not in page  # never offered in the list
    chosen = client.get(base, query_string={"choice": str(mediation)}).text
    assert "b@example.org" in chosen and "a@example.org" not in chosen
    found = client.get(base, query_string={"q": "journal"}).text
    assert "a@example.org" in found and "b@example.org" not in found
    assert "a@example.org" not in client.get(base, query_string={"q": "X99"}).text
