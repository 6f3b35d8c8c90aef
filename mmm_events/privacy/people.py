"""A person's data, found by address: counted, exported in one file, erased in one action.

Which tables and columns are searched, exported and emptied comes from ``inventory``; this
module only says which rows of each table belong to the person.
"""

from __future__ import annotations

import base64
import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import false, func, insert, or_, select, true, update

from .. import mail
from ..accounts.limits import account_digest
from ..addresses import normalise_email, suppression_key
from ..extensions import db
from ..models import (
    Erasure,
    Event,
    Invitation,
    InvitationStatus,
    Registration,
    RegistrationStatus,
)
from ..questions.answers import delete_answers
from ..registrations.status import cancel_registration
from .inventory import KEEP, TABLES, Kind

CHUNK = 900


@dataclass
class Person:
    """Whom a request is about: an address, across every event or within one; or the one
    registration or invitation a link in the person's email names (``by_link``)."""

    key: str  # the normalised address
    hashed: str  # its keyed hash, as the suppression list and the audit log know it
    event_id: int | None = None
    registration_ids: list[int] = field(default_factory=list)
    invitation_ids: list[int] = field(default_factory=list)
    # Found from a link, which anyone it was forwarded to holds as well: only the rows the
    # link names count, nothing is joined to them by address, and the export leaves out the
    # columns the inventory keeps for an administrator's export (``Column.by_link``).
    by_link: bool = False


def _in(column, ids: Sequence[int]):
    return column.in_(ids) if ids else false()


def _in_event(table, person: Person):
    return table.c.event_id == person.event_id if person.event_id is not None else true()


def find_person(email: str, *, event_id: int | None = None) -> Person:
    """The person with this address (in one event, when ``event_id`` is given), for an
    administrator who has checked who is asking: their registrations and invitations are
    those made with the address, settled here before anything is changed. A registration made
    by someone else with their invitation is someone else's."""
    person = Person(normalise_email(email), suppression_key(email), event_id)
    reg, inv = Registration.__table__, Invitation.__table__
    person.invitation_ids = list(db.session.scalars(
        select(inv.c.id).where(inv.c.email_normalised == person.key, _in_event(inv, person))
        .order_by(inv.c.id)
    ))
    person.registration_ids = list(db.session.scalars(
        select(reg.c.id).where(reg.c.email_normalised == person.key, _in_event(reg, person))
        .order_by(reg.c.id)
    ))
    return person


def person_of_registration(registration: Registration) -> Person:
    """The person a manage link reaches: its registration, and the invitation it answered
    when that invitation was sent to the registration's own address (the manage link goes
    only to that address, and a registration's address changes only through a link sent to
    the new one). A guest's registration is not the invitee's, nor the other way round."""
    invitation_ids = []
    if registration.invitation_id is not None:
        invitation = db.session.get(Invitation, registration.invitation_id)
        if invitation is not None and invitation.email_normalised == registration.email_normalised:
            invitation_ids.append(invitation.id)
    return Person(
        registration.email_normalised, suppression_key(registration.email),
        registration.event_id, [registration.id], invitation_ids, by_link=True,
    )


def person_of_invitation(invitation: Invitation) -> Person:
    """The person an invitation's links reach: the invitation as the organisers imported it,
    and nothing else. Whoever it was forwarded to holds the same links, so a registration
    made with it (by the invitee or anyone else) is reached only by its own manage link."""
    return Person(
        invitation.email_normalised, suppression_key(invitation.email),
        invitation.event_id, [], [invitation.id], by_link=True,
    )


# The tables whose rows a link reaches, by the ids of its registration or invitation; the
# others are found only by address, which a link never joins by.
_NAMED_BY_LINK = frozenset(
    {"registration", "registration_day", "invitation", "consent", "erasure", "outbox_message",
     "visa_letter", "issued_document"}
)


def _rows_of(name: str, person: Person):
    """The condition that picks this person's rows of table ``name``, or None."""
    table = db.metadata.tables[name]
    regs, invs = person.registration_ids, person.invitation_ids
    if person.by_link and name not in _NAMED_BY_LINK:
        return false()
    conditions = {
        "registration": lambda: _in(table.c.id, regs),
        "registration_day": lambda: _in(table.c.registration_id, regs),
        "answer": lambda: _in(table.c.registration_id, regs),
        "visa_letter": lambda: _in(table.c.registration_id, regs),
        "issued_document": lambda: _in(table.c.registration_id, regs),
        "invitation": lambda: _in(table.c.id, invs),
        "consent": lambda: or_(_in(table.c.registration_id, regs),
                               _in(table.c.invitation_id, invs)),
        "erasure": lambda: or_(_in(table.c.registration_id, regs),
                               _in(table.c.invitation_id, invs)),
        "outbox_message": lambda: or_(
            _in(table.c.registration_id, regs),
            _in(table.c.invitation_id, invs),
            (func.lower(table.c.recipient) == person.key) & _in_event(table, person)
            if not person.by_link else false(),
        ),
        "suppression": lambda: table.c.email_key == person.hashed,
        "audit_entry": lambda: (table.c.subject_key == person.hashed)
        & _in_event(table, person),
        # Accounts belong to no event: only a search across every event finds them.
        "user": lambda: (func.lower(table.c.email) == person.key)
        if person.event_id is None else false(),
        "usual_address": lambda: table.c.user_id.in_(_accounts(person)),
        "password_reset": lambda: table.c.user_id.in_(_accounts(person)),
        "account_attempt": lambda: (table.c.account_digest == account_digest(person.key))
        if person.event_id is None else false(),
    }
    return conditions[name]()


def _accounts(person: Person):
    user = db.metadata.tables["user"]
    if person.event_id is not None:
        return select(user.c.id).where(false())
    return select(user.c.id).where(func.lower(user.c.email) == person.key)


def person_tables() -> list[str]:
    return [name for name, use in TABLES.items() if use.about_people]


def counts(person: Person) -> dict[str, int]:
    """How many rows of each table belong to the person (the administrator's search)."""
    found = {}
    for name in person_tables():
        table = db.metadata.tables[name]
        found[name] = db.session.scalar(
            select(func.count()).select_from(table).where(_rows_of(name, person))
        )
    return found


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return value


def _exported(table: str, column: str, person: Person) -> bool:
    spec = TABLES[table].columns.get(column)
    if spec is None:
        return True
    return spec.kind is not Kind.SECRET and (spec.by_link or not person.by_link)


def export(person: Person, *, now: datetime) -> dict[str, Any]:
    """Everything held about the person, table by table, as JSON-ready values. Secrets (link
    tokens, password hashes) are left out: a file that is passed around must not open doors;
    from a link, so are the columns kept for an administrator's export."""
    tables: dict[str, list[dict[str, Any]]] = {}
    for name in person_tables():
        table = db.metadata.tables[name]
        shown = [c for c in table.columns if _exported(name, c.name, person)]
        query = select(*shown).where(_rows_of(name, person)).order_by(*table.primary_key)
        tables[name] = [
            {key: _plain(value) for key, value in row._mapping.items()}
            for row in db.session.execute(query)
        ]
    return {
        "generated_at": now.isoformat(),
        "email": person.key,
        "event_id": person.event_id,
        "tables": tables,
    }


def anonymise(name: str, where) -> int:
    """Write the erased value of every personal column of table ``name`` in the rows
    ``where`` picks; returns how many rows."""
    table = db.metadata.tables[name]
    values = {
        column: spec.erased(table) if callable(spec.erased) else spec.erased
        for column, spec in TABLES[name].columns.items()
        if spec.erased is not KEEP
    }
    if not values:
        return 0
    result = db.session.execute(
        update(table).where(where).values(values).execution_options(synchronize_session=False)
    )
    return result.rowcount


def _chunks(ids: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start:start + CHUNK]


def record_erasures(column: str, ids: Sequence[int], *, reason: str, now: datetime) -> None:
    """One erasure row per registration or invitation (``column``) not yet marked erased."""
    table = Erasure.__table__
    for chunk in _chunks(list(ids)):
        done = set(db.session.scalars(select(table.c[column]).where(table.c[column].in_(chunk))))
        rows = [{column: i, "reason": reason, "erased_at": now} for i in chunk if i not in done]
        if rows:
            db.session.execute(insert(table), rows)


def _stop_invitations(ids: Sequence[int]) -> None:
    """Nobody is left to invite or remind: unanswered invitations are revoked."""
    for chunk in _chunks(list(ids)):
        db.session.execute(
            update(Invitation)
            .where(
                Invitation.id.in_(chunk),
                Invitation.status.in_([InvitationStatus.IMPORTED, InvitationStatus.INVITED,
                                       InvitationStatus.FAILED]),
            )
            .values(status=InvitationStatus.REVOKED)
            .execution_options(synchronize_session=False)
        )


def _cancel_places(registration_ids: Sequence[int], *, now: datetime) -> int:
    """Cancel the person's places in events not yet over (a registration awaiting approval
    too: it then never comes to a decision), promoting whoever waits next, as a cancellation
    does; a declined one stays declined. Returns how many were cancelled."""
    cancelled = 0
    for registration in db.session.scalars(
        select(Registration)
        .join(Event)
        .where(
            Registration.id.in_(registration_ids),
            Registration.status.not_in(
                [RegistrationStatus.CANCELLED, RegistrationStatus.DECLINED]
            ),
            Event.ends_at > now,
        )
    ):
        cancel_registration(registration, now=now)
        cancelled += 1
    return cancelled


@dataclass(frozen=True)
class ErasureReport:
    cancelled: int
    erased: dict[str, int]


def erase(person: Person, *, reason: str, now: datetime) -> ErasureReport:
    """Erase the person's data, keeping anonymous rows so that counts stay right; the caller
    commits. Emails not yet sent to them are dropped (including the cancellation notice);
    the suppression list and the audit log keep only the keyed hash they already hold."""
    cancelled = _cancel_places(person.registration_ids, now=now)
    _stop_invitations(person.invitation_ids)
    mail.drop_unsent(_rows_of("outbox_message", person))
    answers = delete_answers(person.registration_ids)
    erased = {}
    for name in person_tables():
        table = db.metadata.tables[name]
        if "id" not in table.c:
            continue  # a link table (days attended): nothing personal of its own
        # Ids first: the conditions read columns that the erasure empties.
        ids = list(db.session.scalars(select(table.c.id).where(_rows_of(name, person))))
        erased[name] = sum(anonymise(name, table.c.id.in_(chunk)) for chunk in _chunks(ids))
    erased["answer"] = answers
    record_erasures("registration_id", person.registration_ids, reason=reason, now=now)
    record_erasures("invitation_id", person.invitation_ids, reason=reason, now=now)
    db.session.expire_all()
    return ErasureReport(cancelled, {k: v for k, v in erased.items() if v})
