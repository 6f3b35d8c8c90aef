"""Writing emails into the outbox.

An email is a row added to the caller's transaction: it exists if and only if the change that
caused it is committed, and no request ever waits on the mail server. The row names the
renderer that writes it and the arguments it needs; the mail worker renders it when it takes
the row (see ``renderers.py``), so a request that queues ten thousand invitations renders none.
"""

from __future__ import annotations

import base64
import re
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import current_app, render_template
from flask_babel import force_locale
from sqlalchemy import and_, delete, func, insert, or_, select, true, update

from ..extensions import db
from ..models import OutboxMessage, OutboxStatus, utcnow
from ..operations.logs import current_request_id
from ..text import clean_name
from ..transitions import transition
from .renderers import RENDERERS

# Whitespace that may break a line: all of it but the no-break spaces.
_BREAKING_SPACE = re.compile(r"[^\S\u00a0\u202f\u2007]+")


@dataclass(frozen=True)
class Attachment:
    """A file sent with an email. With a ``content_id`` it is also shown inline: the HTML
    refers to it as ``cid:<content_id>``, and it stays a file for readers that block images."""

    filename: str
    content_type: str
    data: bytes
    content_id: str | None = None

    def to_json(self) -> dict[str, str]:
        stored = {
            "filename": self.filename,
            "content_type": self.content_type,
            "data": base64.b64encode(self.data).decode("ascii"),
        }
        if self.content_id:
            stored["content_id"] = self.content_id
        return stored

    @classmethod
    def from_json(cls, value: dict[str, str]) -> Attachment:
        # Rows written before inline images have no content id: plain attachments.
        return cls(
            value["filename"],
            value["content_type"],
            base64.b64decode(value["data"]),
            value.get("content_id"),
        )


@dataclass(frozen=True)
class Email:
    """What a renderer writes for one outbox row."""

    subject: str
    text: str
    html: str
    attachments: tuple[Attachment, ...] = ()
    headers: Mapping[str, str] = field(default_factory=dict)


class RenderError(Exception):
    """The email of a row cannot be written, now or ever (what it was about is gone)."""


@dataclass(frozen=True)
class Renderer:
    """One kind of email the worker writes.

    ``render`` writes the email of a row from the row's ``render`` arguments and what they
    point to, and raises ``RenderError`` when it never can. ``gave_up``, if given, is called
    in the worker's transaction when the row is marked failed, so that what the email was
    about can say so (an invitation that never arrived).
    """

    render: Callable[[OutboxMessage], Email]
    gave_up: Callable[[OutboxMessage], None] | None = None


@dataclass(frozen=True)
class Recipient:
    """Who gets one email (their name, when known, is shown beside the address), and which
    registration or invitation it is about."""

    address: str
    registration_id: int | None = None
    invitation_id: int | None = None
    name: str = ""


def render_email(template: str, language: str, **context: Any) -> Email:
    """Render ``templates/mail/<template>.txt`` and ``.html`` in ``language``.

    The subject is the ``subject`` block of the text template, so that it is written once,
    beside the body it belongs to.
    """
    with force_locale(language):
        text_template = current_app.jinja_env.get_template(f"mail/{template}.txt")
        full_context = dict(context)
        current_app.update_template_context(full_context)
        subject = "".join(text_template.blocks["subject"](text_template.new_context(full_context)))
        text = render_template(f"mail/{template}.txt", **context)
        html = render_template(f"mail/{template}.html", **context)
    # A subject is one header line: no line breaks, however the template was written. The
    # no-break spaces of French typography ("Rappel\u00a0:") stay as they are.
    return Email(subject=_BREAKING_SPACE.sub(" ", subject).strip(), text=text, html=html)


def new_message_id() -> str:
    """A unique Message-ID. Not email.utils.make_msgid: it draws on the random module, whose
    state other code may seed (and does, in property tests), giving two messages one id."""
    sender = current_app.config["MAIL_DEFAULT_SENDER"]
    domain = sender.rpartition("@")[2].rstrip(">").strip() or "localhost"
    return f"<{secrets.token_hex(16)}@{domain}>"


def queue(
    recipients: Recipient | Iterable[Recipient],
    *,
    kind: str,
    renderer: str,
    arguments: Mapping[str, Any] | None = None,
    event_id: int | None = None,
    subject: str = "",
) -> int:
    """Add one email per recipient to the current transaction; the caller commits.

    ``renderer`` names the renderer (one a feature registered, ``renderers.py``) that the
    worker writes them with, and ``arguments`` are what it needs beyond the row (a template
    name, the wording an organiser chose when pressing "send"); they are stored as they are
    now, so editing the wording afterwards changes nothing for emails already queued.
    ``subject``, when the caller knows it already, is what the outbox pages show until the
    worker writes the email.
    Returns how many.
    """
    if renderer not in RENDERERS:
        raise LookupError(f"no renderer registered as {renderer!r}")
    if isinstance(recipients, Recipient):
        recipients = [recipients]
    sender = current_app.config["MAIL_DEFAULT_SENDER"]
    now = utcnow()
    spec = {**(arguments or {}), "renderer": renderer}
    rows = [
        {
            "message_id": new_message_id(),
            "kind": kind,
            "sender": sender,
            "recipient": recipient.address,
            # One line, however it was typed: it becomes part of a header.
            # Names stored before they were cleaned on the way in are cleaned here too.
            "recipient_name": " ".join(clean_name(recipient.name).split())[:200],
            "subject": subject,
            "text_body": "",
            "html_body": "",
            "attachments": [],
            "headers": {},
            "render": spec,
            "status": OutboxStatus.QUEUED,
            "next_attempt_at": now,
            "created_at": now,
            "event_id": event_id,
            "registration_id": recipient.registration_id,
            "invitation_id": recipient.invitation_id,
            "request_id": current_request_id(),
        }
        for recipient in recipients
    ]
    if rows:
        db.session.execute(insert(OutboxMessage), rows)
    return len(rows)


def fill(row: OutboxMessage, email: Email) -> None:
    """Write a rendered email into its row, so that the outbox shows what was sent. The row
    keeps its ``render`` recipe: a retry writes the email again from it."""
    row.subject = email.subject[:300]
    row.text_body = email.text
    row.html_body = email.html
    row.attachments = [a.to_json() for a in email.attachments]
    row.headers = dict(email.headers)


def retry_failed(*, now: datetime, message_id: int | None = None) -> int:
    """Put failed emails back in the queue, due now, with a fresh set of attempts.

    The last error is kept until the next attempt replaces it. Returns how many.
    """
    chosen = true() if message_id is None else OutboxMessage.id == message_id
    return len(
        transition(
            OutboxMessage.status,
            chosen,
            [OutboxStatus.FAILED],
            OutboxStatus.QUEUED,
            next_attempt_at=now,
            attempts=0,
            claimed_until=None,
        )
    )


def drop_unsent(where) -> int:
    """Delete the emails still waiting to go that ``where`` picks: their person was erased,
    or their event's personal data purged, so nobody is left to write to. Returns how many."""
    return db.session.execute(
        delete(OutboxMessage)
        .where(where, OutboxMessage.status == OutboxStatus.QUEUED)
        .execution_options(synchronize_session=False)
    ).rowcount


def drop_attachments(where) -> int:
    """Empty the attachments of the emails that ``where`` picks (a document quoting data
    that is now purged); the email's text stays. Returns how many."""
    return db.session.execute(
        update(OutboxMessage)
        .where(where)
        .values(attachments=[])
        .execution_options(synchronize_session=False)
    ).rowcount


def empty_old_bodies(*, finished_before: datetime, dry_run: bool = False) -> int:
    """Empty what emails finished (sent, or given up) before ``finished_before`` said, and
    their attachments; the row stays, as the record that an email of that kind went to that
    address. Returns how many (on a dry run, how many it would empty)."""
    old = and_(
        OutboxMessage.status.in_([OutboxStatus.SENT, OutboxStatus.FAILED]),
        func.coalesce(OutboxMessage.sent_at, OutboxMessage.created_at) <= finished_before,
        or_(OutboxMessage.text_body != "", OutboxMessage.html_body != ""),
    )
    count = db.session.scalar(select(func.count(OutboxMessage.id)).where(old))
    if count and not dry_run:
        db.session.execute(
            update(OutboxMessage)
            .where(old)
            .values(text_body="", html_body="", attachments=[], headers={})
            .execution_options(synchronize_session=False)
        )
    return count
