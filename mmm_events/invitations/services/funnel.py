"""The funnel: how far each invitee got, counted for the chart, listed for the invitee page,
written out for the CSV export. Its stages are defined once, below, and all three use them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, and_, case, func, or_, select

from ...extensions import db
from ...folding import contains
from ...models import Event, Invitation, InvitationStatus, Registration, RegistrationStatus
from ...web import language_label, status_label
from .common import unsubscribed


@dataclass(frozen=True)
class Stage:
    key: str
    label: Any
    # Over an invitation outer-joined to the registration it led to.
    condition: ColumnElement[bool]


_live = Invitation.status != InvitationStatus.REVOKED
_accepted = Invitation.status == InvitationStatus.ACCEPTED
_registered_waiting = Registration.status == RegistrationStatus.WAITING

STAGES = (
    Stage("imported", _l("Imported"), _live),
    # The emails not known to have failed.
    Stage(
        "invited",
        _l("Invited (email sent)"),
        and_(
            Invitation.status.not_in([InvitationStatus.REVOKED, InvitationStatus.FAILED]),
            Invitation.invited_at.is_not(None),
        ),
    ),
    Stage("failed", _l("Bounced or failed"), Invitation.status == InvitationStatus.FAILED),
    Stage("opened", _l("Opened the link"), and_(_live, Invitation.opened_at.is_not(None))),
    Stage(
        "accepted",
        _l("Accepted (registered)"),
        and_(_accepted, or_(Registration.id.is_(None), ~_registered_waiting)),
    ),
    # Accepted, but the event was full: not a seat until the registration is promoted.
    Stage("waiting", _l("Accepted, on the waiting list"), and_(_accepted, _registered_waiting)),
    Stage("declined", _l("Declined"), Invitation.status == InvitationStatus.DECLINED),
    Stage("checked_in", _l("Checked in"), and_(_live, Registration.checked_in_at.is_not(None))),
)
# Not a stage of the funnel (revoked invitations are left out of every stage), but a list of
# its own on the invitee page.
REVOKED = Stage("revoked", _l("Revoked"), Invitation.status == InvitationStatus.REVOKED)
FILTERS = {stage.key: stage for stage in (*STAGES, REVOKED)}


def funnel(event: Event) -> dict[str, int]:
    """How many invitees reached each stage, and how many were revoked, in one query."""

    def count(condition) -> Any:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    row = db.session.execute(
        select(*(count(stage.condition) for stage in FILTERS.values()))
        .select_from(Invitation)
        .outerjoin(Registration, Registration.invitation_id == Invitation.id)
        .where(Invitation.event_id == event.id)
    ).one()
    return dict(zip(FILTERS, (int(value) for value in row), strict=True))


def funnel_chart(counts: dict[str, int]) -> list[dict]:
    """Bars for the inline SVG chart: widths in per cent of the imported count."""
    top = max(counts["imported"], 1)
    return [
        {
            "stage": stage.key,
            "label": stage.label,
            "count": counts[stage.key],
            "width": round(100 * counts[stage.key] / top, 1),
        }
        for stage in STAGES
    ]


_SEARCHED = (Invitation.name, Invitation.email_normalised, Invitation.organisation)


class Invitee(NamedTuple):
    invitation: Invitation
    registration: Registration | None
    unsubscribed: bool

    @property
    def state(self) -> str:
        """The invitation's status, except that an acceptance that only won a place on the
        waiting list says so."""
        if (
            self.invitation.status is InvitationStatus.ACCEPTED
            and self.registration is not None
            and self.registration.status is RegistrationStatus.WAITING
        ):
            return "waiting"
        return self.invitation.status.value


def invitees(
    event: Event,
    *,
    state: str | None = None,
    q: str = "",
    after_id: int | None = None,
    limit: int = 100,
) -> list[Invitee]:
    """One page of invitees (keyset by id) with their registration and whether they
    unsubscribed; ``state`` is a key of ``FILTERS``, any other value lists everyone; ``q``
    keeps those whose name, address or organisation contains it (Arabic spellings folded, as
    in the registrant list)."""
    query = (
        select(Invitation, Registration, unsubscribed())
        .outerjoin(Registration, Registration.invitation_id == Invitation.id)
        .where(Invitation.event_id == event.id)
        .order_by(Invitation.id)
        .limit(limit)
    )
    if state in FILTERS:
        query = query.where(FILTERS[state].condition)
    if q:
        dialect = db.session.get_bind().dialect.name
        query = query.where(or_(*(contains(column, q, dialect) for column in _SEARCHED)))
    if after_id is not None:
        query = query.where(Invitation.id > after_id)
    return [Invitee(*row) for row in db.session.execute(query)]


# The CSV export ------------------------------------------------------------------------------

EXPORT_COLUMNS = (
    _l("Email"),
    _l("Name"),
    _l("Organisation"),
    _l("Language"),
    _l("Note"),
    _l("Status"),
    _l("Invited at"),
    _l("Last reminded at"),
    _l("Opened at"),
    _l("Answered at"),
    _l("Message when declining"),
    _l("Registration"),
    _l("Checked in at"),
    _l("Unsubscribed"),
)
EXPORT_BATCH = 2000


def _moment(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if value else ""


def _export_row(invitee: Invitee) -> list[str]:
    invitation, registration = invitee.invitation, invitee.registration
    return [
        invitation.email,
        invitation.name,
        invitation.organisation,
        language_label(invitation.language),
        invitation.note,
        status_label(invitee.state),
        _moment(invitation.invited_at),
        _moment(invitation.last_reminded_at),
        _moment(invitation.opened_at),
        _moment(invitation.answered_at),
        invitation.decline_message,
        status_label(registration.status) if registration else "",
        _moment(registration.checked_in_at if registration else None),
        _("yes") if invitee.unsubscribed else "",
    ]


def export_rows(event: Event) -> Iterator[list[list[str]]]:
    """Every invitee as a row of ``EXPORT_COLUMNS``, in batches read one after the other."""
    after = None
    while True:
        batch = invitees(event, after_id=after, limit=EXPORT_BATCH)
        if not batch:
            return
        yield [_export_row(invitee) for invitee in batch]
        after = batch[-1].invitation.id
        # Each batch is read afresh: the session need not hold the whole list.
        db.session.expunge_all()
