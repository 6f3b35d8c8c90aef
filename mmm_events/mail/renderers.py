"""Every kind of email the mail worker writes, in one list.

A row names its renderer when it is queued. A worker that does not know the name (an older
release still running during a rolling deploy) leaves the row for a worker that does.
"""

from __future__ import annotations

from ..auth.emails import ACCOUNT_EMAIL
from ..invitations.emails import INVITATION_EMAIL
from ..organiser.emails import ORGANISER_MESSAGE
from ..registrations.emails import REGISTRATION_EMAIL
from .outbox import Renderer

RENDERERS: dict[str, Renderer] = {
    "registration": REGISTRATION_EMAIL,
    "invitation": INVITATION_EMAIL,
    "organiser_message": ORGANISER_MESSAGE,
    "account": ACCOUNT_EMAIL,
}
