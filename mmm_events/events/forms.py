"""The RSVP form, the form that sends the manage link again, and the organiser's event forms."""

from __future__ import annotations

from zoneinfo import available_timezones

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    EmailField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from ..forms import (
    SLUG_PATTERN,
    Form,
    MultiCheckboxField,
    add_text_fields,
    email_address,
    main_language_field,
    plausible_year,
    single_line,
    slug_field,
    strip_text,
)
from ..models import InvitationAdmits
from ..registrations.forms import DetailsForm
from ..web import time_zone_choices

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"
_ZONES = available_timezones()


class RegistrationForm(DetailsForm):
    consent = BooleanField(
        _l("I agree that Make Mothers Matter keeps these details to organise the event."),
        validators=[DataRequired(_l("Please tick this box so that we can register you."))],
    )
    invitation = HiddenField()
    # Shown on events that offer visa letters, with the passport details beside it
    # (documents.forms.PassportForm, prefixed "visa-").
    visa_letter = BooleanField(_l("I need a letter of invitation for my visa"))
    # The honeypot: hidden from people (and from screen readers), filled by robots that fill
    # every field. The template renders it by hand, always empty.
    website = StringField(_l("Leave this field empty"), filters=[strip_text])


class EmailLinkForm(Form):
    email = StringField(_l("Email address"), filters=[strip_text], validators=[DataRequired()])


def _valid_zone(form, field) -> None:
    if field.data not in _ZONES:
        raise ValidationError(_l("Please choose a time zone from the list."))


class EventForm(Form):
    main_language = main_language_field()
    slug = slug_field()
    hashtag = StringField(_l("Hashtag"), validators=[Optional(), Length(max=80)])
    # Zones named in the organiser's language; the value stays the zone's key.
    timezone = SelectField(
        _l("Time zone"),
        choices=time_zone_choices,
        default="Africa/Casablanca",
        validate_choice=False,
        validators=[InputRequired(), _valid_zone],
    )
    starts_at = DateTimeLocalField(
        _l("Starts"), format=DATETIME_FORMAT, validators=[InputRequired(), plausible_year]
    )
    ends_at = DateTimeLocalField(
        _l("Ends"), format=DATETIME_FORMAT, validators=[InputRequired(), plausible_year]
    )
    # No default: an event created with 0 seats would silently turn every registration into a
    # waiting-list place. The organiser types the number the venue holds.
    capacity = IntegerField(
        _l("Number of seats"),
        validators=[
            InputRequired(message=_l("Give the number of seats the venue holds.")),
            NumberRange(min=0, max=1_000_000),
        ],
    )
    registration_opens_at = DateTimeLocalField(
        _l("Registration opens"), format=DATETIME_FORMAT, validators=[Optional(), plausible_year]
    )
    registration_closes_at = DateTimeLocalField(
        _l("Registration closes"),
        format=DATETIME_FORMAT,
        validators=[Optional(), plausible_year],
    )
    contact_email = EmailField(
        _l("Contact email"), validators=[Optional(), Length(max=254), email_address]
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
    requires_approval = BooleanField(
        _l("Registrations require the organisers' approval before they take a seat")
    )
    visa_letters = BooleanField(_l("People may ask for a letter of invitation for their visa"))
    visa_covers_costs = BooleanField(
        _l("The letter says the organisation covers travel and accommodation costs")
    )
    visa_signatory_name = StringField(
        _l("Signatory of the letters: name"),
        filters=[strip_text],
        validators=[Optional(), Length(max=200), single_line],
    )
    passport_data_days = IntegerField(
        _l("Days after the event before passport details are deleted"),
        default=30,
        # An emptied box means the default, not a missing value.
        filters=[lambda value: 30 if value is None else value],
        validators=[Optional(), NumberRange(min=0, max=365)],
    )
    is_published = BooleanField(_l("Published (visible to the public)"))
    # Checked by Pillow in the view (covers.read_cover), where a refusal gets its own status.
    cover = FileField(
        _l("Cover image"), render_kw={"accept": "image/jpeg,image/png,image/webp"}
    )
    remove_cover = BooleanField(_l("Remove the cover image"))
    # The cover sent with an earlier try of this form that came back with an error
    # (covers.keep_pending): the form need not be given the file again.
    kept_cover = HiddenField()


add_text_fields(EventForm, {
    "title": lambda: StringField(_l("Title"), validators=[Optional(), Length(max=200)]),
    "summary": lambda: TextAreaField(_l("Summary"), validators=[Optional(), Length(max=500)]),
    "description": lambda: TextAreaField(
        _l("Description"), validators=[Optional(), Length(max=50_000)]
    ),
    "venue": lambda: StringField(_l("Venue"), validators=[Optional(), Length(max=200)]),
    "city": lambda: StringField(_l("City"), validators=[Optional(), Length(max=120)]),
    "country": lambda: StringField(_l("Country"), validators=[Optional(), Length(max=120)]),
    "invitation_subject": lambda: StringField(
        _l("Invitation subject"), validators=[Optional(), Length(max=200)]
    ),
    "invitation_message": lambda: TextAreaField(
        _l("Invitation message"), validators=[Optional(), Length(max=20_000)]
    ),
    "cover_alt": lambda: StringField(
        _l("What the cover image shows"), validators=[Optional(), Length(max=300)]
    ),
})
# The signatory's role is written per language too ("President", "Présidente", "رئيسة"), but
# shown with the other visa settings, where each box needs its language in its label.
SIGNATORY_ROLE_LABELS = {
    "en": _l("Signatory's role in English"),
    "fr": _l("Signatory's role in French"),
    "ar": _l("Signatory's role in Arabic"),
}
for _language, _label in SIGNATORY_ROLE_LABELS.items():
    setattr(EventForm, f"visa_signatory_role_{_language}", StringField(
        _label, filters=[strip_text], validators=[Optional(), Length(max=200), single_line]
    ))


class DuplicateForm(Form):
    """A copy of an event: its new address and its new start (the rest moves with it)."""

    slug = StringField(
        _l("Web address"),
        validators=[
            InputRequired(_l("Please give the copy its own web address.")),
            Length(max=120),
            Regexp(SLUG_PATTERN, message=_l("Use lower-case letters, digits and dashes only.")),
        ],
    )
    starts_at = DateTimeLocalField(
        _l("Starts"), format=DATETIME_FORMAT, validators=[InputRequired(), plausible_year]
    )


class OrganisersForm(Form):
    organisers = MultiCheckboxField(_l("Organisers of this event"), coerce=int)
