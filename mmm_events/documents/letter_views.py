"""A person's visa letter, from their manage link: the request with its passport details,
where it stands, and the letter to download once issued. On the documents blueprint (its
private, unindexed pages); the letter's verification page is the issued documents' own."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from ..erasures import refuse_erased
from ..extensions import db
from ..models import Registration, utcnow
from ..registrations.services import registration_by_token
from .forms import PassportForm
from .letter_pdf import letter_filename, render_letter
from .letters import LetterRefused, letter_of, may_ask, request_letter
from .views import bp

# Where a letter may be asked for again: waiting, declined, or revoked by the organisers.
ASKABLE = ("requested", "declined", "revoked")


def _registration_or_404(token: str) -> Registration:
    registration = registration_by_token(token)
    if registration is None:
        abort(404)
    refuse_erased(registration=registration)
    return registration


def refusal_text(reason: str) -> str:
    return {
        "not_offered": _("This event does not offer letters of invitation."),
        "not_attending": _("A cancelled or declined registration cannot ask for a letter."),
        "issued": _("Your letter has been issued already; it can no longer be changed."),
    }[reason]


@bp.route("/visa-letter/<token>", methods=["GET", "POST"])
def visa_letter(token: str):
    """Ask for a letter, see where the request stands, and download the letter once issued."""
    registration = _registration_or_404(token)
    event = registration.event
    letter = letter_of(registration)
    if not event.visa_letters and letter is None:
        abort(404)
    form = PassportForm()
    form.event = event
    editable = may_ask(registration) and (letter is None or letter.state in ASKABLE)
    if editable and form.validate_on_submit():
        try:
            request_letter(registration, form.details(), now=utcnow())
        except LetterRefused as refused:
            db.session.rollback()
            flash(refusal_text(refused.reason), "error")
        else:
            db.session.commit()
            flash(_("Your request is saved. The organisers will email you their decision."),
                  "success")
        return redirect(url_for("documents.visa_letter", token=token), code=303)
    if form.is_submitted() and not editable:
        flash(refusal_text("issued" if may_ask(registration) else "not_attending"), "error")
        return redirect(url_for("documents.visa_letter", token=token), code=303)
    if not form.is_submitted() and letter is not None and letter.has_passport_data:
        form.passport_name.data = letter.passport_name
        form.nationality.data = letter.nationality
        form.birth_date.data = letter.birth_date
        form.passport_number.data = letter.passport_number
        form.passport_expires_on.data = letter.passport_expires_on
    return render_template(
        "documents/visa_letter.html", event=event, registration=registration, letter=letter,
        form=form, editable=editable,
    ), (422 if form.errors else 200)


@bp.get("/visa-letter/<token>.pdf")
def visa_letter_pdf(token: str):
    """The issued letter, as emailed; gone once revoked, or once its passport details were
    deleted after the event."""
    registration = _registration_or_404(token)
    letter = letter_of(registration)
    if letter is None or not letter.in_force or not letter.has_passport_data:
        abort(404)
    return Response(
        render_letter(letter),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{letter_filename(letter)}"'},
    )
