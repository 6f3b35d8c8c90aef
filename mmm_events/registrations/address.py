"""Changing the address of a registration: the new one counts once its owner confirms it.

The manage page asks for the change (``request_change``): the registration keeps its address,
the new one waits beside it with the secret of a link emailed to it, and the address in use is
told. Following that link (``confirm_change``) makes the new address the registration's, in
one conditional UPDATE. Until then nothing (a link, an export, an erasure, "email me my
link") knows the registration by the new address, and on events that ask people to confirm
their address the registration stays as confirmed as its old address was. Each function
leaves the commit to its caller.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update

from ..addresses import normalise_email
from ..extensions import db
from ..models import Registration, RegistrationStatus
from ..models._base import new_token, worth_looking_up
from .emails import ADDRESS_CHANGED, CONFIRM_NEW_ADDRESS, queue_status_email
from .holds import confirm_address
from .limits import PENDING

# Long enough to find the email the next morning; short enough that an address typed by
# someone else does not wait long beside the registration.
CHANGE_LIFETIME = timedelta(hours=24)


def request_change(registration: Registration, email: str, *, now: datetime) -> None:
    """Keep ``email`` (checked, not the registration's own) waiting for its owner: a new link
    to it replaces any earlier one, and the address in use is told of the request."""
    registration.new_email = email
    registration.new_email_token = new_token()
    registration.new_email_expires_at = now + CHANGE_LIFETIME
    queue_status_email(registration, CONFIRM_NEW_ADDRESS, address=email)
    queue_status_email(registration, ADDRESS_CHANGED)


def address_waiting(registration: Registration, *, now: datetime) -> str | None:
    """The new address that waits for its owner, while the link sent to it still works."""
    expires = registration.new_email_expires_at
    return registration.new_email if expires is not None and expires > now else None


def withdraw_change(registration: Registration) -> None:
    """The person gave their own address back: the change waiting, and its link, are gone."""
    registration.new_email = None
    registration.new_email_token = None
    registration.new_email_expires_at = None


def registration_changing_to(token: str, *, now: datetime) -> Registration | None:
    """The registration whose new address the link carrying ``token`` confirms, while the
    link still works."""
    if not worth_looking_up(token):
        return None
    return db.session.scalar(
        select(Registration).where(
            Registration.new_email_token == token,
            Registration.new_email_expires_at > now,
            Registration.status != RegistrationStatus.CANCELLED,
        )
    )


def confirm_change(registration: Registration, *, now: datetime) -> bool:
    """The owner of the new address followed the link: it becomes the registration's address,
    and the old address's "confirm your address" link stops working. False when there was
    nothing to do (done already, by a simultaneous click too). Raises ``IntegrityError`` when
    the address registered for the event meanwhile; the caller rolls back.

    A registration still waiting for its first address to be confirmed is confirmed by this
    link too: it was followed from the address the registration now has."""
    email = registration.new_email
    done = db.session.execute(
        update(Registration)
        .where(
            Registration.id == registration.id,
            Registration.new_email_token == registration.new_email_token,
            Registration.new_email_expires_at > now,
            Registration.status != RegistrationStatus.CANCELLED,
        )
        .values(
            email=email,
            email_normalised=normalise_email(email),
            new_email=None,
            new_email_token=None,
            new_email_expires_at=None,
            confirm_token=None,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if done != 1:
        return False
    db.session.refresh(registration)
    if registration.status in PENDING and confirm_address(registration, now=now):
        return True  # confirm_address emailed the confirmation, to the new address
    queue_status_email(registration, "registration_updated")
    return True
