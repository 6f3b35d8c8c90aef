"""The rules of invitations, as plain functions that the views and the tests call.

One module per concept: ``imports`` (adding invitees, from a file or by hand), ``sending``
(invitations, reminders, revoking), ``answers`` (the invitee's links) and ``funnel`` (the
stages, their counts, the invitee list and its export); ``common`` holds what they share.
This package gathers their public names, so callers write ``services.send_invitations``.

Nothing here commits: the caller commits once, so that an invitation's change of state and the
email it causes (an outbox row) are saved together or not at all.
"""

from .answers import (
    decline,
    invitation_by_token,
    invitation_by_unsubscribe_token,
    mark_opened,
    unsubscribe,
)
from .common import (
    AddressSuppressed,
    AlreadyAccepted,
    AlreadyInvited,
    InvitationError,
    is_suppressed,
    suppressed_among,
)
from .funnel import (
    EXPORT_COLUMNS,
    FILTERS,
    STAGES,
    Invitee,
    Stage,
    export_rows,
    funnel,
    funnel_chart,
    invitees,
)
from .imports import (
    add_invitee,
    build_import_report,
    check_import,
    confirm_import,
    save_import,
    stage_import,
)
from .sending import (
    RevokeResult,
    SendResult,
    count_sendable,
    invitation_of_event,
    outbox_progress,
    recipients_by_language,
    revoke,
    revoke_chosen,
    send_invitations,
    send_reminders,
)

__all__ = [
    "EXPORT_COLUMNS",
    "FILTERS",
    "STAGES",
    "AddressSuppressed",
    "AlreadyAccepted",
    "AlreadyInvited",
    "InvitationError",
    "Invitee",
    "RevokeResult",
    "SendResult",
    "Stage",
    "add_invitee",
    "build_import_report",
    "check_import",
    "confirm_import",
    "count_sendable",
    "decline",
    "export_rows",
    "funnel",
    "funnel_chart",
    "invitation_by_token",
    "invitation_by_unsubscribe_token",
    "invitation_of_event",
    "invitees",
    "is_suppressed",
    "mark_opened",
    "outbox_progress",
    "recipients_by_language",
    "revoke",
    "revoke_chosen",
    "save_import",
    "send_invitations",
    "send_reminders",
    "stage_import",
    "suppressed_among",
    "unsubscribe",
]
