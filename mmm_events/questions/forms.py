"""The organiser's forms: one question (its texts in each language, its options one per line),
and the event's settings for answers."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    FloatField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from ..forms import Form, add_text_fields, plausible_year
from ..models import CHOICE_KINDS, QuestionKind
from ..models.texts import CONTENT_LANGUAGES

KIND_NAMES = {
    QuestionKind.TEXT: _l("Short text"),
    QuestionKind.PARAGRAPH: _l("Paragraph"),
    QuestionKind.RADIO: _l("One choice (buttons)"),
    QuestionKind.SELECT: _l("One choice (list)"),
    QuestionKind.CHECKBOXES: _l("Several choices"),
    QuestionKind.YES_NO: _l("Yes or no"),
    QuestionKind.NUMBER: _l("Number"),
    QuestionKind.DATE: _l("Date"),
    QuestionKind.COUNTRY: _l("Country"),
    QuestionKind.EMAIL: _l("Email address"),
    QuestionKind.PHONE: _l("Phone number"),
}


# The texts of a question, as the editor names those not translated.
FIELD_NAMES = {
    "label": _l("the question"),
    "help": _l("the help text"),
    "purpose": _l("the purpose"),
    "options": _l("the choices"),
}


def _lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines()]


class QuestionForm(Form):
    kind = SelectField(
        _l("Kind of answer"),
        choices=[SelectChoice(kind.value, name) for kind, name in KIND_NAMES.items()],
        default=QuestionKind.TEXT.value,
    )
    required = BooleanField(_l("An answer is required"))
    sensitive = BooleanField(
        _l("Sensitive (a passport number, health): left out of lists and exports unless asked "
           "for, and deleted soon after the event")
    )
    places = TextAreaField(
        _l("Places per choice"),
        validators=[Optional(), Length(max=2000)],
    )
    min_number = FloatField(_l("Smallest number allowed"), validators=[Optional()])
    max_number = FloatField(_l("Largest number allowed"), validators=[Optional()])
    min_date = DateField(_l("Earliest date allowed"), validators=[Optional(), plausible_year])
    max_date = DateField(_l("Latest date allowed"), validators=[Optional(), plausible_year])
    depends_on = SelectField(_l("Ask only when"), choices=[], validate_choice=False)

    def set_conditions(self, choices: list[tuple[str, str]]) -> None:
        self.depends_on.choices = [SelectChoice("", _l("Always")), *(
            SelectChoice(value, label) for value, label in choices)]

    def validate_places(self, field) -> None:
        for line in _lines(field.data):
            if line and not (line.isdigit() and int(line) <= 100_000):
                raise ValidationError(_l(
                    "Please write one whole number per line, or leave the line empty for no "
                    "limit."))

    def option_texts(self) -> list[dict[str, Any]]:
        """The options, one per line, matched across languages by their line."""
        per_language = {lang: _lines(self[f"options_{lang}"].data) for lang in CONTENT_LANGUAGES}
        places = _lines(self.places.data)
        count = max((len(lines) for lines in per_language.values()), default=0)
        options = []
        for n in range(count):
            texts = {lang: {"label": lines[n] if n < len(lines) else ""}
                     for lang, lines in per_language.items()}
            if not any(text["label"] for text in texts.values()):
                continue
            limit = places[n] if n < len(places) else ""
            options.append({"texts": texts, "places": int(limit) if limit else None})
        return options

    def description(self) -> dict[str, Any]:
        """What the rules take (``questions.editing``)."""
        parent, _sep, value = (self.depends_on.data or "").partition(":")
        kind = QuestionKind(self.kind.data)
        return {
            "kind": kind.value,
            "required": self.required.data,
            "sensitive": self.sensitive.data,
            "min_number": self.min_number.data,
            "max_number": self.max_number.data,
            "min_date": self.min_date.data,
            "max_date": self.max_date.data,
            "texts": {lang: {name: self[f"{name}_{lang}"].data or "" for name in (
                "label", "help", "purpose")} for lang in CONTENT_LANGUAGES},
            "options": self.option_texts() if kind in CHOICE_KINDS else [],
            "depends_on": int(parent) if parent else None,
            "depends_on_value": value,
        }


add_text_fields(QuestionForm, {
    "label": lambda: StringField(_l("Question"), validators=[Optional(), Length(max=300)]),
    "help": lambda: StringField(_l("Help text"), validators=[Optional(), Length(max=1000)]),
    "purpose": lambda: StringField(
        _l("Why you ask (shown beside the question)"), validators=[Optional(), Length(max=500)]
    ),
    "options": lambda: TextAreaField(
        _l("Choices, one per line"), validators=[Optional(), Length(max=10_000)]
    ),
})


class AnswerSettingsForm(Form):
    answers_close_at = DateTimeLocalField(
        _l("Answers can be changed until"), format="%Y-%m-%dT%H:%M",
        validators=[Optional(), plausible_year],
    )
    sensitive_answer_days = IntegerField(
        _l("Days after the event when sensitive answers are deleted"),
        default=30,
        validators=[InputRequired(), NumberRange(min=0, max=3650)],
    )
