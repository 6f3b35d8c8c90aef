"""The manage link of a registration: the person's own page, reached from their email, to
confirm their address (or a new one), see their place, change their details, add the event to their
calendar, show their check-in code, or cancel."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from ..erasures import refuse_erased
from ..extensions import db
from ..models import Registration, RegistrationStatus, utcnow
from ..questions.answers import ChoiceFull, Reading, answers_of, event_questions, read_answers
from ..questions.shown import raw_values, shown_questions
from ..web import keep_private
from . import address, holds, services, status
from .calendar import registration_ics
from .emails import manage_url
from .errors import AlreadyRegistered, InvalidDays
from .forms import ConfirmForm, DetailsForm
from .ticket import check_in_qr_png, check_in_url

bp = Blueprint("registrations", __name__, url_prefix="/events/manage")


def _registration_or_404(token: str) -> Registration:
    registration = services.registration_by_token(token)
    if registration is None:
        abort(404)
    refuse_erased(registration=registration)
    return registration


# The pages carry a personal token in their address.
bp.after_request(keep_private)


@bp.route("/confirm/<token>", methods=["GET", "POST"])
def manage_confirm(token: str):
    """The link in the "confirm your address" email (double opt-in). A GET changes nothing
    (mail scanners open links); the button posts, and the person is shown their registration."""
    registration = holds.registration_to_confirm(token)
    if registration is None:
        abort(404)
    refuse_erased(registration=registration)
    form = ConfirmForm()
    if form.validate_on_submit():
        if holds.confirm_address(registration, now=utcnow()):
            db.session.commit()
            flash(_("Thank you: your email address is confirmed. We have sent you an email."),
                  "success")
        return redirect(url_for("registrations.manage", token=registration.token), code=303)
    if registration.status in (RegistrationStatus.CONFIRMED, RegistrationStatus.WAITING):
        return redirect(url_for("registrations.manage", token=registration.token))
    return render_template(
        "registrations/confirm_address.html",
        event=registration.event,
        registration=registration,
        form=form,
    )


@bp.route("/address/<token>", methods=["GET", "POST"])
def manage_address(token: str):
    """The link in the email sent to a new address: following it makes the address the
    registration's. A GET changes nothing (mail scanners open links); the button posts."""
    registration = address.registration_changing_to(token, now=utcnow())
    if registration is None:
        abort(404)
    refuse_erased(registration=registration)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            if address.confirm_change(registration, now=utcnow()):
                db.session.commit()
                flash(_("Thank you: your new email address is confirmed. We have sent you an "
                        "email."), "success")
        except IntegrityError:
            db.session.rollback()
            flash(_("This address is already used by another registration for this event."),
                  "error")
        return redirect(url_for("registrations.manage", token=registration.token), code=303)
    return render_template(
        "registrations/confirm_new_address.html", event=registration.event,
        registration=registration, form=form,
    )


# A cancelled registration, or one the organisers declined (final: cancelling it would let the
# person register again past the decision), is neither changed nor cancelled.
CLOSED = (RegistrationStatus.CANCELLED, RegistrationStatus.DECLINED)


@bp.get("/<token>")
def manage(token: str):
    registration = _registration_or_404(token)
    return render_template(
        "registrations/manage.html",
        event=registration.event,
        registration=registration,
        position=status.waiting_position(registration),
        new_address=address.address_waiting(registration, now=utcnow()),
    )


@bp.route("/<token>/edit", methods=["GET", "POST"])
def manage_edit(token: str):
    registration = _registration_or_404(token)
    if registration.status in CLOSED:
        return redirect(url_for("registrations.manage", token=token))
    event = registration.event
    form = DetailsForm()
    form.set_days(event.days, event.zone)
    questions = _changeable_questions(event)
    previous = raw_values(answers_of(registration))
    reading = Reading()
    if request.method == "GET":
        form.full_name.data = registration.full_name
        form.email.data = (
            address.address_waiting(registration, now=utcnow()) or registration.email
        )
        form.organisation.data = registration.organisation
        form.country.data = registration.country
        form.days.data = [d.isoformat() for d in registration.days]
        form.needs.data = registration.needs
        form.needs_consent.data = bool(registration.needs)
        form.language.data = registration.language.value
    else:
        # A question added after the person registered is not demanded of them.
        reading = read_answers(questions, request.form, lenient=(
            q.id for q in questions if q.id not in previous))
    if request.method == "POST" and form.validate_on_submit() and not reading.errors:
        details = form.details()
        details.questions, details.answers = questions, reading.answered()
        try:
            new_address = services.update_registration(
                registration, details, now=utcnow()
            )
        except AlreadyRegistered:
            db.session.rollback()
            form.email.errors = [
                _("This address is already used by another registration for this event.")
            ]
        except InvalidDays:
            form.days.errors = [_("Please choose days of the event.")]
        except ChoiceFull as full:
            db.session.rollback()
            reading.errors[full.question.id] = _(
                "This choice has just become full. Please choose another."
            )
        else:
            db.session.commit()
            flash(_("Your changes are saved."), "success")
            if new_address is not None:
                flash(_("To use %(email)s, follow the link we have just sent to it. Until then, "
                        "we keep writing to your current address.", email=new_address), "warning")
            return redirect(url_for("registrations.manage", token=token), code=303)
    values = previous if request.method == "GET" else {
        qid: g.raw for qid, g in reading.given.items()}
    held = {value for values in previous.values() for value in values}
    return render_template(
        "registrations/manage_edit.html", event=event, registration=registration, form=form,
        questions=shown_questions(questions, values, reading.errors, held),
    ), (422 if request.method == "POST" else 200)


def _changeable_questions(event) -> list:
    """The questions whose answers may still be changed (none once the event closes it)."""
    if event.answers_close_at is not None and utcnow() >= event.answers_close_at:
        return []
    return event_questions(event)


@bp.get("/<token>/calendar.ics")
def manage_calendar(token: str):
    registration = _registration_or_404(token)
    event = registration.event
    return Response(
        registration_ics(registration, url=manage_url(registration)),
        mimetype="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="{event.slug}.ics"'},
    )


@bp.get("/<token>/check-in-code.png")
def manage_ticket(token: str):
    """The check-in code of a confirmed place, for the manage page (no-store, like it)."""
    registration = _registration_or_404(token)
    if registration.status is not RegistrationStatus.CONFIRMED:
        abort(404)
    return Response(
        check_in_qr_png(check_in_url(registration.check_in_token)), mimetype="image/png"
    )


@bp.route("/<token>/cancel", methods=["GET", "POST"])
def manage_cancel(token: str):
    registration = _registration_or_404(token)
    if registration.status in CLOSED:
        return redirect(url_for("registrations.manage", token=token))
    form = ConfirmForm()
    if form.validate_on_submit():
        status.cancel_registration(registration, now=utcnow())
        db.session.commit()
        flash(_("Your registration is cancelled. We have sent you an email."), "success")
        return redirect(url_for("registrations.manage", token=token), code=303)
    return render_template(
        "registrations/manage_cancel.html", event=registration.event, registration=registration,
        form=form,
    )
