"""The public side: the notice's versions, and a person's own data from their links.

The manage link of a registration, and the answer or unsubscribe link of an invitation (both
sit in the person's own email), lead to "download my data" and "delete my data". Once their
data is erased, any of those links leads to a page that says so.
"""

from __future__ import annotations

import json

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import or_, select

from ..erasures import refuse_erased
from ..extensions import db
from ..models import Invitation, Registration, utcnow
from ..models._base import worth_looking_up
from ..web import keep_private
from . import consent, people
from .forms import ConfirmErasureForm

bp = Blueprint("privacy", __name__, url_prefix="/privacy")


@bp.app_template_global()
def privacy_notice_url() -> str:
    """The address of the notice in force, for forms that ask for consent."""
    notice = consent.current_notice()
    if notice is None:
        return url_for("public.privacy")
    return url_for("privacy.notice", version=notice.version)


@bp.app_template_global()
def privacy_notice_in_force() -> dict | None:
    """The version in force with its text in the page's language, for the /privacy page."""
    notice = consent.current_notice()
    if notice is None:
        return None
    text, language = consent.notice_text(notice, str(get_locale()))
    return {"notice": notice, "text": text, "language": language}


# The pages carry a personal token in their address.
bp.after_request(keep_private)


@bp.get("/versions/<int:version>")
def notice(version: int):
    found = consent.notice_by_version(version)
    if found is None:
        abort(404)
    text, language = consent.notice_text(found, str(get_locale()))
    return render_template(
        "privacy/notice.html", notice=found, text=text, language=language,
        current=consent.current_notice(),
    )


def _registration(token: str) -> Registration:
    registration = None
    if worth_looking_up(token):
        registration = db.session.scalar(select(Registration).where(Registration.token == token))
    if registration is None:
        abort(404)
    refuse_erased(registration=registration)
    return registration


def _invitation(token: str) -> Invitation:
    """The invitation by its answer token or its unsubscribe token: the pages of both offer
    the person their data."""
    invitation = None
    if worth_looking_up(token):
        invitation = db.session.scalar(select(Invitation).where(
            or_(Invitation.token == token, Invitation.unsubscribe_token == token)
        ))
    if invitation is None:
        abort(404)
    refuse_erased(invitation=invitation)
    return invitation


def _download(person: people.Person, event) -> Response:
    data = people.export(person, now=utcnow())
    data["left_out"] = _(
        "The texts of the emails we sent you and the organisers' notes are not in this file, "
        "because anyone you forwarded your email to could download it. To receive them, "
        "please write to %(contact)s.",
        contact=event.contact_email or current_app.config["CONTACT_EMAIL"],
    )
    return Response(
        json.dumps(data, ensure_ascii=False, indent=2),
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="my-data-{event.slug}.json"'},
    )


def _erase(person: people.Person, event, back: str, *, kind: str):
    form = ConfirmErasureForm()
    if form.validate_on_submit():
        people.erase(person, reason="request", now=utcnow())
        db.session.commit()
        return redirect(url_for(".deleted"), code=303)
    status = 400 if form.errors else 200
    page = render_template("privacy/delete.html", form=form, event=event, back=back, kind=kind)
    return page, status


@bp.get("/registration/<token>/my-data.json")
def registration_data(token: str):
    registration = _registration(token)
    return _download(people.person_of_registration(registration), registration.event)


@bp.route("/registration/<token>/delete", methods=["GET", "POST"])
def registration_delete(token: str):
    registration = _registration(token)
    back = url_for("registrations.manage", token=token)
    return _erase(people.person_of_registration(registration), registration.event, back,
                  kind="registration")


@bp.get("/invitation/<token>/my-data.json")
def invitation_data(token: str):
    invitation = _invitation(token)
    return _download(people.person_of_invitation(invitation), invitation.event)


@bp.route("/invitation/<token>/delete", methods=["GET", "POST"])
def invitation_delete(token: str):
    invitation = _invitation(token)
    back = (
        url_for("invitations.decline", token=token)
        if invitation.token == token
        else url_for("invitations.unsubscribe", token=token)
    )
    return _erase(people.person_of_invitation(invitation), invitation.event, back,
                  kind="invitation")


@bp.get("/deleted")
def deleted():
    return render_template("privacy/deleted.html")
