"""The RSVP form and the form to change a registration."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    HiddenField,
    RadioField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from ..forms import (
    Form,
    MultiCheckboxField,
    email_address,
    plain_text,
    single_line,
    strip_text,
)
from ..web import long_date


class DetailsForm(Form):
    full_name = StringField(
        _l("Full name"),
        filters=[strip_text],
        validators=[
            DataRequired(_l("Please enter your name.")),
            Length(max=200, message=_l("Please shorten your name to 200 characters.")),
            single_line,
        ],
        render_kw={"autocomplete": "name"},
    )
    email = StringField(
        _l("Email address"),
        filters=[strip_text],
        validators=[
            DataRequired(_l("Please enter your email address.")),
            Length(max=254, message=_l("Please shorten the email address to 254 characters.")),
            single_line,
            email_address,
        ],
        render_kw={"autocomplete": "email", "type": "email", "spellcheck": "false"},
    )
    organisation = StringField(
        _l("Organisation"),
        filters=[strip_text],
        validators=[
            Optional(),
            Length(max=200, message=_l("Please shorten this to 200 characters.")),
            single_line,
        ],
        render_kw={"autocomplete": "organization"},
    )
    country = StringField(
        _l("Country"),
        filters=[strip_text],
        validators=[
            DataRequired(_l("Please enter your country.")),
            Length(max=120, message=_l("Please shorten this to 120 characters.")),
            single_line,
        ],
        render_kw={"autocomplete": "country-name"},
    )
    days = MultiCheckboxField(_l("Which days will you attend?"), choices=[])
    needs = TextAreaField(
        _l("Accessibility or dietary needs"),
        filters=[strip_text],
        validators=[
            Optional(),
            Length(max=2000, message=_l("Please shorten this to 2,000 characters.")),
            plain_text,
        ],
    )
    needs_consent = BooleanField(
        _l("I consent to Make Mothers Matter keeping these needs, which may concern my "
           "health, to organise my attendance. Without this consent, they are not kept.")
    )
    language = RadioField(
        _l("Language for emails"),
        choices=[
            SelectChoice("en", "English"),
            SelectChoice("fr", "Français"),
            SelectChoice("ar", "العربية"),
        ],
        default="en",
        validators=[DataRequired(_l("Please choose a language."))],
    )

    def set_days(self, days: list[date], zone) -> None:
        self.days.choices = [SelectChoice(d.isoformat(), long_date(d, zone)) for d in days]

    def validate_days(self, field) -> None:
        if len(field.choices) > 1 and not field.data:
            raise ValidationError(_l("Please choose at least one day."))

    def chosen_days(self) -> list[date]:
        return [date.fromisoformat(value) for value in self.days.data or []]


class RegistrationForm(DetailsForm):
    consent = BooleanField(
        _l("I agree that Make Mothers Matter keeps these details to organise the event."),
        validators=[DataRequired(_l("Please tick this box so that we can register you."))],
    )
    invitation = HiddenField()
    # The honeypot: hidden from people (and from screen readers), filled by robots that fill
    # every field. The template renders it by hand, always empty.
    website = StringField(_l("Leave this field empty"), filters=[strip_text])


class EmailLinkForm(Form):
    email = StringField(_l("Email address"), filters=[strip_text], validators=[DataRequired()])


class ConfirmForm(Form):
    """A button and its CSRF token: for actions such as cancelling."""
