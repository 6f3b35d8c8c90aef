"""Writing to the registrants of an event, through the outbox.

Each sending is one batch: its emails share a ``kind`` of ``message:<batch id>``, so that the
page can say, per message, how many are still queued, sent or failed.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from flask import flash, redirect, render_template, url_for
from flask_babel import _, ngettext
from sqlalchemy import func, select

from ... import audit
from ...extensions import db
from ...models import Event, OutboxMessage, OutboxStatus, RegistrationStatus
from ...organiser.access import event_for_organiser
from ...organiser.blueprint import bp
from ..forms import MessageForm
from ..messages import KIND_PREFIX, queue_message


def message_registrants(
    event: Event,
    *,
    subject: str,
    body: str,
    statuses: list[RegistrationStatus],
    translations: dict[str, dict[str, str]] | None = None,
) -> int:
    """Queue the message for every registrant of ``event`` with one of ``statuses``, as one
    batch (its own ``kind``): ``subject`` and ``body`` in the event's main language, and
    ``translations`` ({language: {"subject", "body"}}) for those who read another.
    Returns how many emails were queued; the caller commits."""
    kind = KIND_PREFIX + secrets.token_hex(8)
    return queue_message(
        event,
        kind=kind,
        subject=subject,
        body=body,
        statuses=statuses,
        translations=translations or {},
    )


@dataclass(frozen=True)
class SentMessage:
    kind: str
    subject: str
    created_at: datetime
    queued: int
    sent: int
    failed: int


def sent_messages(event: Event) -> list[SentMessage]:
    """The messages sent to this event's registrants, newest first, with delivery counts."""
    rows = db.session.execute(
        select(
            OutboxMessage.kind,
            OutboxMessage.status,
            func.count(),
            func.min(OutboxMessage.subject),
            func.min(OutboxMessage.created_at),
        )
        .where(
            OutboxMessage.event_id == event.id,
            OutboxMessage.kind.startswith(KIND_PREFIX, autoescape=True),
        )
        .group_by(OutboxMessage.kind, OutboxMessage.status)
    ).all()
    batches: dict[str, dict] = {}
    for kind, status, count, subject, created_at in rows:
        batch = batches.setdefault(
            kind, {"subject": subject, "created_at": created_at, "counts": {}}
        )
        batch["created_at"] = min(batch["created_at"], created_at)
        batch["counts"][status] = count
    messages = [
        SentMessage(
            kind=kind,
            subject=b["subject"],
            created_at=b["created_at"],
            # A row being sent right now is still on its way.
            queued=b["counts"].get(OutboxStatus.QUEUED, 0)
            + b["counts"].get(OutboxStatus.SENDING, 0),
            sent=b["counts"].get(OutboxStatus.SENT, 0),
            failed=b["counts"].get(OutboxStatus.FAILED, 0),
        )
        for kind, b in batches.items()
    ]
    return sorted(messages, key=lambda m: m.created_at, reverse=True)


@bp.route("/events/<int:event_id>/messages", methods=["GET", "POST"])
def event_messages(event_id: int):
    event = event_for_organiser(event_id)
    form = MessageForm()
    if form.validate_on_submit():
        count = message_registrants(
            event,
            subject=form.subject.data,
            body=form.body.data,
            statuses=[RegistrationStatus(s) for s in form.statuses.data],
            translations=form.translations(),
        )
        audit.record(audit.REGISTRANTS_MESSAGED, event_id=event.id, detail={"queued": count})
        db.session.commit()
        if count:
            flash(
                ngettext(
                    "Your message is queued for %(num)d person.",
                    "Your message is queued for %(num)d people.",
                    count,
                ),
                "success",
            )
        else:
            flash(_("Nobody has that status, so no email was sent."), "warning")
        return redirect(url_for("organiser.event_messages", event_id=event.id))
    status = 400 if form.errors else 200
    return render_template(
        "registrations/manage/messages.html", event=event, form=form, messages=sent_messages(event)
    ), status
