"""Reading a person's answers from the RSVP form by each question's rules, and keeping them.

The rules are the server's, with or without JavaScript: a dependent question is asked (and
may be required) only when the answer it depends on was given; otherwise what was sent for
it is dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from flask_babel import format_date, lazy_ngettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, delete, func, insert, select
from sqlalchemy.orm import joinedload, selectinload

from .. import addresses
from ..extensions import db
from ..i18n import current_language
from ..models import (
    Answer,
    Event,
    OptionText,
    Question,
    QuestionKind,
    QuestionOption,
    QuestionText,
    Registration,
)
from .countries import countries
from .places import claim_place, release_places

TEXT_LIMITS = {QuestionKind.TEXT: 500, QuestionKind.PARAGRAPH: 2000, QuestionKind.PHONE: 40,
               QuestionKind.EMAIL: 254}
_PHONE = re.compile(r"^\+?[0-9][0-9 ().\-]{4,38}$")


class ChoiceFull(Exception):
    """An option with a limit of places had none left when the registration was written."""

    def __init__(self, question: Question):
        super().__init__(question.id)
        self.question = question


def event_questions(event: Event) -> list[Question]:
    """The questions the form asks, in order, with their texts in the reader's language and
    the main one (the only texts a form shows): the questions and their texts in one query,
    the options and theirs in a second (joined together, the rows would multiply)."""
    languages = {current_language(), event.main_language}
    return list(db.session.scalars(
        select(Question)
        .where(Question.event_id == event.id, Question.removed_at.is_(None))
        .order_by(Question.position, Question.id)
        .options(
            joinedload(Question.texts.and_(QuestionText.language.in_(languages))),
            selectinload(Question.options).joinedload(
                QuestionOption.texts.and_(OptionText.language.in_(languages))),
        )
    ).unique())


@dataclass
class Given:
    """What one question received: the raw values (to show the form again), and as kept."""

    question: Question
    raw: list[str] = field(default_factory=list)
    options: list[QuestionOption] = field(default_factory=list)
    value: str = ""

    @property
    def empty(self) -> bool:
        return not self.options and not self.value


@dataclass
class Reading:
    given: dict[int, Given] = field(default_factory=dict)
    errors: dict[int, str] = field(default_factory=dict)

    def answered(self) -> dict[int, Given]:
        """The answers to keep: the questions asked, and given an answer."""
        return {qid: g for qid, g in self.given.items() if not g.empty}


def field_name(question: Question) -> str:
    return f"q{question.id}"


def applies(question: Question, given: Mapping[int, Given]) -> bool:
    """Whether ``question`` is asked, given the answers read before it."""
    if question.depends_on_id is None:
        return True
    parent = given.get(question.depends_on_id)
    if parent is None:
        return False
    if parent.question.is_choice:
        return question.depends_on_value in {str(o.id) for o in parent.options}
    return parent.value == question.depends_on_value


def read_answers(
    questions: Sequence[Question], formdata, *, lenient: Iterable[int] = ()
) -> Reading:
    """Each question's answer from ``formdata`` (a MultiDict), checked by its rules.
    Questions in ``lenient`` are not demanded even when required (a question added after the
    person registered must not stop them changing their other details)."""
    reading = Reading()
    excused = set(lenient)
    for question in questions:
        raw = [v.strip() for v in formdata.getlist(field_name(question)) if v.strip()]
        given = Given(question, raw)
        if not applies(question, reading.given):
            continue
        reading.given[question.id] = given
        if not raw:
            if question.required and question.id not in excused:
                reading.errors[question.id] = str(_l("Please answer this question."))
            continue
        problem = _parse(question, given)
        if problem:
            reading.errors[question.id] = str(problem)
            given.options, given.value = [], ""
    return reading


def _parse(question: Question, given: Given):
    """Fill ``given`` from its raw values; the problem, if any."""
    kind, raw = question.kind, given.raw
    if question.is_choice:
        by_id = {str(o.id): o for o in question.live_options}
        if any(v not in by_id for v in raw) or (kind is not QuestionKind.CHECKBOXES
                                                 and len(raw) > 1):
            return _l("Please choose one of the options.")
        given.options = [by_id[v] for v in dict.fromkeys(raw)]
        return None
    value = raw[0]
    if len(raw) > 1:
        return _l("Please give one answer.")
    if len(value) > TEXT_LIMITS.get(kind, 2000):
        return lazy_ngettext(
            "Please shorten this to %(num)d character.",
            "Please shorten this to %(num)d characters.",
            TEXT_LIMITS.get(kind, 2000),
        )
    parse = _PARSERS.get(kind)
    if parse is not None:
        value, problem = parse(question, value)
        if problem:
            return problem
    elif kind is not QuestionKind.PARAGRAPH and ("\n" in value or "\r" in value):
        return _l("Please write this on one line.")
    given.value = value
    return None


def _yes_no(question: Question, value: str):
    if value not in ("yes", "no"):
        return value, _l("Please choose one of the options.")
    return value, None


def _number(question: Question, value: str):
    try:
        number = Decimal(value.replace(",", ".").replace(" ", ""))
    except InvalidOperation:
        return value, _l("Please enter a number, like 12.")
    if not number.is_finite():
        return value, _l("Please enter a number, like 12.")
    low, high = question.min_number, question.max_number
    if (low is not None and number < Decimal(str(low))) or (
        high is not None and number > Decimal(str(high))
    ):
        return value, _bounds(_plain_number(low), _plain_number(high), _NUMBER_BOUNDS)
    return _plain_number(number), None


def _plain_number(number) -> str | None:
    if number is None:
        return None
    return format(Decimal(str(number)).normalize(), "f")


def _date(question: Question, value: str):
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return value, _l("Please enter a date, like 2027-03-08.")
    low, high = question.min_date, question.max_date
    if (low is not None and day < low) or (high is not None and day > high):
        show = lambda d: d and format_date(d, "long", rebase=False)  # noqa: E731
        return value, _bounds(show(low), show(high), _DATE_BOUNDS)
    return day.isoformat(), None


def _country(question: Question, value: str):
    if value not in {code for code, _name in countries("en")}:
        return value, _l("Please choose a country from the list.")
    return value, None


def _email(question: Question, value: str):
    try:
        return addresses.checked_email(value), None
    except addresses.InvalidEmail:
        return value, _l("Please enter a valid email address, like name@example.org.")


def _phone(question: Question, value: str):
    if not _PHONE.match(value):
        return value, _l("Please enter a phone number, like +212 600 000 000.")
    return value, None


_NUMBER_BOUNDS = (
    _l("Please enter a number between %(low)s and %(high)s."),
    _l("Please enter a number of at least %(low)s."),
    _l("Please enter a number of at most %(high)s."),
)
_DATE_BOUNDS = (
    _l("Please enter a date between %(low)s and %(high)s."),
    _l("Please enter a date on or after %(low)s."),
    _l("Please enter a date on or before %(high)s."),
)


def _bounds(low, high, messages):
    both, at_least, at_most = messages
    if low is not None and high is not None:
        return str(both) % {"low": low, "high": high}
    if low is not None:
        return str(at_least) % {"low": low}
    return str(at_most) % {"high": high}


_PARSERS = {
    QuestionKind.YES_NO: _yes_no,
    QuestionKind.NUMBER: _number,
    QuestionKind.DATE: _date,
    QuestionKind.COUNTRY: _country,
    QuestionKind.EMAIL: _email,
    QuestionKind.PHONE: _phone,
}


def answers_of(registration: Registration) -> list[Answer]:
    return list(db.session.scalars(
        select(Answer).where(Answer.registration_id == registration.id).order_by(Answer.id)
    ))


def save_answers(
    registration: Registration,
    questions: Sequence[Question],
    answered: Mapping[int, Given],
    *,
    held: bool,
    new: bool = False,
) -> None:
    """Replace the registration's answers to ``questions`` by ``answered``; the caller
    commits, or rolls back on ``ChoiceFull``. ``held``: whether the registration holds the
    places of its present choices (not when it was cancelled), which are then given back
    when no longer chosen. New places are claimed in the options' order, so that two
    registrations claiming the same two never wait on each other. ``new``: a registration
    just written, with no answers yet to read."""
    asked = {question.id for question in questions}
    old = [] if new else [a for a in answers_of(registration) if a.question_id in asked]
    old_options = {a.option_id for a in old if a.option_id is not None}
    rows = []
    for qid, given in answered.items():
        if given.options:
            rows += [{"registration_id": registration.id, "question_id": qid,
                      "option_id": o.id, "value": ""} for o in given.options]
        else:
            rows.append({"registration_id": registration.id, "question_id": qid,
                         "option_id": None, "value": given.value})
    chosen = {o.id: (o, g.question) for g in answered.values() for o in g.options}
    for option_id in sorted(chosen):
        option, question = chosen[option_id]
        if (option_id not in old_options or not held) and not claim_place(option):
            raise ChoiceFull(question)
    if held:
        release_places(
            a.option for a in old if a.option_id is not None and a.option_id not in chosen
        )
    for answer in old:
        db.session.delete(answer)
    if rows:
        # One statement for all of them (executemany): an RSVP with ten questions writes ten.
        db.session.flush()
        db.session.execute(insert(Answer), rows)


def release_answers(registration: Registration) -> None:
    """A cancelled registration gives back the places of its choices (its answers stay)."""
    release_places(a.option for a in answers_of(registration) if a.option_id is not None)


def delete_answers(registration_ids: Sequence[int]) -> int:
    """Erasure: the answers go (their places were given back when the places were
    cancelled)."""
    if not registration_ids:
        return 0
    return db.session.execute(
        delete(Answer).where(Answer.registration_id.in_(registration_ids))
        .execution_options(synchronize_session=False)
    ).rowcount


def purge_sensitive_answers(*, now: datetime, dry_run: bool = False) -> dict[int, int]:
    """Delete the answers to sensitive questions of events ended more than their
    ``sensitive_answer_days`` ago; {event id: answers deleted (or that would be)}. The caller
    commits and audits."""
    purged = {}
    sensitive = select(Question.id).where(Question.event_id == bindparam("event"),
                                          Question.sensitive.is_(True))
    for event in db.session.scalars(select(Event).where(Event.ends_at <= now)):
        if event.ends_at + timedelta(days=event.sensitive_answer_days) > now:
            continue
        which = Answer.question_id.in_(sensitive.params(event=event.id).scalar_subquery())
        count = db.session.scalar(select(func.count(Answer.id)).where(which))
        if not count:
            continue
        purged[event.id] = count
        if not dry_run:
            db.session.execute(delete(Answer).where(which)
                               .execution_options(synchronize_session=False))
    return purged
