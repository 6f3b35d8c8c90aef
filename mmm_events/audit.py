"""The audit log: who read or changed personal data in bulk, or changed access, and when.

Entries are only ever added (``record``); nothing in the application edits or deletes them.
They hold ids and counts, and for an action about one person the keyed hash of the address,
never the address or the name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import has_request_context
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import Select, insert, select

from .addresses import suppression_key
from .extensions import db
from .models import AuditEntry, User, utcnow

REGISTRANTS_EXPORTED = "registrants.exported"
REGISTRANTS_MESSAGED = "registrants.messaged"
REGISTRANT_CHECKED_IN = "registrant.checked_in"
REGISTRANT_CHECK_IN_UNDONE = "registrant.check_in_undone"
INVITEES_IMPORTED = "invitees.imported"
INVITEES_EXPORTED = "invitees.exported"
INVITATIONS_SENT = "invitations.sent"
REMINDERS_SENT = "reminders.sent"
PERSON_EXPORTED = "person.exported"
PERSON_ERASED = "person.erased"
ACCOUNT_CREATED = "account.created"
ACCOUNT_SWITCHED = "account.switched"
PASSWORD_SET = "account.password_set"  # noqa: S105 - an action's name
RESET_LINK_SENT = "account.reset_link_sent"
ORGANISERS_ASSIGNED = "event.organisers_assigned"
NOTICE_PUBLISHED = "notice.published"
AUDIT_EXPORTED = "audit.exported"
DATA_PURGED = "data.purged"
BADGES_PRINTED = "badges.printed"
DOOR_LIST_PRINTED = "door_list.printed"
DOCUMENT_REVOKED = "document.revoked"
CERTIFICATES_EMAILED = "certificates.emailed"
SENSITIVE_ANSWERS_SHOWN = "answers.sensitive_shown"
SENSITIVE_ANSWERS_PURGED = "answers.sensitive_purged"
PASSPORT_DATA_SHOWN = "passport.shown"
VISA_LETTER_DOWNLOADED = "visa_letter.downloaded"
VISA_LETTER_DECIDED = "visa_letter.decided"
REGISTRATION_DECIDED = "registration.decided"
PASSPORT_DATA_PURGED = "passport.purged"

ACTIONS = {
    REGISTRANTS_EXPORTED: _l("Registrant list exported"),
    REGISTRANTS_MESSAGED: _l("Message sent to registrants"),
    REGISTRANT_CHECKED_IN: _l("Registrant checked in"),
    REGISTRANT_CHECK_IN_UNDONE: _l("Registrant's check-in undone"),
    INVITEES_IMPORTED: _l("Invitee list imported"),
    INVITEES_EXPORTED: _l("Invitee list exported"),
    INVITATIONS_SENT: _l("Invitations sent"),
    REMINDERS_SENT: _l("Reminders sent"),
    PERSON_EXPORTED: _l("A person's data exported"),
    PERSON_ERASED: _l("A person's data erased"),
    ACCOUNT_CREATED: _l("Account created"),
    ACCOUNT_SWITCHED: _l("Account switched on or off"),
    PASSWORD_SET: _l("Password changed"),
    RESET_LINK_SENT: _l("Password reset link sent"),
    ORGANISERS_ASSIGNED: _l("Organisers of an event changed"),
    NOTICE_PUBLISHED: _l("Privacy notice published"),
    AUDIT_EXPORTED: _l("Audit log exported"),
    DATA_PURGED: _l("Data past its retention period purged"),
    BADGES_PRINTED: _l("Badges printed"),
    DOOR_LIST_PRINTED: _l("Door list printed"),
    DOCUMENT_REVOKED: _l("Issued document revoked"),
    CERTIFICATES_EMAILED: _l("Certificates of attendance emailed"),
    SENSITIVE_ANSWERS_SHOWN: _l("A registrant's answers to sensitive questions shown"),
    SENSITIVE_ANSWERS_PURGED: _l("Answers to sensitive questions deleted after the event"),
    PASSPORT_DATA_SHOWN: _l("Passport details for visa letters shown"),
    VISA_LETTER_DOWNLOADED: _l("A visa letter downloaded by an organiser"),
    VISA_LETTER_DECIDED: _l("A visa letter approved, declined or revoked"),
    REGISTRATION_DECIDED: _l("A registration approved or declined"),
    PASSPORT_DATA_PURGED: _l("Passport details deleted after the event"),
}


def _signed_in_user() -> User | None:
    if has_request_context() and current_user.is_authenticated:
        return current_user._get_current_object()
    return None


def record(
    action: str,
    *,
    event_id: int | None = None,
    subject: str | None = None,
    detail: dict[str, Any] | None = None,
    actor: User | None = None,
) -> AuditEntry:
    """Add an entry to the current transaction (the caller commits, with the action itself).

    ``actor`` defaults to the signed-in user; none for the command line and the purge.
    ``subject`` is the address the action was about, kept only as its keyed hash.
    """
    entry = AuditEntry(**_values(action, event_id, subject, detail, actor))
    db.session.add(entry)
    return entry


def record_at_once(
    action: str,
    *,
    event_id: int | None = None,
    subject: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Write and commit an entry on a connection of its own, for a download that changes
    nothing else: committing the request's session instead would expire the objects it
    holds (the signed-in user among them) while the streamed body is still being written."""
    values = _values(action, event_id, subject, detail, None)
    with db.engine.begin() as connection:
        connection.execute(insert(AuditEntry), values)


def _values(action, event_id, subject, detail, actor) -> dict[str, Any]:
    if action not in ACTIONS:
        raise LookupError(f"unknown audit action {action!r}")
    actor = actor or _signed_in_user()
    return {
        "at": utcnow(),
        "actor_id": actor.id if actor is not None else None,
        "action": action,
        "event_id": event_id,
        "subject_key": suppression_key(subject) if subject else None,
        "detail": detail or {},
    }


@dataclass(frozen=True)
class AuditFilter:
    actor_id: int | None = None
    event_id: int | None = None
    action: str | None = None
    subject: str | None = None  # an address: matched through its keyed hash

    @classmethod
    def from_args(cls, args) -> AuditFilter:
        action = args.get("action") or None
        return cls(
            actor_id=args.get("actor", type=int),
            event_id=args.get("event", type=int),
            action=action if action in ACTIONS else None,
            subject=(args.get("subject") or "").strip() or None,
        )

    def to_args(self) -> dict[str, Any]:
        values = {"actor": self.actor_id, "event": self.event_id, "action": self.action,
                  "subject": self.subject}
        return {k: v for k, v in values.items() if v is not None}


def query(f: AuditFilter) -> Select:
    """The entries ``f`` picks, newest first."""
    q = select(AuditEntry).order_by(AuditEntry.id.desc())
    if f.actor_id is not None:
        q = q.where(AuditEntry.actor_id == f.actor_id)
    if f.event_id is not None:
        q = q.where(AuditEntry.event_id == f.event_id)
    if f.action is not None:
        q = q.where(AuditEntry.action == f.action)
    if f.subject is not None:
        q = q.where(AuditEntry.subject_key == suppression_key(f.subject))
    return q


def page(f: AuditFilter, *, before_id: int | None = None, size: int = 50) -> list[AuditEntry]:
    """One page of entries, by keyset on the id: the log only grows."""
    q = query(f)
    if before_id is not None:
        q = q.where(AuditEntry.id < before_id)
    return list(db.session.scalars(q.limit(size)))


def rows(f: AuditFilter, *, batch: int = 1000):
    """Every entry ``f`` picks as lists of plain values, a batch at a time, for the CSV."""
    actors = {u.id: u.email for u in db.session.scalars(select(User))}
    before = None
    while True:
        entries = page(f, before_id=before, size=batch)
        if not entries:
            return
        yield [
            [e.id, e.at.strftime("%Y-%m-%d %H:%M:%S"), actors.get(e.actor_id, ""), e.action,
             e.event_id or "", e.subject_key or "", _detail_text(e.detail)]
            for e in entries
        ]
        before = entries[-1].id


def _detail_text(detail: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted((detail or {}).items()))
