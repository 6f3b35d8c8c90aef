"""Writing emails into the outbox.

An email is a row added to the caller's transaction: it exists if and only if the change that
caused it is committed, and no request ever waits on the mail server.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_babel import force_locale, get_translations
from jinja2 import pass_context
from markupsafe import Markup
from sqlalchemy import insert

from ..extensions import db
from ..models import OutboxMessage, OutboxStatus, utcnow

_INSERT_OUTBOX = insert(OutboxMessage.__table__)

# Rows per INSERT of a bulk queue: well under every engine's limit on bound parameters.
INSERT_CHUNK = 500


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


def _translators(translations) -> dict[str, Any]:
    """The templates' ``gettext``/``ngettext`` bound to one language's catalogue.

    The same as Flask-Babel's (jinja's "newstyle" gettext), without looking the catalogue up
    again for each of the few dozen strings of an email: a bulk send renders thousands.
    """

    @pass_context
    def gettext(context, string, **variables):
        text = translations.ugettext(string)
        if context.eval_ctx.autoescape:
            # Our own catalogue's text, as jinja's gettext trusts it; ``%`` escapes the values.
            text = Markup(text)  # noqa: S704
        return text % variables

    @pass_context
    def ngettext(context, singular, plural, number, **variables):
        variables.setdefault("num", number)
        text = translations.ungettext(singular, plural, number)
        if context.eval_ctx.autoescape:
            text = Markup(text)  # noqa: S704
        return text % variables

    # ``_`` too: jinja's own ``_`` would look ``gettext`` up again on every call.
    return {"gettext": gettext, "_": gettext, "ngettext": ngettext}


def render_email(template: str, language: str, **context: Any) -> RenderedEmail:
    """Render ``templates/mail/<template>.txt`` and ``.html`` in ``language``.

    The subject is the ``subject`` block of the text template, so that it is written once,
    beside the body it belongs to.
    """
    env = current_app.jinja_env
    with force_locale(language):
        current_app.update_template_context(context)
        context.update(_translators(get_translations()))
        text_template = env.get_template(f"mail/{template}.txt")
        subject = "".join(text_template.blocks["subject"](text_template.new_context(context)))
        text = text_template.render(context)
        html = env.get_template(f"mail/{template}.html").render(context)
    # A subject is one header line: no line breaks, however the template was written.
    return RenderedEmail(subject=" ".join(subject.split()), text=text, html=html)


def _message_id(domain: str | None) -> str:
    """A unique Message-ID. Not email.utils.make_msgid: it draws on the random module, whose
    state other code may seed (and does, in property tests), giving two messages one id."""
    return f"<{secrets.token_hex(16)}@{domain or 'localhost'}>"


def _sender_and_domain() -> tuple[str, str | None]:
    sender = current_app.config["MAIL_DEFAULT_SENDER"]
    return sender, sender.rpartition("@")[2].rstrip(">").strip() or None


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
    sender, domain = _sender_and_domain()
    message = OutboxMessage(
        message_id=_message_id(domain),
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


# Rendering in the worker ------------------------------------------------------------------

class RenderError(Exception):
    """The email of a row cannot be rendered, now or ever (what it was about is gone)."""


# A renderer takes a batch of claimed rows whose ``render`` names it, fills each row's
# subject, bodies, attachments and headers (and sets ``render`` to None), and yields each row
# as soon as it is ready, with None or the RenderError that stopped it: the worker sends a
# row while the renderer prepares the next.
Renderer = Callable[[Sequence[OutboxMessage]], Iterator[tuple[OutboxMessage, RenderError | None]]]
RENDERERS: dict[str, Renderer] = {}


def renderer(name: str) -> Callable[[Renderer], Renderer]:
    """Register a renderer for rows queued with ``queue_for_rendering(renderer=name)``."""

    def register(function: Renderer) -> Renderer:
        RENDERERS[name] = function
        return function

    return register


@dataclass(frozen=True)
class Pending:
    """One email to be rendered by the worker: who gets it and what it is about."""

    recipient: str
    invitation_id: int | None = None
    registration_id: int | None = None


def queue_for_rendering(
    emails: Iterable[Pending],
    *,
    renderer: str,
    kind: str,
    arguments: dict[str, Any] | None = None,
    event_id: int | None = None,
) -> int:
    """Add many emails to the current transaction, for the worker to render and send.

    A few INSERT statements however many emails, and no template rendered: a bulk send
    returns at once. The worker fills subject, bodies, attachments and headers when it takes
    the rows, so the outbox pages show them from then on. ``arguments`` go to the renderer,
    e.g. the wording chosen when the organiser pressed "send". Returns how many were queued.
    """
    rows = rows_for_rendering(
        emails, renderer=renderer, kind=kind, arguments=arguments, event_id=event_id
    )
    insert_rows(rows)
    return len(rows)


def rows_for_rendering(
    emails: Iterable[Pending],
    *,
    renderer: str,
    kind: str,
    arguments: dict[str, Any] | None = None,
    event_id: int | None = None,
) -> list[dict[str, Any]]:
    """The outbox rows ``queue_for_rendering`` adds, for a caller that writes them itself:
    with ``insert_rows``, or within a statement of its own (an RSVP on PostgreSQL)."""
    if renderer not in RENDERERS:
        raise LookupError(f"no renderer registered as {renderer!r}")
    sender, domain = _sender_and_domain()
    now = utcnow()
    spec = {"renderer": renderer, **(arguments or {})}
    return [
        {
            "message_id": _message_id(domain),
            "kind": kind,
            "sender": sender,
            "recipient": email.recipient,
            "subject": "",
            "text_body": "",
            "html_body": "",
            "attachments": [],
            "headers": {},
            "render": spec,
            "status": OutboxStatus.QUEUED,
            "attempts": 0,
            "next_attempt_at": now,
            "last_error": "",
            "created_at": now,
            "event_id": event_id,
            "registration_id": email.registration_id,
            "invitation_id": email.invitation_id,
        }
        for email in emails
    ]


def insert_rows(rows: Sequence[dict[str, Any]]) -> None:
    # On the table, not the mapped class: the ORM's bulk path costs a one-row queue (an RSVP)
    # more than the statement itself.
    for start in range(0, len(rows), INSERT_CHUNK):
        db.session.execute(_INSERT_OUTBOX, rows[start : start + INSERT_CHUNK])
