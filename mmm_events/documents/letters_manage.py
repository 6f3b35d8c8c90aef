"""The organiser's side of visa letters: the event's requests with their passport details
(each sight of the page leaves an audit entry), approving, declining and revoking one click
each, and the issued letter to download (audited too). The rules are in ``letters``."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, url_for
from flask_babel import _
from flask_login import current_user

from .. import audit
from ..extensions import db
from ..i18n import current_language
from ..models import VisaLetter, utcnow
from ..organiser.access import event_for_organiser, of_organisers_event
from ..organiser.blueprint import bp
from ..questions.countries import country_name
from ..registrations.forms import ConfirmForm
from . import letters
from .forms import LetterDeclineForm
from .letter_pdf import letter_filename, render_letter


def _letter_for_organiser(letter_id: int) -> VisaLetter:
    return of_organisers_event(VisaLetter, letter_id)


def _back(letter: VisaLetter):
    return redirect(url_for("organiser.visa_letters", event_id=letter.event_id), code=303)


@bp.get("/events/<int:event_id>/visa-letters")
def visa_letters(event_id: int):
    event = event_for_organiser(event_id)
    requests = letters.requests_of(event)
    shown = [letter for letter in requests if letter.has_passport_data]
    if shown:
        audit.record_at_once(
            audit.PASSPORT_DATA_SHOWN, event_id=event.id,
            detail={"letters": [letter.id for letter in shown]},
        )
    language = current_language()
    return render_template(
        "documents/manage/visa_letters.html",
        event=event,
        requests=requests,
        nationality={letter.id: country_name(letter.nationality, language)
                     for letter in requests if letter.nationality},
        confirm_form=ConfirmForm(),
        decline_form=LetterDeclineForm(),
        deleted_on=letters.passport_deleted_on(event),
    )


def _decided(letter, changed: bool, decision: str, done: str, unchanged: str):
    """After a decision on ``letter``: the audit entry when it changed something, one commit,
    and the organiser told what happened (a double click changes nothing the second time)."""
    if changed:
        audit.record(audit.VISA_LETTER_DECIDED, event_id=letter.event_id,
                     detail={"letter": letter.id, "decision": decision})
    db.session.commit()
    if changed:
        flash(done, "success")
    else:
        flash(unchanged, "warning")
    return _back(letter)


@bp.post("/visa-letters/<int:letter_id>/approve")
def approve_visa_letter(letter_id: int):
    letter = _letter_for_organiser(letter_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        approved = letters.approve_letter(letter, now=utcnow(), by=current_user)
    except letters.LetterRefused:
        flash(_("Set the name and role of the letters' signatory in the event's settings "
                "first: a consulate takes no unsigned letter."), "error")
        return _back(letter)
    return _decided(
        letter, approved, "approved",
        _("Approved: the letter is on its way to the person by email."),
        _("This request no longer awaits a decision: nothing was changed."),
    )


@bp.post("/visa-letters/<int:letter_id>/decline")
def decline_visa_letter(letter_id: int):
    letter = _letter_for_organiser(letter_id)
    form = LetterDeclineForm()
    if not form.validate_on_submit():
        flash(_("Please keep the message under 2,000 characters."), "error")
        return _back(letter)
    declined = letters.decline_letter(
        letter, now=utcnow(), by=current_user, message=form.message.data
    )
    return _decided(
        letter, declined, "declined",
        _("Declined: the person is told by email."),
        _("This request no longer awaits a decision: nothing was changed."),
    )


@bp.post("/visa-letters/<int:letter_id>/revoke")
def revoke_visa_letter(letter_id: int):
    letter = _letter_for_organiser(letter_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return _decided(
        letter, letters.revoke_letter(letter, now=utcnow(), by=current_user), "revoked",
        _("Revoked: the letter's verification page now says it is no longer valid."),
        _("This letter is not issued: nothing was changed."),
    )


@bp.get("/visa-letters/<int:letter_id>/letter.pdf")
def visa_letter_pdf(letter_id: int):
    letter = _letter_for_organiser(letter_id)
    if not letter.in_force or not letter.has_passport_data:
        abort(404)
    body = render_letter(letter)
    audit.record_at_once(
        audit.VISA_LETTER_DOWNLOADED, event_id=letter.event_id,
        subject=letter.registration.email_normalised, detail={"letter": letter.id},
    )
    return Response(
        body, mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{letter_filename(letter)}"'},
    )
