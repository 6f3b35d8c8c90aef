"""Approving or declining registrations on an event that requires approval: one at a time
from the registration's page, or a selection ticked in the (filtered) registrant list. The
rules are in ``mmm_events.registrations.approval``."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_babel import _, ngettext

from ...extensions import db
from ...models import RegistrationStatus, utcnow
from ...organiser.access import event_for_organiser
from ...organiser.blueprint import MAX_ID, bp
from ...web import local_path
from .. import approval
from ..forms import ConfirmForm, DeclineForm
from .registrants import registration_for_organiser


def _detail(registration_id: int):
    return redirect(url_for("organiser.registration_detail", registration_id=registration_id))


@bp.post("/registrations/<int:registration_id>/approve")
def approve_registration(registration_id: int):
    registration = registration_for_organiser(registration_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    given = approval.approve_registration(registration, now=utcnow())
    db.session.commit()
    if given is RegistrationStatus.CONFIRMED:
        flash(_("Approved: the person has a seat and is told by email."), "success")
    elif given is RegistrationStatus.WAITING:
        flash(_("Approved, but no seat is free: the person is on the waiting list and is "
                "told by email."), "warning")
    else:
        flash(_("This registration no longer awaits approval: nothing was changed."), "warning")
    return _detail(registration.id)


@bp.post("/registrations/<int:registration_id>/decline")
def decline_registration(registration_id: int):
    registration = registration_for_organiser(registration_id)
    form = DeclineForm()
    if not form.validate_on_submit():
        flash(_("Please keep the message under 2,000 characters."), "error")
        return _detail(registration.id)
    declined = approval.decline_registrations(
        registration.event, [registration.id], now=utcnow(), message=form.message.data
    )
    db.session.commit()
    if declined:
        flash(_("Declined: the person is told by email."), "success")
    else:
        flash(_("This registration no longer awaits approval: nothing was changed."), "warning")
    return _detail(registration.id)


def _chosen_ids() -> list[int]:
    """The registrations ticked in the list; 400 for anything but ids."""
    ids = []
    for value in request.form.getlist("ids"):
        if not value.isdigit() or not 0 < int(value) <= MAX_ID:
            abort(400)
        ids.append(int(value))
    return ids


def _back_to_list(event_id: int):
    """To the list as it was filtered when the organiser ticked."""
    default = url_for("organiser.registrants", event_id=event_id)
    return redirect(local_path(request.form.get("back"), default))


@bp.post("/events/<int:event_id>/registrants/approve")
def approve_chosen(event_id: int):
    event = event_for_organiser(event_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    ids = _chosen_ids()
    if not ids:
        flash(_("Please tick the registrations to approve or decline."), "error")
        return _back_to_list(event.id)
    decisions = approval.approve_chosen(event, ids, now=utcnow())
    db.session.commit()
    flash(
        ngettext("%(num)d person approved with a seat.", "%(num)d people approved with a seat.",
                 decisions.confirmed),
        "success" if decisions.confirmed else "warning",
    )
    if decisions.waiting:
        flash(ngettext(
            "%(num)d person approved onto the waiting list: no seat was free.",
            "%(num)d people approved onto the waiting list: no seat was free.",
            decisions.waiting,
        ), "warning")
    _flash_skipped(decisions)
    return _back_to_list(event.id)


@bp.post("/events/<int:event_id>/registrants/decline")
def decline_chosen(event_id: int):
    event = event_for_organiser(event_id)
    form = DeclineForm()
    if not form.validate_on_submit():
        flash(_("Please keep the message under 2,000 characters."), "error")
        return _back_to_list(event.id)
    ids = _chosen_ids()
    if not ids:
        flash(_("Please tick the registrations to approve or decline."), "error")
        return _back_to_list(event.id)
    decisions = approval.decline_chosen(event, ids, now=utcnow(), message=form.message.data)
    db.session.commit()
    flash(
        ngettext("%(num)d registration declined.", "%(num)d registrations declined.",
                 decisions.declined),
        "success" if decisions.declined else "warning",
    )
    _flash_skipped(decisions)
    return _back_to_list(event.id)


def _flash_skipped(decisions: approval.Decisions) -> None:
    if decisions.skipped:
        flash(ngettext(
            "%(num)d ticked registration was skipped: it no longer awaits approval.",
            "%(num)d ticked registrations were skipped: they no longer await approval.",
            decisions.skipped,
        ), "warning")
