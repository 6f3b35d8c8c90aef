"""Invitee files kept between the import report and its confirmation.

The organiser sees the report, then confirms; the file is not sent again, and nothing the
browser sends back is trusted as rows: the confirmation names a random id, and the stored
file is parsed again, for the same event and the same organiser only. The file waits in the
database (``PendingImport``), so the confirmation works on whichever web server it reaches.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select

from ..extensions import db
from ..models import PendingImport

# Reports not confirmed within a day are abandoned; they are removed when the next file is
# stored, so the table holds no more than a day of uploads.
LIFETIME = timedelta(days=1)
_ID = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


def store(*, event_id: int, user_id: int, filename: str, data: bytes, now: datetime) -> str:
    """Keep the file (in the caller's transaction) and return the id that names it."""
    db.session.execute(delete(PendingImport).where(PendingImport.expires_at <= now))
    upload_id = secrets.token_urlsafe(24)
    db.session.add(
        PendingImport(
            id=upload_id,
            event_id=event_id,
            user_id=user_id,
            filename=filename[:255],
            data=data,
            expires_at=now + LIFETIME,
        )
    )
    return upload_id


def take(upload_id: str, *, event_id: int, user_id: int, now: datetime) -> tuple[str, bytes] | None:
    """The stored file's name and bytes, removed from the table in the caller's transaction,
    if this id names a file this organiser uploaded for this event and it has not expired.

    The removal is one conditional statement: of two confirmations at once, only the one
    whose DELETE removed the row gets the file, so a list is never imported twice.
    """
    if not _ID.match(upload_id):
        return None
    mine = (
        PendingImport.id == upload_id,
        PendingImport.event_id == event_id,
        PendingImport.user_id == user_id,
        PendingImport.expires_at > now,
    )
    found = db.session.execute(
        select(PendingImport.filename, PendingImport.data).where(*mine)
    ).first()
    if found is None:
        return None
    removed = db.session.execute(
        delete(PendingImport).where(*mine).execution_options(synchronize_session=False)
    )
    if removed.rowcount != 1:
        return None
    return found.filename, found.data
