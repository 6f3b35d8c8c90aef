"""The passport details a person gives for a visa letter, and the organiser's decline."""

from __future__ import annotations

import re
from datetime import date

from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from ..forms import Form, name_text, single_line, strip_text
from ..i18n import current_language
from ..models import utcnow
from ..questions.countries import countries
from .letters import PassportDetails

# Letters and digits, as passports print them; spaces and dashes typed between are dropped.
_PASSPORT_NUMBER = re.compile(r"^[A-Z0-9]{5,20}$")
# Nobody travelling to a conference was born before this, and nobody is born in the future.
_EARLIEST_BIRTH = date(1900, 1, 1)


def _passport_number(value):
    return re.sub(r"[\s\-]", "", strip_text(value)).upper()


def _country_choices():
    return [SelectChoice("", _l("Choose a country"))] + [
        SelectChoice(code, name) for code, name in countries(current_language())
    ]


class PassportForm(Form):
    """``event`` (set before validating) is the event the letter invites to: the passport
    must still be valid after its last day."""

    passport_name = StringField(
        _l("Full name as written in your passport"),
        filters=[name_text],
        validators=[
            InputRequired(_l("Please give your name exactly as your passport writes it.")),
            Length(max=200),
            single_line,
        ],
    )
    nationality = SelectField(
        _l("Nationality"),
        choices=_country_choices,
        validators=[InputRequired(_l("Please choose the country that issued your passport."))],
    )
    birth_date = DateField(
        _l("Date of birth"),
        validators=[InputRequired(_l("Please give your date of birth."))],
    )
    passport_number = StringField(
        _l("Passport number"),
        filters=[_passport_number],
        validators=[InputRequired(_l("Please give your passport number."))],
    )
    passport_expires_on = DateField(
        _l("Passport valid until"),
        validators=[InputRequired(_l("Please give the date your passport expires."))],
    )

    event = None

    def validate_nationality(self, field) -> None:
        if field.data not in {code for code, _name in countries(current_language())}:
            raise ValidationError(_l("Please choose the country that issued your passport."))

    def validate_birth_date(self, field) -> None:
        today = utcnow().date()
        if not _EARLIEST_BIRTH <= field.data < today:
            raise ValidationError(
                _l("Please check your date of birth: it must be in the past, after 1900.")
            )

    def validate_passport_number(self, field) -> None:
        if not _PASSPORT_NUMBER.match(field.data or ""):
            raise ValidationError(
                _l("A passport number has 5 to 20 letters and digits; please check it.")
            )

    def validate_passport_expires_on(self, field) -> None:
        last_day = self.event.local_end.date() if self.event is not None else utcnow().date()
        if field.data <= last_day:
            raise ValidationError(
                _l("Your passport must still be valid after the event: it expires before "
                   "the event ends. Please renew it first, or check the date.")
            )

    def summary_errors(self) -> list[tuple[str, str, str]]:
        """(target, label, problem) for the error summary of a page with another form (the
        RSVP form), as ``questions.shown.error_list`` gives the questions'."""
        return [(field.id, str(field.label.text), " ".join(map(str, field.errors)))
                for field in self if field.errors]

    def details(self) -> PassportDetails:
        return PassportDetails(
            passport_name=self.passport_name.data,
            nationality=self.nationality.data,
            birth_date=self.birth_date.data,
            passport_number=self.passport_number.data,
            passport_expires_on=self.passport_expires_on.data,
        )


class LetterDeclineForm(Form):
    message = TextAreaField(
        _l("Message to the person (optional)"),
        filters=[lambda value: (value or "").strip()],
        validators=[Optional(), Length(max=2_000)],
    )
