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
from ..addresses import normalise_email
from ..auth.limits import account_digest
from ..extensions import db
from ..models import (
    Erasure,
    Event,
    Invitation,
    InvitationStatus,
    Registration,
    RegistrationStatus,
)
from ..registrations.status import cancel_registration
from . import suppression_key
from .inventory import KEEP, TABLES, Kind

CHUNK = 900


@dataclass
class Person:
    """Whom a request is about: an address, across every event or within one."""

    key: str  # the normalised address
    hashed: str  # its keyed hash, as the suppression list and the audit log know it
    event_id: int | None = None
    registration_ids: list[int] = field(default_factory=list)
    invitation_ids: list[int] = field(default_factory=list)


def _in(column, ids: Sequence[int]):
    return column.in_(ids) if ids else false()


def _in_event(table, person: Person):
    return table.c.event_id == person.event_id if person.event_id is not None else true()


def find_person(
    email: str,
    *,
    event_id: int | None = None,
    registration: Registration | None = None,
    invitation: Invitation | None = None,
) -> Person:
    """The person with this address (in one event, when ``event_id`` is given), with the
    registration or invitation a link named even if it holds another address (a forwarded
    invitation): the ids of their registrations and invitations are settled here, before
    anything is changed."""
    person = Person(normalise_email(email), suppression_key(email), event_id)
    reg, inv = Registration.__table__, Invitation.__table__
    named_reg = [registration.id] if registration is not None else []
    named_inv = [invitation.id] if invitation is not None else []
    if registration is not None and registration.invitation_id is not None:
        named_inv.append(registration.invitation_id)
    invitation_ids = db.session.scalars(
        select(inv.c.id).where(
            or_((inv.c.email_normalised == person.key) & _in_event(inv, person),
                _in(inv.c.id, named_inv))
        )
    )
    person.invitation_ids = sorted(set(invitation_ids))
    registration_ids = db.session.scalars(
        select(reg.c.id).where(
            or_(
                (reg.c.email_normalised == person.key) & _in_event(reg, person),
                _in(reg.c.id, named_reg),
                _in(reg.c.invitation_id, person.invitation_ids),
            )
        )
    )
    person.registration_ids = sorted(set(registration_ids))
    return person


def _rows_of(name: str, person: Person):
    """The condition that picks this person's rows of table ``name``, or None."""
    table = db.metadata.tables[name]
    regs, invs = person.registration_ids, person.invitation_ids
    conditions = {
        "registration": lambda: _in(table.c.id, regs),
        "registration_day": lambda: _in(table.c.registration_id, regs),
        "invitation": lambda: _in(table.c.id, invs),
        "consent": lambda: or_(_in(table.c.registration_id, regs),
                               _in(table.c.invitation_id, invs)),
        "erasure": lambda: or_(_in(table.c.registration_id, regs),
                               _in(table.c.invitation_id, invs)),
        "outbox_message": lambda: or_(
            _in(table.c.registration_id, regs),
            _in(table.c.invitation_id, invs),
            (func.lower(table.c.recipient) == person.key) & _in_event(table, person),
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


def export(person: Person, *, now: datetime) -> dict[str, Any]:
    """Everything held about the person, table by table, as JSON-ready values. Secrets (link
    tokens, password hashes) are left out: a file that is passed around must not open doors."""
    tables: dict[str, list[dict[str, Any]]] = {}
    for name in person_tables():
        table = db.metadata.tables[name]
        columns = TABLES[name].columns
        shown = [c for c in table.columns if columns.get(c.name) is None
                 or columns[c.name].kind is not Kind.SECRET]
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
    """Cancel the person's places in events not yet over, promoting whoever waits next, as
    a cancellation does. Returns how many were cancelled."""
    cancelled = 0
    for registration in db.session.scalars(
        select(Registration)
        .join(Event)
        .where(
            Registration.id.in_(registration_ids),
            Registration.status != RegistrationStatus.CANCELLED,
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
    erased = {}
    for name in person_tables():
        table = db.metadata.tables[name]
        if "id" not in table.c:
            continue  # a link table (days attended): nothing personal of its own
        # Ids first: the conditions read columns that the erasure empties.
        ids = list(db.session.scalars(select(table.c.id).where(_rows_of(name, person))))
        erased[name] = sum(anonymise(name, table.c.id.in_(chunk)) for chunk in _chunks(ids))
    record_erasures("registration_id", person.registration_ids, reason=reason, now=now)
    record_erasures("invitation_id", person.invitation_ids, reason=reason, now=now)
    db.session.expire_all()
    return ErasureReport(cancelled, {k: v for k, v in erased.items() if v})
