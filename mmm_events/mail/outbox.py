"""Writing emails into the outbox.

An email is a row added to the caller's transaction: it exists if and only if the change that
caused it is committed, and no request ever waits on the mail server.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from email.utils import make_msgid
from typing import Any

from flask import current_app
from flask_babel import force_locale

from ..extensions import db
from ..models import OutboxMessage, utcnow


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes

    def to_json(self) -> dict[str, str]:
        return {
            "filename": self.filename,
            "content_type": self.content_type,
            "data": base64.b64encode(self.data).decode("ascii"),
        }

    @classmethod
    def from_json(cls, value: dict[str, str]) -> Attachment:
        return cls(value["filename"], value["content_type"], base64.b64decode(value["data"]))


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def render_email(template: str, language: str, **context: Any) -> RenderedEmail:
    """Render ``templates/mail/<template>.txt`` and ``.html`` in ``language``.

    The subject is the ``subject`` block of the text template, so that it is written once,
    beside the body it belongs to.
    """
    env = current_app.jinja_env
    with force_locale(language):
        current_app.update_template_context(context)
        text_template = env.get_template(f"mail/{template}.txt")
        subject = "".join(text_template.blocks["subject"](text_template.new_context(context)))
        text = text_template.render(context)
        html = env.get_template(f"mail/{template}.html").render(context)
    # A subject is one header line: no line breaks, however the template was written.
    return RenderedEmail(subject=" ".join(subject.split()), text=text, html=html)


def enqueue(
    *,
    recipient: str,
    email: RenderedEmail,
    kind: str,
    attachments: list[Attachment] | tuple[Attachment, ...] = (),
    headers: dict[str, str] | None = None,
    event_id: int | None = None,
    registration_id: int | None = None,
    invitation_id: int | None = None,
) -> OutboxMessage:
    """Add an email to the current transaction; the caller commits."""
    sender = current_app.config["MAIL_DEFAULT_SENDER"]
    domain = sender.rpartition("@")[2].rstrip(">").strip() or None
    message = OutboxMessage(
        message_id=make_msgid(domain=domain),
        kind=kind,
        sender=sender,
        recipient=recipient,
        subject=email.subject,
        text_body=email.text,
        html_body=email.html,
        attachments=[a.to_json() for a in attachments],
        headers=dict(headers or {}),
        next_attempt_at=utcnow(),
        event_id=event_id,
        registration_id=registration_id,
        invitation_id=invitation_id,
    )
    db.session.add(message)
    return message
