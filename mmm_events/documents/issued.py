"""Issued documents: a certificate of attendance or a visa invitation letter, as issued to
one person, with a reference printed on it and a link (and its QR code) that lets anyone
holding the paper check it on the verification page.

The reference is for people (read out over the phone, written in a file); the link's token
is the secret that opens the verification page, so the page cannot be found by trying
references. A document is issued once per registration and kind while it is in force (a
partial unique index decides between two simultaneous first downloads); an organiser may
revoke it; the holder's erasure withdraws it.
"""

from __future__ import annotations

import enum
import secrets
from datetime import datetime

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import DOCUMENT_KINDS, IssuedDocument, Registration, User
from ..models._base import worth_looking_up

# Letters and digits nobody mistakes for one another when reading a reference aloud or
# copying it by hand: no 0/O, 1/I/L, nor U (V).
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
REFERENCE_LENGTH = 8  # 30**8: 6.6e11 references a year, drawn at random


# What each kind is called on the organisers' pages.
KIND_LABELS = {
    "certificate": _l("Certificate of attendance"),
    "visa_letter": _l("Visa invitation letter"),
}


class DocumentState(enum.StrEnum):
    VALID = "valid"
    REVOKED = "revoked"  # by an organiser
    WITHDRAWN = "withdrawn"  # the holder's data was erased


def new_reference(year: int) -> str:
    """A reference such as "MMM-2027-4F7KQ2ZX": the year of the event and a random part."""
    random_part = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))
    return f"MMM-{year}-{random_part}"


def document_in_force(registration_id: int, kind: str) -> IssuedDocument | None:
    return db.session.scalar(
        select(IssuedDocument).where(
            IssuedDocument.registration_id == registration_id,
            IssuedDocument.kind == kind,
            IssuedDocument.revoked_at.is_(None),
        )
    )


def issue(registration: Registration, kind: str, *, language: str, now: datetime,
          holder_name: str | None = None, attempts: int = 5) -> IssuedDocument:
    """The ``kind`` document of ``registration`` in force, issued now if there is none; the
    caller commits. Two requests issuing at once get the same document: the second insert
    hits the unique index, and its savepoint is rolled back to read the first's row (which
    PostgreSQL lets it see once the first commits; SQLite's write lock serialises them). A
    reference drawn twice (one chance in billions) is drawn again. ``holder_name`` is the
    name to print when it is not the registration's (a visa letter's name as in the
    passport)."""
    if kind not in DOCUMENT_KINDS:
        raise ValueError(f"unknown kind of document {kind!r}")
    for _attempt in range(attempts):
        existing = document_in_force(registration.id, kind)
        if existing is not None:
            return existing
        document = IssuedDocument(
            kind=kind,
            reference=new_reference(registration.event.starts_at.year),
            event_id=registration.event_id,
            registration_id=registration.id,
            holder_name=holder_name or registration.full_name,
            language=registration.language.value,
            issued_at=now,
        )
        try:
            with db.session.begin_nested():
                db.session.add(document)
        except IntegrityError:
            continue
        return document
    raise RuntimeError("could not issue a document with a unique reference")


def document_by_token(token: str) -> IssuedDocument | None:
    """The document whose verification link carries ``token``."""
    if not worth_looking_up(token):
        return None
    return db.session.scalar(select(IssuedDocument).where(IssuedDocument.token == token))


def state_of(document: IssuedDocument) -> DocumentState:
    if document.withdrawn:
        return DocumentState.WITHDRAWN
    if document.revoked_at is not None:
        return DocumentState.REVOKED
    return DocumentState.VALID


def revoke(document: IssuedDocument, *, by: User | None, now: datetime) -> bool:
    """Revoke ``document`` unless it already is, by one conditional UPDATE as
    ``transitions.transition`` makes, on a column whose "state" is NULL or a time (which
    ``transition``'s ``IN`` cannot test): a double click or two organisers revoke it once.
    The caller commits. Whether this call revoked it."""
    changed = db.session.execute(
        update(IssuedDocument)
        .where(IssuedDocument.id == document.id, IssuedDocument.revoked_at.is_(None))
        .values(revoked_at=now, revoked_by_id=by.id if by is not None else None)
        .returning(IssuedDocument.id)
        .execution_options(synchronize_session="fetch")
    ).all()
    return bool(changed)


def verification_url(document: IssuedDocument) -> str:
    """The absolute address printed on the document and held by its QR code."""
    return url_for("documents.verify", token=document.token, _external=True)
