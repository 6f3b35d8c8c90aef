"""The organiser's questions on the RSVP form: shown after the fixed fields, checked by each
kind's rules in each language, and kept per registration."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from mmm_events.extensions import db
from mmm_events.models import Answer, QuestionOption, Registration
from tests.conftest import rsvp_form
from tests.questions.helpers import add, every_kind, option_ids, texts, workshop


def _answers(app) -> list[tuple[int, int | None, str]]:
    with app.app_context():
        return [(a.question_id, a.option_id, a.value)
                for a in db.session.scalars(select(Answer).order_by(Answer.id))]


def test_questions_show_after_the_fixed_fields_in_the_readers_language(app, client, create_event):
    event = create_event()
    workshop(app, event)
    page = client.get(f"/events/{event.slug}?lang=fr").get_data(as_text=True)
    assert page.index('name="language"') < page.index("À quel atelier participerez-vous ?")
    assert "Éducation à la paix" in page
    assert "Pourquoi nous le demandons\u00a0:" in page
    arabic = client.get(f"/events/{event.slug}?lang=ar").get_data(as_text=True)
    assert "في أي ورشة ستشارك؟" in arabic


def test_an_untranslated_question_falls_back_to_the_main_language(app, client, create_event):
    event = create_event()
    question = add(app, event, kind="text", texts=texts("Your role"))
    page = client.get(f"/events/{event.slug}?lang=fr").get_data(as_text=True)
    assert f'<label for="q{question}" lang="en" dir="ltr">Your role</label>' in page


def test_answers_are_kept_one_row_each_with_choices_by_option(app, client, create_event):
    event = create_event()
    ids = every_kind(app, event)
    diet = option_ids(app, ids["checkboxes"])
    role = option_ids(app, ids["select"])
    answers = {
        f"q{ids['text']}": "Teacher", f"q{ids['paragraph']}": "Line one\nLine two",
        f"q{ids['yes_no']}": "yes", f"q{ids['country']}": "MA",
        f"q{ids['email']}": "amina@example.org", f"q{ids['phone']}": "+212 600 000 000",
        f"q{ids['number']}": "3", f"q{ids['date']}": "2027-03-08",
        f"q{ids['checkboxes']}": [str(diet[0]), str(diet[1])], f"q{ids['select']}": str(role[1]),
    }
    response = client.post(f"/events/{event.slug}", data=rsvp_form(event, **answers))
    assert response.status_code == 303
    assert _answers(app) == [
        (ids["text"], None, "Teacher"), (ids["paragraph"], None, "Line one\nLine two"),
        (ids["yes_no"], None, "yes"), (ids["country"], None, "MA"),
        (ids["email"], None, "amina@example.org"), (ids["phone"], None, "+212 600 000 000"),
        (ids["number"], None, "3"), (ids["date"], None, "2027-03-08"),
        (ids["checkboxes"], diet[0], ""), (ids["checkboxes"], diet[1], ""),
        (ids["select"], role[1], ""),
    ]


ERRORS = {
    "en": {
        "missing": "Please answer this question.",
        "number": "Please enter a number between 1 and 5.",
        "not_number": "Please enter a number, like 12.",
        "date": "Please enter a date between March 1, 2027 and March 10, 2027.",
        "not_date": "Please enter a date, like 2027-03-08.",
        "email": "Please enter a valid email address, like name@example.org.",
        "phone": "Please enter a phone number, like +212 600 000 000.",
        "country": "Please choose a country from the list.",
        "choice": "Please choose one of the options.",
        "line": "Please write this on one line.",
    },
    "fr": {
        "missing": "Veuillez répondre à cette question.",
        "number": "Veuillez saisir un nombre compris entre 1 et 5.",
        "not_number": "Veuillez saisir un nombre, par exemple 12.",
        "date": "Veuillez saisir une date comprise entre le 1 mars 2027 et le 10 mars 2027.",
        "not_date": "Veuillez saisir une date, par exemple 2027-03-08.",
        "email": "Veuillez saisir une adresse e-mail valide, par exemple nom@example.org.",
        "phone": "Veuillez saisir un numéro de téléphone, par exemple +212 600 000 000.",
        "country": "Veuillez choisir un pays dans la liste.",
        "choice": "Veuillez choisir l’une des options proposées.",
        "line": "Veuillez écrire ceci sur une seule ligne.",
    },
    # Latin text and placeholders isolated (U+2066, U+2068 ... U+2069) inside Arabic.
    "ar": {
        "missing": "يُرجى الإجابة عن هذا السؤال.",
        "number": "يُرجى إدخال عدد بين \u20681\u2069 و\u20685\u2069.",
        "not_number": "يُرجى إدخال عدد، مثل 12.",
        "date": "يُرجى إدخال تاريخ بين \u20681 مارس 2027\u2069 و\u206810 مارس 2027\u2069.",
        "not_date": "يُرجى إدخال تاريخ، مثل \u20662027-03-08\u2069.",
        "email": "يُرجى إدخال عنوان بريد إلكتروني صحيح، مثل \u2066name@example.org\u2069.",
        "phone": "يُرجى إدخال رقم هاتف، مثل \u2066+212 600 000 000\u2069.",
        "country": "يُرجى اختيار بلد من القائمة.",
        "choice": "يُرجى اختيار أحد الخيارات المقترحة.",
        "line": "يُرجى كتابة هذا في سطر واحد.",
    },
}


@pytest.mark.parametrize("language", ["en", "fr", "ar"])
def test_each_kind_refuses_what_it_cannot_take_in_each_language(
    app, client, create_event, language
):
    event = create_event()
    ids = every_kind(app, event)
    client.set_cookie("lang", language)
    bad = {
        f"q{ids['text']}": "two\nlines", f"q{ids['yes_no']}": "maybe",
        f"q{ids['country']}": "XX", f"q{ids['email']}": "not an address",
        f"q{ids['phone']}": "call me", f"q{ids['number']}": "9", f"q{ids['date']}": "2027-04-01",
        f"q{ids['checkboxes']}": "12345", f"q{ids['select']}": "",
    }
    response = client.post(f"/events/{event.slug}", data=rsvp_form(event, **bad))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    words = ERRORS[language]
    expected = {
        "text": words["line"], "paragraph": words["missing"], "yes_no": words["choice"],
        "country": words["country"], "email": words["email"], "phone": words["phone"],
        "number": words["number"], "date": words["date"], "checkboxes": words["choice"],
        "select": words["missing"],
    }
    for kind, message in expected.items():
        assert f'<p class="error" id="q{ids[kind]}-error">{message}</p>' in page, kind
        assert f'<a href="#q{ids[kind]}' in page  # in the error summary
    again = client.post(f"/events/{event.slug}", data=rsvp_form(
        event, **{f"q{ids['number']}": "a few", f"q{ids['date']}": "next week"}))
    text = again.get_data(as_text=True)
    assert words["not_number"] in text
    assert words["not_date"] in text
    with app.app_context():
        assert db.session.scalar(select(Registration.id)) is None


def test_a_full_choice_shows_as_full_and_cannot_be_picked(app, client, create_event):
    event = create_event()
    question = workshop(app, event, places=1)
    first, second = option_ids(app, question)
    assert client.post(f"/events/{event.slug}", data=rsvp_form(
        event, **{f"q{question}": str(first)})).status_code == 303
    page = client.get(f"/events/{event.slug}").get_data(as_text=True)
    assert (f'value="{first}" disabled> <label for="q{question}-0" dir="auto">'
            "Peace education (full)") in page
    refused = client.post(f"/events/{event.slug}", data=rsvp_form(
        event, email="other@example.org", **{f"q{question}": str(first)}))
    assert refused.status_code == 422
    assert "This choice has just become full. Please choose another." in refused.get_data(
        as_text=True)
    with app.app_context():
        assert db.session.get(QuestionOption, first).places_taken == 1
        assert db.session.scalar(select(Registration.email)) == "amina@example.org"
