"""Check-in at the door: from the QR code in the confirmation email, or by searching a name.
Routes only; the rules are in ``mmm_events.registrations.management``."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import _
from flask_login import current_user

from ... import audit
from ...extensions import db
from ...models import Event, Registration, RegistrationStatus, utcnow
from ...organiser.access import event_for_organiser
from ...organiser.blueprint import bp
from .. import management
from ..management import CheckInOutcome, CheckInResult

SEARCH_LIMIT = 30


def _registration_by_check_in_token(token: str) -> Registration:
    registration = management.registration_for_check_in(token)
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
    elif registration.status in (
        RegistrationStatus.PENDING, RegistrationStatus.PENDING_WAITING
    ):
        flash(
            _(
                "%(name)s has not confirmed their email address, so cannot be checked in.",
                name=registration.full_name,
            ),
            "error",
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
    """``token`` is the check-in code's secret, never the manage link's (except on tickets
    emailed before they were told apart: see ``Registration.legacy_ticket``)."""
    registration = _registration_by_check_in_token(token)
    if request.method == "POST":
        result = management.check_in(registration, now=utcnow(), by=current_user.id)
        _flash_result(registration, result)
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
        "registrations/manage/check_in_person.html",
        registration=registration,
        event=registration.event,
    )


@bp.get("/events/<int:event_id>/check-in")
def check_in_search(event_id: int):
    event = event_for_organiser(event_id)
    q = " ".join(request.args.get("q", "").split())[:200]
    return render_template(
        "registrations/manage/check_in.html",
        event=event,
        q=q,
        results=management.check_in_search(event, q, SEARCH_LIMIT),
        limit=SEARCH_LIMIT,
    )
