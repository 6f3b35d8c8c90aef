"""The organiser's question editor: add, edit, move, remove, missing translations, places."""

from __future__ import annotations

from sqlalchemy import select

from mmm_events.extensions import db
from mmm_events.models import Answer, Question
from tests.conftest import rsvp_form, sign_in
from tests.questions.helpers import option_ids, workshop


def _form(**overrides) -> dict:
    return {
        "kind": "radio", "label_en": "Which workshop?", "label_fr": "Quel atelier ?",
        "purpose_en": "To plan the rooms.",
        "options_en": "Peace education\nMediation", "options_fr": "Éducation à la paix",
        "places": "30\n", **overrides,
    }


def _questions(app, event) -> list[tuple]:
    with app.app_context():
        return [
            (q.position, q.kind.value, q.texts["en"].label,
             [(o.texts["en"].label, o.places) for o in q.live_options])
            for q in db.session.scalars(
                select(Question).where(Question.event_id == event.id,
                                       Question.removed_at.is_(None))
                .order_by(Question.position))
        ]


def test_an_organiser_adds_a_question_and_sees_what_is_not_translated(
    app, client, create_event, create_user
):
    event = create_event()
    sign_in(client, create_user(events=(event,)))
    response = client.post(f"/organiser/events/{event.id}/questions/new", data=_form())
    assert response.status_code == 303
    assert _questions(app, event) == [
        (0, "radio", "Which workshop?", [("Peace education", 30), ("Mediation", None)])
    ]
    page = client.get(f"/organiser/events/{event.id}/questions").get_data(as_text=True)
    assert "Peace education — 0 of 30 places taken" in page
    assert ("Not written in Français: the purpose, the choices. Readers of that language get "
            "the main language.") in page
    assert "Not written in العربية: the question, the purpose, the choices." in page


def test_the_main_language_label_and_choices_are_demanded(app, client, create_event, create_user):
    event = create_event()
    sign_in(client, create_user(events=(event,)))
    response = client.post(f"/organiser/events/{event.id}/questions/new",
                           data=_form(label_en="", options_en=""))
    assert response.status_code == 422
    assert "Please write the question in the main language." in response.get_data(as_text=True)
    assert _questions(app, event) == []


def test_reordering_with_buttons_and_editing_keeps_the_answers(
    app, client, create_event, create_user
):
    event = create_event()
    first = workshop(app, event, places=30)
    client.post(f"/events/{event.slug}", data=rsvp_form(
        event, **{f"q{first}": str(option_ids(app, first)[1])}))
    sign_in(client, create_user(events=(event,)))
    client.post(f"/organiser/events/{event.id}/questions/new", data=_form(
        kind="yes_no", label_en="Do you need a visa letter?", options_en=""))
    second = _questions(app, event)[1]
    assert second[2] == "Do you need a visa letter?"
    with app.app_context():
        second_id = db.session.scalar(select(Question.id).where(Question.kind == "yes_no"))
    client.post(f"/organiser/events/{event.id}/questions/{second_id}/move",
                data={"direction": "up"})
    assert [q[2] for q in _questions(app, event)] == [
        "Do you need a visa letter?", "Which workshop will you join?"]
    # Rewording the chosen option keeps the answer, now read in its new words.
    client.post(f"/organiser/events/{event.id}/questions/{first}", data=_form(
        label_en="Your workshop", options_en="Peace education\nMothers as mediators"))
    assert _questions(app, event)[1] == (
        1, "radio", "Your workshop", [("Peace education", 30), ("Mothers as mediators", None)])
    with app.app_context():
        answer = db.session.scalar(select(Answer))
        assert answer.option.texts["en"].label == "Mothers as mediators"


def test_removing_a_question_with_answers_asks_first_and_keeps_them(
    app, client, create_event, create_user
):
    event = create_event()
    question = workshop(app, event)
    client.post(f"/events/{event.slug}", data=rsvp_form(
        event, **{f"q{question}": str(option_ids(app, question)[0])}))
    sign_in(client, create_user(events=(event,)))
    asked = client.post(f"/organiser/events/{event.id}/questions/{question}/remove")
    assert asked.status_code == 200
    assert "1 person has answered it." in asked.get_data(as_text=True)
    assert len(_questions(app, event)) == 1
    done = client.post(f"/organiser/events/{event.id}/questions/{question}/remove",
                       data={"confirm": "yes"})
    assert done.status_code == 303
    assert _questions(app, event) == []
    with app.app_context():
        assert len(db.session.scalars(select(Answer)).all()) == 1
    assert 'name="q' not in client.get(f"/events/{event.slug}").get_data(as_text=True)


def test_another_organisers_event_is_not_found(app, client, create_event, create_user):
    mine, theirs = create_event(), create_event()
    sign_in(client, create_user(events=(mine,)))
    assert client.get(f"/organiser/events/{theirs.id}/questions").status_code == 404
    assert client.post(f"/organiser/events/{theirs.id}/questions/new",
                       data=_form()).status_code == 404


def test_the_summary_counts_each_choice(app, client, create_event, create_user):
    event = create_event()
    question = workshop(app, event, places=30)
    first, second = option_ids(app, question)
    for n, option in enumerate([first, first, second]):
        client.post(f"/events/{event.slug}", data=rsvp_form(
            event, email=f"p{n}@example.org", **{f"q{question}": str(option)}))
    sign_in(client, create_user(events=(event,)))
    page = client.get(f"/organiser/events/{event.id}/questions/summary").get_data(as_text=True)
    assert (f'<desc id="chart-{question}-desc">Peace education: 2; Mothers and mediation: 1'
            '</desc>') in page
    assert '<td class="count">2 / 30</td>' in page
