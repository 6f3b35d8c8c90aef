"""Managing events: create, edit, publish, delete, and (admins) who organises them."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import _, ngettext
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from ..events.editing import (
    LOCAL_DATETIMES,
    PLAIN_FIELDS,
    TEXT_FIELDS,
    EventError,
    assign_organisers,
    delete_event,
    publishing_fills_waiting_list,
    save_event,
    set_published,
    to_local,
)
from ..extensions import db
from ..models import Event, User, utcnow
from ..privacy import audit
from ..registrations.status import fill_free_seats
from .access import admin_required, event_for_organiser
from .blueprint import bp
from .forms import EventForm, OrganisersForm, text_data


def _form_data(form: EventForm) -> dict[str, Any]:
    data = {name: field.data for name, field in form._fields.items() if name != "csrf_token"}
    data["texts"] = text_data(form, TEXT_FIELDS)
    return data


def _fill_form(form: EventForm, event: Event) -> None:
    for name in (*PLAIN_FIELDS, "slug", "capacity"):
        form[name].data = getattr(event, name)
    for name in LOCAL_DATETIMES:
        form[name].data = to_local(getattr(event, name), event.timezone)
    for language, text in event.texts.items():
        for name in TEXT_FIELDS:
            form[f"{name}_{language}"].data = getattr(text, name)


@bp.route("/events/new", methods=["GET", "POST"])
def new_event():
    return _event_form(None)


@bp.get("/events/<int:event_id>")
def event_overview(event_id: int):
    from .registrants import registration_counts

    event = event_for_organiser(event_id)
    return render_template(
        "organiser/event_overview.html", event=event, counts=registration_counts(event)
    )


@bp.route("/events/<int:event_id>/edit", methods=["GET", "POST"])
def edit_event(event_id: int):
    return _event_form(event_for_organiser(event_id))


def _event_form(event: Event | None):
    """The one form that creates (``event`` None) or edits an event."""
    form = EventForm()
    if event is not None and request.method == "GET":
        _fill_form(form, event)
    elif form.validate_on_submit():
        try:
            event = save_event(event, _form_data(form), creator=current_user)
        except EventError as exc:
            db.session.rollback()
            form[exc.field].errors.append(exc.message)
        else:
            # Seats added while people wait: they get them, as when someone cancels.
            promoted = fill_free_seats(event, now=utcnow())
            db.session.commit()
            flash(_("The event is saved."), "success")
            if promoted:
                flash(
                    ngettext(
                        "%(num)d person moved from the waiting list to a seat, and is told "
                        "by email.",
                        "%(num)d people moved from the waiting list to a seat, and are told "
                        "by email.",
                        len(promoted),
                    ),
                    "success",
                )
            return redirect(url_for("organiser.event_overview", event_id=event.id))
    status = 400 if form.errors else 200
    return render_template("organiser/event_form.html", form=form, event=event), status


@bp.post("/events/<int:event_id>/publish")
def publish_event(event_id: int):
    event = event_for_organiser(event_id)
    publish = request.form.get("publish") == "1"
    if publish and publishing_fills_waiting_list(event) and request.form.get("full") != "1":
        return render_template("organiser/event_publish_full.html", event=event)
    set_published(event, publish)
    db.session.commit()
    flash(
        _("The event is published.") if publish else _("The event is no longer public."),
        "success",
    )
    return redirect(url_for("organiser.event_overview", event_id=event.id))


@bp.route("/events/<int:event_id>/delete", methods=["GET", "POST"])
def delete_event_view(event_id: int):
    event = event_for_organiser(event_id)
    if request.method == "POST":
        if request.form.get("confirm") != "yes":
            abort(400)
        title = event.title
        delete_event(event)
        db.session.commit()
        flash(_("The event “%(title)s” is deleted.", title=title), "success")
        return redirect(url_for("organiser.dashboard"))
    from .registrants import registration_counts

    return render_template(
        "organiser/event_delete.html", event=event, counts=registration_counts(event)
    )


@bp.route("/events/<int:event_id>/organisers", methods=["GET", "POST"])
def event_organisers(event_id: int):
    admin_required()
    event = event_for_organiser(event_id)
    form = OrganisersForm()
    users = list(db.session.scalars(select(User).order_by(User.email)))
    form.organisers.choices = [
        SelectChoice(u.id, f"{u.name} <{u.email}>" if u.name else u.email)
        for u in users
        if not u.is_admin
    ]
    if request.method == "GET":
        form.organisers.data = [u.id for u in event.organisers]
    elif form.validate_on_submit():
        assign_organisers(event, form.organisers.data or [])
        audit.record(audit.ORGANISERS_ASSIGNED, event_id=event.id,
                     detail={"users": sorted(form.organisers.data or [])})
        db.session.commit()
        flash(_("The organisers of this event are saved."), "success")
        return redirect(url_for("organiser.event_overview", event_id=event.id))
    return render_template("organiser/event_organisers.html", form=form, event=event)
