"""What every form of the site shares: the base form, the checkbox-list field, the
validators for one-line text, free text and email addresses, and the fields that events, news
and messages to registrants write in each language."""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from babel import support
from flask import current_app
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.i18n import messages_path
from wtforms.validators import Length, Optional, Regexp, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from .addresses import InvalidEmail, checked_email
from .i18n import LANGUAGE_NAMES
from .models.texts import CONTENT_LANGUAGES
from .text import clean_name

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"

# Line breaks that are not control characters, but still end a header line in some readers.
_LINE_SEPARATORS = {"\u2028", "\u2029", "\u0085"}


def strip_text(value):
    # Anything but text (a file posted in a multipart body, say) counts as nothing typed.
    return value.strip() if isinstance(value, str) else ""


def name_text(value):
    """The filter of a field holding a person's name: stripped, without invisible format
    characters (text.clean_name), before the validators look at it."""
    return clean_name(strip_text(value))


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


def plausible_year(form, field) -> None:
    # Also keeps time-zone arithmetic away from the limits of Python's datetime (year 9999).
    if field.data is not None and not 2000 <= field.data.year <= 2200:
        raise ValidationError(_l("Please give a date between the years 2000 and 2200."))


def slug_field() -> StringField:
    """The editable web address of an event or a post; empty means "from the title"."""
    return StringField(
        _l("Web address"),
        validators=[
            Optional(),
            Length(max=120),
            Regexp(SLUG_PATTERN, message=_l("Use lower-case letters, digits and dashes only.")),
        ],
    )


def main_language_field() -> SelectField:
    # Each language named in itself, as a reader of that language looks for it.
    return SelectField(
        _l("Main language"),
        choices=[SelectChoice(code, LANGUAGE_NAMES[code]) for code in CONTENT_LANGUAGES],
        default="en",
    )


def add_text_fields(form: type, fields: dict) -> None:
    """One copy of each text field per language, named ``<field>_<language>`` (the main
    language's title is demanded by the service, which knows which language is main)."""
    for language in CONTENT_LANGUAGES:
        for name, make in fields.items():
            setattr(form, f"{name}_{language}", make())


def text_data(form: Form, fields: tuple[str, ...]) -> dict[str, dict[str, str]]:
    """The per-language fields as ``{language: {field: value}}``, what the services take."""
    return {
        language: {name: form[f"{name}_{language}"].data for name in fields}
        for language in CONTENT_LANGUAGES
    }
