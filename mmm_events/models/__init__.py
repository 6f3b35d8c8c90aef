"""The data model, one module per domain. Importing this package registers every table."""

from ._base import utcnow
from .events import Event, EventText, InvitationAdmits, event_organiser
from .invitations import Invitation, InvitationStatus, PendingImport, Suppression
from .news import NewsPost, NewsText
from .outbox import OutboxMessage, OutboxStatus
from .privacy import AuditEntry, Consent, Erasure, PrivacyNotice
from .registrations import (
    HOLDS_SEAT,
    Language,
    Registration,
    RegistrationDay,
    RegistrationStatus,
)
from .users import AccountAttempt, AttemptKind, PasswordReset, Role, User, UsualAddress

__all__ = [
    "AccountAttempt",
    "AttemptKind",
    "AuditEntry",
    "Consent",
    "Erasure",
    "HOLDS_SEAT",
    "PrivacyNotice",
    "Event",
    "EventText",
    "Invitation",
    "InvitationAdmits",
    "InvitationStatus",
    "Language",
    "NewsPost",
    "NewsText",
    "OutboxMessage",
    "OutboxStatus",
    "PasswordReset",
    "PendingImport",
    "Registration",
    "RegistrationDay",
    "RegistrationStatus",
    "Role",
    "Suppression",
    "User",
    "UsualAddress",
    "event_organiser",
    "utcnow",
]
