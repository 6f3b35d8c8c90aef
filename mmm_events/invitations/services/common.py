"""What the invitation services share: their errors, the suppression list, id chunks."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import exists, select

from ...addresses import normalise_email, suppression_key
from ...extensions import db
from ...models import Invitation, Suppression

# Ids per IN (...) list: well under every engine's limit on bound parameters.
CHUNK = 900


class InvitationError(Exception):
    """A rule stops this action; the message is for the person who tried."""


class AlreadyInvited(InvitationError):
    pass


class AddressSuppressed(InvitationError):
    pass


class AlreadyAccepted(InvitationError):
    pass


def chunks(values: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def unsubscribed():
    """True for an invitation whose address is on the suppression list (a correlated EXISTS)."""
    return exists().where(Suppression.email_key == Invitation.email_key)


def suppressed_among(emails: Sequence[str]) -> set[str]:
    """Which of these normalised addresses asked to receive no more invitations."""
    found: set[str] = set()
    by_key = {suppression_key(email): email for email in emails}
    for chunk in chunks(list(by_key)):
        found.update(
            by_key[key]
            for key in db.session.scalars(
                select(Suppression.email_key).where(Suppression.email_key.in_(chunk))
            )
        )
    return found


def is_suppressed(email: str) -> bool:
    return bool(suppressed_among([normalise_email(email)]))
