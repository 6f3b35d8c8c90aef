"""The data model, one module per domain. Importing this package registers every table."""

from ._base import utcnow
from .events import Event, event_organiser
from .invitations import Invitation, InvitationStatus, PendingImport, Suppression
from .news import NewsPost
from .outbox import OutboxMessage, OutboxStatus
from .registrations import Language, Registration, RegistrationDay, RegistrationStatus
from .users import Role, User

__all__ = [
    "Event",
    "Invitation",
    "InvitationStatus",
    "Language",
    "NewsPost",
    "OutboxMessage",
    "OutboxStatus",
    "PendingImport",
    "Registration",
    "RegistrationDay",
    "RegistrationStatus",
    "Role",
    "Suppression",
    "User",
    "event_organiser",
    "utcnow",
]
