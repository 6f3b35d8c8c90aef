from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import EqualTo, InputRequired, Length, Optional

from ..forms import Form, email_address, name_text
from .services import MIN_PASSWORD_LENGTH


class SignInForm(Form):
    email = EmailField(
        _l("Email address"),
        validators=[InputRequired(), Length(max=254)],
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[InputRequired(), Length(max=1000)],
        render_kw={"autocomplete": "current-password"},
    )
    next = HiddenField()


class ForgotPasswordForm(Form):
    email = EmailField(
        _l("Email address"),
        validators=[InputRequired(), Length(max=254)],
        render_kw={"autocomplete": "username"},
    )


class NewPasswordForm(Form):
    password = PasswordField(
        _l("New password"),
        validators=[InputRequired(), Length(min=MIN_PASSWORD_LENGTH, max=1000)],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("The new password again"),
        validators=[
            InputRequired(),
            EqualTo("password", message=_l("The two passwords are not the same.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )


class ChangePasswordForm(NewPasswordForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[InputRequired(), Length(max=1000)],
        render_kw={"autocomplete": "current-password"},
    )


class UserForm(Form):
    email = EmailField(
        _l("Email address"), validators=[InputRequired(), Length(max=254), email_address]
    )
    name = StringField(_l("Name"), filters=[name_text], validators=[Optional(), Length(max=200)])
    is_admin = BooleanField(_l("Administrator (manages every event and every account)"))
    password = PasswordField(
        _l("Password"),
        validators=[InputRequired(), Length(min=10, max=1000)],
        render_kw={"autocomplete": "new-password"},
    )
