"""The emails about an organiser account: a link to choose a new password, and a warning
that someone is failing to sign in. Queued by the rules, written by the mail worker."""

from __future__ import annotations

from flask import current_app, url_for
from flask_babel import get_locale

from .. import mail
from ..extensions import db
from ..models import User

RENDERER = "account"


def _language() -> str:
    # Accounts keep no language: the one of the page the request came from, the owner's
    # usually; the site's default outside a request.
    locale = get_locale()
    return str(locale) if locale else current_app.config["BABEL_DEFAULT_LOCALE"]


def queue_reset_link(user: User, token: str) -> None:
    # The token travels in the row until the worker writes it into the email; the account
    # keeps only its hash.
    _queue(user, "password_reset", token=token)


def queue_sign_in_warning(user: User) -> None:
    _queue(user, "sign_in_warning")


def _queue(user: User, template: str, **arguments: str) -> None:
    mail.queue(
        mail.Recipient(user.email),
        kind=template,
        renderer=RENDERER,
        arguments={"template": template, "user_id": user.id, "language": _language(), **arguments},
    )


def _links(arguments) -> dict[str, object]:
    if "token" in arguments:
        return {
            "reset_url": url_for("auth.reset_password", token=arguments["token"], _external=True),
            "minutes": current_app.config["PASSWORD_RESET_LINK_MINUTES"],
        }
    return {"reset_request_url": url_for("auth.forgot_password", _external=True)}


def render_account_email(row) -> mail.Email:
    user = db.session.get(User, row.render["user_id"])
    if user is None:
        raise mail.RenderError("the account of this email no longer exists")
    email = mail.render_email(
        row.render["template"], row.render["language"], user=user, **_links(row.render)
    )
    return mail.Email(subject=email.subject, text=email.text, html=email.html)


ACCOUNT_EMAIL = mail.Renderer(render=render_account_email)
