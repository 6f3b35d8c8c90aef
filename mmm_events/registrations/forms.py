"""The forms of a registration: its details (the RSVP form adds to them), the confirm button
of the manage pages, and the organiser's message to registrants."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    RadioField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from ..forms import (
    Form,
    MultiCheckboxField,
    add_text_fields,
    email_address,
    name_text,
    plain_text,
    single_line,
    strip_text,
)
from ..models import RegistrationStatus
from ..models.texts import CONTENT_LANGUAGES
from ..web import long_date
from .services import RegistrationDetails


class DetailsForm(Form):
    full_name = StringField(
        _l("Full name"),
        filters=[name_text],
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

    def details(self) -> RegistrationDetails:
        """What was typed, as the rules take it. Accessibility or dietary needs are health
        data: kept only with their own explicit consent; without it, what was typed is not
        stored."""
        return RegistrationDetails(
            full_name=self.full_name.data,
            email=self.email.data,
            organisation=self.organisation.data or "",
            country=self.country.data,
            days=self.chosen_days(),
            needs=(self.needs.data or "").strip() if self.needs_consent.data else "",
            language=self.language.data,
        )


class ConfirmForm(Form):
    """A button and its CSRF token: for actions such as cancelling."""


class DeclineForm(Form):
    """Declining a registration (or a selection): the organiser's optional word to each."""

    message = TextAreaField(
        _l("Message to the person"),
        filters=[lambda value: (value or "").strip()],
        validators=[Optional(), Length(max=2_000)],
    )


STATUS_CHOICES = [
    SelectChoice(RegistrationStatus.CONFIRMED.value, _l("Confirmed")),
    SelectChoice(RegistrationStatus.WAITING.value, _l("Waiting list")),
    SelectChoice(RegistrationStatus.CANCELLED.value, _l("Cancelled")),
    SelectChoice(RegistrationStatus.PENDING_APPROVAL.value, _l("Pending approval")),
]


class MessageForm(Form):
    statuses = MultiCheckboxField(
        _l("Send to"),
        choices=STATUS_CHOICES,
        default=[RegistrationStatus.CONFIRMED.value],
        validators=[InputRequired(message=_l("Please choose who receives the message."))],
    )
    # In the event's main language; each registrant whose language is also written below
    # gets that version instead.
    subject = StringField(_l("Subject"), validators=[InputRequired(), Length(max=200)])
    body = TextAreaField(_l("Message"), validators=[InputRequired(), Length(max=20_000)])

    def translations(self) -> dict[str, dict[str, str]]:
        """The versions written in other languages: {language: {"subject", "body"}}."""
        return {
            language: {
                "subject": self[f"subject_{language}"].data,
                "body": self[f"body_{language}"].data,
            }
            for language in CONTENT_LANGUAGES
            if self[f"subject_{language}"].data and self[f"body_{language}"].data
        }

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for language in CONTENT_LANGUAGES:
            subject, body = self[f"subject_{language}"], self[f"body_{language}"]
            if bool(subject.data) != bool(body.data):
                (body if subject.data else subject).errors.append(
                    _l("Please write both the subject and the message in this language, or "
                       "neither.")
                )
                valid = False
        return valid


add_text_fields(MessageForm, {
    "subject": lambda: StringField(_l("Subject"), validators=[Optional(), Length(max=200)]),
    "body": lambda: TextAreaField(_l("Message"), validators=[Optional(), Length(max=20_000)]),
})
