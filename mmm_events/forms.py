"""What every form of the site shares: the base form, the checkbox-list field, and the
validators for one-line text, free text and email addresses."""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from babel import support
from flask import current_app
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField
from wtforms.i18n import messages_path
from wtforms.validators import ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from .addresses import InvalidEmail, checked_email

# Line breaks that are not control characters, but still end a header line in some readers.
_LINE_SEPARATORS = {"\u2028", "\u2029", "\u0085"}


def strip_text(value):
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
