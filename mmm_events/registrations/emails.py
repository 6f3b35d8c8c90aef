"""The emails about a registration: queued by the rules, written by the mail worker."""

from __future__ import annotations

from flask import url_for
from sqlalchemy import select

from .. import mail
from ..events.calendar import event_ics
from ..extensions import db
from ..models import Registration, RegistrationStatus
from .ticket import check_in_qr_png, check_in_url

RENDERER = "registration"


def manage_url(registration: Registration) -> str:
    return url_for("events.manage", token=registration.token, _external=True)


def confirm_url(registration: Registration) -> str | None:
    """The link that confirms the address (double opt-in), for registrations that have one."""
    if registration.confirm_token is None:
        return None
    return url_for("events.manage_confirm", token=registration.confirm_token, _external=True)


def queue_status_email(registration: Registration, template: str) -> None:
    """Queue an email about a registration (``templates/mail/<template>``) for the worker.

    It tells the status the registration has now, whenever it is sent; its text, calendar
    file and check-in code are written by the worker, not in the request.
    """
    mail.queue(
        mail.Recipient(
            registration.email, registration_id=registration.id, name=registration.full_name
        ),
        kind=template,
        renderer=RENDERER,
        arguments={"template": template, "status": registration.status.value},
        event_id=registration.event_id,
    )


def registration_attachments(
    registration: Registration, status: RegistrationStatus
) -> tuple[mail.Attachment, ...]:
    """The files attached to an email about a registration in ``status``: the calendar file
    while it stands (its address confirmed), and the check-in code to show at the door once
    the place is confirmed."""
    if status not in (RegistrationStatus.CONFIRMED, RegistrationStatus.WAITING):
        # Nothing to put in a calendar before the address is confirmed, nor once cancelled.
        return ()
    event = registration.event
    calendar = mail.Attachment(
        filename=f"{event.slug}.ics",
        content_type="text/calendar",
        data=event_ics(event, url=manage_url(registration), language=registration.language.value),
    )
    if status is not RegistrationStatus.CONFIRMED:
        return (calendar,)
    ticket = mail.Attachment(
        filename="check-in-code.png",
        content_type="image/png",
        data=check_in_qr_png(check_in_url(registration.check_in_token)),
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
    registration = db.session.scalar(
        select(Registration).where(Registration.id == row.registration_id)
    )
    if registration is None:
        raise mail.RenderError("the registration of this email no longer exists")
    status = RegistrationStatus(row.render["status"])
    email = mail.render_email(
        row.render["template"],
        registration.language.value,
        registration=registration,
        status=status.value,
        event=registration.event,
        manage_url=manage_url(registration),
        confirm_url=confirm_url(registration),
        event_url=url_for("events.detail", slug=registration.event.slug, _external=True),
    )
    return mail.Email(
        subject=email.subject,
        text=email.text,
        html=email.html,
        attachments=registration_attachments(registration, status),
    )


REGISTRATION_EMAIL = mail.Renderer(render=render_status_email)
