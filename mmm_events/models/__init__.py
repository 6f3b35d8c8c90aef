"""The data model, one module per domain. Importing this package registers every table."""

from . import content_version  # noqa: F401 - its listener counts the changes
from ._base import utcnow
from .covers import CoverImage, PendingCover
from .documents import DOCUMENT_KINDS, IssuedDocument
from .events import Event, EventText, InvitationAdmits, event_organiser
from .invitations import (
    INVITATION_OPEN,
    Invitation,
    InvitationStatus,
    PendingImport,
    Suppression,
)
from .letters import LetterStatus, VisaLetter
from .news import NewsPost, NewsText
from .outbox import OutboxMessage, OutboxStatus
from .privacy import AuditEntry, Consent, Erasure, PrivacyNotice
from .questions import (
    CHOICE_KINDS,
    Answer,
    OptionText,
    Question,
    QuestionKind,
    QuestionOption,
    QuestionText,
)
from .registrations import (
    HOLDS_SEAT,
    CheckInReceipt,
    Language,
    Registration,
    RegistrationDay,
    RegistrationStatus,
)
from .users import AccountAttempt, AttemptKind, PasswordReset, Role, User, UsualAddress

__all__ = [
    "CHOICE_KINDS",
    "DOCUMENT_KINDS",
    "IssuedDocument",
    "AccountAttempt",
    "Answer",
    "OptionText",
    "Question",
    "QuestionKind",
    "QuestionOption",
    "QuestionText",
    "AttemptKind",
    "AuditEntry",
    "CheckInReceipt",
    "Consent",
    "CoverImage",
    "Erasure",
    "HOLDS_SEAT",
    "INVITATION_OPEN",
    "PrivacyNotice",
    "Event",
    "EventText",
    "Invitation",
    "InvitationAdmits",
    "InvitationStatus",
    "Language",
    "LetterStatus",
    "NewsPost",
    "NewsText",
    "OutboxMessage",
    "OutboxStatus",
    "PasswordReset",
    "PendingCover",
    "PendingImport",
    "Registration",
    "RegistrationDay",
    "RegistrationStatus",
    "Role",
    "Suppression",
    "User",
    "UsualAddress",
    "VisaLetter",
    "event_organiser",
    "utcnow",
]
