"""Public event pages: the list, and the invitation with its RSVP form.

The manage link of a registration has its pages in ``registrations/views.py``."""

from __future__ import annotations

from flask import (
    Blueprint,
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

from ..bidi import strip_direction_controls
from ..documents.forms import PassportForm
from ..documents.letters import request_letter
from ..errors import render_error
from ..extensions import db
from ..i18n import current_language
from ..models import Event, Registration, utcnow
from ..operations import count_registration
from ..privacy import consent as privacy_consent
from ..questions.answers import ChoiceFull, Reading, event_questions, read_answers
from ..questions.shown import shown_questions
from ..registrations import admission, limits, status
from ..registrations import errors as registration_errors
from ..registrations import services as registrations
from . import page_cache, rsvp_limits, services
from .forms import EmailLinkForm, RegistrationForm

bp = Blueprint("events", __name__, url_prefix="/events")


@bp.app_context_processor
def event_list_helpers() -> dict:
    """The event cards (the list here, the home page) say what registering would give."""
    return {"list_status": services.list_status}


@bp.get("/")
def index():
    now = utcnow()
    return render_template(
        "events/index.html",
        upcoming=services.upcoming_events(now),
        past=services.past_events(now),
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


def _kept_page(shown) -> str:
    """The page every visitor sees, from what ``services.page_version`` read: kept rendered
    per version (``page_cache``), with this visitor's token and the seats left now."""
    state = Event.registration_state(shown, utcnow())
    seats_left = max(shown.capacity - shown.seats_taken, 0)

    def render(marker) -> str:
        event = db.session.get(Event, shown.id)
        refusal = None
        if state == "open" and event.invite_only:
            refusal = _(
                "This event is by invitation only. Please use the link in your invitation "
                "email."
            )
        return _render(event, state, _new_form(event, None), marker, refusal=refusal,
                       passport=_passport_form(event))

    return page_cache.page(
        page_cache.version(shown, state, seats_left),
        render,
        _seats_left(seats_left),
        current_app.config.get("WTF_CSRF_ENABLED", True),
    )


def _passport_form(event) -> PassportForm | None:
    """The passport details of a visa letter asked for with the RSVP, on events that issue
    letters; the RSVP form carries the CSRF token for both."""
    if not event.visa_letters:
        return None
    passport = PassportForm(prefix="visa", meta={"csrf": False})
    passport.event = event
    return passport


def _new_form(event, invitation) -> RegistrationForm:
    """The form as a GET shows it."""
    form = RegistrationForm()
    form.set_days(event.days, event.zone)
    _prefill(form, event, invitation)
    return form


def _seats_left(count: int) -> str:
    return ngettext("%(num)d seat left", "%(num)d seats left", count)


def _contact(event) -> str:
    return event.contact_email or current_app.config["CONTACT_EMAIL"]


@bp.route("/<slug>", methods=["GET", "POST"])
def detail(slug: str):
    # Longer than most views: every outcome of the RSVP re-renders this one page with the
    # same form and event, which the nested page() keeps in one place.
    if page_cache.applies():
        shown = services.page_version(slug)
        if shown is not None:
            return _kept_page(shown)
    event = services.published_event(slug)
    if event is None:
        abort(404)
    now = utcnow()
    state = event.registration_state(now)
    # The link to an invitation's form may come back with a direction mark at its end.
    token = strip_direction_controls(request.values.get("invitation", "", type=str))
    invitation = admission.invitation_for(event, token)
    refusal = notice = None
    if state == "open" and event.invite_only and invitation is None:
        refusal = _(
            "This event is by invitation only. Please use the link in your invitation email."
        )
    form = RegistrationForm()
    form.set_days(event.days, event.zone)
    passport = _passport_form(event)
    questions = event_questions(event) if state == "open" else []
    reading = Reading()

    def page(status: int = 200, headers: dict | None = None):
        given = (
            {qid: g.raw for qid, g in reading.given.items()} if request.method == "POST" else {}
        )
        return _render(
            event, state, form, _seats_left(event.seats_left), invitation=invitation,
            refusal=refusal, notice=notice, passport=passport,
            questions=shown_questions(questions, given, reading.errors),
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
    reading = read_answers(questions, request.form)
    wants_letter = passport is not None and bool(form.visa_letter.data)
    valid = form.validate_on_submit()
    if not valid or reading.errors or (wants_letter and not passport.validate()):
        count_registration("invalid")
        return page(422)
    if form.website.data:
        # The field people never see: only a robot fills it. It is not told which field
        # gave it away; a person whose browser filled it sends the form again, now empty.
        count_registration("honeypot")
        notice = _("We could not register you. Please check the form and send it again.")
        return page(422)
    details = form.details()
    details.questions, details.answers = questions, reading.answered()
    try:
        outcome = rsvp_limits.register_within_limits(event, details, invitation, now=now)
    except limits.TooManyAttempts as refused:
        count_registration("limited")
        seconds, notice = rsvp_limits.retry_in(refused, now)
        return page(429, {"Retry-After": str(seconds)})
    except registration_errors.RegistrationError as error:
        count_registration("refused")
        status_code, notice = _refused_registration(error, form, event)
        if status_code == 409:
            refusal, notice = notice, None
        return page(status_code)
    except ChoiceFull as full:
        count_registration("invalid")
        reading.errors[full.question.id] = _(
            "This choice has just become full. Please choose another."
        )
        return page(422)
    if not outcome.created:
        count_registration("duplicate")
        return render_template(
            "events/already_registered.html",
            event=event,
            link_form=EmailLinkForm(email=form.email.data),
        )
    privacy_consent.record_consent(registration=outcome.registration, now=now)
    if wants_letter:
        request_letter(outcome.registration, passport.details(), now=now)
    registration_id = outcome.registration.id  # read before the commit expires it (a query)
    status = outcome.registration.status.value
    db.session.commit()
    count_registration(status)
    session["registration_id"] = registration_id
    return redirect(url_for("events.registered", slug=slug), code=303)


def _render(event, state: str, form, seats_left: str, **context) -> str:
    """The event page; ``questions`` as shown, by default the event's, empty."""
    if "questions" not in context:
        questions = event_questions(event) if state == "open" else []
        context["questions"] = shown_questions(questions, {}, {})
    context.setdefault("invitation", None)
    context.setdefault("refusal", None)
    context.setdefault("notice", None)
    context.setdefault("passport", None)
    return render_template(
        "events/detail.html", event=event, registration_state=state, form=form,
        seats_left=seats_left, **context,
    )


def _refused_registration(
    error: registration_errors.RegistrationError, form: RegistrationForm, event
) -> tuple[int, str | None]:
    """The status code of a refused registration, and the words for the whole form (a field's
    own error goes on the field)."""
    if isinstance(error, registration_errors.InvalidDays):
        form.days.errors = [_("Please choose days of the event.")]
        return 422, None
    if isinstance(error, registration_errors.InvalidEmail):
        form.email.errors = [_("Please enter a valid email address, like name@example.org.")]
        return 422, None
    if isinstance(error, registration_errors.InvitationForSomeoneElse):
        form.email.errors = [
            _(
                "This invitation was sent to another email address. Please register with the "
                "address it was sent to, or ask the organiser (%(contact)s) to invite you.",
                contact=_contact(event),
            )
        ]
        return 422, None
    if isinstance(error, registration_errors.InvitationUsedUp):
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
def send_link(slug: str):
    """Email the manage link again, to the address itself: nothing is shown here."""
    event = services.published_event(slug)
    if event is None:
        abort(404)
    form = EmailLinkForm()
    if form.validate_on_submit():
        now = utcnow()
        try:
            limits.count_manage_link(request.remote_addr or "", now=now)
        except limits.TooManyAttempts as refused:
            seconds, minutes = rsvp_limits.wait(refused, now)
            message = ngettext(
                "Too many links were asked for from your network in a short time. Please "
                "try again in %(num)d minute.",
                "Too many links were asked for from your network in a short time. Please "
                "try again in %(num)d minutes.",
                minutes,
            )
            page, status_code = render_error(429, message)
            return page, status_code, {"Retry-After": str(seconds)}
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
