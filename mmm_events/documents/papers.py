"""A registration's papers, on its organisers' page: the visa letter the person asked for and
the documents issued to them. That page belongs to ``registrations``, which sits below
``documents`` and cannot ask; its template gets them through a global, as the manage page
asks ``certificates.certificate_available``."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..extensions import db
from ..models import IssuedDocument, Registration, VisaLetter
from .issued import KIND_LABELS, state_of

# What a visa letter request's state (``VisaLetter.state``) is called on the organisers' pages.
LETTER_STATES = {
    "requested": _l("Awaiting a decision"),
    "approved": _l("Issued"),
    "declined": _l("Declined"),
    "revoked": _l("Revoked"),
    "withdrawn": _l("Withdrawn"),
}


@dataclass(frozen=True)
class Papers:
    letter: VisaLetter | None
    documents: list[IssuedDocument]

    @property
    def letter_state(self) -> str:
        return str(LETTER_STATES[self.letter.state]) if self.letter is not None else ""


def papers_of(registration: Registration) -> Papers:
    """The registration's visa letter request, if any, and its documents, newest first. No
    passport detail is shown from it: those are on the Visa letters page, whose every view
    is audited."""
    letter = db.session.scalar(
        select(VisaLetter).where(VisaLetter.registration_id == registration.id)
    )
    documents = db.session.scalars(
        select(IssuedDocument)
        .where(IssuedDocument.registration_id == registration.id)
        .order_by(IssuedDocument.id.desc())
    ).all()
    return Papers(letter, list(documents))


def register(app: Flask) -> None:
    app.add_template_global(papers_of, "registration_papers")
    app.add_template_global(state_of, "document_state")
    app.add_template_global(KIND_LABELS, "document_kinds")
    app.add_template_global(LETTER_STATES, "letter_states")
