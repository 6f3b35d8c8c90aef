"""The answers as columns of the registrant list and its exports: one per question, the
options' words in the reader's language, several choices joined, dates and numbers typed.

Questions marked sensitive are left out unless the organiser asks for them (the caller
records that in the audit log); removed questions stay while they have answers.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import joinedload

from ..content import localized
from ..extensions import db
from ..models import Answer, Event, Question, QuestionOption
from .answers import answers_of
from .shown import answer_lines, typed_value


def export_questions(event: Event, *, sensitive: bool = False) -> list[Question]:
    query = (
        select(Question)
        .where(
            Question.event_id == event.id,
            or_(Question.removed_at.is_(None),
                exists().where(Answer.question_id == Question.id)),
        )
        .order_by(Question.position, Question.id)
        .options(joinedload(Question.texts))
    )
    if not sensitive:
        query = query.where(Question.sensitive.is_(False))
    return list(db.session.scalars(query).unique())


def question_headers(questions: Sequence[Question], language: str) -> list[str]:
    return [localized(q, "label", language)[0] for q in questions]


def answer_cells(
    questions: Sequence[Question], registration_ids: Sequence[int], language: str
) -> dict[int, list]:
    """{registration id: one typed value per question (None when not answered)}: one query
    for a whole batch of registrations."""
    if not questions or not registration_ids:
        return {}
    by_registration: dict[int, dict[int, list[Answer]]] = {}
    answers = db.session.scalars(
        select(Answer)
        .where(Answer.registration_id.in_(registration_ids),
               Answer.question_id.in_([q.id for q in questions]))
        .order_by(Answer.id)
        .options(joinedload(Answer.option).joinedload(QuestionOption.texts))
    ).unique()
    for answer in answers:
        by_registration.setdefault(answer.registration_id, {}).setdefault(
            answer.question_id, []).append(answer)
    return {
        registration_id: [typed_value(q, given.get(q.id, []), language) for q in questions]
        for registration_id, given in by_registration.items()
    }


def registration_answers(registration, *, sensitive: bool = False, language: str | None = None):
    """(question label, answer in words) of one registration, for its emails and pages;
    sensitive answers only when asked for."""
    answers = answers_of(registration)
    if not answers:
        return []
    return answer_lines(export_questions(registration.event, sensitive=sensitive), answers,
                        language)
