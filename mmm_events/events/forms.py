"""The RSVP form and the form to change a registration."""

from __future__ import annotations

import unicodedata
from datetime import date
from functools import lru_cache

from babel import support
from flask import current_app
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    RadioField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.i18n import messages_path
from wtforms.validators import DataRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from ..addresses import InvalidEmail, checked_email
from ..web import long_date

# Line breaks that are not control characters, but still end a header line in some readers.
_LINE_SEPARATORS = {"\u2028", "\u2029", "\u0085"}


def _strip(value):
    # Anything but text (a file posted in a multipart body, say) counts as nothing typed.
    return value.strip() if isinstance(value, str) else ""


def single_line(form, field) -> None:
    """No control characters at all: this text may reach an email header or a badge."""
    if any(unicodedata.category(c) == "Cc" or c in _LINE_SEPARATORS for c in field.data or ""):
        raise ValidationError(_l("Please use only letters, numbers and punctuation, on one line."))


def plain_text(form, field) -> None:
    """Free text may have line breaks and tabs, but no other control characters."""
    if any(unicodedata.category(c) == "Cc" and c not in "\n\r\t" for c in field.data or ""):
        raise ValidationError(_l("Please use only letters, numbers and punctuation."))


def email_address(form, field) -> None:
    try:
        checked_email(field.data or "")
    except InvalidEmail as exc:
        raise ValidationError(
            _l("Please enter a valid email address, like name@example.org.")
        ) from exc


@lru_cache(maxsize=8)
def _wtforms_catalogue(locale: str) -> support.NullTranslations:
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


class Form(FlaskForm):
    """FlaskForm, with WTForms' own messages in the page's language from a catalogue read once
    per process: Flask-WTF reads it from disk again on every request that builds a form."""

    class Meta(FlaskForm.Meta):
        def get_translations(self, form):
            if not current_app.config.get("WTF_I18N_ENABLED", True):
                return super().get_translations(form)
            # A form lives within one request, so within one language.
            return _wtforms_catalogue(str(get_locale()))


class MultiCheckboxField(SelectMultipleField):
    """Several choices as checkboxes (the form macro renders it as a fieldset)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class DetailsForm(Form):
    full_name = StringField(
        _l("Full name"),
        filters=[_strip],
        validators=[
            DataRequired(_l("Please enter your name.")),
            Length(max=200, message=_l("Please shorten your name to 200 characters.")),
            single_line,
        ],
        render_kw={"autocomplete": "name"},
    )
    email = StringField(
        _l("Email address"),
        filters=[_strip],
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
        filters=[_strip],
        validators=[
            Optional(),
            Length(max=200, message=_l("Please shorten this to 200 characters.")),
            single_line,
        ],
        render_kw={"autocomplete": "organization"},
    )
    country = StringField(
        _l("Country"),
        filters=[_strip],
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
        filters=[_strip],
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
    website = StringField(_l("Leave this field empty"), filters=[_strip])


class EmailLinkForm(Form):
    email = StringField(_l("Email address"), filters=[_strip], validators=[DataRequired()])


class ConfirmForm(Form):
    """A button and its CSRF token: for actions such as cancelling."""
