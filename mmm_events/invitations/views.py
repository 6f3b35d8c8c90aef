"""The invitee's side: the accept, decline and unsubscribe links of the invitation email.

A GET never changes an answer: mail scanners and link previews open every link they see.
Accepting only notes that the link was opened and leads to the registration form, where the
answer is given by posting the form.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..erasures import refuse_erased
from ..extensions import csrf, db
from ..models import Invitation, InvitationStatus, utcnow
from ..privacy.consent import record_consent
from ..web import keep_private
from . import services
from .forms import DeclineForm, UnsubscribeForm

bp = Blueprint("invitations", __name__, url_prefix="/invitations")


def _invitation(token: str) -> Invitation:
    invitation = services.invitation_by_token(token)
    if invitation is None or not invitation.event.is_published:
        abort(404)
    refuse_erased(invitation=invitation)
    return invitation


# The pages carry a personal token in their address.
bp.after_request(keep_private)


@bp.get("/<token>/accept")
def accept(token: str):
    invitation = _invitation(token)
    services.mark_opened(invitation, now=utcnow())
    db.session.commit()
    return redirect(
        url_for("events.detail", slug=invitation.event.slug, invitation=token, _anchor="register")
    )


@bp.route("/<token>/decline", methods=["GET", "POST"])
def decline(token: str):
    invitation = _invitation(token)
    if invitation.status is InvitationStatus.ACCEPTED:
        return render_template("invitations/already_accepted.html", invitation=invitation)
    form = DeclineForm()
    if form.validate_on_submit():
        try:
            services.decline(invitation, message=form.message.data or "", now=utcnow())
        except services.AlreadyAccepted:
            # Accepted by a registration a moment ago, in another request.
            db.session.rollback()
            return render_template("invitations/already_accepted.html", invitation=invitation)
        except services.InvitationError:
            # Revoked a moment ago, in another request.
            abort(404)
        record_consent(invitation=invitation, now=utcnow())
        db.session.commit()
        return redirect(url_for(".declined", token=token))
    return render_template("invitations/decline.html", invitation=invitation, form=form), (
        400 if form.errors else 200
    )


@bp.get("/<token>/declined")
def declined(token: str):
    invitation = _invitation(token)
    if invitation.status is not InvitationStatus.DECLINED:
        return redirect(url_for(".decline", token=token))
    return render_template("invitations/declined.html", invitation=invitation)


def _unsubscribing(token: str) -> Invitation:
    invitation = services.invitation_by_unsubscribe_token(token)
    if invitation is None:
        abort(404)
    refuse_erased(invitation=invitation)
    return invitation


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
def unsubscribe(token: str):
    invitation = _unsubscribing(token)
    form = UnsubscribeForm()
    if form.validate_on_submit():
        services.unsubscribe(invitation.email, reason="unsubscribe link")
        db.session.commit()
        flash(_("You will receive no more invitations from us."), "success")
        return redirect(url_for(".unsubscribe", token=token))
    return render_template(
        "invitations/unsubscribe.html",
        invitation=invitation,
        form=form,
        done=services.is_suppressed(invitation.email),
    )


@bp.route("/unsubscribe/<token>/one-click", methods=["GET", "POST"])
@csrf.exempt
def unsubscribe_one_click(token: str):
    """The address in the List-Unsubscribe header (RFC 8058 one-click).

    Exempt from CSRF, and only this endpoint: the POST comes from the recipient's mail
    provider (Gmail, Outlook...), which has no session and cannot carry our CSRF token. The
    unguessable, single-purpose token in the address is the proof instead, and the worst a
    forged request can do is unsubscribe the address that token belongs to. A GET (a client
    that only opens the link) changes nothing and shows the confirming page.
    """
    invitation = _unsubscribing(token)
    if request.method == "GET":
        return redirect(url_for(".unsubscribe", token=token))
    if request.form.get("List-Unsubscribe") != "One-Click":
        abort(400)
    services.unsubscribe(invitation.email, reason="one-click unsubscribe")
    db.session.commit()
    return (
        _("You will receive no more invitations from us."),
        200,
        {"Content-Type": "text/plain; charset=utf-8"},
    )
