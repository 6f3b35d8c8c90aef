"""The registrant list of an event and each registration, for organisers: routes and form
handling. The rules (filters, counts, status changes) are in ``mmm_events.registrations``."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import _

from ..extensions import db
from ..models import Registration, RegistrationStatus, utcnow
from ..registrations import services as registration_services
from ..registrations import status as registration_status
from ..registrations.management import (
    RegistrantFilter,
    emails_about,
    registrant_page,
    registration_counts,
)
from .access import event_for_organiser
from .blueprint import bp


def registration_for_organiser(registration_id: int) -> Registration:
    registration = db.session.get(Registration, registration_id)
    if registration is None:
        abort(404)
    event_for_organiser(registration.event_id)
    return registration


@bp.get("/events/<int:event_id>/registrants")
def registrants(event_id: int):
    event = event_for_organiser(event_id)
    f = RegistrantFilter.from_args(request.args, event)
    page = registrant_page(event, f, request.args.get("page", 1, type=int))
    return render_template(
        "organiser/registrants.html",
        event=event,
        f=f,
        page=page,
        counts=registration_counts(event),
        statuses=list(RegistrationStatus),
    )


@bp.get("/registrations/<int:registration_id>")
def registration_detail(registration_id: int):
    registration = registration_for_organiser(registration_id)
    return render_template(
        "organiser/registration.html",
        registration=registration,
        event=registration.event,
        emails=emails_about(registration),
    )


@bp.route("/registrations/<int:registration_id>/cancel", methods=["GET", "POST"])
def cancel_registration(registration_id: int):
    registration = registration_for_organiser(registration_id)
    if request.method == "GET":
        # One tap on a phone must not cancel someone: the button asks first.
        return render_template(
            "organiser/registration_cancel.html",
            registration=registration,
            event=registration.event,
        )
    if registration.status is RegistrationStatus.CANCELLED:
        flash(_("This registration was already cancelled."), "warning")
    else:
        promoted = registration_status.cancel_registration(registration, now=utcnow())
        db.session.commit()
        flash(_("The registration is cancelled and the person is told by email."), "success")
        if promoted is not None:
            flash(
                _(
                    "%(name)s moved up from the waiting list and is now confirmed.",
                    name=promoted.full_name,
                ),
                "success",
            )
    return redirect(url_for("organiser.registration_detail", registration_id=registration.id))


@bp.post("/registrations/<int:registration_id>/promote")
def promote_registration(registration_id: int):
    registration = registration_for_organiser(registration_id)
    if registration.status is not RegistrationStatus.WAITING:
        flash(_("Only someone on the waiting list can be confirmed this way."), "warning")
    elif registration_status.promote_registration(registration, now=utcnow()):
        db.session.commit()
        flash(_("Confirmed: the person is told by email."), "success")
    else:
        db.session.rollback()
        flash(
            _("There is no seat left. Add seats to the event or cancel a registration first."),
            "error",
        )
    return redirect(url_for("organiser.registration_detail", registration_id=registration.id))


@bp.post("/registrations/<int:registration_id>/resend")
def resend_confirmation(registration_id: int):
    registration = registration_for_organiser(registration_id)
    registration_services.send_confirmation(registration)
    db.session.commit()
    flash(_("The email is on its way again."), "success")
    return redirect(url_for("organiser.registration_detail", registration_id=registration.id))
