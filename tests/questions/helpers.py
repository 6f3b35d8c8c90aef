"""Questions for tests: the #Mothers4Peace set, written through the organiser's rules."""

from __future__ import annotations

from datetime import date

from mmm_events.extensions import db
from mmm_events.models import Event, Question, utcnow
from mmm_events.questions.editing import add_question


def texts(en: str, fr: str = "", ar: str = "", **more) -> dict:
    result = {"en": {"label": en, **more}}
    if fr:
        result["fr"] = {"label": fr}
    if ar:
        result["ar"] = {"label": ar}
    return result


def add(app, event: Event, **description) -> int:
    """Add a question to ``event``; its id."""
    with app.app_context():
        question = add_question(db.session.get(Event, event.id), description, now=utcnow())
        db.session.commit()
        return question.id


def option_ids(app, question_id: int) -> list[int]:
    with app.app_context():
        return [o.id for o in db.session.get(Question, question_id).live_options]


def workshop(app, event: Event, places: int | None = 30, required: bool = True) -> int:
    return add(app, event, kind="radio", required=required,
               texts=texts("Which workshop will you join?", "À quel atelier participerez-vous ?",
                           "في أي ورشة ستشارك؟", purpose="To plan the rooms."),
               options=[{"texts": texts("Peace education", "Éducation à la paix",
                                        "التربية على السلام"), "places": places},
                        {"texts": texts("Mothers and mediation", "Mères et médiation",
                                        "الأمهات والوساطة"), "places": places}])


def every_kind(app, event: Event) -> dict[str, int]:
    """One required question of each kind that takes a typed answer."""
    ids = {}
    for kind, extra in {
        "text": {}, "paragraph": {}, "yes_no": {}, "country": {}, "email": {}, "phone": {},
        "number": {"min_number": 1, "max_number": 5},
        "date": {"min_date": date(2027, 3, 1), "max_date": date(2027, 3, 10)},
        "checkboxes": {"options": [{"texts": texts("Vegetarian")}, {"texts": texts("Halal")}]},
        "select": {"options": [{"texts": texts("Member")}, {"texts": texts("Press")}]},
    }.items():
        ids[kind] = add(app, event, kind=kind, required=True, texts=texts(f"Q {kind}"), **extra)
    return ids
