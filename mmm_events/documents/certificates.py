"""Certificates of attendance: after the event, everyone who was checked in may download
one from their manage page, in their language, with the verification link and its QR code;
the organisers may email every certificate in one go, once each.

The first download (or the organisers' send) issues the certificate (``issued.issue``): the
same reference ever after. The email is written by the mail worker (the ``certificate``
renderer), which renders the PDF from the document's row when it sends it, rather than the
request storing a thousand PDFs in the outbox: the row of each email stays a few hundred
bytes, the organiser's click takes no rendering time, a retry renders the same certificate
again from the same row, and a certificate revoked or withdrawn before its email went is
not sent (its row fails, saying why).
"""

from __future__ import annotations

from datetime import datetime

from flask import Flask
from flask_babel import force_locale
from sqlalchemy import exists, func, select, update

from .. import mail
from ..content import localized
from ..extensions import db
from ..models import Erasure, Event, IssuedDocument, Registration, utcnow
from ..registrations.emails import manage_url
from .issued import DocumentState, issue, state_of, verification_url
from .pdf import qr_image, render_pdf

KIND = "certificate"
RENDERER = "certificate"


def event_is_over(event: Event, now: datetime) -> bool:
    return event.ends_at <= now


def certificate_available(registration: Registration, now: datetime | None = None) -> bool:
    """Whether ``registration`` may have its certificate: checked in, and the event over."""
    return registration.checked_in_at is not None and event_is_over(
        registration.event, now or utcnow()
    )


def certificate_of(registration: Registration, *, now: datetime) -> IssuedDocument:
    """The registration's certificate, issued now the first time; the caller commits and
    has checked ``certificate_available``."""
    return issue(registration, KIND, language=registration.language.value, now=now)


def render_certificate(document: IssuedDocument) -> bytes:
    """The certificate's PDF, in the language it was issued in."""
    event = document.event
    language = document.language
    with force_locale(language):
        title, _title_language = localized(event, "title", language)
        place = [localized(event, field, language)[0] for field in ("venue", "city", "country")]
        return render_pdf(
            "documents/pdf/certificate.html",
            document=document,
            event=event,
            title=title,
            place=place,
            language=language,
            url=verification_url(document),
            qr_image=qr_image,
        )


def certificate_filename(document: IssuedDocument) -> str:
    return f"certificate-{document.reference}.pdf"


def attendees(event: Event):
    """The query of the people checked in at ``event`` whose data was not erased (on
    request, or by the retention purge): those who get a certificate."""
    return select(Registration).where(
        Registration.event_id == event.id,
        Registration.checked_in_at.is_not(None),
        ~exists().where(Erasure.registration_id == Registration.id),
    )


def email_certificates(event: Event, *, now: datetime) -> int:
    """Issue every attendee's certificate not issued yet, and queue an email for each
    certificate in force never emailed; the caller commits. Returns how many were queued.

    The emails are claimed by one conditional UPDATE (``emailed_at IS NULL``): of two sends
    at once (a double click, two organisers), each certificate goes to the one whose UPDATE
    returned it, so everyone gets one email."""
    issued_ids = set(db.session.scalars(
        select(IssuedDocument.registration_id).where(
            IssuedDocument.event_id == event.id, IssuedDocument.kind == KIND,
            IssuedDocument.revoked_at.is_(None),
        )
    ))
    for registration in db.session.scalars(attendees(event).order_by(Registration.id)):
        if registration.id not in issued_ids:
            certificate_of(registration, now=now)
    claimed = db.session.execute(
        update(IssuedDocument)
        .where(
            IssuedDocument.event_id == event.id,
            IssuedDocument.kind == KIND,
            IssuedDocument.revoked_at.is_(None),
            IssuedDocument.withdrawn.is_(False),
            IssuedDocument.emailed_at.is_(None),
        )
        .values(emailed_at=now)
        .returning(IssuedDocument.id, IssuedDocument.registration_id)
        .execution_options(synchronize_session=False)
    ).all()
    for document_id, registration_id in sorted(claimed):
        registration = db.session.get(Registration, registration_id)
        mail.queue(
            mail.Recipient(registration.email, registration_id=registration.id,
                           name=registration.full_name),
            kind="certificate",
            renderer=RENDERER,
            arguments={"document_id": document_id},
            event_id=event.id,
        )
    return len(claimed)


def certificate_counts(event: Event) -> dict[str, int]:
    """For the documents page: attendees, certificates in force, and those emailed."""
    in_force = (IssuedDocument.event_id == event.id) & (IssuedDocument.kind == KIND) & (
        IssuedDocument.revoked_at.is_(None))
    return {
        "attendees": db.session.scalar(
            select(func.count()).select_from(attendees(event).subquery())),
        "issued": db.session.scalar(select(func.count()).where(in_force)),
        "emailed": db.session.scalar(
            select(func.count()).where(in_force, IssuedDocument.emailed_at.is_not(None))),
    }


def render_certificate_email(row) -> mail.Email:
    document = db.session.get(IssuedDocument, row.render["document_id"])
    registration = row.registration
    if document is None or registration is None:
        raise mail.RenderError("the certificate or its registration no longer exists")
    if state_of(document) is not DocumentState.VALID:
        raise mail.RenderError(f"certificate {document.reference} is {state_of(document)}")
    email = mail.render_email(
        "certificate", document.language, event=document.event, document=document,
        registration=registration, manage_url=manage_url(registration),
        verification_url=verification_url(document), filename=certificate_filename(document),
    )
    attachment = mail.Attachment(
        certificate_filename(document), "application/pdf", render_certificate(document)
    )
    return mail.Email(subject=email.subject, text=email.text, html=email.html,
                      attachments=(attachment,))


CERTIFICATE_EMAIL = mail.Renderer(render=render_certificate_email)


def register(app: Flask) -> None:
    """The manage page asks whether to offer the certificate (registrations cannot import
    documents, which sits above them)."""
    app.add_template_global(certificate_available)
