"""Forms of the privacy pages."""

from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..forms import Form, email_address, plain_text, single_line

LANGUAGE_NAMES = {"en": "English", "fr": "Français", "ar": "العربية"}


class ConfirmErasureForm(Form):
    confirm = BooleanField(
        _l("Yes, delete my registration and my data. I understand this cannot be undone."),
        validators=[DataRequired(_l("Please tick this box to confirm."))],
    )


class PersonForm(Form):
    """The administrator's request about one address (export or erase)."""

    email = StringField(
        _l("Email address"),
        validators=[DataRequired(_l("Please enter an email address.")), Length(max=254),
                    single_line, email_address],
    )


class PersonErasureForm(PersonForm):
    confirm = BooleanField(
        _l("I confirm: erase everything held about this address. This cannot be undone."),
        validators=[DataRequired(_l("Please tick this box to confirm."))],
    )


class NoticeForm(Form):
    """One text area per site language, added when the form is built."""


def notice_form(current: dict[str, str] | None) -> Form:
    """The notice form with a field per site language, filled with the version in force."""

    class Form(NoticeForm):
        pass

    for code in current_app.config["LANGUAGES"]:
        setattr(Form, f"body_{code}", TextAreaField(
            LANGUAGE_NAMES.get(code, code),
            validators=[Optional(), Length(max=50_000), plain_text],
        ))
    form = Form()
    if not form.is_submitted() and current:
        for code in current_app.config["LANGUAGES"]:
            getattr(form, f"body_{code}").data = current.get(code, "")
    return form


def notice_bodies(form: Form) -> dict[str, str]:
    return {
        code: getattr(form, f"body_{code}").data or ""
        for code in current_app.config["LANGUAGES"]
    }
