"""The privacy notice in versions, and the proof that a person agreed to one."""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from sqlalchemy import func, select

from .. import audit
from ..extensions import db
from ..models import Consent, Invitation, PrivacyNotice, Registration, User


def current_notice() -> PrivacyNotice | None:
    """The version in force: the latest published. None until an administrator publishes
    one; the notice shipped with the application applies until then."""
    return db.session.scalar(select(PrivacyNotice).order_by(PrivacyNotice.version.desc()))


def _notice_in_force_id():
    """The id of ``current_notice()``, as a subquery of the statement it is part of."""
    return (
        select(PrivacyNotice.id).order_by(PrivacyNotice.version.desc()).limit(1)
    ).scalar_subquery()


def notice_versions() -> list[PrivacyNotice]:
    return list(db.session.scalars(select(PrivacyNotice).order_by(PrivacyNotice.version.desc())))


def notice_by_version(version: int) -> PrivacyNotice | None:
    return db.session.scalar(select(PrivacyNotice).where(PrivacyNotice.version == version))


def notice_text(notice: PrivacyNotice, language: str) -> tuple[str, str]:
    """The notice in ``language``, or else in the first site language that has it; with the
    language it is in, for the page's ``lang`` attribute."""
    languages = [language, *current_app.config["LANGUAGES"]]
    for code in languages:
        if (notice.bodies or {}).get(code, "").strip():
            return notice.bodies[code], code
    return "", language


def publish_notice(bodies: dict[str, str], *, author: User, now: datetime) -> PrivacyNotice:
    """A new version of the notice, in force from now; the caller commits. Earlier versions
    stay as they were, so that every consent still points to the text the person saw."""
    latest = db.session.scalar(select(func.max(PrivacyNotice.version))) or 0
    notice = PrivacyNotice(
        version=latest + 1,
        # Line ends as browsers send them (CRLF) become plain newlines: paragraphs are
        # separated by one blank line.
        bodies={
            code: text.replace("\r\n", "\n").strip()
            for code, text in bodies.items()
            if text.strip()
        },
        published_at=now,
        author_id=author.id,
    )
    db.session.add(notice)
    db.session.flush()
    audit.record(audit.NOTICE_PUBLISHED, detail={"version": notice.version}, actor=author)
    return notice


def record_consent(
    *,
    registration: Registration | None = None,
    invitation: Invitation | None = None,
    now: datetime,
) -> Consent:
    """Record that the person agreed to the notice in force, registering (``registration``)
    or answering an invitation; the caller commits. The separate consent to keep needs is
    recorded as given exactly when needs were kept."""
    if registration is not None and invitation is None and registration.invitation_id:
        invitation = db.session.get(Invitation, registration.invitation_id)
    consent = Consent(
        registration_id=registration.id if registration is not None else None,
        invitation_id=invitation.id if invitation is not None else None,
        # The notice in force, found by the INSERT itself: no read of it per request, and
        # never a version another process has since replaced.
        notice_id=_notice_in_force_id(),
        given_at=now,
        special_category=bool(registration is not None and registration.needs),
    )
    db.session.add(consent)
    return consent
