"""The data model, one module per domain. Importing this package registers every table."""

from ._base import utcnow
from .events import Event, event_organiser
from .invitations import Invitation, InvitationStatus, Suppression
from .news import NewsPost
from .outbox import OutboxMessage, OutboxStatus
from .privacy import AuditEntry, Consent, Erasure, PrivacyNotice
from .registrations import Language, Registration, RegistrationDay, RegistrationStatus
from .users import Role, User

__all__ = [
    "AuditEntry",
    "Consent",
    "Erasure",
    "PrivacyNotice",
    "Event",
    "Invitation",
    "InvitationStatus",
    "Language",
    "NewsPost",
    "OutboxMessage",
    "OutboxStatus",
    "Registration",
    "RegistrationDay",
    "RegistrationStatus",
    "Role",
    "Suppression",
    "User",
    "event_organiser",
    "utcnow",
]
