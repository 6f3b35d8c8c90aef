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
# The ?status= of the tab that lists every email.
ALL = "all"


def outbox_counts() -> dict[OutboxStatus, int]:
    rows = db.session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    )
    counts = {status: 0 for status in OutboxStatus}
    counts.update(dict(rows.all()))
    return counts


def opening_status(counts: dict[OutboxStatus, int]) -> OutboxStatus | None:
    """The tab the outbox opens on: the failed emails when there are any (they need
    attention), otherwise every email (None), never an empty tab."""
    return OutboxStatus.FAILED if counts[OutboxStatus.FAILED] else None


@bp.get("/outbox/")
def outbox():
    admin_required()
    counts = outbox_counts()
    status_arg = request.args.get("status")
    known = {s.value for s in OutboxStatus}
    if status_arg in known:
        status = OutboxStatus(status_arg)
    elif status_arg == ALL:
        status = None
    else:
        status = opening_status(counts)
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc())
    if status is not None:
        query = query.where(OutboxMessage.status == status)
    page = db.paginate(
        query, page=request.args.get("page", 1, type=int), per_page=PER_PAGE, error_out=False
    )
    return render_template(
        "organiser/outbox.html",
        messages=page.items,
        page=page,
        status=status,
        status_arg=status.value if status is not None else ALL,
        counts=counts,
        total=sum(counts.values()),
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
