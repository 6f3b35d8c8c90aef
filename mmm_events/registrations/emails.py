"""The emails about a registration: queued by the rules, written by the mail worker."""

from __future__ import annotations

from flask import url_for
from sqlalchemy import select

from .. import mail
from ..addresses import normalise_email
from ..extensions import db
from ..models import Registration, RegistrationStatus
from ..questions.exports import registration_answers
from .calendar import registration_ics
from .ticket import check_in_qr_png, check_in_url

RENDERER = "registration"
# The check-in code's part in an email: the HTML shows it as <img src="cid:...">.
TICKET_CONTENT_ID = "check-in-code@mmm-events"
# Told to the address in use when a change to another is asked for.
ADDRESS_CHANGED = "registration_address_changed"
# Sent to the new address, with the link that makes it the registration's: nothing else of
# the registration goes there until its owner follows it.
CONFIRM_NEW_ADDRESS = "registration_confirm_new_address"
_NO_ATTACHMENTS = (ADDRESS_CHANGED, CONFIRM_NEW_ADDRESS)


def manage_url(registration: Registration) -> str:
    return url_for("registrations.manage", token=registration.token, _external=True)


def confirm_url(registration: Registration) -> str | None:
    """The link that confirms the address (double opt-in), for registrations that have one."""
    if registration.confirm_token is None:
        return None
    return url_for("registrations.manage_confirm", token=registration.confirm_token, _external=True)


def new_address_url(registration: Registration) -> str | None:
    """The link that confirms a new address, while a change waits for it."""
    if registration.new_email_token is None:
        return None
    return url_for(
        "registrations.manage_address", token=registration.new_email_token, _external=True
    )


def queue_status_email(
    registration: Registration,
    template: str,
    *,
    address: str | None = None,
    approved: bool = False,
    message: str = "",
) -> None:
    """Queue an email about a registration (``templates/mail/<template>``) for the worker,
    to the registration's address or to ``address``.

    It tells the status the registration has now, whenever it is sent; its text, calendar
    file and check-in code are written by the worker, not in the request. ``approved`` says
    the organisers approved it (the confirmation says so); ``message`` is the organiser's
    word to the person (a decline's reason).
    """
    arguments = {"template": template, "status": registration.status.value}
    if approved:
        arguments["approved"] = True
    if message:
        arguments["message"] = message
    mail.queue(
        mail.Recipient(
            address or registration.email,
            registration_id=registration.id,
            name=registration.full_name,
        ),
        kind=template,
        renderer=RENDERER,
        arguments=arguments,
        event_id=registration.event_id,
    )


def queue_event_changed(event) -> int:
    """Tell everyone holding a seat or waiting for one that the event's times changed, each
    with a calendar entry that replaces the one they have (a higher SEQUENCE)."""
    people = db.session.scalars(
        select(Registration)
        .where(
            Registration.event_id == event.id,
            Registration.status.in_([RegistrationStatus.CONFIRMED, RegistrationStatus.WAITING]),
        )
        .order_by(Registration.id)
    ).all()
    for registration in people:
        queue_status_email(registration, "event_changed")
    return len(people)


def registration_attachments(
    registration: Registration, status: RegistrationStatus
) -> tuple[mail.Attachment, ...]:
    """The files attached to an email about a registration in ``status``: the calendar file
    while it stands (its address confirmed; once cancelled, the one that removes the event
    from the calendar), and the check-in code to show at the door once the place is
    confirmed, shown in the email and attached too, for mail readers that block images."""
    event = registration.event
    # An email written after a cancellation (a confirmation still queued) must not put the
    # event back in the calendar: its file carries the same SEQUENCE as the cancellation's.
    cancelled = RegistrationStatus.CANCELLED in (status, registration.status)
    if not cancelled and status is not RegistrationStatus.CONFIRMED:
        # Nothing to put in a calendar before the address is confirmed, nor for a place on
        # the waiting list: the entry comes with the seat, in the email that gives it.
        return ()
    # The method in the MIME type too: Outlook and Gmail offer to remove the entry only then.
    method = "CANCEL" if cancelled else "PUBLISH"
    calendar = mail.Attachment(
        filename=f"{event.slug}.ics",
        content_type=f"text/calendar; method={method}; charset=utf-8",
        data=registration_ics(registration, url=manage_url(registration), cancelled=cancelled),
    )
    if cancelled:
        return (calendar,)
    ticket = mail.Attachment(
        filename="check-in-code.png",
        content_type="image/png",
        data=check_in_qr_png(check_in_url(registration.check_in_token)),
        content_id=TICKET_CONTENT_ID,
    )
    return calendar, ticket


def render_status_email(row) -> mail.Email:
    # The worker writes each email into its row as it goes and commits the batch after
    # sending it. Flushing those writes here (a query's autoflush) would take SQLite's write
    # lock for the rest of the batch, while the mail server takes its time: every RSVP would
    # wait for the mail server. So this reads without flushing.
    with db.session.no_autoflush:
        return _render_status_email(row)


def _render_status_email(row) -> mail.Email:
    registration = row.registration
    if registration is None:
        raise mail.RenderError("the registration of this email no longer exists")
    status = RegistrationStatus(row.render["status"])
    template = row.render["template"]
    if template == CONFIRM_NEW_ADDRESS and (
        registration.new_email is None
        or normalise_email(registration.new_email) != normalise_email(row.recipient)
    ):
        # Confirmed, or replaced by a change to another address: this one's link is gone.
        raise mail.RenderError("the change of address this email confirms is no longer asked")
    email = mail.render_email(
        template,
        registration.language.value,
        registration=registration,
        status=status.value,
        event=registration.event,
        # Read once for both the text and the HTML.
        answers=registration_answers(registration),
        manage_url=manage_url(registration),
        confirm_url=confirm_url(registration),
        new_address_url=new_address_url(registration),
        event_url=url_for("events.detail", slug=registration.event.slug, _external=True),
        ticket_src=f"cid:{TICKET_CONTENT_ID}",
        approved=row.render.get("approved", False),
        message=row.render.get("message", ""),
    )
    attachments = (
        () if template in _NO_ATTACHMENTS else registration_attachments(registration, status)
    )
    return mail.Email(
        subject=email.subject, text=email.text, html=email.html, attachments=attachments
    )


REGISTRATION_EMAIL = mail.Renderer(render=render_status_email)
