"""Check-in at the door: from the QR code in the confirmation email, or by searching a name."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import _
from sqlalchemy import select, update

from ..extensions import db
from ..models import Event, Registration, RegistrationStatus, utcnow
from ..privacy import audit
from .access import event_for_organiser
from .blueprint import bp
from .registrants import RegistrantFilter, filtered_query

SEARCH_LIMIT = 30


class CheckInOutcome(enum.StrEnum):
    CHECKED_IN = "checked_in"
    ALREADY = "already"
    NOT_CONFIRMED = "not_confirmed"


@dataclass(frozen=True)
class CheckInResult:
    outcome: CheckInOutcome
    # When the person was checked in: now, or earlier when they already were.
    checked_in_at: datetime | None


def check_in(registration: Registration, *, now: datetime) -> CheckInResult:
    """Mark a confirmed registrant as arrived, once.

    One conditional UPDATE, so that two organisers scanning the same code at once check the
    person in once and the second is told when the first did.
    """
    changed = db.session.execute(
        update(Registration)
        .where(
            Registration.id == registration.id,
            Registration.status == RegistrationStatus.CONFIRMED,
            Registration.checked_in_at.is_(None),
        )
        .values(checked_in_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(registration)
    if changed == 1:
        return CheckInResult(CheckInOutcome.CHECKED_IN, registration.checked_in_at)
    if registration.checked_in_at is not None:
        return CheckInResult(CheckInOutcome.ALREADY, registration.checked_in_at)
    return CheckInResult(CheckInOutcome.NOT_CONFIRMED, None)


def _registration_by_token(token: str) -> Registration:
    registration = db.session.scalar(select(Registration).where(Registration.token == token))
    if registration is None:
        abort(404)
    event_for_organiser(registration.event_id)
    return registration


def _flash_result(registration: Registration, result: CheckInResult) -> None:
    event: Event = registration.event
    if result.outcome is CheckInOutcome.CHECKED_IN:
        flash(_("%(name)s is checked in.", name=registration.full_name), "success")
    elif result.outcome is CheckInOutcome.ALREADY:
        flash(
            _(
                "%(name)s is already checked in at %(time)s.",
                name=registration.full_name,
                time=result.checked_in_at.astimezone(event.zone).strftime("%H:%M"),
            ),
            "warning",
        )
    elif registration.status is RegistrationStatus.WAITING:
        flash(
            _(
                "%(name)s is on the waiting list, not confirmed, so cannot be checked in.",
                name=registration.full_name,
            ),
            "error",
        )
    else:
        flash(
            _(
                "%(name)s cancelled this registration, so cannot be checked in.",
                name=registration.full_name,
            ),
            "error",
        )


@bp.route("/check-in/<token>", methods=["GET", "POST"])
def check_in_registration(token: str):
    registration = _registration_by_token(token)
    if request.method == "POST":
        _flash_result(registration, check_in(registration, now=utcnow()))
        audit.record(audit.REGISTRANT_CHECKED_IN, event_id=registration.event_id,
                     detail={"registration": registration.id})
        db.session.commit()
        back = request.form.get("back_to_search")
        if back is not None:
            return redirect(
                url_for("organiser.check_in_search", event_id=registration.event_id, q=back)
            )
        return redirect(url_for("organiser.check_in_registration", token=token))
    return render_template(
        "organiser/check_in_person.html", registration=registration, event=registration.event
    )


@bp.get("/events/<int:event_id>/check-in")
def check_in_search(event_id: int):
    event = event_for_organiser(event_id)
    q = " ".join(request.args.get("q", "").split())[:200]
    results: list[Registration] = []
    if q:
        query = filtered_query(event, RegistrantFilter(q=q, sort="name"))
        results = list(db.session.scalars(query.limit(SEARCH_LIMIT)))
    return render_template(
        "organiser/check_in.html", event=event, q=q, results=results, limit=SEARCH_LIMIT
    )
