"""The emails about an organiser account: a reset link, and a warning that someone is trying
to sign in. Queued by the request, written by the mail worker."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from flask import current_app, url_for
from flask_babel import get_locale

from ..extensions import db
from ..mail import Pending, RenderError, queue_for_rendering, render_email, renderer
from ..models import OutboxMessage, User

ACCOUNT_RENDERER = "account"


def _language() -> str:
    locale = get_locale()
    return str(locale) if locale else current_app.config["BABEL_DEFAULT_LOCALE"]


def queue_reset_link(user: User, token: str) -> None:
    # The token travels in the row until the worker writes it into the email; only its hash
    # is kept with the account.
    _queue(user, "password_reset", token=token)


def queue_sign_in_warning(user: User) -> None:
    _queue(user, "sign_in_warning")


def _queue(user: User, template: str, **arguments: str) -> None:
    queue_for_rendering(
        [Pending(user.email)],
        renderer=ACCOUNT_RENDERER,
        kind=template,
        arguments={
            "template": template,
            "user_id": user.id,
            "language": _language(),
            **arguments,
        },
    )


def _links(arguments: dict) -> dict[str, object]:
    if "token" in arguments:
        return {
            "reset_url": url_for("auth.reset_password", token=arguments["token"], _external=True),
            "minutes": current_app.config["PASSWORD_RESET_LINK_MINUTES"],
        }
    return {"reset_request_url": url_for("auth.forgot_password", _external=True)}


@renderer(ACCOUNT_RENDERER)
def render_queued(
    rows: Sequence[OutboxMessage],
) -> Iterator[tuple[OutboxMessage, RenderError | None]]:
    for row in rows:
        user = db.session.get(User, row.render["user_id"])
        if user is None:
            yield row, RenderError("the account of this email no longer exists")
            continue
        email = render_email(
            row.render["template"], row.render["language"], user=user, **_links(row.render)
        )
        row.subject, row.text_body, row.html_body = email.subject, email.text, email.html
        row.render = None
        yield row, None
