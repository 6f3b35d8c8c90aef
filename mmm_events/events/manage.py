"""Managing events: create, edit, publish, delete, and (admins) who organises them."""

from __future__ import annotations

import base64
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import _, ngettext
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from .. import audit
from ..extensions import db
from ..forms import text_data
from ..models import Event, User, utcnow
from ..organiser.access import admin_required, event_for_organiser
from ..organiser.blueprint import bp
from ..registrations.management import registration_counts
from ..registrations.status import fill_free_seats
from .covers import (
    MAX_BYTES,
    MEDIA_TYPE,
    MIN_WIDTH,
    CoverError,
    CoverSize,
    drop_pending,
    keep_pending,
    pending_sizes,
    read_cover,
)
from .editing import (
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
    to_utc,
)
from .forms import DuplicateForm, EventForm, OrganisersForm
from .transfer import TransferError, duplicate


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
    event = event_for_organiser(event_id)
    return render_template(
        "events/manage/event_overview.html", event=event, counts=registration_counts(event)
    )


@bp.route("/events/<int:event_id>/edit", methods=["GET", "POST"])
def edit_event(event_id: int):
    return _event_form(event_for_organiser(event_id))


def _chosen_cover(form: EventForm) -> tuple[list[CoverSize] | None, str]:
    """The sizes of the cover image sent with the form, or else of the one kept from an
    earlier try (``kept_cover``), None when there is neither; and the token of a kept one
    that a new file replaces, to drop. CoverError when the file is not an image we take, or
    the kept one is no longer kept."""
    upload = form.cover.data
    token = form.kept_cover.data or ""
    if upload and getattr(upload, "filename", ""):
        sizes = read_cover(upload.read(MAX_BYTES + 1))
        form.kept_cover.data = ""
        return sizes, token
    if not token:
        return None, ""
    if form.remove_cover.data:
        form.kept_cover.data = ""
        return None, token
    sizes = pending_sizes(token, user=current_user, now=utcnow())
    if sizes is None:
        form.kept_cover.data = ""
        raise CoverError(_("The image you chose before is no longer kept. Please choose it "
                           "again."))
    return sizes, ""


def _event_form(event: Event | None):
    """The one form that creates (``event`` None) or edits an event.

    A cover sent with a form that comes back with an error is kept (``covers.keep_pending``)
    for the next try, unless the error is the forgery check's."""
    form = EventForm()
    status, cover, dropped = 200, None, ""
    if event is not None and request.method == "GET":
        _fill_form(form, event)
    elif form.is_submitted():
        valid = form.validate()
        try:
            if "csrf_token" not in form.errors:
                cover, dropped = _chosen_cover(form)
            if valid:
                event = save_event(event, _form_data(form), creator=current_user, cover=cover)
        except CoverError as exc:
            form.cover.errors.append(exc.message)
            status = exc.status
        except EventError as exc:
            db.session.rollback()
            form[exc.field].errors.append(exc.message)
        else:
            if valid:
                return _saved(event, done_with=(form.kept_cover.data, dropped))
        _keep_for_next_try(form, cover, dropped)
    if form.errors and status == 200:
        status = 400
    limits = {"megabytes": MAX_BYTES // 2**20, "min_width": MIN_WIDTH}
    return render_template(
        "events/manage/event_form.html", form=form, event=event, cover_limits=limits,
        kept_preview=_preview(form),
    ), status


def _keep_for_next_try(form: EventForm, cover: list[CoverSize] | None, dropped: str) -> None:
    """A new upload that came with an error is kept under a new token (in place of the one
    it replaces); a kept one stays kept."""
    keeping = cover is not None and not form.kept_cover.data
    if not (dropped or keeping):
        return
    if dropped:
        drop_pending(dropped)
    if keeping:
        form.kept_cover.data = keep_pending(cover, user=current_user, now=utcnow())
    db.session.commit()


def _preview(form: EventForm) -> str | None:
    """The kept cover's smallest size, as a data: address the page shows."""
    token = form.kept_cover.data
    sizes = pending_sizes(token, user=current_user, now=utcnow()) if token else None
    if not sizes:
        return None
    return f"data:{MEDIA_TYPE};base64,{base64.b64encode(sizes[0].data).decode('ascii')}"


def _saved(event: Event, *, done_with: tuple[str, ...]):
    """After the event is saved: the kept covers it used or replaced go, and the seats it
    added go to the people waiting."""
    for token in filter(None, done_with):
        drop_pending(token)
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


@bp.post("/events/<int:event_id>/publish")
def publish_event(event_id: int):
    event = event_for_organiser(event_id)
    publish = request.form.get("publish") == "1"
    if publish and publishing_fills_waiting_list(event) and request.form.get("full") != "1":
        return render_template("events/manage/event_publish_full.html", event=event)
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
    return render_template(
        "events/manage/event_delete.html", event=event, counts=registration_counts(event)
    )


@bp.route("/events/<int:event_id>/duplicate", methods=["GET", "POST"])
def duplicate_event(event_id: int):
    """Next year's event from this one: texts, settings, questions and their places, at new
    dates; unpublished, with nobody registered."""
    event = event_for_organiser(event_id)
    form = DuplicateForm()
    if form.validate_on_submit():
        try:
            copy = duplicate(event, slug=form.slug.data,
                             starts_at=to_utc(form.starts_at.data, event.timezone))
        except TransferError:
            db.session.rollback()
            form.slug.errors = [_("Another event already has this address.")]
        else:
            db.session.commit()
            flash(_("The copy is saved, unpublished: check its texts and dates."), "success")
            return redirect(url_for("organiser.edit_event", event_id=copy.id), code=303)
    return render_template("events/manage/event_duplicate.html", event=event, form=form), (
        422 if request.method == "POST" else 200)


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
    return render_template("events/manage/event_organisers.html", form=form, event=event)
