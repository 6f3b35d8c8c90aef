"""The RSVP limits as the public pages apply them: an RSVP counted, registered and checked
against the seats its client holds unconfirmed (``registrations.limits`` has the rules), and
the words that tell a person refused by a limit which one it was and when to come back."""

from __future__ import annotations

import math
from datetime import datetime

from flask import request
from flask_babel import ngettext

from ..extensions import db
from ..models import Event, Invitation
from ..questions.answers import ChoiceFull
from ..registrations import limits
from ..registrations import services as registrations
from ..registrations.errors import RegistrationError


def wait(refused: limits.TooManyAttempts, now: datetime) -> tuple[int, int]:
    """Seconds (for Retry-After) and minutes (for people) until the limit has room again."""
    seconds = max(1, math.ceil((refused.until - now).total_seconds()))
    return seconds, math.ceil(seconds / 60)


def retry_in(refused: limits.TooManyAttempts, now: datetime) -> tuple[int, str]:
    """Seconds until the limit that refused the RSVP has room (for Retry-After), and the words
    that say which limit it was and when to come back."""
    seconds, minutes = wait(refused, now)
    if isinstance(refused, limits.TooManyHolds):
        return seconds, ngettext(
            "Several registrations sent from your network are still waiting for their email "
            "address to be confirmed. Please follow the links in the emails we sent to those "
            "addresses, or try again in %(num)d minute.",
            "Several registrations sent from your network are still waiting for their email "
            "address to be confirmed. Please follow the links in the emails we sent to those "
            "addresses, or try again in %(num)d minutes.",
            minutes,
        )
    if isinstance(refused, limits.BusyEvent):
        return seconds, ngettext(
            "Many people are registering for this event right now. Please try again in "
            "%(num)d minute.",
            "Many people are registering for this event right now. Please try again in "
            "%(num)d minutes.",
            minutes,
        )
    return seconds, ngettext(
        "Too many registrations were sent from your network in a short time. Please try "
        "again in %(num)d minute.",
        "Too many registrations were sent from your network in a short time. Please try "
        "again in %(num)d minutes.",
        minutes,
    )


def register_within_limits(
    event: Event,
    details: registrations.RegistrationDetails,
    invitation: Invitation | None,
    *,
    now: datetime,
) -> registrations.RegistrationOutcome:
    """Count the RSVP against the limits, register, and check the seats held unconfirmed from
    the client's network. Raises what they raise, with the session rolled back; an RSVP
    that creates nothing is then counted for its address only."""
    counted = limits.count_rsvp(event, request.remote_addr or "", now=now)
    try:
        outcome = registrations.register(event, details, now=now, invitation=invitation)
        if outcome.created:
            limits.check_hold(counted, outcome.registration, now=now)
            return outcome
    except (RegistrationError, limits.TooManyAttempts, ChoiceFull):
        db.session.rollback()
        limits.created_nothing(counted)
        raise
    db.session.rollback()
    limits.created_nothing(counted)
    return outcome
