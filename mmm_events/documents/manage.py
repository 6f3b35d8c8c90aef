"""The organiser's papers: the documents page of an event, its badges (everyone with a seat,
a selection of the registrant list, or one person), its door list per day, and the documents
issued to registrants (certificates), which an organiser may revoke.

Each download is a bulk read of personal data and leaves an audit entry. The PDFs are made
within the request: 1,000 badges take 16 to 20 s of CPU, depending on the machine's load
(bench/README.md).
"""

from __future__ import annotations

from datetime import date

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select

from .. import audit
from ..content import localized
from ..extensions import db
from ..i18n import current_language
from ..models import IssuedDocument, Registration, utcnow
from ..organiser.access import event_for_organiser, of_organisers_event
from ..organiser.blueprint import bp
from ..registrations.management import RegistrantFilter
from .badges import BAND_FIELDS, LAYOUTS, badges_for, one_badge_query, render_badges, seat_holders
from .certificates import certificate_counts, email_certificates, event_is_over
from .doorlist import render_door_list
from .issued import revoke

ISSUED_PER_PAGE = 50


def _choice(name: str, allowed, default: str) -> str:
    value = request.args.get(name, default)
    if value not in allowed:
        abort(400)
    return value


def _pdf(body: bytes, filename: str) -> Response:
    return Response(
        body,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.get("/events/<int:event_id>/documents")
def event_documents(event_id: int):
    event = event_for_organiser(event_id)
    f = RegistrantFilter.from_args(request.args, event)
    issued = db.paginate(
        select(IssuedDocument).where(IssuedDocument.event_id == event.id)
        .order_by(IssuedDocument.id.desc()),
        page=request.args.get("page", 1, type=int), per_page=ISSUED_PER_PAGE, error_out=False,
    )
    return render_template(
        "documents/manage/documents.html",
        event=event,
        f=f,
        bands=BAND_FIELDS,
        issued=issued,
        certificates=certificate_counts(event),
        event_over=event_is_over(event, utcnow()),
    )


@bp.get("/events/<int:event_id>/badges.pdf")
def event_badges(event_id: int):
    """Badges for everyone with a seat matching the registrant list's filter (none: all)."""
    event = event_for_organiser(event_id)
    layout = _choice("layout", LAYOUTS, "sheet")
    band = _choice("band", BAND_FIELDS, "none")
    f = RegistrantFilter.from_args(request.args, event)
    if not f.active and f.sort == "registered":
        f = RegistrantFilter(sort="name")
    body = _render(event, badges_for(seat_holders(event, f), band), layout)
    audit.record_at_once(
        audit.BADGES_PRINTED, event_id=event.id, detail={"layout": layout, "filter": f.to_args()}
    )
    return _pdf(body, f"{event.slug}-badges.pdf")


@bp.get("/registrations/<int:registration_id>/badge.pdf")
def registration_badge(registration_id: int):
    """One person's badge, for a late arrival at the desk; 404 without a seat."""
    registration = of_organisers_event(Registration, registration_id)
    event = registration.event
    layout = _choice("layout", LAYOUTS, "card")
    band = _choice("band", BAND_FIELDS, "none")
    badges = list(badges_for(one_badge_query(registration), band))
    if not badges:
        abort(404)
    body = _render(event, badges, layout)
    audit.record_at_once(
        audit.BADGES_PRINTED,
        event_id=event.id,
        subject=registration.email_normalised,
        detail={"layout": layout, "registration_id": registration.id},
    )
    return _pdf(body, f"{event.slug}-badge-{registration.id}.pdf")


def _render(event, badges, layout: str) -> bytes:
    language = current_language()
    title, _language = localized(event, "title", language)
    return render_badges(title, event.hashtag, badges, layout, language)


@bp.get("/events/<int:event_id>/door-list/<day>.pdf")
def door_list_pdf(event_id: int, day: str):
    event = event_for_organiser(event_id)
    try:
        chosen = date.fromisoformat(day)
    except ValueError:
        abort(404)
    if chosen not in event.days:
        abort(404)
    language = current_language()
    title, _language = localized(event, "title", language)
    body = render_door_list(event, title, chosen, language)
    audit.record_at_once(
        audit.DOOR_LIST_PRINTED, event_id=event.id, detail={"day": chosen.isoformat()}
    )
    return _pdf(body, f"{event.slug}-door-list-{chosen.isoformat()}.pdf")


@bp.post("/documents/<int:document_id>/revoke")
def revoke_document(document_id: int):
    """Revoke an issued document: its verification page then says so. Once: a second click
    finds it revoked already and changes nothing."""
    document = of_organisers_event(IssuedDocument, document_id)
    event = document.event
    registration = (
        db.session.get(Registration, document.registration_id)
        if document.registration_id is not None else None
    )
    if revoke(document, by=current_user, now=utcnow()):
        audit.record(
            audit.DOCUMENT_REVOKED,
            event_id=event.id,
            subject=registration.email if registration is not None else None,
            detail={"document_id": document.id, "kind": document.kind},
        )
        db.session.commit()
        flash(_("Document %(reference)s is revoked: its verification page now says so.",
                reference=document.reference), "success")
    else:
        flash(_("Document %(reference)s was already revoked: nothing was changed.",
                reference=document.reference), "warning")
    if request.form.get("back") == "registration" and registration is not None:
        return redirect(url_for("organiser.registration_detail",
                                registration_id=registration.id, _anchor="papers"), code=303)
    return redirect(url_for("organiser.event_documents", event_id=event.id), code=303)


@bp.post("/events/<int:event_id>/certificates/email")
def email_event_certificates(event_id: int):
    """Email every attendee their certificate of attendance, once each: a second click, or a
    second organiser, queues only certificates never emailed (none, or latecomers')."""
    event = event_for_organiser(event_id)
    now = utcnow()
    if not event_is_over(event, now):
        abort(409)
    count = email_certificates(event, now=now)
    audit.record(audit.CERTIFICATES_EMAILED, event_id=event.id, detail={"emails": count})
    db.session.commit()
    if count:
        flash(ngettext("%(num)d certificate of attendance is on its way.",
                       "%(num)d certificates of attendance are on their way.", count), "success")
    else:
        flash(_("Every certificate of attendance had already been emailed: nothing was sent."),
              "warning")
    return redirect(url_for("organiser.event_documents", event_id=event.id), code=303)
