"""Forms of the invitations feature: the invitee's answers and the organiser's pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    EmailField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from ..forms import Form, email_address, name_text, plain_text, single_line
from ..web import LANGUAGE_LABELS
from . import emails

LANGUAGE_CHOICES = [SelectChoice(code, label) for code, label in LANGUAGE_LABELS.items()]


class DeclineForm(Form):
    message = TextAreaField(
        _l("A message for the organisers"),
        validators=[Optional(), Length(max=2000), plain_text],
    )


class UnsubscribeForm(Form):
    """Only the CSRF token: the confirming click is the whole answer."""


class ImportForm(Form):
    file = FileField(
        _l("Invitee list"),
        validators=[
            FileRequired(_l("Please choose a file.")),
            FileAllowed(["csv", "xlsx", "txt"], _l("Please choose a .csv or .xlsx file.")),
        ],
    )


class ConfirmImportForm(Form):
    """Only the CSRF token: the file itself waits in the database (``PendingImport``)."""


class InviteeForm(Form):
    email = EmailField(
        _l("Email address"),
        validators=[
            InputRequired(),
            Length(max=254),
            email_address,
        ],
    )
    name = StringField(
        _l("Name"),
        filters=[name_text],
        validators=[InputRequired(), Length(max=200), single_line],
    )
    organisation = StringField(
        _l("Organisation"), validators=[Optional(), Length(max=200), single_line]
    )
    language = SelectField(_l("Language of the invitation"), choices=LANGUAGE_CHOICES, default="en")
    note = TextAreaField(
        _l("Note for organisers"), validators=[Optional(), Length(max=2000), plain_text]
    )


def _known_placeholders(form, field) -> None:
    unknown = emails.unknown_placeholders(field.data or "")
    if unknown:
        raise ValidationError(
            _l(
                "Unknown placeholder: %(names)s. You can use %(known)s.",
                names=", ".join("{" + n + "}" for n in unknown),
                known=", ".join("{" + n + "}" for n in emails.PLACEHOLDERS),
            )
        )


class MessageForm(Form):
    subject = StringField(
        _l("Subject"),
        validators=[Optional(), Length(max=200), single_line, _known_placeholders],
    )
    message = TextAreaField(
        _l("Message"),
        validators=[Optional(), Length(max=10_000), plain_text, _known_placeholders],
    )
    language = SelectField(_l("Preview in"), choices=LANGUAGE_CHOICES, default="en")


class ReminderForm(Form):
    interval_days = IntegerField(
        _l("Remind only people who have had no email from us for at least (days)"),
        validators=[InputRequired(), NumberRange(min=1, max=60)],
        default=7,
    )


class ActionForm(Form):
    """Buttons that post a choice of invitees: only the CSRF token is checked here."""
