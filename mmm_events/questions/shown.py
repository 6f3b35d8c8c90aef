"""The questions as the RSVP form and the manage pages show them, in the reader's language,
and the answers given, as words (pages, emails) or as values (exports)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cache

from flask_babel import format_date
from flask_babel import gettext as _
from markupsafe import Markup, escape

from ..content import LocalText, local_text, localized
from ..i18n import current_language
from ..models import Answer, Question, QuestionKind
from .answers import field_name
from .countries import countries, country_name


@dataclass(frozen=True)
class ShownOption:
    value: str
    label: LocalText | str
    checked: bool
    full: bool = False


@dataclass
class ShownQuestion:
    question: Question
    name: str
    label: LocalText
    help: LocalText
    purpose: LocalText
    options: list[ShownOption] = field(default_factory=list)
    # A country list: its <option>s written once per language (257 of them), see below.
    options_html: Markup | None = None
    value: str = ""
    error: str | None = None
    condition: str | None = None

    @property
    def kind(self) -> str:
        return self.question.kind.value

    @property
    def target(self) -> str:
        """The element the error summary links to: a group's first box."""
        grouped = self.kind in ("radio", "checkboxes", "yes_no")
        return f"{self.name}-0" if grouped else self.name


def option_label(option, language: str | None = None) -> LocalText:
    return local_text(option, "label", language)


def yes_no_label(value: str) -> str:
    return _("Yes") if value == "yes" else _("No")


def _options(question: Question, chosen: set[str], held: set[str]) -> list[ShownOption]:
    if question.kind is QuestionKind.YES_NO:
        return [ShownOption(v, yes_no_label(v), v in chosen) for v in ("yes", "no")]
    return [
        ShownOption(str(o.id), option_label(o), str(o.id) in chosen,
                    full=o.is_full and str(o.id) not in held)
        for o in question.live_options
    ]


def _condition(question: Question, by_id: Mapping[int, Question]) -> str | None:
    parent = by_id.get(question.depends_on_id)
    if parent is None:
        return None
    if parent.kind is QuestionKind.YES_NO:
        answer = yes_no_label(question.depends_on_value)
    else:
        option = next((o for o in parent.options if str(o.id) == question.depends_on_value), None)
        answer = str(option_label(option)) if option is not None else ""
    return _("Answer this question only if your answer to “%(question)s” is “%(answer)s”.",
             question=str(local_text(parent, "label")), answer=answer)


def shown_questions(
    questions: Sequence[Question],
    values: Mapping[int, list[str]],
    errors: Mapping[int, str],
    held: set[str] = frozenset(),
) -> list[ShownQuestion]:
    """The form's questions with what was given (``values``, raw, by question id) and their
    problems. ``held``: the options the person holds already (shown even when full)."""
    by_id = {q.id: q for q in questions}
    shown = []
    for question in questions:
        chosen = values.get(question.id, [])
        shown.append(ShownQuestion(
            question=question,
            name=field_name(question),
            label=local_text(question, "label"),
            help=local_text(question, "help"),
            purpose=local_text(question, "purpose"),
            options=_options(question, set(chosen), held) if _has_options(question) else [],
            options_html=country_options(current_language(), chosen[0] if chosen else "")
            if question.kind is QuestionKind.COUNTRY else None,
            value=chosen[0] if chosen else "",
            error=errors.get(question.id),
            condition=_condition(question, by_id),
        ))
    return shown


def _has_options(question: Question) -> bool:
    return question.is_choice or question.kind is QuestionKind.YES_NO


@cache
def _country_options(language: str) -> str:
    return "".join(
        f'<option value="{code}">{escape(name)}</option>' for code, name in countries(language)
    )


def country_options(language: str, chosen: str) -> Markup:
    """The country list's options, sorted for ``language``, ``chosen`` selected: built once
    per language, since rendering 257 options on every form cost more than the rest of the
    questions together."""
    html = _country_options(language)
    if chosen.isalpha() and len(chosen) == 2:
        html = html.replace(f'<option value="{chosen}">', f'<option value="{chosen}" selected>', 1)
    return Markup(html)  # noqa: S704 - codes are letters, names escaped above


def error_list(shown: Sequence[ShownQuestion]) -> list[tuple[str, str, str]]:
    """(target, label, problem) for the error summary."""
    return [(s.target, str(s.label), s.error) for s in shown if s.error]


def raw_values(answers: Sequence[Answer]) -> dict[int, list[str]]:
    """The kept answers as the form sends them, to fill the form for a change."""
    values: dict[int, list[str]] = {}
    for answer in answers:
        raw = str(answer.option_id) if answer.option_id is not None else answer.value
        values.setdefault(answer.question_id, []).append(raw)
    return values


def typed_value(question: Question, answers: Sequence[Answer], language: str):
    """One question's answer as a spreadsheet holds it: choices as the options' words joined,
    dates as dates, numbers as numbers, countries by name; None when not answered."""
    if not answers:
        return None
    if question.is_choice:
        return ", ".join(localized(a.option, "label", language)[0] for a in answers if a.option)
    value = answers[0].value
    if question.kind is QuestionKind.NUMBER and value:
        number = Decimal(value)
        return int(number) if number == number.to_integral_value() else float(number)
    if question.kind is QuestionKind.DATE and value:
        return date.fromisoformat(value)
    if question.kind is QuestionKind.COUNTRY and value:
        return country_name(value, language)
    if question.kind is QuestionKind.YES_NO and value:
        return yes_no_label(value)
    return value


def answer_text(question: Question, answers: Sequence[Answer], language: str) -> str:
    """One question's answer in words, for pages and emails."""
    value = typed_value(question, answers, language)
    if isinstance(value, date):
        return format_date(value, "long")
    return "" if value is None else str(value)


def answer_lines(
    questions: Sequence[Question], answers: Sequence[Answer], language: str | None = None
) -> list[tuple[LocalText, str]]:
    """(question label, answer) for each question answered, in the form's order."""
    language = language or current_language()
    by_question: dict[int, list[Answer]] = {}
    for answer in answers:
        by_question.setdefault(answer.question_id, []).append(answer)
    return [
        (local_text(q, "label", language), answer_text(q, by_question[q.id], language))
        for q in questions if q.id in by_question
    ]



def register(app) -> None:
    app.add_template_global(error_list, "question_errors")
