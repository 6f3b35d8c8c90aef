"""The emails about a visa letter, written by the mail worker: the letter itself (its PDF
attached, rendered from the letter's row when the email is written, so that the outbox row
holds only the recipe until then), and the request declined. Neither body quotes the
passport details; only the attached letter does."""

from __future__ import annotations

from flask import url_for

from .. import mail
from ..extensions import db
from ..registrations.emails import manage_url
from .issued import verification_url
from .letter_pdf import letter_filename, render_letter
from .letters import DECLINED_EMAIL, LETTER_EMAIL, letter_of


def render_letter_email(row) -> mail.Email:
    # Reads without flushing, as the registration emails do (registrations.emails).
    with db.session.no_autoflush:
        return _render(row)


def _render(row) -> mail.Email:
    registration = row.registration
    if registration is None:
        raise mail.RenderError("the registration of this email no longer exists")
    letter = letter_of(registration)
    template = row.render["template"]
    if letter is None:
        raise mail.RenderError("the visa letter of this email no longer exists")
    language = registration.language.value
    context = {
        "registration": registration,
        "event": registration.event,
        "letter": letter,
        "manage_url": manage_url(registration),
        "event_url": url_for("events.detail", slug=registration.event.slug, _external=True),
        "message": row.render.get("message", ""),
    }
    if template == DECLINED_EMAIL:
        return mail.render_email(template, language, **context)
    if not letter.in_force or not letter.has_passport_data:
        raise mail.RenderError("the letter was revoked, or its passport details deleted")
    email = mail.render_email(LETTER_EMAIL, language,
                              verification_url=verification_url(letter.document), **context)
    pdf = mail.Attachment(letter_filename(letter), "application/pdf", render_letter(letter))
    return mail.Email(subject=email.subject, text=email.text, html=email.html,
                      attachments=(pdf,))


VISA_LETTER_EMAIL = mail.Renderer(render=render_letter_email)
