"""Links whose data was erased: the manage link of a registration, the answer and unsubscribe
links of an invitation. Once a person's data is erased, each of them leads to a page that says
so (410) instead of "not found".

Below the features: registrations, invitations and privacy all check their links here.
"""

from __future__ import annotations

from flask import abort, make_response, render_template
from sqlalchemy import or_, select

from .extensions import db
from .models import Erasure, Invitation, Registration


def erasure_of(*, registration: Registration | None = None,
               invitation: Invitation | None = None) -> Erasure | None:
    conditions = []
    if registration is not None:
        conditions.append(Erasure.registration_id == registration.id)
    if invitation is not None:
        conditions.append(Erasure.invitation_id == invitation.id)
    return db.session.scalar(select(Erasure).where(or_(*conditions)).limit(1))


def refuse_erased(*, registration: Registration | None = None,
                  invitation: Invitation | None = None) -> None:
    """Stop the request with a page saying the data behind this link was deleted (410), if
    it was. The manage and invitation pages call this after finding the row by its token."""
    erasure = erasure_of(registration=registration, invitation=invitation)
    if erasure is not None:
        page = render_template("privacy/erased.html", erasure=erasure)
        response = make_response(page, 410)
        response.headers["Cache-Control"] = "no-store"
        abort(response)
