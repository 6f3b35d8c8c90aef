"""The summary of an event's answers for the caterer and the room plan: how many registrations
not cancelled chose each option (and yes or no), drawn as bars."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from ..content import localized
from ..extensions import db
from ..models import Answer, Event, Question, QuestionKind, Registration, RegistrationStatus
from .editing import live_questions
from .shown import yes_no_label


@dataclass(frozen=True)
class Bar:
    label: str
    count: int
    places: int | None
    width: float  # per cent of the largest count of its question


@dataclass(frozen=True)
class QuestionCounts:
    question: Question
    label: str
    bars: list[Bar]


def _counts(question: Question) -> dict:
    """{option id or value: registrations not cancelled that gave it}."""
    key = Answer.option_id if question.is_choice else Answer.value
    rows = db.session.execute(
        select(key, func.count(Answer.id))
        .join(Registration, Registration.id == Answer.registration_id)
        .where(Answer.question_id == question.id,
               Registration.status != RegistrationStatus.CANCELLED)
        .group_by(key)
    )
    return dict(rows.all())


def choice_counts(event: Event) -> list[QuestionCounts]:
    """Per question with choices (or yes or no), the count of each, in the event's main
    language: the organiser's working language."""
    language = event.main_language
    summary = []
    for question in live_questions(event):
        if not (question.is_choice or question.kind is QuestionKind.YES_NO):
            continue
        counts = _counts(question)
        if question.is_choice:
            pairs = [(localized(o, "label", language)[0], counts.get(o.id, 0), o.places)
                     for o in question.live_options]
        else:
            pairs = [(yes_no_label(v), counts.get(v, 0), None) for v in ("yes", "no")]
        top = max((count for _label, count, _places in pairs), default=0) or 1
        bars = [Bar(label, count, places, round(100 * count / top, 1))
                for label, count, places in pairs]
        summary.append(QuestionCounts(question, localized(question, "label", language)[0], bars))
    return summary
