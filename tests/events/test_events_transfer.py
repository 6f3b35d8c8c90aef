"""An event as a JSON file, and an event copied: texts, settings, questions and places; no
registrations, invitations or answers."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from mmm_events.events.cli import event_file
from mmm_events.events.editing import delete_event
from mmm_events.events.transfer import duplicate
from mmm_events.extensions import db
from mmm_events.models import Answer, Event, Question, Registration
from tests.conftest import rsvp_form, sign_in
from tests.questions.helpers import add, option_ids, texts, workshop

# Streams, threads, the CLI and the mail worker use connections of their own.
pytestmark = pytest.mark.real_commits


def _rich_event(app, client, create_event):
    event = create_event(
        slug="m4p-2026", capacity=120, sensitive_answer_days=14, visa_letters=True,
        visa_covers_costs=True, visa_signatory_name="Anne-Claire Dupont",
        visa_signatory_role="President", passport_data_days=21,
    )
    with app.app_context():
        stored = db.session.get(Event, event.id)
        french = stored.text_in("fr")
        french.title, french.country = "Mères pour la paix", "Maroc"
        french.visa_signatory_role = "Présidente"
        db.session.commit()
    question = workshop(app, event, places=30)
    visa = add(app, event, kind="yes_no", texts=texts("Do you need a visa letter?"))
    add(app, event, kind="text", sensitive=True, texts=texts("Passport number"),
        depends_on=visa, depends_on_value="yes")
    add(app, event, kind="text", texts=texts("Which room?"), depends_on=question,
        depends_on_value=str(option_ids(app, question)[1]))
    client.post(f"/events/{event.slug}", data=rsvp_form(
        event, **{f"q{question}": str(option_ids(app, question)[0]), f"q{visa}": "no"}))
    return event


def test_export_import_export_gives_the_same_file(app, client, create_event):
    event = _rich_event(app, client, create_event)
    runner = app.test_cli_runner()
    first = runner.invoke(args=["events", "export", "m4p-2026"])
    assert first.exit_code == 0, first.output
    data = json.loads(first.output)
    assert (data["format"], data["version"]) == ("mmm-events.event", 3)
    assert {name: data["event"][name] for name in (
        "visa_letters", "visa_covers_costs", "visa_signatory_name", "visa_signatory_role",
        "passport_data_days")} == {
        "visa_letters": True, "visa_covers_costs": True,
        "visa_signatory_name": "Anne-Claire Dupont", "visa_signatory_role": "President",
        "passport_data_days": 21,
    }
    assert {name: data["event"]["texts"]["fr"][name] for name in (
        "title", "city", "country", "visa_signatory_role")} == {
        "title": "Mères pour la paix", "city": "", "country": "Maroc",
        "visa_signatory_role": "Présidente",
    }
    assert data["event"]["texts"]["en"]["visa_signatory_role"] == "President"
    assert data["questions"][3]["depends_on"] == 0
    assert data["questions"][3]["depends_on_value"] == "option:1"
    assert data["questions"][0]["options"][0]["places"] == 30
    with app.app_context():
        delete_event(db.session.get(Event, event.id))
        db.session.commit()
    path = app.instance_path + "/m4p.json"
    with open(path, "w", encoding="utf-8") as f:
        f.write(first.output)
    imported = runner.invoke(args=["events", "import", path])
    assert imported.output == "Created the event “m4p-2026” (unpublished).\n"
    again = runner.invoke(args=["events", "export", "m4p-2026"])
    assert again.output == first.output


def test_a_bad_file_is_refused_with_one_sentence_naming_the_field(app, create_event):
    event = create_event(slug="m4p")
    with app.app_context():
        good = json.loads(event_file(db.session.get(Event, event.id)))
    good["event"]["slug"] = "other"
    cases = {
        "format": ({**good, "format": "x"}, "“format” must be “mmm-events.event”."),
        "capacity": ({**good, "event": {**good["event"], "capacity": "many"}},
                     "“event.capacity” is missing or not of the right type."),
        "kind": ({**good, "questions": [{"kind": "essay", "options": [], "texts": {}}]},
                 "“questions[0].kind” is not a known kind of question."),
        "slug": ({**good, "event": {**good["event"], "slug": "m4p"}},
                 "“event.slug”: an event “m4p” already exists."),
        "passport_data_days": ({**good, "event": {**good["event"], "passport_data_days": -1}},
                               "“event.passport_data_days” must be between 0 and 365."),
        "visa_letters": ({**good, "event": {**good["event"], "visa_letters": "yes"}},
                         "“event.visa_letters” is not of the right type."),
        "version": ({**good, "version": 4}, "“version” must be 1, 2 or 3."),
    }
    runner = app.test_cli_runner()
    for name, (data, message) in cases.items():
        path = f"{app.instance_path}/{name}.json"
        with open(path, "w", encoding="utf-8") as f:
            json.dump(data, f)
        result = runner.invoke(args=["events", "import", path])
        assert result.exit_code == 1, name
        assert result.output == f"Error: {message}\n", name
    with app.app_context():
        assert db.session.scalar(select(func.count(Event.id))) == 1


def test_duplicating_copies_texts_settings_and_questions_but_no_people(
    app, client, create_event, create_user
):
    event = _rich_event(app, client, create_event)
    with app.app_context():
        original = db.session.get(Event, event.id)
        copy = duplicate(original, slug="m4p-2027",
                         starts_at=original.starts_at + timedelta(days=365))
        db.session.commit()
        assert copy.texts["fr"].title == "Mères pour la paix"
        assert (copy.texts["fr"].country, copy.texts["fr"].visa_signatory_role) == (
            "Maroc", "Présidente")
        assert copy.visa_signatory_role == "President"
        assert (copy.capacity, copy.seats_taken, copy.is_published) == (120, 0, False)
        assert copy.ends_at - copy.starts_at == original.ends_at - original.starts_at
        assert copy.sensitive_answer_days == 14
        questions = db.session.scalars(
            select(Question).where(Question.event_id == copy.id).order_by(Question.position)
        ).all()
        assert [(o.places, o.places_taken) for o in questions[0].live_options] == [
            (30, 0), (30, 0)]
        assert questions[2].depends_on_id == questions[1].id
        assert questions[3].depends_on_value == str(questions[0].live_options[1].id)
        assert db.session.scalar(select(func.count(Registration.id)).where(
            Registration.event_id == copy.id)) == 0
        assert db.session.scalar(select(func.count(Answer.id)).join(Question).where(
            Question.event_id == copy.id)) == 0


def test_an_organiser_duplicates_from_the_event_page(app, client, create_event, create_user):
    event = _rich_event(app, client, create_event)
    sign_in(client, create_user(events=(event,)))
    assert client.get(f"/organiser/events/{event.id}/duplicate").status_code == 200
    response = client.post(f"/organiser/events/{event.id}/duplicate", data={
        "slug": "m4p-2027", "starts_at": "2027-11-20T09:00"})
    assert response.status_code == 303
    with app.app_context():
        copy = db.session.scalar(select(Event).where(Event.slug == "m4p-2027"))
        assert copy.local_start.strftime("%Y-%m-%d %H:%M") == "2027-11-20 09:00"
        assert [u.email for u in copy.organisers] == [u.email for u in db.session.get(
            Event, event.id).organisers]
    assert response.headers["Location"] == f"/organiser/events/{copy.id}/edit"


def test_the_demo_conference_ships_with_its_questions(app, client):
    from datetime import date

    from mmm_events.demo import seed_demo

    with app.app_context():
        seed_demo(today=date(2026, 11, 27))
        event = db.session.scalar(select(Event).where(Event.slug == "mothers4peace-casablanca"))
        questions = db.session.scalars(select(Question).where(Question.event_id == event.id)
                                       .order_by(Question.position)).all()
        assert [q.texts["en"].label for q in questions] == [
            "Which workshop will you join?", "Your role", "Dietary needs",
            "Arrival date in Casablanca", "Do you need a visa letter?", "Nationality",
            "Passport number"]
        assert [o.places for o in questions[0].live_options] == [30, 30, 30]
        assert [(q.depends_on_id, q.depends_on_value) for q in questions[5:]] == [
            (questions[4].id, "yes"), (questions[4].id, "yes")]
        assert questions[6].sensitive
    page = client.get("/events/mothers4peace-casablanca?lang=ar").get_data(as_text=True)
    assert "في أي ورشة ستشارك؟" in page


def older_file(app, event, version: int, slug: str) -> dict:
    """The event's file as ``version`` wrote it, under ``slug``: without the texts version 3
    added to each language (the city, the country and the signatory's role)."""
    with app.app_context():
        data = json.loads(event_file(db.session.get(Event, event.id)))
    data["version"] = version
    data["event"]["slug"] = slug
    for name in ("city", "country", "visa_signatory_role"):
        del data["event"]["texts"]["en"][name]
    return data


def import_file(app, data: dict) -> Event:
    """``data`` imported through the CLI; the event it created."""
    path = f"{app.instance_path}/{data['event']['slug']}.json"
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f)
    imported = app.test_cli_runner().invoke(args=["events", "import", path])
    assert imported.output == f"Created the event “{data['event']['slug']}” (unpublished).\n"
    with app.app_context():
        stored = db.session.scalar(select(Event).where(Event.slug == data["event"]["slug"]))
        stored.texts  # noqa: B018 - loaded before the context ends
        db.session.expunge(stored)
        return stored


def test_a_version_1_file_imports_with_the_visa_letter_settings_at_their_defaults(
    app, create_event
):
    event = create_event(slug="m4p-v1", visa_letters=True, passport_data_days=10)
    data = older_file(app, event, 1, "m4p-old")
    for name in ("visa_letters", "visa_covers_costs", "visa_signatory_name",
                 "visa_signatory_role", "passport_data_days"):
        del data["event"][name]

    stored = import_file(app, data)

    assert (stored.visa_letters, stored.visa_covers_costs, stored.visa_signatory_name,
            stored.visa_signatory_role, stored.passport_data_days) == (
        False, False, "", "", 30)


def test_a_version_2_file_gives_its_city_country_and_signatory_role_to_the_main_language(
    app, create_event
):
    event = create_event(slug="m4p-v2", city="Casablanca", country="Morocco",
                         visa_letters=True, visa_signatory_role="President")

    stored = import_file(app, older_file(app, event, 2, "m4p-2025"))

    english = stored.texts["en"]
    assert (english.city, english.country, english.visa_signatory_role) == (
        "Casablanca", "Morocco", "President")
