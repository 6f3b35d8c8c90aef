"""An organiser's message to the registrants of an event, written by the mail worker in
each registrant's language."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from .. import mail
from ..extensions import db
from ..models import Event, Registration, RegistrationStatus

RENDERER = "organiser_message"
KIND_PREFIX = "message:"


def queue_message(
    event: Event, *, kind: str, subject: str, body: str, statuses: list[RegistrationStatus]
) -> int:
    """Queue the message for every registrant of ``event`` with one of ``statuses``."""
    registrants = db.session.execute(
        select(Registration.id, Registration.email)
        .where(Registration.event_id == event.id, Registration.status.in_(statuses))
        .order_by(Registration.id)
    )
    return mail.queue(
        [mail.Recipient(email, registration_id=id_) for id_, email in registrants],
        kind=kind,
        renderer=RENDERER,
        arguments={"subject": subject, "body": body.replace("\r\n", "\n")},
        event_id=event.id,
        subject=subject,
    )


def render_message(row) -> mail.Email:
    registration = None
    if row.registration_id is not None:
        registration = db.session.get(Registration, row.registration_id)
    if registration is None:
        raise mail.RenderError("the registration of this email no longer exists")
    event = registration.event
    return mail.render_email(
        "organiser_message",
        registration.language.value,
        event=event,
        name=registration.full_name,
        subject=row.render["subject"],
        message=row.render["body"],
        contact=event.contact_email or current_app.config["CONTACT_EMAIL"],
    )


ORGANISER_MESSAGE = mail.Renderer(render=render_message)
