"""The registrant list of an event and each registration, for organisers: routes and form
handling. The rules (filters, counts, status changes) are in ``mmm_events.registrations``."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import _

from ... import audit
from ...extensions import db
from ...i18n import current_language
from ...models import Registration, RegistrationStatus, utcnow
from ...organiser.access import event_for_organiser, of_organisers_event
from ...organiser.blueprint import bp
from ...questions.exports import answer_cells, export_questions, registration_answers
from .. import services as registration_services
from .. import status as registration_status
from ..forms import DeclineForm
from ..management import (
    RegistrantFilter,
    emails_about,
    registrant_page,
    registration_counts,
)


def registration_for_organiser(registration_id: int) -> Registration:
    return of_organisers_event(Registration, registration_id)


@bp.get("/events/<int:event_id>/registrants")
def registrants(event_id: int):
    event = event_for_organiser(event_id)
    f = RegistrantFilter.from_args(request.args, event)
    page = registrant_page(event, f, request.args.get("page", 1, type=int))
    questions = export_questions(event)
    shown = [q for q in questions if q.id in f.columns]
    return render_template(
        "registrations/manage/registrants.html",
        event=event,
        f=f,
        page=page,
        questions=questions,
        columns=shown,
        cells=answer_cells(shown, [r.id for r in page.items], current_language()),
        counts=registration_counts(event),
        statuses=list(RegistrationStatus),
        decline_form=DeclineForm(),
    )


@bp.get("/registrations/<int:registration_id>")
def registration_detail(registration_id: int):
    registration = registration_for_organiser(registration_id)
    # Sensitive answers only when asked for, and each time recorded.
    sensitive = request.args.get("sensitive") == "1"
    if sensitive:
        audit.record(audit.SENSITIVE_ANSWERS_SHOWN, event_id=registration.event_id,
                     subject=registration.email, detail={"registration": registration.id})
        db.session.commit()
    return render_template(
        "registrations/manage/registration.html",
        registration=registration,
        event=registration.event,
        emails=emails_about(registration),
        decline_form=DeclineForm(),
        answers=registration_answers(registration, sensitive=sensitive),
        sensitive=sensitive,
    )


@bp.route("/registrations/<int:registration_id>/cancel", methods=["GET", "POST"])
def cancel_registration(registration_id: int):
    registration = registration_for_organiser(registration_id)
    if request.method == "GET":
        # One tap on a phone must not cancel someone: the button asks first.
        return render_template(
            "registrations/manage/registration_cancel.html",
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
