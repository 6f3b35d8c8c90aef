"""Forms of the organisers' area."""

from __future__ import annotations

from zoneinfo import available_timezones

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    EmailField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from ..i18n import LANGUAGE_NAMES
from ..models import InvitationAdmits, RegistrationStatus
from ..models.texts import CONTENT_LANGUAGES

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"
SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
_ZONES = available_timezones()


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _valid_zone(form, field) -> None:
    if field.data not in _ZONES:
        raise ValidationError(_l("Please give a time zone such as Africa/Casablanca."))


def _plausible_year(form, field) -> None:
    # Also keeps time-zone arithmetic away from the limits of Python's datetime (year 9999).
    if field.data is not None and not 2000 <= field.data.year <= 2200:
        raise ValidationError(_l("Please give a date between the years 2000 and 2200."))


def _slug_field() -> StringField:
    """The editable web address of an event or a post; empty means "from the title"."""
    return StringField(
        _l("Web address"),
        validators=[
            Optional(),
            Length(max=120),
            Regexp(SLUG_PATTERN, message=_l("Use lower-case letters, digits and dashes only.")),
        ],
    )


def _main_language_field() -> SelectField:
    # Each language named in itself, as a reader of that language looks for it.
    return SelectField(
        _l("Main language"),
        choices=[SelectChoice(code, LANGUAGE_NAMES[code]) for code in CONTENT_LANGUAGES],
        default="en",
    )


def _add_text_fields(form: type, fields: dict) -> None:
    """One copy of each text field per language, named ``<field>_<language>`` (the main
    language's title is demanded by the service, which knows which language is main)."""
    for language in CONTENT_LANGUAGES:
        for name, make in fields.items():
            setattr(form, f"{name}_{language}", make())


def text_data(form: FlaskForm, fields: tuple[str, ...]) -> dict[str, dict[str, str]]:
    """The per-language fields as ``{language: {field: value}}``, what the services take."""
    return {
        language: {name: form[f"{name}_{language}"].data for name in fields}
        for language in CONTENT_LANGUAGES
    }


class EventForm(FlaskForm):
    main_language = _main_language_field()
    slug = _slug_field()
    hashtag = StringField(_l("Hashtag"), validators=[Optional(), Length(max=80)])
    city = StringField(_l("City"), validators=[Optional(), Length(max=120)])
    country = StringField(_l("Country"), validators=[Optional(), Length(max=120)])
    timezone = StringField(
        _l("Time zone"), default="Africa/Casablanca", validators=[InputRequired(), _valid_zone]
    )
    starts_at = DateTimeLocalField(
        _l("Starts"), format=DATETIME_FORMAT, validators=[InputRequired(), _plausible_year]
    )
    ends_at = DateTimeLocalField(
        _l("Ends"), format=DATETIME_FORMAT, validators=[InputRequired(), _plausible_year]
    )
    capacity = IntegerField(
        _l("Number of seats"),
        default=0,
        validators=[InputRequired(), NumberRange(min=0, max=1_000_000)],
    )
    registration_opens_at = DateTimeLocalField(
        _l("Registration opens"), format=DATETIME_FORMAT, validators=[Optional(), _plausible_year]
    )
    registration_closes_at = DateTimeLocalField(
        _l("Registration closes"),
        format=DATETIME_FORMAT,
        validators=[Optional(), _plausible_year],
    )
    contact_email = EmailField(
        _l("Contact email"), validators=[Optional(), Email(), Length(max=254)]
    )
    invite_only = BooleanField(_l("By invitation only"))
    invitation_admits = RadioField(
        _l("Whom an invitation admits"),
        choices=[
            SelectChoice(
                InvitationAdmits.OWN_ADDRESS.value,
                _l("Only the address it was sent to"),
            ),
            SelectChoice(
                InvitationAdmits.ANYONE_ONCE.value, _l("One person, whatever the address")
            ),
            SelectChoice(
                InvitationAdmits.GUESTS.value,
                _l("The person it was sent to, and a number of guests"),
            ),
        ],
        coerce=InvitationAdmits,
        default=InvitationAdmits.OWN_ADDRESS,
    )
    invitation_guests = IntegerField(
        _l("Guests per invitation"),
        default=0,
        # An emptied box means no guests, not a missing value.
        filters=[lambda value: 0 if value is None else value],
        validators=[Optional(), NumberRange(min=0, max=1_000)],
    )
    confirm_email = BooleanField(
        _l("Ask people to confirm their email address before their seat is theirs")
    )
    is_published = BooleanField(_l("Published (visible to the public)"))


_add_text_fields(EventForm, {
    "title": lambda: StringField(_l("Title"), validators=[Optional(), Length(max=200)]),
    "summary": lambda: TextAreaField(_l("Summary"), validators=[Optional(), Length(max=500)]),
    "description": lambda: TextAreaField(
        _l("Description"), validators=[Optional(), Length(max=50_000)]
    ),
    "venue": lambda: StringField(_l("Venue"), validators=[Optional(), Length(max=200)]),
    "invitation_subject": lambda: StringField(
        _l("Invitation subject"), validators=[Optional(), Length(max=200)]
    ),
    "invitation_message": lambda: TextAreaField(
        _l("Invitation message"), validators=[Optional(), Length(max=20_000)]
    ),
})


class NewsForm(FlaskForm):
    main_language = _main_language_field()
    slug = _slug_field()
    published_on = DateField(
        _l("Publication date"), validators=[InputRequired(), _plausible_year]
    )
    event_id = SelectField(_l("About the event"), coerce=int, default=0)
    is_published = BooleanField(_l("Published (visible to the public)"))


_add_text_fields(NewsForm, {
    "title": lambda: StringField(_l("Title"), validators=[Optional(), Length(max=200)]),
    "summary": lambda: TextAreaField(_l("Summary"), validators=[Optional(), Length(max=500)]),
    "body": lambda: TextAreaField(_l("Text"), validators=[Optional(), Length(max=50_000)]),
})


class OrganisersForm(FlaskForm):
    organisers = MultiCheckboxField(_l("Organisers of this event"), coerce=int)


STATUS_CHOICES = [
    SelectChoice(RegistrationStatus.CONFIRMED.value, _l("Confirmed")),
    SelectChoice(RegistrationStatus.WAITING.value, _l("Waiting list")),
    SelectChoice(RegistrationStatus.CANCELLED.value, _l("Cancelled")),
]


class MessageForm(FlaskForm):
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


_add_text_fields(MessageForm, {
    "subject": lambda: StringField(_l("Subject"), validators=[Optional(), Length(max=200)]),
    "body": lambda: TextAreaField(_l("Message"), validators=[Optional(), Length(max=20_000)]),
})


class UserForm(FlaskForm):
    email = EmailField(_l("Email address"), validators=[InputRequired(), Email(), Length(max=254)])
    name = StringField(_l("Name"), validators=[Optional(), Length(max=200)])
    is_admin = BooleanField(_l("Administrator (manages every event and every account)"))
    password = PasswordField(
        _l("Password"),
        validators=[InputRequired(), Length(min=10, max=1000)],
        render_kw={"autocomplete": "new-password"},
    )
