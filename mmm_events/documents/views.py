"""The public side of issued documents: the verification page that the link and QR code
printed on a document open, for anyone holding the paper (an employer, a consulate); and a
person's own certificate of attendance, downloaded from their manage link.

It confirms the reference, the holder's name, the event and the date of issue, and nothing
else; a revoked document says so, and a withdrawn one (its holder's data erased) no longer
names anyone. The address carries the document's secret: no cache keeps the page, no other
site sees its address, and search engines are asked not to index it.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, make_response, render_template

from ..erasures import refuse_erased
from ..extensions import db
from ..models import utcnow
from ..registrations.services import registration_by_token
from ..web import keep_private
from .certificates import (
    certificate_available,
    certificate_filename,
    certificate_of,
    render_certificate,
)
from .issued import DocumentState, document_by_token, state_of

bp = Blueprint("documents", __name__, url_prefix="/documents")


@bp.after_request
def private_and_unindexed(response):
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return keep_private(response)


@bp.get("/verify/<token>")
def verify(token: str):
    document = document_by_token(token)
    if document is None:
        abort(404)
    return render_template(
        "documents/verify.html",
        document=document,
        event=document.event,
        state=state_of(document),
        states=DocumentState,
    )


@bp.get("/certificate/<token>")
def certificate(token: str):
    """The certificate of the registration whose manage link carries ``token``, issued the
    first time; refused (403, with a page saying when it becomes available) before the event
    is over or to someone who was not checked in."""
    registration = registration_by_token(token)
    if registration is None:
        abort(404)
    refuse_erased(registration=registration)
    if not certificate_available(registration):
        page = render_template(
            "documents/certificate_unavailable.html",
            event=registration.event,
            registration=registration,
            over=registration.event.ends_at <= utcnow(),
        )
        abort(make_response(page, 403))
    document = certificate_of(registration, now=utcnow())
    db.session.commit()
    return Response(
        render_certificate(document),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{certificate_filename(document)}"'},
    )
