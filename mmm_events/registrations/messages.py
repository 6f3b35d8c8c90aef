"""An organiser's message to the registrants of an event, written by the mail worker in
each registrant's language."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from .. import mail
from ..content import LocalText
from ..extensions import db
from ..models import Event, Registration, RegistrationStatus

RENDERER = "organiser_message"
KIND_PREFIX = "message:"


def queue_message(
    event: Event,
    *,
    kind: str,
    subject: str,
    body: str,
    statuses: list[RegistrationStatus],
    translations: dict[str, dict[str, str]] | None = None,
) -> int:
    """Queue the message for every registrant of ``event`` with one of ``statuses``:
    ``subject`` and ``body`` are in the event's main language, ``translations`` hold the
    versions in other languages ({language: {"subject", "body"}})."""
    versions = {
        language: {"subject": t["subject"], "body": t["body"].replace("\r\n", "\n")}
        for language, t in (translations or {}).items()
        if language != event.main_language
    }
    versions[event.main_language] = {"subject": subject, "body": body.replace("\r\n", "\n")}
    registrants = db.session.execute(
        select(Registration.id, Registration.email, Registration.full_name)
        .where(Registration.event_id == event.id, Registration.status.in_(statuses))
        .order_by(Registration.id)
    )
    return mail.queue(
        [
            mail.Recipient(email, registration_id=id_, name=name)
            for id_, email, name in registrants
        ],
        kind=kind,
        renderer=RENDERER,
        arguments={
            "subject": subject,
            "body": versions[event.main_language]["body"],
            "language": event.main_language,
            "versions": versions,
        },
        event_id=event.id,
        subject=subject,
    )


def render_message(row) -> mail.Email:
    registration = row.registration
    if registration is None:
        raise mail.RenderError("the registration of this email no longer exists")
    event = registration.event
    language = registration.language.value
    # Messages queued before they had versions hold one text, in the main language.
    main_language = row.render.get("language", event.main_language)
    versions = row.render.get("versions") or {main_language: row.render}
    version_lang = language if language in versions else main_language
    version = versions[version_lang]
    return mail.render_email(
        "organiser_message",
        language,
        event=event,
        name=registration.full_name,
        subject=version["subject"],
        message=version["body"],
        message_text=LocalText(text="", lang=version_lang, page_lang=language),
        contact=event.contact_email or current_app.config["CONTACT_EMAIL"],
    )


ORGANISER_MESSAGE = mail.Renderer(render=render_message)
