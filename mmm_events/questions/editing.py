"""The organiser's rules for questions: add, change, move, remove; the caller commits.

A question or an option is described as a plain dict (the editor's form gives one, and so
does an event file, ``events.transfer``):

    {"kind": "radio", "required": True, "sensitive": False,
     "texts": {"en": {"label": ..., "help": ..., "purpose": ...}, "fr": {...}},
     "options": [{"texts": {"en": {"label": "Workshop A"}}, "places": 30}],
     "min_number": None, "max_number": None, "min_date": None, "max_date": None,
     "depends_on": None, "depends_on_value": ""}
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update

from ..extensions import db
from ..models import (
    CHOICE_KINDS,
    Answer,
    Event,
    Question,
    QuestionKind,
    QuestionOption,
)
from ..models.texts import CONTENT_LANGUAGES

QUESTION_TEXTS = ("label", "help", "purpose")
_SETTINGS = ("required", "sensitive", "min_number", "max_number", "min_date", "max_date")


class QuestionError(ValueError):
    """A description the rules refuse; the message says what to change."""


def _set_texts(owner: Any, texts: Mapping[str, Mapping[str, str]], fields: Sequence[str]):
    for language in CONTENT_LANGUAGES:
        given = texts.get(language) or {}
        if any(given.get(f) for f in fields) or language in owner.texts:
            text = owner.text_in(language)
            for name in fields:
                setattr(text, name, (given.get(name) or "").strip())


def _check(event: Event, description: Mapping[str, Any]) -> QuestionKind:
    try:
        kind = QuestionKind(description.get("kind"))
    except ValueError as exc:
        raise QuestionError("kind") from exc
    main = (description.get("texts") or {}).get(event.main_language) or {}
    if not (main.get("label") or "").strip():
        raise QuestionError("label")
    if kind in CHOICE_KINDS and not description.get("options"):
        raise QuestionError("options")
    return kind


def _set_options(question: Question, options: Sequence[Mapping[str, Any]], now: datetime):
    """Options are matched by position: the n-th keeps its id (and the answers given to it),
    reworded; options beyond the new list are removed (kept for the answers)."""
    live = question.live_options
    for position, described in enumerate(options):
        option = live[position] if position < len(live) else None
        if option is None:
            option = QuestionOption(position=position)
            question.options.append(option)
        option.position = position
        places = described.get("places")
        option.places = int(places) if places not in (None, "") else None
        _set_texts(option, described.get("texts") or {}, ("label",))
    for option in live[len(options):]:
        option.removed_at = now


def add_question(event: Event, description: Mapping[str, Any], *, now: datetime) -> Question:
    kind = _check(event, description)
    position = db.session.scalar(
        select(func.coalesce(func.max(Question.position), -1) + 1)
        .where(Question.event_id == event.id)
    )
    question = Question(event=event, kind=kind, position=position)
    db.session.add(question)
    _apply(question, description, now=now)
    db.session.flush()
    return question


def change_question(question: Question, description: Mapping[str, Any], *, now: datetime):
    question.kind = _check(question.event, description)
    _apply(question, description, now=now)
    db.session.flush()


def _apply(question: Question, description: Mapping[str, Any], *, now: datetime) -> None:
    for name in _SETTINGS:
        setattr(question, name, description.get(name) or (False if name in (
            "required", "sensitive") else None))
    _set_texts(question, description.get("texts") or {}, QUESTION_TEXTS)
    depends_on = description.get("depends_on")
    question.depends_on_id = depends_on.id if isinstance(depends_on, Question) else depends_on
    question.depends_on_value = str(description.get("depends_on_value") or "")
    if question.is_choice:
        _set_options(question, description.get("options") or [], now)


def move_question(question: Question, step: int) -> bool:
    """Swap ``question`` with its neighbour above (step -1) or below (+1)."""
    siblings = live_questions(question.event)
    index = siblings.index(question)
    other = index + step
    if not 0 <= other < len(siblings):
        return False
    for position, sibling in enumerate(siblings):
        sibling.position = position
    question.position, siblings[other].position = other, index
    return True


def live_questions(event: Event) -> list[Question]:
    return list(db.session.scalars(
        select(Question)
        .where(Question.event_id == event.id, Question.removed_at.is_(None))
        .order_by(Question.position, Question.id)
    ))


def answer_count(question: Question) -> int:
    return db.session.scalar(
        select(func.count(func.distinct(Answer.registration_id)))
        .where(Answer.question_id == question.id)
    )


def remove_question(question: Question, *, now: datetime) -> None:
    """Off the form; its answers stay until the retention purge. Questions that depended on
    it are asked unconditionally from now on."""
    question.removed_at = now
    db.session.execute(
        update(Question).where(Question.depends_on_id == question.id)
        .values(depends_on_id=None, depends_on_value="")
        .execution_options(synchronize_session="fetch")
    )


def _missing(owner: Any, fields: Sequence[str], language: str) -> list[str]:
    """The ``fields`` written in the main language but not in ``language``."""
    main, own = owner.texts.get(owner.main_language), owner.texts.get(language)
    return [f for f in fields
            if main is not None and getattr(main, f) and (own is None or not getattr(own, f))]


def missing_translations(question: Question) -> dict[str, list[str]]:
    """Per language, the texts a reader of it gets in the main language instead."""
    missing = {}
    for language in CONTENT_LANGUAGES:
        if language == question.main_language:
            continue
        fields = _missing(question, QUESTION_TEXTS, language)
        if any(_missing(o, ("label",), language) for o in question.live_options):
            fields.append("options")
        if fields:
            missing[language] = fields
    return missing
