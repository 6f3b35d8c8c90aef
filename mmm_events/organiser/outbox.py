"""The outbox, for administrators: what is queued, sent and failed, and retrying failures."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import ngettext
from sqlalchemy import func, select

from ..extensions import db
from ..mail import retry_failed
from ..models import OutboxMessage, OutboxStatus, utcnow
from .access import admin_required
from .blueprint import bp

PER_PAGE = 50


def outbox_counts() -> dict[OutboxStatus, int]:
    rows = db.session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    )
    counts = {status: 0 for status in OutboxStatus}
    counts.update(dict(rows.all()))
    return counts


@bp.get("/outbox/")
def outbox():
    admin_required()
    status_arg = request.args.get("status", OutboxStatus.FAILED.value)
    known = {s.value for s in OutboxStatus}
    status = OutboxStatus(status_arg) if status_arg in known else OutboxStatus.FAILED
    page = max(request.args.get("page", 1, type=int), 1)
    rows = list(
        db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.status == status)
            .order_by(OutboxMessage.id.desc())
            .limit(PER_PAGE + 1)
            .offset((page - 1) * PER_PAGE)
        )
    )
    return render_template(
        "organiser/outbox.html",
        messages=rows[:PER_PAGE],
        has_next=len(rows) > PER_PAGE,
        page=page,
        status=status,
        counts=outbox_counts(),
        statuses=list(OutboxStatus),
    )


@bp.post("/outbox/retry")
def outbox_retry():
    admin_required()
    count = retry_failed(now=utcnow())
    db.session.commit()
    flash(
        ngettext("%(num)d email is queued again.", "%(num)d emails are queued again.", count),
        "success",
    )
    return redirect(url_for("organiser.outbox", status=OutboxStatus.QUEUED.value))


@bp.post("/outbox/<int:message_id>/retry")
def outbox_retry_one(message_id: int):
    admin_required()
    if db.session.get(OutboxMessage, message_id) is None:
        abort(404)
    count = retry_failed(now=utcnow(), message_id=message_id)
    db.session.commit()
    flash(
        ngettext("%(num)d email is queued again.", "%(num)d emails are queued again.", count),
        "success",
    )
    return redirect(url_for("organiser.outbox"))
