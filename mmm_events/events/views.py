"""Public event pages: the list, the invitation with its RSVP form, and the manage page."""

from __future__ import annotations

import math
from datetime import datetime

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext

from ..extensions import db, limiter
from ..i18n import current_language
from ..models import Registration, RegistrationStatus, utcnow
from ..operations import count_registration
from ..privacy import consent as privacy_consent
from ..privacy.views import refuse_erased
from ..registrations import holds, limits, status
from ..registrations import services as registrations
from ..registrations.emails import manage_url
from ..registrations.ticket import check_in_qr_png, check_in_url
from . import services
from .calendar import registration_ics
from .forms import ConfirmForm, DetailsForm, EmailLinkForm, RegistrationForm

bp = Blueprint("events", __name__, url_prefix="/events")


@bp.get("/")
def index():
    now = utcnow()
    return render_template(
        "events/index.html",
        upcoming=services.upcoming_events(now),
        past=services.past_events(now),
    )


def _details(form: DetailsForm) -> registrations.RegistrationDetails:
    return registrations.RegistrationDetails(
        full_name=form.full_name.data,
        email=form.email.data,
        organisation=form.organisation.data or "",
        country=form.country.data,
        days=form.chosen_days(),
        needs=privacy_consent.special_category_kept(form.needs.data, form.needs_consent.data),
        language=form.language.data,
    )


def _prefill(form: RegistrationForm, event, invitation) -> None:
    """Every day ticked, the page's language, and what the invitation knows of the person."""
    form.days.data = [d.isoformat() for d in event.days]
    form.language.data = current_language()
    if invitation is not None:
        form.full_name.data = invitation.name
        form.email.data = invitation.email
        form.organisation.data = invitation.organisation
        form.language.data = invitation.language.value
        form.invitation.data = invitation.token


def _contact(event) -> str:
    return event.contact_email or current_app.config["CONTACT_EMAIL"]


def _retry_in(until: datetime, now: datetime) -> tuple[int, str]:
    """Seconds until ``until`` (for Retry-After), and the words that say so."""
    seconds = max(1, math.ceil((until - now).total_seconds()))
    minutes = math.ceil(seconds / 60)
    return seconds, ngettext(
        "Too many registrations were sent from your network, or for this event, in a short "
        "time. Please try again in %(num)d minute.",
        "Too many registrations were sent from your network, or for this event, in a short "
        "time. Please try again in %(num)d minutes.",
        minutes,
    )


@bp.route("/<slug>", methods=["GET", "POST"])
def detail(slug: str):
    # Longer than most views: every outcome of the RSVP re-renders this one page with the
    # same form and event, which the nested page() keeps in one place.
    event = services.published_event(slug)
    if event is None:
        abort(404)
    now = utcnow()
    state = event.registration_state(now)
    token = request.values.get("invitation", "", type=str)
    invitation = registrations.invitation_for(event, token)
    form = RegistrationForm()
    form.set_days(event.days, event.zone)
    refusal = notice = None
    if state == "open" and event.invite_only and invitation is None:
        refusal = _(
            "This event is by invitation only. Please use the link in your invitation email."
        )

    def page(status: int = 200, headers: dict | None = None):
        return render_template(
            "events/detail.html",
            event=event,
            registration_state=state,
            form=form,
            invitation=invitation,
            refusal=refusal,
            notice=notice,
        ), status, headers or {}

    if request.method == "GET":
        _prefill(form, event, invitation)
        return page()

    if state != "open":
        count_registration("closed")
        return page(409)
    if refusal is not None:
        count_registration("refused")
        return page(403)
    # Refused input: the form again with its messages, as 422 (Unprocessable Content).
    if not form.validate_on_submit():
        count_registration("invalid")
        return page(422)
    if form.website.data:
        # The field people never see: only a robot fills it. It is not told which field
        # gave it away; a person whose browser filled it sends the form again, now empty.
        count_registration("honeypot")
        notice = _("We could not register you. Please check the form and send it again.")
        return page(422)
    try:
        limits.count_rsvp(event, request.remote_addr or "", now=now)
    except limits.TooManyAttempts as refused:
        count_registration("limited")
        seconds, notice = _retry_in(refused.until, now)
        return page(429, {"Retry-After": str(seconds)})
    try:
        outcome = registrations.register(event, _details(form), now=now, invitation=invitation)
    except registrations.RegistrationError as error:
        db.session.rollback()
        count_registration("refused")
        status_code, notice = _refused_registration(error, form, event)
        if status_code == 409:
            refusal, notice = notice, None
        return page(status_code)
    if not outcome.created:
        db.session.rollback()
        count_registration("duplicate")
        return render_template(
            "events/already_registered.html",
            event=event,
            link_form=EmailLinkForm(email=form.email.data),
        )
    privacy_consent.record_consent(registration=outcome.registration, now=now)
    registration_id = outcome.registration.id  # read before the commit expires it (a query)
    status = outcome.registration.status.value
    db.session.commit()
    count_registration(status)
    session["registration_id"] = registration_id
    return redirect(url_for("events.registered", slug=slug), code=303)


def _refused_registration(
    error: registrations.RegistrationError, form: RegistrationForm, event
) -> tuple[int, str | None]:
    """The status code of a refused registration, and the words for the whole form (a field's
    own error goes on the field)."""
    if isinstance(error, registrations.InvalidDays):
        form.days.errors = [_("Please choose days of the event.")]
        return 422, None
    if isinstance(error, registrations.InvalidEmail):
        form.email.errors = [_("Please enter a valid email address, like name@example.org.")]
        return 422, None
    if isinstance(error, registrations.InvitationForSomeoneElse):
        form.email.errors = [
            _(
                "This invitation was sent to another email address. Please register with the "
                "address it was sent to, or ask the organiser (%(contact)s) to invite you.",
                contact=_contact(event),
            )
        ]
        return 422, None
    if isinstance(error, registrations.InvitationUsedUp):
        return 422, _(
            "This invitation has already admitted as many people as it may. Please ask the "
            "organiser (%(contact)s) to invite you.",
            contact=_contact(event),
        )
    # Closed, or no longer invited: the rules are checked above; this is only a change
    # between those checks and now.
    return 409, _("Registration is not possible at the moment. Please reload the page.")


@bp.get("/<slug>/registered")
def registered(slug: str):
    """The result of the RSVP, shown once to the browser that sent it."""
    registration_id = session.get("registration_id")
    registration = (
        db.session.get(Registration, registration_id) if isinstance(registration_id, int) else None
    )
    if registration is None or registration.event.slug != slug:
        return redirect(url_for("events.detail", slug=slug))
    return render_template(
        "events/registered.html",
        event=registration.event,
        registration=registration,
        position=status.waiting_position(registration),
    )


@bp.post("/<slug>/send-link")
@limiter.limit("10 per hour")
def send_link(slug: str):
    """Email the manage link again, to the address itself: nothing is shown here."""
    event = services.published_event(slug)
    if event is None:
        abort(404)
    form = EmailLinkForm()
    if form.validate_on_submit():
        registrations.send_manage_link(event, form.email.data)
        db.session.commit()
    flash(
        _(
            "If this address is registered for this event, we have just sent it the link "
            "to your registration. Please check your inbox."
        ),
        "success",
    )
    return redirect(url_for("events.detail", slug=event.slug), code=303)


def _registration_or_404(token: str) -> Registration:
    registration = registrations.registration_by_token(token)
    if registration is None:
        abort(404)
    refuse_erased(registration=registration)
    return registration


@bp.after_request
def private_pages(response):
    # Manage pages carry a secret in their address: keep them out of caches and referrers.
    if request.endpoint and request.endpoint.startswith("events.manage"):
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.route("/manage/confirm/<token>", methods=["GET", "POST"])
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
        return redirect(url_for("events.manage", token=registration.token), code=303)
    if registration.status in (RegistrationStatus.CONFIRMED, RegistrationStatus.WAITING):
        return redirect(url_for("events.manage", token=registration.token))
    return render_template(
        "events/confirm_address.html",
        event=registration.event,
        registration=registration,
        form=form,
    )


@bp.get("/manage/<token>")
def manage(token: str):
    registration = _registration_or_404(token)
    return render_template(
        "events/manage.html",
        event=registration.event,
        registration=registration,
        position=status.waiting_position(registration),
    )


@bp.route("/manage/<token>/edit", methods=["GET", "POST"])
def manage_edit(token: str):
    registration = _registration_or_404(token)
    if registration.status is RegistrationStatus.CANCELLED:
        return redirect(url_for("events.manage", token=token))
    event = registration.event
    form = DetailsForm()
    form.set_days(event.days, event.zone)
    if request.method == "GET":
        form.full_name.data = registration.full_name
        form.email.data = registration.email
        form.organisation.data = registration.organisation
        form.country.data = registration.country
        form.days.data = [d.isoformat() for d in registration.days]
        form.needs.data = registration.needs
        form.needs_consent.data = bool(registration.needs)
        form.language.data = registration.language.value
    elif form.validate_on_submit():
        try:
            registrations.update_registration(registration, _details(form))
        except registrations.AlreadyRegistered:
            db.session.rollback()
            form.email.errors = [
                _("This address is already used by another registration for this event.")
            ]
        except registrations.InvalidDays:
            form.days.errors = [_("Please choose days of the event.")]
        else:
            db.session.commit()
            flash(_("Your changes are saved."), "success")
            return redirect(url_for("events.manage", token=token), code=303)
    return render_template(
        "events/manage_edit.html", event=event, registration=registration, form=form
    ), (422 if request.method == "POST" else 200)


@bp.get("/manage/<token>/calendar.ics")
def manage_calendar(token: str):
    registration = _registration_or_404(token)
    event = registration.event
    return Response(
        registration_ics(registration, url=manage_url(registration)),
        mimetype="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="{event.slug}.ics"'},
    )


@bp.get("/manage/<token>/check-in-code.png")
def manage_ticket(token: str):
    """The check-in code of a confirmed place, for the manage page (no-store, like it)."""
    registration = _registration_or_404(token)
    if registration.status is not RegistrationStatus.CONFIRMED:
        abort(404)
    return Response(
        check_in_qr_png(check_in_url(registration.check_in_token)), mimetype="image/png"
    )


@bp.route("/manage/<token>/cancel", methods=["GET", "POST"])
def manage_cancel(token: str):
    registration = _registration_or_404(token)
    if registration.status is RegistrationStatus.CANCELLED:
        return redirect(url_for("events.manage", token=token))
    form = ConfirmForm()
    if form.validate_on_submit():
        status.cancel_registration(registration, now=utcnow())
        db.session.commit()
        flash(_("Your registration is cancelled. We have sent you an email."), "success")
        return redirect(url_for("events.manage", token=token), code=303)
    return render_template(
        "events/manage_cancel.html", event=registration.event, registration=registration,
        form=form,
    )
